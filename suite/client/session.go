package client

import (
	"strings"

	. "github.com/onsi/gomega"

	"github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// I2 §10.3.2 STARTTLS, §4.3 shared connections, §10.3.3 LOGOUT and §10.3.4 PING, from the
// user agent's side (prim-digest §2.5, §7.4).

// tlsLogin starts a user agent configured for STARTTLS, asks it to log in, and returns the
// first connection and the STARTTLS it sent there.
func tlsLogin(h *harness.H, shared bool) (*Lab, *Conn, *wire.Message) {
	lab := Start(h, UAOptions{StartTLS: true, Shared: shared})
	lab.Do(Cmd{Cmd: "login", User: lab.User, Password: lab.Password})
	c := lab.Accept(Home)
	first := c.Expect()
	Expect(first).To(harness.BeRequest("STARTTLS"), "the first request of a user agent configured for TLS")
	return lab, c, first
}

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.2/1", Section: "10.3.2", Level: reports.LevelMust,
	Requirement: "A user agent configured for TLS sends STARTTLS before any other request, with no body.",
	Statements:  []string{"PRIM-A10.3.2-5", "PRIM-A10.3.2-2", "PRIM-A10.3.1-6"},
}), func(h *harness.H) {
	_, _, st := tlsLogin(h, false)
	Expect(st).To(harness.HaveNoBody())
	Expect(st.ID).NotTo(Equal(wire.NoResponse))
	vs := wire.Validate(st, wire.ProfileClient)
	Expect(vs).To(BeEmpty(), violations(vs))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.2/2", Section: "10.3.2", Level: reports.LevelMust,
	Requirement: "After sending STARTTLS the user agent sends nothing more until the response, even while the user asks for more.",
	Statements:  []string{"PRIM-A10.3.2-6"},
}), func(h *harness.H) {
	lab, c, _ := tlsLogin(h, false)
	lab.Do(Cmd{Cmd: "fetch", To: lab.Pres("bob")})
	c.ExpectNothing(0)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.2/3", Section: "10.3.2", Level: reports.LevelMust,
	Requirement: "After 200 to STARTTLS the user agent sends nothing until the TLS handshake completed; then it logs in over TLS.",
	Statements:  []string{"PRIM-A10.3.2-6", "PRIM-A10.3.1-1"},
	RFC2779:     []string{"2.5.4"},
	Decisions:   []string{"D32"},
}), func(h *harness.H) {
	_, c, st := tlsLogin(h, false)
	c.Respond(st, wire.StatusOK)
	c.ExpectNothing(0)
	if !c.StartTLS() {
		h.NotApplicable("the target cannot complete a TLS handshake with the suite")
	}
	c.ExpectRequest("LOGIN", harness.HaveHeader("Auth-State", "init"))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.2/4", Section: "10.3.2", Level: reports.LevelMust,
	Requirement: "After 501 Not Implemented to STARTTLS the user agent's next request, if any, is LOGIN (it may instead give up and close).",
	Statements:  []string{"PRIM-A10.3.2-7"},
}), func(h *harness.H) {
	lab, c, st := tlsLogin(h, false)
	lab.Do(Cmd{Cmd: "fetch", To: lab.Pres("bob")})
	c.Respond(st, wire.StatusNotImplemented)
	h.Accept(c.Next(),
		harness.OneOf("LOGIN in the clear", harness.BeRequest("LOGIN")),
		harness.OneOf("the user agent closed the connection rather than go on without TLS", uaClosed()))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.2/5", Section: "10.3.2", Level: reports.LevelShould,
	Requirement: "When STARTTLS failed (501), the user agent does not log in with PLAIN.",
	Statements:  []string{"PRIM-A10.3.2-4", "PRIM-A12.1-17"},
}), func(h *harness.H) {
	lab, c, st := tlsLogin(h, false)
	c.Respond(st, wire.StatusNotImplemented)
	ev := c.Next()
	if ev.Msg == nil || ev.Msg.Method != "LOGIN" {
		h.Saw("no LOGIN after the refusal: %s", ev)
		return
	}
	offered := splitMechs(ev.Msg.Value("SASL-Mech"))
	if pick(offered, "PLAIN") != "PLAIN" {
		h.Saw("PLAIN not offered: %q", ev.Msg.Value("SASL-Mech"))
		return
	}
	// PLAIN was offered: select it and see whether the user agent sends its pass phrase.
	cont := continueWith(lab, c, ev.Msg, "PLAIN")
	Expect(strings.ToUpper(cont.Value("SASL-Mech"))).NotTo(Equal("PLAIN"), "the pass phrase went out in PLAIN without TLS")
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/4.3/1", Section: "4.3", Level: reports.LevelMust,
	Requirement: "On a connection shared by both services the user agent sends STARTTLS once only.",
	Statements:  []string{"PRIM-A4.3-4", "PRIM-A4.3-1"},
	Decisions:   []string{"D32"},
}), func(h *harness.H) {
	lab, c, st := tlsLogin(h, true)
	c.Respond(st, wire.StatusOK)
	c.StartTLS()
	lab.AutoLogin(false)
	res := lab.WaitEvent("result", func(e UAEvent) bool { return e.Cmd == "login" })
	Expect(res.Code).To(Equal(wire.StatusOK))
	n := 0
	for _, m := range c.Sent() {
		if m.Method == "STARTTLS" {
			n++
		}
	}
	Expect(n).To(Equal(1), "STARTTLS requests on the shared connection")
	Expect(lab.Conns()).To(HaveLen(1), "one shared connection")
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/4.3/2", Section: "4.3", Level: reports.LevelMust,
	Requirement: "On a connection shared by both services the user agent logs in twice, once with each service's version.",
	Statements:  []string{"PRIM-A4.3-2", "PRIM-A4.3-3"},
	Decisions:   []string{"D33"},
}), func(h *harness.H) {
	lab := Start(h, UAOptions{Shared: true})
	lab.Login()
	Expect(lab.Conns()).To(HaveLen(1), "one shared connection")
	versions := map[string]bool{}
	for _, m := range lab.Conns()[0].Sent() {
		if m.Method == "LOGIN" && m.Value("Auth-State") == "init" {
			versions[m.Version] = true
		}
	}
	Expect(versions).To(HaveKey(wire.VersionPresence))
	Expect(versions).To(HaveKey(wire.VersionIM))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.3/1", Section: "10.3.3", Level: reports.LevelMust,
	Requirement: "Logging out sends LOGOUT with request id \"-\" and no body.",
	Statements:  []string{"PRIM-A8.2.3-3", "PRIM-A10.3.3-1"},
	Decisions:   []string{"D6", "D31"},
}), func(h *harness.H) {
	lab := Start(h)
	lab.Login()
	conns := lab.Conns()
	lab.Result(lab.Do(Cmd{Cmd: "logout"}))
	lab.Wait(h.Quiet())
	n := 0
	for _, c := range conns {
		for _, m := range c.Sent() {
			if m.Method != "LOGOUT" {
				continue
			}
			n++
			Expect(m).To(harness.HaveID(wire.NoResponse))
			Expect(m).To(harness.HaveNoBody())
		}
		// Decision D31: the sender of LOGOUT closes the connection (the receiver may too).
		if c.Closed() {
			h.Saw("%s: closed after logout", c.Name())
		}
	}
	Expect(n).To(BeNumerically(">", 0), "no LOGOUT sent")
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.3/2", Section: "10.3.3", Level: reports.LevelMust,
	Requirement: "A LOGOUT from the server gets no response.",
	Statements:  []string{"PRIM-A10.3.3-1", "PRIM-A8.2.3-4"},
	Decisions:   []string{"D6"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	lo := lab.Request("LOGOUT")
	lo.Version = wire.VersionPresence
	lo.ID = wire.NoResponse
	pres.Send(lo)
	h.Accept(pres.NextWithin(h.Quiet()),
		harness.OneOf("no response", harness.BeQuiet()),
		harness.OneOf("no response; the user agent closed the connection", uaClosed()))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.4/1", Section: "10.3.4", Level: reports.LevelMust,
	Requirement: "A PING from the server (id \"-\") gets no response, and the connection stays usable.",
	Statements:  []string{"PRIM-A10.3.4-1", "PRIM-A8.2.3-4"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	p := lab.Request("PING")
	p.Version = wire.VersionPresence
	p.ID = wire.NoResponse
	pres.Send(p)
	pres.ExpectNoResponse(0)
	n := lab.Notify(lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), "after ping"))
	pres.Send(n)
	pres.ExpectResponse(n.ID)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.4/2", Section: "10.3.4", Level: reports.LevelMust,
	Requirement: "A PING from the server carrying a real request id still gets no response (PING has none).",
	Statements:  []string{"PRIM-A10.3.4-1"},
	Decisions:   []string{"D6"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	p := lab.Request("PING")
	p.Version = wire.VersionPresence
	pres.Send(p)
	pres.ExpectNoResponse(0)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.4/3", Section: "10.3.4", Level: reports.LevelMust,
	Requirement: "A PING the user asks for goes out with request id \"-\" and no body, and the user agent waits for no answer.",
	Statements:  []string{"PRIM-A8.2.3-3", "PRIM-A10.3.4-1"},
	Decisions:   []string{"D45"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	res := lab.Result(lab.Do(Cmd{Cmd: "ping", Service: "pres"}))
	Expect(res.Error).To(BeEmpty())
	p := pres.ExpectRequest("PING")
	Expect(p).To(harness.HaveID(wire.NoResponse))
	Expect(p).To(harness.HaveNoBody())
	Expect(p).To(harness.HaveVersion(wire.VersionPresence))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/12.1/10", Section: "12.1", Level: reports.LevelMust,
	Requirement: "Over TLS, a user agent that logs in with EXTERNAL sends the continuing LOGIN with an empty body.",
	Statements:  []string{"PRIM-A12.1-18", "PRIM-A10.3.2-3", "PRIM-A12.1-10"},
}), func(h *harness.H) {
	lab := Start(h, UAOptions{StartTLS: true, Mechs: "EXTERNAL"})
	lab.Do(Cmd{Cmd: "login", User: lab.User, Password: lab.Password, Mech: "EXTERNAL"})
	c := lab.Accept(Home)
	lab.AutoLogin(false, c)
	st := c.ExpectRequest("STARTTLS")
	c.Respond(st, wire.StatusOK)
	c.StartTLS()
	init := c.ExpectRequest("LOGIN")
	if pick(splitMechs(init.Value("SASL-Mech")), "EXTERNAL") != "EXTERNAL" {
		h.NotApplicable("the user agent does not offer EXTERNAL: SASL-Mech %q", init.Value("SASL-Mech"))
	}
	cont := continueWith(lab, c, init, "EXTERNAL")
	Expect(strings.TrimSpace(cont.Value("SASL-Mech"))).To(Equal("EXTERNAL"))
	Expect(cont).To(harness.HaveNoBody())
})
