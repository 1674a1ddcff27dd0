package server

import (
	"strings"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §7.1 identifiers and §7.2 name resolution, as the home server applies them to the From and
// To of client requests (prim-digest §2.6, §3.8; Decisions D19, D38, D44).

// nsUpper returns id with its local part and domain in upper case and its scheme untouched:
// the same identifier to a server that compares them case-insensitively (PRIM-A7.1-3).
func nsUpper(id string) string {
	i := strings.IndexByte(id, ':')
	return id[:i+1] + strings.ToUpper(id[i+1:])
}

// nsMixed returns id with alternating case in its local part and domain.
func nsMixed(id string) string {
	i := strings.IndexByte(id, ':')
	b := []byte(id)
	for j := i + 1; j < len(b); j++ {
		if (j-i)%2 == 1 && b[j] >= 'a' && b[j] <= 'z' {
			b[j] -= 'a' - 'A'
		}
	}
	return string(b)
}

// malformedIDOutcomes: a From or To that is not an identifier of the grammar is a header
// value violating its grammar, answered 400 (Decision D44).
func malformedIDOutcomes() []Outcome {
	return []Outcome{OneOf("D44: 400 Bad Request", HaveCode(wire.StatusBadRequest))}
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.1/1", Section: "7.1", Level: reports.LevelMust,
	Requirement: "Identifiers compare case-insensitively: a SUBSCRIBE to the presentity written in upper case subscribes to it, and its NOTIFYs follow.",
	Statements:  []string{"PRIM-A7.1-3"},
	Decisions:   []string{"D38"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, nsUpper(alice.Pres()), 600)
	tag := h.Unique("upper")
	publishPerm(h, alice, h.Unique("t"), tag)
	notifyShowing(h, bob, tag)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.1/2", Section: "7.1", Level: reports.LevelMust,
	Requirement: "A FETCH whose To differs from the presentity only in letter case returns that presentity's presence.",
	Statements:  []string{"PRIM-A7.1-3", "PRIM-A10.1.3-1"},
	Decisions:   []string{"D38"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tag := h.Unique("mixed")
	publishPerm(h, alice, h.Unique("t"), tag)
	bob := h.LoggedIn("bob")
	resp := bob.Call(h.Request("FETCH", "From", bob.Pres(), "To", nsMixed(alice.Pres())), HaveCode(wire.StatusOK))
	Expect(showsTag(resp, tag)).To(BeTrue(), "the FETCH response does not show alice's tuple: %q", resp.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.1/3", Section: "7.1", Level: reports.LevelMust,
	Requirement: "A SEND to the inbox written in another letter case is delivered to that inbox's listener.",
	Statements:  []string{"PRIM-A7.1-3"},
	Decisions:   []string{"D38"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	req := cxSend(h, alice.IM(), nsUpper(bob.IM()), "upper-case To")
	alice.Send(req)
	got := cxAwaitSend(h, bob, req.Value("Message-ID"))
	Expect(got).NotTo(BeNil(), "the SEND to %q did not reach bob", nsUpper(bob.IM()))
	bob.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.1/4", Section: "7.1", Level: reports.LevelMust,
	Requirement: "A LOGIN whose From writes the principal's identifier in upper case authenticates that principal, who may then act under the lower-case identifier.",
	Statements:  []string{"PRIM-A7.1-3", "PRIM-A10.3.1-2", "PRIM-A4.1-2"},
	Decisions:   []string{"D38", "D37"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	from := nsUpper(alice.Pres())
	init := alice.LoginInit(wire.VersionPresence, "PLAIN")
	init.Set("From", from)
	if resp := alice.Call(init, HaveCode(wire.StatusAuthContinued, wire.StatusOK)); resp.Code == wire.StatusAuthContinued {
		acct := alice.Account()
		alice.Call(alice.LoginContinue(wire.VersionPresence, from, "PLAIN", PlainBody(acct.User, acct.Password)), HaveCode(wire.StatusOK))
	}
	alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres()), HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.1/5", Section: "7.1", Level: reports.LevelMust,
	Requirement: "The check that a request pertains to the logged-in principal compares identifiers case-insensitively: the owner's GETACL with an upper-case From is served.",
	Statements:  []string{"PRIM-A7.1-3", "PRIM-A4.1-2"},
	Decisions:   []string{"D38"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	resp := alice.Call(h.Request("GETACL", "From", nsUpper(alice.Pres())))
	if resp.Code == wire.StatusNotImplemented {
		h.NotApplicable("GETACL answered 501 (PRIM-A13.2.1-1 MAY)")
	}
	Expect(resp).To(HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.1/6", Section: "7.1", Level: reports.LevelMust,
	Requirement: "A To without \"@domain\" is not an identifier: the request is refused with 400.",
	Statements:  []string{"PRIM-A7.1-4", "PRIM-A7.1-5"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	h.Accept(alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", "pres:"+h.Account("bob").User)), malformedIDOutcomes()...)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.1/7", Section: "7.1", Level: reports.LevelMust,
	Requirement: "A pres: URL holds exactly one address: a To listing two addresses is refused with 400 and nobody is subscribed.",
	Statements:  []string{"PRIM-A7.1-5"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	two := h.Pres("bob") + "," + bare(h.Pres("carol"))
	h.Accept(alice.Call(h.Request("SUBSCRIBE", "From", alice.Pres(), "To", two, "Duration", "600")), malformedIDOutcomes()...)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.1/8", Section: "7.1", Level: reports.LevelMust,
	Requirement: "Characters outside the identifier grammar must be %-escaped: a To with a raw space and angle brackets in the local part is refused with 400.",
	Statements:  []string{"PRIM-A7.1-1"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	h.Accept(alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", "pres:<Jane Smith>@"+h.Domain())), malformedIDOutcomes()...)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.1/9", Section: "7.1", Level: reports.LevelMust,
	Requirement: "A properly %-escaped identifier is well-formed: FETCH of pres:%22Jane%20Smith%22@<domain>, who does not exist, is 403 Resource Not Found (or 402), not 400.",
	Statements:  []string{"PRIM-A7.1-1", "PRIM-A10.1.3-1"},
	Decisions:   []string{"D38"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	resp := alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", "pres:%22Jane%20Smith%22@"+h.Domain()), HaveNoBody())
	h.Accept(resp,
		OneOf("403 Resource Not Found", HaveCode(wire.StatusResourceNotFound)),
		OneOf("402 Forbidden (existence not revealed)", HaveCode(wire.StatusForbidden)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.1/10", Section: "7.1", Level: reports.LevelShould,
	Requirement: "An unreserved character written %-escaped names the same identifier (or the request is refused as malformed), never a different principal.",
	Statements:  []string{"PRIM-A7.1-2", "PRIM-A7.1-3"},
	Decisions:   []string{"D38"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tag := h.Unique("esc")
	publishPerm(h, alice, h.Unique("t"), tag)
	user := alice.Account().User
	escaped := "pres:%" + strings.ToUpper(hexByte(user[0])) + user[1:] + "@" + h.Domain()
	bob := h.LoggedIn("bob")
	resp := bob.Call(h.Request("FETCH", "From", bob.Pres(), "To", escaped))
	h.Accept(resp,
		OneOf("D38: the same presentity (200 showing its tuple)", SatisfyAll(HaveCode(wire.StatusOK), WithTransform(func(m *wire.Message) bool { return showsTag(m, tag) }, BeTrue()))),
		OneOf("400 Bad Request (unreserved characters must not be escaped, PRIM-A7.1-2)", HaveCode(wire.StatusBadRequest)))
})

func hexByte(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.1/11", Section: "7.1", Level: reports.LevelShould,
	Requirement: "The scheme is accepted in any letter case on input: a SUBSCRIBE to PRES:<presentity> subscribes to it.",
	Statements:  []string{"PRIM-A7.1-3"},
	Decisions:   []string{"D38"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	resp := bob.Call(h.Request("SUBSCRIBE", "From", bob.Pres(), "To", "PRES:"+bare(alice.Pres()), "Duration", "600"))
	Expect(resp).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.1/12", Section: "7.1", Level: reports.LevelMust,
	Requirement: "An inbox may share its presentity's identifier: pres:<user> is subscribed to and im:<user> receives messages, as one principal.",
	Statements:  []string{"PRIM-A7.1-8", "PRIM-A6-1"},
	RFC2779:     []string{"2.1.3"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	aliceIM := h.LoggedIn("alice", wire.VersionIM)
	cxOpenInbox(h, aliceIM)
	Expect(bare(alice.Pres())).To(Equal(bare(aliceIM.IM())))
	bob := h.LoggedIn("bob", wire.VersionPresence)
	subscribeTo(h, bob, alice.Pres(), 600)
	bobIM := h.LoggedIn("bob", wire.VersionIM)
	req := cxSend(h, bobIM.IM(), aliceIM.IM(), "same identifier")
	bobIM.Send(req)
	got := cxAwaitSend(h, aliceIM, req.Value("Message-ID"))
	Expect(got).NotTo(BeNil(), "the SEND to alice's inbox was not delivered")
	aliceIM.Respond(got, wire.StatusOK)
	bobIM.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.1/13", Section: "7.1", Level: reports.LevelMust,
	Requirement: "Naming in one domain does not depend on another: a SUBSCRIBE to a user of the peer domain with the same local part as a local user goes to the peer domain, not to the local user.",
	Statements:  []string{"PRIM-A7.1-3", "PRIM-A3-1"},
	RFC2779:     []string{"2.1.4", "2.4.1"},
}), func(h *H) {
	cxNeedsPeerListener(h)
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	twin := h.PeerPres(alice.Account().User)
	bob.Send(h.Request("SUBSCRIBE", "From", bob.Pres(), "To", twin, "Duration", "600"))
	got, on := h.ExpectS2SRequest("SUBSCRIBE", nil, HaveHeader("To", twin))
	Expect(got).To(HaveHeader("From", bob.Pres()))
	on.Respond(got, wire.StatusOK)
	tag := h.Unique("local")
	publishPerm(h, alice, h.Unique("t"), tag)
	expectNoneShowing(h, bob, tag, "bob subscribed to "+twin+", not to the local "+alice.Pres())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.1/14", Section: "7.1", Level: reports.LevelMust,
	Requirement: "A SEND to im:<local user>@<peer domain> goes to the peer domain and is not delivered to the local user of that name.",
	Statements:  []string{"PRIM-A7.1-3", "PRIM-A3-1"},
	RFC2779:     []string{"2.1.4", "2.4.3"},
}), func(h *H) {
	cxNeedsPeerListener(h)
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	twin := h.PeerIM(bob.Account().User)
	req := cxSend(h, alice.IM(), twin, "for the other bob", "Date", "Mon, 26 Feb 2001 09:52:08 +0900")
	alice.Send(req)
	got, on := h.ExpectS2SRequest("SEND", nil, HaveHeader("To", twin))
	on.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
	imNone(h, bob, req.Value("Message-ID"), "the SEND was addressed to "+twin)
})

// ---- §7.2 name resolution ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.2.2/1", Section: "7.2.2", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE to a domain that cannot be resolved is answered with an error (never 200, never left unanswered), and the connection stays usable.",
	Statements:  []string{"PRIM-A7.2.2-1", "PRIM-A10.1.1-1"},
	Decisions:   []string{"D19", "D35"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	resp := alice.Call(h.Request("SUBSCRIBE", "From", alice.Pres(), "To", "pres:nobody@"+h.Unique("unresolvable")+".invalid", "Duration", "600"),
		HaveNoBody())
	h.Accept(resp,
		OneOf("D19: 403 Resource Not Found", HaveCode(wire.StatusResourceNotFound)),
		OneOf("D35: 407 Timeout", HaveCode(wire.StatusTimeout)),
		OneOf("500 Internal Server Error", HaveCode(wire.StatusInternalError)),
		OneOf("501 Not Implemented (no federation)", HaveCode(wire.StatusNotImplemented)))
	alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres()), HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.2.2/2", Section: "7.2.2", Level: reports.LevelMust,
	Requirement: "A domain name that is not valid (an empty label) in To is refused with an error, not relayed or accepted.",
	Statements:  []string{"PRIM-A7.1-4", "PRIM-A7.2.2-1"},
	Decisions:   []string{"D44", "D19"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	resp := alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", "pres:nobody@bad..example"), HaveNoBody())
	h.Accept(resp,
		OneOf("D44: 400 Bad Request", HaveCode(wire.StatusBadRequest)),
		OneOf("D19: 403 Resource Not Found", HaveCode(wire.StatusResourceNotFound)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/7.1/15", Section: "7.1", Level: reports.LevelMust,
	Requirement: "Any number of domains: an ACL naming sixty domains is accepted, and the entry for the peer domain, the last of them, applies to that domain's watchers.",
	Statements:  []string{"PRIM-A7.1-4", "PRIM-A13.2.1-4"},
	RFC2779:     []string{"2.1.5"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	bob := h.LoggedIn("bob")
	entries := [][2]string{{".", ""}}
	for i := 1; i < 60; i++ {
		entries = append(entries, [2]string{"@" + h.Unique("d") + "-" + hexByte(byte(i)) + ".example", "fetch subscribe"})
	}
	entries = append(entries, [2]string{"@" + h.PeerDomain(), "fetch subscribe"})
	putACL(h, bob, bob.Pres(), aclXML(entries...))
	remote := h.S2SLoggedIn("remote")
	resp := remote.Call(remote.Request("SUBSCRIBE", "From", h.PeerPres("eve"), "To", bob.Pres(), "Duration", "600",
		"Subscription-ID", h.Unique("sub"), "Date", "Mon, 26 Feb 2001 09:52:08 +0900"))
	Expect(resp).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	carol := h.LoggedIn("carol")
	carol.Call(h.Request("SUBSCRIBE", "From", carol.Pres(), "To", bob.Pres(), "Duration", "600"), HaveCode(wire.StatusForbidden))
})
