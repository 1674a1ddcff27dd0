package pidf

import (
	"errors"
	"fmt"
	"mime"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/cpim"
)

// CPIM-PIDF, as the server profile adopts it (draft-ietf-impp-cpim-pidf-01; prim-digest.md
// §4.10).
const (
	TypeCPIMPIDF       = "application/cpim-pidf+xml"
	NamespaceCPIMPIDF  = "urn:ietf:params:cpim-presence:"
	StatusTypeBasic    = "urn:ietf:params:cpim-presence:status-type:basic"
	HeaderPresenceData = "Presence-Data-ID"
)

// ErrNotUnderstood is wrapped when a document must be treated as unrecognised because an
// element it marks mustUnderstand='YES' is not understood (CPIM-PIDF, prim-digest.md §4.10).
var ErrNotUnderstood = errors.New("pidf: document not understood")

// ParseCPIMPIDF parses an application/cpim-pidf+xml document: <presence> in the namespace
// urn:ietf:params:cpim-presence: with one <presentity id>, one or more <tuple id> (status with
// one or more <value>, optional contact with priority 0..255, note, timestamp) and an optional
// note. Status values compare case-insensitively (the draft's examples write OPEN). An element
// outside the understood vocabulary carrying mustUnderstand='YES' makes the whole document
// unrecognised: the error wraps ErrNotUnderstood.
func ParseCPIMPIDF(b []byte) (Presence, error) {
	root, err := parseTree(b, TypeCPIMPIDF)
	if err != nil {
		return Presence{}, err
	}
	if root.name.Local != "presence" || root.name.Space != NamespaceCPIMPIDF {
		return Presence{}, fmt.Errorf("%w: %s: root is {%s}%s, want {%s}presence", ErrSyntax, TypeCPIMPIDF, root.name.Space, root.name.Local, NamespaceCPIMPIDF)
	}
	if err := checkMustUnderstand(root); err != nil {
		return Presence{}, err
	}
	var p Presence
	ids := map[string]bool{}
	havePresentity := false
	for _, k := range root.kids {
		if k.name.Space != NamespaceCPIMPIDF {
			continue // extension: ignored
		}
		switch k.name.Local {
		case "presentity":
			if havePresentity {
				return Presence{}, fmt.Errorf("%w: %s: more than one <presentity>", ErrSyntax, TypeCPIMPIDF)
			}
			havePresentity = true
			id, ok := k.attrValue("id")
			if !ok || id == "" {
				return Presence{}, fmt.Errorf("%w: %s: <presentity> has no id", ErrSyntax, TypeCPIMPIDF)
			}
			p.Entity = id
		case "note":
			if p.Note == "" {
				p.Note = k.Text()
			}
		case "tuple":
			t, err := cpimTuple(k)
			if err != nil {
				return Presence{}, err
			}
			if ids[t.ID] {
				return Presence{}, fmt.Errorf("%w: %s: tuple id %q is not unique", ErrSyntax, TypeCPIMPIDF, t.ID)
			}
			ids[t.ID] = true
			p.Tuples = append(p.Tuples, t)
		}
	}
	if !havePresentity {
		return Presence{}, fmt.Errorf("%w: %s: no <presentity>", ErrSyntax, TypeCPIMPIDF)
	}
	if len(p.Tuples) == 0 {
		return Presence{}, fmt.Errorf("%w: %s: no <tuple> (one or more required)", ErrSyntax, TypeCPIMPIDF)
	}
	return p, nil
}

// understoodCPIM is the CPIM-PIDF vocabulary this parser processes.
var understoodCPIM = map[string]bool{"presence": true, "presentity": true, "tuple": true, "status": true,
	"value": true, "contact": true, "note": true, "timestamp": true}

func checkMustUnderstand(n *node) error {
	if n.name.Space != NamespaceCPIMPIDF || !understoodCPIM[n.name.Local] {
		for _, a := range n.attr {
			if a.Name.Local == "mustUnderstand" && strings.EqualFold(strings.TrimSpace(a.Value), "yes") {
				return fmt.Errorf("%w: element {%s}%s is marked mustUnderstand", ErrNotUnderstood, n.name.Space, n.name.Local)
			}
		}
	}
	for _, k := range n.kids {
		if err := checkMustUnderstand(k); err != nil {
			return err
		}
	}
	return nil
}

