// Package wire is PRIM framing for both profiles: the client profile of
// draft-mazzoldi-prim-impp-02 (versions PRIM-PR/1.0 and PRIM-IM/1.0) and the server profile of
// draft-ietf-prim-server-00 (PRIM/1.0). See prim-digest.md §3.
//
// A [Message] is a request or a response; [Decoder] splits a byte stream into messages however
// the stream is cut, under explicit [Limits], and reports malformed framing as an [*Error] whose
// Kind works with errors.Is ([ErrBadHeaderLine], [ErrBodyTooLarge], ...); [Append] encodes one.
// Both keep header order and duplicates exactly, so a message that decodes re-encodes to the
// same bytes.
//
// The protocol's tables are data: status codes ([Phrase], [Known], [ServerOnly]), the method
// catalogue per [Profile] ([LookupMethod], [MethodSpec], [VersionFor], [VersionMatches]). And
// [Validate] / [ValidateResponse] check a decoded message against a profile, naming the digest
// §8 statement each [Violation] breaks and the §10 decision it depends on.
package wire

import "strconv"

// Well-known version tokens (prim-digest.md §3.4, Decision D1).
const (
	VersionPresence = "PRIM-PR/1.0" // I2 client profile, presence service
	VersionIM       = "PRIM-IM/1.0" // I2 client profile, IM service
	VersionServer   = "PRIM/1.0"    // SS server profile
)

// NoResponse is the request id of a request that must not be answered (§3.5).
const NoResponse = "-"

// Header is one header line: Name, then exactly ": ", then Value (§3.7.1).
type Header struct {
	Name  string
	Value string
}

// Message is one PRIM command: a request when Method is non-empty, else a response.
type Message struct {
	Method  string // request only, e.g. "SUBSCRIBE"
	Version string // e.g. "PRIM-PR/1.0"
	ID      string // request identifier, "-" for requests without a response
	Code    int    // response only, e.g. 200
	Phrase  string // response only, e.g. "OK"
	Headers []Header
	Body    []byte
}

// IsRequest reports whether m is a request.
func (m *Message) IsRequest() bool { return m.Method != "" }

// Get returns the value of the first header named name (case-sensitive, §3.7.1) and whether
// there was one.
func (m *Message) Get(name string) (string, bool) {
	for i := range m.Headers {
		if m.Headers[i].Name == name {
			return m.Headers[i].Value, true
		}
	}
	return "", false
}

// Value returns the value of the first header named name, or "".
func (m *Message) Value(name string) string {
	v, _ := m.Get(name)
	return v
}

// Count returns how many headers are named name.
func (m *Message) Count(name string) int {
	n := 0
	for i := range m.Headers {
		if m.Headers[i].Name == name {
			n++
		}
	}
	return n
}

// Add appends a header line (keeping any existing one of the same name).
func (m *Message) Add(name, value string) {
	if m.Headers == nil {
		// Most commands carry a handful of headers: one allocation instead of growing 1, 2, 4, 8.
		m.Headers = make([]Header, 0, 6)
	}
	m.Headers = append(m.Headers, Header{Name: name, Value: value})
}

// Set replaces the value of the first header named name, or appends it.
func (m *Message) Set(name, value string) {
	for i := range m.Headers {
		if m.Headers[i].Name == name {
			m.Headers[i].Value = value
			return
		}
	}
	m.Add(name, value)
}

// Del removes every header named name.
func (m *Message) Del(name string) {
	out := m.Headers[:0]
	for _, h := range m.Headers {
		if h.Name != name {
			out = append(out, h)
		}
	}
	m.Headers = out
}

// Append encodes m onto b and returns the extended buffer (§3.2-3.6): start line, header lines,
// an empty line, then exactly len(Body) octets with no trailing CRLF. The content length on the
// start line is always len(m.Body).
func Append(b []byte, m *Message) []byte {
	if m.IsRequest() {
		b = append(b, m.Method...)
		b = append(b, ' ')
		b = append(b, m.Version...)
		b = append(b, ' ')
		b = append(b, m.ID...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(len(m.Body)), 10)
	} else {
		b = append(b, m.Version...)
		b = append(b, ' ')
		b = append(b, m.ID...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(len(m.Body)), 10)
		b = append(b, ' ')
		b = appendCode(b, m.Code)
		b = append(b, ' ')
		b = append(b, m.Phrase...)
	}
	b = append(b, '\r', '\n')
	for _, h := range m.Headers {
		b = append(b, h.Name...)
		b = append(b, ':', ' ')
		b = append(b, h.Value...)
		b = append(b, '\r', '\n')
	}
	b = append(b, '\r', '\n')
	return append(b, m.Body...)
}

// Bytes returns the encoding of m in a new slice.
func (m *Message) Bytes() []byte { return Append(make([]byte, 0, m.encodedLen()), m) }

// encodedLen returns how many octets Append writes for m (an upper bound for status codes
// outside 0..999), so that Bytes allocates once.
func (m *Message) encodedLen() int {
	n := len(m.Version) + len(m.ID) + 2 + 20 + 2 // "V ID LEN" + CRLF
	if m.IsRequest() {
		n += len(m.Method) + 1
	} else {
		n += 2 + 20 + len(m.Phrase) // " CODE PHRASE"
	}
	for _, h := range m.Headers {
		n += len(h.Name) + len(h.Value) + 4
	}
	return n + 2 + len(m.Body)
}

// StartLine returns m's start line without its CRLF, as traces and findings show it.
func (m *Message) StartLine() string {
	if m.IsRequest() {
		return m.Method + " " + m.Version + " " + m.ID + " " + strconv.Itoa(len(m.Body))
	}
	return m.Version + " " + m.ID + " " + strconv.Itoa(len(m.Body)) + " " + string(appendCode(nil, m.Code)) + " " + m.Phrase
}

// appendCode writes a status code as the grammar's 3DIGIT, keeping leading zeros of codes below
// 100 so that any decoded response re-encodes to what was decoded.
func appendCode(b []byte, code int) []byte {
	if code >= 0 && code < 100 {
		b = append(b, '0')
		if code < 10 {
			b = append(b, '0')
		}
	}
	return strconv.AppendInt(b, int64(code), 10)
}
