package server

import (
	"strings"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// More of §8 (command structure, start lines, versions, request ids, content length) and
// §8.4 (Base and Control commands), continuing the numbering of framing.go and versions.go
// (prim-digest §3.2-3.6, §3.9.1, §3.12; Decisions D1, D5, D8, D26, D34).

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.1/4", Section: "8.1", Level: reports.LevelMust,
	Requirement: "Lines end in CRLF: a LOGIN whose lines end in bare LF is not processed as a command.",
	Statements:  []string{"PRIM-A8.1-3", "PRIM-A8.2-1"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	alice.SendString("LOGIN PRIM-PR/1.0 0001 0\nFrom: " + alice.Pres() + "\nAuth-State: init\nSASL-Mech: PLAIN\n\n")
	h.Accept(alice.NextWithin(h.Quiet()), append(rejectedOutcomes(),
		OneOf("no complete line: still waiting for CRLF", BeQuiet()))...)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.1/5", Section: "8.1", Level: reports.LevelMust,
	Requirement: "Header values are UTF-8 text: a SEND carrying an extension header with non-ASCII UTF-8 reaches the listener with that header octet for octet.",
	Statements:  []string{"PRIM-A8.1-1", "PRIM-A15-6"},
	RFC2779:     []string{"4.1.6"},
	Decisions:   []string{"D8", "D17"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	value := "Grüße, 日本語, ✓"
	req := cxSend(h, alice.IM(), bob.IM(), "utf-8 header", "X-Primlab-Note", value)
	alice.Send(req)
	got := cxAwaitSend(h, bob, req.Value("Message-ID"))
	Expect(got).NotTo(BeNil(), "the SEND was not delivered")
	Expect(got).To(HaveHeader("X-Primlab-Note", value))
	bob.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.1.1/5", Section: "8.1.1", Level: reports.LevelMust,
	Requirement: "A header line without a colon is not a header: a LOGIN carrying one is not processed as a valid LOGIN.",
	Statements:  []string{"PRIM-A8.1.1-1"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	alice.SendString("LOGIN PRIM-PR/1.0 0001 0\r\nFrom " + alice.Pres() + "\r\nAuth-State: init\r\nSASL-Mech: PLAIN\r\n\r\n")
	h.Accept(alice.Next(), append(rejectedOutcomes(),
		OneOf("LOGIN refused with 406 (no From)", HaveCode(wire.StatusAuthFailed)))...)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.1.1/6", Section: "8.1.1", Level: reports.LevelMust,
	Requirement: "Header values may contain \": \" after the first separator: a SEND with such a value in an extension header is delivered with the value intact.",
	Statements:  []string{"PRIM-A8.1.1-1", "PRIM-A15-6"},
	Decisions:   []string{"D8", "D17"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	value := "a: b: c:d"
	req := cxSend(h, alice.IM(), bob.IM(), "colons", "X-Primlab-Colons", value)
	alice.Send(req)
	got := cxAwaitSend(h, bob, req.Value("Message-ID"))
	Expect(got).NotTo(BeNil(), "the SEND was not delivered")
	Expect(got).To(HaveHeader("X-Primlab-Colons", value))
	bob.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2/4", Section: "8.2", Level: reports.LevelMust,
	Requirement: "Fields of the request line are separated by exactly one space: a request line with a double space is not processed.",
	Statements:  []string{"PRIM-A8.2-1"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	alice.SendString("LOGIN  PRIM-PR/1.0 0001 0\r\nFrom: " + alice.Pres() + "\r\nAuth-State: init\r\nSASL-Mech: PLAIN\r\n\r\n")
	h.Accept(alice.Next(), rejectedOutcomes()...)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2/5", Section: "8.2", Level: reports.LevelShould,
	Requirement: "Method names are upper-case tokens: \"login\" is not LOGIN and is refused (501 or 400), not processed.",
	Statements:  []string{"PRIM-A8.2-1"},
	Decisions:   []string{"D8"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	init := alice.LoginInit(wire.VersionPresence, "PLAIN")
	init.Method = "login"
	alice.Send(init)
	h.Accept(alice.Next(),
		OneOf("D8: 501 Not Implemented", HaveCode(wire.StatusNotImplemented)),
		OneOf("400 Bad Request", HaveCode(wire.StatusBadRequest)),
		OneOf("401 Unauthorized (an unknown request before LOGIN)", HaveCode(wire.StatusUnauthorized)),
		OneOf("connection closed", BeDisconnected()))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2/6", Section: "8.2", Level: reports.LevelShould,
	Requirement: "A response that matches no request of the server is ignored: the connection stays usable and nothing is answered to it.",
	Statements:  []string{"PRIM-A8.2.3-1", "PRIM-A8.3-1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	alice.SendString("PRIM-PR/1.0 zz999 0 200 OK\r\nFrom: " + alice.Pres() + "\r\n\r\n")
	probe := h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres())
	alice.Send(probe)
	Expect(alice.Expect()).To(SatisfyAll(HaveID(probe.ID), HaveCode(wire.StatusOK)), "the first thing after the stray response is the FETCH's answer")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.2/4", Section: "8.2.2", Level: reports.LevelShould,
	Requirement: "A request with a higher minor version of a known major version is processed; the response carries major version 1.",
	Statements:  []string{"PRIM-A8.2.2-2", "PRIM-A8.2.2-3", "PRIM-A8.2.2-4"},
	Decisions:   []string{"D34"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	init := alice.LoginInit(wire.VersionPresence, "PLAIN")
	init.Version = "PRIM-PR/1.7"
	resp := alice.Call(init, HaveCode(wire.StatusAuthContinued, wire.StatusOK))
	h.Accept(resp,
		OneOf("PRIM-A8.2.2-2: its own PRIM-PR/1.0", HaveVersion(wire.VersionPresence)),
		OneOf("D34: the request's PRIM-PR/1.7", HaveVersion("PRIM-PR/1.7")))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.2/5", Section: "8.2.2", Level: reports.LevelMust,
	Requirement: "The server's own presence requests to a UA (NOTIFY) carry the PRIM-PR version token.",
	Statements:  []string{"PRIM-A8.2.2-1", "PRIM-A8.2.2-3"},
	Decisions:   []string{"D1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	tag := h.Unique("v")
	publishPerm(h, alice, h.Unique("t"), tag)
	Expect(notifyShowing(h, bob, tag)).To(HaveVersion(wire.VersionPresence))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.2/6", Section: "8.2.2", Level: reports.LevelMust,
	Requirement: "The server's own IM requests to a UA (a delivered SEND) carry the PRIM-IM version token.",
	Statements:  []string{"PRIM-A8.2.2-1", "PRIM-A8.2.2-3"},
	Decisions:   []string{"D1"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	req := cxSend(h, alice.IM(), bob.IM(), "version")
	alice.Send(req)
	got := cxAwaitSend(h, bob, req.Value("Message-ID"))
	Expect(got).NotTo(BeNil(), "the SEND was not delivered")
	Expect(got).To(HaveVersion(wire.VersionIM))
	bob.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveVersion(wire.VersionIM))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.3/5", Section: "8.2.3", Level: reports.LevelMust,
	Requirement: "Requests the server sends that expect a response carry a real identifier, and two outstanding ones on one connection never share an identifier.",
	Statements:  []string{"PRIM-A8.2.3-1", "PRIM-A8.2.3-2", "PRIM-A8.2.3-3"},
	Decisions:   []string{"D26"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	first, second := h.Unique("one"), h.Unique("two")
	publishPerm(h, alice, h.Unique("t"), first)
	var n1 *wire.Message
	for n1 == nil {
		m := bob.ExpectRequest("NOTIFY")
		if showsTag(m, first) {
			n1 = m
		} else if m.ID != wire.NoResponse {
			bob.Respond(m, wire.StatusOK)
		}
	}
	h.Step("the first NOTIFY stays unanswered while another change is published")
	publishPerm(h, alice, h.Unique("t"), second)
	n2 := bob.ExpectRequest("NOTIFY")
	Expect(n1.ID).NotTo(Equal(wire.NoResponse), "a NOTIFY expects a response (Decision D26)")
	Expect(n2.ID).NotTo(Equal(wire.NoResponse), "a NOTIFY expects a response (Decision D26)")
	Expect(n2.ID).NotTo(Equal(n1.ID), "two outstanding NOTIFYs share an identifier")
	bob.Respond(n1, wire.StatusOK)
	bob.Respond(n2, wire.StatusOK)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.3/6", Section: "8.2.3", Level: reports.LevelShould,
	Requirement: "Requests are asynchronous: while a SEND waits for the recipient's UA, a later GETACL on the same connection is answered.",
	Statements:  []string{"PRIM-A8.2.3-1"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	req := cxSend(h, alice.IM(), bob.IM(), "slow recipient")
	alice.Send(req)
	got := cxAwaitSend(h, bob, req.Value("Message-ID"))
	Expect(got).NotTo(BeNil(), "the SEND was not delivered")
	h.Step("bob's UA holds its response; alice asks something else meanwhile")
	probe := h.Request("GETACL", "From", alice.IM())
	probe.Version = wire.VersionIM
	alice.Send(probe)
	first := alice.Expect()
	Expect(first).To(HaveID(probe.ID), "the GETACL is answered while the SEND is outstanding")
	bob.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.3/7", Section: "8.2.3", Level: reports.LevelMay,
	Requirement: "A very long request identifier (200 characters) is either echoed intact or refused with 400.",
	Statements:  []string{"PRIM-A8.2.3-1"},
	Decisions:   []string{"D5"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	req := h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres())
	req.ID = strings.Repeat("a1B2", 50)
	alice.Send(req)
	h.Accept(alice.Next(),
		OneOf("processed: the identifier echoed intact", SatisfyAll(HaveID(req.ID), HaveCode(wire.StatusOK))),
		OneOf("D5: 400 Bad Request (identifier too long)", HaveCode(wire.StatusBadRequest)),
		OneOf("connection closed", BeDisconnected()))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.4/3", Section: "8.2.4", Level: reports.LevelMust,
	Requirement: "There is no CRLF after a body: a SEND and the GETACL right after its last body octet, in one write, are both processed.",
	Statements:  []string{"PRIM-A8.2.4-1", "PRIM-A8.1-3"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	req := cxSend(h, alice.IM(), bob.IM(), "no trailing CRLF")
	probe := h.Request("GETACL", "From", alice.IM())
	probe.Version = wire.VersionIM
	alice.SendRaw(append(req.Bytes(), probe.Bytes()...))
	got := cxAwaitSend(h, bob, req.Value("Message-ID"))
	Expect(got).NotTo(BeNil(), "the SEND was not delivered")
	Expect(got).To(HaveBody(req.Body))
	bob.Respond(got, wire.StatusOK)
	alice.ExpectResponse(probe.ID, HaveCode(wire.StatusOK, wire.StatusNotImplemented))
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.4/4", Section: "8.2.4", Level: reports.LevelMust,
	Requirement: "content-length is a decimal count and may have leading zeros: \"0007\" frames a 7-octet body.",
	Statements:  []string{"PRIM-A8.2.4-1"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	req := cxSend(h, alice.IM(), bob.IM(), "")
	req.Body = []byte("7octets")
	raw := string(req.Bytes())
	line := req.StartLine()
	raw = strings.Replace(raw, line, strings.TrimSuffix(line, " 7")+" 0007", 1)
	alice.SendString(raw)
	got := cxAwaitSend(h, bob, req.Value("Message-ID"))
	Expect(got).NotTo(BeNil(), "the SEND with content-length 0007 was not delivered")
	Expect(got).To(HaveBody([]byte("7octets")))
	bob.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.4/5", Section: "8.2.4", Level: reports.LevelMust,
	Requirement: "An absurd content-length (twenty digits) is not honoured by reading forever into memory: the request is refused or the connection closed, and other connections go on being served.",
	Statements:  []string{"PRIM-A8.2.4-1"},
	Decisions:   []string{"D5"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	alice.SendString("FETCH PRIM-PR/1.0 77 99999999999999999999\r\nFrom: " + alice.Pres() + "\r\nTo: " + alice.Pres() + "\r\n\r\nxyz")
	h.Accept(alice.NextWithin(h.Quiet()), append(rejectedOutcomes(),
		OneOf("waiting for the body (nothing processed)", BeQuiet()))...)
	bob := h.LoggedIn("bob")
	bob.Call(h.Request("FETCH", "From", bob.Pres(), "To", bob.Pres()), HaveCode(wire.StatusOK))
})

// ---- §8.4 Base and Control commands ----

// controlRefused are the answers to a Control command received where it may not occur: the
// server-server link (PRIM-A8.4-1). The drafts name no code; 501 (SS: a command of a service
// not provided), 400, 402 or 403 all refuse it.
func controlRefused() []Outcome {
	return []Outcome{
		OneOf("501 Not Implemented", HaveCode(wire.StatusNotImplemented)),
		OneOf("400 Bad Request", HaveCode(wire.StatusBadRequest)),
		OneOf("402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("403 Resource Not Found", HaveCode(wire.StatusResourceNotFound)),
		OneOf("503 Version Not Supported (no such method in PRIM/1.0)", HaveCode(wire.StatusVersionNotSupported)),
	}
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.4/1", Section: "8.4", Level: reports.LevelMust,
	Requirement: "LISTEN is a Control command: received over a server-server connection it is refused, and the inbox's messages are not routed to that connection.",
	Statements:  []string{"PRIM-A8.4-1"},
	RFC2779:     []string{"2.3.6"},
}), func(h *H) {
	remote := h.S2SLoggedIn("remote")
	h.Accept(remote.Call(remote.Request("LISTEN", "From", h.IM("bob"))), controlRefused()...)
	alice := h.LoggedIn("alice", wire.VersionIM)
	req := cxSend(h, alice.IM(), h.IM("bob"), "nobody listens for bob")
	alice.Send(req)
	imNone(h, remote, req.Value("Message-ID"), "LISTEN over a server-server connection must not take effect")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.4/2", Section: "8.4", Level: reports.LevelMust,
	Requirement: "PUBLISH is a Control command: received over a server-server connection it is refused and the presentity's watchers see nothing of it.",
	Statements:  []string{"PRIM-A8.4-1"},
	RFC2779:     []string{"2.3.4"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	remote := h.S2SLoggedIn("remote")
	tag := h.Unique("s2s-publish")
	pub := remote.Request("PUBLISH", "From", alice.Pres(), "PI-Type", "permanent", "Tuple-ID", h.Unique("t"),
		"Content-Type", "application/presence")
	pub.Body = tupleBody(alice.Pres(), tag, "open")
	h.Accept(remote.Call(pub), controlRefused()...)
	expectNoneShowing(h, bob, tag, "a PUBLISH over a server-server connection must not take effect")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.4/3", Section: "8.4", Level: reports.LevelMust,
	Requirement: "SETACL is a Control command: received over a server-server connection it is refused and the owner's ACL is unchanged.",
	Statements:  []string{"PRIM-A8.4-1"},
	RFC2779:     []string{"2.3.2"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	putACL(h, alice, alice.Pres(), aclXML([2]string{".", ""}))
	remote := h.S2SLoggedIn("remote")
	req := remote.Request("SETACL", "From", alice.Pres(), "Content-Type", "text/xml")
	req.Body = aclXML([2]string{".", "fetch subscribe"})
	h.Accept(remote.Call(req), controlRefused()...)
	bob := h.LoggedIn("bob")
	bob.Call(h.Request("SUBSCRIBE", "From", bob.Pres(), "To", alice.Pres(), "Duration", "600"), HaveCode(wire.StatusForbidden))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.4/4", Section: "8.4", Level: reports.LevelMust,
	Requirement: "WATCHERNOTIFY goes only from server to UA: a UA's WATCHERNOTIFY is refused and not passed on to the presentity named in To.",
	Statements:  []string{"PRIM-A8.4-1", "PRIM-A11.1.7-1"},
	RFC2779:     []string{"5.1.11"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	startWatcherInfo(h, alice)
	carol := h.LoggedIn("carol")
	wn := h.Request("WATCHERNOTIFY", "From", carol.Pres(), "To", alice.Pres(), "Watcher-Type", "subscribe")
	h.Accept(carol.Call(wn),
		OneOf("501 Not Implemented", HaveCode(wire.StatusNotImplemented)),
		OneOf("400 Bad Request", HaveCode(wire.StatusBadRequest)),
		OneOf("402 Forbidden", HaveCode(wire.StatusForbidden)))
	Expect(nextRequest(h, alice, "WATCHERNOTIFY", h.Quiet())).To(BeNil(), "carol's forged WATCHERNOTIFY reached alice")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.2/7", Section: "8.2.2", Level: reports.LevelMust,
	Requirement: "A general method takes the version of the service it is sent on: GETACL with PRIM-IM on an IM connection is answered with PRIM-IM, with PRIM-PR on a presence connection with PRIM-PR.",
	Statements:  []string{"PRIM-A8.2.2-1", "PRIM-A8.2-1"},
	Decisions:   []string{"D34"},
}), func(h *H) {
	im := h.LoggedIn("alice", wire.VersionIM)
	req := h.Request("GETACL", "From", im.IM())
	req.Version = wire.VersionIM
	Expect(im.Call(req)).To(SatisfyAll(HaveVersion(wire.VersionIM), Not(HaveCode(wire.StatusUnauthorized, wire.StatusVersionNotSupported))))
	pr := h.LoggedIn("alice", wire.VersionPresence)
	req = h.Request("GETACL", "From", pr.Pres())
	req.Version = wire.VersionPresence
	Expect(pr.Call(req)).To(SatisfyAll(HaveVersion(wire.VersionPresence), Not(HaveCode(wire.StatusUnauthorized, wire.StatusVersionNotSupported))))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.4/6", Section: "8.2.4", Level: reports.LevelMust,
	Requirement: "The body is exactly content-length octets: a SEND declaring 3 octets delivers those 3, and the octets after them are read as the next command (here not a valid one).",
	Statements:  []string{"PRIM-A8.2.4-1", "PRIM-A8.1-3"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := h.LoggedIn("alice", wire.VersionIM)
	req := cxSend(h, alice.IM(), bob.IM(), "")
	req.Body = []byte("abc")
	alice.SendRaw(append(req.Bytes(), "defgh ZZZ\r\n\r\n"...))
	got := cxAwaitSend(h, bob, req.Value("Message-ID"))
	Expect(got).NotTo(BeNil(), "the SEND was not delivered")
	Expect(got).To(HaveBody([]byte("abc")))
	bob.Respond(got, wire.StatusOK)
	var resp *wire.Message
	var garbage Event
	for i := 0; i < 3 && (resp == nil || garbage == (Event{})); i++ {
		ev := alice.Next()
		switch {
		case ev.Msg != nil && ev.Msg.ID == req.ID:
			resp = ev.Msg
		default:
			garbage = ev
		}
		if ev.Closed || ev.Timeout {
			break
		}
	}
	if resp != nil {
		Expect(resp).To(HaveCode(wire.StatusOK))
	}
	h.Accept(garbage, append(rejectedOutcomes(), OneOf("the invalid line ignored", BeQuiet()))...)
})
