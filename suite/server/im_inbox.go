package server

import (
	"time"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §10.2 SEND, §11.2 LISTEN and SILENCE and the §6 inbox model (prim-digest §5.1-§5.2;
// Decisions D13, D15, D31, D37, D43, D44). The first half of this file is the small IM kit
// shared by acl.go, security.go and im_format.go.
//
// Every SEND a case makes carries a Message-ID from h.Unique, so a listener recognises the
// copy it is waiting for whatever else an external target delivers. A case that needs an
// inbox to accept the sender first opens it with SETACL (openInbox): cases never depend on the
// target's default ACL (Decision D15).

// imUser opens a connection for the logical user and logs it in for the IM service.
func imUser(h *H, name string) *Peer {
	ginkgo.GinkgoHelper()
	return h.LoggedIn(name, wire.VersionIM)
}

// imSilence makes p SILENCE its own inbox: 200 without a body (PRIM-A11.2.2-1, -2).
func imSilence(h *H, p *Peer) {
	ginkgo.GinkgoHelper()
	p.Call(p.Request("SILENCE", "From", p.IM()), HaveCode(wire.StatusOK), HaveNoBody())
}

// imText is a small message body naming what the case checks.
func imText(what string) []byte { return []byte("primlab: " + what) }

// imAwait waits for the SEND carrying msgID on p and returns it unanswered. Other requests
// from the target (NOTIFYs, other SENDs) are answered 200 and skipped. Nothing before the
// deadline fails the case: the message was not delivered to that connection.
func imAwait(h *H, p *Peer, msgID string) *wire.Message {
	ginkgo.GinkgoHelper()
	if m := imNext(h, p, msgID, h.Timeout()); m != nil {
		return m
	}
	h.Failf("%s: the SEND with Message-ID %q was not delivered within %v", p.Name(), msgID, h.Timeout())
	return nil
}

// imNext waits up to d for the SEND carrying msgID on p; nil when none came. Responses that
// arrive meanwhile are dropped: use it only on a peer with no request of its own outstanding.
func imNext(h *H, p *Peer, msgID string, d time.Duration) *wire.Message {
	ginkgo.GinkgoHelper()
	for i := 0; i < 16; i++ {
		ev := p.NextWithin(d)
		switch {
		case ev.Timeout:
			return nil
		case ev.Closed:
			h.Errorf("%s: %s while waiting for the SEND with Message-ID %q", p.Name(), ev, msgID)
		case ev.Msg.IsRequest() && ev.Msg.Method == "SEND" && ev.Msg.Value("Message-ID") == msgID:
			return ev.Msg
		case ev.Msg.IsRequest() && ev.Msg.ID != wire.NoResponse:
			p.Respond(ev.Msg, wire.StatusOK)
		}
	}
	return nil
}

// imNone asserts that the SEND carrying msgID does not reach p within the quiet period.
func imNone(h *H, p *Peer, msgID, why string) {
	ginkgo.GinkgoHelper()
	if m := imNext(h, p, msgID, h.Quiet()); m != nil {
		h.Failf("%s: the SEND with Message-ID %q was delivered (%s)", p.Name(), msgID, why)
	}
}

// imRoundTrip sends req from sender, expects it on listener, answers it 200 there and expects
// 200 without a body at the sender (PRIM-A10.2.1-1, -2). It returns the delivered copy.
func imRoundTrip(h *H, sender, listener *Peer, req *wire.Message) *wire.Message {
	ginkgo.GinkgoHelper()
	sender.Send(req)
	got := imNext(h, listener, req.Value("Message-ID"), h.Timeout())
	if got == nil {
		h.Failf("%s: the SEND with Message-ID %q was not delivered within %v; the sender %s got: %s",
			listener.Name(), req.Value("Message-ID"), h.Timeout(), sender.Name(), sender.NextWithin(h.Quiet()))
	}
	listener.Respond(got, wire.StatusOK)
	sender.ExpectResponse(req.ID, HaveCode(wire.StatusOK), HaveNoBody())
	return got
}

// notDelivered is what a sender may hear when nobody listens on the inbox: 408 Inbox Is
// Closed (Decision D43), or 101 when the server keeps the IM in an offline store (I2 §18).
func notDelivered() []Outcome {
	return []Outcome{
		OneOf("D43: 408 Inbox Is Closed", HaveCode(wire.StatusInboxClosed)),
		OneOf("101 Unknown Delivery Status (kept for an offline store)", HaveCode(wire.StatusUnknownDelivery)),
	}
}

// refusedSend is what a sender the inbox's ACL refuses may hear: 402 Forbidden (I2 §10.2.1),
// or 408 Inbox Is Closed when the refusal is hidden (polite blocking, RFC 2779 §5.4.10 "failure
// or polite drop"; I2 §10.2.1 lets the refusing side conceal it with 408).
func refusedSend() []Outcome {
	return []Outcome{
		OneOf("402 Forbidden (the inbox's ACL refuses the sender)", HaveCode(wire.StatusForbidden)),
		OneOf("408 Inbox Is Closed (refusal concealed)", HaveCode(wire.StatusInboxClosed)),
	}
}

// getACLReq builds a GETACL for resource.
func getACLReq(h *H, resource string) *wire.Message {
	m := h.Request("GETACL", "From", resource)
	m.Version = serviceVersion(resource)
	return m
}

// ownerRights keeps the owner allowed everything on its inbox whether or not the target
// exempts owners from their own ACL (Decision D15 recommends it; cases must not depend on it).
func ownerRights(owner *Peer) [2]string { return [2]string{bare(owner.IM()), "send listen silence"} }

// setInboxACL replaces the owner's inbox ACL with the entries plus the owner's own rights.
func setInboxACL(h *H, owner *Peer, entries ...[2]string) {
	ginkgo.GinkgoHelper()
	putACL(h, owner, owner.IM(), aclXML(append([][2]string{ownerRights(owner)}, entries...)...))
}

// openInbox lets everybody send to the owner's inbox. A target without SETACL (501) keeps
// its default ACL, which lets senders in for basic interoperation (Decision D15); a refusal
// later shows up as 402 in the case.
func openInbox(h *H, owner *Peer) {
	ginkgo.GinkgoHelper()
	resp := owner.Call(setACLReq(h, owner.IM(), aclXML(ownerRights(owner), [2]string{".", "send"})))
	if resp.Code != wire.StatusNotImplemented {
		Expect(resp).To(HaveCode(wire.StatusOK), "setup: SETACL opening the owner's inbox")
	}
}

// listeningInbox logs the logical user in for IM, opens its inbox and listens on it.
func listeningInbox(h *H, name string) *Peer {
	ginkgo.GinkgoHelper()
	p := imUser(h, name)
	openInbox(h, p)
	imListen(h, p)
	return p
}

// secondListener opens another connection for the logical user and listens on its inbox there
// (one more listening connection of the same principal, Decision D13).
func secondListener(h *H, name string) *Peer {
	ginkgo.GinkgoHelper()
	p := imUser(h, name)
	imListen(h, p)
	return p
}

// ---- §10.2 SEND ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/1", Section: "10.2", Level: reports.LevelMust,
	Requirement: "A SEND to an inbox with a listening UA reaches that UA with From, To, Message-ID, Conversation-ID, Content-Type and body unchanged; the sender gets 200 OK without a body.",
	Statements:  []string{"PRIM-A10.2.1-1", "PRIM-A10.2.1-2", "PRIM-A6-2", "PRIM-A15-5", "PRIM-A15-6"},
	RFC2779:     []string{"2.1.1", "2.4.3", "4.1.2", "4.2.1", "5.4.8"},
	Decisions:   []string{"D17"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), []byte("hello bob, caf\u00e9 \u263a"))
	got := imRoundTrip(h, alice, bob, req)
	Expect(got).To(SatisfyAll(HaveHeader("From", alice.IM()), HaveHeader("To", bob.IM()),
		HaveHeader("Conversation-ID", req.Value("Conversation-ID")),
		HaveHeader("Content-Type", req.Value("Content-Type")), HaveBody(req.Body)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/2", Section: "10.2", Level: reports.LevelShould,
	Requirement: "The response to SEND echoes From, To, Message-ID and Conversation-ID (the SEND response headers of I2 §10.2.1).",
	Statements:  []string{"PRIM-A10.2.1-1", "PRIM-A8.2.3-1"},
	RFC2779:     []string{"4.2.1"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("echo check"))
	alice.Send(req)
	bob.Respond(imAwait(h, bob, req.Value("Message-ID")), wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK), HaveNoBody(),
		HaveHeader("From", req.Value("From")), HaveHeader("To", req.Value("To")),
		HaveHeader("Message-ID", req.Value("Message-ID")), HaveHeader("Conversation-ID", req.Value("Conversation-ID")))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/3", Section: "10.2", Level: reports.LevelMust,
	Requirement: "The SEND response is the delivery report: the server does not answer the sender before the listening UA has answered.",
	Statements:  []string{"PRIM-A10.2.1-2", "PRIM-A10.2.1-3"},
	RFC2779:     []string{"4.2.1"},
	Decisions:   []string{"D35", "D43"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("hold the answer"))
	alice.Send(req)
	got := imAwait(h, bob, req.Value("Message-ID"))
	h.Step("bob holds his answer for the quiet period")
	ev := alice.NextWithin(h.Quiet())
	Expect(ev.Timeout).To(BeTrue(), "the sender must hear nothing before the listening UA answers; got %s", ev)
	bob.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/4", Section: "10.2", Level: reports.LevelMust,
	Requirement: "When the only listening UA answers 408 Inbox Is Closed (it hides), the sender gets 408.",
	Statements:  []string{"PRIM-A10.2.1-2", "PRIM-A10.2.1-3", "PRIM-A10.2.1-1"},
	RFC2779:     []string{"4.2.1", "5.4.1"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("are you hiding?"))
	alice.Send(req)
	bob.Respond(imAwait(h, bob, req.Value("Message-ID")), wire.StatusInboxClosed)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusInboxClosed), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/5", Section: "10.2", Level: reports.LevelMust,
	Requirement: "With two listening connections, each gets one copy; if one answers 408 and the other 200, the sender gets the most positive answer, 200.",
	Statements:  []string{"PRIM-A10.2.1-2", "PRIM-A6-2"},
	RFC2779:     []string{"4.2.1"},
	Decisions:   []string{"D13", "D43"},
}), func(h *H) {
	bob1 := listeningInbox(h, "bob")
	bob2 := secondListener(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob1.IM(), imText("to both of bob's agents"))
	alice.Send(req)
	c1 := imAwait(h, bob1, req.Value("Message-ID"))
	c2 := imAwait(h, bob2, req.Value("Message-ID"))
	bob1.Respond(c1, wire.StatusInboxClosed)
	bob2.Respond(c2, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/6", Section: "10.2", Level: reports.LevelMust,
	Requirement: "With two listening connections that both answer 408, the sender gets 408 (no UA received it).",
	Statements:  []string{"PRIM-A10.2.1-2", "PRIM-A10.2.1-3"},
	RFC2779:     []string{"5.4.1"},
	Decisions:   []string{"D13", "D43"},
}), func(h *H) {
	bob1 := listeningInbox(h, "bob")
	bob2 := secondListener(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob1.IM(), imText("nobody wants it"))
	alice.Send(req)
	c1 := imAwait(h, bob1, req.Value("Message-ID"))
	c2 := imAwait(h, bob2, req.Value("Message-ID"))
	bob1.Respond(c1, wire.StatusInboxClosed)
	bob2.Respond(c2, wire.StatusInboxClosed)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusInboxClosed), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/7", Section: "10.2", Level: reports.LevelMust,
	Requirement: "With two listeners answering 101 and 408, the sender gets one of them (ranking below 200 is the server's choice), never 200.",
	Statements:  []string{"PRIM-A10.2.1-2"},
	RFC2779:     []string{"4.2.1"},
	Decisions:   []string{"D43"},
}), func(h *H) {
	bob1 := listeningInbox(h, "bob")
	bob2 := secondListener(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob1.IM(), imText("maybe delivered"))
	alice.Send(req)
	c1 := imAwait(h, bob1, req.Value("Message-ID"))
	c2 := imAwait(h, bob2, req.Value("Message-ID"))
	bob1.Respond(c1, wire.StatusUnknownDelivery)
	bob2.Respond(c2, wire.StatusInboxClosed)
	resp := alice.ExpectResponse(req.ID, HaveNoBody())
	h.Accept(resp,
		OneOf("D43: 101 ranks above 408", HaveCode(wire.StatusUnknownDelivery)),
		OneOf("408 (another ranking below 200)", HaveCode(wire.StatusInboxClosed)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/8", Section: "10.2", Level: reports.LevelMust,
	Requirement: "A SEND to an inbox that does not exist in the server's own domain fails (an error response, never 200 or 101).",
	Statements:  []string{"PRIM-A6-1", "PRIM-A10.2.1-3"},
	RFC2779:     []string{"4.2.1", "5.4.1"},
	Decisions:   []string{"D43"},
}), func(h *H) {
	alice := imUser(h, "alice")
	nobody := h.IM(h.Unique("nobody"))
	resp := alice.Call(imMsg(h, alice.IM(), nobody, imText("to nobody")), HaveNoBody())
	h.Accept(resp,
		OneOf("D43: 408 Inbox Is Closed (nobody can listen)", HaveCode(wire.StatusInboxClosed)),
		OneOf("403 Resource Not Found", HaveCode(wire.StatusResourceNotFound)),
		OneOf("another error response", HaveErrorCode()))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/9", Section: "10.2", Level: reports.LevelMust,
	Requirement: "A delivered IM reaches the listening connection exactly once.",
	Statements:  []string{"PRIM-A10.2.1-2", "PRIM-A15-5"},
	RFC2779:     []string{"5.4.2"},
	Decisions:   []string{"D13"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("only once"))
	imRoundTrip(h, alice, bob, req)
	imNone(h, bob, req.Value("Message-ID"), "a second copy of a message already delivered and acknowledged")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/10", Section: "10.2", Level: reports.LevelMust,
	Requirement: "The recipient can reply: a SEND back to the sender's inbox with the same Conversation-ID reaches the original sender with that Conversation-ID.",
	Statements:  []string{"PRIM-A9.4.2-1", "PRIM-A15-6", "PRIM-A10.2.1-2"},
	RFC2779:     []string{"5.4.4", "4.1.3"},
	Decisions:   []string{"D17"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := listeningInbox(h, "alice")
	first := imMsg(h, alice.IM(), bob.IM(), imText("ping from alice"))
	got := imRoundTrip(h, alice, bob, first)
	reply := imMsg(h, bob.IM(), got.Value("From"), imText("pong from bob"))
	reply.Set("Conversation-ID", got.Value("Conversation-ID"))
	back := imRoundTrip(h, bob, alice, reply)
	Expect(back).To(SatisfyAll(HaveHeader("From", bob.IM()), HaveHeader("Conversation-ID", first.Value("Conversation-ID"))))
})

// sendMissing checks that a SEND lacking a required header (I2 §10.2.1 request headers) is
// refused and not delivered (Decision D44).
func sendMissing(h *H, header string) {
	ginkgo.GinkgoHelper()
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("missing "+header))
	msgID := req.Value("Message-ID")
	req.Del(header)
	resp := alice.Call(req, HaveNoBody())
	h.Accept(resp,
		OneOf("D44: 400 Bad Request", HaveCode(wire.StatusBadRequest)),
		OneOf("another 4xx refusal", HaveCode(wire.StatusForbidden, wire.StatusResourceNotFound, wire.StatusInboxClosed)))
	if header != "Message-ID" {
		imNone(h, bob, msgID, "a SEND without "+header+" is malformed")
	} else {
		Expect(bob.NextWithin(h.Quiet())).To(BeQuiet(), "a SEND without Message-ID is malformed and must not be delivered")
	}
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/11", Section: "10.2", Level: reports.LevelMust,
	Requirement: "A SEND without To is refused (400 per Decision D44) and delivered nowhere.",
	Statements:  []string{"PRIM-A10.2.1-1"},
	Decisions:   []string{"D44"},
}), func(h *H) { sendMissing(h, "To") })

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/12", Section: "10.2", Level: reports.LevelMust,
	Requirement: "A SEND without Message-ID is refused (400 per Decision D44) and not delivered.",
	Statements:  []string{"PRIM-A9.4.1-1", "PRIM-A10.2.1-1"},
	Decisions:   []string{"D44", "D9"},
}), func(h *H) { sendMissing(h, "Message-ID") })

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/13", Section: "10.2", Level: reports.LevelMust,
	Requirement: "A SEND without Conversation-ID is refused (400 per Decision D44) and not delivered.",
	Statements:  []string{"PRIM-A9.4.2-1", "PRIM-A10.2.1-1"},
	Decisions:   []string{"D44"},
}), func(h *H) { sendMissing(h, "Conversation-ID") })

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/14", Section: "10.2", Level: reports.LevelMust,
	Requirement: "An IM to a user of another domain goes to that domain's server with its end-to-end headers and body unchanged, and the remote 200 comes back to the sender as 200.",
	Statements:  []string{"PRIM-A15-5", "PRIM-A15-6", "PRIM-A10.2.1-2", "PRIM-A12-1"},
	RFC2779:     []string{"2.4.3", "2.2.1", "4.2.1"},
	Decisions:   []string{"D17", "D20"},
}), func(h *H) {
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), h.PeerIM("eve"), imText("across domains"), "Date", "Mon, 26 Feb 2001 09:52:08 +0900")
	alice.Send(req)
	got, on := h.ExpectS2SRequest("SEND", nil)
	Expect(got).To(SatisfyAll(HaveHeader("From", alice.IM()), HaveHeader("To", h.PeerIM("eve")),
		HaveHeader("Message-ID", req.Value("Message-ID")), HaveHeader("Conversation-ID", req.Value("Conversation-ID")),
		HaveHeader("Date", req.Value("Date")), HaveHeader("Content-Type", req.Value("Content-Type")), HaveBody(req.Body)))
	on.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/15", Section: "10.2", Level: reports.LevelMust,
	Requirement: "When the remote domain answers a relayed SEND with 408, the sender gets 408 (the failure reason travels back).",
	Statements:  []string{"PRIM-A10.2.1-2", "PRIM-A10.2.1-3"},
	RFC2779:     []string{"4.2.1", "5.4.1", "2.4.3"},
}), func(h *H) {
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), h.PeerIM("eve"), imText("is eve there?"), "Date", "Mon, 26 Feb 2001 09:52:08 +0900")
	alice.Send(req)
	got, on := h.ExpectS2SRequest("SEND", nil)
	on.Respond(got, wire.StatusInboxClosed)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusInboxClosed), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/16", Section: "10.2", Level: reports.LevelMust,
	Requirement: "An IM from a user of another domain, received over a server-server connection, reaches the local listening UA unchanged and the UA's 200 goes back to the remote server.",
	Statements:  []string{"PRIM-A15-5", "PRIM-A15-6", "PRIM-A10.2.1-2", "PRIM-A4.2-3"},
	RFC2779:     []string{"2.4.3", "2.2.1", "4.2.1"},
	Decisions:   []string{"D17"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	remote := h.S2SLoggedIn("remote")
	req := remote.Request("SEND", "From", h.PeerIM("eve"), "To", bob.IM(), "Message-ID", h.Unique("msg"),
		"Conversation-ID", h.Unique("conv"), "Date", "Mon, 26 Feb 2001 09:52:08 +0900", "Content-Type", "text/plain; charset=UTF-8")
	req.Body = imText("hello from another domain")
	remote.Send(req)
	got := imAwait(h, bob, req.Value("Message-ID"))
	Expect(got).To(SatisfyAll(HaveHeader("From", h.PeerIM("eve")), HaveHeader("To", bob.IM()),
		HaveHeader("Conversation-ID", req.Value("Conversation-ID")), HaveHeader("Date", req.Value("Date")), HaveBody(req.Body)))
	bob.Respond(got, wire.StatusOK)
	remote.ExpectResponse(req.ID, HaveCode(wire.StatusOK), HaveNoBody())
})

