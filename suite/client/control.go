package client

import (
	"regexp"

	. "github.com/onsi/gomega"

	"github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/pidf"
	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// I2 §11.1.1 lease types, §11.1.4-§11.1.7 class table and watcher information, §11.3.2
// GETACL, §14.4-§14.5 the presence document's values, and LOGIN as a whole (§10.3.1): the
// rest of the presentity's control commands from the user agent's side.

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.1/6", Section: "10.3.1", Level: reports.LevelMust,
	Requirement: "Every LOGIN the user agent sends is well formed: From, Auth-State and SASL-Mech present, no body on the initial one, exactly one mechanism on the continuing one.",
	Statements:  []string{"PRIM-A12.1-1", "PRIM-A10.3.1-8", "PRIM-A12.1-10"},
	Decisions:   []string{"D10", "D44"},
}), func(h *harness.H) {
	lab := Start(h)
	lab.Login(LoginOptions{Mech: "CRAM-MD5"})
	n := 0
	for _, m := range requests(lab) {
		if m.Method != "LOGIN" {
			continue
		}
		n++
		expectValid(m)
		if m.Value("Auth-State") == "init" {
			Expect(m).To(harness.HaveNoBody(), "%q", m.StartLine())
		}
	}
	Expect(n).To(BeNumerically(">=", 2))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.1.1/8", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "Renewing a lease sends PI-Type renew with the Duration; reverting sends PI-Type revert without Duration.",
	Statements:  []string{"PRIM-A11.1.1-7", "PRIM-A11.1.1-8"},
	Decisions:   []string{"D29"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	renew, _ := publishOf(lab, pres, Cmd{Tuple: "desk", Status: "open", PIType: "renew", Duration: 300})
	Expect(renew).To(harness.HaveHeader("PI-Type", "renew"))
	Expect(renew).To(harness.HaveHeader("Duration", "300"))
	revert, _ := publishOf(lab, pres, Cmd{Tuple: "desk", Status: "open", PIType: "revert"})
	Expect(revert).To(harness.HaveHeader("PI-Type", "revert"))
	Expect(revert).NotTo(harness.HaveHeader("Duration"))
	for _, m := range []*wire.Message{renew, revert} {
		expectValid(m)
	}
})

