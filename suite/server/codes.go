package server

import (
	"net"
	"strconv"
	"strings"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §18 response codes and §9.1.5 Redirect (prim-digest §3.11; Decisions D4, D44).

// cdBattery drives a spread of good and bad requests on fresh connections and returns every
// response the target gave, for cases that judge response codes as a whole.
func cdBattery(h *H) []*wire.Message {
	var out []*wire.Message
	keep := func(m *wire.Message) { out = append(out, m) }

	anon := h.Peer("stranger")
	keep(anon.Call(h.Request("FETCH", "From", h.Pres("alice"), "To", h.Pres("alice"))))

	wrong := h.Peer("alice").WithAccount("alice")
	keep(wrong.Call(wrong.LoginInit(wire.VersionPresence, "PLAIN")))
	keep(wrong.Call(wrong.LoginContinue(wire.VersionPresence, wrong.Pres(), "PLAIN", PlainBody(wrong.Account().User, "not-the-pass-phrase"))))

	nomech := h.Peer("alice").WithAccount("alice")
	keep(nomech.Call(nomech.LoginInit(wire.VersionPresence, "X-PRIMLAB-NOMECH")))

	alice := h.LoggedIn("alice")
	keep(alice.Call(alice.LoginInit(wire.VersionPresence, "PLAIN")))
	keep(alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres())))
	keep(alice.Call(h.Request("FETCH", "From", alice.Pres())))
	keep(alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", h.Pres(h.Unique("ghost")))))
	keep(alice.Call(h.Request("GETACL", "From", h.Pres("bob"))))
	keep(alice.Call(h.Request("SUBSCRIBE", "From", alice.Pres(), "To", h.Pres("bob"))))
	keep(alice.Call(h.Request("FROBNICATE", "From", alice.Pres())))
	keep(alice.Call(h.Request("UNSUBSCRIBE", "From", alice.Pres(), "To", h.Pres("carol"))))
	keep(alice.Call(h.Request("STARTTLS")))
	v := h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres())
	v.Version = "PRIM-PR/9.0"
	keep(alice.Call(v))
	return out
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/18/3", Section: "18", Level: reports.LevelMust,
	Requirement: "Every response code the server gives on a client link is a three-digit code of the client profile's table (no 502/504, no undefined codes).",
	Statements:  []string{"PRIM-A18-6", "PRIM-A8.3-1", "PRIM-A8.3-3"},
	Decisions:   []string{"D4"},
}), func(h *H) {
	for _, m := range cdBattery(h) {
		Expect(m.Code).To(BeNumerically(">=", 100))
		Expect(m.Code).To(BeNumerically("<=", 599))
		Expect(wire.KnownIn(wire.ProfileClient, m.Code)).To(BeTrue(), "code %d in %q is not a client-profile code", m.Code, m.StartLine())
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/18/4", Section: "18", Level: reports.LevelShould,
	Requirement: "The response phrase is the code table's text for the code (e.g. 406 Authentication Failed, 503 Version Not Supported).",
	Statements:  []string{"PRIM-A8.3-1", "PRIM-A18-6"},
	Decisions:   []string{"D4"},
}), func(h *H) {
	for _, m := range cdBattery(h) {
		Expect(m.Phrase).To(Equal(wire.Phrase(m.Code)), "phrase of %q", m.StartLine())
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/18/5", Section: "18", Level: reports.LevelMust,
	Requirement: "401 is never the answer to LOGIN, and 402 never to LOGIN or STARTTLS.",
	Statements:  []string{"PRIM-A8.3-3"},
	Decisions:   []string{"D4"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	var answers []*wire.Message
	answers = append(answers, alice.Call(h.Request("STARTTLS")))
	if answers[0].Code == wire.StatusOK {
		h.NotApplicable("the target offers TLS: the suite cannot go on in the clear after STARTTLS 200")
	}
	answers = append(answers, alice.Call(alice.LoginInit(wire.VersionPresence, "PLAIN")))
	answers = append(answers, alice.Call(alice.LoginContinue(wire.VersionPresence, h.Pres("bob"), "PLAIN", PlainBody(h.Account("bob").User, "not-the-pass-phrase"))))
	other := h.LoggedIn("bob")
	answers = append(answers, other.Call(other.LoginInit(wire.VersionPresence, "PLAIN")))
	for _, m := range answers {
		Expect(m.Code).NotTo(BeElementOf(wire.StatusUnauthorized, wire.StatusForbidden), "%q", m.StartLine())
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/18/6", Section: "18", Level: reports.LevelMust,
	Requirement: "A 400 is final for that request: sent again unchanged it is refused again and has no effect.",
	Statements:  []string{"PRIM-A18-1"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	bad := func() *wire.Message {
		return h.Request("SUBSCRIBE", "From", bob.Pres(), "To", alice.Pres(), "Duration", "forever")
	}
	bob.Call(bad(), HaveCode(wire.StatusBadRequest))
	bob.Call(bad(), HaveCode(wire.StatusBadRequest))
	tag := h.Unique("after-400")
	publishPerm(h, alice, h.Unique("t"), tag)
	expectNoneShowing(h, bob, tag, "both SUBSCRIBEs were refused with 400")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/18/7", Section: "18", Level: reports.LevelMay,
	Requirement: "UNSUBSCRIBE of a subscription that does not exist may be answered 404 Subscription Not Found (or 200).",
	Statements:  []string{"PRIM-A18-3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	h.Accept(alice.Call(h.Request("UNSUBSCRIBE", "From", alice.Pres(), "To", h.Pres("carol")), HaveNoBody()),
		OneOf("404 Subscription Not Found", HaveCode(wire.StatusSubscriptionNotFound)),
		OneOf("200 OK (nothing to remove)", HaveCode(wire.StatusOK)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/18/8", Section: "18", Level: reports.LevelMust,
	Requirement: "After 401 the client authenticates with LOGIN: the same connection then gets the request served, with the same identifier space.",
	Statements:  []string{"PRIM-A18-2", "PRIM-A10.3.1-7"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	req := h.Request("GETACL", "From", alice.Pres())
	id := req.ID
	alice.Call(req, HaveCode(wire.StatusUnauthorized), HaveNoBody())
	alice.Login(wire.VersionPresence)
	again := h.Request("GETACL", "From", alice.Pres())
	again.ID = id // PRIM-A8.2.3-2: the id may be reused once its response arrived
	resp := alice.Call(again)
	Expect(resp.Code).NotTo(Equal(wire.StatusUnauthorized), "GETACL after LOGIN")
})

// ---- §9.1.5 Redirect ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/9.1.5/1", Section: "9.1.5", Level: reports.LevelMust,
	Requirement: "A 300 Redirect response carries a Redirect header \"address SP port\" naming another server.",
	Statements:  []string{"PRIM-A9.1.5-1"},
	Decisions:   []string{"D16", "D19"},
}), func(h *H) {
	var seen []*wire.Message
	for _, m := range cdBattery(h) {
		if m.Code == wire.StatusRedirect {
			seen = append(seen, m)
		}
	}
	alice := h.LoggedIn("alice")
	for _, to := range []string{"pres:someone@" + h.Unique("elsewhere") + ".invalid", "pres:someone@" + h.Unique("redirect") + "." + h.Domain()} {
		ev := alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", to))
		if ev.Code == wire.StatusRedirect {
			seen = append(seen, ev)
		}
	}
	if len(seen) == 0 {
		h.NotApplicable("the target answered none of the case's requests with 300 Redirect")
	}
	for _, m := range seen {
		v, ok := m.Get("Redirect")
		Expect(ok).To(BeTrue(), "300 without a Redirect header: %q", m.StartLine())
		addr, port, found := strings.Cut(v, " ")
		Expect(found).To(BeTrue(), "Redirect %q is not \"address SP port\"", v)
		n, err := strconv.Atoi(port)
		Expect(err).NotTo(HaveOccurred(), "Redirect port %q", port)
		Expect(n).To(BeNumerically(">", 0))
		Expect(addr).NotTo(BeEmpty())
		if ip := net.ParseIP(strings.TrimPrefix(addr, "::")); ip == nil {
			Expect(addr).To(MatchRegexp(`^[A-Za-z0-9.-]+$`), "Redirect address %q is neither an IP address nor a domain", addr)
		}
	}
})
