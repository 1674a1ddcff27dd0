package client

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"regexp"
	"strconv"
	"strings"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
	"github.com/primlab/primlab/suite/harness"
)

// ua fills in the role and profile of a client-role case: the target is a user agent on the
// client profile (Decision D1).
func ua(m reports.CaseMeta) reports.CaseMeta {
	m.Role = harness.RoleClient
	m.Profile = harness.ProfileClient
	return m
}

// rawCommand is one command as the octets on the wire showed it, before any decoding
// leniency: the start line, the header lines exactly as sent, the body.
type rawCommand struct {
	StartLine string
	Headers   []string
	Body      []byte
}

// splitRaw cuts a byte stream into commands by the I2 §8 framing alone: CRLF-terminated start
// line and header lines, an empty line, then content-length octets (the last field of a
// request line, the third of a response line). Empty lines before a start line are skipped
// (PRIM-A8.1-4).
func splitRaw(raw []byte) ([]rawCommand, error) {
	var out []rawCommand
	for len(raw) > 0 {
		for bytes.HasPrefix(raw, []byte("\r\n")) {
			raw = raw[2:]
		}
		if len(raw) == 0 {
			break
		}
		i := bytes.Index(raw, []byte("\r\n"))
		if i < 0 {
			return out, fmt.Errorf("unterminated start line %q", raw)
		}
		rc := rawCommand{StartLine: string(raw[:i])}
		raw = raw[i+2:]
		fields := strings.Split(rc.StartLine, " ")
		lenField := ""
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "/"):
			lenField = fields[2]
		case len(fields) == 4:
			lenField = fields[3]
		default:
			return out, fmt.Errorf("start line %q is neither method SP version SP id SP length nor version SP id SP length SP code SP phrase", rc.StartLine)
		}
		n, err := strconv.Atoi(lenField)
		if err != nil || n < 0 || strings.TrimLeft(lenField, "0123456789") != "" {
			return out, fmt.Errorf("start line %q: content-length %q is not a decimal number", rc.StartLine, lenField)
		}
		for {
			j := bytes.Index(raw, []byte("\r\n"))
			if j < 0 {
				return out, fmt.Errorf("%q: unterminated header block", rc.StartLine)
			}
			line := string(raw[:j])
			raw = raw[j+2:]
			if line == "" {
				break
			}
			rc.Headers = append(rc.Headers, line)
		}
		if len(raw) < n {
			return out, fmt.Errorf("%q announces %d body octets, only %d followed", rc.StartLine, n, len(raw))
		}
		rc.Body = raw[:n]
		raw = raw[n:]
		out = append(out, rc)
	}
	return out, nil
}

// headerLineProblems lists the header lines of c that are not `name ":" SP value` with
// exactly one space (PRIM-A8.1.1-1) or that continue a previous line (PRIM-A8.1.1-2).
func headerLineProblems(c rawCommand) (spacing, folding []string) {
	for _, line := range c.Headers {
		if line[0] == ' ' || line[0] == '\t' {
			folding = append(folding, fmt.Sprintf("%q in %q continues the previous line", line, c.StartLine))
			continue
		}
		i := strings.IndexByte(line, ':')
		switch {
		case i <= 0:
			spacing = append(spacing, fmt.Sprintf("%q in %q has no header name and colon", line, c.StartLine))
		case i+1 >= len(line) || line[i+1] != ' ':
			spacing = append(spacing, fmt.Sprintf("%q in %q lacks the space after the colon", line, c.StartLine))
		case i+2 < len(line) && (line[i+2] == ' ' || line[i+2] == '\t'):
			spacing = append(spacing, fmt.Sprintf("%q in %q has more than one space after the colon", line, c.StartLine))
		}
	}
	return spacing, folding
}

// requestIDPattern is Decision D5's reading of the request-identifier grammar.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)

// messageIDPattern is Decision D9's token: 1*(unreserved / escaped / "@" / ":").
var messageIDPattern = regexp.MustCompile(`^([A-Za-z0-9\-_.!~*'()@:]|%[0-9A-Fa-f]{2})+$`)

// wellFormedXML reports whether body is exactly one well-formed XML document, and whether it
// holds processing instructions (other than the XML declaration) or CDATA sections.
func wellFormedXML(body []byte) (root string, piOrCDATA bool, err error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	depth, roots := 0, 0
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return root, piOrCDATA, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				root = t.Name.Local
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.ProcInst:
			if t.Target != "xml" {
				piOrCDATA = true
			}
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return root, piOrCDATA, fmt.Errorf("text %q outside the root element", t)
			}
		}
	}
	if depth != 0 {
		return root, piOrCDATA, errors.New("unclosed element")
	}
	if roots != 1 {
		return root, piOrCDATA, fmt.Errorf("%d root elements, want exactly one", roots)
	}
	if bytes.Contains(body, []byte("<![CDATA[")) {
		piOrCDATA = true
	}
	return root, piOrCDATA, nil
}

// xmlNode is a generic element tree for checking what a user agent published.
type xmlNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []xmlNode  `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (n xmlNode) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (n xmlNode) find(name string) []xmlNode {
	var out []xmlNode
	for _, c := range n.Children {
		if c.XMLName.Local == name {
			out = append(out, c)
		}
		out = append(out, c.find(name)...)
	}
	return out
}

func parseXML(body []byte) (xmlNode, error) {
	var n xmlNode
	err := xml.Unmarshal(body, &n)
	return n, err
}

// violations renders wire.Validate's findings.
func violations(vs []wire.Violation) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	return strings.Join(parts, "; ")
}

// sameID compares identifiers case-insensitively (PRIM-A7.1-3, Decision D38).
func sameID(a, b string) bool { return strings.EqualFold(a, b) }

// sameMediaType compares two Content-Type values by media type and parameters, ignoring case
// in the type and parameter names and the spacing around ";" (RFC 2045 §5.1).
func sameMediaType(a, b string) bool {
	ta, pa, errA := mime.ParseMediaType(a)
	tb, pb, errB := mime.ParseMediaType(b)
	if errA != nil || errB != nil {
		return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
	}
	if ta != tb || len(pa) != len(pb) {
		return false
	}
	for k, v := range pa {
		if w, ok := pb[k]; !ok || !strings.EqualFold(v, w) {
			return false
		}
	}
	return true
}

// mediaTypeOf returns the media type of a Content-Type value, lower case, without parameters.
func mediaTypeOf(v string) string {
	t, _, err := mime.ParseMediaType(v)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(v))
	}
	return t
}
