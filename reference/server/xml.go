package server

// XML documents. Presence documents (application/presence §4.8, CPIM-PIDF §4.10) go through
// reference/pidf. The Class Table (§4.7), ACL (§7.5) and subscribers (§4.11) helpers below are
// private: they keep the engine's own matching indexes (identifier, @domain, ".").

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/addr"
	"github.com/primlab/primlab/reference/pidf"
)

// xnode is a parsed XML element (namespaces dropped: PRIM's own documents have none and
// CPIM-PIDF is matched by local name).
type xnode struct {
	name  string
	attrs map[string]string
	kids  []*xnode
	text  strings.Builder
}

func (n *xnode) child(name string) *xnode {
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

func (n *xnode) textOf(name string) string {
	if k := n.child(name); k != nil {
		return strings.TrimSpace(k.text.String())
	}
	return ""
}

const maxXMLElements = 10000

// parseXML parses a well-formed document (PRIM-A14.3-1) into a tree, without entities or DTD
// expansion. It rejects trailing content after the root.
func parseXML(b []byte) (*xnode, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.Entity = nil
	var stack []*xnode
	var root *xnode
	count := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if count > maxXMLElements || len(stack) > 64 {
				return nil, errors.New("XML document too large or too deep")
			}
			if root != nil && len(stack) == 0 {
				return nil, errors.New("content after the root element")
			}
			n := &xnode{name: t.Name.Local, attrs: map[string]string{}}
			for _, a := range t.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("text outside the root element")
			}
		case xml.Directive:
			return nil, errors.New("DTD or directive not accepted")
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// ---- Class Table (I2 §13.1) ----

type classTable struct {
	names []string          // class names in document order
	ids   map[string]string // canonical bare id -> class
	doms  map[string]string // canonical domain -> class
	all   string            // class holding ".", "" if none (Decision D39)
	raw   []byte
}

// parseClassTable parses a classtable document; an entry in two classes is 400 (Decision D39).
func parseClassTable(b []byte) (*classTable, error) {
	root, err := parseXML(b)
	if err != nil {
		return nil, err
	}
	if root.name != "classtable" {
		return nil, fmt.Errorf("root element %q is not classtable", root.name)
	}
	ct := &classTable{ids: map[string]string{}, doms: map[string]string{}, raw: append([]byte(nil), b...)}
	seen := map[string]bool{}
	for _, cl := range root.kids {
		if cl.name != "class" {
			continue
		}
		name := cl.attrs["name"]
		if name == "" || strings.ContainsAny(name, " \t\r\n") {
			return nil, fmt.Errorf("class name %q is empty or has white space", name)
		}
		if seen[name] {
			return nil, fmt.Errorf("class %q defined twice", name)
		}
		seen[name] = true
		ct.names = append(ct.names, name)
		for _, w := range cl.kids {
			if w.name != "watcher" {
				continue
			}
			key, kind, err := entryKey(strings.TrimSpace(w.text.String()))
			if err != nil {
				return nil, fmt.Errorf("class %q: %w", name, err)
			}
			var dup bool
			switch kind {
			case entryID:
				_, dup = ct.ids[key]
				ct.ids[key] = name
			case entryDomain:
				_, dup = ct.doms[key]
				ct.doms[key] = name
			case entryAll:
				dup = ct.all != ""
				ct.all = name
			}
			if dup {
				return nil, fmt.Errorf("watcher entry %q appears in two classes (Decision D39)", strings.TrimSpace(w.text.String()))
			}
		}
	}
	return ct, nil
}

func (ct *classTable) has(name string) bool {
	for _, n := range ct.names {
		if n == name {
			return true
		}
	}
	return false
}

// classOf returns the watcher's class: identifier, then @domain, then ".", else the default
// class "" (PRIM-A5.3-1, PRIM-A5.3-2, PRIM-A13.1.2-1, Decision D39).
func (ct *classTable) classOf(w addr.ID) string {
	if ct == nil {
		return ""
	}
	if c, ok := ct.ids[w.BareKey()]; ok {
		return c
	}
	if c, ok := ct.doms[w.DomainKey()]; ok {
		return c
	}
	return ct.all
}

type entryKind int

const (
	entryID entryKind = iota
	entryDomain
	entryAll
)

// entryKey canonicalises a Class Table or ACL key: "." (everybody), "@domain", or an
// identifier with or without scheme (Decision D15, D22).
func entryKey(v string) (string, entryKind, error) {
	switch {
	case v == ".":
		return ".", entryAll, nil
	case strings.HasPrefix(v, "@"):
		d, err := addr.ParseDomain(v[1:])
		if err != nil {
			return "", 0, fmt.Errorf("entry %q: %w", v, err)
		}
		return addr.CanonicalDomain(d), entryDomain, nil
	}
	id, err := addr.ParseBare(v)
	if err != nil {
		id, err = addr.ParseMode(v, addr.Loose)
		if err != nil {
			return "", 0, fmt.Errorf("entry %q: %w", v, err)
		}
	}
	return id.BareKey(), entryID, nil
}

// ---- ACL (I2 §13.2) ----

type acl struct {
	ids  map[string]map[string]bool
	doms map[string]map[string]bool
	all  map[string]bool // nil: no "." entry
	raw  []byte
}

var presenceRights = map[string]bool{"fetch": true, "subscribe": true, "publish": true, "remove": true}
var inboxRights = map[string]bool{"send": true, "listen": true, "silence": true}

// parseACL parses an ACL document whose allowed operations are those in ops.
func parseACL(b []byte, ops map[string]bool) (*acl, error) {
	root, err := parseXML(b)
	if err != nil {
		return nil, err
	}
	if root.name != "acl" {
		return nil, fmt.Errorf("root element %q is not acl", root.name)
	}
	a := &acl{ids: map[string]map[string]bool{}, doms: map[string]map[string]bool{}, raw: append([]byte(nil), b...)}
	for _, e := range root.kids {
		if e.name != "entry" {
			continue
		}
		target, allow := e.child("target"), e.child("allow")
		if target == nil || allow == nil {
			return nil, errors.New("entry without target or allow")
		}
		rights := map[string]bool{}
		for _, op := range allow.kids {
			if !ops[op.name] {
				return nil, fmt.Errorf("operation %q is not allowed in this ACL", op.name)
			}
			rights[op.name] = true
		}
		n := 0
		for _, ad := range target.kids {
			if ad.name != "address" {
				continue
			}
			n++
			key, kind, err := entryKey(strings.TrimSpace(ad.text.String()))
			if err != nil {
				return nil, err
			}
			var dst map[string]bool
			switch kind {
			case entryID:
				if a.ids[key] == nil {
					a.ids[key] = map[string]bool{}
				}
				dst = a.ids[key]
			case entryDomain:
				if a.doms[key] == nil {
					a.doms[key] = map[string]bool{}
				}
				dst = a.doms[key]
			case entryAll:
				if a.all == nil {
					a.all = map[string]bool{}
				}
				dst = a.all
			}
			for r := range rights {
				dst[r] = true
			}
		}
		if n == 0 {
			return nil, errors.New("target without address")
		}
	}
	return a, nil
}

// allows evaluates the ACL: exact identifier, then @domain, then ".", else deny
// (PRIM-A13.2.1-4, Decision D15).
func (a *acl) allows(requester addr.ID, op string) bool {
	if r, ok := a.ids[requester.BareKey()]; ok {
		return r[op]
	}
	if r, ok := a.doms[requester.DomainKey()]; ok {
		return r[op]
	}
	return a.all[op]
}

// defaultACL is Decision D15's default for a fresh resource.
func defaultACL(inbox, deny bool) *acl {
	a := &acl{ids: map[string]map[string]bool{}, doms: map[string]map[string]bool{}}
	if deny {
		a.raw = []byte("<acl></acl>")
		return a
	}
	if inbox {
		a.all = map[string]bool{"send": true}
		a.raw = []byte("<acl><entry><target><address>.</address></target><allow><send/></allow></entry></acl>")
	} else {
		a.all = map[string]bool{"fetch": true, "subscribe": true}
		a.raw = []byte("<acl><entry><target><address>.</address></target><allow><fetch/><subscribe/></allow></entry></acl>")
	}
	return a
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

// formatPrimTuple writes a tuple that arrived as CPIM-PIDF as a PRIM presence document
// (Decision D2, reverse direction), dated at.
func formatPrimTuple(presentity string, at time.Time, t tupleInfo) []byte {
	pt := toPIDF(t)
	pt.Timestamp = at
	if pt.DisplayName == "" {
		pt.DisplayName = t.ID
	}
	if pt.Status != pidf.Open && pt.Status != pidf.Closed {
		pt.Status = pidf.Closed
	}
	b, err := pidf.FormatPrim(pidf.Presence{Entity: presentity, Tuples: []pidf.Tuple{pt}}, 0)
	if err != nil {
		// A tuple FormatPrim refuses (e.g. no contact address): the minimal document.
		return []byte(fmt.Sprintf(`<presence identifier="%s" date="%s"><contact address="%s"><display-name>%s</display-name><status value="%s"/></contact></presence>`,
			esc(presentity), esc(pidf.FormatDate(at)), esc(presentity), esc(pt.DisplayName), esc(string(pt.Status))))
	}
	return b
}

// clientBody encodes tuples (sorted by Tuple-ID) for a client link (I2 §14.2): nothing for no
// tuple, one application/presence entity with its Tuple-ID as a command header, or
// multipart/mixed with a Tuple-ID header in every part. It returns the body and the headers
// to add.
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
// written as the presentity alone.
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
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<presence xmlns="%s"><presentity id="%s"/></presence>`,
		pidf.NamespaceCPIMPIDF, esc(presentity)))
}

// parseCPIMPIDF reads a server-profile NOTIFY body with reference/pidf: bare
// application/cpim-pidf+xml, multipart, or message/cpim wrapping it (PRIM-S7.1.3-3). A
// document with only a presentity (no tuple) is an empty PI.
func parseCPIMPIDF(contentType string, body []byte) ([]tupleInfo, error) {
	p, err := pidf.ParseServerBody(contentType, body)
	if err != nil {
		if root, rerr := parseXML(body); rerr == nil && root.name == "presence" && root.child("tuple") == nil {
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

// subscribersDoc lists subscribers for STARTWATCHERNOTIFY (I2 §11.1.5, PRIM-A11.1.5-2).
func subscribersDoc(ids []string) []byte {
	var b strings.Builder
	b.WriteString("<subscribers>")
	for _, id := range ids {
		fmt.Fprintf(&b, "<subscriber>%s</subscriber>", esc(id))
	}
	b.WriteString("</subscribers>")
	return []byte(b.String())
}
