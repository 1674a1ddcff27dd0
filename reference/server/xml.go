package server

// XML documents, read and written with reference/pidf: presence documents (application/presence
// §4.8, CPIM-PIDF §4.10), the Class Table (§4.7), the ACL (§7.5) and the subscribers list
// (§4.11). The engine keeps the Class Table and ACL documents as their owner set them, so that
// GETCLASSTABLE and GETACL return them unchanged, and client presence documents as published
// (PRIM-A14.1-2).

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/addr"
	"github.com/primlab/primlab/reference/pidf"
)

// ---- Class Table (I2 §13.1) ----

// classTable is a presentity's Class Table: the document as the owner set it (GETCLASSTABLE
// returns it byte for byte) and its meaning, parsed by reference/pidf.
type classTable struct {
	table pidf.ClassTable
	raw   []byte
}

// parseClassTable parses and checks a SETCLASSTABLE body with reference/pidf: class names
// 1*(unreserved / escaped) and unique, entries identifiers, "@domain" or ".", and no entry in
// two classes (400, Decision D39).
func parseClassTable(b []byte) (*classTable, error) {
	ct, err := pidf.ParseClassTable(b)
	if err != nil {
		return nil, err
	}
	if err := ct.Validate(); err != nil {
		return nil, err
	}
	return &classTable{table: ct, raw: bytes.Clone(b)}, nil
}

// has reports whether the table defines class name (PRIM-A11.1.1-3, Decision D14); a
// presentity without a table has only the default class.
func (ct *classTable) has(name string) bool {
	return ct != nil && ct.table.HasClass(name)
}

// classOf returns the watcher's class: identifier, then @domain, then ".", else the default
// class "" (PRIM-A5.3-1, PRIM-A5.3-2, PRIM-A13.1.2-1, Decision D39).
func (ct *classTable) classOf(w addr.ID) string {
	if ct == nil {
		return ""
	}
	name, _ := ct.table.ClassOf(w) // "" when no entry matches: the default class
	return name
}

// ---- ACL (I2 §13.2) ----

// acl is a presentity's or an inbox's ACL: the document GETACL returns (as set, byte for
// byte) and its meaning, parsed by reference/pidf.
type acl struct {
	list pidf.ACL
	raw  []byte
}

// parseACL parses and checks a SETACL body for a resource of the given kind (400 on failure,
// PRIM-A11.3.1-3): every right belongs to the kind and every target is an identifier, "@domain"
// or "." appearing in one entry only (prim-digest.md §7.5: a key has one operation list).
func parseACL(b []byte, kind pidf.ACLKind) (*acl, error) {
	a, err := pidf.ParseACL(b)
	if err != nil {
		return nil, err
	}
	if err := a.Validate(kind); err != nil {
		return nil, err
	}
	return &acl{list: a, raw: bytes.Clone(b)}, nil
}

// permits applies the ACL to requester acting on owner's resource: the owner may always
// (Decision D15), anyone else by the most specific entry, identifier, then @domain, then ".",
// else deny (PRIM-A13.2.1-4).
func (a *acl) permits(owner, requester addr.ID, op pidf.Right) bool {
	return pidf.Permitted(a.list, owner, requester, op)
}

// defaultACL is the ACL of a fresh resource: Decision D15's default ("." may fetch and
// subscribe to a presentity, send to an inbox), or an empty ACL (deny all) when the
// deployment chose privacy first (Config.DenyByDefault).
func defaultACL(kind pidf.ACLKind, deny bool) *acl {
	l := pidf.DefaultACL(kind)
	if deny {
		l = pidf.ACL{}
	}
	return &acl{list: l, raw: pidf.FormatACL(l)}
}

// ---- PRIM application/presence tuples (I2 §14, Decision D23) ----

type tupleInfo struct {
	ID          string
	Contact     string
	Status      string // open / closed
	Detail      string
	DisplayName string
	Note        string
	Preference  string
	XML         []byte // the document as published (passed end to end, PRIM-A14.1-2)
}

// parsePrimTuple checks a PUBLISH body with reference/pidf: one well-formed presence document
// with one contact whose status is open or closed (PRIM-A11.1.1-1, PRIM-A14.4.3-1,
// PRIM-A14.4.4-1, Decision D23). The document itself is kept and passed on unchanged
// (PRIM-A14.1-2).
func parsePrimTuple(id string, b []byte) (tupleInfo, error) {
	p, err := pidf.ParsePrim(b)
	if err != nil {
		return tupleInfo{}, err
	}
	if len(p.Tuples) != 1 {
		return tupleInfo{}, fmt.Errorf("presence document with %d tuples, want 1", len(p.Tuples))
	}
	pt := p.Tuples[0]
	if pt.Status != pidf.Open && pt.Status != pidf.Closed {
		return tupleInfo{}, fmt.Errorf("status %q is not open or closed (PRIM-A14.4.4-1)", pt.Status)
	}
	t := fromPIDF(pt)
	t.ID = id
	t.XML = append([]byte(nil), b...)
	return t, nil
}

func fromPIDF(pt pidf.Tuple) tupleInfo {
	t := tupleInfo{ID: pt.ID, Contact: pt.Contact, Status: strings.ToLower(string(pt.Status)), Detail: pt.Detail,
		DisplayName: pt.DisplayName, Note: pt.Note}
	if pt.Priority.Set {
		t.Preference = strconv.FormatUint(uint64(pt.Priority.Rank), 10)
	}
	return t
}

