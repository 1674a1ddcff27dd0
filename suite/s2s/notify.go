package s2s

import (
	"strconv"
	"strings"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// SS §7.1.3 NOTIFY, both ways: the target as the presentity's server notifying the suite's
// watchers, and as the watcher's server receiving the suite's NOTIFYs for its local UAs
// (prim-digest §4.3, §4.4, §4.10; Decisions D2, D25, D26).

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.3/1", Section: "7.1.3", Level: reports.LevelMust,
	Requirement: "After a successful SUBSCRIBE from a remote watcher, a NOTIFY carrying the presentity's presence as CPIM-PIDF (bare or in message/cpim) follows immediately, with the Subscription-ID.",
	Statements:  []string{"PRIM-S7.1.1-3", "PRIM-S7.1.3-1", "PRIM-S7.1.3-3", "PRIM-S10-1"},
	RFC2779:     []string{"2.2.1", "2.4.2"},
	Decisions:   []string{"D25", "D15", "D2"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	sid := h.Unique("s")
	resp := subscribe(h, peer, watcher, h.Pres(alice.User), sid, "600", "AStrength", "weak")
	Expect(resp).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	n, on := expectS2S(h, peer, "NOTIFY", "To", watcher)
	Expect(n).To(HaveHeader("From", h.Pres(alice.User)))
	Expect(n).To(HaveHeader("Subscription-ID", sid))
	Expect(n).To(HaveBody())
	on.Respond(n, wire.StatusOK)
	Expect(n.Value("Content-Type")).To(Or(HavePrefix(ctCPIMPIDF), HavePrefix(ctCPIM)))
	presenceDoc(h, n)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.3/2", Section: "7.1.3", Level: reports.LevelMust,
	Requirement: "When the presentity's presence changes, the remote watcher gets a NOTIFY whose CPIM-PIDF document shows the new status.",
	Statements:  []string{"PRIM-S7.1.3-1", "PRIM-S7.1.3-3"},
	RFC2779:     []string{"2.4.2", "3.2.3", "4.4.2"},
	Decisions:   []string{"D2", "D15"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	tuple := h.Unique("t")
	publish(h, alice, tuple, alice.IM(), "closed", "away")
	subscribed(h, peer, watcher, alice.Pres(), h.Unique("s"), "600")
	publish(h, alice, tuple, alice.IM(), "open", "back")
	doc := presenceDoc(h, awaitNotify(h, peer, watcher))
	Expect(doc.hasStatus("open")).To(BeTrue(), "the NOTIFY after the change shows the tuple open: %+v", doc.Tuples)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.3/3", Section: "7.1.3", Level: reports.LevelMust,
	Requirement: "A NOTIFY carries the whole presence information, not only the changed tuple: with two tuples published, a change to one is notified with both.",
	Statements:  []string{"PRIM-S7.1.3-2", "PRIM-S7.1.3-1"},
	Decisions:   []string{"D2", "D15"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	t1, t2 := h.Unique("t1"), h.Unique("t2")
	publish(h, alice, t1, alice.IM(), "open", "im")
	publish(h, alice, t2, "tel:+15550100", "open", "phone")
	subscribed(h, peer, watcher, alice.Pres(), h.Unique("s"), "600")
	publish(h, alice, t2, "tel:+15550100", "closed", "phone off")
	doc := presenceDoc(h, awaitNotify(h, peer, watcher))
	Expect(len(doc.Tuples)).To(BeNumerically(">=", 2), "both tuples are in the NOTIFY: %+v", doc.Tuples)
	Expect(doc.hasStatus("open")).To(BeTrue(), "the unchanged tuple (open) is in the NOTIFY: %+v", doc.Tuples)
	Expect(doc.hasStatus("closed")).To(BeTrue(), "the changed tuple (closed) is in the NOTIFY: %+v", doc.Tuples)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.3/4", Section: "7.1.3", Level: reports.LevelMust,
	Requirement: "The target's NOTIFY is a PRIM/1.0 request with From (the presentity), To (the watcher), Subscription-ID, Date and Content-Type.",
	Statements:  []string{"PRIM-S6.3.2-1", "PRIM-S6.2.1-2", "PRIM-S6.1.1-1", "PRIM-S6.1.2-1"},
	Decisions:   []string{"D1", "D15"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	sid := h.Unique("s")
	_, n := subscribed(h, peer, watcher, h.Pres(alice.User), sid, "600")
	Expect(n).To(HaveVersion(wire.VersionServer))
	Expect(n).To(HaveHeader("From", h.Pres(alice.User)))
	Expect(n).To(HaveHeader("To", watcher))
	Expect(n).To(HaveHeader("Subscription-ID", sid))
	Expect(n).To(HaveHeader("Date"))
	Expect(n).To(HaveHeader("Content-Type"))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.3/5", Section: "7.1.3", Level: reports.LevelMust,
	Requirement: "A NOTIFY from the peer domain for a subscription a local UA made through the target is answered 200 without a body.",
	Statements:  []string{"PRIM-S7.1.3-4", "PRIM-S2.2.1-1"},
	RFC2779:     []string{"2.4.1", "2.4.2"},
	Decisions:   []string{"D25"},
}), func(h *H) {
	r := relaySubscribe(h, "alice")
	n := r.accept(h)
	r.on.ExpectResponse(n.ID, HaveCode(wire.StatusOK), HaveNoBody())
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.3/6", Section: "7.1.3", Level: reports.LevelMust,
	Requirement: "The peer domain's presence reaches the local watcher through the target: its SUBSCRIBE succeeds with the open status, and a later NOTIFY (closed) is relayed to it.",
	Statements:  []string{"PRIM-S2.2.1-1", "PRIM-S7.1.3-1"},
	RFC2779:     []string{"2.4.1", "2.4.2", "2.2.1"},
	Decisions:   []string{"D2", "D25"},
}), func(h *H) {
	r := relaySubscribe(h, "alice")
	n := r.accept(h)
	r.on.ExpectResponse(n.ID, HaveCode(wire.StatusOK))
	resp := r.ua.ExpectResponse(r.uaReq.ID, HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	Expect(string(resp.Body)).To(ContainSubstring("open"), "the UA's SUBSCRIBE response carries the presence (Decision D25)")
	n = r.notify(h, "closed", "")
	r.on.ExpectResponse(n.ID, HaveCode(wire.StatusOK))
	got := r.ua.ExpectRequest("NOTIFY", HaveHeader("From", r.presentity))
	r.ua.Respond(got, wire.StatusOK)
	Expect(string(got.Body)).To(ContainSubstring("closed"))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.3/7", Section: "7.1.3", Level: reports.LevelMust,
	Requirement: "A NOTIFY from a peer for a local user who never subscribed is not delivered to that user's UA.",
	Statements:  []string{"PRIM-S7.1.3-4"},
	RFC2779:     []string{"5.3.2"},
	Decisions:   []string{"D26"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	buddy := h.PeerPres(h.Unique("buddy"))
	n := peer.Request("NOTIFY", "From", buddy, "To", alice.Pres(), "Subscription-ID", h.Unique("s"), "Date", ssDate,
		"Content-Type", ctCPIMPIDF)
	n.Body = cpimPIDF(buddy, "t1", "open", h.PeerIM("buddy"))
	resp := peer.Call(n, HaveNoBody())
	h.Accept(resp, OneOf("D26: 403 (no such subscription)", HaveCode(wire.StatusResourceNotFound)),
		OneOf("another error response", HaveErrorCode()),
		OneOf("200, dropped silently", HaveCode(wire.StatusOK)))
	alice.ExpectNothing(0)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.3/8", Section: "7.1.3", Level: reports.LevelMust,
	Requirement: "A NOTIFY whose body is not CPIM-PIDF (text/plain) is refused with an error and nothing reaches the watcher's UA.",
	Statements:  []string{"PRIM-S7.1.3-3", "PRIM-S7.1.3-4"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	r := relaySubscribe(h, "alice")
	n := r.accept(h)
	r.on.ExpectResponse(n.ID, HaveCode(wire.StatusOK))
	r.ua.ExpectResponse(r.uaReq.ID)
	bad := r.on.Request("NOTIFY", "From", r.presentity, "To", r.sub.Value("From"), "Subscription-ID", r.sub.Value("Subscription-ID"),
		"Date", ssDate, "Content-Type", "text/plain")
	bad.Body = []byte("open, honestly")
	r.on.Send(bad)
	h.Accept(responseOrEnd(r.on, bad.ID), OneOf("400 Bad Request", HaveCode(wire.StatusBadRequest)),
		OneOf("another error response", HaveErrorCode()), OneOf("connection closed", BeDisconnected()))
	r.ua.ExpectNothing(0)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.3/9", Section: "7.1.3", Level: reports.LevelShould,
	Requirement: "A NOTIFY with Duration 0 (the subscription was cancelled) is answered 200 and the local watcher is told its subscription ended (CANCELSUBSCRIPTION on the client link).",
	Statements:  []string{"PRIM-S7.1.3-6", "PRIM-S7.1.3-4"},
	RFC2779:     []string{"5.1.9"},
	Decisions:   []string{"D2"},
}), func(h *H) {
	r := relaySubscribe(h, "alice")
	n := r.accept(h)
	r.on.ExpectResponse(n.ID, HaveCode(wire.StatusOK))
	r.ua.ExpectResponse(r.uaReq.ID)
	n = r.notify(h, "closed", "0")
	r.on.ExpectResponse(n.ID, HaveCode(wire.StatusOK), HaveNoBody())
	r.ua.ExpectRequest("CANCELSUBSCRIPTION", HaveHeader("From", r.presentity), HaveHeader("To", r.ua.Pres()))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.3/10", Section: "7.1.3", Level: reports.LevelMust,
	Requirement: "A NOTIFY whose body is message/cpim wrapping application/cpim-pidf+xml is accepted like a bare CPIM-PIDF one, and its presence reaches the watcher's UA.",
	Statements:  []string{"PRIM-S7.1.3-3", "PRIM-S7.1.3-4"},
	RFC2779:     []string{"2.4.2"},
	Decisions:   []string{"D2"},
}), func(h *H) {
	r := relaySubscribe(h, "alice")
	n := r.accept(h)
	r.on.ExpectResponse(n.ID, HaveCode(wire.StatusOK))
	r.ua.ExpectResponse(r.uaReq.ID)
	watcher := r.sub.Value("From")
	wrapped := r.on.Request("NOTIFY", "From", r.presentity, "To", watcher, "Subscription-ID", r.sub.Value("Subscription-ID"),
		"Date", ssDate, "Content-Type", ctCPIM)
	// A message/cpim object as prim-digest §5.7 lays it out: outer MIME headers, message
	// headers, then the encapsulated application/cpim-pidf+xml entity.
	wrapped.Body = []byte("Content-Type: message/cpim\r\n\r\nFrom: <" + r.presentity + ">\r\nTo: <" + watcher + ">\r\nDateTime: 2001-02-26T09:52:08+09:00\r\n\r\n" +
		"Content-Type: " + ctCPIMPIDF + "\r\n\r\n" +
		string(cpimPIDF(r.presentity, "t1", "closed", "im:"+strings.TrimPrefix(r.presentity, "pres:"))))
	r.on.Send(wrapped)
	r.on.ExpectResponse(wrapped.ID, HaveCode(wire.StatusOK), HaveNoBody())
	got := r.ua.ExpectRequest("NOTIFY", HaveHeader("From", r.presentity))
	r.ua.Respond(got, wire.StatusOK)
	Expect(string(got.Body)).To(ContainSubstring("closed"))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.3/11", Section: "7.1.3", Level: reports.LevelMust,
	Requirement: "When a local user subscribes to a presentity of the peer domain, the target relays a PRIM/1.0 SUBSCRIBE with From (the local watcher), To, Duration, Subscription-ID and Date.",
	Statements:  []string{"PRIM-S2.2.1-1", "PRIM-S6.3.2-1", "PRIM-S6.1.1-1", "PRIM-S4.3-1"},
	RFC2779:     []string{"2.4.1"},
	Decisions:   []string{"D1"},
}), func(h *H) {
	r := relaySubscribe(h, "alice")
	Expect(r.sub).To(HaveVersion(wire.VersionServer))
	Expect(r.sub).To(HaveHeader("From", r.ua.Pres()))
	Expect(r.sub).To(HavePositiveDuration())
	Expect(r.sub).To(HaveHeader("Subscription-ID"))
	Expect(r.sub).To(HaveHeader("Date"))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/10/1", Section: "10", Level: reports.LevelMust,
	Requirement: "The NOTIFY's CPIM-PIDF document names the presentity (presentity id = its pres: identifier) and gives each tuple an id and a basic status value open or closed.",
	Statements:  []string{"PRIM-S10-1", "PRIM-S2.2.3-1"},
	RFC2779:     []string{"3.1.1", "3.1.2", "4.4.2"},
	Decisions:   []string{"D2", "D15"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	publish(h, alice, h.Unique("t"), alice.IM(), "open", "here")
	peer := h.S2SLoggedIn("remote")
	_, n := subscribed(h, peer, h.PeerPres(h.Unique("watcher")), alice.Pres(), h.Unique("s"), "600")
	doc := presenceDoc(h, n)
	Expect(doc.Presentity.ID).To(Equal(alice.Pres()))
	Expect(doc.Tuples).NotTo(BeEmpty())
	for _, t := range doc.Tuples {
		Expect(t.ID).NotTo(BeEmpty(), "every tuple has an id")
		basic := false
		for _, v := range t.Values {
			v = strings.ToLower(strings.TrimSpace(v))
			basic = basic || v == "open" || v == "closed"
		}
		Expect(basic).To(BeTrue(), "tuple %q has a basic status value open or closed: %v", t.ID, t.Values)
	}
	Expect(doc.hasStatus("open")).To(BeTrue())
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.3/12", Section: "7.1.3", Level: reports.LevelMust,
	Requirement: "After the presentity's ACL is changed to refuse the peer domain, its later presence changes no longer reach the remote watcher (a final NOTIFY with Duration 0 is allowed).",
	Statements:  []string{"PRIM-A13.2.1-3", "PRIM-S7.1.3-6"},
	RFC2779:     []string{"5.1.16", "5.2.3", "2.3.3"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	subscribed(h, peer, watcher, alice.Pres(), h.Unique("s"), "600")
	denyPeerDomain(h, alice)
	notifiesTo(h, watcher, peer) // a NOTIFY for the revocation itself (e.g. Duration 0) is allowed
	secret := h.Unique("after-revoke")
	publish(h, alice, h.Unique("t"), alice.IM(), "open", secret)
	for _, n := range notifiesTo(h, watcher, peer) {
		Expect(string(n.Body)).NotTo(ContainSubstring(secret), "a revoked watcher saw a later presence change")
	}
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.3/13", Section: "7.1.3", Level: reports.LevelShould,
	Requirement: "When the watcher's server answers a NOTIFY 403 (no such watcher), the presentity's server drops the subscription: later changes are not notified.",
	Statements:  []string{"PRIM-S7.1.3-4"},
	Decisions:   []string{"D26"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	subscribe(h, peer, watcher, alice.Pres(), h.Unique("s"), "600")
	n, on := expectS2S(h, peer, "NOTIFY", "To", watcher)
	on.Respond(n, wire.StatusResourceNotFound)
	// The 403 and the PUBLISH travel on different connections: let the 403 arrive first.
	settle(h)
	publish(h, alice, h.Unique("t"), alice.IM(), "open", "after the 403")
	expectNoLiveNotify(h, watcher, "the watcher's server answered 403 (Decision D26)", peer)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.3/14", Section: "7.1.3", Level: reports.LevelMust,
	Requirement: "A Duration in the target's NOTIFY, when present, is the subscription's remaining time: positive and not more than the Duration granted.",
	Statements:  []string{"PRIM-S7.1.3-5", "PRIM-S7.1.3-6"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	resp, n := subscribed(h, peer, h.PeerPres(h.Unique("watcher")), h.Pres(alice.User), h.Unique("s"), "600")
	v, ok := n.Get("Duration")
	if !ok {
		h.Saw("no Duration in the NOTIFY (PRIM-S7.1.3-5 MAY)")
		return
	}
	granted := 600
	if resp.Code == wire.StatusDurationAdjusted {
		g, err := strconv.Atoi(resp.Value("Duration"))
		Expect(err).NotTo(HaveOccurred(), "201 carries the adjusted Duration")
		granted = g
	}
	d, err := strconv.Atoi(v)
	Expect(err).NotTo(HaveOccurred(), "NOTIFY Duration %q is a number of seconds", v)
	Expect(d).To(BeNumerically(">", 0), "a live subscription's NOTIFY does not say Duration 0 (PRIM-S7.1.3-6)")
	Expect(d).To(BeNumerically("<=", granted))
})
