package pidf

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strconv"
)

// Media types of the client profile (prim-digest.md §4.8).
const (
	TypePrim      = "application/presence"
	TypeMultipart = "multipart/mixed"
)

// HeaderTupleID is the part header naming the tuple of an application/presence entity
// (PRIM-A14.2-2). HeaderCTE must never appear (PRIM-A14.2-3).
const (
	HeaderTupleID = "Tuple-ID"
	HeaderCTE     = "Content-Transfer-Encoding"
)

// ParsePrim parses one application/presence XML document (I2 §14.4, Decision D23): the root
// <presence> with its identifier (or address) and date attributes, an optional <presentity>,
// and exactly one <contact> with display-name, status (value, detail or details), optional
// preference, note and other-markup. The result has one tuple whose ID is empty: the Tuple-ID
// travels outside the XML. Unknown elements are ignored (PRIM-A14.3-6).
func ParsePrim(b []byte) (Presence, error) {
	root, err := parseTree(b, "application/presence")
	if err != nil {
		return Presence{}, err
	}
	if root.name.Local != "presence" {
		return Presence{}, fmt.Errorf("%w: application/presence: root is <%s>, want <presence>", ErrSyntax, root.name.Local)
	}
	var p Presence
	id, ok := root.attrValue("identifier")
	if !ok {
		id, ok = root.attrValue("address") // the text's name for it (Decision D23: accept both)
	}
	if !ok || id == "" {
		return Presence{}, fmt.Errorf("%w: application/presence: <presence> has no identifier attribute", ErrSyntax)
	}
	p.Entity = id
	date, ok := root.attrValue("date")
	if !ok {
		return Presence{}, fmt.Errorf("%w: application/presence: <presence> has no date attribute", ErrSyntax)
	}
	ts, err := ParseDate(date)
	if err != nil {
		return Presence{}, fmt.Errorf("application/presence: %w", err)
	}
	var contact *node
	for _, k := range root.kids {
		switch k.name.Local {
		case "presentity":
			for _, c := range k.kids {
				switch c.name.Local {
				case "display-name":
					p.DisplayName = c.Text()
				case "note":
					p.Note = c.Text()
				case "other-markup":
					p.OtherMarkup = c.Text()
				}
			}
		case "contact":
			if contact != nil {
				return Presence{}, fmt.Errorf("%w: application/presence: more than one <contact> (one tuple per document, Decision D23)", ErrSyntax)
			}
			contact = k
		}
	}
	if contact == nil {
		return Presence{}, fmt.Errorf("%w: application/presence: no <contact>", ErrSyntax)
	}
	t := Tuple{Timestamp: ts}
	if t.Contact, ok = contact.attrValue("address"); !ok || t.Contact == "" {
		return Presence{}, fmt.Errorf("%w: application/presence: <contact> has no address (PRIM-A14.4.3-2, Decision D23)", ErrSyntax)
	}
	haveStatus := false
	for _, c := range contact.kids {
		switch c.name.Local {
		case "display-name":
			t.DisplayName = c.Text()
		case "status":
			v, _ := c.attrValue("value")
			switch Status(v) {
			case Open, Closed:
				t.Status = Status(v)
			default:
				return Presence{}, fmt.Errorf("%w: application/presence: status value %q is not open or closed (PRIM-A14.4.4-1)", ErrSyntax, v)
			}
			if d, ok := c.attrValue("detail"); ok {
				t.Detail = d
			} else if d, ok := c.attrValue("details"); ok { // Decision D23: accept both
				t.Detail = d
			}
			haveStatus = true
		case "preference":
			v, _ := c.attrValue("value")
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return Presence{}, fmt.Errorf("%w: application/presence: preference value %q is not an unsigned decimal below 2^32 (PRIM-A14.4.7-1)", ErrSyntax, v)
			}
			t.Priority = Pref(uint32(n))
		case "note":
			t.Note = c.Text()
		case "other-markup":
			t.OtherMarkup = c.Text()
		}
	}
	if !haveStatus {
		return Presence{}, fmt.Errorf("%w: application/presence: <contact> has no <status> (PRIM-A14.4.3-1)", ErrSyntax)
	}
	p.Tuples = []Tuple{t}
	return p, nil
}