func cpimTuple(k *node) (Tuple, error) {
	var t Tuple
	id, ok := k.attrValue("id")
	if !ok || id == "" {
		return Tuple{}, fmt.Errorf("%w: %s: <tuple> has no id", ErrSyntax, TypeCPIMPIDF)
	}
	t.ID = id
	haveStatus := false
	for _, c := range k.kids {
		if c.name.Space != NamespaceCPIMPIDF {
			continue
		}
		switch c.name.Local {
		case "status":
			haveStatus = true
			for _, v := range c.kids {
				if v.name.Space != NamespaceCPIMPIDF || v.name.Local != "value" {
					continue
				}
				if typ, ok := v.attrValue("type"); ok && typ != StatusTypeBasic {
					continue // another status type: not understood, ignored
				}
				switch s := strings.ToLower(strings.TrimSpace(v.Text())); s {
				case "open", "closed":
					t.Status = Status(s)
				default:
					return Tuple{}, fmt.Errorf("%w: %s: tuple %q: basic status %q is not open or closed", ErrSyntax, TypeCPIMPIDF, id, v.Text())
				}
			}
		case "contact":
			t.Contact = strings.TrimSpace(c.Text())
			if pr, ok := c.attrValue("priority"); ok {
				n, err := strconv.ParseUint(strings.TrimSpace(pr), 10, 8)
				if err != nil {
					return Tuple{}, fmt.Errorf("%w: %s: tuple %q: contact priority %q is not 0..255", ErrSyntax, TypeCPIMPIDF, id, pr)
				}
				t.Priority = Pref(uint32(n))
			}
		case "note":
			if t.Note == "" {
				t.Note = c.Text()
			}
		case "timestamp":
			ts, err := ParseISO8601(strings.TrimSpace(c.Text()))
			if err != nil {
				return Tuple{}, fmt.Errorf("%s: tuple %q: %w", TypeCPIMPIDF, id, err)
			}
			t.Timestamp = ts
		}
	}
	if !haveStatus {
		return Tuple{}, fmt.Errorf("%w: %s: tuple %q has no <status>", ErrSyntax, TypeCPIMPIDF, id)
	}
	return t, nil
}

// FormatCPIMPIDF renders p as application/cpim-pidf+xml (Decision D2): the entity in
// <presentity id>, each tuple with <status><value>open|closed</value></status>, <contact
// priority> with the rank clamped to 0..255, <note> and <timestamp>; the presentity note (or,
// without one, the display name) as the document's <note>. CPIM-PIDF needs at least one tuple.
func FormatCPIMPIDF(p Presence) ([]byte, error) {
	if p.Entity == "" {
		return nil, fmt.Errorf("pidf: FormatCPIMPIDF: empty presentity identifier")
	}
	if len(p.Tuples) == 0 {
		return nil, fmt.Errorf("pidf: FormatCPIMPIDF: no tuples (CPIM-PIDF requires one or more)")
	}
	var w xmlWriter
	w.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.open("presence", "xmlns", NamespaceCPIMPIDF)
	w.empty("presentity", "id", p.Entity)
	for _, t := range p.Tuples {
		if t.ID == "" {
			return nil, fmt.Errorf("pidf: FormatCPIMPIDF: tuple without id")
		}
		w.open("tuple", "id", t.ID)
		w.open("status")
		if t.Status != Unknown {
			w.elem("value", string(t.Status))
		}
		w.close("status")
		if t.Contact != "" {
			if t.Priority.Set {
				w.elem("contact", t.Contact, "priority", strconv.FormatUint(uint64(min(t.Priority.Rank, 255)), 10))
			} else {
				w.elem("contact", t.Contact)
			}
		}
		if t.Note != "" {
			w.elem("note", t.Note)
		}
		if !t.Timestamp.IsZero() {
			w.elem("timestamp", FormatISO8601(t.Timestamp))
		}
		w.close("tuple")
	}
	if note := presentityNote(p); note != "" {
		w.elem("note", note)
	}
	w.close("presence")
	return w.b.Bytes(), nil
}

func presentityNote(p Presence) string {
	if p.Note != "" {
		return p.Note
	}
	return p.DisplayName
}

