package s2s

import (
	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// SS §6.1.8 AStrength across the relay (prim-digest §7.3; Decision D42).

// strengthRank orders AStrength values from weakest to strongest; an unknown value ranks -1.
func strengthRank(v string) int {
	switch v {
	case "none":
		return 0
	case "weak":
		return 1
	case "medium":
		return 2
	case "strong":
		return 3
	}
	return -1
}

// expectNoStronger fails when m carries an AStrength stronger than limit (an absent header
// means none, PRIM-S6.1.8-3) or a value that is not one of the four.
func expectNoStronger(h *H, m *wire.Message, limit string) {
	v, ok := m.Get("AStrength")
	if !ok {
		h.Saw("no AStrength (none)")
		return
	}
	Expect(strengthRank(v)).To(BeNumerically(">=", 0), "AStrength %q is one of none, weak, medium, strong", v)
	Expect(strengthRank(v)).To(BeNumerically("<=", strengthRank(limit)),
		"the relayed AStrength %q is not stronger than the %q received (PRIM-S6.1.8-4)", v, limit)
	h.Saw("AStrength %s", v)
}

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/6.1.8/1", Section: "6.1.8", Level: reports.LevelMust,
	Requirement: "A SEND received from the peer with AStrength weak reaches the local UA with an AStrength no stronger than weak.",
	Statements:  []string{"PRIM-S6.1.8-4", "PRIM-S6.1.8-1", "PRIM-A9.1.7-4"},
	RFC2779:     []string{"5.4.3"},
	Decisions:   []string{"D42", "D17"},
}), func(h *H) {
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	send := peerSend(h, peer, bob.IM(), []byte("weakly sent"), "Content-Type", "text/plain", "AStrength", "weak")
	peer.Send(send)
	got := bob.ExpectRequest("SEND", HaveHeader("Message-ID", send.Value("Message-ID")))
	bob.Respond(got, wire.StatusOK)
	expectNoStronger(h, got, "weak")
	refusedByACL(h, peer.ExpectResponse(send.ID))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/6.1.8/2", Section: "6.1.8", Level: reports.LevelShould,
	Requirement: "A SEND received from the peer without AStrength is treated as none: it is delivered with AStrength none (or none given), or refused with 410.",
	Statements:  []string{"PRIM-S6.1.8-3", "PRIM-S6.1.8-5"},
	Decisions:   []string{"D42"},
}), func(h *H) {
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	send := peerSend(h, peer, bob.IM(), []byte("no strength given"), "Content-Type", "text/plain")
	peer.Send(send)
	ev := bob.NextWithin(h.Quiet())
	if ev.Msg != nil && ev.Msg.Method == "SEND" {
		bob.Respond(ev.Msg, wire.StatusOK)
		expectNoStronger(h, ev.Msg, "none")
		refusedByACL(h, peer.ExpectResponse(send.ID))
		return
	}
	resp := peer.ExpectResponse(send.ID)
	refusedByACL(h, resp) // as above: a 402 is the inbox ACL speaking, not the AStrength check
	h.Accept(resp, OneOf("410 Astrength Too Weak", HaveCode(wire.StatusAStrengthTooWeak)))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/6.1.8/3", Section: "6.1.8", Level: reports.LevelMust,
	Requirement: "A NOTIFY received from the peer with AStrength weak reaches the local watcher's UA with an AStrength no stronger than weak.",
	Statements:  []string{"PRIM-S6.1.8-4", "PRIM-S6.1.8-1"},
	Decisions:   []string{"D42"},
}), func(h *H) {
	r := relaySubscribe(h, "alice")
	n := r.accept(h)
	r.on.ExpectResponse(n.ID, HaveCode(wire.StatusOK))
	r.ua.ExpectResponse(r.uaReq.ID)
	n = r.on.Request("NOTIFY", "From", r.presentity, "To", r.sub.Value("From"), "Subscription-ID", r.sub.Value("Subscription-ID"),
		"Date", ssDate, "Content-Type", ctCPIMPIDF, "AStrength", "weak")
	n.Body = cpimPIDF(r.presentity, "t1", "closed", h.PeerIM("buddy"))
	r.on.Send(n)
	r.on.ExpectResponse(n.ID, HaveCode(wire.StatusOK))
	got := r.ua.ExpectRequest("NOTIFY", HaveHeader("From", r.presentity))
	r.ua.Respond(got, wire.StatusOK)
	expectNoStronger(h, got, "weak")
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/6.1.8/4", Section: "6.1.8", Level: reports.LevelMust,
	Requirement: "The AStrength the target sends with a relayed SEND or SUBSCRIBE, when present, is one of none, weak, medium, strong.",
	Statements:  []string{"PRIM-S6.1.8-1", "PRIM-S6.1.8-2"},
	Decisions:   []string{"D42"},
}), func(h *H) {
	alice := h.LoggedIn("alice", wire.VersionIM)
	send, got, on := uaSend(h, alice)
	on.Respond(got, wire.StatusOK)
	alice.ExpectResponse(send.ID, HaveCode(wire.StatusOK))
	if v, ok := got.Get("AStrength"); ok {
		Expect(strengthRank(v)).To(BeNumerically(">=", 0), "SEND AStrength %q", v)
	}
	r := relaySubscribe(h, "bob")
	if v, ok := r.sub.Get("AStrength"); ok {
		Expect(strengthRank(v)).To(BeNumerically(">=", 0), "SUBSCRIBE AStrength %q", v)
	}
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/6.1.8/5", Section: "6.1.8", Level: reports.LevelMust,
	Requirement: "A relay never rejects a response for insufficient strength: the peer's 200 to a relayed SEND, carrying AStrength none, still reaches the sender as 200.",
	Statements:  []string{"PRIM-S6.1.8-6", "PRIM-A9.1.7-6"},
	RFC2779:     []string{"4.2.1"},
	Decisions:   []string{"D42"},
}), func(h *H) {
	alice := h.LoggedIn("alice", wire.VersionIM)
	send, got, on := uaSend(h, alice)
	resp := &wire.Message{Version: got.Version, ID: got.ID, Code: wire.StatusOK, Phrase: wire.Phrase(wire.StatusOK)}
	resp.Add("From", got.Value("From"))
	resp.Add("To", got.Value("To"))
	resp.Add("AStrength", "none")
	on.Send(resp)
	alice.ExpectResponse(send.ID, HaveCode(wire.StatusOK))
})
