package s2s

import (
	"strings"
	"time"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// SS §7.2.1 SEND and §11 IM format, both ways: the target as the inbox's server delivering
// the peer domain's IMs, and as the sender's server relaying its UA's IMs to the peer domain
// (prim-digest §5.2, §5.6; Decisions D17, D35, D43).

// listening logs the logical user name in for IM and LISTENs on its inbox.
func listening(h *H, name string) *Peer {
	ua := h.LoggedIn(name, wire.VersionIM)
	ua.Call(ua.Request("LISTEN", "From", ua.IM()), HaveCode(wire.StatusOK))
	return ua
}

// peerSend builds a SEND from a user of the peer domain to inbox.
func peerSend(h *H, peer *Peer, inbox string, body []byte, extra ...string) *wire.Message {
	hdrs := append([]string{"From", h.PeerIM(h.Unique("sender")), "To", inbox, "Message-ID", h.Unique("m"),
		"Conversation-ID", h.Unique("c"), "Date", ssDate}, extra...)
	m := peer.Request("SEND", hdrs...)
	m.Body = body
	return m
}

// refusedByACL makes the case not applicable when the target's default inbox ACL refuses
// senders of other domains (402, Decision D15).
func refusedByACL(h *H, resp *wire.Message) {
	if resp.Code == wire.StatusForbidden {
		h.NotApplicable("the target's default inbox ACL refuses senders of the peer domain (402; Decision D15)")
	}
}

// uaSend has ua send an IM to a fresh inbox of the peer domain and waits for the target to
// relay it; it returns the UA's SEND, the relayed SEND and the connection it arrived on.
func uaSend(h *H, ua *Peer, extra ...string) (*wire.Message, *wire.Message, *Peer) {
	to := h.PeerIM(h.Unique("rcpt"))
	hdrs := append([]string{"From", ua.IM(), "To", to, "Message-ID", h.Unique("m"), "Conversation-ID", h.Unique("c"),
		"Content-Type", "text/plain; charset=UTF-8"}, extra...)
	send := ua.Request("SEND", hdrs...)
	send.Body = []byte("hello, remote")
	ua.Send(send)
	if !h.Simulated() && h.Config().S2SListen == "" {
		h.NotApplicable("the suite cannot accept the target's server-server connections (no --s2s-listen)")
	}
	got, on := expectS2S(h, nil, "SEND", "To", to)
	return send, got, on
}

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.2.1/1", Section: "7.2.1", Level: reports.LevelMust,
	Requirement: "A SEND from a peer domain to a local inbox with a listener reaches the listening UA unchanged, and the peer gets 200 without a body.",
	Statements:  []string{"PRIM-S7.2.1-1", "PRIM-S7.2.1-2", "PRIM-S11-3"},
	RFC2779:     []string{"2.2.1", "2.4.3", "4.2.1"},
	Decisions:   []string{"D15", "D17"},
}), func(h *H) {
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	send := peerSend(h, peer, bob.IM(), []byte("hello from a peer domain"), "AStrength", "medium", "Content-Type", "text/plain; charset=UTF-8")
	peer.Send(send)
	got := bob.ExpectRequest("SEND", HaveHeader("From", send.Value("From")), HaveHeader("Message-ID", send.Value("Message-ID")),
		HaveHeader("Conversation-ID", send.Value("Conversation-ID")), HaveBody(send.Body))
	bob.Respond(got, wire.StatusOK)
	resp := peer.ExpectResponse(send.ID, HaveNoBody())
	refusedByACL(h, resp)
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
	send, got, on := uaSend(h, alice, "X-Primlab-End-To-End", "kept")
	Expect(got).To(HaveHeader("From", alice.IM()))
	Expect(got).To(HaveHeader("Message-ID", send.Value("Message-ID")))
	Expect(got).To(HaveHeader("Conversation-ID", send.Value("Conversation-ID")))
	Expect(got).To(HaveHeader("Content-Type", "text/plain; charset=UTF-8"))
	Expect(got).To(HaveHeader("X-Primlab-End-To-End", "kept"))
	Expect(got).To(HaveHeader("AStrength"))
	Expect(got).To(HaveHeader("Date"))
	Expect(got).To(HaveBody(send.Body))
	on.Respond(got, wire.StatusOK)
	alice.ExpectResponse(send.ID, HaveCode(wire.StatusOK))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.2.1/3", Section: "7.2.1", Level: reports.LevelMust,
	Requirement: "A SEND from a peer domain to a local inbox nobody listens to is answered 408 Inbox Closed (or 101 when an offline store takes it), without a body.",
	Statements:  []string{"PRIM-S2.3-1", "PRIM-S7.2.1-1", "PRIM-A10.2.1-3"},
	RFC2779:     []string{"4.2.1", "5.4.1"},
	Decisions:   []string{"D43", "D15"},
}), func(h *H) {
	bob := h.Account("bob")
	peer := h.S2SLoggedIn("remote")
	resp := peer.Call(peerSend(h, peer, h.IM(bob.User), []byte("anyone there?"), "Content-Type", "text/plain"), HaveNoBody())
	refusedByACL(h, resp)
	// PRIM IM is not store-and-forward (prim-digest §5.5): 408, or 101 when an offline store
	// took it.
	h.Accept(resp, OneOf("408 Inbox Closed", HaveCode(wire.StatusInboxClosed)),
		OneOf("101: taken by an offline message store", HaveCode(wire.StatusUnknownDelivery)))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.2.1/4", Section: "7.2.1", Level: reports.LevelMust,
	Requirement: "A SEND from a peer domain to an inbox that does not exist in the target's domain fails with an error response without a body.",
	Statements:  []string{"PRIM-S7.2.1-1"},
	RFC2779:     []string{"4.2.1", "5.4.1"},
	Decisions:   []string{"D43"},
}), func(h *H) {
	peer := h.S2SLoggedIn("remote")
	resp := peer.Call(peerSend(h, peer, h.IM(h.Unique("nosuchuser")), []byte("hello?"), "Content-Type", "text/plain"), HaveNoBody())
	h.Accept(resp, OneOf("403 Resource Not Found", HaveCode(wire.StatusResourceNotFound)),
		OneOf("408 Inbox Closed", HaveCode(wire.StatusInboxClosed)),
		OneOf("another error response", HaveErrorCode()))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.2.1/5", Section: "7.2.1", Level: reports.LevelMust,
	Requirement: "With two listening connections, one answering 408 and one 200, the peer gets the most positive answer: 200.",
	Statements:  []string{"PRIM-S7.2.1-2", "PRIM-S2.3-1"},
	RFC2779:     []string{"4.2.1"},
	Decisions:   []string{"D43", "D13"},
}), func(h *H) {
	bob1 := listening(h, "bob")
	bob2 := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	send := peerSend(h, peer, bob1.IM(), []byte("to both"), "Content-Type", "text/plain")
	peer.Send(send)
	bob1.Respond(bob1.ExpectRequest("SEND", HaveHeader("Message-ID", send.Value("Message-ID"))), wire.StatusInboxClosed)
	bob2.Respond(bob2.ExpectRequest("SEND", HaveHeader("Message-ID", send.Value("Message-ID"))), wire.StatusOK)
	resp := peer.ExpectResponse(send.ID, HaveNoBody())
	refusedByACL(h, resp)
	Expect(resp).To(HaveCode(wire.StatusOK))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.2.1/6", Section: "7.2.1", Level: reports.LevelMust,
	Requirement: "When the only listening UA refuses an IM (402), the peer gets that refusal, not a success.",
	Statements:  []string{"PRIM-S7.2.1-2", "PRIM-A10.2.1-2"},
	RFC2779:     []string{"4.2.1", "5.4.1"},
	Decisions:   []string{"D43"},
}), func(h *H) {
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	send := peerSend(h, peer, bob.IM(), []byte("refuse me"), "Content-Type", "text/plain")
	peer.Send(send)
	bob.Respond(bob.ExpectRequest("SEND", HaveHeader("Message-ID", send.Value("Message-ID"))), wire.StatusForbidden)
	peer.ExpectResponse(send.ID, HaveCode(wire.StatusForbidden), HaveNoBody())
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.2.1/7", Section: "7.2.1", Level: reports.LevelMust,
	Requirement: "A SEND from the peer domain is delivered with every end-to-end header unchanged: From, To, Message-ID, Conversation-ID, Reply-To, Date, Content-Type and an unknown header.",
	Statements:  []string{"PRIM-S11-3", "PRIM-A15-6"},
	RFC2779:     []string{"4.1.2", "4.1.3"},
	Decisions:   []string{"D17", "D8"},
}), func(h *H) {
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	send := peerSend(h, peer, bob.IM(), []byte("headers intact"), "Reply-To", h.PeerIM("secretary"),
		"Content-Type", "text/plain; charset=UTF-8", "X-Primlab-Trace", "e2e-1")
	peer.Send(send)
	got := bob.ExpectRequest("SEND", HaveHeader("Message-ID", send.Value("Message-ID")))
	bob.Respond(got, wire.StatusOK)
	for _, name := range []string{"From", "To", "Conversation-ID", "Reply-To", "Date", "Content-Type", "X-Primlab-Trace"} {
		Expect(got).To(HaveHeader(name, send.Value(name)), "header %s is forwarded unchanged", name)
	}
	Expect(got).To(HaveBody(send.Body))
	refusedByACL(h, peer.ExpectResponse(send.ID))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.2.1/8", Section: "7.2.1", Level: reports.LevelMust,
	Requirement: "When the peer domain answers a relayed SEND 408 Inbox Closed, the local sender gets 408: the delivery outcome crosses the relay.",
	Statements:  []string{"PRIM-S7.2.1-1", "PRIM-A10.2.1-3"},
	RFC2779:     []string{"4.2.1", "5.4.1", "2.4.3"},
	Decisions:   []string{"D35"},
}), func(h *H) {
	alice := h.LoggedIn("alice", wire.VersionIM)
	send, got, on := uaSend(h, alice)
	on.Respond(got, wire.StatusInboxClosed)
	alice.ExpectResponse(send.ID, HaveCode(wire.StatusInboxClosed))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.2.1/9", Section: "7.2.1", Level: reports.LevelMust,
	Requirement: "When the peer domain answers a relayed SEND 101 Unknown Delivery Status, the local sender gets 101 (delivery indeterminate).",
	Statements:  []string{"PRIM-S7.2.1-1"},
	RFC2779:     []string{"4.2.1"},
	Decisions:   []string{"D35"},
}), func(h *H) {
	alice := h.LoggedIn("alice", wire.VersionIM)
	send, got, on := uaSend(h, alice)
	on.Respond(got, wire.StatusUnknownDelivery)
	alice.ExpectResponse(send.ID, HaveCode(wire.StatusUnknownDelivery))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.2.1/10", Section: "7.2.1", Level: reports.LevelMust,
	Requirement: "The SEND the target relays to the peer domain is a PRIM/1.0 request whose From and To are im: identifiers.",
	Statements:  []string{"PRIM-S6.1.1-1", "PRIM-S6.1.2-1", "PRIM-S5.2.2-2"},
	Decisions:   []string{"D1"},
}), func(h *H) {
	alice := h.LoggedIn("alice", wire.VersionIM)
	send, got, on := uaSend(h, alice)
	on.Respond(got, wire.StatusOK)
	Expect(got).To(HaveVersion(wire.VersionServer))
	Expect(got.Value("From")).To(HavePrefix("im:"))
	Expect(got.Value("To")).To(HavePrefix("im:"))
	alice.ExpectResponse(send.ID, HaveCode(wire.StatusOK))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.2.1/11", Section: "7.2.1", Level: reports.LevelMust,
	Requirement: "A local user can reply to an IM from the peer domain: the reply, with the same Conversation-ID, is relayed to the original sender.",
	Statements:  []string{"PRIM-S11-3"},
	RFC2779:     []string{"5.4.4", "4.1.3", "2.4.3"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	send := peerSend(h, peer, bob.IM(), []byte("ping?"), "Content-Type", "text/plain")
	peer.Send(send)
	got := bob.ExpectRequest("SEND", HaveHeader("Message-ID", send.Value("Message-ID")))
	bob.Respond(got, wire.StatusOK)
	refusedByACL(h, peer.ExpectResponse(send.ID))
	reply := bob.Request("SEND", "From", bob.IM(), "To", got.Value("From"), "Message-ID", h.Unique("m"),
		"Conversation-ID", got.Value("Conversation-ID"), "Content-Type", "text/plain")
	reply.Body = []byte("pong")
	bob.Send(reply)
	in, on := expectS2S(h, peer, "SEND", "To", send.Value("From"))
	Expect(in).To(HaveHeader("Conversation-ID", send.Value("Conversation-ID")))
	Expect(in).To(HaveBody(reply.Body))
	on.Respond(in, wire.StatusOK)
	bob.ExpectResponse(reply.ID, HaveCode(wire.StatusOK))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/11/1", Section: "11", Level: reports.LevelMust,
	Requirement: "A message/cpim IM from the peer domain is delivered with its body octet for octet and its Content-Type unchanged.",
	Statements:  []string{"PRIM-S11-3"},
	RFC2779:     []string{"4.1.1", "4.1.2"},
	Decisions:   []string{"D17"},
}), func(h *H) {
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	from := h.PeerIM(h.Unique("sender"))
	body := []byte("Content-Type: message/cpim\r\n\r\nFrom: <" + from + ">\r\nTo: <" + bob.IM() + ">\r\nDateTime: 2001-02-26T09:52:08+09:00\r\n\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\n\r\nhello in CPIM\r\n")
	send := peer.Request("SEND", "From", from, "To", bob.IM(), "Message-ID", h.Unique("m"), "Conversation-ID", h.Unique("c"),
		"Date", ssDate, "Content-Type", "message/cpim")
	send.Body = body
	peer.Send(send)
	got := bob.ExpectRequest("SEND", HaveHeader("Message-ID", send.Value("Message-ID")), HaveHeader("Content-Type", "message/cpim"), HaveBody(body))
	bob.Respond(got, wire.StatusOK)
	refusedByACL(h, peer.ExpectResponse(send.ID))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/11/2", Section: "11", Level: reports.LevelMust,
	Requirement: "A SEND from the peer domain that carries a body without Content-Type is refused (an error, or the connection is dropped) and not delivered.",
	Statements:  []string{"PRIM-S11-1", "PRIM-S6.2.1-2"},
	Decisions:   []string{"D18", "D44"},
}), func(h *H) {
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	send := peerSend(h, peer, bob.IM(), []byte("what am I?"))
	peer.Send(send)
	h.Accept(responseOrEnd(peer, send.ID), rejected()...)
	bob.ExpectNothing(0)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.2.1/12", Section: "7.2.1", Level: reports.LevelMust, Slow: true,
	Requirement: "When the peer domain never answers a relayed SEND, the local sender still gets a final error (407 Timeout or 504 recommended), never a success (slow).",
	Statements:  []string{"PRIM-S7.2.1-1", "PRIM-S8-4"},
	RFC2779:     []string{"4.2.1"},
	Decisions:   []string{"D35"},
}), func(h *H) {
	alice := h.LoggedIn("alice", wire.VersionIM)
	send, _, _ := uaSend(h, alice)
	h.Wait(120 * time.Second)
	resp := alice.ExpectResponse(send.ID)
	h.Accept(resp, OneOf("D35: 407 Timeout", HaveCode(wire.StatusTimeout)),
		OneOf("D35: 504 Gateway Timeout", HaveCode(wire.StatusGatewayTimeout)),
		OneOf("101 Unknown Delivery Status", HaveCode(wire.StatusUnknownDelivery)),
		OneOf("another error response", HaveErrorCode()))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.2.1/13", Section: "7.2.1", Level: reports.LevelMust, Slow: true,
	Requirement: "When the peer domain closes the connection with a relayed SEND unanswered, the target either sends it again (it was not processed) or gives the sender a final error; it never reports success (slow).",
	Statements:  []string{"PRIM-S4.1-6", "PRIM-S4.1-3"},
	RFC2779:     []string{"4.2.1", "5.4.2"},
	Decisions:   []string{"D35"},
}), func(h *H) {
	alice := h.LoggedIn("alice", wire.VersionIM)
	send, got, on := uaSend(h, alice)
	on.Close()
	again, on2 := inboundNext(h, nil, "SEND")
	if again != nil {
		Expect(again).To(HaveHeader("Message-ID", got.Value("Message-ID")))
		h.Saw("the SEND was sent again on a new connection")
		on2.Respond(again, wire.StatusOK)
		alice.ExpectResponse(send.ID, HaveCode(wire.StatusOK))
		return
	}
	h.Wait(120 * time.Second)
	h.Accept(alice.ExpectResponse(send.ID), OneOf("a final error", HaveErrorCode()),
		OneOf("101 Unknown Delivery Status", HaveCode(wire.StatusUnknownDelivery)))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.2.1/14", Section: "7.2.1", Level: reports.LevelMust,
	Requirement: "When the inbox's ACL refuses the peer domain, its users' IMs are not delivered (402, or a polite drop).",
	Statements:  []string{"PRIM-A13.2.1-3", "PRIM-A13.2.1-4", "PRIM-S7.2.1-1"},
	RFC2779:     []string{"5.4.10", "2.3.5"},
	Decisions:   []string{"D15"},
}), func(h *H) {
	bob := listening(h, "bob")
	const rights = "send listen silence"
	bare := strings.TrimPrefix(bob.IM(), "im:")
	// bob logged in for IM only; SETACL is a general method, sent in PRIM-IM.
	replaceACL(h, bob, bob.IM(), wire.VersionIM, aclDoc([2]string{bare, rights}, [2]string{"@" + h.PeerDomain(), ""}), rights, "send")
	peer := h.S2SLoggedIn("remote")
	send := peerSend(h, peer, bob.IM(), []byte("blocked?"), "Content-Type", "text/plain")
	peer.Send(send)
	if ev := bob.NextWithin(h.Quiet()); ev.Msg != nil && ev.Msg.Method == "SEND" {
		bob.Respond(ev.Msg, wire.StatusOK)
		h.Failf("an IM from the refused domain reached the inbox: %s", ev)
	}
	h.Accept(peer.ExpectResponse(send.ID, HaveNoBody()), OneOf("402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("408 (blocked as if closed)", HaveCode(wire.StatusInboxClosed)),
		OneOf("polite drop", HaveCode(wire.StatusOK, wire.StatusUnknownDelivery)))
})