// ParseServerBody parses the presence body of a server-profile command (SS NOTIFY; prim-digest.md
// §4.10) given its Content-Type:
//   - application/cpim-pidf+xml: one document;
//   - multipart/mixed of application/cpim-pidf+xml parts: a later part with the same
//     Presence-Data-ID replaces the earlier one; the tuples are merged;
//   - message/cpim wrapping either of the above: DateTime MUST be present; From names the
//     presentity when the document does not;
//   - application/pidf+xml (RFC 3863), accepted as well.
func ParseServerBody(contentType string, body []byte) (Presence, error) {
	return parseServerBody(contentType, body, 0)
}

func parseServerBody(contentType string, body []byte, depth int) (Presence, error) {
	if depth > 3 {
		return Presence{}, fmt.Errorf("%w: bodies nested too deep", ErrSyntax)
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Presence{}, fmt.Errorf("%w: Content-Type %q: %w", ErrSyntax, contentType, err)
	}
	switch mt {
	case TypeCPIMPIDF:
		return ParseCPIMPIDF(body)
	case TypePIDF:
		return ParsePIDF(body)
	case cpim.MediaType:
		m, err := cpim.Parse(body)
		if err != nil {
			return Presence{}, fmt.Errorf("pidf: message/cpim wrapper: %w", err)
		}
		if _, ok, err := m.DateTime(); err != nil || !ok {
			return Presence{}, fmt.Errorf("%w: message/cpim wrapper without a valid DateTime (required with CPIM-PIDF)", ErrSyntax)
		}
		p, err := parseServerBody(m.ContentType(), m.Body, depth+1)
		if err != nil {
			return Presence{}, err
		}
		if from, err := m.From(); err == nil && p.Entity == "" {
			p.Entity = from.URI
		}
		return p, nil
	case TypeMultipart:
		return parseCPIMMultipart(params["boundary"], body, depth)
	}
	return Presence{}, fmt.Errorf("%w: Content-Type %q is not a server-profile presence type", ErrSyntax, contentType)
}

func parseCPIMMultipart(boundary string, body []byte, depth int) (Presence, error) {
	if boundary == "" {
		return Presence{}, fmt.Errorf("%w: multipart/mixed without boundary", ErrSyntax)
	}
	var out Presence
	var order []string
	units := map[string]Presence{}
	err := eachPart(boundary, body, func(i int, hdr textproto.MIMEHeader, data []byte) error {
		p, err := parseServerBody(hdr.Get("Content-Type"), data, depth+1)
		if err != nil {
			return fmt.Errorf("part %d: %w", i, err)
		}
		if out.Entity == "" {
			out.Entity = p.Entity
		} else if !sameEntity(out.Entity, p.Entity) {
			return fmt.Errorf("%w: part %d is about %q, earlier parts about %q", ErrSyntax, i, p.Entity, out.Entity)
		}
		if out.Note == "" {
			out.Note = p.Note
		}
		unit := hdr.Get(HeaderPresenceData)
		if unit == "" {
			unit = fmt.Sprintf("\x00part%d", i) // unnamed parts never replace each other
		}
		if _, seen := units[unit]; !seen {
			order = append(order, unit)
		}
		units[unit] = p
		return nil
	})
	if err != nil {
		return Presence{}, err
	}
	for _, u := range order {
		out.Tuples = append(out.Tuples, units[u].Tuples...)
		out.Ignored = append(out.Ignored, units[u].Ignored...)
	}
	return out, nil
}

// WrapCPIM wraps a presence document in a message/cpim object (prim-digest.md §4.10): From is
// the presentity, To the watcher, DateTime the time given (MUST be present).
func WrapCPIM(doc []byte, docType, from, to string, at time.Time) []byte {
	m := &cpim.Message{
		MIME:    []cpim.MIMEHeader{{Name: "Content-Type", Value: cpim.MediaType}},
		Content: []cpim.MIMEHeader{{Name: "Content-Type", Value: docType}},
		Body:    doc,
	}
	m.Add(cpim.HeaderFrom, cpim.Address{URI: from}.String())
	m.Add(cpim.HeaderTo, cpim.Address{URI: to}.String())
	m.Add(cpim.HeaderDateTime, cpim.FormatDateTime(at))
	return m.Format()
}
