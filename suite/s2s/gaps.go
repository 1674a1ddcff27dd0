package s2s

import (
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// Coverage gaps left after the first full run: SRV discovery of a remote domain (SS §4.3),
// TCP connections (§2.1), renewal by the watcher's server (§2.2.2), and per-connection
// security (§9, §9.1).

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.3/201", Section: "4.3", Level: reports.LevelMust,
	Requirement: "A remote domain the server has no static route for is discovered through DNS SRV _prim-pr._tcp.<domain>: a local user's SUBSCRIBE to a presentity there is relayed to the host and port the SRV record names.",
	Statements:  []string{"PRIM-S4.3-2", "PRIM-S2.2.1-1"},
	Decisions:   []string{"D3"},
}), func(h *H) {
	if !h.Simulated() {
		// Against an external target the suite cannot see how the route was found (SRV,
		// static configuration or anything else), so it has no evidence either way.
		h.NotApplicable("SRV discovery is observable only in the simulator, where the suite serves the DNS records")
	}
	domains := h.Config().FarDomains
	Expect(domains).NotTo(BeEmpty(), "the simulated target's SRV-only domains (harness.Config.FarDomains)")
	ua := h.LoggedIn("alice")
	presentity := "pres:" + h.Unique("far") + "@" + domains[0]
	req := ua.Request("SUBSCRIBE", "From", ua.Pres(), "To", presentity, "Duration", "600")
	ua.Send(req)
	sub, _ := expectS2S(h, nil, "SUBSCRIBE", "To", presentity)
	Expect(sub).To(HaveHeader("From", ua.Pres()))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/4.3/202", Section: "4.3", Level: reports.LevelMust,
	Requirement: "Resolution uses the domain of each command's destination: SUBSCRIBEs to presentities of two SRV-only domains are both relayed to the host the records name, and one to a domain with no SRV record (and no allocated port, Decision D3) is not.",
	Statements:  []string{"PRIM-S4.3-2", "PRIM-S4.3-1", "PRIM-S2.2.1-1"},
	Decisions:   []string{"D3"},
}), func(h *H) {
	if !h.Simulated() {
		h.NotApplicable("SRV discovery is observable only in the simulator, where the suite serves the DNS records")
	}
	domains := h.Config().FarDomains
	if len(domains) < 2 {
		h.Failf("the simulated target has %d SRV-only domains; the case needs 2", len(domains))
	}
	ua := h.LoggedIn("alice")
	nowhere := "pres:" + h.Unique("lost") + "@no-srv.invalid"
	lost := ua.Request("SUBSCRIBE", "From", ua.Pres(), "To", nowhere, "Duration", "600")
	ua.Send(lost)
	links := map[string]bool{}
	for _, d := range domains[len(domains)-2:] {
		presentity := "pres:" + h.Unique("far") + "@" + d
		ua.Send(ua.Request("SUBSCRIBE", "From", ua.Pres(), "To", presentity, "Duration", "600"))
		_, on := expectS2S(h, nil, "SUBSCRIBE", "To", presentity)
		links[on.Name()] = true
	}
	// One connection may carry both domains (PRIM-S4.1-1, PRIM-S9.1-4): either is fine.
	h.Saw("the two SRV-only domains were reached over %d connection(s)", len(links))
	settle(h)
	for _, m := range inboundRequests(h, "SUBSCRIBE") {
		Expect(m.Value("To")).NotTo(Equal(nowhere), "a SUBSCRIBE for a domain with no SRV record reached the host of other domains' records")
	}
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/2.1/201", Section: "2.1", Level: reports.LevelMust,
	Requirement: "The protocol is connection-based over TCP: requests pipelined on one authenticated server-server connection are each answered on that same connection, with their own ids.",
	Statements:  []string{"PRIM-S2.1-2"},
	Decisions:   []string{"D12"},
}), func(h *H) {
	h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	alice := h.Pres("alice")
	a := peer.Request("SUBSCRIBE", "From", h.PeerPres(h.Unique("w")), "To", alice, "Duration", "600", "Subscription-ID", h.Unique("s"), "Date", ssDate)
	b := peer.Request("SUBSCRIBE", "From", h.PeerPres(h.Unique("w")), "To", alice, "Duration", "600", "Subscription-ID", h.Unique("s"), "Date", ssDate)
	peer.SendRaw(append(a.Bytes(), b.Bytes()...))
	for _, r := range []*wire.Message{a, b} {
		ev := responseOrEnd(peer, r.ID)
		Expect(ev.Msg).NotTo(BeNil(), "no response to %q on the connection it was sent on: %v", r.StartLine(), ev)
		if ev.Msg.Code == wire.StatusForbidden {
			h.NotApplicable("the target's default ACL refuses remote watchers (402 to SUBSCRIBE; Decision D15)")
		}
		Expect(ev.Msg).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	}
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/2.2.2/201", Section: "2.2.2", Level: reports.LevelMust, Slow: true,
	Requirement: "A subscription may be renewed by the watcher's presence server: a renewing SUBSCRIBE with the same Subscription-ID is accepted, and the subscription outlives its first period (slow).",
	Statements:  []string{"PRIM-S2.2.2-2", "PRIM-S2.2.2-1"},
	RFC2779:     []string{"3.2.4"},
	Decisions:   []string{"D12", "D30"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	sid := h.Unique("s")
	resp, _ := subscribed(h, peer, watcher, alice.Pres(), sid, "60")
	first := 60
	if v, err := strconv.Atoi(resp.Value("Duration")); err == nil && resp.Code == wire.StatusDurationAdjusted {
		first = v
	}
	if first > 600 {
		h.NotApplicable("the target granted %d s; the suite waits at most 600 s", first)
	}
	// Renew half-way through, from the watcher's server (not the UA), for longer.
	h.Wait(time.Duration(first) * time.Second / 2)
	renew := subscribe(h, peer, watcher, alice.Pres(), sid, "3600")
	Expect(renew).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted), "the renewal from the watcher's server")
	if v, err := strconv.Atoi(renew.Value("Duration")); err == nil && v <= first {
		h.NotApplicable("the target granted the renewal only %d s (no longer than the first %d s), so outliving the first period proves nothing", v, first)
	}
	notifiesTo(h, watcher, peer) // a NOTIFY after the renewal is allowed (PRIM-S7.1.1-3)
	h.Wait(time.Duration(first)*time.Second + h.Quiet())
	notifiesTo(h, watcher, peer)
	tag := h.Unique("renewed")
	publish(h, alice, h.Unique("t"), alice.IM(), "open", tag)
	for _, n := range notifiesTo(h, watcher, peer) {
		if strings.Contains(string(n.Body), tag) {
			return
		}
	}
	h.Failf("no NOTIFY of the change reached the watcher after the first period: the renewal from the watcher's server did not extend the subscription (PRIM-S2.2.2-2)")
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/9/201", Section: "9", Level: reports.LevelMust,
	Requirement: "Security is per connection: while the peer is authenticated on one connection, a second connection from it that has not logged in gets its SUBSCRIBE refused, though the same request is accepted on the authenticated one.",
	Statements:  []string{"PRIM-S9-1", "PRIM-A12.2-1"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	authed := h.S2SLoggedIn("remote")
	subscribed(h, authed, h.PeerPres(h.Unique("w")), alice.Pres(), h.Unique("s"), "600")
	bare := h.S2SPeer("remote")
	watcher := h.PeerPres(h.Unique("w"))
	req := bare.Request("SUBSCRIBE", "From", watcher, "To", alice.Pres(), "Duration", "600", "Subscription-ID", h.Unique("s"), "Date", ssDate)
	bare.Send(req)
	h.Accept(responseOrEnd(bare, req.ID), rejected()...)
	expectNoLiveNotify(h, watcher, "the SUBSCRIBE came on a connection that never logged in", authed, bare)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/9.1/201", Section: "9.1", Level: reports.LevelMust,
	Requirement: "A peer authenticated for its domain acts only for the domains established for it: a SUBSCRIBE whose watcher is in another domain, which the target cannot establish the peer serves, is not accepted.",
	Statements:  []string{"PRIM-S9.1-4", "PRIM-S9-1", "PRIM-A12.2-8"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	peer := h.S2SLoggedIn("remote")
	// A domain in the reserved .invalid TLD: no DNS record and no peer can serve it.
	watcher := "pres:" + h.Unique("w") + "@unserved.invalid"
	req := peer.Request("SUBSCRIBE", "From", watcher, "To", alice.Pres(), "Duration", "600", "Subscription-ID", h.Unique("s"), "Date", ssDate)
	peer.Send(req)
	ev := responseOrEnd(peer, req.ID)
	if ev.Msg != nil && strings.HasPrefix(strconv.Itoa(ev.Msg.Code), "2") {
		h.Failf("the target accepted %q for a watcher of %q from a peer authenticated as %q: %q", req.StartLine(), "unserved.invalid", h.PeerDomain(), ev.Msg.StartLine())
	}
	h.Accept(ev, rejected()...)
	expectNoLiveNotify(h, watcher, "the watcher's domain was never established for the peer", peer)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.2/201", Section: "7.3.2", Level: reports.LevelMust,
	Requirement: "A server that sends STARTTLS on its outgoing server-server connection sends no further request on it until the response (and TLS) completes: the suite leaves the STARTTLS unanswered and nothing else may follow it.",
	Statements:  []string{"PRIM-S7.3.2-5"},
}), func(h *H) {
	if !h.Simulated() && h.Config().S2SListen == "" {
		h.NotApplicable("the suite cannot accept the target's server-server connections (no --s2s-listen)")
	}
	ua := h.LoggedIn("alice")
	ua.Send(ua.Request("SUBSCRIBE", "From", ua.Pres(), "To", h.PeerPres(h.Unique("buddy")), "Duration", "600"))
	settle(h)
	conns := gapInboundByConn(h)
	if len(conns) == 0 {
		h.NotApplicable("the target opened no server-server connection to the suite within %v", h.Quiet())
	}
	used := false
	for name, ms := range conns {
		for i, m := range ms {
			if !m.IsRequest() || m.Method != "STARTTLS" {
				continue
			}
			used = true
			if i+1 < len(ms) {
				h.Failf("on %s the target sent %q after its unanswered STARTTLS %q (PRIM-S7.3.2-5)", name, ms[i+1].StartLine(), m.StartLine())
			}
		}
	}
	if !used {
		h.NotApplicable("the target did not send STARTTLS on its connections to the suite (TLS not used outbound)")
	}
	h.Saw("STARTTLS left unanswered and nothing followed it")
})

