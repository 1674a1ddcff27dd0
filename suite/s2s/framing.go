package s2s

import (
	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// SS §5 command structure (PRIM/1.0 version handling, request ids), §6.2.1 bodies and
// Content-Type, §7.3.2-§7.3.4 STARTTLS, LOGOUT and PING, §8 response codes (prim-digest §3;
// Decisions D1, D6, D8, D18, D34, D44).

// versionOutcomes are the answers to a request in a version the target does not speak:
// 503 Version Not Supported (Decision D1), another error, or dropping the connection.
func versionOutcomes() []Outcome {
	return []Outcome{
		OneOf("D1: 503 Version Not Supported", HaveCode(wire.StatusVersionNotSupported)),
		OneOf("another error response", HaveErrorCode()),
		OneOf("connection closed", BeDisconnected()),
	}
}

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/5.1/1", Section: "5.1", Level: reports.LevelShould,
	Requirement: "Empty lines received where a start line is expected are ignored on a server-server connection.",
	Statements:  []string{"PRIM-S5.1-2"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	peer.SendString("\r\n\r\n")
	peer.Call(peer.S2SLoginInit("PLAIN"), HaveCode(wire.StatusAuthContinued, wire.StatusOK))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/5.1/2", Section: "5.1", Level: reports.LevelMust,
	Requirement: "Arbitrary binary body data from the peer domain (NUL, 0xFF, CRLF CRLF, a fake start line) is delivered intact and not parsed as commands.",
	Statements:  []string{"PRIM-S5.1-1", "PRIM-S11-3"},
	RFC2779:     []string{"4.1.5"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	body := []byte("\x00\xff\xfe\r\n\r\nPING PRIM/1.0 - 0\r\n\r\nSEND PRIM/1.0 9999 3\r\n\r\nend\x00")
	send := peerSend(h, peer, bob.IM(), body, "Content-Type", "application/octet-stream")
	peer.Send(send)
	got := bob.ExpectRequest("SEND", HaveBody(body))
	bob.Respond(got, wire.StatusOK)
	refusedByACL(h, peer.ExpectResponse(send.ID))
	bob.ExpectNothing(0)
	peer.ExpectNothing(0)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/5.1/3", Section: "5.1", Level: reports.LevelMust,
	Requirement: "A command is recognised however the byte stream is cut: a server-server LOGIN sent one octet at a time is answered normally.",
	Statements:  []string{"PRIM-S5.1-1", "PRIM-S5.2-1"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	init := peer.S2SLoginInit("PLAIN")
	for _, b := range init.Bytes() {
		peer.SendRaw([]byte{b})
	}
	peer.ExpectResponse(init.ID, HaveCode(wire.StatusAuthContinued, wire.StatusOK))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/5.1.1/1", Section: "5.1.1", Level: reports.LevelMust,
	Requirement: "Header names are case-sensitive: a SUBSCRIBE whose only subscription id is written \"subscription-id\" lacks Subscription-ID and is not accepted.",
	Statements:  []string{"PRIM-S5.1.1-1", "PRIM-S6.3.2-1"},
	Decisions:   []string{"D44", "D8"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	req := peer.Request("SUBSCRIBE", "From", h.PeerPres("watcher"), "To", h.Pres(alice.User), "Duration", "600",
		"subscription-id", h.Unique("s"), "Date", ssDate)
	peer.Send(req)
	h.Accept(responseOrEnd(peer, req.ID), rejected()...)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/5.2/1", Section: "5.2", Level: reports.LevelMust,
	Requirement: "Headers may come in any order on server-server connections: a SUBSCRIBE with its headers reversed is served like any other.",
	Statements:  []string{"PRIM-S5.2-1"},
	Decisions:   []string{"D36", "D15"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	sid := h.Unique("s")
	req := peer.Request("SUBSCRIBE", "Date", ssDate, "Subscription-ID", sid, "Duration", "600", "To", h.Pres(alice.User), "From", watcher)
	resp := peer.Call(req)
	if resp.Code == wire.StatusForbidden {
		h.NotApplicable("the target's default ACL refuses remote watchers (402; Decision D15)")
	}
	Expect(resp).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	Expect(resp).To(HaveHeader("Subscription-ID", sid))
	awaitNotify(h, peer, watcher)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/5.2.2/1", Section: "5.2.2", Level: reports.LevelMust,
	Requirement: "A request in a higher major version (PRIM/2.0) is never answered in a version the target does not implement: 503, or an answer in PRIM/1.0.",
	Statements:  []string{"PRIM-S5.2.2-2", "PRIM-S5.2.2-3"},
	Decisions:   []string{"D1", "D34"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	init := peer.S2SLoginInit("PLAIN")
	init.Version = "PRIM/2.0"
	peer.Send(init)
	ev := responseOrEnd(peer, init.ID)
	if ev.Msg != nil {
		Expect(ev.Msg).To(HaveVersion(wire.VersionServer), "the target implements PRIM/1.0 only (PRIM-S5.2.2-2)")
	}
	h.Accept(ev, append(versionOutcomes(), OneOf("answered in PRIM/1.0", HaveCode(wire.StatusAuthContinued, wire.StatusOK)))...)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/5.2.2/2", Section: "5.2.2", Level: reports.LevelMust,
	Requirement: "A request with an unknown protocol token (XPRIM/1.0) is not served: 503 Version Not Supported (or another error, or the connection is dropped).",
	Statements:  []string{"PRIM-S5.2.2-3", "PRIM-S5.2.2-2"},
	Decisions:   []string{"D1"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	init := peer.S2SLoginInit("PLAIN")
	init.Version = "XPRIM/1.0"
	peer.Send(init)
	h.Accept(responseOrEnd(peer, init.ID), versionOutcomes()...)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/5.2.2/3", Section: "5.2.2", Level: reports.LevelMust,
	Requirement: "An I2-style PRIM-PR/1.0 SUBSCRIBE on a server-server connection is refused with 503 (or 501), unless the target serves the legacy profile there, in which case it is answered in PRIM-PR/1.0.",
	Statements:  []string{"PRIM-S5.2.2-2", "PRIM-S5.2.2-3"},
	Decisions:   []string{"D1", "D34"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	req := peer.Request("SUBSCRIBE", "From", h.PeerPres("watcher"), "To", h.Pres(alice.User), "Duration", "600")
	req.Version = wire.VersionPresence
	peer.Send(req)
	ev := responseOrEnd(peer, req.ID)
	h.Accept(ev, OneOf("D1: 503 Version Not Supported", HaveCode(wire.StatusVersionNotSupported)),
		OneOf("D1 (legacy flag): 501 Not Implemented", HaveCode(wire.StatusNotImplemented)),
		OneOf("D1 (legacy profile): served in PRIM-PR/1.0", And(HaveVersion(wire.VersionPresence), HaveCode(wire.StatusOK, wire.StatusDurationAdjusted, wire.StatusForbidden))),
		OneOf("connection closed", BeDisconnected()))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/5.2.2/4", Section: "5.2.2", Level: reports.LevelMust,
	Requirement: "Responses on a server-server connection carry PRIM/1.0, the version of the request (LOGIN, SUBSCRIBE, UNSUBSCRIBE).",
	Statements:  []string{"PRIM-S5.2.2-2"},
	Decisions:   []string{"D34", "D1"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SPeer("remote")
	peer.Call(peer.S2SLoginInit("PLAIN"), HaveVersion(wire.VersionServer))
	peer = h.S2SLoggedIn("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	Expect(subscribe(h, peer, watcher, h.Pres(alice.User), h.Unique("s"), "600")).To(HaveVersion(wire.VersionServer))
	peer.Call(peer.Request("UNSUBSCRIBE", "From", watcher, "To", h.Pres(alice.User)), HaveVersion(wire.VersionServer))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/5.2.3/1", Section: "5.2.3", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE with request id \"-\" gets no response (a response's id is never \"-\").",
	Statements:  []string{"PRIM-S5.2.3-2", "PRIM-S5.3-1"},
	Decisions:   []string{"D6"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	req := peer.Request("SUBSCRIBE", "From", h.PeerPres(h.Unique("watcher")), "To", h.Pres(alice.User), "Duration", "600",
		"Subscription-ID", h.Unique("s"), "Date", ssDate)
	req.ID = wire.NoResponse
	peer.Send(req)
	for ev := peer.NextWithin(h.Quiet()); ev.Msg != nil; ev = peer.NextWithin(h.Quiet()) {
		if !ev.Msg.IsRequest() {
			h.Failf("a request with id \"-\" was answered: %s", ev)
		}
		if ev.Msg.ID != wire.NoResponse {
			peer.Respond(ev.Msg, wire.StatusOK)
		}
	}
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/5.2.3/2", Section: "5.2.3", Level: reports.LevelMust,
	Requirement: "Pipelined requests are each answered with their own request id: three SUBSCRIBE/UNSUBSCRIBE requests sent back to back get three matching responses.",
	Statements:  []string{"PRIM-S5.2.3-1"},
	Decisions:   []string{"D5"},
}), func(h *H) {
	alice, bob := h.Account("alice"), h.Account("bob")
	peer := h.S2SLoggedIn("remote")
	w := h.PeerPres(h.Unique("watcher"))
	reqs := []*wire.Message{
		peer.Request("SUBSCRIBE", "From", w, "To", h.Pres(alice.User), "Duration", "600", "Subscription-ID", h.Unique("s"), "Date", ssDate),
		peer.Request("UNSUBSCRIBE", "From", h.PeerPres(h.Unique("nobody")), "To", h.Pres(bob.User)),
		peer.Request("SUBSCRIBE", "From", w, "To", h.Pres(bob.User), "Duration", "600", "Subscription-ID", h.Unique("s"), "Date", ssDate),
	}
	var wire3 []byte
	for _, r := range reqs {
		wire3 = append(wire3, r.Bytes()...)
	}
	peer.SendRaw(wire3)
	for i, r := range reqs {
		resp := peer.ExpectResponse(r.ID)
		Expect(resp.Code).To(BeNumerically(">=", 200), "request %s (%s) gets a final response", r.ID, r.Method)
		if i == 1 {
			// The answer is the UNSUBSCRIBE's own, not one of the SUBSCRIBEs'.
			Expect(resp).To(HaveCode(wire.StatusSubscriptionNotFound, wire.StatusOK))
		}
	}
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/6.2.1/1", Section: "6.2.1", Level: reports.LevelMust,
	Requirement: "An UNSUBSCRIBE carrying a body (the method allows none) is refused (an error, or the connection is dropped).",
	Statements:  []string{"PRIM-S6.2.1-1"},
	Decisions:   []string{"D18", "D44"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	req := peer.Request("UNSUBSCRIBE", "From", h.PeerPres("watcher"), "To", h.Pres(alice.User), "Content-Type", "text/plain")
	req.Body = []byte("no body allowed")
	peer.Send(req)
	h.Accept(responseOrEnd(peer, req.ID), append([]Outcome{OneOf("400 Bad Request", HaveCode(wire.StatusBadRequest))}, rejected()...)...)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/6.2.1/2", Section: "6.2.1", Level: reports.LevelShould,
	Requirement: "A SEND carrying Content-Transfer-Encoding is rejected with 400 Bad Request and not delivered.",
	Statements:  []string{"PRIM-S6.2.1-4", "PRIM-S6.2.1-3"},
}), func(h *H) {
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	send := peerSend(h, peer, bob.IM(), []byte("aGVsbG8="), "Content-Type", "text/plain", "Content-Transfer-Encoding", "base64")
	peer.Call(send, HaveCode(wire.StatusBadRequest))
	bob.ExpectNothing(0)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/6.2.1/3", Section: "6.2.1", Level: reports.LevelMust,
	Requirement: "A NOTIFY with a body but no Content-Type, for a subscription a local UA made, is refused and nothing reaches the UA.",
	Statements:  []string{"PRIM-S6.2.1-2", "PRIM-S7.1.3-3"},
	Decisions:   []string{"D18", "D44"},
}), func(h *H) {
	r := relaySubscribe(h, "alice")
	n := r.accept(h)
	r.on.ExpectResponse(n.ID, HaveCode(wire.StatusOK))
	r.ua.ExpectResponse(r.uaReq.ID)
	bad := r.on.Request("NOTIFY", "From", r.presentity, "To", r.sub.Value("From"), "Subscription-ID", r.sub.Value("Subscription-ID"), "Date", ssDate)
	bad.Body = cpimPIDF(r.presentity, "t1", "closed", "im:x@"+h.PeerDomain())
	r.on.Send(bad)
	h.Accept(responseOrEnd(r.on, bad.ID), rejected()...)
	r.ua.ExpectNothing(0)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/6.2.1/4", Section: "6.2.1", Level: reports.LevelMust,
	Requirement: "The target's own messages with a body carry Content-Type: the CRAM-MD5 challenge in a 100 and the NOTIFY's presence document.",
	Statements:  []string{"PRIM-S6.2.1-2", "PRIM-S6.2.1-3"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SPeer("remote")
	resp := peer.Call(peer.S2SLoginInit("CRAM-MD5 PLAIN"))
	if len(resp.Body) > 0 {
		Expect(resp).To(HaveHeader("Content-Type"))
	}
	Expect(resp.Count("Content-Transfer-Encoding")).To(BeZero())
	peer = h.S2SLoggedIn("remote")
	_, n := subscribed(h, peer, h.PeerPres(h.Unique("watcher")), h.Pres(alice.User), h.Unique("s"), "600")
	Expect(n).To(HaveHeader("Content-Type"))
	Expect(n.Count("Content-Transfer-Encoding")).To(BeZero())
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.2/1", Section: "7.3.2", Level: reports.LevelMust,
	Requirement: "STARTTLS on a server-server connection is answered 200 (TLS follows) or 501 (no TLS), without a body.",
	Statements:  []string{"PRIM-S7.3.2-4", "PRIM-S7.3.1-4"},
	Decisions:   []string{"D32"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	resp := peer.Call(peer.Request("STARTTLS"), HaveNoBody())
	h.Accept(resp, OneOf("200: TLS offered", HaveCode(wire.StatusOK)), OneOf("501: no TLS", HaveCode(wire.StatusNotImplemented)))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.2/2", Section: "7.3.2", Level: reports.LevelMust,
	Requirement: "A STARTTLS request carrying a body is refused (an error, or the connection is dropped).",
	Statements:  []string{"PRIM-S7.3.2-4"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	req := peer.Request("STARTTLS", "Content-Type", "text/plain")
	req.Body = []byte("no body allowed")
	peer.Send(req)
	h.Accept(responseOrEnd(peer, req.ID), rejected()...)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.3/1", Section: "7.3.3", Level: reports.LevelMust,
	Requirement: "LOGOUT on a server-server connection gets no response (the target may close the connection).",
	Statements:  []string{"PRIM-S7.3.3-1"},
	Decisions:   []string{"D31"},
}), func(h *H) {
	peer := h.S2SLoggedIn("remote")
	req := peer.Request("LOGOUT")
	req.ID = wire.NoResponse
	peer.Send(req)
	ev := peer.NextWithin(h.Quiet())
	h.Accept(ev, OneOf("no response, connection kept", BeQuiet()), OneOf("no response, connection closed", BeDisconnected()))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.3/2", Section: "7.3.3", Level: reports.LevelMust,
	Requirement: "LOGOUT sent with a real request id still gets no response.",
	Statements:  []string{"PRIM-S7.3.3-1"},
	Decisions:   []string{"D6", "D31"},
}), func(h *H) {
	peer := h.S2SLoggedIn("remote")
	peer.Send(peer.Request("LOGOUT"))
	ev := peer.NextWithin(h.Quiet())
	h.Accept(ev, OneOf("no response, connection kept", BeQuiet()), OneOf("no response, connection closed", BeDisconnected()))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.4/1", Section: "7.3.4", Level: reports.LevelMust,
	Requirement: "PING on a server-server connection is never answered.",
	Statements:  []string{"PRIM-S7.3.4-1", "PRIM-S5.2.3-2"},
}), func(h *H) {
	peer := h.S2SLoggedIn("remote")
	ping := peer.Request("PING")
	ping.ID = wire.NoResponse
	peer.Send(ping)
	peer.ExpectNothing(0)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.4/2", Section: "7.3.4", Level: reports.LevelMust,
	Requirement: "PING sent with a real request id is still not answered, and the connection stays usable.",
	Statements:  []string{"PRIM-S7.3.4-1"},
	Decisions:   []string{"D6"},
}), func(h *H) {
	peer := h.S2SLoggedIn("remote")
	peer.Send(peer.Request("PING"))
	peer.ExpectNothing(0)
	peer.Call(peer.Request("UNSUBSCRIBE", "From", h.PeerPres(h.Unique("nobody")), "To", h.Pres(h.Account("alice").User)),
		HaveCode(wire.StatusSubscriptionNotFound, wire.StatusOK))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/8/1", Section: "8", Level: reports.LevelMust,
	Requirement: "A 401 is not final: after it, the peer logs in on the same connection and the repeated request is served.",
	Statements:  []string{"PRIM-S8-2", "PRIM-S7.3.1-5"},
	Decisions:   []string{"D11", "D15"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SPeer("remote")
	watcher := h.PeerPres(h.Unique("watcher"))
	first := peer.Call(peer.Request("SUBSCRIBE", "From", watcher, "To", h.Pres(alice.User), "Duration", "600",
		"Subscription-ID", h.Unique("s"), "Date", ssDate))
	if first.Code != wire.StatusUnauthorized {
		h.NotApplicable("the unauthenticated SUBSCRIBE was answered %d, not 401", first.Code)
	}
	resp := peer.Call(peer.S2SLoginInit("PLAIN"))
	if resp.Code == wire.StatusAuthContinued {
		resp = peer.Call(continuePlain(h, peer, h.PeerSecret()))
	}
	Expect(resp).To(HaveCode(wire.StatusOK))
	subscribed(h, peer, watcher, h.Pres(alice.User), h.Unique("s"), "600")
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/8/2", Section: "8", Level: reports.LevelMust,
	Requirement: "An unknown method on a server-server connection is answered 501 Not Implemented (or 400), and the connection stays usable.",
	Statements:  []string{"PRIM-S8-3"},
	Decisions:   []string{"D8"},
}), func(h *H) {
	peer := h.S2SLoggedIn("remote")
	resp := peer.Call(peer.Request("FROBNICATE", "From", h.PeerPres("watcher")))
	h.Accept(resp, OneOf("D8: 501 Not Implemented", HaveCode(wire.StatusNotImplemented)),
		OneOf("D8: 400 Bad Request", HaveCode(wire.StatusBadRequest)))
	peer.Call(peer.Request("UNSUBSCRIBE", "From", h.PeerPres(h.Unique("nobody")), "To", h.Pres(h.Account("alice").User)),
		HaveCode(wire.StatusSubscriptionNotFound, wire.StatusOK))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/8/3", Section: "8", Level: reports.LevelShould,
	Requirement: "When the peer answers a relayed SEND 400 Bad Request, the target does not send the same request again unmodified, and the sender gets an error.",
	Statements:  []string{"PRIM-S8-1"},
	RFC2779:     []string{"4.2.1"},
}), func(h *H) {
	alice := h.LoggedIn("alice", wire.VersionIM)
	send, got, on := uaSend(h, alice)
	on.Respond(got, wire.StatusBadRequest)
	alice.ExpectResponse(send.ID, HaveErrorCode())
	if again, _ := inboundNext(h, nil, "SEND"); again != nil && again.Value("Message-ID") == got.Value("Message-ID") &&
		string(again.Bytes()[len(again.StartLine()):]) == string(got.Bytes()[len(got.StartLine()):]) {
		h.Failf("the target repeated the SEND the peer rejected with 400, unmodified")
	}
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/8/4", Section: "8", Level: reports.LevelMust,
	Requirement: "When the peer answers a relayed request 401 Unauthorized, the target authenticates with LOGIN before it relays another request to that domain.",
	Statements:  []string{"PRIM-S8-2", "PRIM-S7.3.1-5"},
	Decisions:   []string{"D11"},
}), func(h *H) {
	alice := h.LoggedIn("alice", wire.VersionIM)
	send, got, on := uaSend(h, alice)
	on.Respond(got, wire.StatusUnauthorized)
	alice.ExpectResponse(send.ID, HaveErrorCode())
	second, got2, on2 := uaSend(h, alice)
	on2.Respond(got2, wire.StatusOK)
	alice.ExpectResponse(second.ID)
	// In the order the target sent them: a LOGIN must come after the SEND refused with 401
	// and before the next SEND.
	seen401, login := false, false
	for _, m := range inboundRequests(h, "") {
		switch {
		case m.Method == "SEND" && m.Value("Message-ID") == got.Value("Message-ID"):
			seen401 = true
		case m.Method == "LOGIN" && seen401:
			login = true
		case m.Method == "SEND" && m.Value("Message-ID") == got2.Value("Message-ID"):
			Expect(login).To(BeTrue(), "the target relayed another SEND after a 401 without logging in again")
			return
		}
	}
	h.Failf("the second SEND is not in the transcript of the target's connections")
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/8/5", Section: "8", Level: reports.LevelShould,
	Requirement: "When the peer answers a relayed SUBSCRIBE 505 Too Many Subscriptions, the target does not retry the subscription immediately, and the local watcher gets an error.",
	Statements:  []string{"PRIM-S8-5"},
	Decisions:   []string{"D35"},
}), func(h *H) {
	r := relaySubscribe(h, "alice")
	r.on.Respond(r.sub, wire.StatusTooManySubscriptions)
	r.ua.ExpectResponse(r.uaReq.ID, HaveErrorCode())
	if again, _ := inboundNext(h, nil, "SUBSCRIBE"); again != nil && again.Value("To") == r.presentity {
		h.Failf("the target retried the SUBSCRIBE refused with 505 at once: %q", again.StartLine())
	}
})
