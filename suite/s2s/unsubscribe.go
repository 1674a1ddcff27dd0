package s2s

import (
	"strconv"
	"time"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// SS §7.1.2 UNSUBSCRIBE and subscription expiry (prim-digest §4.3, §4.13; Decision D12).

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.2/1", Section: "7.1.2", Level: reports.LevelShould,
	Requirement: "UNSUBSCRIBE for a (watcher, presentity) pair without a subscription is answered 404 Subscription Not Found, without a body.",
	Statements:  []string{"PRIM-S7.1.2-1"},
	Decisions:   []string{"D12"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	peer.Call(peer.Request("UNSUBSCRIBE", "From", h.PeerPres(h.Unique("nobody")), "To", h.Pres(alice.User)),
		HaveCode(wire.StatusSubscriptionNotFound), HaveNoBody())
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.2/2", Section: "7.1.2", Level: reports.LevelMust,
	Requirement: "UNSUBSCRIBE of an existing subscription is answered 200 without a body, and later presence changes are no longer notified.",
	Statements:  []string{"PRIM-S7.1.2-1"},
	RFC2779:     []string{"5.1.7"},
	Decisions:   []string{"D12"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	subscribed(h, peer, watcher, alice.Pres(), h.Unique("s"), "600")
	peer.Call(peer.Request("UNSUBSCRIBE", "From", watcher, "To", alice.Pres()), HaveCode(wire.StatusOK), HaveNoBody())
	publish(h, alice, h.Unique("t"), alice.IM(), "open", "after UNSUBSCRIBE")
	expectNoLiveNotify(h, watcher, "the watcher unsubscribed", peer)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.2/3", Section: "7.1.2", Level: reports.LevelMust,
	Requirement: "UNSUBSCRIBE (which names no Subscription-ID) ends every subscription of the (watcher, presentity) pair.",
	Statements:  []string{"PRIM-S7.1.2-1"},
	RFC2779:     []string{"5.1.7"},
	Decisions:   []string{"D12"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	subscribed(h, peer, watcher, alice.Pres(), h.Unique("s1"), "600")
	subscribed(h, peer, watcher, alice.Pres(), h.Unique("s2"), "600")
	peer.Call(peer.Request("UNSUBSCRIBE", "From", watcher, "To", alice.Pres()), HaveCode(wire.StatusOK))
	publish(h, alice, h.Unique("t"), alice.IM(), "open", "after UNSUBSCRIBE")
	expectNoLiveNotify(h, watcher, "the pair was unsubscribed", peer)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.2/4", Section: "7.1.2", Level: reports.LevelMust, Slow: true,
	Requirement: "A subscription whose Duration elapses without renewal is removed, as an implicit UNSUBSCRIBE: later changes are not notified (slow).",
	Statements:  []string{"PRIM-S7.1.2-2", "PRIM-S2.2.2-1"},
	RFC2779:     []string{"3.2.4"},
	Decisions:   []string{"D30"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	resp, _ := subscribed(h, peer, watcher, alice.Pres(), h.Unique("s"), "60")
	granted := 60
	if v, err := strconv.Atoi(resp.Value("Duration")); err == nil && resp.Code == wire.StatusDurationAdjusted {
		granted = v
	}
	if granted > 600 {
		h.NotApplicable("the target granted %d s; the suite waits at most 600 s", granted)
	}
	h.Wait(time.Duration(granted)*time.Second + h.Quiet())
	notifiesTo(h, watcher, peer) // a final NOTIFY with Duration 0 at expiry is allowed
	publish(h, alice, h.Unique("t"), alice.IM(), "open", "after expiry")
	expectNoLiveNotify(h, watcher, "the subscription expired", peer)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.2/5", Section: "7.1.2", Level: reports.LevelMust,
	Requirement: "An UNSUBSCRIBE by another watcher does not cancel a watcher's subscription: it gets 404 and the subscribed watcher is still notified.",
	Statements:  []string{"PRIM-S7.1.2-1"},
	RFC2779:     []string{"5.1.8"},
	Decisions:   []string{"D12"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	subscribed(h, peer, watcher, alice.Pres(), h.Unique("s"), "600")
	other := h.PeerPres(h.Unique("other"))
	resp := peer.Call(peer.Request("UNSUBSCRIBE", "From", other, "To", alice.Pres()))
	Expect(resp).NotTo(HaveCode(wire.StatusOK), "the other watcher had no subscription to end")
	publish(h, alice, h.Unique("t"), alice.IM(), "open", "still watched")
	awaitNotify(h, peer, watcher)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.2/6", Section: "7.1.2", Level: reports.LevelShould,
	Requirement: "A second UNSUBSCRIBE of the same pair finds no subscription: 404 without a body.",
	Statements:  []string{"PRIM-S7.1.2-1"},
	Decisions:   []string{"D12"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	subscribed(h, peer, watcher, alice.Pres(), h.Unique("s"), "600")
	peer.Call(peer.Request("UNSUBSCRIBE", "From", watcher, "To", alice.Pres()), HaveCode(wire.StatusOK))
	peer.Call(peer.Request("UNSUBSCRIBE", "From", watcher, "To", alice.Pres()), HaveCode(wire.StatusSubscriptionNotFound), HaveNoBody())
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.2/7", Section: "7.1.2", Level: reports.LevelMust,
	Requirement: "When a local UA unsubscribes from a presentity of the peer domain, the target ends the subscription upstream: UNSUBSCRIBE, or SUBSCRIBE with Duration 0 and the subscription's Subscription-ID.",
	Statements:  []string{"PRIM-S7.1.1-5", "PRIM-S2.2.1-1"},
	RFC2779:     []string{"5.1.7", "2.4.1"},
	Decisions:   []string{"D12", "D13"},
}), func(h *H) {
	r := relaySubscribe(h, "alice")
	n := r.accept(h)
	r.on.ExpectResponse(n.ID, HaveCode(wire.StatusOK))
	r.ua.ExpectResponse(r.uaReq.ID, HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	unsub := r.ua.Request("UNSUBSCRIBE", "From", r.ua.Pres(), "To", r.presentity)
	r.ua.Send(unsub)
	got, on := inboundNext(h, nil, "UNSUBSCRIBE", "SUBSCRIBE")
	if got == nil {
		h.Failf("the target did not end the subscription at the peer domain (no UNSUBSCRIBE or SUBSCRIBE Duration 0)")
	}
	Expect(got).To(HaveHeader("To", r.presentity))
	Expect(got).To(HaveHeader("From", r.ua.Pres()))
	if got.Method == "SUBSCRIBE" {
		Expect(got).To(HaveHeader("Duration", "0"))
		Expect(got).To(HaveHeader("Subscription-ID", r.sub.Value("Subscription-ID")))
	}
	h.Saw("ended upstream with %s", got.Method)
	on.Respond(got, wire.StatusOK)
	r.ua.ExpectResponse(unsub.ID, HaveCode(wire.StatusOK))
})
