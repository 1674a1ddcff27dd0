package server

import (
	"strings"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// Security on the client link (prim-digest §7): STARTTLS (§10.3.2), the binding of a
// connection to its authenticated principal (§4.1, §12.1), AStrength on the commands the
// server passes on (§9.1.7) and the privacy properties of server-relayed IM (§17; RFC 2779
// §5.4). Decisions D32, D37, D42, D44.
//
// The suite speaks PRIM in the clear and authenticates with PLAIN, so every connection it
// opens has at most the strength "weak" (a clear-text pass phrase, I2 §9.1.7); a server must
// not pass a stronger AStrength on for commands received over it (PRIM-A9.1.7-4).

// astrengthRank orders the AStrength values, weakest first (I2 §9.1.7).
var astrengthRank = map[string]int{"none": 0, "weak": 1, "medium": 2, "strong": 3}

// judgeAStrength checks the AStrength of a command the target passed on, given the strongest
// value it may carry. An absent header is accepted (it is optional towards a UA, and may be
// left out between servers that know each other, PRIM-S6.1.8-2) and recorded.
func judgeAStrength(h *H, m *wire.Message, atMost string) {
	ginkgo.GinkgoHelper()
	v, ok := m.Get("AStrength")
	if !ok {
		h.Saw("no AStrength on the %s passed on", m.Method)
		return
	}
	r, known := astrengthRank[v]
	Expect(known).To(BeTrue(), "AStrength %q is not one of strong, medium, weak, none", v)
	Expect(r).To(BeNumerically("<=", astrengthRank[atMost]),
		"AStrength %q is stronger than %q, the weakest strength on the way (PRIM-A9.1.7-4)", v, atMost)
	Expect(m.Count("AStrength")).To(Equal(1), "one AStrength header on the %s passed on", m.Method)
	h.Saw("AStrength: %s", v)
}

// relayedToBob sends alice's IM (with extra headers) to bob's listening inbox and returns the
// copy bob got; the round trip must succeed (a relay never rejects the response for
// insufficient strength, PRIM-A9.1.7-6).
func relayedToBob(h *H, extra ...string) *wire.Message {
	ginkgo.GinkgoHelper()
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	return imRoundTrip(h, alice, bob, imMsg(h, alice.IM(), bob.IM(), imText("strength check"), extra...))
}

// ---- §10.3.2 STARTTLS (numbered from 11: 1-10 belong to login.go) ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.2/11", Section: "10.3.2", Level: reports.LevelMust,
	Requirement: "STARTTLS may carry either service's version: with PRIM-IM/1.0 before LOGIN it is answered 200 or 501 without a body, never 401.",
	Statements:  []string{"PRIM-A4.3-4", "PRIM-A10.3.2-2", "PRIM-A10.3.2-5", "PRIM-A10.3.1-7"},
	Decisions:   []string{"D32"},
}), func(h *H) {
	p := h.Peer("alice")
	req := h.Request("STARTTLS")
	req.Version = wire.VersionIM
	resp := p.Call(req, HaveNoBody())
	h.Accept(resp,
		OneOf("TLS offered: 200", HaveCode(wire.StatusOK)),
		OneOf("no TLS: 501 Not Implemented", HaveCode(wire.StatusNotImplemented)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.2/12", Section: "10.3.2", Level: reports.LevelShould,
	Requirement: "A STARTTLS carrying a body is malformed: it is refused (400, or 501 without TLS) and TLS does not start.",
	Statements:  []string{"PRIM-A10.3.2-5", "PRIM-A9.2.1-1"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	p := h.Peer("alice")
	req := h.Request("STARTTLS", "Content-Type", "text/plain")
	req.Body = []byte("no body allowed")
	resp := p.Call(req, HaveNoBody())
	h.Accept(resp,
		OneOf("D44: 400 Bad Request", HaveCode(wire.StatusBadRequest)),
		OneOf("no TLS: 501 Not Implemented", HaveCode(wire.StatusNotImplemented)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.2/13", Section: "10.3.2", Level: reports.LevelShould,
	Requirement: "After its 200 to STARTTLS the server sends nothing more in the clear: it waits for the TLS handshake.",
	Statements:  []string{"PRIM-A10.3.2-6", "PRIM-A10.3.2-1"},
	Decisions:   []string{"D32"},
}), func(h *H) {
	p := h.Peer("alice")
	resp := p.Call(h.Request("STARTTLS"))
	if resp.Code != wire.StatusOK {
		h.NotApplicable("the target does not offer TLS: STARTTLS answered %d %s", resp.Code, resp.Phrase)
	}
	h.Step("send a PRIM request in the clear where the TLS ClientHello belongs")
	p.Send(h.Request("GETACL", "From", h.Pres("alice")))
	ev := p.NextWithin(h.Quiet())
	Expect(ev.Msg).To(BeNil(), "a PRIM answer in the clear after 200 to STARTTLS: %s", ev)
})

// ---- §12.1 binding a connection to its principal (numbered from 11: 1-10 belong to login.go) ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/12.1/11", Section: "12.1", Level: reports.LevelMust,
	Requirement: "A SEND on a connection that has not authenticated is answered 401 and not delivered, whatever its From claims.",
	Statements:  []string{"PRIM-A10.3.1-7", "PRIM-A4.1-1", "PRIM-A12-1"},
	RFC2779:     []string{"5.4.3"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	anon := h.Peer("mallory")
	req := imMsg(h, h.IM("alice"), bob.IM(), imText("unauthenticated"))
	anon.Call(req, HaveCode(wire.StatusUnauthorized))
	imNone(h, bob, req.Value("Message-ID"), "the sender never authenticated")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/12.1/12", Section: "12.1", Level: reports.LevelMust,
	Requirement: "A LISTEN on a connection that has not authenticated is answered 401 and that connection receives none of the inbox's IMs.",
	Statements:  []string{"PRIM-A10.3.1-7", "PRIM-A4.1-1", "PRIM-A12-1"},
	RFC2779:     []string{"2.3.6"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	anon := h.Peer("mallory")
	anon.Call(anon.Request("LISTEN", "From", bob.IM()), HaveCode(wire.StatusUnauthorized))
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("not for eavesdroppers"))
	imRoundTrip(h, alice, bob, req)
	imNone(h, anon, req.Value("Message-ID"), "that connection never authenticated")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/12.1/13", Section: "12.1", Level: reports.LevelMust,
	Requirement: "Authentication is per connection: a second connection of an authenticated principal gets 401 until it logs in itself.",
	Statements:  []string{"PRIM-A12-1", "PRIM-A10.3.1-7", "PRIM-A4.1-1"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	second := h.Peer("alice").WithAccount("alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("from alice's second connection"))
	second.Call(req, HaveCode(wire.StatusUnauthorized))
	imNone(h, bob, req.Value("Message-ID"), "the second connection never authenticated")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/12.1/14", Section: "12.1", Level: reports.LevelMust,
	Requirement: "An authenticated connection cannot be re-bound to another principal: a LOGIN as bob after alice's LOGIN does not succeed, and the connection still may not act for bob.",
	Statements:  []string{"PRIM-A10.3.1-12", "PRIM-A4.1-2", "PRIM-A12.1-13"},
	RFC2779:     []string{"5.4.3"},
	Decisions:   []string{"D33", "D37"},
}), func(h *H) {
	carol := listeningInbox(h, "carol")
	alice := imUser(h, "alice")
	bobAcct := h.Account("bob")
	init := alice.Request("LOGIN", "From", h.IM(bobAcct.User), "Auth-State", "init", "SASL-Mech", "PLAIN")
	init.Version = wire.VersionIM
	resp := alice.Call(init)
	if resp.Code == wire.StatusAuthContinued {
		cont := alice.LoginContinue(wire.VersionIM, h.IM(bobAcct.User), "PLAIN", PlainBody(bobAcct.User, bobAcct.Password))
		resp = alice.Call(cont)
	}
	h.Accept(resp,
		OneOf("409 Already Authenticated", HaveCode(wire.StatusAlreadyAuthenticated)),
		OneOf("406 Authentication Failed", HaveCode(wire.StatusAuthFailed)),
		OneOf("another refusal", HaveErrorCode()))
	if resp.Code == wire.StatusAuthFailed {
		return // the connection is dropped after 406 (PRIM-A10.3.1-11): it acts for nobody
	}
	req := imMsg(h, h.IM(bobAcct.User), carol.IM(), imText("am I bob now?"))
	resp = alice.Call(req, HaveNoBody())
	h.Accept(resp,
		OneOf("D37: 402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("another error response", HaveErrorCode()))
	imNone(h, carol, req.Value("Message-ID"), "the connection is alice's, not bob's")
})

// ---- §4.1 requests must pertain to the connection's principal (numbered from 11: 1-10
// belong to presence.go) ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4.1/11", Section: "4.1", Level: reports.LevelMust,
	Requirement: "A UA cannot send an IM in the name of a user of another domain: SEND with such a From is refused (402 per D37) and not delivered.",
	Statements:  []string{"PRIM-A4.1-2", "PRIM-A12-1"},
	RFC2779:     []string{"5.4.3", "5.1.12"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, h.PeerIM(alice.Account().User), bob.IM(), imText("I am alice from elsewhere"))
	resp := alice.Call(req, HaveNoBody())
	h.Accept(resp,
		OneOf("D37: 402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("another error response", HaveErrorCode()))
	imNone(h, bob, req.Value("Message-ID"), "the From does not pertain to the connection's principal")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4.1/12", Section: "4.1", Level: reports.LevelMust,
	Requirement: "Identifiers compare case-insensitively: a SEND whose From is the principal's own im: id in upper case is accepted and delivered with that From unchanged.",
	Statements:  []string{"PRIM-A4.1-2", "PRIM-A7.1-3", "PRIM-A15-6"},
	Decisions:   []string{"D38", "D17"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	from := "im:" + strings.ToUpper(strings.TrimPrefix(alice.IM(), "im:"))
	got := imRoundTrip(h, alice, bob, imMsg(h, from, bob.IM(), imText("shouting my name")))
	Expect(got).To(HaveHeader("From", from))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4.1/13", Section: "4.1", Level: reports.LevelMust,
	Requirement: "A SEND without From is refused (400 per D44, or 402) and not delivered: the server cannot check that it pertains to the principal.",
	Statements:  []string{"PRIM-A4.1-2", "PRIM-A10.2.1-1"},
	Decisions:   []string{"D44", "D37"},
}), func(h *H) { sendMissing(h, "From") })

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4.1/14", Section: "4.1", Level: reports.LevelMust,
	Requirement: "A UA cannot change another principal's ACL or read it: SETACL and GETACL on bob's presentity from alice's connection get 402 without a body.",
	Statements:  []string{"PRIM-A4.1-2", "PRIM-A11.3.1-3", "PRIM-A11.3.2-1"},
	RFC2779:     []string{"2.3.1", "5.1.12"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	bob := h.LoggedIn("bob")
	setPresenceACL(h, bob, [2]string{".", ""})
	alice := h.LoggedIn("alice")
	alice.Call(setACLReq(h, bob.Pres(), aclXML([2]string{".", "fetch subscribe"})), HaveCode(wire.StatusForbidden), HaveNoBody())
	alice.Call(getACLReq(h, bob.Pres()), HaveCode(wire.StatusForbidden), HaveNoBody())
	Expect(fetchAs(h, alice, bob.Pres())).To(SatisfyAll(HaveCode(wire.StatusForbidden), HaveNoBody()))
})

// ---- §17 security considerations: privacy of server-relayed IM ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/17/1", Section: "17", Level: reports.LevelMust,
	Requirement: "IM is relayed by the server: neither the copy the recipient gets nor the sender's response carries an IP address.",
	Statements:  []string{"PRIM-A3-1", "PRIM-A12-1"},
	RFC2779:     []string{"5.4.5"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("where am I?"))
	alice.Send(req)
	got := imAwait(h, bob, req.Value("Message-ID"))
	Expect(ipLiterals(got)).To(BeEmpty(), "IP addresses in the SEND bob received")
	bob.Respond(got, wire.StatusOK)
	resp := alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
	Expect(ipLiterals(resp)).To(BeEmpty(), "IP addresses in the response alice received")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/17/2", Section: "17", Level: reports.LevelMust,
	Requirement: "A SEND relayed to another domain carries no IP address of the sender.",
	Statements:  []string{"PRIM-A3-1", "PRIM-A15-5"},
	RFC2779:     []string{"5.4.5", "2.4.3"},
}), func(h *H) {
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), h.PeerIM("eve"), imText("hide my address"), "Date", "Mon, 26 Feb 2001 09:52:08 +0900")
	alice.Send(req)
	got, on := h.ExpectS2SRequest("SEND", nil)
	Expect(ipLiterals(got)).To(BeEmpty(), "IP addresses in the SEND relayed to the peer domain")
	on.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/17/3", Section: "17", Level: reports.LevelMust,
	Requirement: "A peer server cannot send IMs in the name of the target's own users: a SEND over a server-server connection with a local From is refused and not delivered.",
	Statements:  []string{"PRIM-A4.2-3", "PRIM-A12.2-8"},
	RFC2779:     []string{"5.4.3"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	remote := h.S2SLoggedIn("remote")
	req := remote.Request("SEND", "From", h.IM("alice"), "To", bob.IM(), "Message-ID", h.Unique("msg"),
		"Conversation-ID", h.Unique("conv"), "Date", "Mon, 26 Feb 2001 09:52:08 +0900", "Content-Type", "text/plain; charset=UTF-8")
	req.Body = imText("forged by a peer domain")
	remote.Send(req)
	imNone(h, bob, req.Value("Message-ID"), "the peer domain is not verified for the From's domain")
	resp := remote.ExpectResponse(req.ID, HaveNoBody())
	h.Accept(resp,
		OneOf("D37: 402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("another error response", HaveErrorCode()))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/17/4", Section: "17", Level: reports.LevelMust,
	Requirement: "A peer server cannot send IMs for a third domain it was not verified for: such a SEND is refused and not delivered.",
	Statements:  []string{"PRIM-A4.2-3", "PRIM-A12.2-8"},
	RFC2779:     []string{"5.4.3"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	remote := h.S2SLoggedIn("remote")
	req := remote.Request("SEND", "From", "im:mallory@third.example", "To", bob.IM(), "Message-ID", h.Unique("msg"),
		"Conversation-ID", h.Unique("conv"), "Date", "Mon, 26 Feb 2001 09:52:08 +0900", "Content-Type", "text/plain; charset=UTF-8")
	req.Body = imText("from a domain the peer does not serve")
	remote.Send(req)
	imNone(h, bob, req.Value("Message-ID"), "the peer is not verified for third.example")
	resp := remote.ExpectResponse(req.ID, HaveNoBody())
	h.Accept(resp,
		OneOf("D37: 402 Forbidden", HaveCode(wire.StatusForbidden)),
		OneOf("another error response", HaveErrorCode()))
})

// ---- §9.1.7 AStrength on what the server passes on ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.1.7/1", Section: "9.1.7", Level: reports.LevelShould,
	Requirement: "The server tells the recipient's UA how strongly the sender was authenticated: the SEND it passes on carries AStrength.",
	Statements:  []string{"PRIM-A9.1.7-1", "PRIM-A9.1.7-3"},
	RFC2779:     []string{"5.4.3"},
	Decisions:   []string{"D42", "D17"},
}), func(h *H) {
	got := relayedToBob(h)
	Expect(got).To(HaveHeader("AStrength"))
	judgeAStrength(h, got, "strong")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.1.7/2", Section: "9.1.7", Level: reports.LevelMust,
	Requirement: "The AStrength passed on for an IM from a UA authenticated with a clear-text pass phrase is at most weak, and the recipient's response is relayed, not rejected.",
	Statements:  []string{"PRIM-A9.1.7-3", "PRIM-A9.1.7-4", "PRIM-A9.1.7-6"},
	RFC2779:     []string{"5.4.3"},
	Decisions:   []string{"D42"},
}), func(h *H) {
	judgeAStrength(h, relayedToBob(h), "weak")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.1.7/3", Section: "9.1.7", Level: reports.LevelMust,
	Requirement: "A UA cannot raise its own authentication strength: \"AStrength: strong\" from a weak connection is passed on as weak or none.",
	Statements:  []string{"PRIM-A9.1.7-4", "PRIM-A9.1.7-3"},
	RFC2779:     []string{"5.4.3"},
	Decisions:   []string{"D17", "D42"},
}), func(h *H) {
	judgeAStrength(h, relayedToBob(h, "AStrength", "strong"), "weak")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.1.7/4", Section: "9.1.7", Level: reports.LevelMust,
	Requirement: "The weaker value wins: an IM that arrives with \"AStrength: none\" is passed on with none.",
	Statements:  []string{"PRIM-A9.1.7-4"},
	Decisions:   []string{"D17"},
}), func(h *H) {
	judgeAStrength(h, relayedToBob(h, "AStrength", "none"), "none")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.1.7/5", Section: "9.1.7", Level: reports.LevelMust,
	Requirement: "An AStrength value outside the grammar is either refused (400) or counts as none; it is never passed on as received.",
	Statements:  []string{"PRIM-A9.1.7-4", "PRIM-A9.1.7-2"},
	Decisions:   []string{"D44", "D17"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("ultra strong"), "AStrength", "ultra")
	alice.Send(req)
	if got := imNext(h, bob, req.Value("Message-ID"), h.Quiet()); got != nil {
		h.Saw("delivered")
		judgeAStrength(h, got, "none")
		bob.Respond(got, wire.StatusOK)
		alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
		return
	}
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusBadRequest), HaveNoBody())
	h.Saw("D44: 400 Bad Request")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.1.7/6", Section: "9.1.7", Level: reports.LevelMust,
	Requirement: "A SEND relayed to another domain carries AStrength (unless omitted by out-of-band agreement) no stronger than the sender's weak authentication.",
	Statements:  []string{"PRIM-A9.1.7-1", "PRIM-A9.1.7-4", "PRIM-S6.1.8-1", "PRIM-S6.1.8-2"},
	RFC2779:     []string{"5.4.3", "2.4.3"},
	Decisions:   []string{"D17", "D42"},
}), func(h *H) {
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), h.PeerIM("eve"), imText("strength across domains"), "Date", "Mon, 26 Feb 2001 09:52:08 +0900",
		"AStrength", "strong")
	alice.Send(req)
	got, on := h.ExpectS2SRequest("SEND", nil)
	judgeAStrength(h, got, "weak")
	on.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
})

