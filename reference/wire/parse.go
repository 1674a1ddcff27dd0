package wire

import (
	"bytes"
	"unicode/utf8"
)

// parseStart parses the start line, which begins the command (offset 0), into d.start
// (prim-digest.md §3.3). It fails fatally when the command's length cannot be known (wrong
// field count, bad or too large content-length, control characters), and non-fatally when only
// a field's syntax is wrong.
func (d *Decoder) parseStart(line []byte) *Error {
	if i := indexControl(line); i >= 0 {
		return d.errorf(KindBadStartLine, i, "PRIM-A8.1-3", true, "control character %q in start line", line[i])
	}
	var sp [4]int // positions of the first four SPs
	n := 0
	for i, b := range line {
		if b == ' ' {
			sp[n] = i
			n++
			if n == len(sp) {
				break
			}
		}
	}
	first := bytes.IndexByte(line, ' ')
	if first < 0 {
		first = len(line)
	}
	st := &d.start
	*st = start{}
	var lenField [2]int
	if bytes.IndexByte(line[:first], '/') < 0 {
		// request-line = method SP version SP request-identifier SP content-length
		if n != 3 || emptyField(line, sp[:3]) {
			return d.errorf(KindBadStartLine, 0, "PRIM-A8.2-1", true,
				"request line %q is not METHOD SP VERSION SP ID SP LENGTH", line)
		}
		st.request = true
		st.method = [2]int{0, sp[0]}
		st.version = [2]int{sp[0] + 1, sp[1]}
		st.id = [2]int{sp[1] + 1, sp[2]}
		lenField = [2]int{sp[2] + 1, len(line)}
	} else {
		// response-line = version SP request-identifier SP content-length SP status-code SP phrase
		if n != 4 || emptyField(line, sp[:4]) {
			return d.errorf(KindBadStartLine, 0, "PRIM-A8.3-1", true,
				"response line %q is not VERSION SP ID SP LENGTH SP CODE SP PHRASE", line)
		}
		st.version = [2]int{0, sp[0]}
		st.id = [2]int{sp[0] + 1, sp[1]}
		lenField = [2]int{sp[1] + 1, sp[2]}
		st.phrase = [2]int{sp[3] + 1, len(line)}
	}
	d.haveStart = true
	stmt := "PRIM-A8.3-1"
	if st.request {
		stmt = "PRIM-A8.2-1"
	}

	// PRIM-A8.2.4-1: content-length = 1*DIGIT, the body length in octets.
	lf := line[lenField[0]:lenField[1]]
	length, ok := parseDigits(lf, d.lim.MaxBody)
	switch {
	case !ok && allDigits(lf):
		return d.errorf(KindBodyTooLarge, lenField[0], "", true,
			"content-length %q over the limit of %d octets", lf, d.lim.MaxBody)
	case !ok:
		return d.errorf(KindBadContentLength, lenField[0], "PRIM-A8.2.4-1", true,
			"content-length %q is not 1*DIGIT", lf)
	}
	st.length = length

	if st.request {
		if m := line[st.method[0]:st.method[1]]; !isMethodToken(m) {
			return d.errorf(KindBadStartLine, 0, stmt, false, "method %q is not an upper-case token", m)
		}
	} else {
		code := line[sp[2]+1 : sp[3]]
		if len(code) != 3 || !allDigits(code) {
			return d.errorf(KindBadStatus, sp[2]+1, stmt, false, "status code %q is not 3DIGIT", code)
		}
		st.code = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	}
	if v := line[st.version[0]:st.version[1]]; !isVersionToken(v) {
		return d.errorf(KindBadVersion, st.version[0], stmt, false,
			"version %q is not NAME/DIGITS.DIGITS", v)
	}
	if id := line[st.id[0]:st.id[1]]; !isIDToken(id) {
		return d.errorf(KindBadID, st.id[0], "PRIM-A8.2.3-1", false,
			"request id %q is not 1*(ALPHA / DIGIT) or \"-\" (Decision D5)", id)
	} else if len(id) > d.lim.MaxIDLen {
		return d.errorf(KindBadID, st.id[0], "", false,
			"request id of %d characters is over the limit of %d (Decision D5)", len(id), d.lim.MaxIDLen)
	}
	if !st.request && !utf8.Valid(line[st.phrase[0]:st.phrase[1]]) {
		return d.errorf(KindInvalidUTF8, st.phrase[0], "PRIM-A8.1-1", false, "response phrase is not UTF-8")
	}
	return nil
}

