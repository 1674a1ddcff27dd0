package s2s

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"strings"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// Server-server cases, numbered by draft-ietf-prim-server-00 (SS) sections: §4.4 services,
// §7.1 presence, §7.3 general commands, §9.2 LOGIN (prim-digest §6, §7.2; Decisions D1, D11,
// D12, D25).

func ss(m reports.CaseMeta) reports.CaseMeta {
	m.Role = "s2s"
	m.Profile = "server"
	return m
}

const ssDate = "Mon, 26 Feb 2001 09:52:08 +0900"

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.1/1", Section: "7.3.1", Level: reports.LevelMust,
	Requirement: "A presence request from a peer server that has not authenticated is refused: 401 Unauthorized (or 402 when the server's policy cannot verify the peer's domain).",
	Statements:  []string{"PRIM-S7.3.1-5"},
	Decisions:   []string{"D11", "D37"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	alice := h.Account("alice")
	resp := peer.Call(h.Request("SUBSCRIBE", "From", h.PeerPres("watcher"), "To", h.Pres(alice.User),
		"Duration", "600", "Subscription-ID", "s1", "Date", ssDate))
	h.Accept(resp,
		OneOf("401 Unauthorized", HaveCode(wire.StatusUnauthorized)),
		OneOf("D11: 402 Forbidden (peer domain not verified)", HaveCode(wire.StatusForbidden)))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/9.2/1", Section: "9.2", Level: reports.LevelMust,
	Requirement: "A peer server authenticates its domain with LOGIN (Domain header, SASL PLAIN with the shared secret) and gets 200 OK with SASL-Mech.",
	Statements:  []string{"PRIM-S9.2-1", "PRIM-S9.2-2", "PRIM-S9.2-5", "PRIM-S7.3.1-2", "PRIM-S7.3.1-6"},
	Decisions:   []string{"D10"},
}), func(h *H) {
	if h.PeerSecret() == "" {
		h.NotApplicable("no shared secret configured for the suite's peer domain")
	}
	peer := h.S2SPeer("remote")
	resp := peer.Call(peer.S2SLoginInit("PLAIN"), HaveHeader("SASL-Mech"))
	if resp.Code != wire.StatusOK {
		Expect(resp).To(HaveCode(wire.StatusAuthContinued))
		cont := h.Request("LOGIN", "Domain", h.PeerDomain(), "Auth-State", "continue", "SASL-Mech", "PLAIN", "Content-Type", "text/plain")
		cont.Body = PlainBody(h.PeerDomain(), h.PeerSecret())
		peer.Call(cont, HaveCode(wire.StatusOK), HaveHeader("SASL-Mech"))
	}
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/9.2/2", Section: "9.2", Level: reports.LevelShould,
	Requirement: "CRAM-MD5 is implemented for server-server LOGIN: the 100 carries the challenge and domain CRLF hex HMAC-MD5(secret, challenge) authenticates.",
	Statements:  []string{"PRIM-S9.2-3", "PRIM-S9.2-6", "PRIM-S9.2-7", "PRIM-S9.2-9"},
	Decisions:   []string{"D10", "D21"},
}), func(h *H) {
	if h.PeerSecret() == "" {
		h.NotApplicable("no shared secret configured for the suite's peer domain")
	}
	peer := h.S2SPeer("remote")
	// The drafts' own example separates the list with a comma (Decision D21).
	resp := peer.Call(peer.S2SLoginInit("CRAM-MD5,PLAIN"), HaveCode(wire.StatusAuthContinued), HaveBody())
	Expect(strings.Fields(strings.ReplaceAll(resp.Value("SASL-Mech"), ",", " "))).To(ContainElement("CRAM-MD5"))
	mac := hmac.New(md5.New, []byte(h.PeerSecret()))
	mac.Write(resp.Body)
	cont := h.Request("LOGIN", "Domain", h.PeerDomain(), "Auth-State", "continue", "SASL-Mech", "CRAM-MD5", "Content-Type", "text/plain")
	cont.Body = []byte(h.PeerDomain() + "\r\n" + hex.EncodeToString(mac.Sum(nil)))
	peer.Call(cont, HaveCode(wire.StatusOK))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.1/2", Section: "7.3.1", Level: reports.LevelMust,
	Requirement: "A failed server-server LOGIN is answered with an error and the connection is dropped.",
	Statements:  []string{"PRIM-S7.3.1-3", "PRIM-S7.3.1-8"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	resp := peer.Call(peer.S2SLoginInit("PLAIN"))
	if resp.Code == wire.StatusAuthContinued {
		cont := h.Request("LOGIN", "Domain", h.PeerDomain(), "Auth-State", "continue", "SASL-Mech", "PLAIN", "Content-Type", "text/plain")
		cont.Body = PlainBody(h.PeerDomain(), "wrong-"+h.PeerSecret())
		resp = peer.Call(cont)
	}
	Expect(resp).To(HaveErrorCode())
	peer.ExpectClosed()
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.4/1", Section: "4.4", Level: reports.LevelMust,
	Requirement: "A client-only (Control) command such as PUBLISH on a server-server connection is answered 501 Not Implemented.",
	Statements:  []string{"PRIM-S4.4-3", "PRIM-A8.4-1"},
}), func(h *H) {
	peer := h.S2SLoggedIn("remote")
	pub := h.Request("PUBLISH", "From", h.PeerPres("watcher"), "PI-Type", "permanent", "Tuple-ID", "t1",
		"Content-Type", "application/cpim-pidf+xml")
	pub.Body = []byte(`<presence xmlns="urn:ietf:params:cpim-presence:"><presentity id="` + h.PeerPres("watcher") + `"/></presence>`)
	peer.Call(pub, HaveCode(wire.StatusNotImplemented))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.4/1", Section: "7.3.4", Level: reports.LevelMust,
	Requirement: "PING on a server-server connection is never answered.",
	Statements:  []string{"PRIM-S7.3.4-1", "PRIM-S5.2.3-2"},
}), func(h *H) {
	peer := h.S2SLoggedIn("remote")
	ping := h.Request("PING")
	ping.ID = wire.NoResponse
	peer.Send(ping)
	peer.ExpectNothing(0)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.1/1", Section: "7.1.1", Level: reports.LevelMust,
	Requirement: "SUBSCRIBE from a remote watcher is answered 200/201 without a body, echoing the Subscription-ID.",
	Statements:  []string{"PRIM-S7.1.1-2", "PRIM-S7.1.1-9"},
	RFC2779:     []string{"2.2.1", "2.4.1"},
	Decisions:   []string{"D25", "D15"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres("watcher")
	sub := h.Request("SUBSCRIBE", "From", watcher, "To", h.Pres(alice.User), "Duration", "600",
		"Subscription-ID", "s42", "Date", ssDate, "AStrength", "weak")
	resp := peer.Call(sub)
	if resp.Code == wire.StatusForbidden {
		h.NotApplicable("the target's default ACL denies remote subscriptions (402; Decision D15)")
	}
	Expect(resp).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	Expect(resp).To(HaveNoBody())
	Expect(resp).To(HaveHeader("Subscription-ID", "s42"))
})

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
	sub := h.Request("SUBSCRIBE", "From", watcher, "To", h.Pres(alice.User), "Duration", "600",
		"Subscription-ID", sid, "Date", ssDate, "AStrength", "weak")
	resp := peer.Call(sub)
	if resp.Code == wire.StatusForbidden {
		h.NotApplicable("the target's default ACL denies remote subscriptions (402; Decision D15)")
	}
	Expect(resp).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	n, on := h.ExpectS2SRequest("NOTIFY", peer, HaveHeader("From", h.Pres(alice.User)), HaveHeader("To", watcher),
		HaveHeader("Subscription-ID", sid), HaveBody())
	Expect(n.Value("Content-Type")).To(Or(HavePrefix("application/cpim-pidf+xml"), HavePrefix("message/cpim")))
	Expect(string(n.Body)).To(ContainSubstring("urn:ietf:params:cpim-presence:"), "the body is a CPIM-PIDF document")
	on.Respond(n, wire.StatusOK)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.2.1/1", Section: "7.2.1", Level: reports.LevelMust,
	Requirement: "A SEND from a peer domain to a local inbox with a listener reaches the listening UA unchanged, and the peer gets 200 without a body.",
	Statements:  []string{"PRIM-S7.2.1-1", "PRIM-S7.2.1-2", "PRIM-S11-3"},
	RFC2779:     []string{"2.2.1", "2.4.3", "4.2.1"},
	Decisions:   []string{"D15", "D17"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	bob.Call(bob.Request("LISTEN", "From", bob.IM()), HaveCode(wire.StatusOK))
	peer := h.S2SLoggedIn("remote")
	sender := h.PeerIM(h.Unique("sender"))
	send := h.Request("SEND", "From", sender, "To", bob.IM(), "Message-ID", h.Unique("m"), "Conversation-ID", h.Unique("c"),
		"Date", ssDate, "AStrength", "medium", "Content-Type", "text/plain; charset=UTF-8")
	send.Body = []byte("hello from a peer domain")
	peer.Send(send)
	got := bob.ExpectRequest("SEND", HaveHeader("From", sender), HaveHeader("Message-ID", send.Value("Message-ID")),
		HaveHeader("Conversation-ID", send.Value("Conversation-ID")), HaveBody(send.Body))
	bob.Respond(got, wire.StatusOK)
	resp := peer.ExpectResponse(send.ID, HaveNoBody())
	if resp.Code == wire.StatusForbidden {
		h.NotApplicable("the target's default inbox ACL denies peer senders (402; Decision D15)")
	}
	Expect(resp).To(HaveCode(wire.StatusOK))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.2.1/2", Section: "7.2.1", Level: reports.LevelMust,
	Requirement: "A local user's SEND to a peer domain's inbox is relayed to that domain unchanged, with AStrength, Date and Content-Type; the peer's 200 comes back to the sender.",
	Statements:  []string{"PRIM-S11-3", "PRIM-A9.1.7-1", "PRIM-A15-5", "PRIM-S7.2.1-1"},
	RFC2779:     []string{"2.4.3", "4.2.1"},
	Decisions:   []string{"D17", "D20", "D42"},
}), func(h *H) {
	alice := h.LoggedIn("alice", wire.VersionIM)
	to := h.PeerIM(h.Unique("rcpt"))
	send := alice.Request("SEND", "From", alice.IM(), "To", to, "Message-ID", h.Unique("m"), "Conversation-ID", h.Unique("c"),
		"Content-Type", "text/plain; charset=UTF-8", "X-Primlab-End-To-End", "kept")
	send.Body = []byte("hello, remote")
	alice.Send(send)
	if !h.Simulated() && len(h.Inbound()) == 0 && h.Config().S2SListen == "" {
		h.NotApplicable("the suite cannot accept the target's server-server connections (no --s2s-listen)")
	}
	got, on := h.ExpectS2SRequest("SEND", nil,
		HaveHeader("From", alice.IM()), HaveHeader("To", to),
		HaveHeader("Message-ID", send.Value("Message-ID")), HaveHeader("Conversation-ID", send.Value("Conversation-ID")),
		HaveHeader("Content-Type", "text/plain; charset=UTF-8"), HaveHeader("X-Primlab-End-To-End", "kept"),
		HaveHeader("AStrength"), HaveHeader("Date"), HaveBody(send.Body))
	on.Respond(got, wire.StatusOK)
	alice.ExpectResponse(send.ID, HaveCode(wire.StatusOK))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.5/1", Section: "7.3.5", Level: reports.LevelMust,
	Requirement: "VERIFYSERVER for an address that is not one of the domain's servers is answered 403 without a body, on a fresh connection and without LOGIN.",
	Statements:  []string{"PRIM-S7.3.5-1", "PRIM-S7.3.5-2", "PRIM-A10.3.5-3"},
	Decisions:   []string{"D41", "D16"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	// 192.0.2.0/24 is TEST-NET-1: never one of the target's servers.
	peer.Call(h.Request("VERIFYSERVER", "Server-Address", "192.0.2.99"), HaveCode(wire.StatusResourceNotFound), HaveNoBody())
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.1.2/1", Section: "7.1.2", Level: reports.LevelShould,
	Requirement: "UNSUBSCRIBE for a (watcher, presentity) pair without a subscription is answered 404 Subscription Not Found, without a body.",
	Statements:  []string{"PRIM-S7.1.2-1"},
	Decisions:   []string{"D12"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	peer.Call(h.Request("UNSUBSCRIBE", "From", h.PeerPres(h.Unique("nobody")), "To", h.Pres(alice.User)),
		HaveCode(wire.StatusSubscriptionNotFound), HaveNoBody())
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
	sid := h.Unique("s")
	resp := peer.Call(h.Request("SUBSCRIBE", "From", watcher, "To", alice.Pres(), "Duration", "0",
		"Subscription-ID", sid, "Date", ssDate))
	if resp.Code == wire.StatusForbidden {
		h.NotApplicable("the target's default ACL denies remote watchers (402; Decision D15)")
	}
	Expect(resp).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	n, on := h.ExpectS2SRequest("NOTIFY", peer, HaveHeader("To", watcher))
	on.Respond(n, wire.StatusOK)
	pub := alice.Request("PUBLISH", "From", alice.Pres(), "PI-Type", "permanent", "Tuple-ID", h.Unique("t"),
		"Content-Type", "application/presence")
	pub.Body = []byte(`<presence identifier="` + alice.Pres() + `" date="Mon, 26 Feb 2001 09:52:08 +0900">` + "\r\n" +
		`<contact address="` + alice.IM() + `"><display-name>IM</display-name><status value="open"/></contact>` + "\r\n</presence>")
	alice.Call(pub, HaveCode(wire.StatusOK))
	// No subscription was kept: nothing more for this watcher, on any connection.
	h.Wait(h.Quiet())
	for _, p := range append([]*Peer{peer}, h.Inbound()...) {
		for ev := p.NextWithin(0); ev.Msg != nil; ev = p.NextWithin(0) {
			if ev.Msg.Method == "NOTIFY" && ev.Msg.Value("To") == watcher {
				h.Failf("a NOTIFY reached the watcher after a Duration 0 SUBSCRIBE: %s", ev)
			}
		}
	}
})
