package server

import (
	"strings"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §8.1 command structure, §8.1.1 header lines, §8.2 request line, §8.2.3 request ids,
// §8.2.4 content length, §9.2.1 entity headers (prim-digest §3.2-3.7).

// rejectedOutcomes are what a receiver may do with a command that is not valid PRIM: the
// drafts do not say (prim-digest §3.12), so a 400 and dropping the connection are both
// acceptable; treating it as valid is not.
func rejectedOutcomes() []Outcome {
	return []Outcome{
		OneOf("answered 400 Bad Request", HaveCode(wire.StatusBadRequest)),
		OneOf("connection closed", BeDisconnected()),
	}
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.1/1", Section: "8.1", Level: reports.LevelShould,
	Requirement: "Empty lines received where a start line is expected are ignored.",
	Statements:  []string{"PRIM-A8.1-4"},
	Decisions:   []string{"D10"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	init := alice.LoginInit(wire.VersionPresence, "PLAIN")
	alice.SendString("\r\n\r\n\r\n")
	alice.Send(init)
	// Decision D10(a): the initial LOGIN is answered 100 (two-step) or, at most, 200.
	alice.ExpectResponse(init.ID, HaveCode(wire.StatusAuthContinued, wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.1/2", Section: "8.1", Level: reports.LevelMust,
	Requirement: "Arbitrary binary data in a body is carried intact: NUL, 0xFF, CRLF CRLF and a fake start line inside a SEND body are body octets, not commands.",
	Statements:  []string{"PRIM-A8.1-2", "PRIM-A8.2.4-1", "PRIM-A15-5"},
	RFC2779:     []string{"4.1.5"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	bob.Call(h.Request("LISTEN", "From", bob.IM()), HaveCode(wire.StatusOK))
	alice := h.LoggedIn("alice", wire.VersionIM)
	body := []byte("\x00\xff\xfe\r\n\r\nPING PRIM-IM/1.0 - 0\r\n\r\nSEND PRIM-IM/1.0 9999 3\r\n\r\nend\x00")
	send := h.Request("SEND", "From", alice.IM(), "To", bob.IM(), "Message-ID", h.Unique("bin"), "Conversation-ID", h.Unique("conv"),
		"Content-Type", "application/octet-stream")
	send.Body = body
	alice.Send(send)
	got := bob.ExpectRequest("SEND", HaveBody(body))
	bob.Respond(got, wire.StatusOK)
	alice.ExpectResponse(send.ID, HaveCode(wire.StatusOK))
	// Nothing else: the fake commands in the body must not have been executed.
	bob.ExpectNothing(0)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.4/1", Section: "8.2.4", Level: reports.LevelMust,
	Requirement: "A command is recognised however the byte stream is cut: a LOGIN sent one octet at a time is answered normally.",
	Statements:  []string{"PRIM-A8.1-3", "PRIM-A8.2.4-1"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	init := alice.LoginInit(wire.VersionPresence, "PLAIN")
	for _, b := range init.Bytes() {
		alice.SendRaw([]byte{b})
	}
	alice.ExpectResponse(init.ID, HaveCode(wire.StatusAuthContinued, wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.4/2", Section: "8.2.4", Level: reports.LevelMust,
	Requirement: "A request whose content-length field is not a decimal number is not processed.",
	Statements:  []string{"PRIM-A8.2.4-1", "PRIM-A8.2-1"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	alice.SendString("LOGIN PRIM-PR/1.0 0001 x12\r\nFrom: " + alice.Pres() + "\r\nAuth-State: init\r\nSASL-Mech: PLAIN\r\n\r\n")
	h.Accept(alice.Next(), rejectedOutcomes()...)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.3/1", Section: "8.2.3", Level: reports.LevelMust,
	Requirement: "The response carries the request identifier exactly as received, letters and leading zeros included.",
	Statements:  []string{"PRIM-A8.2.3-1", "PRIM-A8.3-1"},
	Decisions:   []string{"D5"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	for _, id := range []string{"000123", "0aB9z"} {
		init := alice.LoginInit(wire.VersionPresence, "PLAIN")
		init.ID = id
		alice.Send(init)
		alice.ExpectResponse(id, HaveCode(wire.StatusAuthContinued, wire.StatusOK, wire.StatusAuthFailed))
		if id == "000123" {
			// Restart cleanly on a new connection for the second id.
			alice.Close()
			alice = h.Peer("alice").WithAccount("alice")
		}
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.3/2", Section: "8.2.3", Level: reports.LevelMust,
	Requirement: "Pipelined requests sent in one write are each answered exactly once, with their own identifiers.",
	Statements:  []string{"PRIM-A8.2.3-1", "PRIM-A10.3.1-7"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	bob := h.Account("bob")
	var batch []byte
	var ids []string
	for i := 0; i < 3; i++ {
		req := h.Request("FETCH", "From", alice.Pres(), "To", h.Pres(bob.User))
		ids = append(ids, req.ID)
		batch = wire.Append(batch, req)
	}
	alice.SendRaw(batch)
	for _, id := range ids {
		// Before LOGIN every request is answered 401 (PRIM-A10.3.1-7).
		alice.ExpectResponse(id, HaveCode(wire.StatusUnauthorized))
	}
	alice.ExpectNothing(0)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.3/3", Section: "8.2.3", Level: reports.LevelMust,
	Requirement: "A request with identifier \"-\" is never answered, even for a method that normally has a response.",
	Statements:  []string{"PRIM-A8.2.3-3", "PRIM-A8.2.3-4", "PRIM-A8.3-2"},
	Decisions:   []string{"D6"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	req := h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres())
	req.ID = wire.NoResponse
	alice.Send(req)
	alice.ExpectNothing(0)
	// The connection still works: the next request is answered, and it is the first thing
	// the target sends.
	probe := h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres())
	alice.Send(probe)
	Expect(alice.Expect()).To(HaveID(probe.ID))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.1.1/1", Section: "8.1.1", Level: reports.LevelMust,
	Requirement: "A header line without the single space after the colon is not accepted as a header.",
	Statements:  []string{"PRIM-A8.1.1-1"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	alice.SendString("LOGIN PRIM-PR/1.0 0001 0\r\nFrom:" + alice.Pres() + "\r\nAuth-State: init\r\nSASL-Mech: PLAIN\r\n\r\n")
	h.Accept(alice.Next(), append(rejectedOutcomes(),
		OneOf("LOGIN refused with 406 (From not understood)", HaveCode(wire.StatusAuthFailed)))...)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.1.1/2", Section: "8.1.1", Level: reports.LevelMust,
	Requirement: "Headers are single lines: a folded continuation line is not accepted.",
	Statements:  []string{"PRIM-A8.1.1-2"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	alice.SendString("LOGIN PRIM-PR/1.0 0001 0\r\nFrom: " + alice.Pres() + "\r\nAuth-State: init\r\nSASL-Mech:\r\n PLAIN\r\n\r\n")
	h.Accept(alice.Next(), append(rejectedOutcomes(),
		OneOf("LOGIN refused with 406", HaveCode(wire.StatusAuthFailed)))...)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.1.1/3", Section: "8.1.1", Level: reports.LevelMust,
	Requirement: "Header names are case-sensitive: \"from\" is not the From header, so a LOGIN carrying only \"from\" does not proceed.",
	Statements:  []string{"PRIM-A8.1.1-1", "PRIM-A10.3.1-2"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	init := h.Request("LOGIN", "from", alice.Pres(), "Auth-State", "init", "SASL-Mech", "PLAIN")
	alice.Send(init)
	h.Accept(alice.Next(),
		OneOf("D44: 400 Bad Request (required From missing)", HaveCode(wire.StatusBadRequest)),
		OneOf("406 Authentication Failed", HaveCode(wire.StatusAuthFailed)),
		OneOf("connection closed", BeDisconnected()))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2/1", Section: "8.2", Level: reports.LevelMust,
	Requirement: "A request line without the four single-space separated fields is not processed.",
	Statements:  []string{"PRIM-A8.2-1"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	alice.SendString("LOGIN PRIM-PR/1.0 0001\r\nFrom: " + alice.Pres() + "\r\nAuth-State: init\r\nSASL-Mech: PLAIN\r\n\r\n")
	h.Accept(alice.Next(), rejectedOutcomes()...)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2/2", Section: "8.2", Level: reports.LevelShould,
	Requirement: "An unknown method is refused with an error response carrying its identifier (501 Not Implemented, or 400), and the connection stays usable.",
	Statements:  []string{"PRIM-A8.2.3-1", "PRIM-A8.3-3"},
	Decisions:   []string{"D8"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	req := h.Request("FROBNICATE", "From", alice.Pres())
	resp := alice.Call(req)
	h.Accept(resp,
		OneOf("D8: 501 Not Implemented", HaveCode(wire.StatusNotImplemented)),
		OneOf("D8: 400 Bad Request", HaveCode(wire.StatusBadRequest)))
	alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres()), HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.1.1/4", Section: "8.1.1", Level: reports.LevelShould,
	Requirement: "Unknown headers are ignored: a LOGIN with an extra header proceeds as without it.",
	Statements:  []string{"PRIM-A8.1.1-1"},
	Decisions:   []string{"D8"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	init := alice.LoginInit(wire.VersionPresence, "PLAIN")
	init.Add("X-Primlab-Probe", "ignore me")
	alice.Call(init, HaveCode(wire.StatusAuthContinued, wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.2.1/1", Section: "9.2.1", Level: reports.LevelShould,
	Requirement: "A command carrying Content-Transfer-Encoding is rejected with 400 Bad Request.",
	Statements:  []string{"PRIM-A9.2.1-3", "PRIM-A9.2.1-4"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	req := h.Request("GETACL", "From", alice.Pres(), "Content-Transfer-Encoding", "base64")
	alice.Call(req, HaveCode(wire.StatusBadRequest))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.2.1/2", Section: "9.2.1", Level: reports.LevelShould,
	Requirement: "A body on a method whose description allows none is rejected with 400 Bad Request.",
	Statements:  []string{"PRIM-A9.2.1-1"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	req := h.Request("GETACL", "From", alice.Pres(), "Content-Type", "text/plain")
	req.Body = []byte(strings.Repeat("x", 17))
	alice.Call(req, HaveCode(wire.StatusBadRequest))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.1/3", Section: "8.1", Level: reports.LevelShould,
	Requirement: "A sender's stray CRLF after a body is skipped as an empty line: the next command is read normally.",
	Statements:  []string{"PRIM-A8.1-4", "PRIM-A8.2.4-1"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	init := alice.LoginInit(wire.VersionPresence, "PLAIN")
	alice.Call(init, HaveCode(wire.StatusAuthContinued, wire.StatusOK))
	acct := alice.Account()
	cont := alice.LoginContinue(wire.VersionPresence, alice.Pres(), "PLAIN", PlainBody(acct.User, acct.Password))
	alice.SendRaw(append(cont.Bytes(), "\r\n"...))
	alice.ExpectResponse(cont.ID, HaveCode(wire.StatusOK, wire.StatusAlreadyAuthenticated))
	probe := h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres())
	alice.Send(probe)
	Expect(alice.Expect()).To(HaveID(probe.ID), "the command after the stray CRLF is answered")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.3/4", Section: "8.2.3", Level: reports.LevelMay,
	Requirement: "Two outstanding requests with the same identifier are either both processed or the second is rejected with 400; the connection survives.",
	Statements:  []string{"PRIM-A8.2.3-1", "PRIM-A8.2.3-2"},
	Decisions:   []string{"D5"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	a := h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres())
	b := h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres())
	b.ID = a.ID
	alice.SendRaw(append(a.Bytes(), b.Bytes()...))
	alice.ExpectResponse(a.ID)
	h.Accept(alice.NextWithin(h.Quiet()),
		OneOf("D5: both processed", HaveID(a.ID)),
		OneOf("D5: the duplicate answered 400", HaveCode(wire.StatusBadRequest)))
	probe := h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres())
	alice.Call(probe, HaveCode(wire.StatusOK))
})
