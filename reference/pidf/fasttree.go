package pidf

import (
	"encoding/xml"
	"unicode/utf8"
)

// fastTree is parseTree's fast path for the plain documents engines exchange: elements,
// quoted attributes, ASCII or valid UTF-8 text, the five predefined entities and ASCII
// character references, and an optional `<?xml version="1.0" encoding="UTF-8"?>` declaration.
// It builds exactly the tree encoding/xml would (before resolveNames) and reports false on
// anything else (comments, CDATA, DOCTYPE, other processing instructions, CR characters,
// unusual names, limits reached, any error), leaving the document to the full parser, which
// then decides and words the error. It never rejects a document itself.
func fastTree(b []byte, lim Limits) (*node, bool) {
	p := fastParser{b: b, lim: lim}
	return p.document()
}

type fastParser struct {
	b     []byte
	i     int
	lim   Limits
	count int
	stack []*node
	raw   []string // raw (prefixed) names of the open elements, for matching end tags
	buf   []byte   // scratch for decoded text
	slab  []node   // nodes are handed out from here, a few per allocation
}

// newNode returns a zero node from the slab (the tree keeps pointers into it; slab elements are
// never copied once handed out).
func (p *fastParser) newNode() *node {
	if len(p.slab) == 0 {
		p.slab = make([]node, 8)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	return n
}

// commonNames interns the element and attribute names of the PRIM, CPIM-PIDF and PIDF
// vocabularies.
var commonNames = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{"presence", "presentity", "tuple", "status", "value", "basic", "contact",
		"note", "timestamp", "display-name", "preference", "priority", "id", "identifier", "date",
		"address", "xmlns", "xml:lang", "mustUnderstand", "acl", "entry", "class", "classes",
		"subscribers", "subscriber", "right", "rights", "name", "type"} {
		m[s] = s
	}
	return m
}()

var xmlDecls = []string{
	`<?xml version="1.0" encoding="UTF-8"?>`,
	`<?xml version="1.0"?>`,
}

func (p *fastParser) document() (*node, bool) {
	for _, d := range xmlDecls {
		if len(p.b) >= len(d) && string(p.b[:len(d)]) == d {
			p.i = len(d)
			break
		}
	}
	var root *node
	for {
		p.skipSpace()
		if p.i >= len(p.b) {
			break
		}
		if root != nil || p.b[p.i] != '<' {
			return nil, false // a second root, text outside the root, or anything unusual
		}
		n, ok := p.element()
		if !ok {
			return nil, false
		}
		root = n
	}
	return root, root != nil
}

func (p *fastParser) skipSpace() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n':
			p.i++
		default:
			return
		}
	}
}

// element parses from '<' to the end of the matching end tag, iteratively.
func (p *fastParser) element() (*node, bool) {
	var root *node
	for {
		// p.b[p.i] == '<' here.
		if p.i+1 >= len(p.b) {
			return nil, false
		}
		if p.b[p.i+1] == '/' {
			if !p.endTag() {
				return nil, false
			}
		} else {
			n, ok := p.startTag()
			if !ok {
				return nil, false
			}
			if root == nil {
				root = n
			}
		}
		if len(p.stack) == 0 {
			return root, true
		}
		if !p.text(p.stack[len(p.stack)-1]) {
			return nil, false
		}
	}
}

func (p *fastParser) startTag() (*node, bool) {
	p.i++ // '<'
	raw, name, ok := p.name()
	if !ok {
		return nil, false
	}
	p.count++
	if p.count > p.lim.MaxElements || len(p.stack) >= p.lim.MaxDepth {
		return nil, false
	}
	n := p.newNode()
	n.name = name
	for {
		sp := p.i
		p.skipSpace()
		if p.i >= len(p.b) {
			return nil, false
		}
		c := p.b[p.i]
		if c == '>' || c == '/' {
			break
		}
		if p.i == sp {
			return nil, false // attributes must be separated by white space
		}
		_, an, ok := p.name()
		if !ok {
			return nil, false
		}
		p.skipSpace()
		if p.i >= len(p.b) || p.b[p.i] != '=' {
			return nil, false
		}
		p.i++
		p.skipSpace()
		v, ok := p.attrValue()
		if !ok {
			return nil, false
		}
		n.attr = append(n.attr, xml.Attr{Name: an, Value: v})
	}
	if len(p.stack) > 0 {
		parent := p.stack[len(p.stack)-1]
		parent.kids = append(parent.kids, n)
	}
	if p.b[p.i] == '/' {
		if p.i+1 >= len(p.b) || p.b[p.i+1] != '>' {
			return nil, false
		}
		p.i += 2
		return n, true // empty element: opened and closed
	}
	p.i++ // '>'
	p.stack = append(p.stack, n)
	p.raw = append(p.raw, raw)
	return n, true
}

