package client

import (
	"fmt"
	"strings"

	. "github.com/onsi/gomega"

	"github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// I2 §8 command structure, header lines, request and response lines, request ids and
// content length; §9.2.1 entity headers: what a user agent puts on the wire, checked on the
// octets it sent (prim-digest §3.2-3.7), and how it reads what the server sends.

// rawAll splits everything the user agent sent on every connection.
func rawAll(h *harness.H, lab *Lab) []rawCommand {
	var out []rawCommand
	for _, c := range lab.Conns() {
		cmds, err := splitRaw(c.Raw())
		if err != nil {
			h.Failf("%s: the octets the user agent sent do not frame as PRIM commands: %v", c.Name(), err)
		}
		out = append(out, cmds...)
	}
	return out
}

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.1.1/1", Section: "8.1.1", Level: reports.LevelMust,
	Requirement: "Every header line the user agent sends is a name, a colon, exactly one space and the value.",
	Statements:  []string{"PRIM-A8.1.1-1"},
	Decisions:   []string{"D36"},
}), func(h *harness.H) {
	lab := busySession(h)
	var bad []string
	for _, c := range rawAll(h, lab) {
		spacing, _ := headerLineProblems(c)
		bad = append(bad, spacing...)
	}
	Expect(bad).To(BeEmpty())
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.1.1/2", Section: "8.1.1", Level: reports.LevelMust,
	Requirement: "The user agent never folds a header over several lines.",
	Statements:  []string{"PRIM-A8.1.1-2"},
}), func(h *harness.H) {
	lab := busySession(h)
	var bad []string
	for _, c := range rawAll(h, lab) {
		_, folding := headerLineProblems(c)
		bad = append(bad, folding...)
	}
	Expect(bad).To(BeEmpty())
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.2/1", Section: "8.2", Level: reports.LevelMust,
	Requirement: "Request lines are method SP version SP request-id SP content-length; response lines are version SP request-id SP content-length SP three-digit code SP phrase.",
	Statements:  []string{"PRIM-A8.2-1", "PRIM-A8.3-1"},
}), func(h *harness.H) {
	lab := busySession(h)
	var bad []string
	for _, c := range rawAll(h, lab) {
		f := strings.Split(c.StartLine, " ")
		if strings.Contains(f[0], "/") {
			if len(f) < 5 || len(f[3]) != 3 || strings.Trim(f[3], "0123456789") != "" || f[4] == "" {
				bad = append(bad, fmt.Sprintf("response line %q", c.StartLine))
			}
			continue
		}
		if len(f) != 4 || f[0] == "" || f[1] == "" || f[2] == "" {
			bad = append(bad, fmt.Sprintf("request line %q", c.StartLine))
		}
	}
	Expect(bad).To(BeEmpty())
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.2/2", Section: "8.2", Level: reports.LevelMust,
	Requirement: "A request of a method the user agent does not know gets an error response (501, or 400) with its id, and the user agent goes on answering.",
	Statements:  []string{"PRIM-A8.2.3-1", "PRIM-A18-6"},
	Decisions:   []string{"D8"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	odd := lab.Request("FROBNICATE", "From", lab.Pres("bob"), "To", lab.Self("pres"))
	odd.Version = wire.VersionPresence
	pres.Send(odd)
	h.Accept(pres.Next(),
		harness.OneOf("D8: 501 Not Implemented", harness.HaveCode(wire.StatusNotImplemented)),
		harness.OneOf("D8: 400 Bad Request", harness.HaveCode(wire.StatusBadRequest)))
	n := lab.Notify(lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), "still there"))
	pres.Send(n)
	pres.ExpectResponse(n.ID)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.2.4/1", Section: "8.2.4", Level: reports.LevelMust,
	Requirement: "The content-length field of every command the user agent sends is the body's length in octets (non-ASCII text included): the stream frames exactly into the commands sent.",
	Statements:  []string{"PRIM-A8.2.4-1", "PRIM-A8.1-1", "PRIM-A8.1-3"},
}), func(h *harness.H) {
	lab := busySession(h)
	n := 0
	for _, c := range lab.Conns() {
		cmds, err := splitRaw(c.Raw())
		Expect(err).NotTo(HaveOccurred(), "%s", c.Name())
		Expect(c.bad).NotTo(HaveOccurred(), "%s", c.Name())
		Expect(cmds).To(HaveLen(len(c.Sent())), "%s: commands framed by content-length vs decoded", c.Name())
		for i, m := range c.Sent() {
			Expect(string(cmds[i].Body)).To(Equal(string(m.Body)))
			if m.Method == "SEND" {
				Expect(string(m.Body)).To(Equal("héllo ☃ wörld"))
				n++
			}
		}
	}
	if n == 0 {
		h.NotApplicable("the user agent sent no SEND")
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.2.2/1", Section: "8.2.2", Level: reports.LevelMust,
	Requirement: "Presence requests carry PRIM-PR/1.0, IM requests PRIM-IM/1.0, and LOGIN, PING and LOGOUT the version of their connection's service; no other version is sent.",
	Statements:  []string{"PRIM-A8.2.2-1", "PRIM-A8.2-1", "PRIM-A8.2.2-3"},
	Decisions:   []string{"D1"},
}), func(h *harness.H) {
	lab := busySession(h)
	for _, m := range requests(lab) {
		Expect(m.Version).To(BeElementOf(wire.VersionPresence, wire.VersionIM), "%q", m.StartLine())
		Expect(wire.VersionMatches(wire.ProfileClient, m.Version, m.Method)).To(BeTrue(), "%q: wrong service version", m.StartLine())
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.2.2/2", Section: "8.2.2", Level: reports.LevelMust,
	Requirement: "The user agent answers the server's NOTIFY and SEND with the version of the request.",
	Statements:  []string{"PRIM-A8.2.2-1"},
	Decisions:   []string{"D34"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	if sess.Pres != nil {
		n := lab.Notify(lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), "v"))
		sess.Pres.Send(n)
		sess.Pres.ExpectResponse(n.ID, harness.HaveVersion(wire.VersionPresence))
	}
	if im := sess.MustIM(h); im != nil {
		lab.AnswerAll()
		lab.ok(Cmd{Cmd: "listen"})
		in := imTo(h, lab)
		im.Send(in)
		im.ExpectResponse(in.ID, harness.HaveVersion(wire.VersionIM))
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/9.2.1/1", Section: "9.2.1", Level: reports.LevelMust,
	Requirement: "The user agent sends no body with a method that allows none (SUBSCRIBE, UNSUBSCRIBE, FETCH, REMOVE, LISTEN, SILENCE, PING, LOGOUT, the initial LOGIN's body aside).",
	Statements:  []string{"PRIM-A9.2.1-1"},
	Decisions:   []string{"D44"},
}), func(h *harness.H) {
	lab := busySession(h)
	lab.Do(Cmd{Cmd: "logout"})
	lab.Wait(h.Quiet() / 4)
	var bad []string
	for _, m := range requests(lab) {
		spec, ok := wire.LookupMethod(wire.ProfileClient, m.Method)
		if ok && spec.RequestBody == wire.BodyForbidden && len(m.Body) > 0 {
			bad = append(bad, fmt.Sprintf("%q carries %d body octets", m.StartLine(), len(m.Body)))
		}
	}
	Expect(bad).To(BeEmpty())
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/9.2.1/2", Section: "9.2.1", Level: reports.LevelMust,
	Requirement: "Content-Transfer-Encoding never appears in anything the user agent sends.",
	Statements:  []string{"PRIM-A9.2.1-3", "PRIM-A14.2-3"},
}), func(h *harness.H) {
	lab := busySession(h)
	for _, c := range lab.Conns() {
		for _, m := range c.Sent() {
			Expect(m).NotTo(harness.HaveHeader("Content-Transfer-Encoding"), "%q", m.StartLine())
		}
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/9.2.1/3", Section: "9.2.1", Level: reports.LevelMust,
	Requirement: "Every command the user agent sends with a body carries a Content-Type.",
	Statements:  []string{"PRIM-A14.2-1", "PRIM-A15-1"},
	Decisions:   []string{"D18"},
}), func(h *harness.H) {
	lab := busySession(h)
	n := 0
	for _, c := range lab.Conns() {
		for _, m := range c.Sent() {
			if len(m.Body) > 0 {
				n++
				Expect(m).To(harness.HaveHeader("Content-Type"), "%q carries a body", m.StartLine())
			}
		}
	}
	Expect(n).To(BeNumerically(">", 0))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.2.3/1", Section: "8.2.3", Level: reports.LevelMust,
	Requirement: "The request ids of requests outstanding at once on a connection are all different.",
	Statements:  []string{"PRIM-A8.2.3-1", "PRIM-A8.2.3-2"},
	Decisions:   []string{"D5"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	for _, u := range []string{"bob", "carol", "dave", "erin"} {
		lab.Do(Cmd{Cmd: "fetch", To: lab.Pres(u)})
	}
	lab.Do(Cmd{Cmd: "subscribe", To: lab.Pres("frank"), Duration: 600})
	// Pipelining is optional: a user agent may wait for each response. Ids must differ among
	// the requests outstanding at once; once answered, an id may be reused (PRIM-A8.2.3-2).
	outstanding := map[string]string{}
	most := 0
	for got := 0; got < 5; {
		ev := pres.NextWithin(h.Quiet())
		switch {
		case ev.Msg != nil && ev.Msg.IsRequest():
			m := ev.Msg
			Expect(outstanding).NotTo(HaveKey(m.ID), "id %q of %q is already outstanding for %q", m.ID, m.StartLine(), outstanding[m.ID])
			outstanding[m.ID] = m.StartLine()
			most = max(most, len(outstanding))
			got++
		case ev.Timeout && len(outstanding) > 0:
			for id, line := range outstanding {
				pres.Respond(&wire.Message{Version: strings.Fields(line)[1], ID: id}, wire.StatusResourceNotFound)
			}
			outstanding = map[string]string{}
		case ev.Msg == nil:
			h.Failf("the user agent sent %d of the 5 requests asked for, then: %s", got, ev)
		}
	}
	h.Saw("at most %d requests outstanding at once", most)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.2.3/2", Section: "8.2.3", Level: reports.LevelMust,
	Requirement: "Request ids are 1 to 64 letters or digits, and \"-\" exactly for the methods that get no response (PING, LOGOUT).",
	Statements:  []string{"PRIM-A8.2.3-3", "PRIM-A8.2-1"},
	Decisions:   []string{"D5", "D6"},
}), func(h *harness.H) {
	lab := busySession(h)
	lab.Do(Cmd{Cmd: "logout"})
	lab.Wait(h.Quiet() / 4)
	for _, m := range requests(lab) {
		spec, ok := wire.LookupMethod(wire.ProfileClient, m.Method)
		Expect(ok).To(BeTrue(), "unknown method in %q", m.StartLine())
		if spec.Response {
			Expect(m.ID).To(MatchRegexp(requestIDPattern.String()), "%q", m.StartLine())
		} else {
			Expect(m.ID).To(Equal(wire.NoResponse), "%q gets no response", m.StartLine())
		}
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.2.3/3", Section: "8.2.3", Level: reports.LevelMust,
	Requirement: "Responses answered out of order are matched to their requests by id: each fetch reports its own answer.",
	Statements:  []string{"PRIM-A8.2.3-1"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	users := []string{"bob", "carol", "dave"}
	ids := map[string]string{}
	for _, u := range users {
		ids[u] = lab.Do(Cmd{Cmd: "fetch", To: lab.Pres(u)})
	}
	reqs := map[string]*wire.Message{}
	for len(reqs) < len(users) {
		ev := pres.NextWithin(h.Quiet())
		if ev.Msg == nil {
			if ev.Timeout {
				h.NotApplicable("the user agent does not pipeline: %d of %d FETCHes outstanding at once (pipelining is optional)", len(reqs), len(users))
			}
			h.Failf("while waiting for the FETCHes: %s", ev)
		}
		if ev.Msg.Method == "FETCH" {
			reqs[strings.ToLower(stripAnyScheme(ev.Msg.Value("To")))] = ev.Msg
		}
	}
	answer := map[string]int{"bob": wire.StatusOK, "carol": wire.StatusForbidden, "dave": wire.StatusResourceNotFound}
	for i := len(users) - 1; i >= 0; i-- {
		u := users[i]
		req := reqs[u+"@"+lab.Domain]
		Expect(req).NotTo(BeNil(), "no FETCH for %s", u)
		if answer[u] == wire.StatusOK {
			resp := &wire.Message{Version: req.Version, ID: req.ID, Code: wire.StatusOK, Phrase: "OK"}
			withPresence(resp, lab.Pres(u), OpenTuple("t1", lab.IM(u), "note of "+u))
			pres.Send(resp)
		} else {
			pres.Respond(req, answer[u])
		}
	}
	for _, u := range users {
		res := lab.Result(ids[u])
		Expect(res.Code).To(Equal(answer[u]), "fetch of %s", u)
		if answer[u] == wire.StatusOK {
			Expect(res.Tuples).To(ContainElement(HaveField("Note", "note of "+u)))
		}
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.2.3/4", Section: "8.2.3", Level: reports.LevelMust,
	Requirement: "The user agent's response carries the server's request id exactly as received, letters and leading zeros included.",
	Statements:  []string{"PRIM-A8.2.3-1", "PRIM-A8.3-1"},
	Decisions:   []string{"D5"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	for _, id := range []string{"000123", "0aB9z"} {
		n := lab.Notify(lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), id))
		n.ID = id
		pres.Send(n)
		Expect(pres.Expect()).To(harness.HaveID(id))
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.2.3/5", Section: "8.2.3", Level: reports.LevelMust,
	Requirement: "A NOTIFY with request id \"-\" is not answered; the next NOTIFY is.",
	Statements:  []string{"PRIM-A8.2.3-4", "PRIM-A8.3-2"},
	Decisions:   []string{"D6"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	n := lab.Notify(lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), "unanswered"))
	n.ID = wire.NoResponse
	pres.Send(n)
	pres.ExpectNoResponse(0)
	probe := lab.Notify(lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), "answered"))
	pres.Send(probe)
	pres.ExpectResponse(probe.ID)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.2.3/6", Section: "8.2.3", Level: reports.LevelShould,
	Requirement: "A response whose id matches no outstanding request is ignored: the user agent keeps working and matches the next real response.",
	Statements:  []string{"PRIM-A8.2.3-1"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	pres.SendString("PRIM-PR/1.0 zz999 0 200 OK\r\n\r\n")
	id := lab.Do(Cmd{Cmd: "fetch", To: lab.Pres("bob")})
	req := pres.ExpectRequest("FETCH")
	pres.Respond(req, wire.StatusResourceNotFound)
	Expect(lab.Result(id).Code).To(Equal(wire.StatusResourceNotFound))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.1/1", Section: "8.1", Level: reports.LevelShould,
	Requirement: "Empty lines received where a start line is expected are ignored: a NOTIFY after three CRLFs is answered.",
	Statements:  []string{"PRIM-A8.1-4"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	n := lab.Notify(lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), "after blank lines"))
	pres.SendString("\r\n\r\n\r\n")
	pres.Send(n)
	pres.ExpectResponse(n.ID, harness.HaveCode(wire.StatusOK))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.1/2", Section: "8.1", Level: reports.LevelMust,
	Requirement: "A command is read however the stream is cut: a NOTIFY sent one octet at a time is answered once.",
	Statements:  []string{"PRIM-A8.1-3", "PRIM-A8.2.4-1"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	n := lab.Notify(lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), "slowly"))
	for _, b := range n.Bytes() {
		pres.SendRaw([]byte{b})
	}
	pres.ExpectResponse(n.ID, harness.HaveCode(wire.StatusOK))
	pres.ExpectNoResponse(0)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/8.1/3", Section: "8.1", Level: reports.LevelMust,
	Requirement: "Two NOTIFYs arriving in one segment are both read and each answered once, with its own id.",
	Statements:  []string{"PRIM-A8.1-3", "PRIM-A8.2.3-1"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	a := lab.Notify(lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), "one"))
	b := lab.Notify(lab.Pres("carol"), OpenTuple("t1", lab.IM("carol"), "two"))
	pres.SendRaw(wire.Append(a.Bytes(), b))
	pres.ExpectResponse(a.ID, harness.HaveCode(wire.StatusOK))
	pres.ExpectResponse(b.ID, harness.HaveCode(wire.StatusOK))
	pres.ExpectNoResponse(0)
})
