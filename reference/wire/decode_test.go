package wire_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/primlab/primlab/reference/wire"
)

const login = "LOGIN PRIM-PR/1.0 0224 0\r\nFrom: pres:suga@prim.fujitsu.com\r\nAuth-State: init\r\nSASL-Mech: CRAM-MD5 PLAIN\r\n\r\n"

func TestDecodeRequestAndResponse(t *testing.T) {
	in := login + "PRIM-PR/1.0 0224 5 100 Authentication Continued\r\nSASL-Mech: CRAM-MD5\r\n\r\n<abc>"
	got := decodeAll([]byte(in), wire.DefaultLimits())
	if len(got.errs) != 0 || len(got.msgs) != 2 || got.rest != 0 {
		t.Fatalf("got %d msgs, errs %v, rest %d", len(got.msgs), got.errs, got.rest)
	}
	req, resp := got.msgs[0], got.msgs[1]
	if req.Method != "LOGIN" || req.Version != wire.VersionPresence || req.ID != "0224" || len(req.Body) != 0 {
		t.Errorf("request start line decoded as %q %q %q", req.Method, req.Version, req.ID)
	}
	if len(req.Headers) != 3 || req.Value("SASL-Mech") != "CRAM-MD5 PLAIN" {
		t.Errorf("request headers %v", req.Headers)
	}
	if resp.IsRequest() || resp.Code != 100 || resp.Phrase != "Authentication Continued" || string(resp.Body) != "<abc>" {
		t.Errorf("response decoded as %+v", resp)
	}
}

// PRIM-A8.1-4, PRIM-S5.1-2: empty lines where a start line is expected are skipped, and
// Offset counts them.
func TestDecodeSkipsEmptyLines(t *testing.T) {
	d := wire.NewDecoder(wire.DefaultLimits())
	d.Feed([]byte("\r\n\r\n" + login + "\r\n"))
	m, err := d.Next()
	if err != nil || m == nil || m.Method != "LOGIN" {
		t.Fatalf("Next = %v, %v", m, err)
	}
	if want := int64(4 + len(login)); d.Offset() != want {
		t.Errorf("Offset = %d, want %d", d.Offset(), want)
	}
	if m, err := d.Next(); m != nil || err != nil || d.Buffered() != 0 {
		t.Errorf("trailing CRLF: Next = %v, %v; Buffered = %d", m, err, d.Buffered())
	}
}

func TestDecodeNeedsMoreBytes(t *testing.T) {
	full := "SEND PRIM-IM/1.0 5 11\r\nFrom: im:bob@example.org\r\n\r\nHello Alice"
	d := wire.NewDecoder(wire.DefaultLimits())
	for i := 0; i < len(full); i++ {
		d.Feed([]byte{full[i]})
		m, err := d.Next()
		if err != nil {
			t.Fatalf("after %d octets: %v", i+1, err)
		}
		if (m != nil) != (i == len(full)-1) {
			t.Fatalf("after %d of %d octets got message %v", i+1, len(full), m)
		}
	}
}

