package server

import (
	"strings"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §10.1 presence base commands (SUBSCRIBE, UNSUBSCRIBE, FETCH, NOTIFY), §11.1 PUBLISH, §4.1
// per-connection identity (prim-digest §4; Decisions D15, D25, D30, D37).

// publishTuple has p publish one tuple of its own presentity and asserts 200 without a body
// (PRIM-A11.1.1-12).
func publishTuple(h *H, p *Peer, piType, tupleID, status, note string, extra ...string) {
	p.Call(pubReq(h, p.Pres(), piType, tupleID, tupleDoc(p.Pres(), p.IM(), status, note), extra...),
		HaveCode(wire.StatusOK), HaveNoBody())
}

// subscribeOrNA has watcher subscribe to presentity and returns the response; a 402 means the
// target's default ACL denies it (a policy Decision D15 allows), so the case is not applicable.
func subscribeOrNA(h *H, watcher *Peer, presentity string) *wire.Message {
	resp := watcher.Call(h.Request("SUBSCRIBE", "From", watcher.Pres(), "To", presentity, "Duration", "600"))
	if resp.Code == wire.StatusForbidden {
		h.NotApplicable("the target's default ACL denies the subscription (402; Decision D15 allows deny-by-default)")
	}
	return resp
}

// expectPresenceDoc asserts a presence-bearing message carries a well-formed presence document
// mentioning want (PRIM-A10.1.4-5, PRIM-A14.2-1).
func expectPresenceDoc(m *wire.Message, want string) {
	Expect(m).To(HaveBody())
	ct := m.Value("Content-Type")
	Expect(ct).To(Or(HavePrefix("application/presence"), HavePrefix("multipart/")), "Content-Type of the presence document")
	if strings.HasPrefix(ct, "application/presence") {
		Expect(wellFormedXML(m.Body)).To(Succeed(), "the presence document is well-formed XML")
	}
	Expect(string(m.Body)).To(ContainSubstring(want))
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/1", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "PUBLISH of a leased tuple is answered 200 OK without a body.",
	Statements:  []string{"PRIM-A11.1.1-12", "PRIM-A11.1.1-4", "PRIM-A11.1.1-7"},
	Decisions:   []string{"D14"},
}), func(h *H) {
	bob := h.LoggedIn("bob")
	publishTuple(h, bob, "leased", h.Unique("im"), "open", h.Unique("here"), "Duration", "600")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.1/1", Section: "10.1.1", Level: reports.LevelMust,
	Requirement: "SUBSCRIBE to an existing presentity is answered 200 (or 201 with the chosen Duration) carrying the presentity's current presence, even while the presentity is offline.",
	Statements:  []string{"PRIM-A10.1.1-1", "PRIM-A10.1.1-2", "PRIM-A10.1.1-3"},
	RFC2779:     []string{"3.2.2", "2.3.2"},
	Decisions:   []string{"D25", "D15"},
}), func(h *H) {
	bob := h.LoggedIn("bob")
	note := h.Unique("bob-permanent")
	publishTuple(h, bob, "permanent", h.Unique("im"), "open", note)
	bob.Close()
	alice := h.LoggedIn("alice")
	resp := subscribeOrNA(h, alice, bob.Pres())
	Expect(resp).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	Expect(resp).To(HavePositiveDuration())
	expectPresenceDoc(resp, note)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.1/2", Section: "10.1.1", Level: reports.LevelMust,
	Requirement: "SUBSCRIBE to a presentity that does not exist is answered 403 Resource Not Found, without a body.",
	Statements:  []string{"PRIM-A10.1.1-2"},
	RFC2779:     []string{"5.1.5"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	alice.Call(h.Request("SUBSCRIBE", "From", alice.Pres(), "To", h.Pres("no-such-user-4711"), "Duration", "600"),
		HaveCode(wire.StatusResourceNotFound), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4.1/1", Section: "4.1", Level: reports.LevelMust,
	Requirement: "A request whose From is not the connection's authenticated principal is refused (402 Forbidden per Decision D37).",
	Statements:  []string{"PRIM-A4.1-2", "PRIM-A9.1.1-1"},
	RFC2779:     []string{"5.1.6"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	bob, carol := h.Account("bob"), h.Account("carol")
	resp := alice.Call(h.Request("SUBSCRIBE", "From", h.Pres(bob.User), "To", h.Pres(carol.User), "Duration", "600"))
	h.Accept(resp,
		OneOf("D37: 402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("another error response", HaveErrorCode()))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.1/3", Section: "10.1.1", Level: reports.LevelShould,
	Requirement: "SUBSCRIBE without the required Duration header is answered 400 Bad Request.",
	Statements:  []string{"PRIM-A10.1.1-1"},
	Decisions:   []string{"D30", "D44"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	bob := h.Account("bob")
	alice.Call(h.Request("SUBSCRIBE", "From", alice.Pres(), "To", h.Pres(bob.User)), HaveCode(wire.StatusBadRequest))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.4/1", Section: "10.1.4", Level: reports.LevelMust,
	Requirement: "After a successful PUBLISH each subscriber gets a NOTIFY from the presentity carrying its whole presence as a well-formed XML document.",
	Statements:  []string{"PRIM-A10.1.4-1", "PRIM-A10.1.4-2", "PRIM-A10.1.4-4", "PRIM-A10.1.4-5", "PRIM-A11.1.1-5", "PRIM-A14.2-1"},
	RFC2779:     []string{"3.2.3", "2.4.2", "5.2.2"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	bob := h.LoggedIn("bob")
	alice := h.LoggedIn("alice")
	Expect(subscribeOrNA(h, alice, bob.Pres())).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	first, second := h.Unique("first"), h.Unique("second")
	publishTuple(h, bob, "permanent", h.Unique("phone"), "closed", first)
	n := alice.ExpectRequest("NOTIFY", HaveHeader("From", bob.Pres()), HaveHeader("To", alice.Pres()))
	expectPresenceDoc(n, first)
	alice.Respond(n, wire.StatusOK)
	publishTuple(h, bob, "permanent", h.Unique("im"), "open", second)
	n = alice.ExpectRequest("NOTIFY", HaveHeader("From", bob.Pres()))
	// The whole presence, not only the changed tuple (PRIM-A10.1.4-4).
	expectPresenceDoc(n, second)
	Expect(string(n.Body)).To(ContainSubstring(first), "NOTIFY carries the whole presence")
	alice.Respond(n, wire.StatusOK)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.2/1", Section: "10.1.2", Level: reports.LevelMust,
	Requirement: "UNSUBSCRIBE is answered 200 without a body, and no NOTIFY follows later changes.",
	Statements:  []string{"PRIM-A10.1.2-1"},
	RFC2779:     []string{"5.1.7"},
}), func(h *H) {
	bob := h.LoggedIn("bob")
	alice := h.LoggedIn("alice")
	Expect(subscribeOrNA(h, alice, bob.Pres())).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	alice.Call(h.Request("UNSUBSCRIBE", "From", alice.Pres(), "To", bob.Pres()), HaveCode(wire.StatusOK), HaveNoBody())
	publishTuple(h, bob, "permanent", h.Unique("im"), "open", h.Unique("after-unsubscribe"))
	alice.ExpectNothing(0)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.2/2", Section: "10.1.2", Level: reports.LevelMay,
	Requirement: "UNSUBSCRIBE without a subscription may be answered 404 Subscription Not Found.",
	Statements:  []string{"PRIM-A18-3"},
	Decisions:   []string{"D12"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	bob := h.Account("bob")
	alice.Call(h.Request("UNSUBSCRIBE", "From", alice.Pres(), "To", h.Pres(bob.User)), HaveCode(wire.StatusSubscriptionNotFound))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.3/1", Section: "10.1.3", Level: reports.LevelMust,
	Requirement: "FETCH is answered 200 with the presentity's current presence, also while the presentity is offline.",
	Statements:  []string{"PRIM-A10.1.3-1"},
	RFC2779:     []string{"3.2.1", "2.3.3"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	bob := h.LoggedIn("bob")
	note := h.Unique("fetch-me")
	publishTuple(h, bob, "permanent", h.Unique("im"), "open", note)
	bob.Close()
	alice := h.LoggedIn("alice")
	resp := alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", bob.Pres()))
	if resp.Code == wire.StatusForbidden {
		h.NotApplicable("the target's default ACL denies FETCH (402; Decision D15 allows deny-by-default)")
	}
	Expect(resp).To(HaveCode(wire.StatusOK))
	expectPresenceDoc(resp, note)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.3/2", Section: "10.1.3", Level: reports.LevelMust,
	Requirement: "FETCH of a presentity that does not exist is answered 403 Resource Not Found, without a body.",
	Statements:  []string{"PRIM-A10.1.3-1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", h.Pres("no-such-user-4711")),
		HaveCode(wire.StatusResourceNotFound), HaveNoBody())
})
