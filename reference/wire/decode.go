package wire

import (
	"bytes"
	"fmt"
	"unsafe"
)

// Limits bound what a Decoder accepts, so that a hostile peer cannot make it buffer or allocate
// without bound. Lengths exclude the CRLF.
type Limits struct {
	MaxStartLine  int // octets in a start line
	MaxHeaderLine int // octets in one header line
	MaxHeaders    int // header lines per command
	MaxBody       int // content-length
	MaxIDLen      int // characters in a request id (Decision D5)
}

// DefaultLimits returns 1 KiB start lines, 8 KiB header lines, 128 headers, 1 MiB bodies and
// 64-character request ids (Decision D5).
func DefaultLimits() Limits {
	return Limits{MaxStartLine: 1 << 10, MaxHeaderLine: 8 << 10, MaxHeaders: 128, MaxBody: 1 << 20, MaxIDLen: 64}
}

// MaxCommand returns the most octets one command can occupy under l: the most a Decoder holds
// while it waits for the rest of a command.
func (l Limits) MaxCommand() int {
	return l.MaxStartLine + 2 + l.MaxHeaders*(l.MaxHeaderLine+2) + 2 + l.MaxBody
}

// Decoder splits a PRIM byte stream into commands, however the stream was cut into Feed calls
// (prim-digest.md §3.12). It is a pure value: no reader, no goroutine.
//
// Empty lines before a start line are skipped (PRIM-A8.1-4, PRIM-S5.1-2); only CRLF ends a line
// (a bare LF is a control character inside a line). A decoded Message owns its memory: one
// allocation holds the command's octets (strings point into it, Body is its tail) and one holds
// the Message with room for eight headers.
type Decoder struct {
	lim  Limits
	buf  []byte
	r    int   // index in buf of the first unconsumed octet
	off  int64 // stream offset of buf[r]
	skip int   // body octets of a rejected command still to discard
	err  *Error
	cmd  int64 // stream offset where the latest command began

	// Progress on the command that starts at buf[r]; offsets are relative to r.
	inCmd     bool
	scan      int   // where to resume looking for CRLF
	lineStart int   // start of the line being read
	start     start // parsed start line, valid when haveStart
	haveStart bool
	startEnd  int   // index of the CR ending the start line
	ends      []int // end (index of CR) of each header line
	hdrErr    *Error
	hdrEnd    int // index of the first body octet, valid when haveHdrs
	haveHdrs  bool
}

// start is a parsed start line: [2]int fields are [from, to) offsets relative to the command.
type start struct {
	request             bool
	method, version, id [2]int
	phrase              [2]int
	length, code        int
}

// NewDecoder returns a Decoder that enforces l.
func NewDecoder(l Limits) *Decoder { return &Decoder{lim: l} }

// Feed appends p to the bytes waiting to be decoded; p is copied. After a fatal error Feed
// discards its input.
func (d *Decoder) Feed(p []byte) {
	if d.err != nil || len(p) == 0 {
		return
	}
	if d.r == len(d.buf) {
		d.buf, d.r = d.buf[:0], 0
	} else if d.r > 0 && d.r >= cap(d.buf)/2 {
		n := copy(d.buf, d.buf[d.r:])
		d.buf, d.r = d.buf[:n], 0
	}
	d.buf = append(d.buf, p...)
}

// idleKeep is the largest buffer an idle Decoder keeps for the next command; a larger one
// (left by a big body) is released, so that many idle connections hold little memory.
const idleKeep = 4 << 10

// releaseIdle drops a large buffer once everything fed has been consumed.
func (d *Decoder) releaseIdle() {
	if d.Buffered() == 0 && cap(d.buf) > idleKeep {
		d.buf, d.r = nil, 0
	}
	if cap(d.ends) > 16 {
		d.ends = nil
	}
}

// Buffered returns how many fed octets have not been consumed yet.
func (d *Decoder) Buffered() int { return len(d.buf) - d.r }

// Offset returns the stream offset of the next unconsumed octet.
func (d *Decoder) Offset() int64 { return d.off }

// CommandOffset returns the stream offset of the start line of the command last returned by
// Next (or of the command a non-fatal error rejected), after any skipped empty lines.
func (d *Decoder) CommandOffset() int64 { return d.cmd }

var crlf = []byte("\r\n")

