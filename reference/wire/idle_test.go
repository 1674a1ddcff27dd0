package wire

import (
	"strings"
	"testing"
)

// A connection that once carried a large body must not keep that much memory while idle: many
// idle connections of a large federation would otherwise hold their largest command each.
func TestIdleDecoderReleasesLargeBuffer(t *testing.T) {
	d := NewDecoder(DefaultLimits())
	body := strings.Repeat("x", 64<<10)
	d.Feed([]byte("SEND PRIM-IM/1.0 1 65536\r\nFrom: im:a@example.com\r\n\r\n" + body))
	m, err := d.Next()
	if err != nil || m == nil || len(m.Body) != len(body) {
		t.Fatalf("Next = %v, %v", m, err)
	}
	if m, err := d.Next(); m != nil || err != nil {
		t.Fatalf("second Next = %v, %v, want nothing", m, err)
	}
	if c := cap(d.buf); c > idleKeep {
		t.Fatalf("idle decoder holds %d bytes, want at most %d", c, idleKeep)
	}
	// A small command keeps its buffer for the next one, and decoding goes on.
	d.Feed([]byte("PING PRIM-PR/1.0 2 0\r\n\r\n"))
	if m, err := d.Next(); err != nil || m == nil || m.Method != "PING" {
		t.Fatalf("after release: %v, %v", m, err)
	}
	d.Next()
	if cap(d.buf) == 0 {
		t.Fatalf("a small buffer was released: every command would allocate it again")
	}
}