func toPIDF(t tupleInfo) pidf.Tuple {
	pt := pidf.Tuple{ID: t.ID, Status: pidf.Status(t.Status), Detail: t.Detail, Contact: t.Contact,
		DisplayName: t.DisplayName, Note: t.Note}
	if n, err := strconv.ParseUint(t.Preference, 10, 32); err == nil {
		pt.Priority = pidf.Pref(uint32(n))
	}
	return pt
}

// formatPrimTuple writes a tuple that arrived as CPIM-PIDF as a PRIM presence document dated
// at (Decision D2, reverse direction). CPIM-PIDF's contact is optional but PRIM's contact
// address is not (PRIM-A14.4.3-2): a tuple without one names the presentity; a status other
// than open or closed (CPIM-PIDF allows none) is shown closed.
func formatPrimTuple(presentity string, at time.Time, t tupleInfo) ([]byte, error) {
	pt := toPIDF(t)
	pt.Timestamp = at
	if pt.DisplayName == "" {
		pt.DisplayName = t.ID
	}
	if pt.Contact == "" {
		pt.Contact = presentity
	}
	if pt.Status != pidf.Open && pt.Status != pidf.Closed {
		pt.Status = pidf.Closed
	}
	b, err := pidf.FormatPrim(pidf.Presence{Entity: presentity, Tuples: []pidf.Tuple{pt}}, 0)
	if err != nil {
		return nil, fmt.Errorf("tuple %q as application/presence: %w", t.ID, err)
	}
	return b, nil
}

// clientBody encodes tuples (sorted by Tuple-ID) for a client link (I2 §14.2): nothing for no
// tuple, one application/presence entity with its Tuple-ID as a command header, or
// multipart/mixed with a Tuple-ID header in every part. It returns the body and the headers
// to add. The documents go out as published (PRIM-A14.1-2): pidf's FormatPrimMultipart would
// render them again from its model, so the few lines of MIME framing stay here.
func clientBody(ts []tupleInfo) ([]byte, [][2]string) {
	switch len(ts) {
	case 0:
		return nil, nil
	case 1:
		return ts[0].XML, [][2]string{{"Content-Type", "application/presence"}, {"Tuple-ID", ts[0].ID}}
	}
	boundary := "prim-tuples"
	for n := 0; ; n++ {
		clash := false
		for _, t := range ts {
			if bytes.Contains(t.XML, []byte(boundary)) || strings.Contains(t.ID, boundary) {
				clash = true
				break
			}
		}
		if !clash {
			break
		}
		boundary = "prim-tuples-" + strconv.Itoa(n)
	}
	var b bytes.Buffer
	for _, t := range ts {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: application/presence\r\nTuple-ID: %s\r\n\r\n", boundary, t.ID)
		b.Write(t.XML)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--", boundary)
	return b.Bytes(), [][2]string{{"Content-Type", `multipart/mixed; boundary="` + boundary + `"`}}
}

// notifyBody is clientBody for NOTIFY, which must carry a body (I2 §10.1.4): an empty PI is
// a multipart/mixed with no part.
func notifyBody(ts []tupleInfo) ([]byte, [][2]string) {
	if len(ts) == 0 {
		return []byte("--prim-tuples--"), [][2]string{{"Content-Type", `multipart/mixed; boundary="prim-tuples"`}}
	}
	return clientBody(ts)
}

// ---- CPIM-PIDF (prim-digest.md §4.10, Decision D2) ----

const cpimPIDFType = pidf.TypeCPIMPIDF

// formatCPIMPIDF writes a presentity's tuples as CPIM-PIDF with reference/pidf (Decision D2):
// one <tuple id=Tuple-ID> each, with status, contact (priority from preference, clamped to
// 0-255) and note. CPIM-PIDF needs a tuple; an empty PI (a NOTIFY must still carry a body) is
// written as the presentity alone, which pidf cannot render.
func formatCPIMPIDF(presentity string, ts []tupleInfo) []byte {
	p := pidf.Presence{Entity: presentity}
	for _, t := range ts {
		p.Tuples = append(p.Tuples, toPIDF(t))
	}
	if len(ts) > 0 {
		if b, err := pidf.FormatCPIMPIDF(p); err == nil {
			return b
		}
	}
	var id bytes.Buffer
	_ = xml.EscapeText(&id, []byte(presentity))
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<presence xmlns="%s"><presentity id="%s"/></presence>`,
		pidf.NamespaceCPIMPIDF, id.String()))
}

// emptyCPIMPIDF is the document formatCPIMPIDF writes for an empty PI, as pidf would read it
// if it accepted a presence without tuples.
type emptyCPIMPIDF struct {
	XMLName    xml.Name `xml:"urn:ietf:params:cpim-presence: presence"`
	Presentity *struct {
		ID string `xml:"id,attr"`
	} `xml:"urn:ietf:params:cpim-presence: presentity"`
	Tuples []struct{} `xml:"urn:ietf:params:cpim-presence: tuple"`
}

// parseCPIMPIDF reads a server-profile NOTIFY body with reference/pidf: bare
// application/cpim-pidf+xml, multipart, or message/cpim wrapping it (PRIM-S7.1.3-3). A bare
// document with a presentity and no tuple is an empty PI.
func parseCPIMPIDF(contentType string, body []byte) ([]tupleInfo, error) {
	p, err := pidf.ParseServerBody(contentType, body)
	if err != nil {
		var e emptyCPIMPIDF
		if xml.Unmarshal(body, &e) == nil && e.Presentity != nil && e.Presentity.ID != "" && len(e.Tuples) == 0 {
			return nil, nil
		}
		return nil, err
	}
	var out []tupleInfo
	for _, pt := range p.Tuples {
		t := fromPIDF(pt)
		if t.Status == "" {
			t.Status = "closed"
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