func emptyField(line []byte, sp []int) bool {
	prev := -1
	for _, p := range sp {
		if p == prev+1 {
			return true
		}
		prev = p
	}
	return prev == len(line)-1 && len(sp) == 3 // a request's last field may not be empty
}

// checkHeader applies the CPIM-MSG header line rules PRIM inherits (§3.7.1, PRIM-A8.1.1-1,
// PRIM-A8.1.1-2, PRIM-S5.1.1-1) to one header line at offset rel in the command.
func (d *Decoder) checkHeader(line []byte, rel int) *Error {
	c, ascii := -1, true
	for i, b := range line { // one pass: control characters, non-ASCII, the first colon
		switch {
		case b < 0x20:
			return d.errorf(KindBadHeaderLine, rel+i, "PRIM-A8.1.1-2", false,
				"control character %q in header line", b)
		case b >= 0x80:
			ascii = false
		case b == ':' && c < 0:
			c = i
		}
	}
	if !ascii && !utf8.Valid(line) {
		return d.errorf(KindInvalidUTF8, rel, "PRIM-A8.1-1", false, "header line %q is not UTF-8", line)
	}
	if c < 0 || c+1 == len(line) || line[c+1] != ' ' {
		return d.errorf(KindBadHeaderLine, rel, "PRIM-A8.1.1-1", false,
			"header line %q has no \": \" after the name", line)
	}
	if c == 0 {
		return d.errorf(KindBadHeaderLine, rel, "PRIM-A8.1.1-1", false, "header line %q has an empty name", line)
	}
	for i := 0; i < c; i++ {
		if !isNameChar(line[i]) {
			return d.errorf(KindBadHeaderLine, rel+i, "PRIM-A8.1.1-1", false,
				"header name %q contains %q", line[:c], line[i])
		}
	}
	v := line[c+2:]
	switch {
	case len(v) == 0:
		return d.errorf(KindBadHeaderLine, rel, "PRIM-A8.1.1-1", false, "header %q has an empty value", line[:c])
	case v[0] == ' ':
		return d.errorf(KindBadHeaderLine, rel+c+2, "PRIM-A8.1.1-1", false,
			"header %q has more than one space after the colon", line[:c])
	case v[len(v)-1] == ' ':
		return d.errorf(KindBadHeaderLine, rel+len(line)-1, "PRIM-A8.1.1-1", false,
			"header %q ends in white space", line[:c])
	}
	return nil
}

// indexControl returns the index of the first octet 0-31 (CPIM-MSG control characters, which
// include TAB, CR and a bare LF), or -1.
func indexControl(b []byte) int {
	for i, c := range b {
		if c < 0x20 {
			return i
		}
	}
	return -1
}

// isNameChar reports whether c may appear in a header name: US-ASCII visible characters except
// the separators ( ) < > @ , ; : \ " / [ ] ? = { } (§3.7.1).
func isNameChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	switch c {
	case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}':
		return false
	}
	return true
}

func isMethodToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// isVersionToken reports whether b is NAME "/" 1*DIGIT "." 1*DIGIT, NAME starting with a letter
// and made of letters, digits and "-" (covers PRIM-PR, PRIM-IM, PRIM and the historical PP/IMP).
func isVersionToken(b []byte) bool {
	slash := bytes.IndexByte(b, '/')
	if slash < 1 || !isAlpha(b[0]) {
		return false
	}
	for _, c := range b[:slash] {
		if !isAlpha(c) && !isDigit(c) && c != '-' {
			return false
		}
	}
	num := b[slash+1:]
	dot := bytes.IndexByte(num, '.')
	return dot > 0 && allDigits(num[:dot]) && dot+1 < len(num) && allDigits(num[dot+1:])
}

// isIDToken reports whether b is 1*(ALPHA / DIGIT) or "-" (Decision D5).
func isIDToken(b []byte) bool {
	if len(b) == 1 && b[0] == '-' {
		return true
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isAlpha(c) && !isDigit(c) {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// parseDigits parses 1*DIGIT into a value no larger than limit; ok is false for a non-digit or
// a value above limit, without ever overflowing.
func parseDigits(b []byte, limit int) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int(c-'0')
		if n > limit {
			return 0, false
		}
	}
	return n, true
}