// ---- §11.2.1 LISTEN (numbered from 11: 1-10 are the harness's example cases in im.go) ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.2.1/11", Section: "11.2.1", Level: reports.LevelMust,
	Requirement: "A UA receives IMs only after LISTEN: a logged-in connection that did not LISTEN gets no SEND, the listening one does.",
	Statements:  []string{"PRIM-A11.2.1-1", "PRIM-A6-1", "PRIM-A12-1"},
	RFC2779:     []string{"2.3.6"},
	Decisions:   []string{"D13"},
}), func(h *H) {
	quiet := imUser(h, "bob")
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("only for listeners"))
	imRoundTrip(h, alice, bob, req)
	imNone(h, quiet, req.Value("Message-ID"), "that connection never issued LISTEN")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.2.1/12", Section: "11.2.1", Level: reports.LevelMust,
	Requirement: "LISTEN repeated on the same connection does not duplicate delivery: the connection still gets one copy of each IM.",
	Statements:  []string{"PRIM-A11.2.1-1", "PRIM-A11.2.1-2"},
	RFC2779:     []string{"5.4.2"},
	Decisions:   []string{"D13"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	resp := bob.Call(bob.Request("LISTEN", "From", bob.IM()), HaveNoBody())
	h.Accept(resp,
		OneOf("a repeated LISTEN is a no-op 200 (prim-digest §5.1)", HaveCode(wire.StatusOK)),
		OneOf("a repeated LISTEN is refused", HaveErrorCode()))
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("one copy please"))
	imRoundTrip(h, alice, bob, req)
	imNone(h, bob, req.Value("Message-ID"), "a second LISTEN on the same connection must not duplicate delivery")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.2.1/13", Section: "11.2.1", Level: reports.LevelMust,
	Requirement: "LISTEN on an inbox that does not exist is refused (403 Resource Not Found, or 402) without a body.",
	Statements:  []string{"PRIM-A11.2.1-2", "PRIM-A4.1-2"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	alice := imUser(h, "alice")
	resp := alice.Call(alice.Request("LISTEN", "From", h.IM(h.Unique("ghost"))), HaveNoBody())
	h.Accept(resp,
		OneOf("403 Resource Not Found", HaveCode(wire.StatusResourceNotFound)),
		OneOf("D37: 402 Forbidden (not the principal's inbox)", HaveCode(wire.StatusForbidden)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.2.1/14", Section: "11.2.1", Level: reports.LevelMust,
	Requirement: "A refused LISTEN on another principal's inbox has no effect: IMs to that inbox are not delivered to the refused connection.",
	Statements:  []string{"PRIM-A4.1-2", "PRIM-A13.2.1-5", "PRIM-A11.2.1-2"},
	RFC2779:     []string{"2.3.6", "5.4.6"},
	Decisions:   []string{"D37", "D15"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{".", "send"})
	imListen(h, bob)
	carol := imUser(h, "carol")
	resp := carol.Call(carol.Request("LISTEN", "From", bob.IM()), HaveNoBody())
	h.Accept(resp,
		OneOf("402 Forbidden (no listen right)", HaveCode(wire.StatusForbidden)),
		OneOf("another error response", HaveErrorCode()))
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("for bob's eyes only"))
	imRoundTrip(h, alice, bob, req)
	imNone(h, carol, req.Value("Message-ID"), "carol's LISTEN on bob's inbox was refused")
})

