package server

import (
	"strconv"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §10.1 presence base commands as the home presence server answers them on client links:
// SUBSCRIBE (10.1.1), UNSUBSCRIBE (10.1.2), FETCH (10.1.3), NOTIFY (10.1.4) and
// CANCELSUBSCRIPTION (10.1.5) (prim-digest §3.9.2, §4.2, §4.4, §4.6, §4.12; Decisions D13, D25,
// D26, D30, D37). presence.go holds the first cases of these sections; numbering here goes on
// after them.

// ---- §10.1.1 SUBSCRIBE ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.1/4", Section: "10.1.1", Level: reports.LevelMust,
	Requirement: "The SUBSCRIBE response echoes the request's From and To and states the subscription's Duration.",
	Statements:  []string{"PRIM-A10.1.1-1", "PRIM-A10.1.1-3"},
	RFC2779:     []string{"2.4.1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	resp := subscribeTo(h, bob, alice.Pres(), 600)
	Expect(resp).To(haveIdentifier("From", bob.Pres()))
	Expect(resp).To(haveIdentifier("To", alice.Pres()))
	Expect(resp).To(HavePositiveDuration())
	if resp.Code == wire.StatusOK {
		Expect(resp).To(HaveHeader("Duration", "600"), "a 200 grants the requested duration; another is reported with 201")
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.1/5", Section: "10.1.1", Level: reports.LevelMust,
	Requirement: "A duration the server will not grant is answered 201 Duration Adjusted with the chosen Duration; a 200 means the requested duration was granted as asked.",
	Statements:  []string{"PRIM-A10.1.1-3"},
	Decisions:   []string{"D30"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	for _, secs := range []int{1, 9999999} {
		asked := strconv.Itoa(secs)
		resp := subscribeTo(h, bob, alice.Pres(), secs)
		h.Accept(resp,
			OneOf("200 granting Duration "+asked, And(HaveCode(wire.StatusOK), HaveHeader("Duration", asked))),
			OneOf("D30: 201 with the server's Duration", And(HaveCode(wire.StatusDurationAdjusted), HavePositiveDuration(),
				Not(HaveHeader("Duration", asked)))))
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.1/6", Section: "10.1.1", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE the presentity's ACL denies is refused with 402 Forbidden and no body, while an allowed watcher's succeeds.",
	Statements:  []string{"PRIM-A10.1.1-2", "PRIM-A13.2.1-4"},
	RFC2779:     []string{"5.1.5", "5.1.13", "2.3.2"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	putACL(h, alice, alice.Pres(), aclXML([2]string{".", "fetch subscribe"}, [2]string{bare(h.Pres("carol")), ""}))
	carol := h.LoggedIn("carol")
	carol.Call(h.Request("SUBSCRIBE", "From", carol.Pres(), "To", alice.Pres(), "Duration", "600"),
		HaveCode(wire.StatusForbidden), HaveNoBody())
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.1/7", Section: "10.1.1", Level: reports.LevelMust,
	Requirement: "No third party can force a watcher into a subscription: a SUBSCRIBE naming another principal in From is refused and that principal receives no NOTIFY.",
	Statements:  []string{"PRIM-A4.1-2", "PRIM-A9.1.1-1"},
	RFC2779:     []string{"5.1.6", "5.1.12"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	carol := h.LoggedIn("carol")
	forgetSubscription(h, bob, alice.Pres())
	forgetSubscription(h, carol, alice.Pres())
	resp := carol.Call(h.Request("SUBSCRIBE", "From", bob.Pres(), "To", alice.Pres(), "Duration", "600"))
	h.Accept(resp,
		OneOf("D37: 402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("another error response", HaveErrorCode()))
	publishPerm(h, alice, h.Unique("pc"), h.Unique("forced"))
	expectNoNotify(h, bob, "bob never subscribed")
	expectNoNotify(h, carol, "carol never subscribed")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.1/8", Section: "10.1.1", Level: reports.LevelMust,
	Requirement: "A subscription placed while the presentity is out of contact is accepted, and the watcher is notified when the presentity comes back and publishes.",
	Statements:  []string{"PRIM-A10.1.1-1", "PRIM-A10.1.4-2"},
	RFC2779:     []string{"3.2.2", "2.3.7"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	alice.Close()
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, h.Pres("alice"), 600)
	alice = h.LoggedIn("alice")
	back := h.Unique("back-online")
	publishPerm(h, alice, h.Unique("pc"), back)
	notifyShowing(h, bob, back)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.1/9", Section: "10.1.1", Level: reports.LevelMust,
	Requirement: "SUBSCRIBE with Duration 0 (undefined in I2) either ends the subscription (200, no NOTIFY after), or is refused with 400, or is adjusted (201), and then the subscription stays in place (NOTIFYs go on).",
	Statements:  []string{"PRIM-A10.1.1-4"},
	Decisions:   []string{"D30"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	resp := bob.Call(h.Request("SUBSCRIBE", "From", bob.Pres(), "To", alice.Pres(), "Duration", "0"))
	seen := h.Accept(resp,
		OneOf("D30: 200, treated as in SS (ends the subscription)", HaveCode(wire.StatusOK)),
		OneOf("D30: 400 in strict I2 mode", HaveCode(wire.StatusBadRequest)),
		OneOf("201: 0 adjusted to the server's minimum (an I2 reading)", And(HaveCode(wire.StatusDurationAdjusted), HavePositiveDuration())))
	tag := h.Unique("after-duration-0")
	publishPerm(h, alice, h.Unique("pc"), tag)
	if resp.Code == wire.StatusOK {
		expectNoNotify(h, bob, "Duration 0 ended the subscription ("+seen+")")
		return
	}
	notifyShowing(h, bob, tag)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.1/10", Section: "10.1.1", Level: reports.LevelShould,
	Requirement: "SUBSCRIBE whose Duration is not a number of seconds is answered 400 Bad Request.",
	Statements:  []string{"PRIM-A10.1.1-1"},
	Decisions:   []string{"D44", "D30"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	bob.Call(h.Request("SUBSCRIBE", "From", bob.Pres(), "To", alice.Pres(), "Duration", "soon"),
		HaveCode(wire.StatusBadRequest), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.1/11", Section: "10.1.1", Level: reports.LevelMust,
	Requirement: "Identifiers compare case-insensitively: a SUBSCRIBE to the presentity written in upper case subscribes to it.",
	Statements:  []string{"PRIM-A7.1-3", "PRIM-A10.1.1-1"},
	Decisions:   []string{"D38"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	upper := "pres:" + upperASCII(bare(alice.Pres()))
	subscribeTo(h, bob, upper, 600)
	tag := h.Unique("case-insensitive")
	publishPerm(h, alice, h.Unique("pc"), tag)
	notifyShowing(h, bob, tag)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.1/12", Section: "10.1.1", Level: reports.LevelMust,
	Requirement: "An unauthenticated principal cannot subscribe: SUBSCRIBE before LOGIN is answered 401 Unauthorized and places no subscription.",
	Statements:  []string{"PRIM-A10.3.1-7", "PRIM-A10.1.1-1"},
	RFC2779:     []string{"5.1.14", "5.1.12"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	anon := h.Peer("anonymous")
	anon.Call(h.Request("SUBSCRIBE", "From", h.Pres("bob"), "To", alice.Pres(), "Duration", "600"),
		HaveCode(wire.StatusUnauthorized), HaveNoBody())
	publishPerm(h, alice, h.Unique("pc"), h.Unique("after-anonymous"))
	expectNoNotify(h, anon, "the unauthenticated SUBSCRIBE placed nothing")
})

// upperASCII upper-cases ASCII letters only.
func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// ---- §10.1.2 UNSUBSCRIBE ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.2/3", Section: "10.1.2", Level: reports.LevelMust,
	Requirement: "An unauthorised principal cannot cancel another watcher's subscription: its UNSUBSCRIBE naming that watcher is refused, and the watcher is still notified.",
	Statements:  []string{"PRIM-A4.1-2", "PRIM-A9.1.1-1"},
	RFC2779:     []string{"5.1.8"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	carol := h.LoggedIn("carol")
	resp := carol.Call(h.Request("UNSUBSCRIBE", "From", bob.Pres(), "To", alice.Pres()))
	h.Accept(resp,
		OneOf("D37: 402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("another error response", HaveErrorCode()))
	tag := h.Unique("still-subscribed")
	publishPerm(h, alice, h.Unique("pc"), tag)
	notifyShowing(h, bob, tag)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.2/4", Section: "10.1.2", Level: reports.LevelMust,
	Requirement: "The UNSUBSCRIBE response echoes From and To and carries no body.",
	Statements:  []string{"PRIM-A10.1.2-1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	bob.Call(h.Request("UNSUBSCRIBE", "From", bob.Pres(), "To", alice.Pres()),
		HaveCode(wire.StatusOK), HaveNoBody(), haveIdentifier("From", bob.Pres()), haveIdentifier("To", alice.Pres()))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.2/5", Section: "10.1.2", Level: reports.LevelMust,
	Requirement: "A watcher can subscribe again after UNSUBSCRIBE: the new subscription is notified.",
	Statements:  []string{"PRIM-A10.1.2-1", "PRIM-A10.1.1-1", "PRIM-A10.1.4-2"},
	RFC2779:     []string{"5.1.7"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	bob.Call(h.Request("UNSUBSCRIBE", "From", bob.Pres(), "To", alice.Pres()), HaveCode(wire.StatusOK))
	subscribeTo(h, bob, alice.Pres(), 600)
	tag := h.Unique("resubscribed")
	publishPerm(h, alice, h.Unique("pc"), tag)
	notifyShowing(h, bob, tag)
})

// ---- §10.1.3 FETCH ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.3/3", Section: "10.1.3", Level: reports.LevelMust,
	Requirement: "A FETCH the presentity's ACL denies is refused with 402 Forbidden and no body.",
	Statements:  []string{"PRIM-A10.1.3-1", "PRIM-A13.2.1-4"},
	RFC2779:     []string{"2.3.1", "5.1.13"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	secret := h.Unique("secret")
	publishPerm(h, alice, h.Unique("pc"), secret)
	putACL(h, alice, alice.Pres(), aclXML([2]string{".", "fetch subscribe"}, [2]string{bare(h.Pres("carol")), ""}))
	carol := h.LoggedIn("carol")
	resp := carol.Call(h.Request("FETCH", "From", carol.Pres(), "To", alice.Pres()), HaveCode(wire.StatusForbidden), HaveNoBody())
	Expect(showsTag(resp, secret)).To(BeFalse())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.3/4", Section: "10.1.3", Level: reports.LevelMust,
	Requirement: "FETCH is a one-shot read: it places no subscription, so later changes are not notified to the fetcher.",
	Statements:  []string{"PRIM-A10.1.3-1", "PRIM-A10.1.4-2"},
	RFC2779:     []string{"5.3.2"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	forgetSubscription(h, bob, alice.Pres())
	fetchView(h, bob, alice.Pres())
	publishPerm(h, alice, h.Unique("pc"), h.Unique("after-fetch"))
	expectNoNotify(h, bob, "a FETCH is not a subscription")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.3/5", Section: "10.1.3", Level: reports.LevelMust,
	Requirement: "FETCH returns the current value: after an update the old value is no longer served.",
	Statements:  []string{"PRIM-A10.1.3-1", "PRIM-A11.1.1-11"},
	RFC2779:     []string{"3.3.2"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, v1, v2 := h.Unique("pc"), h.Unique("v1"), h.Unique("v2")
	publishPerm(h, alice, tid, v1)
	bob := h.LoggedIn("bob")
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, v1)).To(BeTrue(), "first FETCH; body %q", got.Body)
	publishPerm(h, alice, tid, v2)
	got = fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, v2) && !showsTag(got, v1)).To(BeTrue(), "second FETCH shows only the new value; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.3/6", Section: "10.1.3", Level: reports.LevelMust,
	Requirement: "A FETCH naming another principal as the fetcher in From is refused and reveals nothing.",
	Statements:  []string{"PRIM-A4.1-2", "PRIM-A9.1.1-1", "PRIM-A10.1.3-1"},
	RFC2779:     []string{"2.3.1", "5.1.12"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	secret := h.Unique("for-bob-only")
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))})
	publishPerm(h, alice, h.Unique("pc"), secret, "friends")
	carol := h.LoggedIn("carol")
	resp := carol.Call(h.Request("FETCH", "From", h.Pres("bob"), "To", alice.Pres()))
	h.Accept(resp,
		OneOf("D37: 402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("another error response", HaveErrorCode()))
	Expect(showsTag(resp, secret)).To(BeFalse(), "carol must not read bob's view")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.3/7", Section: "10.1.3", Level: reports.LevelMust,
	Requirement: "The fetch and subscribe rights are separate: with fetch allowed and subscribe denied, FETCH succeeds and SUBSCRIBE gets 402.",
	Statements:  []string{"PRIM-A13.2.1-5", "PRIM-A10.1.3-1", "PRIM-A10.1.1-2"},
	RFC2779:     []string{"2.3.1", "2.3.2"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	putACL(h, alice, alice.Pres(), aclXML([2]string{".", "fetch"}))
	bob := h.LoggedIn("bob")
	fetchView(h, bob, alice.Pres())
	bob.Call(h.Request("SUBSCRIBE", "From", bob.Pres(), "To", alice.Pres(), "Duration", "600"),
		HaveCode(wire.StatusForbidden), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.3/8", Section: "10.1.3", Level: reports.LevelMust,
	Requirement: "An ACL change takes effect at once: a watcher that could FETCH before the owner denied it is refused (402) right after.",
	Statements:  []string{"PRIM-A13.2.1-4", "PRIM-A10.1.3-1"},
	RFC2779:     []string{"3.3.3", "2.3.1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tag := h.Unique("cached")
	publishPerm(h, alice, h.Unique("pc"), tag)
	carol := h.LoggedIn("carol")
	got := fetchView(h, carol, alice.Pres())
	Expect(showsTag(got, tag)).To(BeTrue(), "allowed before; body %q", got.Body)
	putACL(h, alice, alice.Pres(), aclXML([2]string{".", "fetch subscribe"}, [2]string{bare(carol.Pres()), ""}))
	resp := carol.Call(h.Request("FETCH", "From", carol.Pres(), "To", alice.Pres()), HaveCode(wire.StatusForbidden), HaveNoBody())
	Expect(showsTag(resp, tag)).To(BeFalse())
})

// ---- §10.1.4 NOTIFY ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.4/2", Section: "10.1.4", Level: reports.LevelMust,
	Requirement: "On a change every current subscriber is notified (on connections logged in for presence only: no IM service involved).",
	Statements:  []string{"PRIM-A10.1.4-2", "PRIM-A11.1.1-5"},
	RFC2779:     []string{"3.2.3", "2.4.2", "2.1.1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob, carol := h.LoggedIn("bob"), h.LoggedIn("carol")
	subscribeTo(h, bob, alice.Pres(), 600)
	subscribeTo(h, carol, alice.Pres(), 600)
	tag := h.Unique("everyone")
	publishPerm(h, alice, h.Unique("pc"), tag)
	notifyShowing(h, bob, tag)
	notifyShowing(h, carol, tag)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.4/3", Section: "10.1.4", Level: reports.LevelMust,
	Requirement: "A NOTIFY comes from the presence server in the presence version, with From the presentity and To the watcher, so the watcher can tell whose presence it is.",
	Statements:  []string{"PRIM-A10.1.4-1", "PRIM-A8.2.2-1"},
	RFC2779:     []string{"5.3.3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	tag := h.Unique("who")
	publishPerm(h, alice, h.Unique("pc"), tag)
	n := notifyShowing(h, bob, tag)
	Expect(n).To(HaveVersion(wire.VersionPresence))
	Expect(n).To(haveIdentifier("From", alice.Pres()))
	Expect(n).To(haveIdentifier("To", bob.Pres()))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.4/4", Section: "10.1.4", Level: reports.LevelShould,
	Requirement: "A NOTIFY expects a response: it carries a real request identifier, not \"-\".",
	Statements:  []string{"PRIM-A8.2.3-3"},
	Decisions:   []string{"D26"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	tag := h.Unique("id")
	publishPerm(h, alice, h.Unique("pc"), tag)
	n := notifyShowing(h, bob, tag)
	Expect(n.ID).NotTo(Equal(wire.NoResponse))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.4/5", Section: "10.1.4", Level: reports.LevelMust,
	Requirement: "Presence flows through the server: neither the SUBSCRIBE response nor the NOTIFY reveals an IP address of the presentity's or the watcher's user agent.",
	Statements:  []string{"PRIM-A3-1", "PRIM-A10.1.4-1"},
	RFC2779:     []string{"5.1.17", "5.1.18", "5.2.5", "5.2.6"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	publishPerm(h, alice, h.Unique("pc"), h.Unique("before"))
	bob := h.LoggedIn("bob")
	resp := subscribeTo(h, bob, alice.Pres(), 600)
	Expect(ipLiterals(resp)).To(BeEmpty(), "IP address literals in the SUBSCRIBE response")
	tag := h.Unique("after")
	publishPerm(h, alice, h.Unique("pc"), tag)
	n := notifyShowing(h, bob, tag)
	Expect(ipLiterals(n)).To(BeEmpty(), "IP address literals in the NOTIFY")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.4/6", Section: "10.1.4", Level: reports.LevelMust,
	Requirement: "NOTIFY is originated only by the presence server: a NOTIFY a user agent sends, claiming another presentity, is refused and never reaches the watcher.",
	Statements:  []string{"PRIM-A10.1.4-1", "PRIM-A8.4-1"},
	RFC2779:     []string{"5.2.4", "5.3.2", "5.3.3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	carol := h.LoggedIn("carol")
	forged := h.Unique("forged")
	n := h.Request("NOTIFY", "From", alice.Pres(), "To", bob.Pres(), "Content-Type", "application/presence", "Tuple-ID", "pc")
	n.Body = tupleBody(alice.Pres(), forged, "closed")
	carol.Call(n, HaveErrorCode())
	expectNoneShowing(h, bob, forged, "a NOTIFY forged by another user agent")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.4/7", Section: "10.1.4", Level: reports.LevelMust,
	Requirement: "Only subscribers are notified: a logged-in principal that never subscribed gets no NOTIFY when a presentity changes.",
	Statements:  []string{"PRIM-A10.1.4-2"},
	RFC2779:     []string{"5.3.2"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	forgetSubscription(h, bob, alice.Pres())
	publishPerm(h, alice, h.Unique("pc"), h.Unique("unsolicited"))
	expectNoNotify(h, bob, "bob has no subscription")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.4/8", Section: "10.1.4", Level: reports.LevelShould,
	Requirement: "A watcher that answers a NOTIFY with 403 Resource Not Found (no such watcher) is unsubscribed: no further NOTIFY follows.",
	Decisions:   []string{"D26"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	tag := h.Unique("refused")
	publishPerm(h, alice, h.Unique("pc"), tag)
	n := nextRequest(h, bob, "NOTIFY", h.Timeout())
	if n == nil {
		h.Failf("no NOTIFY after the change")
	}
	if n.ID == wire.NoResponse {
		h.NotApplicable("the target sends NOTIFY without expecting a response (id \"-\")")
	}
	bob.Respond(n, wire.StatusResourceNotFound)
	// A request on the same connection is processed after the 403: once it is answered the
	// server has seen the 403, whatever the timing of alice's connection.
	fetchView(h, bob, alice.Pres())
	publishPerm(h, alice, h.Unique("pc"), h.Unique("after-403"))
	expectNoNotify(h, bob, "the watcher answered 403 (Decision D26)")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.4/9", Section: "10.1.4", Level: reports.LevelMust,
	Requirement: "A change of status from open to closed is notified: the watcher's NOTIFY shows the tuple closed.",
	Statements:  []string{"PRIM-A10.1.4-2", "PRIM-A14.4.4-1"},
	RFC2779:     []string{"4.4.2", "4.4.1", "3.2.3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, open, closed := h.Unique("im"), h.Unique("open"), h.Unique("closed")
	alice.Call(pubReq(h, alice.Pres(), "permanent", tid, tupleBody(alice.Pres(), open, "open")), HaveCode(wire.StatusOK))
	bob := h.LoggedIn("bob")
	resp := subscribeTo(h, bob, alice.Pres(), 600)
	Expect(string(resp.Body)).To(MatchRegexp(`value=["']open["']`), "the open status before the change")
	alice.Call(pubReq(h, alice.Pres(), "permanent", tid, tupleBody(alice.Pres(), closed, "closed")), HaveCode(wire.StatusOK))
	n := notifyShowing(h, bob, closed)
	Expect(string(n.Body)).To(MatchRegexp(`value=["']closed["']`))
	Expect(showsTag(n, open)).To(BeFalse(), "the open value was replaced; body %q", n.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.4/10", Section: "10.1.4", Level: reports.LevelMust,
	Requirement: "Each successful PUBLISH yields its own NOTIFY: three quick changes give the subscriber three NOTIFYs, in order, the last showing the final value.",
	Statements:  []string{"PRIM-A10.1.4-2", "PRIM-A11.1.1-5"},
	RFC2779:     []string{"5.2.2"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	tid := h.Unique("pc")
	tags := []string{h.Unique("v1"), h.Unique("v2"), h.Unique("v3")}
	for _, t := range tags {
		alice.Send(pubReq(h, alice.Pres(), "permanent", tid, tupleBody(alice.Pres(), t, "open")))
	}
	for _, t := range tags {
		n := nextNotify(h, bob, h.Timeout())
		if n == nil {
			h.Failf("no NOTIFY for %s", t)
		}
		Expect(showsTag(n, t)).To(BeTrue(), "NOTIFYs in publication order; want %s in %q", t, n.Body)
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.4/11", Section: "10.1.4", Level: reports.LevelShould,
	Requirement: "When the same watcher subscribed from two connections, both connections receive the NOTIFY.",
	Statements:  []string{"PRIM-A10.1.4-2"},
	Decisions:   []string{"D13"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob1, bob2 := h.LoggedIn("bob"), h.LoggedIn("bob")
	subscribeTo(h, bob1, alice.Pres(), 600)
	subscribeTo(h, bob2, alice.Pres(), 600)
	tag := h.Unique("both")
	publishPerm(h, alice, h.Unique("pc"), tag)
	notifyShowing(h, bob1, tag)
	notifyShowing(h, bob2, tag)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.4/12", Section: "10.1.4", Level: reports.LevelShould,
	Requirement: "When one of two connections of a subscribed watcher ends, the other one still receives NOTIFYs.",
	Statements:  []string{"PRIM-A10.1.4-2"},
	Decisions:   []string{"D13", "D31"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob1, bob2 := h.LoggedIn("bob"), h.LoggedIn("bob")
	subscribeTo(h, bob1, alice.Pres(), 600)
	subscribeTo(h, bob2, alice.Pres(), 600)
	bob1.Abort()
	tag := h.Unique("second-connection")
	publishPerm(h, alice, h.Unique("pc"), tag)
	notifyShowing(h, bob2, tag)
})

// ---- §10.1.5 CANCELSUBSCRIPTION ----

// revokeBob subscribes bob to alice, then has alice deny bob the subscribe right, and
// returns the CANCELSUBSCRIPTION bob received (nil when none came).
func revokeBob(h *H) (alice, bob *Peer, cancel *wire.Message) {
	alice = h.LoggedIn("alice")
	openPresence(h, alice)
	bob = h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	putACL(h, alice, alice.Pres(), aclXML([2]string{".", "fetch subscribe"}, [2]string{bare(bob.Pres()), ""}))
	return alice, bob, nextRequest(h, bob, "CANCELSUBSCRIPTION", h.Timeout())
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.5/1", Section: "10.1.5", Level: reports.LevelMust,
	Requirement: "When the owner's ACL change denies a current subscriber, the server sends it CANCELSUBSCRIPTION with From the presentity and To the watcher.",
	Statements:  []string{"PRIM-A10.1.5-1"},
	RFC2779:     []string{"5.1.9", "5.1.16"},
}), func(h *H) {
	alice, bob, cancel := revokeBob(h)
	if cancel == nil {
		h.Failf("no CANCELSUBSCRIPTION within %v after the ACL denied the subscriber", h.Timeout())
	}
	Expect(cancel).To(haveIdentifier("From", alice.Pres()))
	Expect(cancel).To(haveIdentifier("To", bob.Pres()))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.5/2", Section: "10.1.5", Level: reports.LevelMust,
	Requirement: "CANCELSUBSCRIPTION expects no response: it is sent with request id \"-\" and no body.",
	Statements:  []string{"PRIM-A10.1.5-2", "PRIM-A8.2.3-3"},
}), func(h *H) {
	_, _, cancel := revokeBob(h)
	if cancel == nil {
		h.Failf("no CANCELSUBSCRIPTION within %v after the ACL denied the subscriber", h.Timeout())
	}
	Expect(cancel).To(HaveID(wire.NoResponse))
	Expect(cancel).To(HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.5/3", Section: "10.1.5", Level: reports.LevelMust,
	Requirement: "After CANCELSUBSCRIPTION no further NOTIFY goes to the cancelled watcher, and its new SUBSCRIBE is refused with 402.",
	Statements:  []string{"PRIM-A10.1.5-1", "PRIM-A10.1.1-2"},
	RFC2779:     []string{"5.1.16", "5.1.13", "5.2.3"},
}), func(h *H) {
	alice, bob, _ := revokeBob(h)
	publishPerm(h, alice, h.Unique("pc"), h.Unique("after-revocation"))
	expectNoNotify(h, bob, "the subscription was revoked")
	bob.Call(h.Request("SUBSCRIBE", "From", bob.Pres(), "To", alice.Pres(), "Duration", "600"),
		HaveCode(wire.StatusForbidden), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.5/4", Section: "10.1.5", Level: reports.LevelMust,
	Requirement: "An ACL change cancels only the subscribers it denies: another subscriber gets no CANCELSUBSCRIPTION and is still notified.",
	Statements:  []string{"PRIM-A10.1.5-1"},
	RFC2779:     []string{"5.2.3", "5.1.16"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob, carol := h.LoggedIn("bob"), h.LoggedIn("carol")
	subscribeTo(h, bob, alice.Pres(), 600)
	subscribeTo(h, carol, alice.Pres(), 600)
	putACL(h, alice, alice.Pres(), aclXML([2]string{".", "fetch subscribe"}, [2]string{bare(carol.Pres()), ""}))
	if nextRequest(h, carol, "CANCELSUBSCRIPTION", h.Timeout()) == nil {
		h.Failf("carol, denied by the new ACL, got no CANCELSUBSCRIPTION")
	}
	tag := h.Unique("bob-still")
	publishPerm(h, alice, h.Unique("pc"), tag)
	notifyShowingNoCancel(h, bob, tag)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.5/5", Section: "10.1.5", Level: reports.LevelMust,
	Requirement: "CANCELSUBSCRIPTION is originated only by the presence server: one a user agent sends, claiming the presentity, does not end the watcher's subscription.",
	Statements:  []string{"PRIM-A10.1.5-1", "PRIM-A8.4-1"},
	RFC2779:     []string{"5.1.8"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	carol := h.LoggedIn("carol")
	forged := h.Request("CANCELSUBSCRIPTION", "From", alice.Pres(), "To", bob.Pres())
	forged.ID = wire.NoResponse
	carol.Send(forged)
	// A request on the same connection is answered only after the forged one was processed.
	fetchView(h, carol, alice.Pres())
	if c := nextRequest(h, bob, "CANCELSUBSCRIPTION", h.Quiet()); c != nil {
		h.Failf("a CANCELSUBSCRIPTION forged by carol reached bob: %q", c.StartLine())
	}
	tag := h.Unique("still-subscribed")
	publishPerm(h, alice, h.Unique("pc"), tag)
	notifyShowing(h, bob, tag)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.5/6", Section: "10.1.5", Level: reports.LevelMust,
	Requirement: "An ACL change that removes only the fetch right leaves subscriptions in place: no CANCELSUBSCRIPTION, NOTIFYs go on.",
	Statements:  []string{"PRIM-A10.1.5-1", "PRIM-A13.2.1-5"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	putACL(h, alice, alice.Pres(), aclXML([2]string{".", "subscribe"}))
	tag := h.Unique("subscribe-only")
	publishPerm(h, alice, h.Unique("pc"), tag)
	notifyShowingNoCancel(h, bob, tag)
})

// notifyShowingNoCancel waits for a NOTIFY showing tag on w and fails the case if a
// CANCELSUBSCRIPTION arrives first.
func notifyShowingNoCancel(h *H, w *Peer, tag string) {
	ginkgo.GinkgoHelper()
	for i := 0; i < 16; i++ {
		ev := w.NextWithin(h.Timeout())
		if ev.Msg == nil {
			h.Failf("%s: no NOTIFY showing %s (%s)", w.Name(), tag, ev)
		}
		m := ev.Msg
		if m.Method == "CANCELSUBSCRIPTION" {
			h.Failf("%s: the subscription was cancelled although the ACL still allows it: %q", w.Name(), m.StartLine())
		}
		if m.IsRequest() && m.ID != wire.NoResponse {
			w.Respond(m, wire.StatusOK)
		}
		if m.Method == "NOTIFY" && showsTag(m, tag) {
			return
		}
	}
	h.Failf("%s: no NOTIFY showing %s", w.Name(), tag)
}