var numericZone = regexp.MustCompile(`[+-][0-9]{4}\s*$`)

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/14.5/1", Section: "14.5", Level: reports.LevelMust,
	Requirement: "Dates in the presence documents the user agent publishes use a numeric time zone.",
	Statements:  []string{"PRIM-A14.5-1"},
	Decisions:   []string{"D24"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	req, _ := publishOf(lab, pres, Cmd{Tuple: "desk", Status: "open"})
	doc, err := parseXML(req.Body)
	Expect(err).NotTo(HaveOccurred())
	dates := []string{}
	if d, ok := doc.attr("date"); ok {
		dates = append(dates, d)
	}
	for _, n := range doc.find("contact") {
		if d, ok := n.attr("date"); ok {
			dates = append(dates, d)
		}
	}
	if d := req.Value("Date"); d != "" {
		dates = append(dates, d)
	}
	if len(dates) == 0 {
		h.NotApplicable("the published document carries no date")
	}
	for _, d := range dates {
		Expect(d).To(MatchRegexp(numericZone.String()), "date %q", d)
	}
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/14.4.7/1", Section: "14.4.7", Level: reports.LevelMust,
	Requirement: "A preference the user gives is published as a <preference value> below 2^32, the value given.",
	Statements:  []string{"PRIM-A14.4.7-1", "PRIM-A14.4.7-2"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	req, _ := publishOf(lab, pres, Cmd{Tuple: "desk", Status: "open", Preference: "4294967295"})
	doc, err := parseXML(req.Body)
	Expect(err).NotTo(HaveOccurred())
	prefs := doc.find("preference")
	Expect(prefs).To(HaveLen(1))
	v, _ := prefs[0].attr("value")
	Expect(v).To(Equal("4294967295"))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.1.4/1", Section: "11.1.4", Level: reports.LevelMust,
	Requirement: "GETCLASSTABLE carries From and no body, and the class table in the 200 is given to the user.",
	Statements:  []string{"PRIM-A11.1.4-1", "PRIM-A13.1.1-1"},
	Decisions:   []string{"D44"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	id := lab.Do(Cmd{Cmd: "getclasstable"})
	req := pres.ExpectRequest("GETCLASSTABLE")
	expectValid(req)
	Expect(sameID(req.Value("From"), lab.Self("pres"))).To(BeTrue(), "From %q", req.Value("From"))
	resp := &wire.Message{Version: req.Version, ID: req.ID, Code: wire.StatusOK, Phrase: "OK"}
	resp.Add("Content-Type", "text/xml")
	resp.Body = pidf.FormatClassTable(pidf.ClassTable{Classes: []pidf.Class{{Name: "friends", Watchers: []string{"bob@" + lab.Domain}}}})
	pres.Send(resp)
	res := lab.Result(id)
	Expect(res.Code).To(Equal(wire.StatusOK))
	Expect(res.Classes).To(ContainElement(HaveField("Name", "friends")))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.3.2/1", Section: "11.3.2", Level: reports.LevelMust,
	Requirement: "GETACL for the inbox goes on the IM connection with the principal's im: identifier, and the ACL in the 200 is given to the user.",
	Statements:  []string{"PRIM-A11.3.2-1", "PRIM-A13.2.1-5", "PRIM-A8.2.2-1"},
	RFC2779:     []string{"2.3.5"},
	Decisions:   []string{"D44"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	im := sess.MustIM(h)
	id := lab.Do(Cmd{Cmd: "getacl", Service: "im"})
	req := im.ExpectRequest("GETACL")
	expectValid(req)
	Expect(req).To(harness.HaveVersion(wire.VersionIM))
	Expect(sameID(req.Value("From"), lab.Self("im"))).To(BeTrue(), "From %q", req.Value("From"))
	resp := &wire.Message{Version: req.Version, ID: req.ID, Code: wire.StatusOK, Phrase: "OK"}
	resp.Add("Content-Type", "text/xml")
	resp.Body = pidf.FormatACL(pidf.ACL{Entries: []pidf.ACLEntry{{Targets: []string{"@" + lab.Domain}, Allow: []pidf.Right{pidf.Send}}}})
	im.Send(resp)
	res := lab.Result(id)
	Expect(res.Code).To(Equal(wire.StatusOK))
	Expect(res.Entries).To(ContainElement(HaveField("Allow", ContainElement("send"))))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.1.5/1", Section: "11.1.5", Level: reports.LevelMust,
	Requirement: "STARTWATCHERNOTIFY carries From and no body, and the current subscribers listed in the 200 are given to the user.",
	Statements:  []string{"PRIM-A11.1.5-2", "PRIM-A11.1.5-1"},
	RFC2779:     []string{"5.1.11"},
	Decisions:   []string{"D44"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	id := lab.Do(Cmd{Cmd: "startwatchernotify"})
	req := pres.ExpectRequest("STARTWATCHERNOTIFY")
	expectValid(req)
	resp := &wire.Message{Version: req.Version, ID: req.ID, Code: wire.StatusOK, Phrase: "OK"}
	resp.Add("Content-Type", "text/xml")
	resp.Body = pidf.FormatSubscribers([]string{lab.Pres("bob"), lab.Pres("carol")})
	pres.Send(resp)
	res := lab.Result(id)
	Expect(res.Code).To(Equal(wire.StatusOK))
	Expect(res.Watchers).To(HaveLen(2))
})

// watcherNotify builds a WATCHERNOTIFY telling the principal that bob subscribed.
func watcherNotify(lab *Lab) *wire.Message {
	return lab.Request("WATCHERNOTIFY", "From", lab.Pres("bob"), "To", lab.Self("pres"), "Watcher-Type", "subscribe")
}

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.1.7/1", Section: "11.1.7", Level: reports.LevelMust,
	Requirement: "A WATCHERNOTIFY is answered (it requires a response), with its id and version and no body.",
	Statements:  []string{"PRIM-A11.1.7-1", "PRIM-A8.2.3-1"},
	Decisions:   []string{"D34"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	lab.AnswerAll()
	lab.ok(Cmd{Cmd: "startwatchernotify"})
	wn := watcherNotify(lab)
	pres.Send(wn)
	resp := pres.ExpectResponse(wn.ID, harness.HaveVersion(wn.Version), harness.HaveNoBody())
	Expect(resp.Code/100).To(Equal(2), "answered %d", resp.Code)
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/11.1.7/2", Section: "11.1.7", Level: reports.LevelMust,
	Requirement: "The presentity's user learns who subscribed: the watcher and the kind of watching a WATCHERNOTIFY reports are given to the user.",
	Statements:  []string{"PRIM-A11.1.7-1"},
	RFC2779:     []string{"5.1.11"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	lab.AnswerAll()
	lab.ok(Cmd{Cmd: "startwatchernotify"})
	pres.Send(watcherNotify(lab))
	ev := lab.WaitEvent("watcher", nil)
	Expect(sameID(ev.From, lab.Pres("bob")) || sameID(ev.From, "bob@"+lab.Domain)).To(BeTrue(), "watcher %q", ev.From)
	Expect(ev.WatcherType).To(Equal("subscribe"))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/14.4.6/1", Section: "14.4.6", Level: reports.LevelShould,
	Requirement: "The published <note> holds only text: a note with markup characters is escaped, not turned into elements.",
	Statements:  []string{"PRIM-A14.4.6-1", "PRIM-A14.3-1"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres := sess.MustPres(h)
	note := "<b>busy</b> & away"
	req, _ := publishOf(lab, pres, Cmd{Tuple: "desk", Status: "open", Note: note})
	doc, err := parseXML(req.Body)
	Expect(err).NotTo(HaveOccurred(), "body %q", req.Body)
	notes := doc.find("note")
	Expect(notes).To(HaveLen(1))
	Expect(notes[0].Children).To(BeEmpty(), "the note has child elements")
	Expect(notes[0].Text).To(Equal(note))
})

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/3/1", Section: "3", Level: reports.LevelMust,
	Requirement: "A user agent talks only to its home server: watching and messaging users of another domain goes over its home connections, and it opens no connection elsewhere.",
	Statements:  []string{"PRIM-A3-1"},
	RFC2779:     []string{"2.4.1", "2.4.3"},
}), func(h *harness.H) {
	lab, sess := loggedIn(h)
	pres, im := sess.Pres, sess.IM
	if pres != nil {
		_, res := sentRequest(lab, pres, Cmd{Cmd: "subscribe", To: "pres:bob@remote.example", Duration: 600}, "SUBSCRIBE", wire.StatusOK)
		Expect(res.Error).To(BeEmpty())
	}
	if im != nil {
		_, res := sendOf(lab, im, Cmd{To: "im:bob@remote.example", Body: "hello there"}, wire.StatusOK)
		Expect(res.Error).To(BeEmpty())
	}
	for _, c := range lab.Conns() {
		Expect(c.Listener).To(Equal(Home), "%s", c.Name())
	}
})
