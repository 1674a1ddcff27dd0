package server

import (
	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// More of §9.2.1 entity headers (Content-Type, Content-Transfer-Encoding) and §9.4.3
// Reply-To, continuing framing.go's numbering (prim-digest §3.7; Decisions D8, D17, D18).

// hmDeliver sends req from sender and returns the copy bob's listener gets (answered 200) and
// the sender's response.
func hmDeliver(h *H, sender, listener *Peer, req *wire.Message) (*wire.Message, *wire.Message) {
	sender.Send(req)
	got := cxAwaitSend(h, listener, req.Value("Message-ID"))
	Expect(got).NotTo(BeNil(), "the SEND with Message-ID %q was not delivered", req.Value("Message-ID"))
	listener.Respond(got, wire.StatusOK)
	return got, sender.ExpectResponse(req.ID)
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.2.1/3", Section: "9.2.1", Level: reports.LevelMust,
	Requirement: "Content-Transfer-Encoding never travels in PRIM: a SEND carrying it is refused with 400, and in no case reaches the listener with that header.",
	Statements:  []string{"PRIM-A9.2.1-3", "PRIM-A9.2.1-4", "PRIM-A14.2-3"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	req := cxSend(h, alice.IM(), bob.IM(), "", "Content-Transfer-Encoding", "base64")
	req.Body = []byte("cHJpbWxhYg==")
	alice.Send(req)
	got := imNext(h, bob, req.Value("Message-ID"), h.Quiet())
	if got != nil {
		Expect(got).NotTo(HaveHeader("Content-Transfer-Encoding"), "the server passed Content-Transfer-Encoding on")
		bob.Respond(got, wire.StatusOK)
	}
	h.Accept(alice.ExpectResponse(req.ID),
		OneOf("PRIM-A9.2.1-4: 400 Bad Request", HaveCode(wire.StatusBadRequest)),
		OneOf("delivered without the header", HaveCode(wire.StatusOK)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.2.1/4", Section: "9.2.1", Level: reports.LevelMust,
	Requirement: "Responses with a body (FETCH, GETACL) carry Content-Type and never Content-Transfer-Encoding.",
	Statements:  []string{"PRIM-A9.2.1-3", "PRIM-A14.2-1", "PRIM-A9.2.1-2"},
	Decisions:   []string{"D18"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	publishPerm(h, alice, h.Unique("t"), h.Unique("ct"))
	var withBody []*wire.Message
	for _, req := range []*wire.Message{
		h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres()),
		h.Request("GETACL", "From", alice.Pres()),
		h.Request("GETCLASSTABLE", "From", alice.Pres()),
	} {
		resp := alice.Call(req)
		Expect(resp).NotTo(HaveHeader("Content-Transfer-Encoding"))
		if len(resp.Body) > 0 {
			withBody = append(withBody, resp)
		}
	}
	Expect(withBody).NotTo(BeEmpty(), "no response with a body (FETCH 200 carries the presence)")
	for _, m := range withBody {
		Expect(m).To(HaveHeader("Content-Type"), "%q has a body", m.StartLine())
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.2.1/5", Section: "9.2.1", Level: reports.LevelShould,
	Requirement: "A Content-Length header (the I0/I1 style) is not the body length: the start line's content-length governs and the request is served.",
	Statements:  []string{"PRIM-A8.2.4-1", "PRIM-A9.2.1-2"},
	Decisions:   []string{"D18", "D8"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	req := h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres(), "Content-Length", "12")
	alice.Call(req, HaveCode(wire.StatusOK))
	probe := h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres())
	alice.Call(probe, HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.2.1/6", Section: "9.2.1", Level: reports.LevelMust,
	Requirement: "A MIME multipart IM is carried intact: Content-Type with its boundary parameter and the body octets reach the listener unchanged.",
	Statements:  []string{"PRIM-A15-2", "PRIM-A15-5", "PRIM-A15-6"},
	RFC2779:     []string{"4.1.10", "4.1.5"},
	Decisions:   []string{"D17"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	ct := `multipart/mixed; boundary="primlab-b1"`
	body := []byte("--primlab-b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhello\r\n" +
		"--primlab-b1\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\x02\r\n--primlab-b1--\r\n")
	req := cxSend(h, alice.IM(), bob.IM(), "")
	req.Set("Content-Type", ct)
	req.Body = body
	got, resp := hmDeliver(h, alice, bob, req)
	Expect(got).To(HaveHeader("Content-Type", ct))
	Expect(got).To(HaveBody(body))
	Expect(resp).To(HaveCode(wire.StatusOK))
})

// ---- §9.4.3 Reply-To ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.4.3/1", Section: "9.4.3", Level: reports.LevelMust,
	Requirement: "Reply-To reaches the recipient's UA unchanged, so that it can reply there.",
	Statements:  []string{"PRIM-A9.4.3-1", "PRIM-A15-5", "PRIM-A15-6"},
	RFC2779:     []string{"4.1.3"},
	Decisions:   []string{"D17"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	req := cxSend(h, alice.IM(), bob.IM(), "reply elsewhere", "Reply-To", h.IM("carol"))
	got, resp := hmDeliver(h, alice, bob, req)
	Expect(got).To(HaveHeader("Reply-To", h.IM("carol")))
	Expect(resp).To(HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.4.3/2", Section: "9.4.3", Level: reports.LevelMust,
	Requirement: "A reply sent to the Reply-To inbox with the same Conversation-ID reaches it with that Conversation-ID.",
	Statements:  []string{"PRIM-A9.4.3-1", "PRIM-A9.4.2-1", "PRIM-A15-5"},
	RFC2779:     []string{"4.1.3", "5.4.4"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	carol := h.LoggedIn("carol", wire.VersionIM)
	cxOpenInbox(h, carol)
	alice := h.LoggedIn("alice", wire.VersionIM)
	req := cxSend(h, alice.IM(), bob.IM(), "please answer carol", "Reply-To", carol.IM())
	got, _ := hmDeliver(h, alice, bob, req)
	reply := cxSend(h, bob.IM(), got.Value("Reply-To"), "answer")
	reply.Set("Conversation-ID", got.Value("Conversation-ID"))
	back, resp := hmDeliver(h, bob, carol, reply)
	Expect(back).To(HaveHeader("Conversation-ID", req.Value("Conversation-ID")))
	Expect(back).To(HaveHeader("From", bob.IM()))
	Expect(resp).To(HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.4.3/3", Section: "9.4.3", Level: reports.LevelMust,
	Requirement: "Reply-To naming another domain's inbox, and extension headers with tel: and mailto: addresses, are carried intact to the recipient.",
	Statements:  []string{"PRIM-A9.4.3-1", "PRIM-A15-6"},
	RFC2779:     []string{"4.1.4", "4.1.3"},
	Decisions:   []string{"D8", "D17"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	req := cxSend(h, alice.IM(), bob.IM(), "other addresses", "Reply-To", h.PeerIM("eve"),
		"X-Primlab-Phone", "tel:+1-800-555-0100", "X-Primlab-Mail", "mailto:alice@"+h.Domain())
	got, _ := hmDeliver(h, alice, bob, req)
	Expect(got).To(HaveHeader("Reply-To", h.PeerIM("eve")))
	Expect(got).To(HaveHeader("X-Primlab-Phone", "tel:+1-800-555-0100"))
	Expect(got).To(HaveHeader("X-Primlab-Mail", "mailto:alice@"+h.Domain()))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.4.3/4", Section: "9.4.3", Level: reports.LevelMust,
	Requirement: "Reply-To is carried intact when the server relays the SEND to another domain.",
	Statements:  []string{"PRIM-A9.4.3-1", "PRIM-A15-5", "PRIM-A15-6"},
	RFC2779:     []string{"4.1.3", "2.4.3"},
	Decisions:   []string{"D17"},
}), func(h *H) {
	cxNeedsPeerListener(h)
	alice := h.LoggedIn("alice", wire.VersionIM)
	req := cxSend(h, alice.IM(), h.PeerIM("eve"), "relay reply-to", "Reply-To", h.IM("carol"), "Date", "Mon, 26 Feb 2001 09:52:08 +0900")
	alice.Send(req)
	got, on := h.ExpectS2SRequest("SEND", nil, HaveHeader("Message-ID", req.Value("Message-ID")))
	Expect(got).To(HaveHeader("Reply-To", h.IM("carol")))
	on.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.4.3/5", Section: "9.4.3", Level: reports.LevelMust,
	Requirement: "A Reply-To that is not an im: identifier is either refused with 400 or passed on unchanged, never rewritten.",
	Statements:  []string{"PRIM-A9.4.3-1", "PRIM-A15-6"},
	Decisions:   []string{"D44", "D17"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	odd := "mailto:alice@" + h.Domain()
	req := cxSend(h, alice.IM(), bob.IM(), "odd reply-to", "Reply-To", odd)
	alice.Send(req)
	got := imNext(h, bob, req.Value("Message-ID"), h.Quiet())
	if got != nil {
		Expect(got).To(HaveHeader("Reply-To", odd))
		bob.Respond(got, wire.StatusOK)
	}
	h.Accept(alice.ExpectResponse(req.ID),
		OneOf("D44: 400 Bad Request", HaveCode(wire.StatusBadRequest)),
		OneOf("delivered with Reply-To unchanged", HaveCode(wire.StatusOK)))
})
