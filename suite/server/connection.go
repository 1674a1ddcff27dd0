package server

import (
	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §4 connection model, §4.2 server-server connections as seen from the client side, §4.3
// shared connections (prim-digest §2.3, §2.5; Decisions D13, D31, D33, D34).

// cxLogin runs the two-step PLAIN LOGIN for p's account on version and returns the last
// response, whatever it is: cases that judge a LOGIN (409, 501 on a second service) use it
// instead of Peer.Login, which ends the case on anything but success.
func cxLogin(h *H, p *Peer, version string) *wire.Message {
	ginkgo.GinkgoHelper()
	init := p.LoginInit(version, "PLAIN")
	resp := p.Call(init)
	if resp.Code != wire.StatusAuthContinued {
		return resp
	}
	acct := p.Account()
	return p.Call(p.LoginContinue(version, init.Value("From"), "PLAIN", PlainBody(acct.User, acct.Password)))
}

// cxShared opens one connection for the logical user and logs it in for presence and then
// IM (PRIM-A4.3-2). Shared connections are OPTIONAL (PRIM-A4.3-1): a target that refuses the
// second service's LOGIN with 501 or 503 makes the case not applicable.
func cxShared(h *H, name string, first, second string) *Peer {
	ginkgo.GinkgoHelper()
	p := h.Peer(name).WithAccount(name)
	if resp := cxLogin(h, p, first); resp.Code != wire.StatusOK {
		h.Errorf("setup: LOGIN %s as %q was answered %d %s", first, p.Account().User, resp.Code, resp.Phrase)
	}
	resp := cxLogin(h, p, second)
	switch resp.Code {
	case wire.StatusOK:
		return p
	case wire.StatusNotImplemented, wire.StatusVersionNotSupported:
		h.NotApplicable("shared connections are not offered (PRIM-A4.3-1 OPTIONAL): LOGIN %s after LOGIN %s on one connection was answered %d %s",
			second, first, resp.Code, resp.Phrase)
	}
	Expect(resp).To(HaveCode(wire.StatusOK), "LOGIN %s on a connection already logged in for %s (PRIM-A4.3-2, Decision D33)", second, first)
	return p
}

// cxOpenInbox lets everybody send to p's inbox (openInbox, Decision D15: never depend on the
// default ACL) and LISTENs on it on p's connection (imListen).
func cxOpenInbox(h *H, p *Peer) {
	ginkgo.GinkgoHelper()
	openInbox(h, p)
	imListen(h, p)
}

// cxSend is imMsg in PRIM-IM with a "primlab: " body prefix.
func cxSend(h *H, from, to, text string, extra ...string) *wire.Message {
	m := imMsg(h, from, to, []byte("primlab: "+text), extra...)
	m.Version = wire.VersionIM
	return m
}

// cxAwaitSend waits on p for the SEND carrying msgID, answering other requests from the
// target 200; nil when it does not come within the step deadline.
func cxAwaitSend(h *H, p *Peer, msgID string) *wire.Message {
	ginkgo.GinkgoHelper()
	return imNext(h, p, msgID, h.Timeout())
}

// cxInbound decodes what the target sent on the connection it opened towards the suite
// (a peer named "inbound#n"), from the transcript: the harness answers the target's LOGINs
// itself, so a case reads them here.
func cxInbound(h *H, peer string) []*wire.Message {
	dec := wire.NewDecoder(wire.DefaultLimits())
	var out []*wire.Message
	for _, e := range h.Transcript().Entries {
		if e.Peer != peer || e.Dir != DirIn {
			continue
		}
		dec.Feed(e.Data)
		for {
			m, err := dec.Next()
			if err != nil || m == nil {
				break
			}
			out = append(out, m)
		}
	}
	return out
}

// cxNeedsPeerListener makes a case that plays the peer domain towards the target's outgoing
// server-server connections not applicable when the suite has no listener for them (an
// external target without --s2s-listen).
func cxNeedsPeerListener(h *H) {
	ginkgo.GinkgoHelper()
	if !h.Simulated() && h.Config().S2SListen == "" {
		h.NotApplicable("the case plays the peer domain %q but the suite has no server-server listener (--s2s-listen)", h.PeerDomain())
	}
}

// ---- §4 connection model ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4/1", Section: "4", Level: reports.LevelMust,
	Requirement: "The server pushes its commands down the connection the UA opened: the NOTIFY for a watcher arrives on the watcher's own connection, with no connection opened towards the UA.",
	Statements:  []string{"PRIM-A4-1", "PRIM-A4.1-1"},
	RFC2779:     []string{"2.4.4"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	tag := h.Unique("push")
	publishPerm(h, alice, h.Unique("t"), tag)
	n := notifyShowing(h, bob, tag)
	Expect(n).To(HaveHeader("To", bob.Pres()))
	Expect(h.NewInbound()).To(BeEmpty(), "the target opened a connection towards the suite instead of using the UA's")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4/2", Section: "4", Level: reports.LevelMust,
	Requirement: "Connections are independent: one UA's connection being reset does not disturb another UA's connection, which goes on being answered.",
	Statements:  []string{"PRIM-A4-1"},
	RFC2779:     []string{"3.2.5"},
	Decisions:   []string{"D31"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	bob := h.LoggedIn("bob")
	bob.SendString("SUBSCRIBE PRIM-PR/1.0 77 0\r\nFrom: " + bob.Pres())
	bob.Abort()
	alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres()), HaveCode(wire.StatusOK))
	alice.ExpectNothing(0)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4/3", Section: "4", Level: reports.LevelMust,
	Requirement: "A connection refused with 401 before LOGIN stays usable: LOGIN then succeeds on it and the same request is served.",
	Statements:  []string{"PRIM-A4.1-1", "PRIM-A10.3.1-1", "PRIM-A10.3.1-7", "PRIM-A18-2"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	fetch := func() *wire.Message { return h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres()) }
	alice.Call(fetch(), HaveCode(wire.StatusUnauthorized))
	alice.Login(wire.VersionPresence)
	alice.Call(fetch(), HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4/4", Section: "4", Level: reports.LevelMust,
	Requirement: "A watcher can tell the presence it receives is controlled by the presentity: the NOTIFY names the presentity in From, and another principal cannot publish into it.",
	Statements:  []string{"PRIM-A4.1-2", "PRIM-A10.1.4-1"},
	RFC2779:     []string{"5.1.1", "5.3.3"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	carol := h.LoggedIn("carol")
	forged := h.Unique("forged")
	carol.Call(pubReq(h, alice.Pres(), "permanent", h.Unique("t"), tupleBody(alice.Pres(), forged, "open")),
		HaveCode(wire.StatusForbidden))
	real := h.Unique("real")
	publishPerm(h, alice, h.Unique("t"), real)
	n := notifyShowing(h, bob, real)
	Expect(n).To(HaveHeader("From", alice.Pres()))
	Expect(showsTag(n, forged)).To(BeFalse(), "carol's forged tuple reached alice's watcher")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4/5", Section: "4", Level: reports.LevelMust,
	Requirement: "Presence and IM are separate services: a SEND to a principal who is connected for presence only is not delivered on the presence connection (the inbox is closed).",
	Statements:  []string{"PRIM-A6-1", "PRIM-A4.3-3"},
	RFC2779:     []string{"2.1.2", "2.1.1"},
	Decisions:   []string{"D43"},
}), func(h *H) {
	bob := h.LoggedIn("bob")
	openPresence(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	req := cxSend(h, alice.IM(), h.IM("bob"), "to a presence-only principal")
	resp := alice.Call(req)
	h.Accept(resp, append(notDelivered(), refusedSend()...)...)
	Expect(nextRequest(h, bob, "SEND", h.Quiet())).To(BeNil(), "a SEND reached bob's presence-only connection")
})

// ---- §4.2 server-server connections, seen from a UA ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4.2/1", Section: "4.2", Level: reports.LevelMust,
	Requirement: "When the peer server closes the server-server connection without answering a relayed SEND, the sender is not told it was delivered: the server retries on a new connection or answers with an error.",
	Statements:  []string{"PRIM-A4.2-1", "PRIM-A4.2-2"},
	RFC2779:     []string{"4.2.1", "5.4.1"},
	Decisions:   []string{"D35"},
}), func(h *H) {
	cxNeedsPeerListener(h)
	alice := h.LoggedIn("alice", wire.VersionIM)
	req := cxSend(h, alice.IM(), h.PeerIM("eve"), "peer closes before answering", "Date", "Mon, 26 Feb 2001 09:52:08 +0900")
	alice.Send(req)
	got, on := h.ExpectS2SRequest("SEND", nil)
	Expect(got).To(HaveHeader("Message-ID", req.Value("Message-ID")))
	h.Step("the peer closes the server-server connection without answering")
	on.Close()
	// PRIM-A4.2-2: the command may be assumed unprocessed. The target either sends it
	// again on a new connection or tells alice it failed; never 200. Poll both in slices
	// so that the target's new connection gets its LOGIN answered meanwhile.
	var retried, resp *wire.Message
	for i := 0; i < 12 && retried == nil && resp == nil; i++ {
		if ev := alice.NextWithin(h.Timeout() / 4); ev.Msg != nil && !ev.Msg.IsRequest() && ev.Msg.ID == req.ID {
			resp = ev.Msg
			break
		} else if ev.Closed {
			h.Errorf("alice: %s while waiting for the SEND's fate", ev)
		}
		for _, p := range h.Inbound() {
			if p.Name() == on.Name() {
				continue
			}
			if ev := p.NextWithin(0); ev.Msg != nil && ev.Msg.Method == "SEND" && ev.Msg.Value("Message-ID") == req.Value("Message-ID") {
				retried = ev.Msg
				p.Respond(ev.Msg, wire.StatusOK)
			}
		}
	}
	switch {
	case retried != nil:
		h.Saw("the SEND was sent again on a new server-server connection")
		alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
	case resp != nil:
		h.Accept(resp,
			OneOf("D35: 407 Timeout", HaveCode(wire.StatusTimeout)),
			OneOf("101 Unknown Delivery Status", HaveCode(wire.StatusUnknownDelivery)),
			OneOf("408 Inbox Is Closed", HaveCode(wire.StatusInboxClosed)),
			OneOf("500 Internal Server Error", HaveCode(wire.StatusInternalError)))
	default:
		h.Failf("after the peer closed the connection the SEND was neither retried nor answered within %v", 3*h.Timeout())
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4.2/2", Section: "4.2", Level: reports.LevelMust,
	Requirement: "After the peer server closed an idle server-server connection, the server opens a new one when it next has a command for that domain.",
	Statements:  []string{"PRIM-A4.2-1", "PRIM-A4-1"},
	RFC2779:     []string{"2.4.3"},
}), func(h *H) {
	cxNeedsPeerListener(h)
	alice := h.LoggedIn("alice", wire.VersionIM)
	first := cxSend(h, alice.IM(), h.PeerIM("eve"), "first", "Date", "Mon, 26 Feb 2001 09:52:08 +0900")
	alice.Send(first)
	got, on := h.ExpectS2SRequest("SEND", nil)
	on.Respond(got, wire.StatusOK)
	alice.ExpectResponse(first.ID, HaveCode(wire.StatusOK))
	h.Step("the peer closes the idle server-server connection")
	on.Close()
	h.Wait(h.Quiet())
	second := cxSend(h, alice.IM(), h.PeerIM("eve"), "second", "Date", "Mon, 26 Feb 2001 09:52:09 +0900")
	alice.Send(second)
	got2, on2 := h.ExpectS2SRequest("SEND", nil, HaveHeader("Message-ID", second.Value("Message-ID")))
	Expect(on2.Name()).NotTo(Equal(on.Name()), "the SEND came on the connection the peer had closed")
	on2.Respond(got2, wire.StatusOK)
	alice.ExpectResponse(second.ID, HaveCode(wire.StatusOK))
})

