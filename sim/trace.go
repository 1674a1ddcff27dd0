package sim

import (
	"io"
	"strconv"
)

// The trace is a text log with one line per network event, in the order the world ran them:
//
//	   0.001000 connect alice:49152>server:7000 #1 server:7000
//	   0.003000 accept server:7000>alice:49152 #1
//	   0.004000 prim server:7000>alice:49152 #1 "LOGIN PRIM-PR/1.0 0224 0"
//
// Fields: virtual time in seconds, what happened, where (the receiving or acting end first,
// then its peer, then the connection number), details. For PRIM streams, every message
// delivered shows as a "prim" line with its start line (prim-digest.md §3.3), followed by
// "tls" when the sender wrote it after starting a simulated TLS handshake. Bytes that hold no start
// line show as "recv N". The format is stable: golden files in testdata pin it.

type tracer struct {
	out io.Writer
	buf []byte
}

func (t *tracer) begin(w *World, what string) {
	t.buf = appendDuration(t.buf[:0], w.Now())
	t.buf = append(t.buf, ' ')
	t.buf = append(t.buf, what...)
}

func (t *tracer) end(w *World) {
	t.buf = append(t.buf, '\n')
	if _, err := t.out.Write(t.buf); err != nil {
		w.setErr(err)
	}
}

// line writes "<time> <what> <where> <detail>". A nil tracer writes nothing.
func (t *tracer) line(w *World, what, where, detail string) {
	if t == nil {
		return
	}
	t.begin(w, what)
	t.buf = append(t.buf, ' ')
	t.buf = append(t.buf, where...)
	if detail != "" {
		t.buf = append(t.buf, ' ')
		t.buf = append(t.buf, detail...)
	}
	t.end(w)
}

// segment writes a line about one segment: flags, sequence number relative to the sender's
// initial one, and length.
func (t *tracer) segment(w *World, what string, ev event) {
	if t == nil {
		return
	}
	src := &ev.conn.ends[ev.dir]
	t.begin(w, what)
	t.buf = append(t.buf, ' ')
	t.buf = append(t.buf, src.label()...)
	t.buf = append(t.buf, " ["...)
	t.buf = appendFlags(t.buf, ev.flags)
	t.buf = append(t.buf, "] seq="...)
	t.buf = strconv.AppendUint(t.buf, uint64(ev.seq-src.isn), 10)
	t.buf = append(t.buf, " len="...)
	t.buf = strconv.AppendInt(t.buf, int64(len(ev.data)), 10)
	if ev.attempt > 0 {
		t.buf = append(t.buf, " try="...)
		t.buf = strconv.AppendInt(t.buf, int64(ev.attempt)+1, 10)
	}
	t.end(w)
}

func appendFlags(b []byte, f uint8) []byte {
	for _, x := range []struct {
		bit uint8
		c   byte
	}{{flagSYN, 'S'}, {flagFIN, 'F'}, {flagRST, 'R'}, {flagPSH, 'P'}, {flagACK, '.'}} {
		if f&x.bit != 0 {
			b = append(b, x.c)
		}
	}
	return b
}

// data traces bytes delivered in order to the owner of e; tls says the sender wrote them
// after it started TLS.
func (t *tracer) data(w *World, e *endpoint, data []byte, tls bool) {
	if t == nil {
		return
	}
	if e.scan == nil {
		e.scan = &startScanner{}
	}
	found := false
	e.scan.feed(data, func(start []byte) {
		found = true
		t.begin(w, "prim")
		t.buf = append(t.buf, ' ')
		t.buf = append(t.buf, e.label()...)
		t.buf = append(t.buf, ' ')
		t.buf = strconv.AppendQuote(t.buf, string(start))
		if tls {
			t.buf = append(t.buf, " tls"...)
		}
		t.end(w)
	})
	if !found {
		t.begin(w, "recv")
		t.buf = append(t.buf, ' ')
		t.buf = append(t.buf, e.label()...)
		t.buf = append(t.buf, ' ')
		t.buf = strconv.AppendInt(t.buf, int64(len(data)), 10)
		if tls {
			t.buf = append(t.buf, " tls"...)
		}
		t.end(w)
	}
}

// startScanner finds PRIM start lines in a byte stream however it is cut (prim-digest.md
// §3.2-3.6, §3.12): skip empty lines, take the start line, skip header lines up to the empty
// line, skip content-length octets of body. It is a private stand-in for a wire decoder: it
// keeps no headers and never fails; a start line whose length field does not parse is taken
// as having no body.
type startScanner struct {
	state   uint8 // 0 start line, 1 headers, 2 body
	line    []byte
	lineLen int // length of the current header line
	body    int64
}

const maxTracedStartLine = 200

func (s *startScanner) feed(p []byte, emit func([]byte)) {
	for len(p) > 0 {
		switch s.state {
		case 2:
			n := int64(len(p))
			if n > s.body {
				n = s.body
			}
			s.body -= n
			p = p[n:]
			if s.body == 0 {
				s.state = 0
			}
		case 0:
			c := p[0]
			p = p[1:]
			if c != '\n' {
				if len(s.line) < maxTracedStartLine+2 {
					s.line = append(s.line, c)
				}
				continue
			}
			line := s.line
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			if len(line) == 0 {
				s.line = s.line[:0]
				continue // empty lines before a start line are skipped (I2 §8.1)
			}
			if len(line) > maxTracedStartLine {
				line = append(line[:maxTracedStartLine], "..."...)
			}
			emit(line)
			s.body = contentLength(line)
			s.line = s.line[:0]
			s.state, s.lineLen = 1, 0
		case 1:
			c := p[0]
			p = p[1:]
			if c != '\n' {
				if c != '\r' {
					s.lineLen++
				}
				continue
			}
			if s.lineLen > 0 {
				s.lineLen = 0
				continue
			}
			if s.body > 0 {
				s.state = 2
			} else {
				s.state = 0
			}
		}
	}
}

// contentLength reads the length field of a start line: the 4th field of a request, the 3rd
// of a response (prim-digest.md §3.3). It returns 0 when there is none.
func contentLength(line []byte) int64 {
	var fields [4][]byte
	n := 0
	start := 0
	for i := 0; i <= len(line) && n < 4; i++ {
		if i == len(line) || line[i] == ' ' {
			fields[n] = line[start:i]
			n++
			start = i + 1
		}
	}
	idx := 3 // request: method version id length
	for _, c := range fields[0] {
		if c == '/' {
			idx = 2 // response: version id length code phrase
			break
		}
	}
	if idx >= n {
		return 0
	}
	v, err := strconv.ParseInt(string(fields[idx]), 10, 64)
	if err != nil || v < 0 {
		return 0
	}
	return v
}
