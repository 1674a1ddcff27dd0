package pidf

import (
	"fmt"
	"strconv"
	"strings"
)

// RFC 3863 PIDF (rfc-digest.md §7).
const (
	TypePIDF      = "application/pidf+xml"
	NamespacePIDF = "urn:ietf:params:xml:ns:pidf"
)

// legacyPIDFNamespaces are accepted on input as aliases of NamespacePIDF (rfc-digest.md §7.1,
// §8.4): RFC 3863 §4.1.1's trailing-colon misprint and the cpim-pidf-05 namespace, which has
// the same structure.
var legacyPIDFNamespaces = map[string]bool{
	"urn:ietf:params:xml:ns:pidf:":      true,
	"urn:ietf:params:xml:ns:cpim-pidf":  true,
	"urn:ietf:params:xml:ns:cpim-pidf:": true,
}

func isPIDFNamespace(ns string) bool { return ns == NamespacePIDF || legacyPIDFNamespaces[ns] }

// ParsePIDF parses an application/pidf+xml document (RFC 3863): <presence entity> with zero or
// more <tuple id> (status with optional <basic>, contact with qvalue priority, notes,
// timestamp) and notes. Elements outside the PIDF namespace are ignored with their content
// (§4.3). A mustUnderstand="true"/"1" element inside <status> that is not understood makes the
// enclosing status extension ignored; <basic> is kept, and the element is listed in Ignored.
// An out-of-range priority is ignored (§4.1.5). Prefixed and default-namespace forms both work.
func ParsePIDF(b []byte) (Presence, error) {
	root, err := parseTree(b, TypePIDF)
	if err != nil {
		return Presence{}, err
	}
	if root.name.Local != "presence" || !isPIDFNamespace(root.name.Space) {
		return Presence{}, fmt.Errorf("%w: %s: root is {%s}%s, want {%s}presence", ErrSyntax, TypePIDF, root.name.Space, root.name.Local, NamespacePIDF)
	}
	ns := root.name.Space
	var p Presence
	entity, ok := root.attrValue("entity")
	if !ok || entity == "" {
		return Presence{}, fmt.Errorf("%w: %s: <presence> has no entity attribute", ErrSyntax, TypePIDF)
	}
	p.Entity = entity
	ids := map[string]bool{}
	for _, k := range root.kids {
		if k.name.Space != ns {
			continue
		}
		switch k.name.Local {
		case "note":
			if p.Note == "" {
				p.Note = k.Text()
			}
		case "tuple":
			t, ignored, err := pidfTuple(k, ns)
			if err != nil {
				return Presence{}, err
			}
			if ids[t.ID] {
				return Presence{}, fmt.Errorf("%w: %s: tuple id %q is not unique", ErrSyntax, TypePIDF, t.ID)
			}
			ids[t.ID] = true
			p.Tuples = append(p.Tuples, t)
			p.Ignored = append(p.Ignored, ignored...)
		}
	}
	return p, nil
}