func (p *fastParser) endTag() bool {
	p.i += 2 // "</"
	raw, _, ok := p.name()
	if !ok || len(p.stack) == 0 || raw != p.raw[len(p.raw)-1] {
		return false
	}
	p.skipSpace()
	if p.i >= len(p.b) || p.b[p.i] != '>' {
		return false
	}
	p.i++
	p.stack = p.stack[:len(p.stack)-1]
	p.raw = p.raw[:len(p.raw)-1]
	return true
}

// name reads an ASCII XML name with at most one colon inside it, split as encoding/xml does.
func (p *fastParser) name() (string, xml.Name, bool) {
	start := p.i
	colon := -1
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9', c == '.', c == '-':
			if p.i == start {
				return "", xml.Name{}, false
			}
		case c == ':':
			if colon >= 0 || p.i == start {
				return "", xml.Name{}, false
			}
			colon = p.i
		default:
			goto done
		}
		p.i++
	}
done:
	if p.i == start || colon == p.i-1 {
		return "", xml.Name{}, false
	}
	if p.i < len(p.b) && p.b[p.i] >= utf8.RuneSelf {
		return "", xml.Name{}, false // a non-ASCII name character: leave it to encoding/xml
	}
	raw, ok := commonNames[string(p.b[start:p.i])] // no allocation for the usual names
	if !ok {
		raw = string(p.b[start:p.i])
	}
	if colon < 0 {
		return raw, xml.Name{Local: raw}, true
	}
	k := colon - start
	return raw, xml.Name{Space: raw[:k], Local: raw[k+1:]}, true
}

func (p *fastParser) attrValue() (string, bool) {
	if p.i >= len(p.b) {
		return "", false
	}
	q := p.b[p.i]
	if q != '"' && q != '\'' {
		return "", false
	}
	p.i++
	start := p.i
	for p.i < len(p.b) && p.b[p.i] != q {
		p.i++
	}
	if p.i >= len(p.b) {
		return "", false
	}
	v, ok := p.decode(p.b[start:p.i], true)
	p.i++ // closing quote
	return v, ok
}

// text appends the character data up to the next '<' to n.
func (p *fastParser) text(n *node) bool {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] != '<' {
		p.i++
	}
	if p.i >= len(p.b) {
		return false // unclosed element
	}
	if p.i+1 < len(p.b) && (p.b[p.i+1] == '!' || p.b[p.i+1] == '?') {
		return false // comment, CDATA, directive or processing instruction
	}
	if p.i == start {
		return true
	}
	seg := p.b[start:p.i]
	if !needsDecoding(seg) {
		if !plainText(seg) {
			return false
		}
		n.text.Write(seg)
		return true
	}
	s, ok := p.decode(seg, false)
	if !ok {
		return false
	}
	n.text.WriteString(s)
	return true
}

func needsDecoding(s []byte) bool {
	for _, c := range s {
		if c == '&' {
			return true
		}
	}
	return false
}

// plainText reports whether s is character data encoding/xml takes as it is: no CR (it would
// be normalised), no control characters, valid UTF-8 in the XML character range, no "]]>".
func plainText(s []byte) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' || c == '<' || c == '&' {
				return false
			}
			if c == '>' && i >= 2 && s[i-1] == ']' && s[i-2] == ']' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += size
	}
	return true
}

// decode resolves the predefined entities and ASCII character references in s.
func (p *fastParser) decode(s []byte, attr bool) (string, bool) {
	out := p.buf[:0]
	for i := 0; i < len(s); {
		c := s[i]
		if c != '&' {
			j := i
			for j < len(s) && s[j] != '&' {
				j++
			}
			if !plainText(s[i:j]) || attr && containsByte(s[i:j], '<') {
				return "", false
			}
			out = append(out, s[i:j]...)
			i = j
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != ';' && j-i < 12 {
			j++
		}
		if j >= len(s) || s[j] != ';' {
			return "", false
		}
		r, ok := entity(string(s[i+1 : j]))
		if !ok {
			return "", false
		}
		out = append(out, r)
		i = j + 1
	}
	p.buf = out
	return string(out), true
}

func containsByte(s []byte, b byte) bool {
	for _, c := range s {
		if c == b {
			return true
		}
	}
	return false
}

// entity returns the ASCII character an entity or character reference names; anything else
// (other entities, references to non-ASCII or control characters) is left to encoding/xml.
func entity(name string) (byte, bool) {
	switch name {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	if len(name) < 2 || name[0] != '#' {
		return 0, false
	}
	v, base, digits := 0, 10, name[1:]
	if digits[0] == 'x' {
		base, digits = 16, digits[1:]
	}
	if digits == "" {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = int(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = int(c-'A') + 10
		default:
			return 0, false
		}
		v = v*base + d
		if v > 0x7f {
			return 0, false
		}
	}
	if v < 0x20 && v != '\t' && v != '\n' && v != '\r' {
		return 0, false
	}
	return byte(v), true
}
