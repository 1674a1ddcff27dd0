package server

import (
	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §10.2 SEND, §11.2 LISTEN and SILENCE (prim-digest §5; Decisions D13, D17, D43).

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.2.1/1", Section: "11.2.1", Level: reports.LevelMust,
	Requirement: "LISTEN on the principal's own inbox is answered 200 OK without a body.",
	Statements:  []string{"PRIM-A11.2.1-1", "PRIM-A11.2.1-2"},
}), func(h *H) {
	imListen(h, h.LoggedIn("bob", wire.VersionIM))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2.1/1", Section: "10.2.1", Level: reports.LevelMust,
	Requirement: "SEND to an open inbox reaches the listening UA with body and end-to-end headers unchanged; the sender gets 200 without a body.",
	Statements:  []string{"PRIM-A10.2.1-1", "PRIM-A10.2.1-2", "PRIM-A6-2", "PRIM-A15-5", "PRIM-A15-6"},
	RFC2779:     []string{"4.2.1", "5.4.8", "4.1.2", "2.3.5"},
	Decisions:   []string{"D17", "D15"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	openInbox(h, bob) // an external target's ACL may have been left closed by an earlier case
	imListen(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	send := imMsg(h, alice.IM(), bob.IM(), []byte("hello, bob \u263a"))
	alice.Send(send)
	got := bob.ExpectRequest("SEND",
		HaveHeader("From", alice.IM()), HaveHeader("To", bob.IM()),
		HaveHeader("Message-ID", send.Value("Message-ID")), HaveHeader("Conversation-ID", send.Value("Conversation-ID")),
		HaveHeader("Content-Type", "text/plain; charset=UTF-8"), HaveBody(send.Body))
	bob.Respond(got, wire.StatusOK)
	alice.ExpectResponse(send.ID, HaveCode(wire.StatusOK), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2.1/2", Section: "10.2.1", Level: reports.LevelMust,
	Requirement: "SEND to an inbox nobody listens to is answered 408 Inbox Is Closed (or 101 when the server stores it without knowing the outcome).",
	Statements:  []string{"PRIM-A6-1", "PRIM-A10.2.1-3", "PRIM-A10.2.1-1"},
	RFC2779:     []string{"4.2.1", "5.4.1"},
	Decisions:   []string{"D43"},
}), func(h *H) {
	openInbox(h, h.LoggedIn("bob", wire.VersionIM)) // logged in, not listening
	alice := h.LoggedIn("alice", wire.VersionIM)
	bob := h.Account("bob")
	resp := alice.Call(imMsg(h, alice.IM(), h.IM(bob.User), []byte("anyone there?")), HaveNoBody())
	h.Accept(resp,
		OneOf("D43: 408 Inbox Is Closed", HaveCode(wire.StatusInboxClosed)),
		OneOf("101 Unknown Delivery Status (stored)", HaveCode(wire.StatusUnknownDelivery)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.2.2/1", Section: "11.2.2", Level: reports.LevelMust,
	Requirement: "SILENCE from a connection that is not listening is answered 408 Inbox Is Closed.",
	Statements:  []string{"PRIM-A11.2.2-3", "PRIM-A11.2.2-2"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	bob.Call(h.Request("SILENCE", "From", bob.IM()), HaveCode(wire.StatusInboxClosed), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.2.2/2", Section: "11.2.2", Level: reports.LevelMust,
	Requirement: "After SILENCE the server stops forwarding the inbox's messages over that connection.",
	Statements:  []string{"PRIM-A11.2.2-1", "PRIM-A11.2.2-2", "PRIM-A6-1"},
	RFC2779:     []string{"2.3.6"},
	Decisions:   []string{"D43"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	openInbox(h, bob) // an external target's ACL may have been left closed by an earlier case
	imListen(h, bob)
	bob.Call(h.Request("SILENCE", "From", bob.IM()), HaveCode(wire.StatusOK), HaveNoBody())
	alice := h.LoggedIn("alice", wire.VersionIM)
	resp := alice.Call(imMsg(h, alice.IM(), bob.IM(), []byte("still there?")))
	h.Accept(resp,
		OneOf("D43: 408 Inbox Is Closed", HaveCode(wire.StatusInboxClosed)),
		OneOf("101 Unknown Delivery Status (stored)", HaveCode(wire.StatusUnknownDelivery)))
	bob.ExpectNothing(0)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.2.1/2", Section: "11.2.1", Level: reports.LevelMust,
	Requirement: "LISTEN on another principal's inbox is refused (402 Forbidden per Decision D37).",
	Statements:  []string{"PRIM-A4.1-2", "PRIM-A13.2.1-5"},
	RFC2779:     []string{"2.3.6"},
	Decisions:   []string{"D37", "D15"},
}), func(h *H) {
	alice := h.LoggedIn("alice", wire.VersionIM)
	bob := h.Account("bob")
	resp := alice.Call(alice.Request("LISTEN", "From", h.IM(bob.User)))
	h.Accept(resp,
		OneOf("D37: 402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("another error response", HaveErrorCode()))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.2.1/3", Section: "10.2.1", Level: reports.LevelMust,
	Requirement: "A SEND whose From is not the connection's principal is refused (402 per Decision D37) and not delivered.",
	Statements:  []string{"PRIM-A4.1-2", "PRIM-A9.1.1-1"},
	RFC2779:     []string{"5.4.3"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	imListen(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	carol := h.Account("carol")
	forged := imMsg(h, alice.IM(), bob.IM(), []byte("I am carol, honest"))
	forged.Set("From", h.IM(carol.User))
	resp := alice.Call(forged)
	h.Accept(resp,
		OneOf("D37: 402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("another error response", HaveErrorCode()))
	bob.ExpectNothing(0)
})