func pidfTuple(k *node, ns string) (Tuple, []string, error) {
	var t Tuple
	var ignored []string
	id, ok := k.attrValue("id")
	if !ok || id == "" {
		return Tuple{}, nil, fmt.Errorf("%w: %s: <tuple> has no id", ErrSyntax, TypePIDF)
	}
	t.ID = id
	haveStatus := false
	for _, c := range k.kids {
		if c.name.Space != ns {
			continue // tuple-level extension: ignored with its content
		}
		switch c.name.Local {
		case "status":
			haveStatus = true
			for _, s := range c.kids {
				if s.name.Space == ns && s.name.Local == "basic" {
					switch v := strings.TrimSpace(s.Text()); v {
					case "open", "closed":
						t.Status = Status(v)
					default:
						return Tuple{}, nil, fmt.Errorf("%w: %s: tuple %q: basic %q is not open or closed", ErrSyntax, TypePIDF, id, s.Text())
					}
					continue
				}
				// A status extension this parser does not understand: ignored. If something in
				// it demands to be understood, say so (RFC 3863 §4.3.3).
				if name, ok := mustUnderstandIn(s); ok {
					ignored = append(ignored, name)
				}
			}
		case "contact":
			t.Contact = strings.TrimSpace(c.Text())
			if pr, ok := c.attrValue("priority"); ok {
				if rank, ok := qvalueRank(pr); ok {
					t.Priority = Pref(rank)
				} // out of range or malformed: SHOULD be ignored (§4.1.5)
			}
		case "note":
			if t.Note == "" {
				t.Note = c.Text()
			}
		case "timestamp":
			ts, err := ParseISO8601(strings.TrimSpace(c.Text()))
			if err != nil {
				return Tuple{}, nil, fmt.Errorf("%s: tuple %q: %w", TypePIDF, id, err)
			}
			t.Timestamp = ts
		}
	}
	if !haveStatus {
		return Tuple{}, nil, fmt.Errorf("%w: %s: tuple %q has no <status>", ErrSyntax, TypePIDF, id)
	}
	return t, ignored, nil
}

// mustUnderstandIn reports the first element at or below n flagged mustUnderstand true/1.
func mustUnderstandIn(n *node) (string, bool) {
	for _, a := range n.attr {
		if a.Name.Local == "mustUnderstand" {
			if v := strings.TrimSpace(a.Value); v == "true" || v == "1" {
				return "{" + n.name.Space + "}" + n.name.Local, true
			}
		}
	}
	for _, k := range n.kids {
		if name, ok := mustUnderstandIn(k); ok {
			return name, true
		}
	}
	return "", false
}

// qvalueRank maps a qvalue (0..1, at most three decimals) to a rank 0..1000, lower preferred.
func qvalueRank(q string) (uint32, bool) {
	q = strings.TrimSpace(q)
	whole, frac, _ := strings.Cut(q, ".")
	if len(frac) > 3 || (whole != "0" && whole != "1") {
		return 0, false
	}
	for i := 0; i < len(frac); i++ {
		if frac[i] < '0' || frac[i] > '9' {
			return 0, false
		}
	}
	thousandths := 0
	if whole == "1" {
		thousandths = 1000
	}
	if frac != "" {
		f, _ := strconv.Atoi((frac + "00")[:3])
		thousandths += f
	}
	if thousandths > 1000 {
		return 0, false
	}
	return uint32(1000 - thousandths), true
}

func rankQvalue(rank uint32) string {
	th := 1000 - int(min(rank, 1000))
	if th == 1000 {
		return "1"
	}
	s := strings.TrimRight(fmt.Sprintf("%03d", th), "0")
	if s == "" {
		return "0"
	}
	return "0." + s
}

// FormatPIDF renders p as application/pidf+xml (RFC 3863) with the XML declaration, the
// default namespace, and per tuple <status><basic>, <contact priority> (qvalue from the rank,
// see Priority), <note> and <timestamp> with upper-case T and Z. The presentity note (or the
// display name) becomes the document's <note>.
func FormatPIDF(p Presence) ([]byte, error) {
	if p.Entity == "" {
		return nil, fmt.Errorf("pidf: FormatPIDF: empty entity")
	}
	var w xmlWriter
	w.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.open("presence", "xmlns", NamespacePIDF, "entity", p.Entity)
	for _, t := range p.Tuples {
		if t.ID == "" {
			return nil, fmt.Errorf("pidf: FormatPIDF: tuple without id")
		}
		w.open("tuple", "id", t.ID)
		w.open("status")
		if t.Status != Unknown {
			w.elem("basic", string(t.Status))
		}
		w.close("status")
		if t.Contact != "" {
			if t.Priority.Set {
				w.elem("contact", t.Contact, "priority", rankQvalue(t.Priority.Rank))
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
