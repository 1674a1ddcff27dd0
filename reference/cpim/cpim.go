// Package cpim parses and formats message/cpim objects (RFC 3862; rfc-digest.md §6,
// prim-digest.md §5.7): the MIME headers of the object, a blank line, the message headers, a
// blank line, and the encapsulated MIME entity (its headers, a blank line, its body).
//
// Message headers are kept octet for octet, in order, duplicates included (RFC 3862 §3.1: they
// MUST NOT be modified or reordered), so Format(Parse(x)) == x for every valid object. Typed
// views (From, To, DateTime, Subject with ;lang=, NS, Require) decode them on demand, and
// Resolve maps each header to its namespace URI.
package cpim

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// MediaType is the media type of a CPIM object (compare case-insensitively; RFC 3862 registers
// it as "Message/CPIM").
const MediaType = "message/cpim"

// DefaultNamespace is the namespace of unprefixed headers until an NS header without prefix
// changes it (RFC 3862 §3.3, rfc-digest.md §6.4).
const DefaultNamespace = "urn:ietf:params:cpim-headers:"

// MIMEHeader is one header of the outer object or of the encapsulated entity, RFC 2045 style.
// Value is the text after the colon without the leading whitespace; a folded header keeps its
// CRLF and the continuation's whitespace inside Value.
type MIMEHeader struct {
	Name  string
	Value string
}

// Header is one CPIM message header, exactly as written: Name (with its "prefix." if any),
// Params (each parameter without its leading ";", e.g. "lang=fr"), Value (still escaped).
type Header struct {
	Name   string
	Params []string
	Value  string
}

// Message is a whole message/cpim object.
type Message struct {
	MIME    []MIMEHeader // outer MIME headers, at least Content-Type: message/cpim
	Headers []Header     // CPIM message headers, in order
	Content []MIMEHeader // headers of the encapsulated MIME entity (at least Content-Type)
	Body    []byte       // body of the encapsulated MIME entity, to the end of the object
}

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("cpim: syntax error")

// Limits bound what Parse accepts from a peer.
type Limits struct {
	MaxHeaders int // per section; 0 = DefaultLimits.MaxHeaders
}

// DefaultLimits are the limits Parse uses.
var DefaultLimits = Limits{MaxHeaders: 1000}

// Parse parses a whole message/cpim object with DefaultLimits. Lines end in CRLF.
func Parse(b []byte) (*Message, error) { return ParseLimits(b, DefaultLimits) }

// ParseLimits parses a whole message/cpim object.
func ParseLimits(b []byte, lim Limits) (*Message, error) {
	if lim.MaxHeaders <= 0 {
		lim.MaxHeaders = DefaultLimits.MaxHeaders
	}
	m := &Message{}
	rest := b
	var err error
	if m.MIME, rest, err = parseMIMEBlock(rest, "MIME header", lim); err != nil {
		return nil, err
	}
	for n := 0; ; n++ {
		line, after, ok := cutLine(rest)
		if !ok {
			return nil, fmt.Errorf("%w: message headers not ended by a blank line", ErrSyntax)
		}
		rest = after
		if len(line) == 0 {
			break
		}
		if n >= lim.MaxHeaders {
			return nil, fmt.Errorf("%w: more than %d message headers", ErrSyntax, lim.MaxHeaders)
		}
		h, err := ParseHeader(string(line))
		if err != nil {
			return nil, err
		}
		m.Headers = append(m.Headers, h)
	}
	if m.Content, rest, err = parseMIMEBlock(rest, "content header", lim); err != nil {
		return nil, err
	}
	m.Body = rest
	return m, nil
}

// cutLine splits off one CRLF-terminated line.
func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.Index(b, []byte("\r\n"))
	if i < 0 {
		return nil, b, false
	}
	return b[:i], b[i+2:], true
}

func parseMIMEBlock(b []byte, what string, lim Limits) ([]MIMEHeader, []byte, error) {
	var hs []MIMEHeader
	for {
		line, rest, ok := cutLine(b)
		if !ok {
			return nil, nil, fmt.Errorf("%w: %ss not ended by a blank line", ErrSyntax, what)
		}
		b = rest
		if len(line) == 0 {
			return hs, b, nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(hs) == 0 {
				return nil, nil, fmt.Errorf("%w: %s continuation %q before any header", ErrSyntax, what, line)
			}
			hs[len(hs)-1].Value += "\r\n" + string(line)
			continue
		}
		if len(hs) >= lim.MaxHeaders {
			return nil, nil, fmt.Errorf("%w: more than %d %ss", ErrSyntax, lim.MaxHeaders, what)
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return nil, nil, fmt.Errorf("%w: %s %q has no name and colon", ErrSyntax, what, line)
		}
		name := string(line[:colon])
		if i := badNameChar(name, false); i >= 0 {
			return nil, nil, fmt.Errorf("%w: %s name %q: bad character %q", ErrSyntax, what, name, name[i])
		}
		hs = append(hs, MIMEHeader{Name: name, Value: strings.TrimLeft(string(line[colon+1:]), " \t")})
	}
}

