package s2s

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"slices"
	"strings"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// SS §7.3.1 LOGIN, §9 authentication between domains (prim-digest §6.4, §7.2; Decisions D10,
// D11, D21, D37).

// unauthenticated are the answers to a request on a server-server connection that has not
// authenticated: 401 (PRIM-S7.3.1-5), or 402 when the target's policy verifies domains per
// request and cannot verify this one (Decision D11, D37).
func unauthenticated() []Outcome {
	return []Outcome{
		OneOf("401 Unauthorized", HaveCode(wire.StatusUnauthorized)),
		OneOf("D11: 402 Forbidden (peer domain not verified)", HaveCode(wire.StatusForbidden)),
	}
}

// continuePlain builds the continuing PLAIN LOGIN of the peer domain with secret.
func continuePlain(h *H, p *Peer, secret string) *wire.Message {
	cont := p.Request("LOGIN", "Domain", h.PeerDomain(), "Auth-State", "continue", "SASL-Mech", "PLAIN", "Content-Type", "text/plain")
	cont.Body = PlainBody(h.PeerDomain(), secret)
	return cont
}

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.1/1", Section: "7.3.1", Level: reports.LevelMust,
	Requirement: "A presence request from a peer server that has not authenticated is refused: 401 Unauthorized (or 402 when the server's policy cannot verify the peer's domain).",
	Statements:  []string{"PRIM-S7.3.1-5"},
	Decisions:   []string{"D11", "D37"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	alice := h.Account("alice")
	resp := peer.Call(h.Request("SUBSCRIBE", "From", h.PeerPres("watcher"), "To", h.Pres(alice.User),
		"Duration", "600", "Subscription-ID", "s1", "Date", ssDate))
	h.Accept(resp, unauthenticated()...)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.1/2", Section: "7.3.1", Level: reports.LevelMust,
	Requirement: "A failed server-server LOGIN is answered with an error and the connection is dropped.",
	Statements:  []string{"PRIM-S7.3.1-3", "PRIM-S7.3.1-8"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	resp := peer.Call(peer.S2SLoginInit("PLAIN"))
	if resp.Code == wire.StatusAuthContinued {
		resp = peer.Call(continuePlain(h, peer, "wrong-"+h.PeerSecret()))
	}
	Expect(resp).To(HaveErrorCode())
	peer.ExpectClosed()
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.1/3", Section: "7.3.1", Level: reports.LevelMust,
	Requirement: "A SEND from a peer server that has not authenticated is refused (401, or 402 per policy) and not delivered.",
	Statements:  []string{"PRIM-S7.3.1-5", "PRIM-S4.1-2"},
	RFC2779:     []string{"5.4.3"},
	Decisions:   []string{"D11", "D37"},
}), func(h *H) {
	bob := h.LoggedIn("bob", wire.VersionIM)
	bob.Call(bob.Request("LISTEN", "From", bob.IM()), HaveCode(wire.StatusOK))
	peer := h.S2SPeer("remote")
	send := peer.Request("SEND", "From", h.PeerIM("mallory"), "To", bob.IM(), "Message-ID", h.Unique("m"),
		"Conversation-ID", h.Unique("c"), "Date", ssDate, "Content-Type", "text/plain")
	send.Body = []byte("unauthenticated")
	h.Accept(peer.Call(send), unauthenticated()...)
	bob.ExpectNothing(0)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.1/4", Section: "7.3.1", Level: reports.LevelMust,
	Requirement: "A NOTIFY from a peer server that has not authenticated is refused (401, or 402 per policy).",
	Statements:  []string{"PRIM-S7.3.1-5"},
	RFC2779:     []string{"5.2.4"},
	Decisions:   []string{"D11", "D37"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SPeer("remote")
	buddy := h.PeerPres("buddy")
	n := peer.Request("NOTIFY", "From", buddy, "To", h.Pres(alice.User), "Subscription-ID", "s1", "Date", ssDate,
		"Content-Type", ctCPIMPIDF)
	n.Body = cpimPIDF(buddy, "t1", "open", h.PeerIM("buddy"))
	h.Accept(peer.Call(n), unauthenticated()...)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.1/5", Section: "7.3.1", Level: reports.LevelMust,
	Requirement: "An UNSUBSCRIBE from a peer server that has not authenticated is refused (401, or 402 per policy).",
	Statements:  []string{"PRIM-S7.3.1-5"},
	Decisions:   []string{"D11", "D37"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SPeer("remote")
	h.Accept(peer.Call(peer.Request("UNSUBSCRIBE", "From", h.PeerPres("watcher"), "To", h.Pres(alice.User))), unauthenticated()...)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.1/6", Section: "7.3.1", Level: reports.LevelMust,
	Requirement: "A server-server LOGIN without a Domain header does not authenticate: it is refused (an error, or the connection is dropped).",
	Statements:  []string{"PRIM-S7.3.1-2", "PRIM-S9.2-5"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	init := peer.Request("LOGIN", "Auth-State", "init", "SASL-Mech", "PLAIN")
	peer.Send(init)
	ev := responseOrEnd(peer, init.ID)
	if ev.Msg != nil && ev.Msg.Code == wire.StatusAuthContinued {
		cont := peer.Request("LOGIN", "Auth-State", "continue", "SASL-Mech", "PLAIN", "Content-Type", "text/plain")
		cont.Body = PlainBody(h.PeerDomain(), h.PeerSecret())
		peer.Send(cont)
		ev = responseOrEnd(peer, cont.ID)
	}
	h.Accept(ev, rejected()...)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.1/7", Section: "7.3.1", Level: reports.LevelMust,
	Requirement: "A server-server LOGIN whose Domain is not a valid domain name is refused.",
	Statements:  []string{"PRIM-S6.1.3-1", "PRIM-S7.3.1-3"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	init := peer.Request("LOGIN", "Domain", "not a domain!", "Auth-State", "init", "SASL-Mech", "PLAIN")
	peer.Send(init)
	ev := responseOrEnd(peer, init.ID)
	if ev.Msg != nil && ev.Msg.Code == wire.StatusAuthContinued {
		cont := peer.Request("LOGIN", "Domain", "not a domain!", "Auth-State", "continue", "SASL-Mech", "PLAIN", "Content-Type", "text/plain")
		cont.Body = PlainBody("not a domain!", h.PeerSecret())
		peer.Send(cont)
		ev = responseOrEnd(peer, cont.ID)
	}
	h.Accept(ev, rejected()...)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.1/8", Section: "7.3.1", Level: reports.LevelMust,
	Requirement: "A server claiming a domain the target cannot verify (ANONYMOUS for a .invalid domain) does not get to act for that domain: the LOGIN fails and the connection drops, or its later requests for that domain's users are refused.",
	Statements:  []string{"PRIM-S4.1-2", "PRIM-A12.2-8", "PRIM-S7.3.1-3"},
	RFC2779:     []string{"5.1.6", "5.1.12"},
	Decisions:   []string{"D11", "D37"},
}), func(h *H) {
	alice := h.Account("alice")
	const fake = "unverifiable.invalid"
	peer := h.S2SPeer("impostor")
	init := peer.Request("LOGIN", "Domain", fake, "Auth-State", "init", "SASL-Mech", "ANONYMOUS")
	peer.Send(init)
	ev := responseOrEnd(peer, init.ID)
	if ev.Msg != nil && ev.Msg.Code == wire.StatusAuthContinued {
		cont := peer.Request("LOGIN", "Domain", fake, "Auth-State", "continue", "SASL-Mech", ev.Msg.Value("SASL-Mech"),
			"Content-Type", "text/plain")
		cont.Body = []byte("postmaster@" + fake)
		peer.Send(cont)
		ev = responseOrEnd(peer, cont.ID)
	}
	if ev.Msg != nil && ev.Msg.Code == wire.StatusOK {
		h.Saw("the LOGIN was answered 200; the domain must still not be trusted")
		sub := peer.Request("SUBSCRIBE", "From", "pres:eve@"+fake, "To", h.Pres(alice.User), "Duration", "600",
			"Subscription-ID", "s1", "Date", ssDate)
		peer.Send(sub)
		ev = responseOrEnd(peer, sub.ID)
		h.Accept(ev, append(unauthenticated(), OneOf("connection closed", BeDisconnected()))...)
		return
	}
	h.Accept(ev, OneOf("the LOGIN failed", HaveErrorCode()), OneOf("connection closed", BeDisconnected()))
	if ev.Msg != nil {
		peer.ExpectClosed() // PRIM-S7.3.1-3: a failed authentication drops the connection
	}
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.1/9", Section: "7.3.1", Level: reports.LevelMust,
	Requirement: "A LOGIN aborted with Auth-State abort does not authenticate: it is refused (406 and the connection closes), or a later presence request on the connection is still refused.",
	Statements:  []string{"PRIM-S7.3.1-6", "PRIM-S7.3.1-5"},
	Decisions:   []string{"D10", "D11"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SPeer("remote")
	resp := peer.Call(peer.S2SLoginInit("PLAIN"))
	if resp.Code != wire.StatusAuthContinued {
		h.NotApplicable("the initial LOGIN was answered %d, not 100: no step to abort", resp.Code)
	}
	abort := peer.Request("LOGIN", "Domain", h.PeerDomain(), "Auth-State", "abort", "SASL-Mech", "PLAIN")
	peer.Send(abort)
	ev := responseOrEnd(peer, abort.ID)
	if ev.Msg != nil && !ev.Msg.IsRequest() && ev.Msg.Code < 400 {
		h.Saw("the abort was answered %d", ev.Msg.Code)
		sub := peer.Request("SUBSCRIBE", "From", h.PeerPres("watcher"), "To", h.Pres(alice.User), "Duration", "600",
			"Subscription-ID", "s1", "Date", ssDate)
		peer.Send(sub)
		h.Accept(responseOrEnd(peer, sub.ID), append(unauthenticated(), OneOf("connection closed", BeDisconnected()))...)
		return
	}
	h.Accept(ev, OneOf("D10(b): the abort was refused", HaveErrorCode()), OneOf("connection closed", BeDisconnected()))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/9.2/1", Section: "9.2", Level: reports.LevelMust,
	Requirement: "A peer server authenticates its domain with LOGIN (Domain header, SASL PLAIN with the shared secret) and gets 200 OK with SASL-Mech.",
	Statements:  []string{"PRIM-S9.2-1", "PRIM-S9.2-2", "PRIM-S9.2-5", "PRIM-S7.3.1-2", "PRIM-S7.3.1-6"},
	Decisions:   []string{"D10"},
}), func(h *H) {
	if h.PeerSecret() == "" {
		h.NotApplicable("no shared secret configured for the suite's peer domain")
	}
	peer := h.S2SPeer("remote")
	resp := peer.Call(peer.S2SLoginInit("PLAIN"), HaveHeader("SASL-Mech"))
	if resp.Code != wire.StatusOK {
		Expect(resp).To(HaveCode(wire.StatusAuthContinued))
		peer.Call(continuePlain(h, peer, h.PeerSecret()), HaveCode(wire.StatusOK), HaveHeader("SASL-Mech"))
	}
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/9.2/2", Section: "9.2", Level: reports.LevelShould,
	Requirement: "CRAM-MD5 is implemented for server-server LOGIN: the 100 carries the challenge and domain CRLF hex HMAC-MD5(secret, challenge) authenticates.",
	Statements:  []string{"PRIM-S9.2-3", "PRIM-S9.2-6", "PRIM-S9.2-7", "PRIM-S9.2-9"},
	Decisions:   []string{"D10", "D21"},
}), func(h *H) {
	if h.PeerSecret() == "" {
		h.NotApplicable("no shared secret configured for the suite's peer domain")
	}
	peer := h.S2SPeer("remote")
	// The drafts' own example separates the list with a comma (Decision D21).
	resp := peer.Call(peer.S2SLoginInit("CRAM-MD5,PLAIN"), HaveCode(wire.StatusAuthContinued), HaveBody())
	Expect(splitMechs(resp.Value("SASL-Mech"))).To(ContainElement("CRAM-MD5"))
	mac := hmac.New(md5.New, []byte(h.PeerSecret()))
	mac.Write(resp.Body)
	cont := peer.Request("LOGIN", "Domain", h.PeerDomain(), "Auth-State", "continue", "SASL-Mech", "CRAM-MD5", "Content-Type", "text/plain")
	cont.Body = []byte(h.PeerDomain() + "\r\n" + hex.EncodeToString(mac.Sum(nil)))
	peer.Call(cont, HaveCode(wire.StatusOK))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/9.2/3", Section: "9.2", Level: reports.LevelMust,
	Requirement: "The 100 to an initial LOGIN selects a mechanism from those offered: offered an unknown mechanism first and PLAIN second, the server selects PLAIN.",
	Statements:  []string{"PRIM-S9.2-7", "PRIM-S9.2-2", "PRIM-S9.2-1"},
	Decisions:   []string{"D21"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	resp := peer.Call(peer.S2SLoginInit("X-PRIMLAB-UNKNOWN PLAIN"), HaveCode(wire.StatusAuthContinued))
	Expect(splitMechs(resp.Value("SASL-Mech"))).To(Equal([]string{"PLAIN"}),
		"the only offered mechanism every server implements is PLAIN (PRIM-S9.2-2)")
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/9.2/4", Section: "9.2", Level: reports.LevelMust,
	Requirement: "A SASL-Mech list separated by comma and space is understood: the 100 selects PLAIN, the only known mechanism offered.",
	Statements:  []string{"PRIM-S9.2-5", "PRIM-S9.2-7"},
	Decisions:   []string{"D21"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	resp := peer.Call(peer.S2SLoginInit("X-PRIMLAB-UNKNOWN, PLAIN"), HaveCode(wire.StatusAuthContinued))
	Expect(splitMechs(resp.Value("SASL-Mech"))).To(Equal([]string{"PLAIN"}))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/9.2/5", Section: "9.2", Level: reports.LevelMust,
	Requirement: "An initial LOGIN offering only mechanisms the server does not implement is refused (406 recommended), never continued or accepted.",
	Statements:  []string{"PRIM-S9.2-11", "PRIM-S7.3.1-3"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	init := peer.S2SLoginInit("X-PRIMLAB-UNKNOWN")
	peer.Send(init)
	h.Accept(responseOrEnd(peer, init.ID),
		OneOf("406 Authentication Failed", HaveCode(wire.StatusAuthFailed)),
		OneOf("another error response", HaveErrorCode()),
		OneOf("connection closed", BeDisconnected()))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/9.2/6", Section: "9.2", Level: reports.LevelMust,
	Requirement: "A CRAM-MD5 LOGIN with a wrong digest fails with an error and the connection is dropped.",
	Statements:  []string{"PRIM-S7.3.1-3", "PRIM-S7.3.1-8", "PRIM-S9.2-7"},
	Decisions:   []string{"D10"},
}), func(h *H) {
	peer := h.S2SPeer("remote")
	resp := peer.Call(peer.S2SLoginInit("CRAM-MD5"))
	if resp.Code != wire.StatusAuthContinued || !slices.Contains(splitMechs(resp.Value("SASL-Mech")), "CRAM-MD5") {
		h.NotApplicable("CRAM-MD5 is not offered (LOGIN answered %d, SASL-Mech %q)", resp.Code, resp.Value("SASL-Mech"))
	}
	mac := hmac.New(md5.New, []byte("not-the-secret"))
	mac.Write(resp.Body)
	cont := peer.Request("LOGIN", "Domain", h.PeerDomain(), "Auth-State", "continue", "SASL-Mech", "CRAM-MD5", "Content-Type", "text/plain")
	cont.Body = []byte(h.PeerDomain() + "\r\n" + hex.EncodeToString(mac.Sum(nil)))
	peer.Send(cont)
	ev := responseOrEnd(peer, cont.ID)
	h.Accept(ev, OneOf("an error response", HaveErrorCode()), OneOf("connection closed", BeDisconnected()))
	if ev.Msg != nil {
		peer.ExpectClosed()
	}
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/9.2/7", Section: "9.2", Level: reports.LevelMust,
	Requirement: "When the target logs in to the peer domain, its initial LOGIN is PRIM/1.0 with Auth-State init, its own domain in Domain and a SASL-Mech list (LOGIN itself is optional).",
	Statements:  []string{"PRIM-S9.2-5", "PRIM-S7.3.1-2", "PRIM-S9.2-1", "PRIM-S6.1.5-1", "PRIM-S7.3.1-1"},
	RFC2779:     []string{"2.4.1"},
	Decisions:   []string{"D1", "D11"},
}), func(h *H) {
	h.FreshInbound() // the target must open (and log in on) a new connection
	r := relaySubscribe(h, "alice")
	logins := inboundRequests(h, "LOGIN")
	if len(logins) == 0 {
		h.Saw("the target sent no LOGIN (out-of-band trust, PRIM-S7.3.1-1)")
		return
	}
	Expect(r.sub).To(HaveVersion(wire.VersionServer))
	init := logins[0]
	Expect(init).To(HaveVersion(wire.VersionServer))
	Expect(init).To(HaveHeader("Auth-State", "init"))
	Expect(init).To(HaveHeader("Domain", h.Domain()))
	Expect(splitMechs(init.Value("SASL-Mech"))).NotTo(BeEmpty())
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/9.2/8", Section: "9.2", Level: reports.LevelMust,
	Requirement: "When the target continues a LOGIN to the peer domain, the continuing LOGIN has Auth-State continue, the Domain, and exactly the mechanism the peer selected in SASL-Mech.",
	Statements:  []string{"PRIM-S9.2-9", "PRIM-S9.2-8", "PRIM-S7.3.1-6", "PRIM-S7.3.1-2"},
	Decisions:   []string{"D10"},
}), func(h *H) {
	h.FreshInbound() // the target must open (and log in on) a new connection
	relaySubscribe(h, "alice")
	logins := inboundRequests(h, "LOGIN")
	if len(logins) < 2 {
		h.NotApplicable("the target sent %d LOGIN requests: no continuing step to check", len(logins))
	}
	// The suite's peer answers the initial LOGIN by selecting the first mechanism offered.
	selected := splitMechs(logins[0].Value("SASL-Mech"))[0]
	Expect(logins[1]).To(HaveHeader("Auth-State", "continue"))
	Expect(logins[1]).To(HaveHeader("Domain", h.Domain()))
	Expect(strings.TrimSpace(logins[1].Value("SASL-Mech"))).To(Equal(selected))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/9.2/9", Section: "9.2", Level: reports.LevelMust,
	Requirement: "When the target authenticates to the peer domain with CRAM-MD5, its response is its domain, CRLF, and the lower-case hex HMAC-MD5 of the challenge keyed with the shared secret.",
	Statements:  []string{"PRIM-S9.2-10", "PRIM-A12.2-4"},
	Decisions:   []string{"D10"},
}), func(h *H) {
	h.FreshInbound() // the target must open (and log in on) a new connection
	relaySubscribe(h, "alice")
	logins := inboundRequests(h, "LOGIN")
	if len(logins) < 2 || splitMechs(logins[0].Value("SASL-Mech"))[0] != "CRAM-MD5" {
		h.NotApplicable("the target did not log in to the peer domain with CRAM-MD5 first (%d LOGINs)", len(logins))
	}
	// The challenge the suite's peer sent (suite/harness/inbound.go).
	challenge := "<4711.1@" + h.PeerDomain() + ">"
	mac := hmac.New(md5.New, []byte(h.PeerSecret()))
	mac.Write([]byte(challenge))
	Expect(string(logins[1].Body)).To(Equal(h.Domain() + "\r\n" + hex.EncodeToString(mac.Sum(nil))))
	Expect(logins[1]).To(HaveHeader("Content-Type"))
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/9.2/10", Section: "9.2", Level: reports.LevelShould,
	Requirement: "Logging in to the peer domain over a connection without TLS, the target does not prefer PLAIN: PLAIN is not the first mechanism it offers.",
	Statements:  []string{"PRIM-S9.2-12", "PRIM-S7.3.2-3"},
	Decisions:   []string{"D10"},
}), func(h *H) {
	relaySubscribe(h, "alice")
	for _, m := range inboundRequests(h, "") {
		if m.Method == "STARTTLS" {
			h.NotApplicable("the target started TLS towards the peer domain")
		}
		if m.Method == "LOGIN" && m.Value("Auth-State") == "init" {
			mechs := splitMechs(m.Value("SASL-Mech"))
			Expect(mechs).NotTo(BeEmpty())
			Expect(mechs[0]).NotTo(Equal("PLAIN"), "PLAIN offered first on a connection without TLS")
			return
		}
	}
	h.Saw("the target sent no LOGIN (out-of-band trust, PRIM-S7.3.1-1)")
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.1/10", Section: "7.3.1", Level: reports.LevelMust,
	Requirement: "The peer domain's credentials do not authenticate another domain: a LOGIN claiming Domain third.example with the peer's own PLAIN credentials fails, or the connection still may not act for third.example's users.",
	Statements:  []string{"PRIM-S4.1-2", "PRIM-A12.2-8", "PRIM-S7.3.1-3"},
	RFC2779:     []string{"5.1.6", "5.1.12"},
	Decisions:   []string{"D11", "D37"},
}), func(h *H) {
	alice := h.Account("alice")
	const other = "third.example"
	peer := h.S2SPeer("impostor")
	init := peer.Request("LOGIN", "Domain", other, "Auth-State", "init", "SASL-Mech", "PLAIN")
	peer.Send(init)
	ev := responseOrEnd(peer, init.ID)
	if ev.Msg != nil && ev.Msg.Code == wire.StatusAuthContinued {
		cont := peer.Request("LOGIN", "Domain", other, "Auth-State", "continue", "SASL-Mech", "PLAIN", "Content-Type", "text/plain")
		cont.Body = PlainBody(h.PeerDomain(), h.PeerSecret())
		peer.Send(cont)
		ev = responseOrEnd(peer, cont.ID)
	}
	if ev.Msg != nil && ev.Msg.Code == wire.StatusOK {
		h.Saw("the LOGIN was answered 200; %s must still not be trusted", other)
		sub := peer.Request("SUBSCRIBE", "From", "pres:eve@"+other, "To", h.Pres(alice.User), "Duration", "600",
			"Subscription-ID", "s1", "Date", ssDate)
		peer.Send(sub)
		h.Accept(responseOrEnd(peer, sub.ID), append(unauthenticated(), OneOf("connection closed", BeDisconnected()))...)
		return
	}
	h.Accept(ev, OneOf("the LOGIN failed", HaveErrorCode()), OneOf("connection closed", BeDisconnected()))
	if ev.Msg != nil {
		peer.ExpectClosed() // PRIM-S7.3.1-3
	}
})
