package s2s

import (
	"net"
	"regexp"
	"strings"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// SS §4 connections, services and routing; §6.1.1/§6.1.2 From and To (prim-digest §6.3-§6.6;
// Decisions D19, D20, D37, D44).

// impersonation are the answers to a request whose From lies outside the domain the peer
// authenticated for: 402 (Decision D37), or 401 (the connection is not authenticated for it,
// Decision D11).
func impersonation() []Outcome {
	return []Outcome{
		OneOf("D37: 402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("D11: 401 Unauthorized", HaveCode(wire.StatusUnauthorized)),
	}
}

// notServedHere are the answers to a request for a domain the target does not serve
// (Decision D19): 403, or 300 with a Redirect header; 501 is listed by prim-digest §6.5.
func notServedHere() []Outcome {
	return []Outcome{
		OneOf("D19: 403 Resource Not Found", HaveCode(wire.StatusResourceNotFound)),
		OneOf("D19: 300 Redirect", And(HaveCode(wire.StatusRedirect), HaveHeader("Redirect"))),
		OneOf("501 Not Implemented", HaveCode(wire.StatusNotImplemented)),
	}
}

// expectNotRelayed fails if the target sent a request of method to the peer domain on a
// connection it opened (Decision D20: a request received over S->S is never relayed on).
func expectNotRelayed(h *H, method string) {
	settle(h)
	for _, p := range h.Inbound() {
		for ev := p.NextWithin(0); ev.Msg != nil; ev = p.NextWithin(0) {
			if ev.Msg.Method == method {
				h.Failf("the target relayed the %s it received over a server-server connection: %s", method, ev)
			}
		}
	}
}

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.1/1", Section: "4.1", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE whose watcher (From) is in a domain other than the one the peer authenticated for is refused (402, or 401) and no NOTIFY follows.",
	Statements:  []string{"PRIM-S4.1-2", "PRIM-S6.1.1-2", "PRIM-A4.2-3"},
	RFC2779:     []string{"5.1.6", "5.1.12"},
	Decisions:   []string{"D37", "D11"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := "pres:eve@" + "third.example"
	resp := peer.Call(peer.Request("SUBSCRIBE", "From", watcher, "To", h.Pres(alice.User), "Duration", "600",
		"Subscription-ID", h.Unique("s"), "Date", ssDate))
	h.Accept(resp, impersonation()...)
	expectNoLiveNotify(h, watcher, "the SUBSCRIBE was refused", peer)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.1/2", Section: "4.1", Level: reports.LevelMust,
	Requirement: "A SEND whose sender (From) is in a domain other than the one the peer authenticated for is refused and not delivered.",
	Statements:  []string{"PRIM-S4.1-2", "PRIM-S6.1.1-2"},
	RFC2779:     []string{"5.4.3"},
	Decisions:   []string{"D37", "D11"},
}), func(h *H) {
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	send := peer.Request("SEND", "From", "im:eve@third.example", "To", bob.IM(), "Message-ID", h.Unique("m"),
		"Conversation-ID", h.Unique("c"), "Date", ssDate, "Content-Type", "text/plain")
	send.Body = []byte("spoofed")
	h.Accept(peer.Call(send), impersonation()...)
	bob.ExpectNothing(0)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.1/3", Section: "4.1", Level: reports.LevelMust,
	Requirement: "A peer domain cannot act for the target's own users: a SEND from the peer claiming a local user as sender is refused and not delivered.",
	Statements:  []string{"PRIM-S4.1-2", "PRIM-S6.1.1-2"},
	RFC2779:     []string{"5.4.3"},
	Decisions:   []string{"D37", "D11"},
}), func(h *H) {
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	send := peer.Request("SEND", "From", h.IM(h.Account("alice").User), "To", bob.IM(), "Message-ID", h.Unique("m"),
		"Conversation-ID", h.Unique("c"), "Date", ssDate, "Content-Type", "text/plain")
	send.Body = []byte("I am alice, honestly")
	h.Accept(peer.Call(send), impersonation()...)
	bob.ExpectNothing(0)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.1/4", Section: "4.1", Level: reports.LevelMust,
	Requirement: "A NOTIFY about a presentity of a third domain, sent by the peer, is refused and does not reach the local watcher.",
	Statements:  []string{"PRIM-S4.1-2", "PRIM-S6.1.1-2"},
	RFC2779:     []string{"5.2.4", "5.3.3"},
	Decisions:   []string{"D37", "D11"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	spoofed := "pres:bob@third.example"
	n := peer.Request("NOTIFY", "From", spoofed, "To", alice.Pres(), "Subscription-ID", h.Unique("s"), "Date", ssDate,
		"Content-Type", ctCPIMPIDF)
	n.Body = cpimPIDF(spoofed, "t1", "open", "im:bob@third.example")
	resp := peer.Call(n)
	h.Accept(resp, append(impersonation(), OneOf("D26: 403 (no such subscription)", HaveCode(wire.StatusResourceNotFound)))...)
	alice.ExpectNothing(0)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.1/5", Section: "4.1", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE for a presentity of a domain the target does not serve (the peer's own) is refused (403, 300 or 501) and never relayed onward.",
	Statements:  []string{"PRIM-S6.1.6-1", "PRIM-S4.3-1", "PRIM-S4.1-2"},
	Decisions:   []string{"D19", "D20"},
}), func(h *H) {
	peer := h.S2SLoggedIn("remote")
	resp := peer.Call(peer.Request("SUBSCRIBE", "From", h.PeerPres("watcher"), "To", h.PeerPres(h.Unique("elsewhere")),
		"Duration", "600", "Subscription-ID", h.Unique("s"), "Date", ssDate))
	h.Accept(resp, notServedHere()...)
	expectNotRelayed(h, "SUBSCRIBE")
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.1/6", Section: "4.1", Level: reports.LevelMust,
	Requirement: "A SEND for an inbox of a domain the target does not serve is refused (403, 300 or 501) and never relayed onward.",
	Statements:  []string{"PRIM-S6.1.6-1", "PRIM-S4.3-1", "PRIM-S4.1-2"},
	Decisions:   []string{"D19", "D20"},
}), func(h *H) {
	peer := h.S2SLoggedIn("remote")
	for _, to := range []string{h.PeerIM(h.Unique("loop")), "im:someone@third.example"} {
		send := peerSend(h, peer, to, []byte("route me"), "Content-Type", "text/plain")
		h.Accept(peer.Call(send), notServedHere()...)
	}
	expectNotRelayed(h, "SEND")
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.1/7", Section: "4.1", Level: reports.LevelMust,
	Requirement: "An UNSUBSCRIBE for a presentity of a domain the target does not serve is refused (403, 300 or 501) and never relayed onward.",
	Statements:  []string{"PRIM-S6.1.6-1", "PRIM-S4.3-1"},
	Decisions:   []string{"D19", "D20"},
}), func(h *H) {
	peer := h.S2SLoggedIn("remote")
	resp := peer.Call(peer.Request("UNSUBSCRIBE", "From", h.PeerPres("watcher"), "To", "pres:x@third.example"))
	h.Accept(resp, append(notServedHere(), OneOf("404 Subscription Not Found", HaveCode(wire.StatusSubscriptionNotFound)))...)
	expectNotRelayed(h, "UNSUBSCRIBE")
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.4/1", Section: "4.4", Level: reports.LevelMust,
	Requirement: "A client-only (Control) command such as PUBLISH on a server-server connection is answered 501 Not Implemented.",
	Statements:  []string{"PRIM-S4.4-3", "PRIM-A8.4-1"},
}), func(h *H) {
	peer := h.S2SLoggedIn("remote")
	pub := peer.Request("PUBLISH", "From", h.PeerPres("watcher"), "PI-Type", "permanent", "Tuple-ID", "t1",
		"Content-Type", ctCPIMPIDF)
	pub.Body = cpimPIDF(h.PeerPres("watcher"), "t1", "open", h.PeerIM("watcher"))
	peer.Call(pub, HaveCode(wire.StatusNotImplemented))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.4/2", Section: "4.4", Level: reports.LevelMust,
	Requirement: "LISTEN (a client-only IM control command) on a server-server connection is answered 501 Not Implemented.",
	Statements:  []string{"PRIM-S4.4-3", "PRIM-A8.4-1", "PRIM-S8-3"},
}), func(h *H) {
	bob := h.Account("bob")
	peer := h.S2SLoggedIn("remote")
	peer.Call(peer.Request("LISTEN", "From", h.IM(bob.User)), HaveCode(wire.StatusNotImplemented))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.4/3", Section: "4.4", Level: reports.LevelMust,
	Requirement: "GETACL (a client-only control command) on a server-server connection is answered 501 Not Implemented and reveals nothing.",
	Statements:  []string{"PRIM-S4.4-3", "PRIM-A8.4-1"},
	RFC2779:     []string{"5.1.2"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	peer.Call(peer.Request("GETACL", "From", h.Pres(alice.User)), HaveCode(wire.StatusNotImplemented), HaveNoBody())
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.4/4", Section: "4.4", Level: reports.LevelMust,
	Requirement: "FETCH, a client-profile method SS replaced by SUBSCRIBE with Duration 0, is not served on a PRIM/1.0 server-server connection (501, or 400).",
	Statements:  []string{"PRIM-S4.4-3", "PRIM-S8-3"},
	Decisions:   []string{"D1", "D8"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	resp := peer.Call(peer.Request("FETCH", "From", h.PeerPres("watcher"), "To", h.Pres(alice.User)))
	h.Accept(resp, OneOf("D8: 501 Not Implemented", HaveCode(wire.StatusNotImplemented)),
		OneOf("D8: 400 Bad Request", HaveCode(wire.StatusBadRequest)))
	Expect(resp).To(HaveNoBody())
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.4/5", Section: "4.4", Level: reports.LevelMust,
	Requirement: "After one LOGIN, a connection carries both services when the server offers them: a SUBSCRIBE and a SEND on it are served (or the one not offered is answered 501).",
	Statements:  []string{"PRIM-S4.4-1", "PRIM-S4.4-2", "PRIM-S4.4-3"},
	RFC2779:     []string{"2.1.1", "2.1.3"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	alice := h.Account("alice")
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	sub := peer.Call(peer.Request("SUBSCRIBE", "From", watcher, "To", h.Pres(alice.User), "Duration", "600",
		"Subscription-ID", h.Unique("s"), "Date", ssDate))
	h.Accept(sub, OneOf("presence served", HaveCode(wire.StatusOK, wire.StatusDurationAdjusted)),
		OneOf("presence refused by ACL (D15)", HaveCode(wire.StatusForbidden)),
		OneOf("presence not offered here", HaveCode(wire.StatusNotImplemented)))
	send := peerSend(h, peer, bob.IM(), []byte("same connection"), "Content-Type", "text/plain")
	peer.Send(send)
	if got := bob.NextWithin(h.Quiet()); got.Msg != nil && got.Msg.Method == "SEND" {
		bob.Respond(got.Msg, wire.StatusOK)
	}
	resp := peer.ExpectResponse(send.ID)
	h.Accept(resp, OneOf("IM served", HaveCode(wire.StatusOK)),
		OneOf("IM refused by ACL (D15)", HaveCode(wire.StatusForbidden)),
		OneOf("IM not offered here", HaveCode(wire.StatusNotImplemented)))
	if sub.Code == wire.StatusNotImplemented && resp.Code == wire.StatusNotImplemented {
		h.Failf("neither service is served on the server-server connection")
	}
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/6.1.1/1", Section: "6.1.1", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE whose From is an im: identifier (a presence method needs pres:) is refused (an error, or the connection is dropped).",
	Statements:  []string{"PRIM-S6.1.1-1"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	req := peer.Request("SUBSCRIBE", "From", h.PeerIM("watcher"), "To", h.Pres(alice.User), "Duration", "600",
		"Subscription-ID", h.Unique("s"), "Date", ssDate)
	peer.Send(req)
	h.Accept(responseOrEnd(peer, req.ID), rejected()...)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/6.1.1/2", Section: "6.1.1", Level: reports.LevelMust,
	Requirement: "A SEND whose From is a pres: identifier (an IM method needs im:) is refused and not delivered.",
	Statements:  []string{"PRIM-S6.1.1-1"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	send := peerSend(h, peer, bob.IM(), []byte("wrong scheme"), "Content-Type", "text/plain")
	send.Set("From", h.PeerPres("sender"))
	peer.Send(send)
	h.Accept(responseOrEnd(peer, send.ID), rejected()...)
	bob.ExpectNothing(0)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/6.1.2/1", Section: "6.1.2", Level: reports.LevelMust,
	Requirement: "A SEND whose To is a pres: identifier is refused and not delivered.",
	Statements:  []string{"PRIM-S6.1.2-1"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	send := peerSend(h, peer, bob.Pres(), []byte("wrong scheme"), "Content-Type", "text/plain")
	peer.Send(send)
	h.Accept(responseOrEnd(peer, send.ID), rejected()...)
	bob.ExpectNothing(0)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/6.1.2/2", Section: "6.1.2", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE whose To is an im: identifier is refused (an error, or the connection is dropped) and no NOTIFY follows.",
	Statements:  []string{"PRIM-S6.1.2-1"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	req := peer.Request("SUBSCRIBE", "From", watcher, "To", h.IM(alice.User), "Duration", "600",
		"Subscription-ID", h.Unique("s"), "Date", ssDate)
	peer.Send(req)
	h.Accept(responseOrEnd(peer, req.ID), rejected()...)
	expectNoLiveNotify(h, watcher, "the SUBSCRIBE named an im: presentity", peer)
})

// uaAddresses returns a matcher for the IP addresses the suite's user agents connect from:
// in the simulator the harness's endpoint network 10.0.1.0/24 (suite/harness/transport.go),
// against an external target this host's non-loopback IPv4 addresses.
func uaAddresses(h *H) func(string) bool {
	if h.Simulated() {
		re := regexp.MustCompile(`\b10\.0\.1\.\d{1,3}\b`)
		return re.MatchString
	}
	var mine []string
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() {
				mine = append(mine, ipn.IP.String())
			}
		}
	}
	return func(v string) bool {
		for _, ip := range mine {
			if strings.Contains(v, ip) {
				return true
			}
		}
		return false
	}
}

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/2.1/1", Section: "2.1", Level: reports.LevelMust,
	Requirement: "Commands the target relays for its UAs (SEND, SUBSCRIBE) carry no IP address of the UA: the peer domain learns only identifiers.",
	Statements:  []string{"PRIM-S2.1-1"},
	RFC2779:     []string{"5.4.5", "5.1.17", "5.2.5"},
}), func(h *H) {
	reveals := uaAddresses(h)
	alice := h.LoggedIn("alice", wire.VersionIM)
	send, got, on := uaSend(h, alice)
	on.Respond(got, wire.StatusOK)
	alice.ExpectResponse(send.ID, HaveCode(wire.StatusOK))
	r := relaySubscribe(h, "bob")
	for _, m := range []*wire.Message{got, r.sub} {
		for _, hd := range m.Headers {
			Expect(reveals(hd.Value)).To(BeFalse(), "%s header %s: %q reveals the UA's address", m.Method, hd.Name, hd.Value)
		}
		Expect(reveals(string(m.Body))).To(BeFalse(), "the %s body reveals the UA's address", m.Method)
	}
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/2.1/2", Section: "2.1", Level: reports.LevelMust,
	Requirement: "The NOTIFY the target sends a remote watcher after its user publishes carries no IP address of the user's UA.",
	Statements:  []string{"PRIM-S2.1-1", "PRIM-S7.1.3-1"},
	RFC2779:     []string{"5.1.18", "5.2.6"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	reveals := uaAddresses(h)
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	subscribed(h, peer, watcher, alice.Pres(), h.Unique("s"), "600")
	publish(h, alice, h.Unique("t"), alice.IM(), "open", "where am I?")
	n := awaitNotify(h, peer, watcher)
	for _, hd := range n.Headers {
		Expect(reveals(hd.Value)).To(BeFalse(), "NOTIFY header %s: %q reveals the UA's address", hd.Name, hd.Value)
	}
	Expect(reveals(string(n.Body))).To(BeFalse(), "the NOTIFY body reveals the UA's address")
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.1/8", Section: "4.1", Level: reports.LevelMust,
	Requirement: "A peer authenticated for its domain does not speak for a subdomain of it: a SUBSCRIBE from pres:x@sub.<peer domain> is refused and no NOTIFY follows.",
	Statements:  []string{"PRIM-S4.1-2", "PRIM-S6.1.1-2"},
	RFC2779:     []string{"5.1.6"},
	Decisions:   []string{"D37", "D11"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := "pres:" + h.Unique("eve") + "@sub." + h.PeerDomain()
	resp := peer.Call(peer.Request("SUBSCRIBE", "From", watcher, "To", h.Pres(alice.User), "Duration", "600",
		"Subscription-ID", h.Unique("s"), "Date", ssDate))
	h.Accept(resp, impersonation()...)
	expectNoLiveNotify(h, watcher, "the SUBSCRIBE was refused", peer)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.1/9", Section: "4.1", Level: reports.LevelMust,
	Requirement: "A NOTIFY for a watcher of a domain the target does not serve is refused (403, 300 or 501) and never relayed onward.",
	Statements:  []string{"PRIM-S4.3-1", "PRIM-S6.1.6-1"},
	Decisions:   []string{"D19", "D20"},
}), func(h *H) {
	peer := h.S2SLoggedIn("remote")
	buddy := h.PeerPres(h.Unique("buddy"))
	n := peer.Request("NOTIFY", "From", buddy, "To", h.PeerPres(h.Unique("loop")), "Subscription-ID", h.Unique("s"), "Date", ssDate,
		"Content-Type", ctCPIMPIDF)
	n.Body = cpimPIDF(buddy, "t1", "open", h.PeerIM("buddy"))
	h.Accept(peer.Call(n), notServedHere()...)
	expectNotRelayed(h, "NOTIFY")
})