// A decoded message must not change when the decoder's buffer is reused.
func TestDecodedMessageOwnsItsMemory(t *testing.T) {
	d := wire.NewDecoder(wire.DefaultLimits())
	d.Feed([]byte("SEND PRIM-IM/1.0 5 3\r\nFrom: im:a@b\r\n\r\nabc"))
	m, _ := d.Next()
	for i := 0; i < 10; i++ {
		d.Feed([]byte("SEND PRIM-IM/1.0 6 3\r\nFrom: im:x@y\r\n\r\nxyz"))
		if _, err := d.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if m.ID != "5" || m.Value("From") != "im:a@b" || string(m.Body) != "abc" {
		t.Fatalf("first message changed: %+v", m)
	}
	m.Body = append(m.Body, 'd')
	if m.Value("From") != "im:a@b" {
		t.Fatal("appending to Body overwrote a header")
	}
}

func TestDecodeErrors(t *testing.T) {
	small := wire.Limits{MaxStartLine: 40, MaxHeaderLine: 40, MaxHeaders: 3, MaxBody: 100, MaxIDLen: 8}
	next := "PING PRIM-PR/1.0 - 0\r\n\r\n"
	cases := []struct {
		name  string
		in    string
		kind  error
		fatal bool
		stmt  string
		id    string
	}{
		{"bare LF ends no line", "PING PRIM-PR/1.0 - 0\n\r\n\r\n", wire.ErrBadStartLine, true, "PRIM-A8.1-3", ""},
		{"too few fields", "PING PRIM-PR/1.0 0\r\n\r\n", wire.ErrBadStartLine, true, "PRIM-A8.2-1", ""},
		{"double space", "PING  PRIM-PR/1.0 - 0\r\n\r\n", wire.ErrBadStartLine, true, "PRIM-A8.2-1", ""},
		{"response without phrase field", "PRIM-PR/1.0 1 0 200\r\n\r\n", wire.ErrBadStartLine, true, "PRIM-A8.3-1", ""},
		{"content-length not digits", "PING PRIM-PR/1.0 - x\r\n\r\n", wire.ErrBadContentLength, true, "PRIM-A8.2.4-1", "-"},
		{"content-length over MaxBody", "SEND PRIM-IM/1.0 7 101\r\n\r\n", wire.ErrBodyTooLarge, true, "", "7"},
		{"start line too long", "PING PRIM-PR/1.0 - 0" + strings.Repeat("0", 30), wire.ErrStartLineTooLong, true, "", ""},
		{"header line too long", "PING PRIM-PR/1.0 - 0\r\nX: " + strings.Repeat("v", 40), wire.ErrHeaderLineTooLong, true, "", "-"},
		{"too many headers", "PING PRIM-PR/1.0 - 0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", wire.ErrTooManyHeaders, true, "", "-"},
		{"lower-case method", "ping PRIM-PR/1.0 - 0\r\n\r\n" + next, wire.ErrBadStartLine, false, "PRIM-A8.2-1", "-"},
		{"bad version", "PING PRIM-PR/one 1 0\r\n\r\n" + next, wire.ErrBadVersion, false, "PRIM-A8.2-1", "1"},
		{"bad id (D5)", "PING PRIM-PR/1.0 a.b 0\r\n\r\n" + next, wire.ErrBadID, false, "PRIM-A8.2.3-1", "a.b"},
		{"id over MaxIDLen (D5)", "PING PRIM-PR/1.0 123456789 0\r\n\r\n" + next, wire.ErrBadID, false, "", "123456789"},
		{"status not 3 digits", "PRIM-PR/1.0 1 0 20 OK\r\n\r\n" + next, wire.ErrBadStatus, false, "PRIM-A8.3-1", "1"},
		{"phrase not UTF-8", "PRIM-PR/1.0 1 0 200 O\xffK\r\n\r\n" + next, wire.ErrInvalidUTF8, false, "PRIM-A8.1-1", "1"},
		{"header without colon", "SEND PRIM-IM/1.0 1 2\r\nFrom im:a@b\r\n\r\nhi" + next, wire.ErrBadHeaderLine, false, "PRIM-A8.1.1-1", "1"},
		{"header without space", "SEND PRIM-IM/1.0 1 2\r\nFrom:im:a@b\r\n\r\nhi" + next, wire.ErrBadHeaderLine, false, "PRIM-A8.1.1-1", "1"},
		{"header with two spaces", "SEND PRIM-IM/1.0 1 2\r\nFrom:  im:a@b\r\n\r\nhi" + next, wire.ErrBadHeaderLine, false, "PRIM-A8.1.1-1", "1"},
		{"header with trailing space", "SEND PRIM-IM/1.0 1 2\r\nFrom: im:a@b \r\n\r\nhi" + next, wire.ErrBadHeaderLine, false, "PRIM-A8.1.1-1", "1"},
		{"folded header", "SEND PRIM-IM/1.0 1 2\r\nFrom: im:a@b\r\n x\r\n\r\nhi" + next, wire.ErrBadHeaderLine, false, "PRIM-A8.1.1-1", "1"},
		{"separator in name", "SEND PRIM-IM/1.0 1 2\r\nFr(om: im:a@b\r\n\r\nhi" + next, wire.ErrBadHeaderLine, false, "PRIM-A8.1.1-1", "1"},
		{"empty name", "SEND PRIM-IM/1.0 1 2\r\n: x\r\n\r\nhi" + next, wire.ErrBadHeaderLine, false, "PRIM-A8.1.1-1", "1"},
		{"TAB in header", "SEND PRIM-IM/1.0 1 2\r\nFrom: a\tb\r\n\r\nhi" + next, wire.ErrBadHeaderLine, false, "PRIM-A8.1.1-2", "1"},
		{"header not UTF-8", "SEND PRIM-IM/1.0 1 2\r\nFrom: \xc3\x28\r\n\r\nhi" + next, wire.ErrInvalidUTF8, false, "PRIM-A8.1-1", "1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := wire.NewDecoder(small)
			d.Feed([]byte(c.in))
			m, err := d.Next()
			var e *wire.Error
			if m != nil || !errors.As(err, &e) {
				t.Fatalf("Next = %v, %v; want an error", m, err)
			}
			if !errors.Is(err, c.kind) || e.Fatal != c.fatal || e.Statement != c.stmt || e.ID != c.id {
				t.Fatalf("got %v (kind %v, fatal %v, statement %q, id %q)", err, e.Kind, e.Fatal, e.Statement, e.ID)
			}
			m2, err2 := d.Next()
			if c.fatal {
				if err2 != err || m2 != nil {
					t.Errorf("a fatal error must poison the decoder; next Next = %v, %v", m2, err2)
				}
				d.Feed([]byte(next))
				if d.Buffered() != 0 {
					t.Errorf("a poisoned decoder buffers %d octets", d.Buffered())
				}
				return
			}
			if err2 != nil || m2 == nil || m2.Method != "PING" {
				t.Errorf("after a non-fatal error the next command must decode; got %v, %v", m2, err2)
			}
		})
	}
}