// ---- §11.2.2 SILENCE (numbered from 11: 1-10 are the harness's example cases in im.go) ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.2.2/11", Section: "11.2.2", Level: reports.LevelMust,
	Requirement: "SILENCE is per connection: after one of two listening connections silences, the other still receives and the sender gets 200.",
	Statements:  []string{"PRIM-A11.2.2-1", "PRIM-A11.2.2-2", "PRIM-A6-1", "PRIM-A6-2"},
	Decisions:   []string{"D13"},
}), func(h *H) {
	bob1 := listeningInbox(h, "bob")
	bob2 := secondListener(h, "bob")
	imSilence(h, bob1)
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob1.IM(), imText("to the one still listening"))
	imRoundTrip(h, alice, bob2, req)
	imNone(h, bob1, req.Value("Message-ID"), "that connection sent SILENCE")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.2.2/12", Section: "11.2.2", Level: reports.LevelMust,
	Requirement: "A second SILENCE on the same connection is answered 408 Inbox Is Closed without a body.",
	Statements:  []string{"PRIM-A11.2.2-3", "PRIM-A11.2.2-2"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	imSilence(h, bob)
	bob.Call(bob.Request("SILENCE", "From", bob.IM()), HaveCode(wire.StatusInboxClosed), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.2.2/13", Section: "11.2.2", Level: reports.LevelMust,
	Requirement: "LISTEN after SILENCE on the same connection resumes delivery.",
	Statements:  []string{"PRIM-A11.2.2-1", "PRIM-A11.2.1-1", "PRIM-A6-1"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	imSilence(h, bob)
	imListen(h, bob)
	alice := imUser(h, "alice")
	imRoundTrip(h, alice, bob, imMsg(h, alice.IM(), bob.IM(), imText("welcome back")))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.2.2/14", Section: "11.2.2", Level: reports.LevelMust,
	Requirement: "Another principal cannot SILENCE someone's inbox: the request is refused and the owner keeps receiving.",
	Statements:  []string{"PRIM-A4.1-2", "PRIM-A11.2.2-1", "PRIM-A13.2.1-5"},
	RFC2779:     []string{"2.3.6"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	bob := imUser(h, "bob")
	setInboxACL(h, bob, [2]string{".", "send"})
	imListen(h, bob)
	carol := imUser(h, "carol")
	resp := carol.Call(carol.Request("SILENCE", "From", bob.IM()), HaveNoBody())
	h.Accept(resp,
		OneOf("D37: 402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("408 Inbox Is Closed (carol's connection was not listening)", HaveCode(wire.StatusInboxClosed)),
		OneOf("403 Resource Not Found", HaveCode(wire.StatusResourceNotFound)),
		OneOf("another error response", HaveErrorCode()))
	alice := imUser(h, "alice")
	imRoundTrip(h, alice, bob, imMsg(h, alice.IM(), bob.IM(), imText("bob still listens")))
})

// ---- §6 the inbox model ----

// sendToClosed sends an IM to inbox, which nobody listens to, and judges the answer.
func sendToClosed(h *H, sender *Peer, inbox string, listeners ...*Peer) {
	ginkgo.GinkgoHelper()
	req := imMsg(h, sender.IM(), inbox, imText("to a closed inbox"))
	resp := sender.Call(req, HaveNoBody())
	h.Accept(resp, notDelivered()...)
	for _, l := range listeners {
		imNone(h, l, req.Value("Message-ID"), "the inbox is closed to that connection")
	}
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/6/1", Section: "6", Level: reports.LevelMust,
	Requirement: "An inbox is CLOSED until a UA listens, OPEN while one does, and CLOSED again after SILENCE: SEND gets 408 (or 101), 200, then 408 (or 101).",
	Statements:  []string{"PRIM-A6-1", "PRIM-A10.2.1-3", "PRIM-A11.2.2-1"},
	RFC2779:     []string{"4.2.1", "5.4.1"},
	Decisions:   []string{"D43"},
}), func(h *H) {
	bob := imUser(h, "bob")
	openInbox(h, bob)
	alice := imUser(h, "alice")
	sendToClosed(h, alice, bob.IM(), bob)
	imListen(h, bob)
	imRoundTrip(h, alice, bob, imMsg(h, alice.IM(), bob.IM(), imText("now open")))
	imSilence(h, bob)
	sendToClosed(h, alice, bob.IM(), bob)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/6/2", Section: "6", Level: reports.LevelMust,
	Requirement: "LOGOUT ends the connection's LISTEN: the inbox is CLOSED afterwards and SEND is not answered 200.",
	Statements:  []string{"PRIM-A6-1", "PRIM-A10.2.1-3"},
	RFC2779:     []string{"5.4.1", "3.2.5"},
	Decisions:   []string{"D31", "D43"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	logout := bob.Request("LOGOUT")
	logout.Version = wire.VersionIM
	logout.ID = wire.NoResponse
	bob.Send(logout)
	bob.Close()
	alice := imUser(h, "alice")
	sendToClosed(h, alice, h.IM(bob.Account().User))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/6/3", Section: "6", Level: reports.LevelMust,
	Requirement: "Losing the TCP connection without LOGOUT ends its LISTEN: the inbox is CLOSED afterwards and SEND is not answered 200.",
	Statements:  []string{"PRIM-A6-1", "PRIM-A10.3.4-2"},
	RFC2779:     []string{"3.2.5", "5.4.1"},
	Decisions:   []string{"D31", "D43"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	bob.Abort()
	alice := imUser(h, "alice")
	sendToClosed(h, alice, h.IM(bob.Account().User))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/6/4", Section: "6", Level: reports.LevelMust,
	Requirement: "An inbox stays OPEN while any UA listens: after one of two listening connections closes, IMs reach the other with 200.",
	Statements:  []string{"PRIM-A6-1", "PRIM-A6-2"},
	RFC2779:     []string{"4.2.1"},
	Decisions:   []string{"D13", "D31"},
}), func(h *H) {
	bob1 := listeningInbox(h, "bob")
	bob2 := secondListener(h, "bob")
	bob1.Abort()
	alice := imUser(h, "alice")
	imRoundTrip(h, alice, bob2, imMsg(h, alice.IM(), bob2.IM(), imText("to the survivor")))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/6/5", Section: "6", Level: reports.LevelMust,
	Requirement: "IMs are routed by inbox: a UA listening on its own inbox does not receive IMs addressed to another inbox.",
	Statements:  []string{"PRIM-A6-1", "PRIM-A12-1", "PRIM-A4.1-2"},
	RFC2779:     []string{"5.4.6", "4.1.2"},
}), func(h *H) {
	carol := listeningInbox(h, "carol")
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("for bob, not carol"))
	imRoundTrip(h, alice, bob, req)
	imNone(h, carol, req.Value("Message-ID"), "carol listens on her own inbox, not bob's")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/6/6", Section: "6", Level: reports.LevelMust,
	Requirement: "On a connection shared by presence and IM (one LOGIN per service), the principal's inbox and presentity share its identifier: LISTEN, SEND and FETCH all work.",
	Statements:  []string{"PRIM-A4.3-2", "PRIM-A4.3-3", "PRIM-A11.2.1-1"},
	RFC2779:     []string{"2.1.3", "2.1.1"},
	Decisions:   []string{"D33"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionPresence, wire.VersionIM)
	openInbox(h, bob)
	imListen(h, bob)
	alice := h.LoggedIn("alice", wire.VersionPresence, wire.VersionIM)
	imRoundTrip(h, alice, bob, imMsg(h, alice.IM(), bob.IM(), imText("same name, two services")))
	acl := bob.Call(setACLReq(h, bob.Pres(), aclXML([2]string{bare(bob.Pres()), "fetch subscribe publish remove"}, [2]string{".", "fetch subscribe"})))
	fetch := alice.Call(alice.Request("FETCH", "From", alice.Pres(), "To", bob.Pres()))
	if acl.Code == wire.StatusNotImplemented {
		// No SETACL: the default ACL decides (Decision D15); either answer shows the presence
		// service is served on the shared connection, 401 would not.
		h.Accept(fetch, OneOf("200 OK", HaveCode(wire.StatusOK)), OneOf("D15: 402 under a deny-all default", HaveCode(wire.StatusForbidden)))
		return
	}
	Expect(acl).To(HaveCode(wire.StatusOK), "SETACL on bob's presentity over the shared connection")
	Expect(fetch).To(HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/6/7", Section: "6", Level: reports.LevelMust,
	Requirement: "A SEND over a server-server connection to a local inbox nobody listens to gets 408 (or 101) back on that connection.",
	Statements:  []string{"PRIM-A6-1", "PRIM-A10.2.1-3", "PRIM-A10.2.1-1"},
	RFC2779:     []string{"5.4.1", "4.2.1"},
	Decisions:   []string{"D43"},
}), func(h *H) {
	bob := imUser(h, "bob")
	openInbox(h, bob)
	remote := h.S2SLoggedIn("remote")
	req := remote.Request("SEND", "From", h.PeerIM("eve"), "To", bob.IM(), "Message-ID", h.Unique("msg"),
		"Conversation-ID", h.Unique("conv"), "Date", "Mon, 26 Feb 2001 09:52:08 +0900", "Content-Type", "text/plain; charset=UTF-8")
	req.Body = imText("anyone home?")
	resp := remote.Call(req, HaveNoBody())
	h.Accept(resp, notDelivered()...)
	imNone(h, bob, req.Value("Message-ID"), "bob never listened")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/17", Section: "10.2", Level: reports.LevelMust,
	Requirement: "When the only listening UA disconnects after receiving an IM but before answering, the sender is not told 200 (delivery unconfirmed: 101, or a failure).",
	Statements:  []string{"PRIM-A10.2.1-2", "PRIM-A10.2.1-1"},
	RFC2779:     []string{"4.2.1"},
	Decisions:   []string{"D43", "D35"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("read it and vanish"))
	alice.Send(req)
	imAwait(h, bob, req.Value("Message-ID"))
	bob.Abort()
	resp := alice.ExpectResponse(req.ID, HaveNoBody())
	h.Accept(resp,
		OneOf("101 Unknown Delivery Status (the UA may have shown it)", HaveCode(wire.StatusUnknownDelivery)),
		OneOf("408 Inbox Is Closed", HaveCode(wire.StatusInboxClosed)),
		OneOf("407 Timeout", HaveCode(wire.StatusTimeout)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/18", Section: "10.2", Level: reports.LevelMust, Slow: true,
	Requirement: "When the listening UA never answers, the sender eventually gets a final answer other than 200 (407 Timeout per Decision D35). Waits for the target's relay timeout (virtual in the simulator).",
	Statements:  []string{"PRIM-A10.2.1-2", "PRIM-A10.2.1-1"},
	RFC2779:     []string{"4.2.1"},
	Decisions:   []string{"D35", "D43"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("nobody will answer"))
	alice.Send(req)
	imAwait(h, bob, req.Value("Message-ID"))
	h.Step("bob never answers; wait up to 2 minutes for the target's relay timeout")
	var resp *wire.Message
	for i := 0; resp == nil; i++ {
		if i == 16 {
			h.Failf("alice: no final answer to the SEND among 16 messages from the target")
		}
		ev := alice.NextWithin(2 * time.Minute)
		if ev.Msg == nil {
			h.Errorf("alice: %s while waiting for the final answer to a SEND the listener never answered", ev)
		}
		if !ev.Msg.IsRequest() && ev.Msg.ID == req.ID {
			resp = ev.Msg
		}
	}
	Expect(resp).To(HaveNoBody())
	h.Accept(resp,
		OneOf("D35: 407 Timeout", HaveCode(wire.StatusTimeout)),
		OneOf("101 Unknown Delivery Status", HaveCode(wire.StatusUnknownDelivery)),
		OneOf("408 Inbox Is Closed", HaveCode(wire.StatusInboxClosed)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/6/8", Section: "6", Level: reports.LevelMust,
	Requirement: "PRIM IM is not store-and-forward: an IM answered 408 to a closed inbox is not delivered when a UA listens later.",
	Statements:  []string{"PRIM-A6-1", "PRIM-A10.2.1-3"},
	RFC2779:     []string{"4.2.1", "5.4.2"},
	Decisions:   []string{"D43"},
}), func(h *H) {
	bob := imUser(h, "bob")
	openInbox(h, bob)
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("told undelivered"))
	resp := alice.Call(req, HaveNoBody())
	if h.Accept(resp, notDelivered()...) != notDelivered()[0].Name {
		return // 101: kept for an offline store, whose retrieval PRIM leaves open (§5.5)
	}
	imListen(h, bob)
	imNone(h, bob, req.Value("Message-ID"), "the sender was told 408 Inbox Is Closed: not delivered")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.2.1/15", Section: "11.2.1", Level: reports.LevelShould,
	Requirement: "The LISTEN and SILENCE responses carry From naming the inbox (their response headers in I2 §11.2).",
	Statements:  []string{"PRIM-A11.2.1-2", "PRIM-A11.2.2-2"},
}), func(h *H) {
	bob := imUser(h, "bob")
	bob.Call(bob.Request("LISTEN", "From", bob.IM()), HaveCode(wire.StatusOK), HaveHeader("From", bob.IM()))
	bob.Call(bob.Request("SILENCE", "From", bob.IM()), HaveCode(wire.StatusOK), HaveHeader("From", bob.IM()))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.2.2/15", Section: "11.2.2", Level: reports.LevelMust,
	Requirement: "SILENCE on an inbox that does not exist is refused without a body (403 Resource Not Found, or 402/408).",
	Statements:  []string{"PRIM-A11.2.2-2", "PRIM-A11.2.2-3"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	alice := imUser(h, "alice")
	resp := alice.Call(alice.Request("SILENCE", "From", h.IM(h.Unique("ghost"))), HaveNoBody())
	h.Accept(resp,
		OneOf("403 Resource Not Found", HaveCode(wire.StatusResourceNotFound)),
		OneOf("D37: 402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("408 Inbox Is Closed (not listening)", HaveCode(wire.StatusInboxClosed)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2/19", Section: "10.2", Level: reports.LevelMust,
	Requirement: "Two SENDs in flight at once each get their own outcome under their own request id, even when the listener answers them in reverse order.",
	Statements:  []string{"PRIM-A8.2.3-1", "PRIM-A10.2.1-2"},
	RFC2779:     []string{"4.2.1"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	first := imMsg(h, alice.IM(), bob.IM(), imText("first, to be refused"))
	second := imMsg(h, alice.IM(), bob.IM(), imText("second, to be accepted"))
	alice.Send(first)
	alice.Send(second)
	c1 := imAwait(h, bob, first.Value("Message-ID"))
	c2 := imAwait(h, bob, second.Value("Message-ID"))
	bob.Respond(c2, wire.StatusOK)
	bob.Respond(c1, wire.StatusInboxClosed)
	alice.ExpectResponse(second.ID, HaveCode(wire.StatusOK), HaveHeader("Message-ID", second.Value("Message-ID")))
	alice.ExpectResponse(first.ID, HaveCode(wire.StatusInboxClosed))
})