// ---- §4.3 shared connections ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4.3/1", Section: "4.3", Level: reports.LevelMust,
	Requirement: "On a shared connection the UA logs in twice, presence then IM, and both services are then served on that one connection.",
	Statements:  []string{"PRIM-A4.3-1", "PRIM-A4.3-2", "PRIM-A4.3-3"},
	RFC2779:     []string{"2.1.3"},
	Decisions:   []string{"D33"},
}), func(h *H) {
	alice := cxShared(h, "alice", wire.VersionPresence, wire.VersionIM)
	alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres()), HaveCode(wire.StatusOK))
	cxOpenInbox(h, alice)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4.3/2", Section: "4.3", Level: reports.LevelMust,
	Requirement: "The two LOGINs of a shared connection may come in either order: IM first, then presence.",
	Statements:  []string{"PRIM-A4.3-2", "PRIM-A4.3-3"},
	Decisions:   []string{"D33"},
}), func(h *H) {
	alice := cxShared(h, "alice", wire.VersionIM, wire.VersionPresence)
	alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres()), HaveCode(wire.StatusOK))
	cxOpenInbox(h, alice)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4.3/3", Section: "4.3", Level: reports.LevelMust,
	Requirement: "409 is per service on a shared connection: after LOGIN for both services, a repeated LOGIN for either is answered 409 Already Authenticated.",
	Statements:  []string{"PRIM-A4.3-2", "PRIM-A10.3.1-12"},
	Decisions:   []string{"D33"},
}), func(h *H) {
	alice := cxShared(h, "alice", wire.VersionPresence, wire.VersionIM)
	for _, v := range []string{wire.VersionIM, wire.VersionPresence} {
		alice.Call(alice.LoginInit(v, "PLAIN"), HaveCode(wire.StatusAlreadyAuthenticated), HaveVersion(v))
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4.3/4", Section: "4.3", Level: reports.LevelMust,
	Requirement: "On a shared connection the server tells the services apart by version token: presence responses carry PRIM-PR, IM responses PRIM-IM, in one pipelined batch.",
	Statements:  []string{"PRIM-A4.3-3", "PRIM-A8.2.2-1"},
	Decisions:   []string{"D34"},
}), func(h *H) {
	alice := cxShared(h, "alice", wire.VersionPresence, wire.VersionIM)
	fetch := h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres())
	listen := h.Request("LISTEN", "From", alice.IM())
	listen.Version = wire.VersionIM
	getacl := h.Request("GETACL", "From", alice.IM())
	getacl.Version = wire.VersionIM
	alice.SendRaw(append(append(fetch.Bytes(), listen.Bytes()...), getacl.Bytes()...))
	alice.ExpectResponse(fetch.ID, HaveVersion(wire.VersionPresence), HaveCode(wire.StatusOK))
	alice.ExpectResponse(listen.ID, HaveVersion(wire.VersionIM), HaveCode(wire.StatusOK))
	resp := alice.ExpectResponse(getacl.ID, HaveVersion(wire.VersionIM))
	Expect(resp.Code).NotTo(Equal(wire.StatusUnauthorized), "GETACL of the inbox on the IM-authenticated shared connection")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4.3/5", Section: "4.3", Level: reports.LevelMust,
	Requirement: "On a shared connection NOTIFYs arrive with PRIM-PR and SENDs with PRIM-IM, each to the right service.",
	Statements:  []string{"PRIM-A4.3-3", "PRIM-A8.2.2-1"},
	RFC2779:     []string{"2.1.3"},
}), func(h *H) {
	bob := cxShared(h, "bob", wire.VersionPresence, wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := cxShared(h, "alice", wire.VersionPresence, wire.VersionIM)
	openPresence(h, alice)
	subscribeTo(h, bob, alice.Pres(), 600)
	tag := h.Unique("shared")
	publishPerm(h, alice, h.Unique("t"), tag)
	n := notifyShowing(h, bob, tag)
	Expect(n).To(HaveVersion(wire.VersionPresence))
	req := cxSend(h, alice.IM(), bob.IM(), "over a shared connection")
	alice.Send(req)
	got := cxAwaitSend(h, bob, req.Value("Message-ID"))
	Expect(got).NotTo(BeNil(), "the SEND was not delivered on bob's shared connection")
	Expect(got).To(HaveVersion(wire.VersionIM))
	bob.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK), HaveVersion(wire.VersionIM))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4.3/6", Section: "4.3", Level: reports.LevelMust,
	Requirement: "Authentication is per service: after LOGIN for IM only, a presence request on that connection is not served (401, or 501 where connections are not shared).",
	Statements:  []string{"PRIM-A4.3-2", "PRIM-A4.3-3", "PRIM-A10.3.1-7"},
	Decisions:   []string{"D33"},
}), func(h *H) {
	alice := h.LoggedIn("alice", wire.VersionIM)
	resp := alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres()))
	h.Accept(resp,
		OneOf("D33: 401 Unauthorized for the presence service", HaveCode(wire.StatusUnauthorized)),
		OneOf("501 Not Implemented (no shared connections, PRIM-A4.3-1)", HaveCode(wire.StatusNotImplemented)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4.3/7", Section: "4.3", Level: reports.LevelMust,
	Requirement: "A principal may use separate connections per service instead of sharing: presence on one, IM on another, both served.",
	Statements:  []string{"PRIM-A4.3-1", "PRIM-A4-1"},
	RFC2779:     []string{"2.1.1", "2.1.3"},
}), func(h *H) {
	pr := h.LoggedIn("alice", wire.VersionPresence)
	im := h.LoggedIn("alice", wire.VersionIM)
	pr.Call(h.Request("FETCH", "From", pr.Pres(), "To", pr.Pres()), HaveCode(wire.StatusOK))
	cxOpenInbox(h, im)
	bob := h.LoggedIn("bob", wire.VersionIM)
	req := cxSend(h, bob.IM(), im.IM(), "to the IM connection")
	bob.Send(req)
	got := cxAwaitSend(h, im, req.Value("Message-ID"))
	Expect(got).NotTo(BeNil(), "the SEND was not delivered on alice's IM connection")
	im.Respond(got, wire.StatusOK)
	bob.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
	Expect(nextRequest(h, pr, "SEND", h.Quiet())).To(BeNil(), "a SEND reached alice's presence-only connection")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4/9", Section: "4", Level: reports.LevelMust,
	Requirement: "A watcher receives exactly what the presentity disclosed: the tuple document alice published reaches bob's NOTIFY octet for octet, so a signature over it would still verify.",
	Statements:  []string{"PRIM-A14.1-2", "PRIM-A10.1.4-4"},
	RFC2779:     []string{"5.1.4", "5.3.1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	tag := h.Unique("exact")
	doc := tupleDoc(alice.Pres(), alice.IM(), "open", noteMark(tag)+" <!-- kept --> &amp; more")
	tid := h.Unique("t")
	alice.Call(pubReq(h, alice.Pres(), "permanent", tid, doc), HaveCode(wire.StatusOK))
	n := notifyShowing(h, bob, tag)
	es, err := presenceEntities(n)
	Expect(err).NotTo(HaveOccurred(), "the NOTIFY's presence body")
	var found bool
	for _, e := range es {
		if e.tupleID == tid {
			found = true
			Expect(string(e.doc)).To(Equal(string(doc)), "the tuple document as the watcher received it")
		}
	}
	Expect(found).To(BeTrue(), "no entity with Tuple-ID %q in the NOTIFY", tid)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4/10", Section: "4", Level: reports.LevelMust,
	Requirement: "Presence carries what a cache needs: the subscription has a lifetime (Duration) and every tuple the watcher receives is named by its Tuple-ID.",
	Statements:  []string{"PRIM-A14.2-2", "PRIM-A10.1.1-3", "PRIM-A11.1.1-11"},
	RFC2779:     []string{"3.3.1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	t1, t2 := h.Unique("t"), h.Unique("t")
	publishPerm(h, alice, t1, h.Unique("one"))
	publishPerm(h, alice, t2, h.Unique("two"))
	bob := h.LoggedIn("bob")
	resp := subscribeTo(h, bob, alice.Pres(), 600)
	Expect(resp).To(HavePositiveDuration())
	fetched := fetchView(h, bob, alice.Pres())
	es, err := presenceEntities(fetched)
	Expect(err).NotTo(HaveOccurred(), "the FETCH response's presence body")
	ids := map[string]bool{}
	for _, e := range es {
		Expect(e.hasTupleID).To(BeTrue(), "a presence entity without Tuple-ID (PRIM-A14.2-2)")
		ids[e.tupleID] = true
	}
	Expect(ids).To(HaveKey(t1))
	Expect(ids).To(HaveKey(t2))
})
