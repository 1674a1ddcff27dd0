package cpim

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Core header names (RFC 3862 §5; rfc-digest.md §6.5). Names are case-sensitive; "cc" is
// lower case.
const (
	HeaderFrom     = "From"
	HeaderTo       = "To"
	HeaderCC       = "cc"
	HeaderDateTime = "DateTime"
	HeaderSubject  = "Subject"
	HeaderNS       = "NS"
	HeaderRequire  = "Require"
)

// Address is the value of From, To and cc: an optional display name (Formal-name) and a URI
// in angle brackets, e.g. `MR SANDERS <im:piglet@100akerwood.com>`.
type Address struct {
	Name string // display name, unescaped; "" if none
	URI  string
}

// ParseAddress parses `[ Formal-name ] "<" URI ">"` where Formal-name = 1*(Token SP) / String.
func ParseAddress(v string) (Address, error) {
	if !strings.HasSuffix(v, ">") {
		return Address{}, fmt.Errorf("%w: address %q does not end with \">\"", ErrSyntax, v)
	}
	lt := strings.LastIndexByte(v, '<')
	if lt < 0 {
		return Address{}, fmt.Errorf("%w: address %q has no \"<\"", ErrSyntax, v)
	}
	a := Address{URI: v[lt+1 : len(v)-1]}
	if a.URI == "" || strings.ContainsAny(a.URI, "<> \"") {
		return Address{}, fmt.Errorf("%w: address %q: bad URI %q", ErrSyntax, v, a.URI)
	}
	name := v[:lt]
	switch {
	case name == "":
	case strings.HasPrefix(name, `"`):
		// String, then one SP before "<" (RFC 3862 §3.2 Formal-name = String; the SP is
		// customary and optional).
		s := strings.TrimSuffix(name, " ")
		if end := quotedEnd(s); end != len(s)-1 {
			return Address{}, fmt.Errorf("%w: address %q: unterminated quoted name", ErrSyntax, v)
		}
		a.Name = Unescape(s[1 : len(s)-1])
	default:
		if !strings.HasSuffix(name, " ") {
			return Address{}, fmt.Errorf("%w: address %q: no SP between name and \"<\"", ErrSyntax, v)
		}
		for _, tok := range strings.Split(name[:len(name)-1], " ") {
			if tok == "" || !isToken(tok) {
				return Address{}, fmt.Errorf("%w: address %q: display name word %q is not a token", ErrSyntax, v, tok)
			}
		}
		a.Name = name[:len(name)-1]
	}
	return a, nil
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return s != ""
}

// String renders the address: the display name as tokens when it is plain words, otherwise as
// a quoted String with escapes.
func (a Address) String() string {
	if a.Name == "" {
		return "<" + a.URI + ">"
	}
	plain := true
	for _, w := range strings.Split(a.Name, " ") {
		if !isToken(w) {
			plain = false
			break
		}
	}
	if plain {
		return a.Name + " <" + a.URI + ">"
	}
	return Quote(a.Name) + " <" + a.URI + ">"
}

// From returns the From address (the first one; RFC 3862 From is single).
func (m *Message) From() (Address, error) {
	h, ok := m.Get(HeaderFrom)
	if !ok {
		return Address{}, fmt.Errorf("cpim: no From header")
	}
	return ParseAddress(h.Value)
}

// To returns every To address in order (To may repeat).
func (m *Message) To() ([]Address, error) { return m.addresses(HeaderTo) }

// CC returns every cc address in order.
func (m *Message) CC() ([]Address, error) { return m.addresses(HeaderCC) }