// ParseHeader parses one message-header line (without CRLF) under RFC 3862 §3.1:
// Header-name ":" *(";" Parameter) SP Header-value, exactly one SP, no leading or trailing
// whitespace, no control characters, names free of separators.
func ParseHeader(line string) (Header, error) {
	if line == "" {
		return Header{}, fmt.Errorf("%w: empty header line", ErrSyntax)
	}
	for i := 0; i < len(line); i++ {
		if c := line[i]; c < 0x20 || c == 0x7f {
			return Header{}, fmt.Errorf("%w: header %q: control character %q at offset %d (must be escaped)", ErrSyntax, line, c, i)
		}
	}
	if line[0] == ' ' || line[0] == '\t' {
		return Header{}, fmt.Errorf("%w: header %q starts with whitespace (no folding)", ErrSyntax, line)
	}
	if e := line[len(line)-1]; e == ' ' || e == '\t' {
		return Header{}, fmt.Errorf("%w: header %q ends with whitespace", ErrSyntax, line)
	}
	colon := strings.IndexByte(line, ':')
	if colon <= 0 {
		return Header{}, fmt.Errorf("%w: header %q has no name and colon", ErrSyntax, line)
	}
	name := line[:colon]
	if i := badNameChar(name, true); i >= 0 {
		return Header{}, fmt.Errorf("%w: header name %q: bad character %q", ErrSyntax, name, name[i])
	}
	rest := line[colon+1:]
	sp := strings.IndexByte(rest, ' ')
	if sp < 0 {
		return Header{}, fmt.Errorf("%w: header %q: no SP before the value", ErrSyntax, line)
	}
	h := Header{Name: name, Value: rest[sp+1:]}
	if params := rest[:sp]; params != "" {
		if params[0] != ';' {
			return Header{}, fmt.Errorf("%w: header %q: expected \": \" or \":;param\"", ErrSyntax, line)
		}
		for _, p := range strings.Split(params[1:], ";") {
			if p == "" {
				return Header{}, fmt.Errorf("%w: header %q: empty parameter", ErrSyntax, line)
			}
			h.Params = append(h.Params, p)
		}
	}
	if strings.HasPrefix(h.Value, " ") {
		return Header{}, fmt.Errorf("%w: header %q: more than one SP after the colon", ErrSyntax, line)
	}
	return h, nil
}

// badNameChar returns the index of the first character not allowed in a header name, or -1.
// Names are US-ASCII without controls, SP and the separators ( ) < > @ , ; : \ " / [ ] ? = { }.
// In CPIM headers "." is the prefix separator: at most one, not first or last.
func badNameChar(name string, cpimHeader bool) int {
	dots := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return i
		}
		if c == '.' && cpimHeader {
			dots++
			if dots > 1 || i == 0 || i == len(name)-1 {
				return i
			}
		}
	}
	return -1
}

// String renders the header line without CRLF.
func (h Header) String() string {
	var b strings.Builder
	b.WriteString(h.Name)
	b.WriteByte(':')
	for _, p := range h.Params {
		b.WriteByte(';')
		b.WriteString(p)
	}
	b.WriteByte(' ')
	b.WriteString(h.Value)
	return b.String()
}

// Prefix returns the namespace prefix of the header name ("" if none).
func (h Header) Prefix() string {
	if i := strings.IndexByte(h.Name, '.'); i >= 0 {
		return h.Name[:i]
	}
	return ""
}

// LocalName returns the header name without its prefix.
func (h Header) LocalName() string {
	if i := strings.IndexByte(h.Name, '.'); i >= 0 {
		return h.Name[i+1:]
	}
	return h.Name
}

// Lang returns the value of the lang parameter ("" if absent; the text is then i-default).
func (h Header) Lang() string {
	for _, p := range h.Params {
		if k, v, ok := strings.Cut(p, "="); ok && strings.EqualFold(k, "lang") {
			return v
		}
	}
	return ""
}

// Text returns the value with the escapes of RFC 3862 §3.2 decoded.
func (h Header) Text() string { return Unescape(h.Value) }

// Format renders the whole object; it is the inverse of Parse for valid input.
func (m *Message) Format() []byte { return m.AppendTo(nil) }

// AppendTo appends the rendered object to b.
func (m *Message) AppendTo(b []byte) []byte {
	b = appendMIME(b, m.MIME)
	for _, h := range m.Headers {
		b = append(b, h.String()...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	b = appendMIME(b, m.Content)
	return append(b, m.Body...)
}

func appendMIME(b []byte, hs []MIMEHeader) []byte {
	for _, h := range hs {
		b = append(b, h.Name...)
		b = append(b, ": "...)
		b = append(b, h.Value...)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...)
}

// MIMEValue returns the first value of a MIME header in hs, matching the name
// case-insensitively (RFC 2045).
func MIMEValue(hs []MIMEHeader, name string) (string, bool) {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

// ContentType returns the Content-Type of the encapsulated entity.
func (m *Message) ContentType() string {
	v, _ := MIMEValue(m.Content, "Content-Type")
	return v
}

// Get returns the first message header whose name is exactly name (names are case-sensitive,
// RFC 3862 §3.1: "from" is not "From").
func (m *Message) Get(name string) (Header, bool) {
	for _, h := range m.Headers {
		if h.Name == name {
			return h, true
		}
	}
	return Header{}, false
}

// All returns every message header named exactly name, in order.
func (m *Message) All(name string) []Header {
	var out []Header
	for _, h := range m.Headers {
		if h.Name == name {
			out = append(out, h)
		}
	}
	return out
}

// Add appends a message header.
func (m *Message) Add(name, value string, params ...string) {
	m.Headers = append(m.Headers, Header{Name: name, Params: params, Value: value})
}
