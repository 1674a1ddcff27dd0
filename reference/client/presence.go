package client

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file holds the client side of PRIM's XML documents on client links: the
// application/presence tuple document (I2 §14, prim-digest.md §4.8, Decision D23), the class
// table (§4.7), the ACL (§7.5) and the subscribers list (§4.11). They are private stand-ins for
// reference/pidf, kept small: the client needs to write one tuple and read what NOTIFY brings.

// Content types used on client links.
const (
	ctPresence  = "application/presence"
	ctMultipart = "multipart/mixed"
	ctText      = "text/plain"
	ctXML       = "text/xml"
)

// dateLayout is the PRIM date format with a numeric zone (prim-digest.md §4.9, Decision D24).
const dateLayout = "Mon, 2 Jan 2006 15:04:05 -0700"

// Tuple is one presence tuple as the client saw it in a NOTIFY, FETCH or SUBSCRIBE body.
type Tuple struct {
	ID          string // Tuple-ID part header
	Contact     string // contact/@address
	Status      string // status/@value: open or closed
	Detail      string // status/@detail (or details), e.g. deferred
	DisplayName string
	Note        string
	Preference  string
}

// String renders the tuple on one line, e.g. `pc-im=open<im:a@b> "at lunch"`.
func (t Tuple) String() string {
	var b strings.Builder
	b.WriteString(t.ID)
	b.WriteByte('=')
	if t.Status == "" {
		b.WriteString("?")
	} else {
		b.WriteString(t.Status)
	}
	if t.Detail != "" {
		b.WriteString("/" + t.Detail)
	}
	if t.Contact != "" {
		b.WriteString("<" + t.Contact + ">")
	}
	if t.Note != "" {
		b.WriteString(" " + strconv.Quote(t.Note))
	}
	return b.String()
}

func formatTuples(ts []Tuple) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func escapeXML(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// buildTuple writes one application/presence document for presentity presID
// (I2 §14.4; Decision D23: root attribute identifier, status attribute detail, one contact).
func buildTuple(presID string, now time.Time, p Publish) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<presence identifier=\"%s\" date=\"%s\">\r\n", escapeXML(presID), now.UTC().Format(dateLayout))
	contact := p.Contact
	if contact == "" {
		contact = "im:" + stripScheme(presID)
	}
	display := p.DisplayName
	if display == "" {
		display = p.TupleID
	}
	status := p.Status
	if status == "" {
		status = "open"
	}
	fmt.Fprintf(&b, "<contact address=\"%s\"><display-name>%s</display-name><status value=\"%s\"",
		escapeXML(contact), escapeXML(display), escapeXML(status))
	if p.Detail != "" {
		fmt.Fprintf(&b, " detail=\"%s\"", escapeXML(p.Detail))
	}
	b.WriteString("/>")
	if p.Preference != "" {
		fmt.Fprintf(&b, "<preference value=\"%s\"/>", escapeXML(p.Preference))
	}
	if p.Note != "" {
		fmt.Fprintf(&b, "<note>%s</note>", escapeXML(p.Note))
	}
	b.WriteString("</contact>\r\n</presence>")
	return []byte(b.String())
}

type xmlStatus struct {
	Value   string `xml:"value,attr"`
	Detail  string `xml:"detail,attr"`
	Details string `xml:"details,attr"`
}

type xmlPreference struct {
	Value string `xml:"value,attr"`
}

type xmlContact struct {
	Address     string         `xml:"address,attr"`
	DisplayName string         `xml:"display-name"`
	Status      *xmlStatus     `xml:"status"`
	Preference  *xmlPreference `xml:"preference"`
	Note        string         `xml:"note"`
}

type xmlPresence struct {
	XMLName    xml.Name   `xml:"presence"`
	Identifier string     `xml:"identifier,attr"`
	Address    string     `xml:"address,attr"`
	Contact    xmlContact `xml:"contact"`
}

// parseTuple reads one application/presence document; tupleID comes from the part header.
func parseTuple(tupleID string, doc []byte) (Tuple, error) {
	var p xmlPresence
	if err := xml.Unmarshal(doc, &p); err != nil {
		return Tuple{}, fmt.Errorf("presence document for tuple %q: %w", tupleID, err)
	}
	t := Tuple{ID: tupleID, Contact: p.Contact.Address, DisplayName: p.Contact.DisplayName, Note: p.Contact.Note}
	if s := p.Contact.Status; s != nil {
		t.Status = s.Value
		t.Detail = s.Detail
		if t.Detail == "" {
			t.Detail = s.Details // Decision D23: accept both spellings
		}
	}
	if p.Contact.Preference != nil {
		t.Preference = p.Contact.Preference.Value
	}
	return t, nil
}