// gapInboundByConn decodes, per connection the target opened towards the suite, everything
// it sent (from the transcript, so LOGINs the harness answered are included), in order.
func gapInboundByConn(h *H) map[string][]*wire.Message {
	out := map[string][]*wire.Message{}
	eachInbound(h, func(peer string, m *wire.Message) { out[peer] = append(out[peer], m) })
	return out
}

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/12.2/201", Section: "12.2", Level: reports.LevelMust,
	Requirement: "Domain membership is checked by name resolution, with VERIFYSERVER when DNS is partial: a server claiming a domain whose SRV records name another host does not get its requests for that domain accepted; the target refuses it, or asks the domain's listed server with VERIFYSERVER and, told 403, refuses it.",
	Statements:  []string{"PRIM-A12.2-9", "PRIM-A12.2-8", "PRIM-S9.1-4"},
	Decisions:   []string{"D11", "D41"},
}), func(h *H) {
	if !h.Simulated() {
		// The suite cannot know whether the address it dials from is in the target's view of
		// the claimed domain's DNS records.
		h.NotApplicable("the DNS the target resolves with is under the suite's control only in the simulator")
	}
	domains := h.Config().FarDomains
	if len(domains) == 0 {
		h.Failf("the simulated target has no SRV-only domains (harness.Config.FarDomains)")
	}
	claimed := domains[len(domains)-1] // its SRV record names the suite's peer listener, not the claimant
	alice := h.Account("alice")
	peer := h.S2SPeer("claimant")
	init := peer.Request("LOGIN", "Domain", claimed, "Auth-State", "init", "SASL-Mech", "ANONYMOUS")
	peer.Send(init)
	ev := responseOrEnd(peer, init.ID)
	if ev.Msg != nil && ev.Msg.Code == wire.StatusAuthContinued {
		cont := peer.Request("LOGIN", "Domain", claimed, "Auth-State", "continue", "SASL-Mech", ev.Msg.Value("SASL-Mech"),
			"Content-Type", "text/plain")
		cont.Body = []byte("postmaster@" + claimed)
		peer.Send(cont)
		ev = responseOrEnd(peer, cont.ID)
	}
	if ev.Msg == nil || ev.Msg.Code != wire.StatusOK {
		h.Accept(ev, OneOf("the LOGIN for the unconfirmed domain failed", HaveErrorCode()), OneOf("connection closed", BeDisconnected()))
		return
	}
	h.Saw("the ANONYMOUS LOGIN was answered 200 (PRIM-A12.2-6 allows it after a DNS check)")
	watcher := "pres:" + h.Unique("eve") + "@" + claimed
	sub := peer.Request("SUBSCRIBE", "From", watcher, "To", h.Pres(alice.User), "Duration", "600", "Subscription-ID", h.Unique("s"), "Date", ssDate)
	peer.Send(sub)
	asked := false
	var resp Event
	for waited := time.Duration(0); waited < h.Timeout() && resp.Msg == nil && resp.Err == nil && !resp.Closed; waited += h.Quiet() / 4 {
		for _, p := range h.Inbound() {
			for e := p.NextWithin(0); e.Msg != nil; e = p.NextWithin(0) {
				if !e.Msg.IsRequest() || e.Msg.ID == wire.NoResponse {
					continue
				}
				if e.Msg.Method == "VERIFYSERVER" {
					asked = true
					h.Saw("VERIFYSERVER %q asked of the domain's listed server; answered 403", e.Msg.Value("Server-Address"))
					p.Respond(e.Msg, wire.StatusResourceNotFound)
					continue
				}
				p.Respond(e.Msg, wire.StatusOK)
			}
		}
		for e := peer.NextWithin(h.Quiet() / 4); e.Msg != nil || e.Closed || e.Err != nil; e = peer.NextWithin(0) {
			if e.Msg == nil || (!e.Msg.IsRequest() && e.Msg.ID == sub.ID) {
				resp = e
				break
			}
			if e.Msg.IsRequest() && e.Msg.ID != wire.NoResponse {
				peer.Respond(e.Msg, wire.StatusOK)
			}
		}
	}
	if resp.Msg == nil && resp.Err == nil && !resp.Closed {
		h.Errorf("no response to %q within %v", sub.StartLine(), h.Timeout())
	}
	if resp.Msg != nil && resp.Msg.Code >= 200 && resp.Msg.Code < 300 {
		h.Failf("the target accepted %q for %q from a server whose address is not in the domain's records (VERIFYSERVER asked: %v): %q",
			sub.StartLine(), claimed, asked, resp.Msg.StartLine())
	}
	h.Accept(resp, rejected()...)
})
