package client

import (
	"strconv"
	"strings"

	. "github.com/onsi/gomega"

	"github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// I2 §10.3.1 LOGIN and §12.1 SASL in LOGIN, from the user agent's side (prim-digest §7.1):
// the suite plays the home server and answers each step by hand.

// startLogin has the user agent log in and returns the first connection it opens, with
// the other connections' LOGINs answered by the suite.
func startLogin(h *harness.H, mech string) (*Lab, *Conn) {
	lab := Start(h)
	lab.Do(Cmd{Cmd: "login", User: lab.User, Password: lab.Password, Mech: mech})
	c := lab.Accept(Home)
	lab.AutoLogin(false, c)
	return lab, c
}

// continueWith answers an init LOGIN with 100 selecting mech (with the challenge for
// CRAM-MD5) and returns the continuing LOGIN.
func continueWith(lab *Lab, c *Conn, init *wire.Message, mech string) *wire.Message {
	resp := &wire.Message{Version: init.Version, ID: init.ID, Code: wire.StatusAuthContinued, Phrase: wire.Phrase(wire.StatusAuthContinued)}
	resp.Add("SASL-Mech", mech)
	resp.Add("Auth-State", "continue")
	if strings.EqualFold(mech, "CRAM-MD5") {
		resp.Add("Content-Type", "text/plain")
		resp.Body = []byte(Challenge)
	}
	c.Send(resp)
	return c.ExpectRequest("LOGIN")
}

// offering waits for the initial LOGIN on c; a case about mech is not applicable when the user
// agent does not offer it (it may keep PLAIN for secured connections, PRIM-A12.1-17, and
// CRAM-MD5 is only RECOMMENDED, PRIM-A12.1-3).
func offering(h *harness.H, c *Conn, mech string) *wire.Message {
	init := c.ExpectRequest("LOGIN", harness.HaveHeader("Auth-State", "init"))
	if pick(splitMechs(init.Value("SASL-Mech")), mech) != mech {
		h.NotApplicable("the user agent does not offer %s: SASL-Mech %q", mech, init.Value("SASL-Mech"))
	}
	return init
}

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.1/1", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "The first request a user agent sends on each connection it opens (without STARTTLS) is LOGIN.",
	Statements:  []string{"PRIM-A10.3.1-1", "PRIM-A4.1-1"},
}), func(h *harness.H) {
	lab := Start(h)
	lab.Login()
	for _, c := range lab.Conns() {
		sent := c.Sent()
		Expect(sent).NotTo(BeEmpty(), "%s: nothing sent", c.Name())
		Expect(sent[0]).To(harness.BeRequest("LOGIN"), "%s: first request", c.Name())
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.1/2", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "Every LOGIN a user agent sends names its principal in From, as a pres: or im: identifier.",
	Statements:  []string{"PRIM-A10.3.1-2", "PRIM-A7.1-5"},
	Decisions:   []string{"D38"},
}), func(h *harness.H) {
	lab := Start(h)
	lab.Login()
	n := 0
	for _, c := range lab.Conns() {
		for _, m := range c.Sent() {
			if m.Method != "LOGIN" {
				continue
			}
			n++
			from := m.Value("From")
			Expect(sameID(from, lab.Self("pres")) || sameID(from, lab.Self("im"))).To(BeTrue(),
				"%s: LOGIN From %q, want %q or %q", c.Name(), from, lab.Self("pres"), lab.Self("im"))
		}
	}
	Expect(n).To(BeNumerically(">", 0))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.1/3", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "After 100 Authentication Continued, the user agent sends another LOGIN on the same connection with Auth-State: continue.",
	Statements:  []string{"PRIM-A10.3.1-10", "PRIM-A10.3.1-8", "PRIM-A12.1-9"},
	Decisions:   []string{"D10"},
}), func(h *harness.H) {
	lab, c := startLogin(h, "")
	init := c.ExpectRequest("LOGIN", harness.HaveHeader("Auth-State", "init"))
	cont := continueWith(lab, c, init, "PLAIN")
	Expect(cont).To(harness.HaveHeader("Auth-State", "continue"))
	Expect(cont.Version).To(Equal(init.Version), "the continuing LOGIN stays on the service of the first")
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.1/4", Section: "10.3.1", Level: reports.LevelShould,
	Requirement: "A user agent does not pipeline other requests past LOGIN: a fetch asked for during login goes out only after the LOGIN succeeded.",
	Statements:  []string{"PRIM-A10.3.1-1", "PRIM-A10.3.1-7"},
}), func(h *harness.H) {
	lab := Start(h)
	lab.AutoLogin(true)
	lab.Do(Cmd{Cmd: "login", User: lab.User, Password: lab.Password})
	fetch := lab.Do(Cmd{Cmd: "fetch", To: lab.Pres("bob")})
	lab.Accept(Home)
	lab.Wait(h.Quiet())
	for _, c := range lab.Conns() {
		for _, m := range c.Sent() {
			Expect(m).To(harness.BeRequest("LOGIN"), "%s: sent before any LOGIN succeeded", c.Name())
		}
	}
	lab.ReleaseLogins()
	var got *Conn
	lab.wait(func() bool {
		for _, c := range lab.conns {
			for _, m := range c.backlog {
				if m.Method == "FETCH" {
					got = c
					return true
				}
			}
		}
		return false
	}, h.Timeout())
	if got == nil {
		h.Failf("the fetch asked for during login was never sent after LOGIN succeeded")
	}
	req := got.ExpectRequest("FETCH")
	got.Respond(req, wire.StatusResourceNotFound)
	Expect(lab.Result(fetch).Code).To(Equal(wire.StatusResourceNotFound))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.1/5", Section: "10.3.1", Level: reports.LevelShould,
	Requirement: "409 Already Authenticated to LOGIN means the principal is authenticated: the user agent goes on and sends the user's requests on that connection.",
	Statements:  []string{"PRIM-A10.3.1-12", "PRIM-A12.1-13"},
	Decisions:   []string{"D33"},
}), func(h *harness.H) {
	lab, c := startLogin(h, "")
	init := c.ExpectRequest("LOGIN")
	c.Respond(init, wire.StatusAlreadyAuthenticated, "SASL-Mech", "PLAIN")
	lab.WaitEvent("result", func(e UAEvent) bool { return e.Cmd == "login" })
	svc := serviceOf(init.Version)
	var id string
	if svc == "im" {
		id = lab.Do(Cmd{Cmd: "listen"})
		req := c.ExpectRequest("LISTEN")
		c.Respond(req, wire.StatusOK)
	} else {
		id = lab.Do(Cmd{Cmd: "fetch", To: lab.Pres("bob")})
		req := c.ExpectRequest("FETCH")
		c.Respond(req, wire.StatusResourceNotFound)
	}
	Expect(lab.Result(id).Error).To(BeEmpty())
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/12.1/1", Section: "12.1", Level: reports.LevelMust,
	Requirement: "The initial LOGIN carries Auth-State: init and a non-empty SASL-Mech list, and no mechanism data in the body is needed.",
	Statements:  []string{"PRIM-A12.1-5", "PRIM-A12.1-1", "PRIM-A9.1.4-1"},
	Decisions:   []string{"D10", "D21"},
}), func(h *harness.H) {
	_, c := startLogin(h, "")
	init := c.ExpectRequest("LOGIN", harness.HaveHeader("Auth-State", "init"), harness.HaveHeader("SASL-Mech"))
	Expect(splitMechs(init.Value("SASL-Mech"))).NotTo(BeEmpty())
	Expect(init.Count("Auth-State")).To(Equal(1))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/12.1/2", Section: "12.1", Level: reports.LevelMust,
	Requirement: "The initial LOGIN's SASL-Mech lists the mechanisms in decreasing order of preference: the user's preference PLAIN before CRAM-MD5, or CRAM-MD5 before PLAIN, shows in that order.",
	Statements:  []string{"PRIM-A12.1-5", "PRIM-A12.1-2"},
	Decisions:   []string{"D21"},
}), func(h *harness.H) {
	for _, pref := range []string{"PLAIN CRAM-MD5", "CRAM-MD5 PLAIN"} {
		_, c := startLogin(h, pref)
		init := c.ExpectRequest("LOGIN", harness.HaveHeader("Auth-State", "init"))
		var order []string
		for _, m := range splitMechs(init.Value("SASL-Mech")) {
			if strings.EqualFold(m, "PLAIN") || strings.EqualFold(m, "CRAM-MD5") {
				order = append(order, strings.ToUpper(m))
			}
		}
		Expect(order).NotTo(BeEmpty(), "SASL-Mech %q offers neither preferred mechanism", init.Value("SASL-Mech"))
		if len(order) == 2 {
			Expect(strings.Join(order, " ")).To(Equal(pref), "preference %q", pref)
		}
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/12.1/3", Section: "12.1", Level: reports.LevelMust,
	Requirement: "When the server selects PLAIN, the continuing LOGIN's SASL-Mech is exactly PLAIN.",
	Statements:  []string{"PRIM-A12.1-10", "PRIM-A12.1-2"},
}), func(h *harness.H) {
	lab, c := startLogin(h, "PLAIN CRAM-MD5")
	init := offering(h, c, "PLAIN")
	cont := continueWith(lab, c, init, "PLAIN")
	Expect(strings.TrimSpace(cont.Value("SASL-Mech"))).To(Equal("PLAIN"))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/12.1/4", Section: "12.1", Level: reports.LevelMust,
	Requirement: "When the server selects CRAM-MD5, the continuing LOGIN's SASL-Mech is exactly CRAM-MD5.",
	Statements:  []string{"PRIM-A12.1-10", "PRIM-A12.1-3"},
}), func(h *harness.H) {
	lab, c := startLogin(h, "CRAM-MD5 PLAIN")
	init := offering(h, c, "CRAM-MD5")
	cont := continueWith(lab, c, init, "CRAM-MD5")
	Expect(strings.TrimSpace(cont.Value("SASL-Mech"))).To(Equal("CRAM-MD5"))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/12.1/5", Section: "12.1", Level: reports.LevelMust,
	Requirement: "When the 100 lists two selected mechanisms separated by a comma, the continuing LOGIN names exactly one of them.",
	Statements:  []string{"PRIM-A12.1-10", "PRIM-A12.1-7"},
	Decisions:   []string{"D21"},
}), func(h *harness.H) {
	lab, c := startLogin(h, "CRAM-MD5 PLAIN")
	init := c.ExpectRequest("LOGIN")
	resp := &wire.Message{Version: init.Version, ID: init.ID, Code: wire.StatusAuthContinued, Phrase: wire.Phrase(wire.StatusAuthContinued)}
	resp.Add("SASL-Mech", "PLAIN,CRAM-MD5")
	resp.Add("Content-Type", "text/plain")
	resp.Body = []byte(Challenge)
	c.Send(resp)
	cont := c.ExpectRequest("LOGIN")
	Expect(strings.TrimSpace(cont.Value("SASL-Mech"))).To(BeElementOf("PLAIN", "CRAM-MD5"))
	_ = lab
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/12.1/6", Section: "12.1", Level: reports.LevelMust,
	Requirement: "The PLAIN data in the continuing LOGIN is the user name, CRLF, the pass phrase.",
	Statements:  []string{"PRIM-A12.1-17", "PRIM-A12.1-11"},
	Decisions:   []string{"D10"},
}), func(h *harness.H) {
	lab, c := startLogin(h, "PLAIN")
	init := offering(h, c, "PLAIN")
	cont := continueWith(lab, c, init, "PLAIN")
	user, pass, ok := strings.Cut(string(cont.Body), "\r\n")
	Expect(ok).To(BeTrue(), "PLAIN body %q has no CRLF", cont.Body)
	local, _, _ := strings.Cut(lab.User, "@")
	Expect(sameID(stripAnyScheme(user), lab.User) || sameID(user, local)).To(BeTrue(), "user name %q", user)
	Expect(pass).To(Equal(lab.Password))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/12.1/7", Section: "12.1", Level: reports.LevelMust,
	Requirement: "The CRAM-MD5 data is the user name, CRLF, the hex keyed-MD5 digest of the challenge exactly as sent (angle brackets included), keyed with the pass phrase.",
	Statements:  []string{"PRIM-A12.1-16", "PRIM-A12.1-8"},
	Decisions:   []string{"D10"},
}), func(h *harness.H) {
	lab, c := startLogin(h, "CRAM-MD5")
	init := offering(h, c, "CRAM-MD5")
	cont := continueWith(lab, c, init, "CRAM-MD5")
	user, digest, ok := strings.Cut(string(cont.Body), "\r\n")
	Expect(ok).To(BeTrue(), "CRAM-MD5 body %q has no CRLF", cont.Body)
	local, _, _ := strings.Cut(lab.User, "@")
	Expect(sameID(stripAnyScheme(user), lab.User) || sameID(user, local)).To(BeTrue(), "user name %q", user)
	// Decision D10(d) emits lower-case hex; hex case carries no meaning, so either is accepted.
	Expect(strings.ToLower(digest)).To(Equal(CRAMDigest(lab.Password, Challenge)))
})