func (m *Message) addresses(name string) ([]Address, error) {
	var out []Address
	for _, h := range m.All(name) {
		a, err := ParseAddress(h.Value)
		if err != nil {
			return nil, fmt.Errorf("cpim: %s: %w", name, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// ParseDateTime parses an RFC 3339 date-time (the ISO 8601 profile of DateTime, Decision D24).
// Lower-case "t" and "z" are accepted on input.
func ParseDateTime(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(v))
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: DateTime %q: %w", ErrSyntax, v, err)
	}
	return t, nil
}

// FormatDateTime renders t as RFC 3339 with upper-case T and Z, keeping t's zone offset.
func FormatDateTime(t time.Time) string { return t.Format(time.RFC3339Nano) }

// DateTime returns the parsed DateTime header.
func (m *Message) DateTime() (time.Time, bool, error) {
	h, ok := m.Get(HeaderDateTime)
	if !ok {
		return time.Time{}, false, nil
	}
	t, err := ParseDateTime(h.Value)
	return t, true, err
}

// Subject is one Subject header: its language tag ("" = i-default) and decoded text.
type Subject struct {
	Lang string
	Text string
}

// Subjects returns every Subject header (one per language, RFC 3862 §5.5).
func (m *Message) Subjects() []Subject {
	var out []Subject
	for _, h := range m.All(HeaderSubject) {
		out = append(out, Subject{Lang: h.Lang(), Text: h.Text()})
	}
	return out
}

// AddSubject appends a Subject header with an optional language tag.
func (m *Message) AddSubject(lang, text string) {
	var params []string
	if lang != "" {
		params = []string{"lang=" + lang}
	}
	m.Add(HeaderSubject, Escape(text), params...)
}

// Namespace is one NS declaration: Prefix "" changes the default namespace.
type Namespace struct {
	Prefix string
	URI    string
}

// ParseNS parses the value of an NS header: `[ Name-prefix SP ] "<" URI ">"`.
func ParseNS(v string) (Namespace, error) {
	var ns Namespace
	rest := v
	if !strings.HasPrefix(v, "<") {
		p, r, ok := strings.Cut(v, " ")
		if !ok || !isToken(p) || strings.Contains(p, ".") {
			return Namespace{}, fmt.Errorf("%w: NS %q: bad prefix", ErrSyntax, v)
		}
		ns.Prefix, rest = p, r
	}
	if !strings.HasPrefix(rest, "<") || !strings.HasSuffix(rest, ">") || len(rest) < 3 {
		return Namespace{}, fmt.Errorf("%w: NS %q: URI must be in angle brackets", ErrSyntax, v)
	}
	ns.URI = rest[1 : len(rest)-1]
	// An absolute URI, no fragment (RFC 3862 §3.3).
	if i := strings.IndexByte(ns.URI, ':'); i <= 0 || strings.ContainsAny(ns.URI, "# <>") {
		return Namespace{}, fmt.Errorf("%w: NS %q: %q is not an absolute URI without fragment", ErrSyntax, v, ns.URI)
	}
	return ns, nil
}

// String renders the NS value.
func (ns Namespace) String() string {
	if ns.Prefix == "" {
		return "<" + ns.URI + ">"
	}
	return ns.Prefix + " <" + ns.URI + ">"
}

// Require returns the header names and feature tokens listed in Require headers.
func (m *Message) Require() []string {
	var out []string
	for _, h := range m.All(HeaderRequire) {
		for _, n := range strings.Split(h.Value, ",") {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// Resolved is a header with the namespace URI it belongs to.
type Resolved struct {
	Header
	Namespace string // namespace URI
	URN       string // Namespace + the header's local name, e.g. urn:ietf:params:cpim-headers:From
}

// Resolve maps every message header to its namespace. NS headers apply to the headers after
// them; a prefix used before its NS declaration is an error (RFC 3862 §3.3, rfc-digest.md §6.7).
func (m *Message) Resolve() ([]Resolved, error) {
	prefixes := map[string]string{}
	def := DefaultNamespace
	out := make([]Resolved, 0, len(m.Headers))
	for _, h := range m.Headers {
		ns := def
		if p := h.Prefix(); p != "" {
			u, ok := prefixes[p]
			if !ok {
				return nil, fmt.Errorf("%w: header %q uses prefix %q before its NS declaration", ErrSyntax, h.Name, p)
			}
			ns = u
		}
		out = append(out, Resolved{Header: h, Namespace: ns, URN: ns + h.LocalName()})
		if h.Name == HeaderNS && ns == DefaultNamespace {
			d, err := ParseNS(h.Value)
			if err != nil {
				return nil, err
			}
			if d.Prefix == "" {
				def = d.URI
			} else {
				prefixes[d.Prefix] = d.URI
			}
		}
	}
	return out, nil
}

// Recognizer reports whether an application understands a header (by namespace URI and local
// name) or a Require feature token.
type Recognizer func(namespace, name string) bool

// CoreRecognizer recognises the core headers of RFC 3862 §5.
func CoreRecognizer(namespace, name string) bool {
	if namespace != DefaultNamespace {
		return false
	}
	switch name {
	case HeaderFrom, HeaderTo, HeaderCC, HeaderDateTime, HeaderSubject, HeaderNS, HeaderRequire:
		return true
	}
	return false
}

// ErrNotUnderstood is wrapped when Require names something the recipient does not recognise;
// what to do then is the application profile's choice (rfc-digest.md §6.4).
var ErrNotUnderstood = errors.New("cpim: required header not understood")

// CheckRequire resolves the headers and checks that every name listed in Require is
// recognised. A Require entry "prefix.Name" resolves through the NS declarations in force at
// the Require header.
func (m *Message) CheckRequire(recognise Recognizer) error {
	if recognise == nil {
		recognise = CoreRecognizer
	}
	prefixes := map[string]string{}
	def := DefaultNamespace
	for _, h := range m.Headers {
		switch {
		case h.Name == HeaderNS:
			d, err := ParseNS(h.Value)
			if err != nil {
				return err
			}
			if d.Prefix == "" {
				def = d.URI
			} else {
				prefixes[d.Prefix] = d.URI
			}
		case h.Name == HeaderRequire:
			for _, n := range strings.Split(h.Value, ",") {
				n = strings.TrimSpace(n)
				if n == "" {
					continue
				}
				ns, local := def, n
				if p, l, ok := strings.Cut(n, "."); ok {
					u, known := prefixes[p]
					if !known {
						return fmt.Errorf("%w: Require names %q with undeclared prefix %q", ErrSyntax, n, p)
					}
					ns, local = u, l
				}
				if !recognise(ns, local) {
					return fmt.Errorf("%w: %q (namespace %q)", ErrNotUnderstood, n, ns)
				}
			}
		}
	}
	return nil
}

// Validate checks what a compliance test expects of a generated object (rfc-digest.md §6.7):
// an outer Content-Type of message/cpim, From and To present and well-formed, DateTime valid if
// present, prefixes declared before use, and an inner Content-Type.
func (m *Message) Validate() error {
	ct, ok := MIMEValue(m.MIME, "Content-Type")
	if !ok || !strings.EqualFold(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]), MediaType) {
		return fmt.Errorf("cpim: outer Content-Type %q is not %s", ct, MediaType)
	}
	if _, err := m.From(); err != nil {
		return err
	}
	to, err := m.To()
	if err != nil {
		return err
	}
	if len(to) == 0 {
		return fmt.Errorf("cpim: no To header")
	}
	if _, _, err := m.DateTime(); err != nil {
		return err
	}
	if _, err := m.Resolve(); err != nil {
		return err
	}
	if _, ok := MIMEValue(m.Content, "Content-Type"); !ok {
		return fmt.Errorf("cpim: encapsulated entity has no Content-Type (RFC 3862 §3.4)")
	}
	return nil
}

// quotedEnd returns the index of the quote closing the "-delimited string that starts s, or -1.
func quotedEnd(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}
