package client

import (
	. "github.com/onsi/gomega"

	"github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// I2 §10.2 SEND, §9.4 Message-ID / Conversation-ID / Reply-To, §11.2 LISTEN and SILENCE and
// §15 IM content, from the user agent's side (prim-digest §5).

// listening logs the user agent in and has it LISTEN, answered 200.
func listening(h *harness.H) (*Lab, *Conn) {
	lab, sess := loggedIn(h)
	im := sess.MustIM(h)
	_, res := sentRequest(lab, im, Cmd{Cmd: "listen"}, "LISTEN", wire.StatusOK)
	Expect(res.Code).To(Equal(wire.StatusOK))
	return lab, im
}

// sendOf has the user agent send an IM, answered with code, and returns the SEND and result.
func sendOf(lab *Lab, im *Conn, c Cmd, code int) (*wire.Message, UAEvent) {
	c.Cmd = "send"
	if c.To == "" {
		c.To = lab.IM("bob")
	}
	return sentRequest(lab, im, c, "SEND", code)
}

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.2.1/1", Section: "10.2.1", Level: reports.LevelMust,
	Requirement: "A SEND carries From (the principal's im: identifier), To (the inbox), Message-ID, Conversation-ID and a Content-Type naming the payload.",
	Statements:  []string{"PRIM-A15-1", "PRIM-A9.4.1-1"},
	RFC2779:     []string{"4.1.2", "4.1.3"},
	Decisions:   []string{"D44", "D18"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	im := sess.MustIM(h)
	req, _ := sendOf(lab, im, Cmd{Body: "hello bob"}, wire.StatusOK)
	expectValid(req)
	Expect(sameID(req.Value("From"), lab.Self("im"))).To(BeTrue(), "From %q", req.Value("From"))
	Expect(sameID(req.Value("To"), lab.IM("bob"))).To(BeTrue(), "To %q", req.Value("To"))
	for _, name := range []string{"Message-ID", "Conversation-ID", "Content-Type"} {
		Expect(req).To(harness.HaveHeader(name))
	}
	Expect(req).To(harness.HaveBody([]byte("hello bob")))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.2.1/2", Section: "10.2.1", Level: reports.LevelMust,
	Requirement: "The user learns whether an IM was delivered: 200 is reported as delivered, 408 Inbox Is Closed and 403 as failures with their code.",
	Statements:  []string{"PRIM-A10.2.1-3"},
	RFC2779:     []string{"4.2.1", "5.4.1"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	im := sess.MustIM(h)
	for _, code := range []int{wire.StatusOK, wire.StatusInboxClosed, wire.StatusResourceNotFound} {
		_, res := sendOf(lab, im, Cmd{Body: "are you there"}, code)
		Expect(res.Code).To(Equal(code))
		Expect(res.Error).To(BeEmpty())
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.2.1/3", Section: "10.2.1", Level: reports.LevelMust,
	Requirement: "101 Unknown Delivery Status is a final answer to SEND and is reported as such to the user.",
	Statements:  []string{"PRIM-A18-6"},
	RFC2779:     []string{"4.2.1"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	im := sess.MustIM(h)
	_, res := sendOf(lab, im, Cmd{Body: "maybe"}, wire.StatusUnknownDelivery)
	Expect(res.Code).To(Equal(wire.StatusUnknownDelivery))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.2.1/4", Section: "10.2.1", Level: reports.LevelMust,
	Requirement: "A SEND the server delivers while the user agent listens is answered (200, or 408 by a user agent that hides its inbox) with the same id, the headers I2's response table lists (From, To, Message-ID, Conversation-ID on a 200) and no body.",
	Statements:  []string{"PRIM-A10.2.1-1", "PRIM-A10.2.1-3", "PRIM-A8.2.3-1"},
	Decisions:   []string{"D34"},
}), func(h *harness.H) {
	lab, im := listening(h)
	in := imTo(h, lab)
	im.Send(in)
	resp := im.ExpectResponse(in.ID, harness.HaveNoBody(), harness.HaveVersion(wire.VersionIM))
	h.Accept(resp,
		harness.OneOf("200 OK: delivered to the user", harness.HaveCode(wire.StatusOK)),
		harness.OneOf("408 Inbox Is Closed: the user agent hides or blocks (PRIM-A10.2.1-3)", harness.HaveCode(wire.StatusInboxClosed)))
	vs := wire.ValidateResponse(resp, wire.ProfileClient, "SEND")
	Expect(vs).To(BeEmpty(), violations(vs))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.2.1/5", Section: "10.2.1", Level: reports.LevelMust,
	Requirement: "An IM the user agent accepted (200) is given to the user with its sender, Message-ID, Conversation-ID, content type and body.",
	Statements:  []string{"PRIM-A11.2.1-1", "PRIM-A6-2"},
	RFC2779:     []string{"5.4.8", "4.1.2", "4.1.3"},
}), func(h *harness.H) {
	lab, im := listening(h)
	in := imTo(h, lab)
	im.Send(in)
	resp := im.ExpectResponse(in.ID)
	if resp.Code != wire.StatusOK {
		h.NotApplicable("the user agent answered %d, not 200: it did not accept the message", resp.Code)
	}
	ev := lab.WaitEvent("message", nil)
	Expect(sameID(ev.From, lab.IM("bob")) || sameID(ev.From, "bob@"+lab.Domain)).To(BeTrue(), "from %q", ev.From)
	Expect(ev.Body).To(Equal("hi alice"))
	Expect(ev.MessageID).To(Equal(in.Value("Message-ID")))
	Expect(ev.ConversationID).To(Equal(in.Value("Conversation-ID")))
	Expect(sameMediaType(ev.ContentType, in.Value("Content-Type"))).To(BeTrue(), "content type %q", ev.ContentType)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.2.1/6", Section: "10.2.1", Level: reports.LevelMust,
	Requirement: "A SEND that arrives before the user agent listened is still answered, with 200 or 408 Inbox Is Closed.",
	Statements:  []string{"PRIM-A10.2.1-3", "PRIM-A6-1"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	im := sess.MustIM(h)
	in := imTo(h, lab)
	im.Send(in)
	resp := im.ExpectResponse(in.ID, harness.HaveNoBody())
	h.Accept(resp,
		harness.OneOf("408 Inbox Is Closed (not listening)", harness.HaveCode(wire.StatusInboxClosed)),
		harness.OneOf("200 OK", harness.HaveCode(wire.StatusOK)))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.2.1/7", Section: "10.2.1", Level: reports.LevelMust,
	Requirement: "A SEND with request id \"-\" is not answered, even while listening.",
	Statements:  []string{"PRIM-A8.2.3-4", "PRIM-A8.3-2"},
	Decisions:   []string{"D6"},
}), func(h *harness.H) {
	lab, im := listening(h)
	in := imTo(h, lab)
	in.ID = wire.NoResponse
	im.Send(in)
	im.ExpectNoResponse(0)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.2.1/8", Section: "10.2.1", Level: reports.LevelMust,
	Requirement: "A SEND body with arbitrary octets (NUL, CRLF CRLF, a fake start line) is one body: answered once and given to the user intact.",
	Statements:  []string{"PRIM-A8.1-2", "PRIM-A8.2.4-1"},
	RFC2779:     []string{"4.1.5", "5.4.8"},
}), func(h *harness.H) {
	lab, im := listening(h)
	body := "\x00 one\r\n\r\nPING PRIM-IM/1.0 - 0\r\n\r\nSEND PRIM-IM/1.0 9999 3\r\n\r\nend\x00"
	in := imTo(h, lab)
	in.Set("Content-Type", "application/octet-stream")
	in.Body = []byte(body)
	im.Send(in)
	resp := im.ExpectResponse(in.ID)
	im.ExpectNoResponse(0) // the fake SEND inside the body is not answered
	if resp.Code == wire.StatusOK {
		ev := lab.WaitEvent("message", nil)
		Expect(ev.Body).To(Equal(body))
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.2.1/9", Section: "10.2.1", Level: reports.LevelShould,
	Requirement: "The Reply-To of a received IM is given to the user, so the reply goes there rather than to From.",
	Statements:  []string{"PRIM-A9.4.3-1"},
	RFC2779:     []string{"4.1.3"},
}), func(h *harness.H) {
	lab, im := listening(h)
	in := imTo(h, lab)
	in.Add("Reply-To", lab.IM("carol"))
	im.Send(in)
	if resp := im.ExpectResponse(in.ID); resp.Code != wire.StatusOK {
		h.NotApplicable("the user agent answered %d, not 200", resp.Code)
	}
	ev := lab.WaitEvent("message", nil)
	Expect(sameID(ev.ReplyTo, lab.IM("carol")) || sameID(ev.ReplyTo, "carol@"+lab.Domain)).To(BeTrue(), "reply_to %q", ev.ReplyTo)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.2.1/10", Section: "10.2.1", Level: reports.LevelMust,
	Requirement: "The user's IM body goes out byte for byte, binary octets and CRLF CRLF included, framed by its content-length.",
	Statements:  []string{"PRIM-A8.1-2", "PRIM-A8.2.4-1"},
	RFC2779:     []string{"4.1.5"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	im := sess.MustIM(h)
	body := "\x00\x01 raw\r\n\r\nSEND PRIM-IM/1.0 1 0\r\n\r\n"
	req, _ := sendOf(lab, im, Cmd{Body: body, ContentType: "application/octet-stream"}, wire.StatusOK)
	Expect(string(req.Body)).To(Equal(body))
	Expect(sameMediaType(req.Value("Content-Type"), "application/octet-stream")).To(BeTrue(), "Content-Type %q", req.Value("Content-Type"))
	for _, m := range im.Sent() {
		Expect(m.StartLine()).NotTo(Equal("SEND PRIM-IM/1.0 1 0"), "the body's fake command was framed as a command")
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/9.4.1/1", Section: "9.4.1", Level: reports.LevelMust,
	Requirement: "Every IM the user agent sends has its own Message-ID.",
	Statements:  []string{"PRIM-A9.4.1-1"},
	RFC2779:     []string{"4.1.9"},
	Decisions:   []string{"D9"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	im := sess.MustIM(h)
	seen := map[string]bool{}
	for i := 0; i < 4; i++ {
		req, _ := sendOf(lab, im, Cmd{Body: "same words"}, wire.StatusOK)
		id := req.Value("Message-ID")
		Expect(id).NotTo(BeEmpty())
		Expect(seen).NotTo(HaveKey(id), "Message-ID %q reused", id)
		seen[id] = true
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/9.4.1/2", Section: "9.4.1", Level: reports.LevelMust,
	Requirement: "Message-ID values are tokens of unreserved characters, escapes, \"@\" and \":\".",
	Statements:  []string{"PRIM-A9.4.1-1"},
	Decisions:   []string{"D9"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	im := sess.MustIM(h)
	req, _ := sendOf(lab, im, Cmd{Body: "x"}, wire.StatusOK)
	Expect(req.Value("Message-ID")).To(MatchRegexp(messageIDPattern.String()))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/9.4.2/1", Section: "9.4.2", Level: reports.LevelMust,
	Requirement: "A reply to a received IM carries that IM's Conversation-ID.",
	Statements:  []string{"PRIM-A9.4.2-1"},
	RFC2779:     []string{"5.4.4"},
}), func(h *harness.H) {
	lab, im := listening(h)
	in := imTo(h, lab)
	im.Send(in)
	if resp := im.ExpectResponse(in.ID); resp.Code != wire.StatusOK {
		h.NotApplicable("the user agent answered %d, not 200", resp.Code)
	}
	ev := lab.WaitEvent("message", nil)
	req, _ := sendOf(lab, im, Cmd{To: ev.From, Body: "hi bob", ConversationID: ev.ConversationID}, wire.StatusOK)
	Expect(req).To(harness.HaveHeader("Conversation-ID", in.Value("Conversation-ID")))
	Expect(req.Value("Message-ID")).NotTo(Equal(in.Value("Message-ID")))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/15/1", Section: "15", Level: reports.LevelMust,
	Requirement: "The SEND's Content-Type names the payload type the user gave.",
	Statements:  []string{"PRIM-A15-1", "PRIM-A15-2"},
	RFC2779:     []string{"4.1.5", "4.1.10"},
	Decisions:   []string{"D18"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	im := sess.MustIM(h)
	req, _ := sendOf(lab, im, Cmd{Body: "<p>hi</p>", ContentType: "text/html; charset=UTF-8"}, wire.StatusOK)
	Expect(sameMediaType(req.Value("Content-Type"), "text/html; charset=UTF-8")).To(BeTrue(), "Content-Type %q", req.Value("Content-Type"))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/15/2", Section: "15", Level: reports.LevelMust,
	Requirement: "A message/cpim payload is sent as given, with Content-Type message/cpim.",
	Statements:  []string{"PRIM-A15-3", "PRIM-A15-1"},
	RFC2779:     []string{"4.1.1"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	im := sess.MustIM(h)
	cpim := "From: <im:alice@" + lab.Domain + ">\r\nTo: <im:bob@" + lab.Domain + ">\r\n\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
	req, _ := sendOf(lab, im, Cmd{Body: cpim, ContentType: "message/cpim"}, wire.StatusOK)
	Expect(sameMediaType(req.Value("Content-Type"), "message/cpim")).To(BeTrue(), "Content-Type %q", req.Value("Content-Type"))
	Expect(string(req.Body)).To(Equal(cpim))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.2.1/1", Section: "11.2.1", Level: reports.LevelMust,
	Requirement: "To receive IMs the user agent sends LISTEN on its IM connection, with From (its im: identifier), version PRIM-IM/1.0 and no body.",
	Statements:  []string{"PRIM-A11.2.1-1", "PRIM-A8.2.2-1"},
	Decisions:   []string{"D44"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	im := sess.MustIM(h)
	req, res := sentRequest(lab, im, Cmd{Cmd: "listen"}, "LISTEN", wire.StatusOK)
	expectValid(req)
	Expect(req).To(harness.HaveVersion(wire.VersionIM))
	Expect(sameID(req.Value("From"), lab.Self("im"))).To(BeTrue(), "From %q", req.Value("From"))
	Expect(res.Code).To(Equal(wire.StatusOK))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.2.2/1", Section: "11.2.2", Level: reports.LevelMust,
	Requirement: "SILENCE goes on the IM connection with From and no body; a 408 answer (not listening) is reported with its code.",
	Statements:  []string{"PRIM-A11.2.2-3", "PRIM-A9.2.1-1"},
	Decisions:   []string{"D44"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	im := sess.MustIM(h)
	req, res := sentRequest(lab, im, Cmd{Cmd: "silence"}, "SILENCE", wire.StatusInboxClosed)
	expectValid(req)
	Expect(req).To(harness.HaveVersion(wire.VersionIM))
	Expect(res.Code).To(Equal(wire.StatusInboxClosed))
})
