package client

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/pidf"
)

// This file maps the client's view of PRIM's XML documents on client links onto
// reference/pidf, which reads and writes them: the application/presence tuple document (I2 §14,
// prim-digest.md §4.8, Decision D23), the Class Table (§4.7), the ACL (§7.5) and the
// subscribers list (§4.11).

// Content types used on client links.
const (
	ctPresence = pidf.TypePrim
	ctText     = "text/plain"
	ctXML      = "text/xml"
)

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

// buildTuple writes one application/presence document for presentity presID with
// reference/pidf (I2 §14.4; Decision D23: root attribute identifier, status attribute detail,
// one contact), dated now. The contact defaults to the im: identifier of the presentity, the
// display name to the Tuple-ID and the status to open. A status other than open or closed
// (PRIM-A14.4.4-1) or a preference that is not an unsigned decimal below 2^32 (PRIM-A14.4.7-1)
// is refused here: to send such a document on purpose, set Publish.Body.
func buildTuple(presID string, now time.Time, p Publish) ([]byte, error) {
	t := pidf.Tuple{ID: p.TupleID, Status: pidf.Status(p.Status), Detail: p.Detail, Contact: p.Contact,
		DisplayName: p.DisplayName, Note: p.Note, Timestamp: now.UTC()}
	if t.Contact == "" {
		t.Contact = "im:" + strings.TrimPrefix(presID, string(Presence)+":")
	}
	if t.DisplayName == "" {
		t.DisplayName = p.TupleID
	}
	if t.Status == pidf.Unknown {
		t.Status = pidf.Open
	}
	if p.Preference != "" {
		n, err := strconv.ParseUint(p.Preference, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("preference %q is not an unsigned decimal below 2^32 (PRIM-A14.4.7-1)", p.Preference)
		}
		t.Priority = pidf.Pref(uint32(n))
	}
	return pidf.FormatPrim(pidf.Presence{Entity: presID, Tuples: []pidf.Tuple{t}}, 0)
}

// tupleOf is the client's view of a pidf tuple.
func tupleOf(pt pidf.Tuple) Tuple {
	t := Tuple{ID: pt.ID, Contact: pt.Contact, Status: string(pt.Status), Detail: pt.Detail,
		DisplayName: pt.DisplayName, Note: pt.Note}
	if pt.Priority.Set {
		t.Preference = strconv.FormatUint(uint64(pt.Priority.Rank), 10)
	}
	return t
}

// parsePresenceBody reads the presence information in a NOTIFY, FETCH or SUBSCRIBE body with
// reference/pidf: a multipart/mixed of application/presence parts, each with its Tuple-ID
// header, or a single application/presence entity named by the command's Tuple-ID header
// (tupleHeader) (I2 §14.2). An empty body is an empty presence; a body without Content-Type is
// taken as application/presence. A document pidf refuses (not well-formed, no contact
// address, a status other than open or closed, a part without Tuple-ID...) is an error: the
// caller answers a NOTIFY carrying it with 400 (I2 §10.1.4).
func parsePresenceBody(contentType, tupleHeader string, body []byte) ([]Tuple, error) {
	if len(body) == 0 {
		return nil, nil
	}
	if contentType == "" {
		contentType = ctPresence
	}
	p, err := pidf.ParseClientBody(contentType, body, tupleHeader)
	if err != nil {
		return nil, err
	}
	var out []Tuple
	for _, pt := range p.Tuples {
		out = append(out, tupleOf(pt))
	}
	return out, nil
}

// Class is one class of a Class Table (I2 §13.1): its name and its watcher entries
// (identifiers without scheme, @domain patterns, or ".").
type Class struct {
	Name     string
	Watchers []string
}

func buildClassTable(classes []Class) []byte {
	var ct pidf.ClassTable
	for _, c := range classes {
		ct.Classes = append(ct.Classes, pidf.Class{Name: c.Name, Watchers: c.Watchers})
	}
	return pidf.FormatClassTable(ct)
}

func parseClassTable(body []byte) ([]Class, error) {
	ct, err := pidf.ParseClassTable(body)
	if err != nil {
		return nil, err
	}
	out := make([]Class, 0, len(ct.Classes))
	for _, c := range ct.Classes {
		out = append(out, Class{Name: c.Name, Watchers: c.Watchers})
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
	var a pidf.ACL
	for _, e := range entries {
		pe := pidf.ACLEntry{Targets: e.Targets}
		for _, op := range e.Allow {
			pe.Allow = append(pe.Allow, pidf.Right(op))
		}
		a.Entries = append(a.Entries, pe)
	}
	return pidf.FormatACL(a)
}

func parseACL(body []byte) ([]ACLEntry, error) {
	a, err := pidf.ParseACL(body)
	if err != nil {
		return nil, err
	}
	out := make([]ACLEntry, 0, len(a.Entries))
	for _, e := range a.Entries {
		ent := ACLEntry{Targets: e.Targets}
		for _, r := range e.Allow {
			ent.Allow = append(ent.Allow, string(r))
		}
		out = append(out, ent)
	}
	return out, nil
}

// validACLOp reports whether op is an operation of I2 §13.2 (of either kind of ACL); SetACL
// refuses others locally so that a typo does not become a 400 from the server.
func validACLOp(op string) bool {
	for _, k := range []pidf.ACLKind{pidf.PresentityACL, pidf.InboxACL} {
		for _, r := range k.Rights() {
			if string(r) == op {
				return true
			}
		}
	}
	return false
}

// parseSubscribers reads the STARTWATCHERNOTIFY 200 body (I2 §11.1.5), sorted for determinism.
func parseSubscribers(body []byte) ([]string, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	out, err := pidf.ParseSubscribers(body)
	if err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}