// FormatPrim renders the tuple with the given index of p as one application/presence document,
// using the DTD's spellings identifier and detail (Decision D23). The date attribute is the
// tuple's Timestamp, which must be set (the DTD requires it).
func FormatPrim(p Presence, tuple int) ([]byte, error) {
	if tuple < 0 || tuple >= len(p.Tuples) {
		return nil, fmt.Errorf("pidf: FormatPrim: no tuple %d (have %d)", tuple, len(p.Tuples))
	}
	t := p.Tuples[tuple]
	if p.Entity == "" {
		return nil, fmt.Errorf("pidf: FormatPrim: empty presentity identifier")
	}
	if t.Timestamp.IsZero() {
		return nil, fmt.Errorf("pidf: FormatPrim: tuple %q has no timestamp for the required date attribute", t.ID)
	}
	if t.Contact == "" {
		return nil, fmt.Errorf("pidf: FormatPrim: tuple %q has no contact address (PRIM-A14.4.3-2)", t.ID)
	}
	if t.Status != Open && t.Status != Closed {
		return nil, fmt.Errorf("pidf: FormatPrim: tuple %q status %q is not open or closed", t.ID, t.Status)
	}
	var w xmlWriter
	w.open("presence", "identifier", p.Entity, "date", FormatDate(t.Timestamp))
	if p.DisplayName != "" || p.Note != "" || p.OtherMarkup != "" {
		w.open("presentity")
		w.elem("display-name", p.DisplayName)
		if p.Note != "" {
			w.elem("note", p.Note)
		}
		if p.OtherMarkup != "" {
			w.elem("other-markup", p.OtherMarkup)
		}
		w.close("presentity")
	}
	w.open("contact", "address", t.Contact)
	w.elem("display-name", t.DisplayName)
	if t.Detail != "" {
		w.empty("status", "value", string(t.Status), "detail", t.Detail)
	} else {
		w.empty("status", "value", string(t.Status))
	}
	if t.Priority.Set {
		w.empty("preference", "value", strconv.FormatUint(uint64(t.Priority.Rank), 10))
	}
	if t.Note != "" {
		w.elem("note", t.Note)
	}
	if t.OtherMarkup != "" {
		w.elem("other-markup", t.OtherMarkup)
	}
	w.close("contact")
	w.close("presence")
	return w.b.Bytes(), nil
}

// ParseClientBody parses the presence body of a client-profile command (PUBLISH, NOTIFY, the
// 200 of FETCH or SUBSCRIBE) given its Content-Type (prim-digest.md §4.8):
//   - application/presence: one document; tupleID (the command's Tuple-ID header) names it;
//   - multipart/mixed: one application/presence part per tuple, each with its own Tuple-ID
//     header (PRIM-A14.2-2); no part may carry Content-Transfer-Encoding (PRIM-A14.2-3).
//
// An empty multipart (no parts) and an empty body yield a Presence without tuples. Tuples of
// different documents must name the same presentity.
func ParseClientBody(contentType string, body []byte, tupleID string) (Presence, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Presence{}, fmt.Errorf("%w: Content-Type %q: %w", ErrSyntax, contentType, err)
	}
	switch mt {
	case TypePrim:
		if len(body) == 0 {
			return Presence{}, nil
		}
		p, err := ParsePrim(body)
		if err != nil {
			return Presence{}, err
		}
		p.Tuples[0].ID = tupleID
		return p, nil
	case TypeMultipart:
		return parsePrimMultipart(params["boundary"], body)
	}
	return Presence{}, fmt.Errorf("%w: Content-Type %q is not %s or %s", ErrSyntax, contentType, TypePrim, TypeMultipart)
}

func parsePrimMultipart(boundary string, body []byte) (Presence, error) {
	if boundary == "" {
		return Presence{}, fmt.Errorf("%w: multipart/mixed without boundary", ErrSyntax)
	}
	var out Presence
	err := eachPart(boundary, body, func(i int, hdr textproto.MIMEHeader, data []byte) error {
		ct := hdr.Get("Content-Type")
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != TypePrim {
			return fmt.Errorf("%w: part %d: Content-Type %q is not %s", ErrSyntax, i, ct, TypePrim)
		}
		id := hdr.Get(HeaderTupleID)
		if id == "" {
			return fmt.Errorf("%w: part %d has no Tuple-ID header (PRIM-A14.2-2)", ErrSyntax, i)
		}
		p, err := ParsePrim(data)
		if err != nil {
			return fmt.Errorf("part %d (Tuple-ID %q): %w", i, id, err)
		}
		if out.Entity == "" {
			out.Entity, out.DisplayName, out.Note, out.OtherMarkup = p.Entity, p.DisplayName, p.Note, p.OtherMarkup
		} else if !sameEntity(out.Entity, p.Entity) {
			return fmt.Errorf("%w: part %d is about %q, earlier parts about %q", ErrSyntax, i, p.Entity, out.Entity)
		}
		if p.DisplayName != "" && out.DisplayName == "" {
			out.DisplayName = p.DisplayName
		}
		if p.Note != "" && out.Note == "" {
			out.Note = p.Note
		}
		t := p.Tuples[0]
		t.ID = id
		out.Tuples = append(out.Tuples, t)
		return nil
	})
	return out, err
}

