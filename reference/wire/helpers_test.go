package wire_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/primlab/primlab/reference/wire"
)

// repoRoot returns the module root, found from this file's location.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func readFixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decoded is what a whole stream decodes to.
type decoded struct {
	msgs []*wire.Message
	errs []*wire.Error
	rest int // octets left buffered at the end
}

// decodeAll feeds data in one piece and drains the decoder, stopping after a fatal error.
func decodeAll(data []byte, lim wire.Limits) decoded {
	return decodeChunks([][]byte{data}, lim)
}

func decodeChunks(chunks [][]byte, lim wire.Limits) decoded {
	d := wire.NewDecoder(lim)
	var out decoded
	for _, c := range chunks {
		d.Feed(c)
		if drain(d, &out) {
			break
		}
	}
	out.rest = d.Buffered()
	return out
}

// drain reads every available command; it reports whether the decoder is poisoned.
func drain(d *wire.Decoder, out *decoded) bool {
	for {
		m, err := d.Next()
		if err != nil {
			e := err.(*wire.Error)
			out.errs = append(out.errs, e)
			if e.Fatal {
				return true
			}
			continue
		}
		if m == nil {
			return false
		}
		out.msgs = append(out.msgs, m)
	}
}

func encodeAll(msgs []*wire.Message) []byte {
	var b []byte
	for _, m := range msgs {
		b = wire.Append(b, m)
	}
	return b
}