// A non-fatal error skips the rejected command's body even when it arrives later.
func TestDecodeSkipsRejectedBodyAcrossFeeds(t *testing.T) {
	d := wire.NewDecoder(wire.DefaultLimits())
	d.Feed([]byte("SEND PRIM-IM/1.0 1 10\r\nbad header\r\n\r\n01234"))
	if _, err := d.Next(); !errors.Is(err, wire.ErrBadHeaderLine) {
		t.Fatalf("want a bad header line, got %v", err)
	}
	if m, err := d.Next(); m != nil || err != nil {
		t.Fatalf("half a body left: Next = %v, %v", m, err)
	}
	d.Feed([]byte("56789PING PRIM-PR/1.0 - 0\r\n\r\n"))
	if m, err := d.Next(); err != nil || m == nil || m.Method != "PING" {
		t.Fatalf("Next = %v, %v; want the PING", m, err)
	}
}

func TestErrorOffsets(t *testing.T) {
	d := wire.NewDecoder(wire.DefaultLimits())
	d.Feed([]byte("\r\n" + login + "SEND PRIM-IM/1.0 1 0\r\nFrom: a\r\nTo:b\r\n\r\n"))
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	_, err := d.Next()
	var e *wire.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *wire.Error, got %v", err)
	}
	want := int64(2 + len(login) + len("SEND PRIM-IM/1.0 1 0\r\nFrom: a\r\n"))
	if e.Offset != want {
		t.Errorf("Offset = %d, want %d (the bad line)", e.Offset, want)
	}
	if !strings.Contains(e.Error(), "PRIM-A8.1.1-1") || !strings.Contains(e.Error(), `"To:b"`) {
		t.Errorf("Error() = %q should name the statement and quote the line", e.Error())
	}
}

// The codec aims at two allocations per command in steady state: the command's octets and the
// Message with its first eight headers.
func TestDecodeAllocations(t *testing.T) {
	msg := []byte("SEND PRIM-IM/1.0 5 11\r\nFrom: im:bob@example.org\r\nTo: im:alice@example.net\r\n" +
		"Message-ID: m20010226a\r\nConversation-ID: c7f3\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nHello Alice")
	d := wire.NewDecoder(wire.DefaultLimits())
	allocs := testing.AllocsPerRun(200, func() {
		d.Feed(msg)
		if m, err := d.Next(); m == nil || err != nil {
			t.Fatalf("Next = %v, %v", m, err)
		}
	})
	if allocs > 2 {
		t.Errorf("%.1f allocations per command, want at most 2", allocs)
	}
}

func TestCommandOffset(t *testing.T) {
	d := wire.NewDecoder(wire.DefaultLimits())
	d.Feed([]byte(login + "\r\n\r\nPING PRIM-PR/1.0 - 0\r\n\r\n"))
	if m, _ := d.Next(); m == nil || d.CommandOffset() != 0 {
		t.Fatalf("first command at %d", d.CommandOffset())
	}
	if m, _ := d.Next(); m == nil || d.CommandOffset() != int64(len(login)+4) {
		t.Fatalf("PING at %d, want %d (after the skipped empty lines)", d.CommandOffset(), len(login)+4)
	}
}