// eachPart walks a multipart body, refusing Content-Transfer-Encoding (PRIM-A14.2-3), and
// hands each part's headers (canonical keys) and raw data to fn.
func eachPart(boundary string, body []byte, fn func(i int, hdr textproto.MIMEHeader, data []byte) error) error {
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	for i := 0; ; i++ {
		if i >= DefaultLimits.MaxElements {
			return fmt.Errorf("%w: more than %d parts", ErrSyntax, DefaultLimits.MaxElements)
		}
		part, err := r.NextRawPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: multipart body: %w", ErrSyntax, err)
		}
		if part.Header.Get(HeaderCTE) != "" {
			return fmt.Errorf("%w: part %d carries Content-Transfer-Encoding %q (PRIM-A14.2-3)", ErrSyntax, i, part.Header.Get(HeaderCTE))
		}
		data, err := io.ReadAll(io.LimitReader(part, int64(DefaultLimits.MaxBytes)+1))
		if err != nil {
			return fmt.Errorf("%w: part %d: %w", ErrSyntax, i, err)
		}
		if len(data) > DefaultLimits.MaxBytes {
			return fmt.Errorf("%w: part %d exceeds %d bytes", ErrSyntax, i, DefaultLimits.MaxBytes)
		}
		if err := fn(i, part.Header, data); err != nil {
			return err
		}
	}
}

// FormatClientBody renders p as the presence body of a NOTIFY or of the 200/201 to FETCH or
// SUBSCRIBE on a client link (prim-digest.md §4.6, §4.8): multipart/mixed with one
// application/presence part per tuple, each carrying its Tuple-ID header (PRIM-A14.1-1,
// PRIM-A14.2-2), even when there is only one tuple, so the tuple's name always travels with it
// (as in the digest's constructed example C2). With no tuples there is nothing to send: it returns
// an empty Content-Type and a nil body. The boundary is derived from the content, so output is
// deterministic. For PUBLISH, whose Tuple-ID is a command header, use FormatPrim.
func FormatClientBody(p Presence) (contentType string, body []byte, err error) {
	if len(p.Tuples) == 0 {
		return "", nil, nil
	}
	return FormatPrimMultipart(p, "")
}

// FormatPrimMultipart renders every tuple of p as a part of a multipart/mixed body with the
// given boundary ("" = derived from the content). Tuple ids must be set and unique.
func FormatPrimMultipart(p Presence, boundary string) (contentType string, body []byte, err error) {
	docs := make([][]byte, len(p.Tuples))
	seen := map[string]bool{}
	for i, t := range p.Tuples {
		if !ValidTupleID(t.ID) {
			return "", nil, fmt.Errorf("pidf: tuple %d: Tuple-ID %q is empty or has SP or control characters (Decision D22)", i, t.ID)
		}
		if seen[t.ID] {
			return "", nil, fmt.Errorf("pidf: Tuple-ID %q appears twice", t.ID)
		}
		seen[t.ID] = true
		if docs[i], err = FormatPrim(p, i); err != nil {
			return "", nil, err
		}
	}
	headers := func(i int) []string {
		return []string{"Content-Type: " + TypePrim, HeaderTupleID + ": " + p.Tuples[i].ID}
	}
	return writeMultipart(docs, headers, boundary)
}

func writeMultipart(docs [][]byte, headers func(int) []string, boundary string) (string, []byte, error) {
	if boundary == "" {
		h := fnv.New64a()
		for _, d := range docs {
			h.Write(d)
		}
		boundary = fmt.Sprintf("prim-%016x", h.Sum64())
		for collides(docs, boundary) {
			boundary += "x"
		}
	} else if collides(docs, boundary) {
		return "", nil, fmt.Errorf("pidf: boundary %q occurs inside a part", boundary)
	}
	var b bytes.Buffer
	for i, d := range docs {
		b.WriteString("--" + boundary + "\r\n")
		for _, h := range headers(i) {
			b.WriteString(h + "\r\n")
		}
		b.WriteString("\r\n")
		b.Write(d)
		b.WriteString("\r\n")
	}
	b.WriteString("--" + boundary + "--")
	return mime.FormatMediaType(TypeMultipart, map[string]string{"boundary": boundary}), b.Bytes(), nil
}

func collides(docs [][]byte, boundary string) bool {
	for _, d := range docs {
		if bytes.Contains(d, []byte("--"+boundary)) {
			return true
		}
	}
	return false
}

// ValidTupleID reports whether s is acceptable as a Tuple-ID under Decision D22: one or more
// visible US-ASCII characters, no SP (wider than the grammar's 1*(unreserved / escaped), which
// the drafts' own examples break).
func ValidTupleID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
