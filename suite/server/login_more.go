package server

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// More of §10.3.1 LOGIN, §10.3.5 VERIFYSERVER and §9.1.6 Server-Address, and §12.2
// server-server authentication as far as the client listener and the target's own outgoing
// connections show it (prim-digest §6.4, §7.1-7.2; Decisions D10, D16, D33, D37, D41, D44).

// lmNotAuthenticated asserts that p's connection is not authenticated (or gone): a FETCH is
// answered 401, or the connection is closed.
func lmNotAuthenticated(h *H, p *Peer, who string) {
	p.Send(h.Request("FETCH", "From", who, "To", who))
	h.Accept(p.Next(),
		OneOf("401 Unauthorized: not authenticated", HaveCode(wire.StatusUnauthorized)),
		OneOf("connection closed", BeDisconnected()))
}

// lmRefusedLogin are the acceptable answers to a LOGIN that must not authenticate.
func lmRefusedLogin() []Outcome {
	return []Outcome{
		OneOf("406 Authentication Failed", HaveCode(wire.StatusAuthFailed)),
		OneOf("D44: 400 Bad Request", HaveCode(wire.StatusBadRequest)),
		OneOf("connection closed", BeDisconnected()),
	}
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/5", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "LOGIN names the principal in From: a LOGIN naming bob with alice's credentials never lets the connection act as bob.",
	Statements:  []string{"PRIM-A10.3.1-2", "PRIM-A4.1-2", "PRIM-A10.3.1-5"},
	RFC2779:     []string{"5.1.12", "5.4.3"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	p := h.Peer("mallory").WithAccount("alice")
	bob := h.Pres("bob")
	init := p.LoginInit(wire.VersionPresence, "PLAIN")
	init.Set("From", bob)
	resp := p.Call(init)
	if resp.Code == wire.StatusAuthContinued {
		acct := p.Account()
		p.Send(p.LoginContinue(wire.VersionPresence, bob, "PLAIN", PlainBody(acct.User, acct.Password)))
		ev := p.Next()
		if h.Accept(ev, append(lmRefusedLogin(), OneOf("200: authenticated as the credentials' owner", HaveCode(wire.StatusOK)))...) != "200: authenticated as the credentials' owner" {
			return
		}
	} else if resp.Code != wire.StatusOK {
		h.Accept(resp, lmRefusedLogin()...)
		return
	}
	// Authenticated as someone: it must not be bob.
	acl := p.Call(h.Request("GETACL", "From", bob))
	Expect(acl.Code).NotTo(Equal(wire.StatusOK), "the connection read bob's ACL: it acts as bob")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/6", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "Auth-State: abort in the middle of an exchange ends it without authenticating: 406 and the connection closed (or the connection stays unauthenticated).",
	Statements:  []string{"PRIM-A10.3.1-8", "PRIM-A18-4"},
	Decisions:   []string{"D10"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	alice.Call(alice.LoginInit(wire.VersionPresence, "PLAIN"), HaveCode(wire.StatusAuthContinued))
	acct := alice.Account()
	abort := alice.LoginContinue(wire.VersionPresence, alice.Pres(), "PLAIN", PlainBody(acct.User, acct.Password))
	abort.Set("Auth-State", "abort")
	alice.Send(abort)
	switch h.Accept(alice.Next(),
		OneOf("D10(b): 406 Authentication Failed", HaveCode(wire.StatusAuthFailed)),
		OneOf("aborted, connection left unauthenticated (200 or 400)", HaveCode(wire.StatusOK, wire.StatusBadRequest)),
		OneOf("connection closed", BeDisconnected())) {
	case "D10(b): 406 Authentication Failed":
		alice.ExpectClosed()
	case "aborted, connection left unauthenticated (200 or 400)":
		lmNotAuthenticated(h, alice, alice.Pres())
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/7", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "Auth-State is one of init, continue, abort: a LOGIN with another value does not authenticate.",
	Statements:  []string{"PRIM-A10.3.1-8"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	acct := alice.Account()
	req := alice.LoginContinue(wire.VersionPresence, alice.Pres(), "PLAIN", PlainBody(acct.User, acct.Password))
	req.Set("Auth-State", "restart")
	alice.Send(req)
	if h.Accept(alice.Next(), lmRefusedLogin()...) == "D44: 400 Bad Request" {
		lmNotAuthenticated(h, alice, alice.Pres())
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/8", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "A continuing LOGIN without a preceding initial one (Auth-State: continue first) does not authenticate.",
	Statements:  []string{"PRIM-A10.3.1-8", "PRIM-A10.3.1-10"},
	Decisions:   []string{"D10"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	acct := alice.Account()
	alice.Send(alice.LoginContinue(wire.VersionPresence, alice.Pres(), "PLAIN", PlainBody(acct.User, acct.Password)))
	if h.Accept(alice.Next(), lmRefusedLogin()...) == "D44: 400 Bad Request" {
		lmNotAuthenticated(h, alice, alice.Pres())
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/9", Section: "10.3.1", Level: reports.LevelShould,
	Requirement: "The LOGIN From may be the principal's im: identifier even on the presence service: it is accepted like the pres: one.",
	Statements:  []string{"PRIM-A10.3.1-2"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	init := alice.LoginInit(wire.VersionPresence, "PLAIN")
	init.Set("From", alice.IM())
	if alice.Call(init, HaveCode(wire.StatusAuthContinued, wire.StatusOK)).Code == wire.StatusAuthContinued {
		acct := alice.Account()
		alice.Call(alice.LoginContinue(wire.VersionPresence, alice.IM(), "PLAIN", PlainBody(acct.User, acct.Password)), HaveCode(wire.StatusOK))
	}
	alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres()), HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/10", Section: "10.3.1", Level: reports.LevelMay,
	Requirement: "SASL data may ride in the initial LOGIN: PLAIN credentials in the init body authenticate at once (200) or the two-step flow continues (100).",
	Statements:  []string{"PRIM-A10.3.1-9", "PRIM-A12.1-6"},
	Decisions:   []string{"D10"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	acct := alice.Account()
	init := alice.LoginInit(wire.VersionPresence, "PLAIN")
	init.Add("Content-Type", "text/plain")
	init.Body = PlainBody(acct.User, acct.Password)
	switch h.Accept(alice.Call(init),
		OneOf("D10(a): one step, 200 OK", HaveCode(wire.StatusOK)),
		OneOf("D10(a): two steps, 100 Authentication Continued", HaveCode(wire.StatusAuthContinued))) {
	case "D10(a): two steps, 100 Authentication Continued":
		alice.Call(alice.LoginContinue(wire.VersionPresence, alice.Pres(), "PLAIN", PlainBody(acct.User, acct.Password)), HaveCode(wire.StatusOK))
	}
	alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres()), HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/11", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "The continuing LOGIN must name the selected mechanism: switching mechanism after 100 does not authenticate.",
	Statements:  []string{"PRIM-A12.1-10", "PRIM-A18-4", "PRIM-A10.3.1-5"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	resp := alice.Call(alice.LoginInit(wire.VersionPresence, "PLAIN"), HaveCode(wire.StatusAuthContinued))
	other := "CRAM-MD5"
	if lmContains(mechList(resp.Value("SASL-Mech")), "CRAM-MD5") {
		other = "ANONYMOUS"
	}
	acct := alice.Account()
	alice.Send(alice.LoginContinue(wire.VersionPresence, alice.Pres(), other, PlainBody(acct.User, acct.Password)))
	if h.Accept(alice.Next(), lmRefusedLogin()...) == "D44: 400 Bad Request" {
		lmNotAuthenticated(h, alice, alice.Pres())
	}
})

func lmContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/12", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "After 406 to an initial LOGIN (no acceptable mechanism) the server terminates the connection.",
	Statements:  []string{"PRIM-A10.3.1-11", "PRIM-A10.3.1-5"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	resp := alice.Call(alice.LoginInit(wire.VersionPresence, "X-PRIMLAB-NOMECH"))
	if resp.Code != wire.StatusAuthFailed {
		h.NotApplicable("the unknown mechanism was not refused with 406 (answered %d %s); prim/server/18/2 judges that", resp.Code, resp.Phrase)
	}
	alice.ExpectClosed()
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/13", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "No client is forced into one security mechanism: a UA authenticated with CRAM-MD5 and one authenticated with PLAIN exchange IMs through the same server.",
	Statements:  []string{"PRIM-A12.1-2", "PRIM-A12.1-3", "PRIM-A12.1-16"},
	RFC2779:     []string{"2.5.4"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	resp := alice.Call(alice.LoginInit(wire.VersionIM, "CRAM-MD5"))
	if resp.Code != wire.StatusAuthContinued || !lmContains(mechList(resp.Value("SASL-Mech")), "CRAM-MD5") {
		h.NotApplicable("CRAM-MD5 is not offered (RECOMMENDED, PRIM-A12.1-3): LOGIN answered %d %s, SASL-Mech %q", resp.Code, resp.Phrase, resp.Value("SASL-Mech"))
	}
	acct := alice.Account()
	mac := hmac.New(md5.New, []byte(acct.Password))
	mac.Write(resp.Body)
	alice.Call(alice.LoginContinue(wire.VersionIM, alice.IM(), "CRAM-MD5", []byte(acct.User+"\r\n"+hex.EncodeToString(mac.Sum(nil)))),
		HaveCode(wire.StatusOK))
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	req := cxSend(h, alice.IM(), bob.IM(), "from a CRAM-MD5 client to a PLAIN client")
	alice.Send(req)
	got := cxAwaitSend(h, bob, req.Value("Message-ID"))
	Expect(got).NotTo(BeNil(), "the SEND was not delivered")
	bob.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/14", Section: "10.3.1", Level: reports.LevelMay,
	Requirement: "A presentity may admit unauthenticated watchers: where SASL ANONYMOUS is offered, an anonymous UA may subscribe to a presentity whose ACL allows everybody.",
	Statements:  []string{"PRIM-A12.1-4", "PRIM-A13.2.1-4"},
	RFC2779:     []string{"5.1.3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	anon := h.Peer("anonymous")
	from := "pres:anonymous@" + h.Domain()
	init := h.Request("LOGIN", "From", from, "Auth-State", "init", "SASL-Mech", "ANONYMOUS")
	resp := anon.Call(init)
	if resp.Code == wire.StatusAuthContinued {
		cont := h.Request("LOGIN", "From", from, "Auth-State", "continue", "SASL-Mech", "ANONYMOUS", "Content-Type", "text/plain")
		cont.Body = []byte("primlab")
		resp = anon.Call(cont)
	}
	if resp.Code != wire.StatusOK {
		h.NotApplicable("anonymous access is not offered (SASL ANONYMOUS, PRIM-A12.1-4 MAY): LOGIN answered %d %s", resp.Code, resp.Phrase)
	}
	anon.Call(h.Request("SUBSCRIBE", "From", from, "To", alice.Pres(), "Duration", "600"),
		HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
})

// ---- §12.2 server-server authentication, as the client listener and the target's own
// outgoing connections show it ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/12.2/1", Section: "12.2", Level: reports.LevelMust,
	Requirement: "A server-server LOGIN (Domain header) sent to the client listener with a wrong secret never authenticates.",
	Statements:  []string{"PRIM-A12.2-8", "PRIM-A12.2-1", "PRIM-A10.3.1-5"},
	RFC2779:     []string{"5.4.3", "5.2.4"},
}), func(h *H) {
	p := h.Peer("impostor")
	init := h.Request("LOGIN", "Domain", h.PeerDomain(), "Auth-State", "init", "SASL-Mech", "PLAIN")
	init.Version = wire.VersionServer
	resp := p.Call(init)
	if resp.Code == wire.StatusAuthContinued {
		cont := h.Request("LOGIN", "Domain", h.PeerDomain(), "Auth-State", "continue", "SASL-Mech", "PLAIN", "Content-Type", "text/plain")
		cont.Version = wire.VersionServer
		cont.Body = PlainBody(h.PeerDomain(), "wrong-"+h.PeerSecret())
		p.Send(cont)
		h.Accept(p.Next(), lmRefusedLogin()...)
		return
	}
	h.Accept(resp,
		OneOf("D1: 503 Version Not Supported (PRIM/1.0 on the client listener)", HaveCode(wire.StatusVersionNotSupported)),
		OneOf("406 Authentication Failed", HaveCode(wire.StatusAuthFailed)),
		OneOf("400 Bad Request (no From)", HaveCode(wire.StatusBadRequest)),
		OneOf("501 Not Implemented", HaveCode(wire.StatusNotImplemented)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/12.2/2", Section: "12.2", Level: reports.LevelMust,
	Requirement: "A UA cannot turn its client connection into a server link: after a UA LOGIN that also carries a Domain header, a SEND in the name of that domain's user is refused and not delivered.",
	Statements:  []string{"PRIM-A12.2-8", "PRIM-A4.1-2"},
	RFC2779:     []string{"5.4.3"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bob)
	alice := h.Peer("alice").WithAccount("alice")
	init := alice.LoginInit(wire.VersionIM, "PLAIN")
	init.Add("Domain", h.PeerDomain())
	if resp := alice.Call(init); resp.Code == wire.StatusAuthContinued {
		acct := alice.Account()
		cont := alice.LoginContinue(wire.VersionIM, alice.IM(), "PLAIN", PlainBody(acct.User, acct.Password))
		cont.Add("Domain", h.PeerDomain())
		if r := alice.Call(cont); r.Code != wire.StatusOK {
			h.Accept(r, OneOf("LOGIN with a Domain header refused", HaveErrorCode()))
			return
		}
	} else if resp.Code != wire.StatusOK {
		h.Accept(resp, OneOf("LOGIN with a Domain header refused", HaveErrorCode()))
		return
	}
	req := cxSend(h, h.PeerIM("eve"), bob.IM(), "forged remote sender")
	resp := alice.Call(req, HaveErrorCode())
	h.Accept(resp, OneOf("D37: 402 Forbidden", HaveCode(wire.StatusForbidden)), OneOf("another error", HaveErrorCode()))
	imNone(h, bob, req.Value("Message-ID"), "alice is not a server of "+h.PeerDomain())
})

// lmTargetLogin makes the target open a server-server connection to the suite's peer domain
// (alice sends an IM there) and returns the target's LOGIN requests on it, in order, and
// whether STARTTLS came first.
func lmTargetLogin(h *H) (logins []*wire.Message, tls bool) {
	h.FreshInbound() // against an external target, a connection kept from an earlier case would be reused
	alice := h.LoggedIn("alice", wire.VersionIM)
	req := cxSend(h, alice.IM(), h.PeerIM("eve"), "open a server-server connection", "Date", "Mon, 26 Feb 2001 09:52:08 +0900")
	alice.Send(req)
	got, on := h.ExpectS2SRequest("SEND", nil)
	on.Respond(got, wire.StatusOK)
	if !lmContains(inboundNames(h), on.Name()) {
		h.NotApplicable("the target reused the suite's server-server connection; its own LOGIN was not observed")
	}
	msgs := cxInbound(h, on.Name())
	for i, m := range msgs {
		if m.IsRequest() && m.Method == "STARTTLS" && i == 0 {
			tls = true
		}
		if m.IsRequest() && m.Method == "LOGIN" {
			logins = append(logins, m)
		}
	}
	if len(msgs) == 0 {
		h.Failf("nothing decoded from the target's connection %s", on.Name())
	}
	// PRIM-A10.3.1-3: LOGIN (after an optional STARTTLS) comes before any presence or IM command.
	for _, m := range msgs {
		if !m.IsRequest() || m.Method == "STARTTLS" {
			continue
		}
		Expect(m.Method).To(Equal("LOGIN"), "the first command on the target's server-server connection (PRIM-A10.3.1-3)")
		break
	}
	return logins, tls
}

func inboundNames(h *H) []string {
	var out []string
	for _, p := range h.Inbound() {
		out = append(out, p.Name())
	}
	return out
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/12.2/3", Section: "12.2", Level: reports.LevelMust,
	Requirement: "The server initiating a server-server connection issues LOGIN before any presence or IM command, presenting its domain in the Domain header.",
	Statements:  []string{"PRIM-A10.3.1-3", "PRIM-A10.3.1-4", "PRIM-A12.2-1"},
	RFC2779:     []string{"5.4.3"},
}), func(h *H) {
	cxNeedsPeerListener(h)
	logins, _ := lmTargetLogin(h)
	Expect(logins).NotTo(BeEmpty(), "no LOGIN on the target's server-server connection")
	for _, l := range logins {
		Expect(l).To(HaveHeader("Domain", h.Domain()))
		Expect(l).To(HaveHeader("Auth-State"))
		Expect(l).To(HaveHeader("SASL-Mech"))
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/12.2/4", Section: "12.2", Level: reports.LevelMust,
	Requirement: "Without TLS but with a shared secret, the server's server-server LOGIN uses a secret-based mechanism (not ANONYMOUS, not EXTERNAL) and proves the secret.",
	Statements:  []string{"PRIM-A12.2-4", "PRIM-A12.2-5", "PRIM-A12.2-3"},
	RFC2779:     []string{"5.4.3"},
	Decisions:   []string{"D10"},
}), func(h *H) {
	cxNeedsPeerListener(h)
	logins, tls := lmTargetLogin(h)
	if tls {
		h.NotApplicable("the target started TLS first: EXTERNAL applies (PRIM-A12.2-3)")
	}
	Expect(len(logins)).To(BeNumerically(">=", 1), "no LOGIN on the target's server-server connection")
	mechs := mechList(logins[0].Value("SASL-Mech"))
	Expect(mechs).NotTo(BeEmpty())
	Expect(mechs[0]).NotTo(BeElementOf("ANONYMOUS", "EXTERNAL"), "the preferred mechanism with a shared secret and no TLS")
	last := logins[len(logins)-1]
	mech := last.Value("SASL-Mech")
	switch mech {
	case "PLAIN":
		Expect(last).To(HaveBody(PlainBody(h.Domain(), h.PeerSecret())), "PLAIN data: domain CRLF shared secret")
		h.Saw("PLAIN with the shared secret")
	case "CRAM-MD5":
		mac := hmac.New(md5.New, []byte(h.PeerSecret()))
		mac.Write([]byte("<4711.1@" + h.PeerDomain() + ">"))
		Expect(last).To(HaveBody([]byte(h.Domain()+"\r\n"+hex.EncodeToString(mac.Sum(nil)))), "CRAM-MD5 data: domain CRLF hex digest of the challenge")
		h.Saw("CRAM-MD5 with the shared secret")
	default:
		h.Saw("mechanism %q (data not checked)", mech)
	}
})

// ---- §10.3.5 VERIFYSERVER and §9.1.6 Server-Address ----

const lmForeignAddress = "192.0.2.77" // TEST-NET-1: never one of the target's servers

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.5/1", Section: "10.3.5", Level: reports.LevelShould,
	Requirement: "VERIFYSERVER is server-to-server only: from an authenticated UA on the client link it is refused, not answered as a membership check.",
	Statements:  []string{"PRIM-A8.4-2", "PRIM-A8.4-1"},
	Decisions:   []string{"D41"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	h.Accept(alice.Call(h.Request("VERIFYSERVER", "Server-Address", lmForeignAddress)),
		OneOf("501 Not Implemented", HaveCode(wire.StatusNotImplemented)),
		OneOf("402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("400 Bad Request", HaveCode(wire.StatusBadRequest)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.5/2", Section: "10.3.5", Level: reports.LevelMust,
	Requirement: "VERIFYSERVER on the client link before LOGIN never confirms an address: it is answered 401 or refused.",
	Statements:  []string{"PRIM-A8.4-2", "PRIM-A10.3.1-7"},
}), func(h *H) {
	p := h.Peer("stranger")
	h.Accept(p.Call(h.Request("VERIFYSERVER", "Server-Address", lmForeignAddress), HaveNoBody()),
		OneOf("401 Unauthorized", HaveCode(wire.StatusUnauthorized)),
		OneOf("501 Not Implemented", HaveCode(wire.StatusNotImplemented)),
		OneOf("400 Bad Request", HaveCode(wire.StatusBadRequest)),
		OneOf("402 Forbidden", HaveCode(wire.StatusForbidden)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.5/3", Section: "10.3.5", Level: reports.LevelMust,
	Requirement: "VERIFYSERVER may come on a fresh server-server connection without LOGIN: an address that is not one of the domain's servers is answered 403 without a body.",
	Statements:  []string{"PRIM-A10.3.5-2", "PRIM-A10.3.5-3", "PRIM-A10.3.5-1"},
	Decisions:   []string{"D41"},
}), func(h *H) {
	p := h.S2SPeer("verifier")
	p.Call(p.Request("VERIFYSERVER", "Server-Address", lmForeignAddress), HaveCode(wire.StatusResourceNotFound), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.5/4", Section: "10.3.5", Level: reports.LevelMust,
	Requirement: "VERIFYSERVER after a server-server LOGIN is answered the same way: 403 without a body for a foreign address.",
	Statements:  []string{"PRIM-A10.3.5-3"},
	Decisions:   []string{"D41"},
}), func(h *H) {
	p := h.S2SLoggedIn("remote")
	p.Call(p.Request("VERIFYSERVER", "Server-Address", lmForeignAddress), HaveCode(wire.StatusResourceNotFound), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.1.6/1", Section: "9.1.6", Level: reports.LevelShould,
	Requirement: "The VERIFYSERVER response carries the Server-Address it answers for, as received.",
	Statements:  []string{"PRIM-A9.1.6-1", "PRIM-A10.3.5-3"},
}), func(h *H) {
	p := h.S2SPeer("verifier")
	p.Call(p.Request("VERIFYSERVER", "Server-Address", lmForeignAddress), HaveHeader("Server-Address", lmForeignAddress))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.1.6/2", Section: "9.1.6", Level: reports.LevelShould,
	Requirement: "Server-Address in the grammar's \"::a.b.c.d\" form is accepted like the plain dotted quad (403 for a foreign address, not 400).",
	Statements:  []string{"PRIM-A9.1.6-1", "PRIM-A10.3.5-3"},
	Decisions:   []string{"D16"},
}), func(h *H) {
	p := h.S2SPeer("verifier")
	p.Call(p.Request("VERIFYSERVER", "Server-Address", "::"+lmForeignAddress), HaveCode(wire.StatusResourceNotFound), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.1.6/3", Section: "9.1.6", Level: reports.LevelShould,
	Requirement: "VERIFYSERVER without Server-Address, or with a value that is not an IP address, is answered 400 Bad Request.",
	Statements:  []string{"PRIM-A9.1.6-1"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	p := h.S2SPeer("verifier")
	p.Call(p.Request("VERIFYSERVER"), HaveCode(wire.StatusBadRequest), HaveNoBody())
	p.Call(p.Request("VERIFYSERVER", "Server-Address", "not-an-address"), HaveCode(wire.StatusBadRequest), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/15", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "An initial LOGIN listing an unknown mechanism before PLAIN proceeds: the 100 names a mechanism from the list that the server selected.",
	Statements:  []string{"PRIM-A12.1-7", "PRIM-A9.1.4-2", "PRIM-A12.1-5"},
	Decisions:   []string{"D10"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	resp := alice.Call(alice.LoginInit(wire.VersionPresence, "X-PRIMLAB-NOMECH PLAIN"), HaveCode(wire.StatusAuthContinued))
	mechs := mechList(resp.Value("SASL-Mech"))
	Expect(mechs).NotTo(BeEmpty(), "the 100 names no mechanism")
	Expect(mechs).To(ContainElement("PLAIN"))
	Expect(mechs).NotTo(ContainElement("X-PRIMLAB-NOMECH"))
	acct := alice.Account()
	alice.Call(alice.LoginContinue(wire.VersionPresence, alice.Pres(), "PLAIN", PlainBody(acct.User, acct.Password)), HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/16", Section: "10.3.1", Level: reports.LevelMay,
	Requirement: "A principal already logged in on another connection may log in again (several UAs) or be refused with 409 Already Authenticated.",
	Statements:  []string{"PRIM-A12.1-13", "PRIM-A10.3.1-12"},
	Decisions:   []string{"D13"},
}), func(h *H) {
	h.LoggedIn("alice")
	second := h.Peer("alice").WithAccount("alice")
	switch h.Accept(cxLogin(h, second, wire.VersionPresence),
		OneOf("D13: a second UA of the same principal is admitted (200)", HaveCode(wire.StatusOK)),
		OneOf("PRIM-A12.1-13: 409 Already Authenticated", HaveCode(wire.StatusAlreadyAuthenticated))) {
	case "D13: a second UA of the same principal is admitted (200)":
		second.Call(h.Request("FETCH", "From", second.Pres(), "To", second.Pres()), HaveCode(wire.StatusOK))
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.1/17", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "A 409 to a repeated LOGIN leaves the session as it was: the connection stays authenticated and is served.",
	Statements:  []string{"PRIM-A10.3.1-12"},
	Decisions:   []string{"D33"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	alice.Call(alice.LoginInit(wire.VersionPresence, "PLAIN"), HaveCode(wire.StatusAlreadyAuthenticated))
	alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres()), HaveCode(wire.StatusOK))
})