// parsePresenceBody reads the presence information in a NOTIFY, FETCH or SUBSCRIBE body:
// a multipart/mixed of application/presence parts, or a single application/presence entity
// (I2 §14.2). An empty body is an empty presence. Tuple-ID of a single entity comes from the
// command's headers (tupleHeader).
func parsePresenceBody(contentType, tupleHeader string, body []byte) ([]Tuple, error) {
	if len(body) == 0 {
		return nil, nil
	}
	if contentType == "" {
		contentType = ctPresence
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, fmt.Errorf("content type %q: %w", contentType, err)
	}
	switch mt {
	case ctPresence:
		t, err := parseTuple(tupleHeader, body)
		if err != nil {
			return nil, err
		}
		return []Tuple{t}, nil
	case ctMultipart:
		boundary := params["boundary"]
		if boundary == "" {
			return nil, fmt.Errorf("content type %q has no boundary", contentType)
		}
		r := multipart.NewReader(bytes.NewReader(body), boundary)
		var out []Tuple
		for {
			part, err := r.NextRawPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return out, fmt.Errorf("multipart presence body: %w", err)
			}
			doc, err := io.ReadAll(part)
			if err != nil {
				return out, fmt.Errorf("multipart presence part: %w", err)
			}
			pt := part.Header.Get("Content-Type")
			if pt != "" {
				if m, _, err := mime.ParseMediaType(pt); err == nil && m != ctPresence {
					continue // not a tuple: skip (I2 §14.2 allows other MIME headers, not other parts; be lenient)
				}
			}
			t, err := parseTuple(tupleIDOf(part.Header), bytes.TrimSpace(doc))
			if err != nil {
				return out, err
			}
			out = append(out, t)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("presence body of type %q is not %s or %s: %w", mt, ctPresence, ctMultipart, errUnsupportedType)
	}
}

var errUnsupportedType = errors.New("unsupported content type")

func tupleIDOf(h textproto.MIMEHeader) string {
	// Tuple-ID is a non-MIME header inside the part (I2 §14.2); textproto canonicalises it.
	if v := h.Get("Tuple-Id"); v != "" {
		return v
	}
	return h.Get("Tuple-ID")
}

// Class is one class of a Class Table (I2 §13.1): its name and its watcher entries
// (identifiers without scheme, @domain patterns, or ".").
type Class struct {
	Name     string
	Watchers []string
}

func buildClassTable(classes []Class) []byte {
	var b strings.Builder
	b.WriteString("<classtable>")
	for _, c := range classes {
		fmt.Fprintf(&b, "<class name=\"%s\">", escapeXML(c.Name))
		for _, w := range c.Watchers {
			fmt.Fprintf(&b, "<watcher>%s</watcher>", escapeXML(w))
		}
		b.WriteString("</class>")
	}
	b.WriteString("</classtable>")
	return []byte(b.String())
}

type xmlClassTable struct {
	XMLName xml.Name `xml:"classtable"`
	Classes []struct {
		Name     string   `xml:"name,attr"`
		Watchers []string `xml:"watcher"`
	} `xml:"class"`
}

func parseClassTable(body []byte) ([]Class, error) {
	var t xmlClassTable
	if err := xml.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("classtable: %w", err)
	}
	out := make([]Class, 0, len(t.Classes))
	for _, c := range t.Classes {
		ws := make([]string, len(c.Watchers))
		for i, w := range c.Watchers {
			ws[i] = strings.TrimSpace(w)
		}
		out = append(out, Class{Name: c.Name, Watchers: ws})
	}
	return out, nil
}

// ACLEntry is one entry of an ACL (I2 §13.2): the addresses it applies to (identifier without
// scheme, @domain, or ".") and the operations allowed (fetch, subscribe, publish, remove for a
// presentity; send, listen, silence for an inbox).
type ACLEntry struct {
	Targets []string
	Allow   []string
}

func buildACL(entries []ACLEntry) []byte {
	var b strings.Builder
	b.WriteString("<acl>")
	for _, e := range entries {
		b.WriteString("<entry><target>")
		for _, a := range e.Targets {
			fmt.Fprintf(&b, "<address>%s</address>", escapeXML(a))
		}
		b.WriteString("</target><allow>")
		for _, op := range e.Allow {
			fmt.Fprintf(&b, "<%s/>", op)
		}
		b.WriteString("</allow></entry>")
	}
	b.WriteString("</acl>")
	return []byte(b.String())
}

type xmlACL struct {
	XMLName xml.Name `xml:"acl"`
	Entries []struct {
		Targets []string `xml:"target>address"`
		Allow   struct {
			Ops []xml.Name `xml:",any"`
		} `xml:"allow"`
	} `xml:"entry"`
}

func parseACL(body []byte) ([]ACLEntry, error) {
	var a xmlACL
	if err := xml.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("acl: %w", err)
	}
	out := make([]ACLEntry, 0, len(a.Entries))
	for _, e := range a.Entries {
		ent := ACLEntry{}
		for _, t := range e.Targets {
			ent.Targets = append(ent.Targets, strings.TrimSpace(t))
		}
		for _, op := range e.Allow.Ops {
			ent.Allow = append(ent.Allow, op.Local)
		}
		out = append(out, ent)
	}
	return out, nil
}

// validACLOps are the operation names of I2 §13.2; SetACL refuses others locally so that a
// typo does not become a 400 from the server.
var validACLOps = map[string]bool{
	"fetch": true, "subscribe": true, "publish": true, "remove": true,
	"send": true, "listen": true, "silence": true,
}

type xmlSubscribers struct {
	XMLName     xml.Name `xml:"subscribers"`
	Subscribers []string `xml:"subscriber"`
}

// parseSubscribers reads the STARTWATCHERNOTIFY 200 body (I2 §11.1.5), sorted for determinism.
func parseSubscribers(body []byte) ([]string, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	var s xmlSubscribers
	if err := xml.Unmarshal(body, &s); err != nil {
		return nil, fmt.Errorf("subscribers: %w", err)
	}
	out := make([]string, len(s.Subscribers))
	for i, v := range s.Subscribers {
		out[i] = strings.TrimSpace(v)
	}
	sort.Strings(out)
	return out, nil
}
