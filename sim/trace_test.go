package sim

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestContentLength(t *testing.T) {
	for _, tc := range []struct {
		line string
		want int64
	}{
		{"LOGIN PRIM-PR/1.0 0224 0", 0},
		{"LOGIN PRIM-PR/1.0 0225 55", 55},
		{"PRIM-PR/1.0 0224 48 100 Authentication Continued", 48},
		{"PRIM/1.0 7 12 200 OK", 12},
		{"GARBAGE", 0},
		{"SEND PRIM-IM/1.0 1 -3", 0},
		{"SEND PRIM-IM/1.0 1 x", 0},
	} {
		if got := contentLength([]byte(tc.line)); got != tc.want {
			t.Errorf("contentLength(%q) = %d, want %d", tc.line, got, tc.want)
		}
	}
}

// The scanner finds the same start lines however the stream is cut into segments
// (prim-digest.md §3.6: the body is exactly content-length octets, no trailing CRLF).
func TestStartScannerIgnoresSegmentation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 6).Draw(t, "messages")
		var stream strings.Builder
		var want []string
		for i := 0; i < n; i++ {
			body := rapid.StringMatching(`[a-z\r\n ]{0,40}`).Draw(t, "body")
			var start string
			if rapid.Bool().Draw(t, "response") {
				start = fmt.Sprintf("PRIM-PR/1.0 %d %d 200 OK", i, len(body))
			} else {
				start = fmt.Sprintf("NOTIFY PRIM-PR/1.0 %d %d", i, len(body))
			}
			if rapid.Bool().Draw(t, "blank line first") {
				stream.WriteString("\r\n")
			}
			stream.WriteString(start + "\r\nFrom: pres:a@b\r\n\r\n" + body)
			want = append(want, start)
		}
		data := []byte(stream.String())
		var s startScanner
		var got []string
		for len(data) > 0 {
			k := rapid.IntRange(1, len(data)).Draw(t, "cut")
			s.feed(data[:k], func(l []byte) { got = append(got, string(l)) })
			data = data[k:]
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("start lines %q, want %q", got, want)
		}
	})
}

func TestTraceMarksTLSAndCountsBytes(t *testing.T) {
	var trace strings.Builder
	w := newTestWorld(t, Config{Trace: &trace})
	c := w.Connect("alice", "server:7000")
	c.WriteString("STARTTLS PRIM-PR/1.0 1 0\r\n\r\n")
	w.RunUntil(func() bool { return len(c.Received()) > 0 }, time.Second)
	c.StartTLS()
	w.RunUntil(c.Secured, time.Second)
	c.WriteString("FETCH PRIM-PR/1.0 2 0\r\n\r\n")
	c.WriteString("\r\n") // a stray empty line: no start line in it
	w.RunFor(time.Second)
	out := trace.String()
	for _, want := range []string{
		`prim server:7000>alice:49152 #1 "STARTTLS PRIM-PR/1.0 1 0"` + "\n",
		`tls alice:49152>server:7000 #1` + "\n",
		`prim server:7000>alice:49152 #1 "FETCH PRIM-PR/1.0 2 0" tls` + "\n",
		`recv server:7000>alice:49152 #1 2 tls` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
}
