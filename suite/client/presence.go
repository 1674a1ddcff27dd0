package client

import (
	"strconv"

	. "github.com/onsi/gomega"

	"github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/pidf"
	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// I2 §10.1 presence commands and §11.1 presence control, from the user agent's side: what it
// sends when the user subscribes, fetches and publishes, and how it takes NOTIFY and
// CANCELSUBSCRIPTION (prim-digest §4).

// expectValid asserts that wire.Validate finds nothing wrong with a request the user agent sent
// (version, id, body rule, the method's required headers, header value syntax).
func expectValid(m *wire.Message) {
	vs := wire.Validate(m, wire.ProfileClient)
	Expect(vs).To(BeEmpty(), "%q: %s", m.StartLine(), violations(vs))
}

// sentRequest has the user agent run a driver command and returns the request it sent on c,
// answered with code.
func sentRequest(lab *Lab, c *Conn, cmd Cmd, method string, code int) (*wire.Message, UAEvent) {
	id := lab.Do(cmd)
	req := c.ExpectRequest(method)
	c.Respond(req, code)
	return req, lab.Result(id)
}

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.1.1/1", Section: "10.1.1", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE carries From (the principal's pres: identifier), To (the presentity) and Duration (the requested seconds), and no body.",
	Statements:  []string{"PRIM-A9.2.1-1", "PRIM-A8.2-1"},
	Decisions:   []string{"D44", "D30", "D37"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	lab.Do(Cmd{Cmd: "subscribe", To: lab.Pres("bob"), Duration: 600})
	req := pres.ExpectRequest("SUBSCRIBE")
	expectValid(req)
	Expect(sameID(req.Value("From"), lab.Self("pres"))).To(BeTrue(), "From %q", req.Value("From"))
	Expect(sameID(req.Value("To"), lab.Pres("bob"))).To(BeTrue(), "To %q", req.Value("To"))
	Expect(req).To(harness.HaveHeader("Duration", "600"))
	Expect(req).To(harness.HaveNoBody())
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.1.1/2", Section: "10.1.1", Level: reports.LevelMust,
	Requirement: "The presence carried in the 200 to SUBSCRIBE is given to the user.",
	Statements:  []string{"PRIM-A10.1.1-2"},
	RFC2779:     []string{"3.2.2"},
	Decisions:   []string{"D25"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	id := lab.Do(Cmd{Cmd: "subscribe", To: lab.Pres("bob"), Duration: 600})
	req := pres.ExpectRequest("SUBSCRIBE")
	resp := &wire.Message{Version: req.Version, ID: req.ID, Code: wire.StatusOK, Phrase: "OK"}
	resp.Add("Duration", "600")
	withPresence(resp, lab.Pres("bob"), OpenTuple("phone", "tel:+15551234", "on a call"))
	pres.Send(resp)
	res := lab.Result(id)
	Expect(res.Code).To(Equal(wire.StatusOK))
	Expect(res.Tuples).To(ContainElement(And(HaveField("ID", "phone"), HaveField("Note", "on a call"), HaveField("Status", "open"))))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.1.1/3", Section: "10.1.1", Level: reports.LevelMust,
	Requirement: "201 Duration Adjusted is reported to the user with the duration the server chose.",
	Statements:  []string{"PRIM-A10.1.1-3"},
	RFC2779:     []string{"5.1.10"},
	Decisions:   []string{"D25", "D30"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	id := lab.Do(Cmd{Cmd: "subscribe", To: lab.Pres("bob"), Duration: 999999})
	req := pres.ExpectRequest("SUBSCRIBE")
	resp := &wire.Message{Version: req.Version, ID: req.ID, Code: wire.StatusDurationAdjusted, Phrase: wire.Phrase(wire.StatusDurationAdjusted)}
	resp.Add("Duration", "1800")
	withPresence(resp, lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), "x"))
	pres.Send(resp)
	res := lab.Result(id)
	Expect(res.Code).To(Equal(wire.StatusDurationAdjusted))
	Expect(res.Duration).To(Equal("1800"))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/7.1/1", Section: "7.1", Level: reports.LevelShould,
	Requirement: "An identifier the user enters without scheme is taken in the presence context: subscribing to user@domain sends To: pres:user@domain.",
	Statements:  []string{"PRIM-A7.1-6"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	lab.Do(Cmd{Cmd: "subscribe", To: "bob@" + lab.Domain, Duration: 600})
	req := pres.ExpectRequest("SUBSCRIBE")
	Expect(sameID(req.Value("To"), lab.Pres("bob"))).To(BeTrue(), "To %q", req.Value("To"))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/7.1/2", Section: "7.1", Level: reports.LevelShould,
	Requirement: "An identifier the user enters without scheme is taken in the IM context: sending to user@domain sends To: im:user@domain.",
	Statements:  []string{"PRIM-A7.1-6"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	im := sess.MustIM(h)
	lab.Do(Cmd{Cmd: "send", To: "bob@" + lab.Domain, Body: "hi"})
	req := im.ExpectRequest("SEND")
	Expect(sameID(req.Value("To"), lab.IM("bob"))).To(BeTrue(), "To %q", req.Value("To"))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.1.2/1", Section: "10.1.2", Level: reports.LevelMust,
	Requirement: "Cancelling a subscription sends UNSUBSCRIBE with From and To of the subscription and no body.",
	Statements:  []string{"PRIM-A9.2.1-1"},
	RFC2779:     []string{"5.1.7"},
	Decisions:   []string{"D44"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	req, res := sentRequest(lab, pres, Cmd{Cmd: "unsubscribe", To: lab.Pres("bob")}, "UNSUBSCRIBE", wire.StatusOK)
	expectValid(req)
	Expect(sameID(req.Value("From"), lab.Self("pres"))).To(BeTrue(), "From %q", req.Value("From"))
	Expect(sameID(req.Value("To"), lab.Pres("bob"))).To(BeTrue(), "To %q", req.Value("To"))
	Expect(res.Code).To(Equal(wire.StatusOK))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.1.3/1", Section: "10.1.3", Level: reports.LevelMust,
	Requirement: "A FETCH carries From (the principal) and To (the presentity) and no body.",
	Statements:  []string{"PRIM-A9.2.1-1"},
	Decisions:   []string{"D44", "D37"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	req, _ := sentRequest(lab, pres, Cmd{Cmd: "fetch", To: lab.Pres("bob")}, "FETCH", wire.StatusResourceNotFound)
	expectValid(req)
	Expect(sameID(req.Value("From"), lab.Self("pres"))).To(BeTrue(), "From %q", req.Value("From"))
	Expect(sameID(req.Value("To"), lab.Pres("bob"))).To(BeTrue(), "To %q", req.Value("To"))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.1.3/2", Section: "10.1.3", Level: reports.LevelMust,
	Requirement: "The presence in the 200 to FETCH, closed status included, is given to the user; a 403 is reported as a failure.",
	Statements:  []string{"PRIM-A10.1.3-1", "PRIM-A14.4.4-1"},
	RFC2779:     []string{"3.2.1", "4.4.2"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	id := lab.Do(Cmd{Cmd: "fetch", To: lab.Pres("bob")})
	req := pres.ExpectRequest("FETCH")
	resp := &wire.Message{Version: req.Version, ID: req.ID, Code: wire.StatusOK, Phrase: "OK"}
	withPresence(resp, lab.Pres("bob"), pidf.Tuple{ID: "pc", Status: pidf.Closed, Contact: lab.IM("bob"), Note: "gone home"})
	pres.Send(resp)
	res := lab.Result(id)
	Expect(res.Code).To(Equal(wire.StatusOK))
	Expect(res.Tuples).To(ContainElement(And(HaveField("ID", "pc"), HaveField("Status", "closed"), HaveField("Note", "gone home"))))
	_, res = sentRequest(lab, pres, Cmd{Cmd: "fetch", To: lab.Pres("nobody")}, "FETCH", wire.StatusResourceNotFound)
	Expect(res.Code).To(Equal(wire.StatusResourceNotFound))
})

// subscribedTo has the user agent subscribe to bob, answered 200 with bob's presence.
func subscribedTo(lab *Lab, pres *Conn, who string) {
	id := lab.Do(Cmd{Cmd: "subscribe", To: lab.Pres(who), Duration: 600})
	req := pres.ExpectRequest("SUBSCRIBE")
	resp := &wire.Message{Version: req.Version, ID: req.ID, Code: wire.StatusOK, Phrase: "OK"}
	resp.Add("Duration", "600")
	withPresence(resp, lab.Pres(who), OpenTuple("t0", lab.IM(who), "initial"))
	pres.Send(resp)
	lab.Result(id)
}

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.1.4/1", Section: "10.1.4", Level: reports.LevelMust,
	Requirement: "A NOTIFY for a subscription is answered 200 with the same id and version, the From and To that I2's response table lists, and no body.",
	Statements:  []string{"PRIM-A10.1.4-6", "PRIM-A8.2.3-1", "PRIM-A8.3-2"},
	Decisions:   []string{"D26", "D34"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	subscribedTo(lab, pres, "bob")
	n := lab.Notify(lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), "back"))
	pres.Send(n)
	resp := pres.ExpectResponse(n.ID, harness.HaveCode(wire.StatusOK), harness.HaveVersion(n.Version), harness.HaveNoBody())
	vs := wire.ValidateResponse(resp, wire.ProfileClient, "NOTIFY")
	Expect(vs).To(BeEmpty(), violations(vs))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.1.4/2", Section: "10.1.4", Level: reports.LevelMust,
	Requirement: "The presence a NOTIFY carries is given to the user: the presentity, each tuple's status and note.",
	Statements:  []string{"PRIM-A10.1.4-4", "PRIM-A14.4.4-1"},
	RFC2779:     []string{"3.2.3", "4.4.2", "3.1.2"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	subscribedTo(lab, pres, "bob")
	n := lab.Notify(lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), "reading"))
	pres.Send(n)
	ev := lab.WaitEvent("notify", nil)
	Expect(sameID(ev.From, lab.Pres("bob")) || sameID(ev.From, "bob@"+lab.Domain)).To(BeTrue(), "from %q", ev.From)
	Expect(ev.Tuples).To(ContainElement(And(HaveField("ID", "t1"), HaveField("Status", "open"), HaveField("Note", "reading"))))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.1.4/3", Section: "10.1.4", Level: reports.LevelMust,
	Requirement: "A NOTIFY carrying several tuples as multipart/mixed (one application/presence part per tuple) gives the user every tuple.",
	Statements:  []string{"PRIM-A14.1-1", "PRIM-A10.1.4-4", "PRIM-A5.3-4"},
	RFC2779:     []string{"4.4.3"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	subscribedTo(lab, pres, "bob")
	n := lab.Notify(lab.Pres("bob"), OpenTuple("pc", lab.IM("bob"), "typing"),
		pidf.Tuple{ID: "phone", Status: pidf.Closed, Contact: "tel:+15551234"})
	Expect(n.Value("Content-Type")).To(HavePrefix("multipart/mixed"))
	pres.Send(n)
	pres.ExpectResponse(n.ID, harness.HaveCode(wire.StatusOK))
	ev := lab.WaitEvent("notify", nil)
	Expect(ev.Tuples).To(ContainElement(And(HaveField("ID", "pc"), HaveField("Status", "open"))))
	Expect(ev.Tuples).To(ContainElement(And(HaveField("ID", "phone"), HaveField("Status", "closed"), HaveField("Contact", "tel:+15551234"))))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.1.4/4", Section: "10.1.4", Level: reports.LevelShould,
	Requirement: "Elements the presence format does not define are silently ignored: a NOTIFY whose tuple carries a foreign element is accepted and its known fields given to the user.",
	Statements:  []string{"PRIM-A14.3-6", "PRIM-A14.3-5", "PRIM-A14.3-2"},
	RFC2779:     []string{"3.1.4"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	subscribedTo(lab, pres, "bob")
	n := lab.Request("NOTIFY", "From", lab.Pres("bob"), "To", lab.Self("pres"), "Tuple-ID", "t1", "Content-Type", pidf.TypePrim)
	n.Body = []byte(`<presence identifier="` + lab.Pres("bob") + `" date="Fri, 2 Jan 2026 03:04:05 +0000">` +
		`<contact address="` + lab.IM("bob") + `"><display-name>bob</display-name><status value="open"/>` +
		`<mood xmlns="urn:example:mood">sunny</mood><note>extended</note></contact></presence>`)
	pres.Send(n)
	pres.ExpectResponse(n.ID, harness.HaveCode(wire.StatusOK))
	ev := lab.WaitEvent("notify", nil)
	Expect(ev.Tuples).To(ContainElement(And(HaveField("ID", "t1"), HaveField("Status", "open"))))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.1.4/5", Section: "10.1.4", Level: reports.LevelMust,
	Requirement: "A NOTIFY with a body that is not a presence document still gets a response (the user agent does not hang or drop the connection), and the next NOTIFY is answered too.",
	Statements:  []string{"PRIM-A10.1.4-5", "PRIM-A8.2.3-1"},
	Decisions:   []string{"D26"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	subscribedTo(lab, pres, "bob")
	bad := lab.Request("NOTIFY", "From", lab.Pres("bob"), "To", lab.Self("pres"), "Tuple-ID", "t1", "Content-Type", pidf.TypePrim)
	bad.Body = []byte("<presence><contact")
	pres.Send(bad)
	h.Accept(pres.Next(),
		harness.OneOf("400 Bad Request (body not a valid presence document)", harness.HaveCode(wire.StatusBadRequest)),
		harness.OneOf("200 OK (accepted, presence ignored)", harness.HaveCode(wire.StatusOK)))
	n := lab.Notify(lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), "fine again"))
	pres.Send(n)
	pres.ExpectResponse(n.ID, harness.HaveCode(wire.StatusOK))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.1.4/6", Section: "10.1.4", Level: reports.LevelShould,
	Requirement: "Every NOTIFY of a burst is answered and given to the user, in order.",
	Statements:  []string{"PRIM-A10.1.4-2"},
	RFC2779:     []string{"5.2.2"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	subscribedTo(lab, pres, "bob")
	var batch []byte
	var ids []string
	for i := 1; i <= 5; i++ {
		n := lab.Notify(lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), "n"+strconv.Itoa(i)))
		ids = append(ids, n.ID)
		batch = wire.Append(batch, n)
	}
	pres.SendRaw(batch)
	for _, id := range ids {
		pres.ExpectResponse(id, harness.HaveCode(wire.StatusOK))
	}
	for i := 1; i <= 5; i++ {
		ev := lab.WaitEvent("notify", nil)
		Expect(ev.Tuples).To(ContainElement(HaveField("Note", "n"+strconv.Itoa(i))))
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.1.5/1", Section: "10.1.5", Level: reports.LevelMust,
	Requirement: "CANCELSUBSCRIPTION (id \"-\") gets no response; the connection goes on (the next NOTIFY is answered).",
	Statements:  []string{"PRIM-A10.1.5-2", "PRIM-A8.2.3-4"},
	Decisions:   []string{"D6"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	subscribedTo(lab, pres, "bob")
	cs := lab.Request("CANCELSUBSCRIPTION", "From", lab.Pres("bob"), "To", lab.Self("pres"))
	cs.ID = wire.NoResponse
	pres.Send(cs)
	pres.ExpectNoResponse(0)
	n := lab.Notify(lab.Pres("carol"), OpenTuple("t1", lab.IM("carol"), "probe"))
	pres.Send(n)
	pres.ExpectResponse(n.ID)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.1.5/2", Section: "10.1.5", Level: reports.LevelMust,
	Requirement: "CANCELSUBSCRIPTION sent with a real request id still gets no response (the method has none).",
	Statements:  []string{"PRIM-A10.1.5-2"},
	Decisions:   []string{"D6"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	subscribedTo(lab, pres, "bob")
	cs := lab.Request("CANCELSUBSCRIPTION", "From", lab.Pres("bob"), "To", lab.Self("pres"))
	pres.Send(cs)
	pres.ExpectNoResponse(0)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.1.5/3", Section: "10.1.5", Level: reports.LevelShould,
	Requirement: "The user is told that the presentity cancelled the subscription.",
	Statements:  []string{"PRIM-A10.1.5-1"},
	RFC2779:     []string{"5.1.9"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	subscribedTo(lab, pres, "bob")
	cs := lab.Request("CANCELSUBSCRIPTION", "From", lab.Pres("bob"), "To", lab.Self("pres"))
	cs.ID = wire.NoResponse
	pres.Send(cs)
	ev := lab.WaitEvent("cancelled", nil)
	Expect(sameID(ev.From, lab.Pres("bob")) || sameID(ev.From, "bob@"+lab.Domain)).To(BeTrue(), "from %q", ev.From)
})

// publishOf has the user agent publish and returns the PUBLISH it sent.
func publishOf(lab *Lab, pres *Conn, c Cmd) (*wire.Message, UAEvent) {
	c.Cmd = "publish"
	return sentRequest(lab, pres, c, "PUBLISH", wire.StatusOK)
}

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.1.1/1", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "A PUBLISH carries From (the principal), PI-Type, Tuple-ID and Content-Type application/presence, with one presence document as body.",
	Statements:  []string{"PRIM-A11.1.1-1", "PRIM-A14.2-1", "PRIM-A14.2-2"},
	Decisions:   []string{"D44", "D14"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	req, res := publishOf(lab, pres, Cmd{Tuple: "desk", Status: "open", Note: "in"})
	expectValid(req)
	Expect(sameID(req.Value("From"), lab.Self("pres"))).To(BeTrue(), "From %q", req.Value("From"))
	Expect(req).To(harness.HaveHeader("Tuple-ID", "desk"))
	Expect(req).To(harness.HaveHeader("PI-Type"))
	Expect(mediaTypeOf(req.Value("Content-Type"))).To(Equal(pidf.TypePrim))
	Expect(res.Code).To(Equal(wire.StatusOK))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.1.1/2", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "The PUBLISH body is exactly one well-formed XML presence document.",
	Statements:  []string{"PRIM-A11.1.1-1", "PRIM-A14.3-1"},
	Decisions:   []string{"D23"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	req, _ := publishOf(lab, pres, Cmd{Tuple: "desk", Status: "open", Note: "a <b> & c"})
	root, _, err := wellFormedXML(req.Body)
	Expect(err).NotTo(HaveOccurred(), "body %q", req.Body)
	Expect(root).To(Equal("presence"))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.1.1/3", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "The published tuple says what the user chose: a contact with an address attribute holding a URL, its display-name and a status of open or closed.",
	Statements:  []string{"PRIM-A14.4.3-1", "PRIM-A14.4.3-2", "PRIM-A14.4.4-1"},
	RFC2779:     []string{"4.4.2", "4.4.1"},
	Decisions:   []string{"D23"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	for _, status := range []string{"open", "closed"} {
		req, _ := publishOf(lab, pres, Cmd{Tuple: "desk", Status: status, Contact: lab.IM("alice"), DisplayName: "Alice"})
		doc, err := parseXML(req.Body)
		Expect(err).NotTo(HaveOccurred())
		contacts := doc.find("contact")
		Expect(contacts).To(HaveLen(1), "one contact per tuple document (Decision D23)")
		addr, ok := contacts[0].attr("address")
		Expect(ok).To(BeTrue(), "contact without address attribute")
		Expect(addr).To(ContainSubstring(":"), "address %q is not a URL", addr)
		Expect(contacts[0].find("display-name")).NotTo(BeEmpty())
		st := contacts[0].find("status")
		Expect(st).To(HaveLen(1))
		v, _ := st[0].attr("value")
		Expect(v).To(Equal(status))
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.1.1/4", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "Duration goes with PI-Type leased (the seconds asked for) and never with permanent.",
	Statements:  []string{"PRIM-A11.1.1-8", "PRIM-A11.1.1-7"},
	Decisions:   []string{"D29"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	perm, _ := publishOf(lab, pres, Cmd{Tuple: "desk", Status: "open", PIType: "permanent"})
	Expect(perm).To(harness.HaveHeader("PI-Type", "permanent"))
	Expect(perm).NotTo(harness.HaveHeader("Duration"))
	leased, _ := publishOf(lab, pres, Cmd{Tuple: "desk", Status: "closed", PIType: "leased", Duration: 120})
	Expect(leased).To(harness.HaveHeader("PI-Type", "leased"))
	Expect(leased).To(harness.HaveHeader("Duration", "120"))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.1.1/5", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "Publishing to a class names it in the Class header.",
	Statements:  []string{"PRIM-A9.3.1-1", "PRIM-A11.1.1-3"},
	Decisions:   []string{"D14"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	req, _ := publishOf(lab, pres, Cmd{Tuple: "desk", Status: "open", Class: []string{"friends"}})
	Expect(req).To(harness.HaveHeader("Class", "friends"))
	expectValid(req)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.1.1/6", Section: "11.1.1", Level: reports.LevelShould,
	Requirement: "Published presence documents hold no processing instructions or CDATA sections, even for a note with markup characters.",
	Statements:  []string{"PRIM-A14.3-3"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	req, _ := publishOf(lab, pres, Cmd{Tuple: "desk", Status: "open", Note: "<b>]]> & <?pi?>"})
	_, piOrCDATA, err := wellFormedXML(req.Body)
	Expect(err).NotTo(HaveOccurred(), "body %q", req.Body)
	Expect(piOrCDATA).To(BeFalse(), "body %q", req.Body)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.1.1/7", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "The published presence document identifies the presentity: its root names the principal's pres: identifier.",
	Statements:  []string{"PRIM-A14.3-1"},
	RFC2779:     []string{"3.1.2"},
	Decisions:   []string{"D23"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	req, _ := publishOf(lab, pres, Cmd{Tuple: "desk", Status: "open"})
	doc, err := parseXML(req.Body)
	Expect(err).NotTo(HaveOccurred())
	id, ok := doc.attr("identifier")
	if !ok {
		id, ok = doc.attr("address") // Decision D23: accept both spellings
	}
	Expect(ok).To(BeTrue(), "the presence element names no presentity")
	Expect(sameID(id, lab.Self("pres"))).To(BeTrue(), "presentity %q", id)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.1.2/1", Section: "11.1.2", Level: reports.LevelMust,
	Requirement: "A REMOVE carries From (the principal) and the Tuple-ID, and no body.",
	Statements:  []string{"PRIM-A9.2.1-1", "PRIM-A11.1.2-1"},
	Decisions:   []string{"D44"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	req, _ := sentRequest(lab, pres, Cmd{Cmd: "remove", Tuple: "desk"}, "REMOVE", wire.StatusOK)
	expectValid(req)
	Expect(req).To(harness.HaveHeader("Tuple-ID", "desk"))
	Expect(sameID(req.Value("From"), lab.Self("pres"))).To(BeTrue(), "From %q", req.Value("From"))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.1.3/1", Section: "11.1.3", Level: reports.LevelMust,
	Requirement: "A SETCLASSTABLE body is a well-formed classtable XML document, with a Content-Type.",
	Statements:  []string{"PRIM-A11.1.3-1", "PRIM-A14.3-1"},
	Decisions:   []string{"D18"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	req, _ := sentRequest(lab, pres, Cmd{Cmd: "setclasstable", Classes: []Class{{Name: "friends", Watchers: []string{"bob@" + lab.Domain}}}},
		"SETCLASSTABLE", wire.StatusOK)
	expectValid(req)
	Expect(req).To(harness.HaveHeader("Content-Type"))
	root, _, err := wellFormedXML(req.Body)
	Expect(err).NotTo(HaveOccurred(), "body %q", req.Body)
	Expect(root).To(Equal("classtable"))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.3.1/1", Section: "11.3.1", Level: reports.LevelMust,
	Requirement: "A SETACL carries From (the resource owner) and a well-formed XML ACL document with a Content-Type.",
	Statements:  []string{"PRIM-A11.3.1-1", "PRIM-A13.2.1-1"},
	RFC2779:     []string{"2.3.1"},
	Decisions:   []string{"D18"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	req, _ := sentRequest(lab, pres, Cmd{Cmd: "setacl", Service: "pres",
		Entries: []ACLEntry{{Targets: []string{"@" + lab.Domain}, Allow: []string{"fetch", "subscribe"}}, {Targets: []string{"."}, Allow: []string{}}}},
		"SETACL", wire.StatusOK)
	expectValid(req)
	Expect(sameID(req.Value("From"), lab.Self("pres"))).To(BeTrue(), "From %q", req.Value("From"))
	Expect(req).To(harness.HaveHeader("Content-Type"))
	_, _, err := wellFormedXML(req.Body)
	Expect(err).NotTo(HaveOccurred(), "body %q", req.Body)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/7.1/3", Section: "7.1", Level: reports.LevelMust,
	Requirement: "A character the identifier grammar does not allow (a space) is %-escaped in the identifier sent, or the user agent refuses the identifier; it never sends it raw.",
	Statements:  []string{"PRIM-A7.1-1", "PRIM-A7.1-5"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	id := lab.Do(Cmd{Cmd: "subscribe", To: "pres:bob smith@" + lab.Domain, Duration: 600})
	var req *wire.Message
	var res UAEvent
	lab.wait(func() bool {
		for _, m := range pres.backlog {
			if m.Method == "SUBSCRIBE" {
				req = m
				return true
			}
		}
		i := lab.findEvent("result", func(e UAEvent) bool { return e.ID == id })
		if i >= 0 {
			res = lab.t.events()[i]
		}
		return i >= 0
	}, h.Timeout())
	switch {
	case req != nil:
		Expect(req.Value("To")).To(Equal("pres:bob%20smith@"+lab.Domain), "the space is escaped as %%20")
		h.Saw("escaped: %q", req.Value("To"))
	case res.Error != "" && res.Code == 0:
		h.Saw("refused locally: %s", res.Error)
	default:
		h.Failf("neither a SUBSCRIBE nor a local refusal: %s", res)
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/7.1/4", Section: "7.1", Level: reports.LevelMust,
	Requirement: "Unreserved characters of the PRIM grammar (! $ & ' * . + - / = ? _ ~) in an identifier are sent as they are, never %-escaped.",
	Statements:  []string{"PRIM-A7.1-2"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	// §3.8 unreserved, not RFC 2396's: "(" and ")" are not in PRIM's set and must be escaped.
	to := "pres:o'neil.j-x_y~z!$&*+=?/w@" + lab.Domain
	req, _ := sentRequest(lab, pres, Cmd{Cmd: "fetch", To: to}, "FETCH", wire.StatusResourceNotFound)
	Expect(req.Value("To")).To(Equal(to))
})