// remoteIMToBob sends an IM from eve at the peer domain over a PLAIN-authenticated
// server-server connection (a clear-text shared secret: weak) to bob's listening inbox and
// returns bob's copy.
func remoteIMToBob(h *H, extra ...string) *wire.Message {
	ginkgo.GinkgoHelper()
	bob := listeningInbox(h, "bob")
	remote := h.S2SLoggedIn("remote")
	hs := []string{"From", h.PeerIM("eve"), "To", bob.IM(), "Message-ID", h.Unique("msg"), "Conversation-ID", h.Unique("conv"),
		"Date", "Mon, 26 Feb 2001 09:52:08 +0900", "Content-Type", "text/plain; charset=UTF-8"}
	req := remote.Request("SEND", append(hs, extra...)...)
	req.Body = imText("remote strength check")
	remote.Send(req)
	got := imAwait(h, bob, req.Value("Message-ID"))
	bob.Respond(got, wire.StatusOK)
	remote.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
	return got
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.1.7/7", Section: "9.1.7", Level: reports.LevelMust,
	Requirement: "An IM received from a peer server with \"AStrength: strong\" over a weakly authenticated server-server connection reaches the UA with at most weak.",
	Statements:  []string{"PRIM-A9.1.7-4", "PRIM-S6.1.8-4"},
	RFC2779:     []string{"5.4.3"},
	Decisions:   []string{"D17", "D42"},
}), func(h *H) {
	judgeAStrength(h, remoteIMToBob(h, "AStrength", "strong"), "weak")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.1.7/8", Section: "9.1.7", Level: reports.LevelShould,
	Requirement: "An IM received from a peer server without AStrength counts as none: the UA's copy says none (or carries no AStrength).",
	Statements:  []string{"PRIM-A9.1.7-2", "PRIM-S6.1.8-3", "PRIM-A9.1.7-4"},
	Decisions:   []string{"D42"},
}), func(h *H) {
	judgeAStrength(h, remoteIMToBob(h), "none")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/17/5", Section: "17", Level: reports.LevelMust,
	Requirement: "Security means are offered, not imposed: a UA that never uses STARTTLS is served, and signed and unsigned IMs reach the same recipient alike.",
	Statements:  []string{"PRIM-A10.3.1-6", "PRIM-A10.3.2-2", "PRIM-A15-5", "PRIM-A16.2-4"},
	RFC2779:     []string{"2.5.4"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	signed, ct := signedCPIM(alice.IM(), bob.IM())
	imRoundTrip(h, alice, bob, imMsg(h, alice.IM(), bob.IM(), signed, "Content-Type", ct))
	imRoundTrip(h, alice, bob, imMsg(h, alice.IM(), bob.IM(), imText("unsigned, in the clear")))
})
