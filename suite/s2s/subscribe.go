package s2s

import (
	"strconv"
	"time"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// SS §7.1.1 SUBSCRIBE and §6.3 Duration / Subscription-ID, as received from a peer domain
// (prim-digest §4.3, §4.13; Decisions D12, D25, D30).

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.1/1", Section: "7.1.1", Level: reports.LevelMust,
	Requirement: "SUBSCRIBE from a remote watcher is answered 200/201 without a body, echoing the Subscription-ID.",
	Statements:  []string{"PRIM-S7.1.1-2", "PRIM-S7.1.1-9", "PRIM-S6.3.2-1"},
	RFC2779:     []string{"2.2.1", "2.4.1"},
	Decisions:   []string{"D25", "D15"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	resp := subscribe(h, peer, h.PeerPres("watcher"), h.Pres(alice.User), "s42", "600", "AStrength", "weak")
	Expect(resp).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	Expect(resp).To(HaveNoBody())
	Expect(resp).To(HaveHeader("Subscription-ID", "s42"))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.1/2", Section: "7.1.1", Level: reports.LevelMust,
	Requirement: "SUBSCRIBE with Duration 0 and an unknown Subscription-ID acts as a fetch: one NOTIFY, and no subscription is kept (later changes are not notified).",
	Statements:  []string{"PRIM-S7.1.1-4", "PRIM-S7.1.1-6"},
	RFC2779:     []string{"3.2.1"},
	Decisions:   []string{"D12", "D15"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	subscribed(h, peer, watcher, alice.Pres(), h.Unique("s"), "0")
	publish(h, alice, h.Unique("t"), alice.IM(), "open", "after the fetch")
	expectNoLiveNotify(h, watcher, "a Duration 0 SUBSCRIBE keeps no subscription", peer)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.1/3", Section: "7.1.1", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE asking for a very short Duration (1 s) is answered 200, or 201 carrying the adjusted Duration (a positive value other than the one asked).",
	Statements:  []string{"PRIM-S7.1.1-9", "PRIM-S6.3.1-1"},
	Decisions:   []string{"D30"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	resp := subscribe(h, peer, h.PeerPres("watcher"), h.Pres(alice.User), h.Unique("s"), "1")
	if h.Accept(resp, OneOf("200 OK (duration granted)", HaveCode(wire.StatusOK)),
		OneOf("201 Duration Adjusted", HaveCode(wire.StatusDurationAdjusted))) == "201 Duration Adjusted" {
		Expect(resp).To(HavePositiveDuration())
		Expect(resp.Value("Duration")).NotTo(Equal("1"), "201 means the duration was changed")
	}
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.1/4", Section: "7.1.1", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE asking for a huge Duration (999999999 s) is answered 200, or 201 carrying the adjusted Duration.",
	Statements:  []string{"PRIM-S7.1.1-9", "PRIM-S6.3.1-1"},
	Decisions:   []string{"D30"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	resp := subscribe(h, peer, h.PeerPres("watcher"), h.Pres(alice.User), h.Unique("s"), "999999999")
	if h.Accept(resp, OneOf("200 OK (duration granted)", HaveCode(wire.StatusOK)),
		OneOf("201 Duration Adjusted", HaveCode(wire.StatusDurationAdjusted))) == "201 Duration Adjusted" {
		Expect(resp).To(HavePositiveDuration())
		Expect(resp.Value("Duration")).NotTo(Equal("999999999"), "201 means the duration was changed")
	}
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.1/5", Section: "7.1.1", Level: reports.LevelMust,
	Requirement: "SUBSCRIBE with Duration 0 and the Subscription-ID of an existing subscription removes it: later presence changes are not notified.",
	Statements:  []string{"PRIM-S7.1.1-5", "PRIM-S7.1.1-4"},
	RFC2779:     []string{"5.1.7"},
	Decisions:   []string{"D12"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	sid := h.Unique("s")
	subscribed(h, peer, watcher, alice.Pres(), sid, "600")
	resp := subscribe(h, peer, watcher, alice.Pres(), sid, "0")
	Expect(resp).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted), "ending the subscription")
	Expect(resp).To(HaveNoBody())
	notifiesTo(h, watcher, peer) // a NOTIFY for the Duration 0 request itself is allowed
	publish(h, alice, h.Unique("t"), alice.IM(), "open", "after the unsubscribe")
	expectNoLiveNotify(h, watcher, "the subscription was ended with Duration 0", peer)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.1/6", Section: "7.1.1", Level: reports.LevelMust,
	Requirement: "A renewing SUBSCRIBE with the same Subscription-ID updates the subscription instead of adding one: a later change is notified once.",
	Statements:  []string{"PRIM-S7.1.1-7", "PRIM-S7.1.3-1"},
	Decisions:   []string{"D12"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	sid := h.Unique("s")
	subscribed(h, peer, watcher, alice.Pres(), sid, "600")
	subscribed(h, peer, watcher, alice.Pres(), sid, "900")
	notifiesTo(h, watcher, peer)
	publish(h, alice, h.Unique("t"), alice.IM(), "open", "one change")
	got := notifiesTo(h, watcher, peer)
	Expect(got).To(HaveLen(1), "one subscription, one NOTIFY per change")
	Expect(got[0]).To(HaveHeader("Subscription-ID", sid))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.1/7", Section: "7.1.1", Level: reports.LevelMust,
	Requirement: "SUBSCRIBE to a presentity that does not exist in the target's domain is refused without a body (403 Resource Not Found, or 402) and no NOTIFY follows.",
	Statements:  []string{"PRIM-S7.1.1-9", "PRIM-S7.1.1-3"},
	RFC2779:     []string{"5.1.5"},
}), func(h *H) {
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	resp := peer.Call(peer.Request("SUBSCRIBE", "From", watcher, "To", h.Pres(h.Unique("nosuchuser")), "Duration", "600",
		"Subscription-ID", h.Unique("s"), "Date", ssDate))
	h.Accept(resp, OneOf("403 Resource Not Found", HaveCode(wire.StatusResourceNotFound)),
		OneOf("402 Forbidden", HaveCode(wire.StatusForbidden)))
	Expect(resp).To(HaveNoBody())
	expectNoLiveNotify(h, watcher, "the SUBSCRIBE was refused", peer)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.1/8", Section: "7.1.1", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE without Subscription-ID is not accepted (an error, or the connection is dropped).",
	Statements:  []string{"PRIM-S6.3.2-1"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	req := peer.Request("SUBSCRIBE", "From", h.PeerPres("watcher"), "To", h.Pres(alice.User), "Duration", "600", "Date", ssDate)
	peer.Send(req)
	h.Accept(responseOrEnd(peer, req.ID), rejected()...)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.1/9", Section: "7.1.1", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE without Duration, or with a Duration that is not a number, is not accepted (an error, or the connection is dropped).",
	Statements:  []string{"PRIM-S7.1.1-9"},
	Decisions:   []string{"D30", "D44"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	req := peer.Request("SUBSCRIBE", "From", h.PeerPres("watcher"), "To", h.Pres(alice.User), "Subscription-ID", h.Unique("s"), "Date", ssDate)
	peer.Send(req)
	if h.Accept(responseOrEnd(peer, req.ID), rejected()...) == "connection closed" {
		peer = h.S2SLoggedIn("remote")
	}
	req = peer.Request("SUBSCRIBE", "From", h.PeerPres("watcher"), "To", h.Pres(alice.User), "Duration", "soon",
		"Subscription-ID", h.Unique("s"), "Date", ssDate)
	peer.Send(req)
	h.Accept(responseOrEnd(peer, req.ID), rejected()...)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.1/10", Section: "7.1.1", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE may carry a body (with its Content-Type) whose meaning is implementation-specific: it is accepted like one without, and the response has no body.",
	Statements:  []string{"PRIM-S7.1.1-1", "PRIM-S7.1.1-2"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	req := peer.Request("SUBSCRIBE", "From", watcher, "To", h.Pres(alice.User), "Duration", "600",
		"Subscription-ID", h.Unique("s"), "Date", ssDate, "Content-Type", "text/plain")
	req.Body = []byte("primlab: an opaque subscription body")
	resp := peer.Call(req)
	if resp.Code == wire.StatusForbidden {
		h.NotApplicable("the target's default ACL refuses remote watchers (402; Decision D15)")
	}
	Expect(resp).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	Expect(resp).To(HaveNoBody())
	awaitNotify(h, peer, watcher)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.1/11", Section: "7.1.1", Level: reports.LevelMust,
	Requirement: "A subscription to a presentity whose user is not connected is accepted, and the immediate NOTIFY still carries its presence document.",
	Statements:  []string{"PRIM-S7.1.1-3", "PRIM-S7.1.3-3"},
	RFC2779:     []string{"3.2.2", "3.2.1"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	bob := h.Account("bob")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	_, n := subscribed(h, peer, watcher, h.Pres(bob.User), h.Unique("s"), "600")
	Expect(n).To(HaveBody())
	doc := presenceDoc(h, n)
	Expect(doc.Presentity.ID).To(Equal(h.Pres(bob.User)))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.1/12", Section: "7.1.1", Level: reports.LevelMust,
	Requirement: "Two remote watchers subscribed to one presentity each get a NOTIFY with their own Subscription-ID when its presence changes.",
	Statements:  []string{"PRIM-S7.1.3-1", "PRIM-S6.3.2-1"},
	RFC2779:     []string{"3.2.3", "2.2.5"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	w1, w2 := h.PeerPres(h.Unique("w1")), h.PeerPres(h.Unique("w2"))
	s1, s2 := h.Unique("s1"), h.Unique("s2")
	subscribed(h, peer, w1, alice.Pres(), s1, "600")
	subscribed(h, peer, w2, alice.Pres(), s2, "600")
	publish(h, alice, h.Unique("t"), alice.IM(), "open", "change for both")
	n1 := awaitNotify(h, peer, w1)
	Expect(n1).To(HaveHeader("Subscription-ID", s1))
	n2 := awaitNotify(h, peer, w2)
	Expect(n2).To(HaveHeader("Subscription-ID", s2))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/6.3.1/1", Section: "6.3.1", Level: reports.LevelShould, Slow: true,
	Requirement: "A subscription stays in effect for the Duration granted: half-way through it, a presence change is still notified (slow).",
	Statements:  []string{"PRIM-S6.3.1-1"},
	Decisions:   []string{"D30"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	resp, _ := subscribed(h, peer, watcher, alice.Pres(), h.Unique("s"), "120")
	granted := 120
	if v, err := strconv.Atoi(resp.Value("Duration")); err == nil && resp.Code == wire.StatusDurationAdjusted {
		granted = v
	}
	if granted > 600 {
		h.NotApplicable("the target granted %d s; the suite waits at most 300 s", granted)
	}
	h.Wait(time.Duration(granted) * time.Second / 2)
	notifiesTo(h, watcher, peer)
	publish(h, alice, h.Unique("t"), alice.IM(), "open", "still subscribed")
	awaitNotify(h, peer, watcher)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.1/13", Section: "7.1.1", Level: reports.LevelMust,
	Requirement: "A local UA's FETCH of a presentity of the peer domain goes out as a SUBSCRIBE with Duration 0 (SS has no FETCH), and the presence in the peer's NOTIFY answers the UA.",
	Statements:  []string{"PRIM-S7.1.1-4", "PRIM-S7.1.1-6", "PRIM-S2.2.1-1", "PRIM-S6.3.2-1"},
	RFC2779:     []string{"3.2.1", "2.4.1"},
	Decisions:   []string{"D12", "D25"},
}), func(h *H) {
	ua := h.LoggedIn("alice")
	presentity := h.PeerPres(h.Unique("buddy"))
	fetch := ua.Request("FETCH", "From", ua.Pres(), "To", presentity)
	ua.Send(fetch)
	if !h.Simulated() && h.Config().S2SListen == "" {
		h.NotApplicable("the suite cannot accept the target's server-server connections (no --s2s-listen)")
	}
	sub, on := expectS2S(h, nil, "SUBSCRIBE", "To", presentity)
	Expect(sub).To(HaveHeader("Duration", "0"))
	Expect(sub).To(HaveHeader("Subscription-ID"))
	Expect(sub).To(HaveVersion(wire.VersionServer))
	r := relayed{ua: ua, uaReq: fetch, sub: sub, on: on, presentity: presentity}
	n := r.accept(h)
	on.ExpectResponse(n.ID, HaveCode(wire.StatusOK))
	resp := ua.ExpectResponse(fetch.ID, HaveCode(wire.StatusOK))
	Expect(string(resp.Body)).To(ContainSubstring("open"), "the FETCH response carries the peer's presence")
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.1/14", Section: "7.1.1", Level: reports.LevelMust,
	Requirement: "When the presentity's ACL refuses the peer domain, a remote SUBSCRIBE is refused (402) or politely blocked: granted, but no NOTIFY reveals the real presence.",
	Statements:  []string{"PRIM-S7.1.1-9", "PRIM-A13.2.1-3", "PRIM-A13.2.1-4"},
	RFC2779:     []string{"5.1.5", "5.1.13", "2.3.2", "5.1.15"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	secret := h.Unique("secret-note")
	publish(h, alice, h.Unique("t"), alice.IM(), "open", secret)
	denyPeerDomain(h, alice)
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	resp := peer.Call(peer.Request("SUBSCRIBE", "From", watcher, "To", alice.Pres(), "Duration", "600",
		"Subscription-ID", h.Unique("s"), "Date", ssDate), HaveNoBody())
	h.Accept(resp, OneOf("402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("polite blocking: granted", HaveCode(wire.StatusOK, wire.StatusDurationAdjusted)))
	for _, n := range notifiesTo(h, watcher, peer) {
		Expect(string(n.Body)).NotTo(ContainSubstring(secret), "a refused watcher saw the presentity's real presence")
	}
})