// after406 checks that nothing more goes out on c after a 406, even when the user asks for
// more: the user agent may close the connection or leave it quiet.
func after406(h *harness.H, lab *Lab, c *Conn, svc string) {
	if svc == "im" {
		lab.Do(Cmd{Cmd: "listen"})
	} else {
		lab.Do(Cmd{Cmd: "fetch", To: lab.Pres("bob")})
	}
	h.Accept(c.NextWithin(h.Quiet()),
		harness.OneOf("nothing more sent on the connection", harness.BeQuiet()),
		harness.OneOf("the user agent closed the connection", uaClosed()))
}

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/12.1/8", Section: "12.1", Level: reports.LevelMust,
	Requirement: "After 406 Authentication Failed to the continuing LOGIN, the user agent sends no other request on that connection, and reports the failure.",
	Statements:  []string{"PRIM-A12.1-15", "PRIM-A10.3.1-11", "PRIM-A12.1-14"},
}), func(h *harness.H) {
	lab, c := startLogin(h, "PLAIN")
	init := offering(h, c, "PLAIN")
	cont := continueWith(lab, c, init, "PLAIN")
	c.Respond(cont, wire.StatusAuthFailed, "SASL-Mech", "PLAIN")
	res := lab.WaitEvent("result", func(e UAEvent) bool { return e.Cmd == "login" })
	Expect(res.Code).To(Equal(wire.StatusAuthFailed), "the login result reports the 406")
	after406(h, lab, c, serviceOf(init.Version))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/12.1/9", Section: "12.1", Level: reports.LevelMust,
	Requirement: "After 406 Authentication Failed to the initial LOGIN, the user agent sends no other request on that connection.",
	Statements:  []string{"PRIM-A12.1-15", "PRIM-A18-4"},
}), func(h *harness.H) {
	lab, c := startLogin(h, "")
	init := c.ExpectRequest("LOGIN")
	c.Respond(init, wire.StatusAuthFailed)
	after406(h, lab, c, serviceOf(init.Version))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/9.1.5/1", Section: "9.1.5", Level: reports.LevelMust,
	Requirement: "300 Redirect to LOGIN: the user agent reconnects to the address and port in the Redirect header and logs in there.",
	Statements:  []string{"PRIM-A9.1.5-1", "PRIM-A8.3-3"},
}), func(h *harness.H) {
	lab, c := startLogin(h, "")
	init := c.ExpectRequest("LOGIN")
	host, port := lab.Addr(Alt)
	c.Respond(init, wire.StatusRedirect, "Redirect", host+" "+itoa(port))
	alt := lab.Accept(Alt)
	m := alt.WaitSent("LOGIN", 0)
	Expect(m).To(harness.HaveHeader("Auth-State", "init"))
	Expect(m.Version).To(Equal(init.Version), "the LOGIN is reissued for the same service")
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/9.1.5/2", Section: "9.1.5", Level: reports.LevelMust,
	Requirement: "300 Redirect to a FETCH: the user agent reconnects to the Redirect address, logs in there and reissues the FETCH, and reports the answer it gets there.",
	Statements:  []string{"PRIM-A9.1.5-1", "PRIM-A8.3-3", "PRIM-A4.1-1"},
}), func(h *harness.H) {
	lab := Start(h)
	sess := lab.Login()
	pres := sess.MustPres(h)
	id := lab.Do(Cmd{Cmd: "fetch", To: lab.Pres("bob")})
	req := pres.ExpectRequest("FETCH")
	host, port := lab.Addr(Alt)
	pres.Respond(req, wire.StatusRedirect, "Redirect", host+" "+itoa(port))
	alt := lab.Accept(Alt)
	again := alt.ExpectRequest("FETCH", harness.HaveHeader("To", req.Value("To")))
	var before []string
	for _, m := range alt.Sent() {
		if m == again {
			break
		}
		before = append(before, m.Method)
	}
	Expect(before).To(ContainElement("LOGIN"), "the user agent logs in on the new connection before reissuing")
	n := &wire.Message{Version: again.Version, ID: again.ID, Code: wire.StatusOK, Phrase: "OK"}
	withPresence(n, lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), "redirected"))
	alt.Send(n)
	res := lab.Result(id)
	Expect(res.Code).To(Equal(wire.StatusOK))
	Expect(res.Tuples).To(ContainElement(HaveField("Note", "redirected")))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/18/1", Section: "18", Level: reports.LevelMust,
	Requirement: "After 401 Unauthorized the user agent authenticates with LOGIN.",
	Statements:  []string{"PRIM-A18-2", "PRIM-A10.3.1-7"},
}), func(h *harness.H) {
	lab := Start(h)
	sess := lab.Login()
	pres := sess.MustPres(h)
	lab.AutoLogin(false) // answer whatever LOGIN comes next
	id := lab.Do(Cmd{Cmd: "fetch", To: lab.Pres("bob")})
	req := pres.ExpectRequest("FETCH")
	// The LOGIN may go on the same connection or on a new one; count from before the 401. The
	// user agent may report the 401 or resend the FETCH after logging in: both are fine, so the
	// case waits for the LOGIN only, not for the command's result.
	base := map[*Conn]int{}
	for _, c := range lab.Conns() {
		base[c] = len(c.sent)
	}
	pres.Respond(req, wire.StatusUnauthorized)
	_ = id
	loggedIn := func() bool {
		for _, c := range lab.conns {
			for _, m := range c.sent[base[c]:] {
				if m.Method == "LOGIN" {
					return true
				}
			}
		}
		return false
	}
	if !lab.wait(loggedIn, h.Timeout()) {
		h.Failf("no LOGIN from the user agent within %v of the 401", h.Timeout())
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/18/2", Section: "18", Level: reports.LevelShould,
	Requirement: "After 400 Bad Request the user agent does not repeat the request unmodified.",
	Statements:  []string{"PRIM-A18-1"},
}), func(h *harness.H) {
	lab := Start(h)
	pres := lab.Login().MustPres(h)
	id := lab.Do(Cmd{Cmd: "fetch", To: lab.Pres("bob")})
	req := pres.ExpectRequest("FETCH")
	pres.Respond(req, wire.StatusBadRequest)
	Expect(lab.Result(id).Code).To(Equal(wire.StatusBadRequest))
	ev := pres.NextWithin(h.Quiet())
	if ev.Msg != nil && ev.Msg.Method == "FETCH" {
		Expect(sameRequest(ev.Msg, req)).To(BeFalse(), "the FETCH was repeated unmodified")
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/18/3", Section: "18", Level: reports.LevelShould,
	Requirement: "After 505 Too Many Subscriptions the user agent does not retry the subscription immediately.",
	Statements:  []string{"PRIM-A18-5"},
}), func(h *harness.H) {
	lab := Start(h)
	pres := lab.Login().MustPres(h)
	id := lab.Do(Cmd{Cmd: "subscribe", To: lab.Pres("bob"), Duration: 600})
	req := pres.ExpectRequest("SUBSCRIBE")
	pres.Respond(req, wire.StatusTooManySubscriptions)
	Expect(lab.Result(id).Code).To(Equal(wire.StatusTooManySubscriptions))
	ev := pres.NextWithin(h.Quiet())
	Expect(ev.Msg == nil || ev.Msg.Method != "SUBSCRIBE").To(BeTrue(), "SUBSCRIBE retried at once: %s", ev)
})

// sameRequest reports whether two requests carry the same method, headers and body.
func sameRequest(a, b *wire.Message) bool {
	if a.Method != b.Method || string(a.Body) != string(b.Body) || len(a.Headers) != len(b.Headers) {
		return false
	}
	for i := range a.Headers {
		if a.Headers[i] != b.Headers[i] {
			return false
		}
	}
	return true
}

func stripAnyScheme(id string) string {
	for _, p := range []string{"pres:", "im:"} {
		if len(id) >= len(p) && strings.EqualFold(id[:len(p)], p) {
			return id[len(p):]
		}
	}
	return id
}

func itoa(n int) string { return strconv.Itoa(n) }