// Next returns the next complete command, or (nil, nil) when more bytes are needed. A returned
// *Error reports a command that is not valid PRIM framing; see Error for fatal and non-fatal
// errors.
func (d *Decoder) Next() (*Message, error) {
	if d.err != nil {
		return nil, d.err
	}
	if d.skip > 0 {
		n := min(d.skip, d.Buffered())
		d.consume(n)
		d.skip -= n
		if d.skip > 0 {
			return nil, nil
		}
	}
	if !d.inCmd {
		// PRIM-A8.1-4, PRIM-S5.1-2: ignore empty lines where a start line is expected.
		for d.Buffered() >= 2 && d.buf[d.r] == '\r' && d.buf[d.r+1] == '\n' {
			d.consume(2)
		}
		if d.Buffered() == 0 || (d.Buffered() == 1 && d.buf[d.r] == '\r') {
			d.releaseIdle()
			return nil, nil
		}
		d.inCmd, d.cmd = true, d.off
	}
	data := d.buf[d.r:]
	for !d.haveHdrs {
		i := bytes.Index(data[d.scan:], crlf)
		if i < 0 {
			partial := len(data) - d.lineStart
			if err := d.checkLineLen(partial - 1); err != nil {
				return nil, err
			}
			if d.haveStart && len(d.ends) == d.lim.MaxHeaders &&
				(partial > 1 || (partial == 1 && data[len(data)-1] != '\r')) {
				// Only the empty line may follow the last allowed header: fail now rather
				// than buffer one more line.
				return nil, d.poison(d.errorf(KindTooManyHeaders, d.lineStart, "", true,
					"more than %d header lines", d.lim.MaxHeaders))
			}
			d.scan = max(d.lineStart, len(data)-1)
			return nil, nil
		}
		end := d.scan + i
		if err := d.checkLineLen(end - d.lineStart); err != nil {
			return nil, err
		}
		line := data[d.lineStart:end]
		switch {
		case !d.haveStart:
			d.startEnd = end
			if err := d.parseStart(line); err != nil {
				if err.Fatal {
					return nil, d.poison(err)
				}
				d.hdrErr = err
			}
		case len(line) == 0:
			d.hdrEnd, d.haveHdrs = end+2, true
		default:
			if len(d.ends) == d.lim.MaxHeaders {
				return nil, d.poison(d.errorf(KindTooManyHeaders, d.lineStart, "", true,
					"more than %d header lines", d.lim.MaxHeaders))
			}
			d.ends = append(d.ends, end)
			if d.hdrErr == nil {
				d.hdrErr = d.checkHeader(line, d.lineStart)
			}
		}
		d.lineStart, d.scan = end+2, end+2
	}
	if d.hdrErr != nil {
		// Non-fatal: drop the header block now and the body as it arrives.
		err := d.hdrErr
		d.skip = d.start.length
		d.consume(d.hdrEnd)
		d.reset()
		return nil, err
	}
	total := d.hdrEnd + d.start.length
	if len(data) < total {
		return nil, nil
	}
	m := d.build(data[:total])
	d.consume(total)
	d.reset()
	return m, nil
}

// msgBlock lets one allocation hold a Message and its first few headers.
type msgBlock struct {
	m  Message
	hs [8]Header
}

func (d *Decoder) build(cmd []byte) *Message {
	own := make([]byte, len(cmd))
	copy(own, cmd)
	// own is never written again; the strings below alias its header part, Body its tail.
	text := unsafe.String(unsafe.SliceData(own), d.hdrEnd)
	blk := new(msgBlock)
	m := &blk.m
	st := &d.start
	sub := func(f [2]int) string { return text[f[0]:f[1]] }
	m.Version, m.ID = sub(st.version), sub(st.id)
	if st.request {
		m.Method = sub(st.method)
	} else {
		m.Code, m.Phrase = st.code, sub(st.phrase)
	}
	if n := len(d.ends); n <= len(blk.hs) {
		m.Headers = blk.hs[:n:n]
	} else {
		m.Headers = make([]Header, n)
	}
	from := d.startEnd + 2
	for i, end := range d.ends {
		line := text[from:end]
		c := indexColon(line)
		m.Headers[i] = Header{Name: line[:c], Value: line[c+2:]}
		from = end + 2
	}
	if st.length > 0 {
		m.Body = own[d.hdrEnd:len(own):len(own)]
	}
	return m
}

func indexColon(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return i
		}
	}
	return -1
}

func (d *Decoder) consume(n int) {
	d.r += n
	d.off += int64(n)
}

func (d *Decoder) reset() {
	d.inCmd, d.scan, d.lineStart = false, 0, 0
	d.haveStart, d.haveHdrs, d.hdrEnd = false, false, 0
	d.ends, d.hdrErr = d.ends[:0], nil
}

func (d *Decoder) poison(e *Error) error {
	e.Fatal = true
	d.err = e
	d.buf, d.r = nil, 0
	return e
}

// checkLineLen fails when the line being read (n octets so far, CRLF excluded) is over its limit.
func (d *Decoder) checkLineLen(n int) *Error {
	if !d.haveStart {
		if n > d.lim.MaxStartLine {
			return d.poison(d.errorf(KindStartLineTooLong, d.lineStart, "", true,
				"start line longer than %d octets", d.lim.MaxStartLine)).(*Error)
		}
		return nil
	}
	if n > d.lim.MaxHeaderLine {
		return d.poison(d.errorf(KindHeaderLineTooLong, d.lineStart, "", true,
			"header line longer than %d octets", d.lim.MaxHeaderLine)).(*Error)
	}
	return nil
}

// errorf builds an Error at offset rel (relative to the command), filling in what is known of
// the start line.
func (d *Decoder) errorf(k ErrorKind, rel int, statement string, fatal bool, format string, args ...any) *Error {
	e := &Error{Kind: k, Offset: d.off + int64(rel), Statement: statement, Fatal: fatal,
		Detail: fmt.Sprintf(format, args...)}
	if d.haveStart {
		cmd := d.buf[d.r:]
		st := &d.start
		e.Version = string(cmd[st.version[0]:st.version[1]])
		e.ID = string(cmd[st.id[0]:st.id[1]])
		if st.request {
			e.Method = string(cmd[st.method[0]:st.method[1]])
		}
	}
	return e
}
