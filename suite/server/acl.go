package server

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strings"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §11.3 SETACL and GETACL, §13.2 access control (prim-digest §7.5; Decisions D15, D22, D37,
// D38). Access decisions are judged by their effect on the wire: a SEND that is refused (402,
// or 408 when the refusal is concealed) and not delivered, a FETCH or SUBSCRIBE answered 402.
// Every case sets the ACLs it depends on first, so no target default (D15) and no earlier
// case's state decides the outcome.

// aclEntries reads an ACL document into key → sorted rights, keys lower-cased (ACL keys
// compare case-insensitively, PRIM-A7.1-3, Decision D38).
func aclEntries(body []byte) (map[string]string, error) {
	var doc struct {
		XMLName xml.Name `xml:"acl"`
		Entries []struct {
			Addresses []string `xml:"target>address"`
			Allow     struct {
				Rights []struct {
					XMLName xml.Name
				} `xml:",any"`
			} `xml:"allow"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("ACL document %q: %w", body, err)
	}
	out := map[string]string{}
	for _, e := range doc.Entries {
		var rights []string
		for _, r := range e.Allow.Rights {
			rights = append(rights, r.XMLName.Local)
		}
		sort.Strings(rights)
		for _, a := range e.Addresses {
			out[strings.ToLower(strings.TrimSpace(a))] = strings.Join(rights, " ")
		}
	}
	return out, nil
}

// wantEntries is what aclEntries should return for entries given as in aclXML.
func wantEntries(entries ...[2]string) map[string]string {
	out := map[string]string{}
	for _, e := range entries {
		rights := strings.Fields(e[1])
		sort.Strings(rights)
		for _, k := range strings.Fields(e[0]) {
			out[strings.ToLower(k)] = strings.Join(rights, " ")
		}
	}
	return out
}

// sendRefused has sender SEND to owner's inbox (owner listening) and expects a refusal, with
// nothing delivered.
func sendRefused(h *H, sender, owner *Peer) {
	ginkgo.GinkgoHelper()
	req := imMsg(h, sender.IM(), owner.IM(), imText("should be refused"))
	resp := sender.Call(req, HaveNoBody())
	h.Accept(resp, refusedSend()...)
	imNone(h, owner, req.Value("Message-ID"), "the inbox's ACL refuses the sender")
}

// sendAllowed has sender SEND to owner's inbox (owner listening) and expects delivery and 200.
func sendAllowed(h *H, sender, owner *Peer) {
	ginkgo.GinkgoHelper()
	imRoundTrip(h, sender, owner, imMsg(h, sender.IM(), owner.IM(), imText("should be let in")))
}

// fetchAs has watcher FETCH presentity and returns the response.
func fetchAs(h *H, watcher *Peer, presentity string) *wire.Message {
	ginkgo.GinkgoHelper()
	return watcher.Call(watcher.Request("FETCH", "From", watcher.Pres(), "To", presentity))
}

// presOwner keeps the owner allowed everything on its presentity (see ownerRights).
func presOwner(owner *Peer) [2]string {
	return [2]string{bare(owner.Pres()), "fetch subscribe publish remove"}
}

// setPresenceACL replaces the owner's presentity ACL with the entries plus the owner's rights.
func setPresenceACL(h *H, owner *Peer, entries ...[2]string) {
	ginkgo.GinkgoHelper()
	putACL(h, owner, owner.Pres(), aclXML(append([][2]string{presOwner(owner)}, entries...)...))
}

// ---- §11.3.1 SETACL ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.3.1/1", Section: "11.3.1", Level: reports.LevelMust,
	Requirement: "SETACL on the principal's own inbox is answered 200 without a body, and the new ACL governs the next SEND.",
	Statements:  []string{"PRIM-A11.3.1-2", "PRIM-A11.3.1-3", "PRIM-A13.2.1-1"},
	RFC2779:     []string{"2.3.5"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	bob := imUser(h, "bob")
	imListen(h, bob)
	carol := imUser(h, "carol")
	resp := bob.Call(setACLReq(h, bob.IM(), aclXML(ownerRights(bob), [2]string{bare(carol.IM()), "send"})))
	if resp.Code == wire.StatusNotImplemented {
		h.NotApplicable("SETACL answered 501: ACLs are not managed by command (PRIM-A13.2.1-1 MAY)")
	}
	Expect(resp).To(SatisfyAll(HaveCode(wire.StatusOK), HaveNoBody()))
	sendAllowed(h, carol, bob)
	alice := imUser(h, "alice")
	sendRefused(h, alice, bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.3.1/2", Section: "11.3.1", Level: reports.LevelMust,
	Requirement: "SETACL on the principal's own presentity is answered 200 without a body, and the new ACL governs the next FETCH.",
	Statements:  []string{"PRIM-A11.3.1-2", "PRIM-A11.3.1-3", "PRIM-A13.2.1-1"},
	RFC2779:     []string{"2.3.1"},
}), func(h *H) {
	bob := h.LoggedIn("bob")
	carol := h.LoggedIn("carol")
	resp := bob.Call(setACLReq(h, bob.Pres(), aclXML(presOwner(bob), [2]string{bare(carol.Pres()), "fetch"})))
	if resp.Code == wire.StatusNotImplemented {
		h.NotApplicable("SETACL answered 501: ACLs are not managed by command (PRIM-A13.2.1-1 MAY)")
	}
	Expect(resp).To(SatisfyAll(HaveCode(wire.StatusOK), HaveNoBody()))
	Expect(fetchAs(h, carol, bob.Pres())).To(HaveCode(wire.StatusOK))
	Expect(fetchAs(h, h.LoggedIn("alice"), bob.Pres())).To(SatisfyAll(HaveCode(wire.StatusForbidden), HaveNoBody()))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.3.1/3", Section: "11.3.1", Level: reports.LevelMust,
	Requirement: "SETACL with a body that is not well-formed XML is answered 400 without a body and the active ACL is unchanged.",
	Statements:  []string{"PRIM-A11.3.1-3", "PRIM-A11.3.1-2", "PRIM-A11.3.1-1"},
	RFC2779:     []string{"2.3.5"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{".", "send"}, [2]string{bare(h.IM("carol")), ""})
	imListen(h, bob)
	bad := setACLReq(h, bob.IM(), []byte(`<acl><entry><target><address>.</address></target><allow><send/></allow></entry>`))
	bob.Call(bad, HaveCode(wire.StatusBadRequest), HaveNoBody())
	carol := imUser(h, "carol")
	sendRefused(h, carol, bob)
	sendAllowed(h, imUser(h, "alice"), bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.3.1/4", Section: "11.3.1", Level: reports.LevelMust,
	Requirement: "SETACL on another principal's inbox is answered 402 Forbidden without a body and that ACL is unchanged.",
	Statements:  []string{"PRIM-A11.3.1-3", "PRIM-A11.3.1-2", "PRIM-A4.1-2"},
	RFC2779:     []string{"2.3.5", "5.4.10"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{bare(h.IM("alice")), "send"})
	imListen(h, bob)
	carol := imUser(h, "carol")
	carol.Call(setACLReq(h, bob.IM(), aclXML([2]string{".", "send listen silence"})), HaveCode(wire.StatusForbidden), HaveNoBody())
	sendRefused(h, carol, bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.3.1/5", Section: "11.3.1", Level: reports.LevelMust,
	Requirement: "SETACL on an inbox that does not exist is refused (403 Resource Not Found, or 402) without a body.",
	Statements:  []string{"PRIM-A11.3.1-3", "PRIM-A11.3.1-2"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	alice := imUser(h, "alice")
	resp := alice.Call(setACLReq(h, h.IM(h.Unique("ghost")), aclXML([2]string{".", "send"})), HaveNoBody())
	if resp.Code == wire.StatusNotImplemented {
		h.NotApplicable("SETACL answered 501: ACLs are not managed by command (PRIM-A13.2.1-1 MAY)")
	}
	h.Accept(resp,
		OneOf("403 Resource Not Found", HaveCode(wire.StatusResourceNotFound)),
		OneOf("D37: 402 Forbidden (not the principal's resource)", HaveCode(wire.StatusForbidden)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.3.1/6", Section: "11.3.1", Level: reports.LevelMust,
	Requirement: "SETACL replaces the whole ACL: an entry of the previous ACL that the new one lacks no longer applies.",
	Statements:  []string{"PRIM-A11.3.1-3", "PRIM-A13.2.1-4"},
	RFC2779:     []string{"2.3.5", "5.4.10"},
}), func(h *H) {
	bob := imUser(h, "bob")
	carol := imUser(h, "carol")
	alice := imUser(h, "alice")
	setInboxACL(h, bob, [2]string{bare(carol.IM()), "send"})
	imListen(h, bob)
	sendAllowed(h, carol, bob)
	setInboxACL(h, bob, [2]string{bare(alice.IM()), "send"})
	sendRefused(h, carol, bob)
	sendAllowed(h, alice, bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.3.1/7", Section: "11.3.1", Level: reports.LevelShould,
	Requirement: "SETACL with well-formed XML that is not an ACL document (wrong root element) is answered 400 and the ACL is unchanged.",
	Statements:  []string{"PRIM-A11.3.1-1", "PRIM-A11.3.1-3"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{".", ""})
	imListen(h, bob)
	bob.Call(setACLReq(h, bob.IM(), []byte(`<classtable><class name="x"><watcher>.</watcher></class></classtable>`)),
		HaveCode(wire.StatusBadRequest), HaveNoBody())
	sendRefused(h, imUser(h, "carol"), bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.3.1/8", Section: "11.3.1", Level: reports.LevelShould,
	Requirement: "SETACL without a body is answered 400 Bad Request and the ACL is unchanged.",
	Statements:  []string{"PRIM-A11.3.1-1", "PRIM-A11.3.1-3"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{".", "send"})
	imListen(h, bob)
	empty := setACLReq(h, bob.IM(), nil)
	empty.Del("Content-Type")
	bob.Call(empty, HaveCode(wire.StatusBadRequest), HaveNoBody())
	sendAllowed(h, imUser(h, "carol"), bob)
})

// ---- §11.3.2 GETACL ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.3.2/1", Section: "11.3.2", Level: reports.LevelMust,
	Requirement: "GETACL on the principal's own inbox is answered 200 with the ACL document last set: the same keys with the same rights.",
	Statements:  []string{"PRIM-A11.3.2-1", "PRIM-A13.2.1-1"},
	RFC2779:     []string{"2.3.5"},
	Decisions:   []string{"D22"},
}), func(h *H) {
	bob := imUser(h, "bob")
	entries := [][2]string{ownerRights(bob), {bare(h.IM("alice")), "send"}, {"@" + h.Domain(), "send listen"}, {".", ""}}
	putACL(h, bob, bob.IM(), aclXML(entries...))
	resp := bob.Call(getACLReq(h, bob.IM()), HaveCode(wire.StatusOK), HaveBody())
	got, err := aclEntries(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	Expect(got).To(Equal(wantEntries(entries...)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.3.2/2", Section: "11.3.2", Level: reports.LevelMust,
	Requirement: "GETACL on the principal's own presentity is answered 200 with the ACL document last set.",
	Statements:  []string{"PRIM-A11.3.2-1", "PRIM-A13.2.1-1"},
	RFC2779:     []string{"2.3.1"},
	Decisions:   []string{"D22"},
}), func(h *H) {
	bob := h.LoggedIn("bob")
	entries := [][2]string{presOwner(bob), {bare(h.Pres("carol")), "fetch subscribe publish remove"},
		{"@" + h.PeerDomain(), ""}, {".", "fetch"}}
	putACL(h, bob, bob.Pres(), aclXML(entries...))
	resp := bob.Call(getACLReq(h, bob.Pres()), HaveCode(wire.StatusOK), HaveBody())
	got, err := aclEntries(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	Expect(got).To(Equal(wantEntries(entries...)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.3.2/3", Section: "11.3.2", Level: reports.LevelMust,
	Requirement: "GETACL on another principal's inbox is answered 402 Forbidden without a body.",
	Statements:  []string{"PRIM-A11.3.2-1", "PRIM-A4.1-2"},
	RFC2779:     []string{"5.1.2"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{".", "send listen silence"})
	carol := imUser(h, "carol")
	resp := carol.Call(getACLReq(h, bob.IM()), HaveNoBody())
	if resp.Code == wire.StatusNotImplemented {
		h.NotApplicable("GETACL answered 501 (PRIM-A13.2.1-1 MAY)")
	}
	Expect(resp).To(HaveCode(wire.StatusForbidden))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.3.2/4", Section: "11.3.2", Level: reports.LevelMust,
	Requirement: "GETACL on a resource that does not exist is refused (403 Resource Not Found, or 402) without a body.",
	Statements:  []string{"PRIM-A11.3.2-1"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	resp := alice.Call(getACLReq(h, h.Pres(h.Unique("ghost"))), HaveNoBody())
	if resp.Code == wire.StatusNotImplemented {
		h.NotApplicable("GETACL answered 501 (PRIM-A13.2.1-1 MAY)")
	}
	h.Accept(resp,
		OneOf("403 Resource Not Found", HaveCode(wire.StatusResourceNotFound)),
		OneOf("D37: 402 Forbidden (not the principal's resource)", HaveCode(wire.StatusForbidden)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.3.2/5", Section: "11.3.2", Level: reports.LevelMust,
	Requirement: "After a refused SETACL (400), GETACL still returns the previous ACL.",
	Statements:  []string{"PRIM-A11.3.2-1", "PRIM-A11.3.1-3"},
}), func(h *H) {
	bob := imUser(h, "bob")
	entries := [][2]string{ownerRights(bob), {bare(h.IM("carol")), "send"}}
	putACL(h, bob, bob.IM(), aclXML(entries...))
	bob.Call(setACLReq(h, bob.IM(), []byte("<acl><entry>")), HaveCode(wire.StatusBadRequest))
	resp := bob.Call(getACLReq(h, bob.IM()), HaveCode(wire.StatusOK))
	got, err := aclEntries(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	Expect(got).To(Equal(wantEntries(entries...)))
})

// ---- §13.2 ACL evaluation ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/1", Section: "13.2", Level: reports.LevelMust,
	Requirement: "Nothing is permitted when no entry matches: with only alice allowed to send, carol's SEND is refused and not delivered while alice's is.",
	Statements:  []string{"PRIM-A13.2.1-4", "PRIM-A13.2.1-5", "PRIM-A13.2.1-3"},
	RFC2779:     []string{"2.3.5", "5.4.10", "5.4.1"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{bare(h.IM("alice")), "send"})
	imListen(h, bob)
	sendRefused(h, imUser(h, "carol"), bob)
	sendAllowed(h, imUser(h, "alice"), bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/2", Section: "13.2", Level: reports.LevelMust,
	Requirement: "The \".\" entry applies to everybody not matched more specifically: with \". → send\" any principal's SEND is delivered.",
	Statements:  []string{"PRIM-A13.2.1-4"},
	RFC2779:     []string{"2.3.5"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{".", "send"})
	imListen(h, bob)
	sendAllowed(h, imUser(h, "carol"), bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/3", Section: "13.2", Level: reports.LevelMust,
	Requirement: "An entry for the requester's identifier wins over \".\": the owner can stop one principal from sending while everybody else may.",
	Statements:  []string{"PRIM-A13.2.1-4", "PRIM-A13.2.1-5"},
	RFC2779:     []string{"5.4.10", "2.3.5"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{".", "send"}, [2]string{bare(h.IM("carol")), ""})
	imListen(h, bob)
	sendRefused(h, imUser(h, "carol"), bob)
	sendAllowed(h, imUser(h, "alice"), bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/4", Section: "13.2", Level: reports.LevelMust,
	Requirement: "An entry for the requester's identifier wins over its \"@domain\" entry.",
	Statements:  []string{"PRIM-A13.2.1-4"},
	RFC2779:     []string{"2.3.5", "5.4.10"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{"@" + h.Domain(), ""}, [2]string{bare(h.IM("alice")), "send"})
	imListen(h, bob)
	sendAllowed(h, imUser(h, "alice"), bob)
	sendRefused(h, imUser(h, "carol"), bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/5", Section: "13.2", Level: reports.LevelMust,
	Requirement: "An \"@domain\" entry wins over \".\": an empty entry for the requester's domain refuses it although \".\" may send.",
	Statements:  []string{"PRIM-A13.2.1-4"},
	RFC2779:     []string{"2.3.5"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{".", "send"}, [2]string{"@" + h.Domain(), ""})
	imListen(h, bob)
	sendRefused(h, imUser(h, "carol"), bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/6", Section: "13.2", Level: reports.LevelMust,
	Requirement: "An \"@domain\" entry grants its rights to every principal of that domain when \".\" grants nothing.",
	Statements:  []string{"PRIM-A13.2.1-4"},
	RFC2779:     []string{"2.3.5"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{".", ""}, [2]string{"@" + h.Domain(), "send"})
	imListen(h, bob)
	sendAllowed(h, imUser(h, "carol"), bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/7", Section: "13.2", Level: reports.LevelMust,
	Requirement: "An \"@domain\" entry for another domain does not match local principals: they fall through to default deny.",
	Statements:  []string{"PRIM-A13.2.1-4"},
	RFC2779:     []string{"2.3.5"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{"@" + h.PeerDomain(), "send"})
	imListen(h, bob)
	sendRefused(h, imUser(h, "carol"), bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/8", Section: "13.2", Level: reports.LevelMust,
	Requirement: "ACL keys match identifiers case-insensitively: an entry written in upper case applies to the principal.",
	Statements:  []string{"PRIM-A7.1-3", "PRIM-A13.2.1-4"},
	RFC2779:     []string{"2.3.5"},
	Decisions:   []string{"D15", "D22", "D38"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{strings.ToUpper(bare(h.IM("carol"))), "send"})
	imListen(h, bob)
	sendAllowed(h, imUser(h, "carol"), bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/9", Section: "13.2", Level: reports.LevelMust,
	Requirement: "Rights are per operation: a principal granted listen (but not send) on an inbox cannot SEND to it.",
	Statements:  []string{"PRIM-A13.2.1-5", "PRIM-A13.2.1-4"},
	RFC2779:     []string{"2.3.5"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{bare(h.IM("carol")), "listen silence"})
	imListen(h, bob)
	sendRefused(h, imUser(h, "carol"), bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/10", Section: "13.2", Level: reports.LevelMust,
	Requirement: "The inbox and the presentity have separate ACLs: send on the inbox does not grant fetch on the presentity, and a closed presentity does not close the inbox.",
	Statements:  []string{"PRIM-A13.2.1-5"},
	RFC2779:     []string{"2.1.2", "2.3.1", "2.3.5"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionPresence, wire.VersionIM)
	setInboxACL(h, bob, [2]string{".", "send"})
	setPresenceACL(h, bob, [2]string{".", ""})
	imListen(h, bob)
	carol := h.LoggedIn("carol", wire.VersionPresence, wire.VersionIM)
	Expect(fetchAs(h, carol, bob.Pres())).To(SatisfyAll(HaveCode(wire.StatusForbidden), HaveNoBody()))
	sendAllowed(h, carol, bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/11", Section: "13.2", Level: reports.LevelMust,
	Requirement: "Presentity ACL: an empty entry for one watcher refuses its FETCH with 402 while \". → fetch\" lets others fetch.",
	Statements:  []string{"PRIM-A13.2.1-4", "PRIM-A13.2.1-5", "PRIM-A13.2.1-3"},
	RFC2779:     []string{"2.3.1", "5.1.13"},
}), func(h *H) {
	bob := h.LoggedIn("bob")
	setPresenceACL(h, bob, [2]string{".", "fetch subscribe"}, [2]string{bare(h.Pres("carol")), ""})
	Expect(fetchAs(h, h.LoggedIn("carol"), bob.Pres())).To(SatisfyAll(HaveCode(wire.StatusForbidden), HaveNoBody()))
	Expect(fetchAs(h, h.LoggedIn("alice"), bob.Pres())).To(HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/12", Section: "13.2", Level: reports.LevelMust,
	Requirement: "Presentity rights are per operation: a watcher granted fetch but not subscribe gets 402 to SUBSCRIBE and 200 to FETCH.",
	Statements:  []string{"PRIM-A13.2.1-5", "PRIM-A13.2.1-4"},
	RFC2779:     []string{"2.3.2", "5.1.13", "5.1.5"},
}), func(h *H) {
	bob := h.LoggedIn("bob")
	setPresenceACL(h, bob, [2]string{bare(h.Pres("carol")), "fetch"})
	carol := h.LoggedIn("carol")
	carol.Call(carol.Request("SUBSCRIBE", "From", carol.Pres(), "To", bob.Pres(), "Duration", "600"),
		HaveCode(wire.StatusForbidden), HaveNoBody())
	Expect(fetchAs(h, carol, bob.Pres())).To(HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/13", Section: "13.2", Level: reports.LevelMust,
	Requirement: "The ACL is enforced at the home server while the owner is offline: after the owner disconnects, a refused watcher still gets 402 and an allowed one 200.",
	Statements:  []string{"PRIM-A13.2.1-3", "PRIM-A13.2.1-4"},
	RFC2779:     []string{"2.3.7", "2.3.1"},
}), func(h *H) {
	bob := h.LoggedIn("bob")
	setPresenceACL(h, bob, [2]string{".", "fetch"}, [2]string{bare(h.Pres("carol")), ""})
	bob.Abort()
	Expect(fetchAs(h, h.LoggedIn("carol"), h.Pres("bob"))).To(SatisfyAll(HaveCode(wire.StatusForbidden), HaveNoBody()))
	Expect(fetchAs(h, h.LoggedIn("alice"), h.Pres("bob"))).To(HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/14", Section: "13.2", Level: reports.LevelMust,
	Requirement: "The inbox ACL is enforced while the owner is offline: a refused sender's SEND is refused, not stored (402, or 408 concealing it).",
	Statements:  []string{"PRIM-A13.2.1-3", "PRIM-A13.2.1-4"},
	RFC2779:     []string{"2.3.7", "5.4.10", "5.4.1"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{".", "send"}, [2]string{bare(h.IM("carol")), ""})
	bob.Abort()
	carol := imUser(h, "carol")
	resp := carol.Call(imMsg(h, carol.IM(), h.IM("bob"), imText("bob is away and blocks me")), HaveNoBody())
	h.Accept(resp, refusedSend()...)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/15", Section: "13.2", Level: reports.LevelMust,
	Requirement: "An ACL change takes effect at once: after the owner removes a sender's right, that sender's next SEND is refused and not delivered.",
	Statements:  []string{"PRIM-A11.3.1-3", "PRIM-A13.2.1-4"},
	RFC2779:     []string{"5.4.10", "2.3.5"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{".", "send"})
	imListen(h, bob)
	carol := imUser(h, "carol")
	sendAllowed(h, carol, bob)
	setInboxACL(h, bob, [2]string{".", "send"}, [2]string{bare(carol.IM()), ""})
	sendRefused(h, carol, bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/16", Section: "13.2", Level: reports.LevelMust,
	Requirement: "A principal the inbox's ACL grants listen (a delegate) may LISTEN on it and receives its IMs; without the right LISTEN is refused (402).",
	Statements:  []string{"PRIM-A13.2.1-5", "PRIM-A13.2.1-3", "PRIM-A11.2.1-1"},
	RFC2779:     []string{"2.3.6"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	bob := imUser(h, "bob")
	alice := imUser(h, "alice")
	setInboxACL(h, bob, [2]string{".", "send"}, [2]string{bare(alice.IM()), "send listen silence"})
	carol := imUser(h, "carol")
	resp := carol.Call(carol.Request("LISTEN", "From", bob.IM()), HaveNoBody())
	h.Accept(resp,
		OneOf("402 Forbidden (no listen right)", HaveCode(wire.StatusForbidden)),
		OneOf("another error response", HaveErrorCode()))
	alice.Call(alice.Request("LISTEN", "From", bob.IM()), HaveCode(wire.StatusOK), HaveNoBody())
	req := imMsg(h, carol.IM(), bob.IM(), imText("read by bob's delegate"))
	imRoundTrip(h, carol, alice, req)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/17", Section: "13.2", Level: reports.LevelShould,
	Requirement: "The owner is not locked out by its own ACL: with an ACL that grants nothing, the owner may still LISTEN and SILENCE its inbox.",
	Statements:  []string{"PRIM-A13.2.1-4", "PRIM-A4.1-2"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	bob := imUser(h, "bob")
	putACL(h, bob, bob.IM(), aclXML([2]string{".", ""}))
	imListen(h, bob)
	imSilence(h, bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/18", Section: "13.2", Level: reports.LevelMust,
	Requirement: "An entry whose target lists several addresses applies to each of them.",
	Statements:  []string{"PRIM-A13.2.1-4"},
	RFC2779:     []string{"2.3.5"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{bare(h.IM("alice")) + " " + bare(h.IM("carol")), "send"})
	imListen(h, bob)
	sendAllowed(h, imUser(h, "alice"), bob)
	sendAllowed(h, imUser(h, "carol"), bob)
})

// remoteSend sends an IM from user@peer-domain to listener's inbox over the server-server
// connection remote; a delivered copy is answered 200. It returns the response and whether
// the IM reached listener.
func remoteSend(h *H, remote *Peer, user string, listener *Peer) (*wire.Message, bool) {
	ginkgo.GinkgoHelper()
	req := remote.Request("SEND", "From", h.PeerIM(user), "To", listener.IM(), "Message-ID", h.Unique("msg"),
		"Conversation-ID", h.Unique("conv"), "Date", "Mon, 26 Feb 2001 09:52:08 +0900", "Content-Type", "text/plain; charset=UTF-8")
	req.Body = imText("from " + user + " at the peer domain")
	remote.Send(req)
	got := imNext(h, listener, req.Value("Message-ID"), h.Quiet())
	if got != nil {
		listener.Respond(got, wire.StatusOK)
	}
	return remote.ExpectResponse(req.ID, HaveNoBody()), got != nil
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/19", Section: "13.2", Level: reports.LevelMust,
	Requirement: "ACL evaluation across domains (the I2 §13.2.4 pattern): \"@peer-domain\" refuses that domain, an entry for one of its users lets that user in, and \".\" still admits others.",
	Statements:  []string{"PRIM-A13.2.1-4", "PRIM-A13.2.1-3", "PRIM-A4.2-3"},
	RFC2779:     []string{"5.4.10", "2.3.5", "2.2.1"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{".", "send"}, [2]string{"@" + h.PeerDomain(), ""}, [2]string{bare(h.PeerIM("goodfriend")), "send"})
	imListen(h, bob)
	remote := h.S2SLoggedIn("remote")
	resp, delivered := remoteSend(h, remote, "eve", bob)
	Expect(delivered).To(BeFalse(), "the IM of a principal of the refused domain reached bob")
	h.Accept(resp, refusedSend()...)
	resp, delivered = remoteSend(h, remote, "goodfriend", bob)
	Expect(delivered).To(BeTrue(), "goodfriend's IM is delivered")
	Expect(resp).To(HaveCode(wire.StatusOK))
	sendAllowed(h, imUser(h, "carol"), bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.3.2/6", Section: "11.3.2", Level: reports.LevelMust,
	Requirement: "GETACL on the principal's own inbox is answered 200 with a well-formed ACL document even before the owner ever set one (whatever default the server chose).",
	Statements:  []string{"PRIM-A11.3.2-1"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	carol := imUser(h, "carol")
	resp := carol.Call(getACLReq(h, carol.IM()))
	if resp.Code == wire.StatusNotImplemented {
		h.NotApplicable("GETACL answered 501 (PRIM-A13.2.1-1 MAY)")
	}
	Expect(resp).To(SatisfyAll(HaveCode(wire.StatusOK), HaveBody()))
	_, err := aclEntries(resp.Body)
	Expect(err).NotTo(HaveOccurred())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/20", Section: "13.2", Level: reports.LevelMust,
	Requirement: "The owner can admit principals it has no arrangement with: with \". → subscribe\" a watcher of another domain may subscribe; with an empty \"@domain\" entry for that domain it may not.",
	Statements:  []string{"PRIM-A13.2.1-4", "PRIM-A13.2.1-3", "PRIM-A13.2.1-5"},
	RFC2779:     []string{"5.1.3", "5.1.13", "2.3.2"},
	Decisions:   []string{"D12"},
}), func(h *H) {
	bob := h.LoggedIn("bob")
	setPresenceACL(h, bob, [2]string{".", "fetch subscribe"})
	remote := h.S2SLoggedIn("remote")
	sub := func(watcher string) *wire.Message {
		return remote.Call(remote.Request("SUBSCRIBE", "From", h.PeerPres(watcher), "To", bob.Pres(), "Duration", "600",
			"Subscription-ID", h.Unique("sub"), "Date", "Mon, 26 Feb 2001 09:52:08 +0900"))
	}
	Expect(sub("stranger")).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	setPresenceACL(h, bob, [2]string{".", "fetch subscribe"}, [2]string{"@" + h.PeerDomain(), ""})
	Expect(sub("other-stranger")).To(SatisfyAll(HaveCode(wire.StatusForbidden), HaveNoBody()))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/21", Section: "13.2", Level: reports.LevelMust,
	Requirement: "\"@domain\" keys match the requester's domain case-insensitively.",
	Statements:  []string{"PRIM-A7.1-3", "PRIM-A13.2.1-4"},
	RFC2779:     []string{"2.3.5"},
	Decisions:   []string{"D22", "D38"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{"@" + strings.ToUpper(h.Domain()), "send"})
	imListen(h, bob)
	sendAllowed(h, imUser(h, "carol"), bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/22", Section: "13.2", Level: reports.LevelMust,
	Requirement: "An \"@domain\" entry for another domain admits that domain's users (over server-server) while \".\" refuses everybody else.",
	Statements:  []string{"PRIM-A13.2.1-4", "PRIM-A13.2.1-3"},
	RFC2779:     []string{"2.3.5", "2.2.1"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{".", ""}, [2]string{"@" + h.PeerDomain(), "send"})
	imListen(h, bob)
	remote := h.S2SLoggedIn("remote")
	resp, delivered := remoteSend(h, remote, "eve", bob)
	Expect(delivered).To(BeTrue(), "eve's domain is allowed to send")
	Expect(resp).To(HaveCode(wire.StatusOK))
	sendRefused(h, imUser(h, "carol"), bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/23", Section: "13.2", Level: reports.LevelMust,
	Requirement: "silence is a right of its own: a delegate granted listen but not silence gets 402 to SILENCE and keeps receiving; once granted silence, its SILENCE succeeds and delivery to it stops.",
	Statements:  []string{"PRIM-A13.2.1-5", "PRIM-A11.2.2-1", "PRIM-A11.3.1-3"},
	RFC2779:     []string{"2.3.6"},
}), func(h *H) {
	bob := imUser(h, "bob")
	alice := imUser(h, "alice")
	setInboxACL(h, bob, [2]string{".", "send"}, [2]string{bare(alice.IM()), "listen"})
	alice.Call(alice.Request("LISTEN", "From", bob.IM()), HaveCode(wire.StatusOK))
	alice.Call(alice.Request("SILENCE", "From", bob.IM()), HaveCode(wire.StatusForbidden), HaveNoBody())
	carol := imUser(h, "carol")
	imRoundTrip(h, carol, alice, imMsg(h, carol.IM(), bob.IM(), imText("the delegate still reads")))
	setInboxACL(h, bob, [2]string{".", "send"}, [2]string{bare(alice.IM()), "listen silence"})
	alice.Call(alice.Request("SILENCE", "From", bob.IM()), HaveCode(wire.StatusOK), HaveNoBody())
	req := imMsg(h, carol.IM(), bob.IM(), imText("after the delegate's SILENCE"))
	resp := carol.Call(req, HaveNoBody())
	h.Accept(resp, notDelivered()...)
	imNone(h, alice, req.Value("Message-ID"), "the delegate sent SILENCE")
})
