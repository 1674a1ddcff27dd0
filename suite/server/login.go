package server

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"strings"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §10.3.1 LOGIN, §10.3.2 STARTTLS, §12.1 client-server authentication (prim-digest §7.1;
// Decisions D10, D21, D33).

// mechList splits a SASL-Mech value on spaces and commas (Decision D21).
func mechList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/1", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "Any request other than LOGIN (and STARTTLS) before authentication completes is answered 401 Unauthorized.",
	Statements:  []string{"PRIM-A10.3.1-7"},
	RFC2779:     []string{"5.1.12"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	bob := h.Account("bob")
	alice.Call(h.Request("SUBSCRIBE", "From", alice.Pres(), "To", h.Pres(bob.User), "Duration", "600"),
		HaveCode(wire.StatusUnauthorized), HaveNoBody())
	pub := h.Request("PUBLISH", "From", alice.Pres(), "PI-Type", "permanent", "Tuple-ID", "t1",
		"Content-Type", "application/presence")
	pub.Body = tupleDoc(alice.Pres(), alice.IM(), "open", "before login")
	alice.Call(pub, HaveCode(wire.StatusUnauthorized))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/12.1/1", Section: "12.1", Level: reports.LevelMust,
	Requirement: "LOGIN with SASL PLAIN in two steps (init, 100, continue with user CRLF pass phrase) authenticates the principal with 200 OK.",
	Statements:  []string{"PRIM-A12.1-2", "PRIM-A12.1-12", "PRIM-A10.3.1-10", "PRIM-A12.1-17"},
	RFC2779:     []string{"5.1.12"},
	Decisions:   []string{"D10"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	init := alice.LoginInit(wire.VersionPresence, "PLAIN")
	alice.Call(init, HaveCode(wire.StatusAuthContinued))
	acct := alice.Account()
	alice.Call(alice.LoginContinue(wire.VersionPresence, alice.Pres(), "PLAIN", PlainBody(acct.User, acct.Password)),
		HaveCode(wire.StatusOK))
	// Authenticated: a request that needs it is no longer 401.
	resp := alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres()))
	Expect(resp.Code).NotTo(Equal(wire.StatusUnauthorized), "FETCH after a successful LOGIN")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/12.1/2", Section: "12.1", Level: reports.LevelShould,
	Requirement: "An acceptable initial LOGIN is answered 100 Authentication Continued naming a selected mechanism from the client's list.",
	Statements:  []string{"PRIM-A12.1-6", "PRIM-A12.1-7"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	resp := alice.Call(alice.LoginInit(wire.VersionPresence, "CRAM-MD5 PLAIN"), HaveCode(wire.StatusAuthContinued), HaveHeader("SASL-Mech"))
	Expect(mechList(resp.Value("SASL-Mech"))).To(ContainElement(BeElementOf("CRAM-MD5", "PLAIN")),
		"the 100 response names a mechanism the client offered")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/12.1/3", Section: "12.1", Level: reports.LevelMust,
	Requirement: "LOGIN responses carry SASL-Mech, the 100 as well as the final 200.",
	Statements:  []string{"PRIM-A12.1-1", "PRIM-A12.1-7", "PRIM-A9.1.4-2"},
	Decisions:   []string{"D10"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	resp := alice.Call(alice.LoginInit(wire.VersionPresence, "PLAIN"), HaveHeader("SASL-Mech"))
	if resp.Code == wire.StatusOK {
		return
	}
	Expect(resp).To(HaveCode(wire.StatusAuthContinued))
	acct := alice.Account()
	alice.Call(alice.LoginContinue(wire.VersionPresence, alice.Pres(), "PLAIN", PlainBody(acct.User, acct.Password)),
		HaveCode(wire.StatusOK), HaveHeader("SASL-Mech"))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/12.1/4", Section: "12.1", Level: reports.LevelShould,
	Requirement: "CRAM-MD5 is implemented: the 100 carries the challenge, and user CRLF lower-case hex HMAC-MD5(pass phrase, challenge) authenticates.",
	Statements:  []string{"PRIM-A12.1-3", "PRIM-A12.1-8", "PRIM-A12.1-16"},
	Decisions:   []string{"D10"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	resp := alice.Call(alice.LoginInit(wire.VersionPresence, "CRAM-MD5"), HaveCode(wire.StatusAuthContinued), HaveBody())
	Expect(mechList(resp.Value("SASL-Mech"))).To(ContainElement("CRAM-MD5"))
	acct := alice.Account()
	mac := hmac.New(md5.New, []byte(acct.Password))
	mac.Write(resp.Body)
	body := []byte(acct.User + "\r\n" + hex.EncodeToString(mac.Sum(nil)))
	alice.Call(alice.LoginContinue(wire.VersionPresence, alice.Pres(), "CRAM-MD5", body), HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/12.1/5", Section: "12.1", Level: reports.LevelShould,
	Requirement: "A LOGIN with a wrong pass phrase is answered 406 Authentication Failed.",
	Statements:  []string{"PRIM-A12.1-14", "PRIM-A18-4"},
	RFC2779:     []string{"5.1.12"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	alice.Call(alice.LoginInit(wire.VersionPresence, "PLAIN"), HaveCode(wire.StatusAuthContinued))
	alice.Call(alice.LoginContinue(wire.VersionPresence, alice.Pres(), "PLAIN", PlainBody(alice.Account().User, "wrong-"+alice.Account().Password)),
		HaveCode(wire.StatusAuthFailed))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/2", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "When authentication fails the server drops the TCP connection.",
	Statements:  []string{"PRIM-A10.3.1-5", "PRIM-A10.3.1-11"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	alice.Call(alice.LoginInit(wire.VersionPresence, "PLAIN"), HaveCode(wire.StatusAuthContinued))
	cont := alice.LoginContinue(wire.VersionPresence, alice.Pres(), "PLAIN", PlainBody(alice.Account().User, "wrong-"+alice.Account().Password))
	alice.Send(cont)
	for _, m := range alice.ExpectClosed() {
		if m.ID == cont.ID {
			Expect(m).To(HaveErrorCode(), "the failed LOGIN's response")
		}
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/3", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "A LOGIN after a successful LOGIN for the same service is answered 409 Already Authenticated.",
	Statements:  []string{"PRIM-A10.3.1-12", "PRIM-A12.1-13"},
	Decisions:   []string{"D33"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	alice.Call(alice.LoginInit(wire.VersionPresence, "PLAIN"), HaveCode(wire.StatusAlreadyAuthenticated))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/18/1", Section: "18", Level: reports.LevelMust,
	Requirement: "Auth-State init in the middle of an exchange is answered 406 Authentication Failed.",
	Statements:  []string{"PRIM-A18-4"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	alice.Call(alice.LoginInit(wire.VersionPresence, "PLAIN"), HaveCode(wire.StatusAuthContinued))
	alice.Call(alice.LoginInit(wire.VersionPresence, "PLAIN"), HaveCode(wire.StatusAuthFailed))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/12.1/6", Section: "12.1", Level: reports.LevelShould,
	Requirement: "A comma-separated SASL-Mech list is understood like a space-separated one.",
	Statements:  []string{"PRIM-A12.1-5", "PRIM-A9.1.4-1"},
	Decisions:   []string{"D21"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	resp := alice.Call(alice.LoginInit(wire.VersionPresence, "CRAM-MD5,PLAIN"), HaveCode(wire.StatusAuthContinued))
	Expect(mechList(resp.Value("SASL-Mech"))).To(ContainElement(BeElementOf("CRAM-MD5", "PLAIN")))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.2/1", Section: "10.3.2", Level: reports.LevelMust,
	Requirement: "STARTTLS is answered 200 (TLS follows) or 501 Not Implemented, without a body.",
	Statements:  []string{"PRIM-A10.3.2-5", "PRIM-A10.3.2-7"},
}), func(h *H) {
	alice := h.Peer("alice")
	resp := alice.Call(h.Request("STARTTLS"), HaveNoBody())
	h.Accept(resp,
		OneOf("TLS offered: 200", HaveCode(wire.StatusOK)),
		OneOf("no TLS: 501", HaveCode(wire.StatusNotImplemented)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.2/2", Section: "10.3.2", Level: reports.LevelMust,
	Requirement: "After 501 to STARTTLS the client authenticates with LOGIN in the clear on the same connection.",
	Statements:  []string{"PRIM-A10.3.2-7", "PRIM-A10.3.1-6"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	resp := alice.Call(h.Request("STARTTLS"))
	if resp.Code == wire.StatusOK {
		h.NotApplicable("the target offers TLS: STARTTLS answered %d %s", resp.Code, resp.Phrase)
	}
	Expect(resp).To(HaveCode(wire.StatusNotImplemented))
	alice.Login(wire.VersionPresence)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/18/2", Section: "18", Level: reports.LevelShould,
	Requirement: "An initial LOGIN offering only mechanisms the server does not implement is answered 406 Authentication Failed.",
	Statements:  []string{"PRIM-A18-4", "PRIM-A12.1-14"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	alice.Call(alice.LoginInit(wire.VersionPresence, "X-PRIMLAB-NOMECH"), HaveCode(wire.StatusAuthFailed))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/4", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "Authentication is per service: after LOGIN for presence only, an IM request on the same connection is not served (401, or 501 where connections are not shared).",
	Statements:  []string{"PRIM-A10.3.1-7", "PRIM-A4.3-2", "PRIM-A4.3-3"},
	Decisions:   []string{"D33"},
}), func(h *H) {
	alice := h.LoggedIn("alice", wire.VersionPresence)
	resp := alice.Call(alice.Request("LISTEN", "From", alice.IM()))
	h.Accept(resp,
		OneOf("D33: 401 Unauthorized for the IM service", HaveCode(wire.StatusUnauthorized)),
		OneOf("501 Not Implemented (no shared connections, PRIM-A4.3-1)", HaveCode(wire.StatusNotImplemented)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.1.8/1", Section: "9.1.8", Level: reports.LevelMust,
	Requirement: "The server never sends a UA a command whose body exceeds the Max-Content-Length the UA gave at LOGIN.",
	Statements:  []string{"PRIM-A9.1.8-1"},
	Decisions:   []string{"D28", "D43"},
}), func(h *H) {
	bob := h.Peer("bob").WithAccount("bob")
	init := bob.LoginInit(wire.VersionIM, "PLAIN")
	init.Add("Max-Content-Length", "64")
	if resp := bob.Call(init); resp.Code == wire.StatusAuthContinued {
		acct := bob.Account()
		cont := bob.LoginContinue(wire.VersionIM, bob.IM(), "PLAIN", PlainBody(acct.User, acct.Password))
		cont.Add("Max-Content-Length", "64")
		bob.Call(cont, HaveCode(wire.StatusOK))
	} else {
		Expect(resp).To(HaveCode(wire.StatusOK))
	}
	bob.Call(bob.Request("LISTEN", "From", bob.IM()), HaveCode(wire.StatusOK))
	alice := h.LoggedIn("alice", wire.VersionIM)
	send := alice.Request("SEND", "From", alice.IM(), "To", bob.IM(), "Message-ID", h.Unique("big"),
		"Conversation-ID", h.Unique("c"), "Content-Type", "text/plain")
	send.Body = []byte(strings.Repeat("0123456789", 20))
	alice.Send(send)
	ev := bob.NextWithin(h.Quiet())
	if ev.Msg != nil {
		Expect(len(ev.Msg.Body)).To(BeNumerically("<=", 64), "body of the %s the server sent bob", ev.Msg.Method)
	}
	// D28: the sender hears that the message was not delivered there.
	alice.ExpectResponse(send.ID, HaveCode(wire.StatusInboxClosed, wire.StatusUnknownDelivery, wire.StatusBadRequest))
})
