package server

import (
	"regexp"
	"strings"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §14 PRIM's presence format as the server must carry it on client links (prim-digest §4.8;
// Decisions D2, D22, D23): one application/presence entity per tuple, several as
// multipart/mixed, a Tuple-ID on every entity, no Content-Transfer-Encoding, and the XML
// passed end to end without modification.

// checkFraming asserts the MIME framing rules of I2 §14.1-14.2 on a presence body and returns
// its entities: Content-Type present and application/presence or multipart/mixed, every entity
// application/presence with a Tuple-ID, no Content-Transfer-Encoding, well-formed XML.
func checkFraming(h *H, m *wire.Message) []presenceEntity {
	ginkgo.GinkgoHelper()
	if len(m.Body) > 0 {
		Expect(m).To(HaveHeader("Content-Type"), "PRIM-A14.2-1: a presence body has a Content-Type")
	}
	Expect(m.Count("Content-Transfer-Encoding")).To(BeZero(), "PRIM-A14.2-3")
	es := mustEntities(h, m)
	for i, e := range es {
		Expect(e.contentType).To(Equal("application/presence"), "PRIM-A14.1-1: entity %d's type", i+1)
		Expect(e.hasTupleID).To(BeTrue(), "PRIM-A14.2-2: entity %d carries a Tuple-ID", i+1)
		Expect(e.cte).To(BeFalse(), "PRIM-A14.2-3: entity %d has Content-Transfer-Encoding", i+1)
		Expect(wellFormedXML(e.doc)).To(Succeed(), "PRIM-A14.3-1: entity %d is well-formed XML: %q", i+1, e.doc)
	}
	return es
}

// entityFor returns the document of the entity with Tuple-ID tid, or fails the case.
func entityFor(h *H, es []presenceEntity, tid string) []byte {
	ginkgo.GinkgoHelper()
	var ids []string
	for _, e := range es {
		if e.tupleID == tid {
			return e.doc
		}
		ids = append(ids, e.tupleID)
	}
	h.Failf("no entity with Tuple-ID %q (Tuple-IDs seen: %q)", tid, ids)
	return nil
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/14/1", Section: "14", Level: reports.LevelMust,
	Requirement: "A FETCH response's presence body is framed per I2 §14: Content-Type, one application/presence entity per tuple, each with its Tuple-ID, well-formed XML, no Content-Transfer-Encoding.",
	Statements:  []string{"PRIM-A14.2-1", "PRIM-A14.2-2", "PRIM-A14.2-3", "PRIM-A14.1-1", "PRIM-A11.1.1-11", "PRIM-A10.1.3-1"},
	RFC2779:     []string{"3.1.1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid := h.Unique("pc")
	publishPerm(h, alice, tid, h.Unique("framed"))
	resp := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	entityFor(h, checkFraming(h, resp), tid)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/14/2", Section: "14", Level: reports.LevelMust,
	Requirement: "Several tuples travel as multipart/mixed whose parts are application/presence entities, one per tuple.",
	Statements:  []string{"PRIM-A14.1-1", "PRIM-A14.2-2"},
	RFC2779:     []string{"3.1.1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	t1, t2 := h.Unique("pc"), h.Unique("phone")
	publishPerm(h, alice, t1, h.Unique("one"))
	publishPerm(h, alice, t2, h.Unique("two"))
	resp := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(strings.ToLower(resp.Value("Content-Type"))).To(HavePrefix("multipart/mixed"))
	es := checkFraming(h, resp)
	entityFor(h, es, t1)
	entityFor(h, es, t2)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/14/3", Section: "14", Level: reports.LevelMust,
	Requirement: "A NOTIFY's presence body is framed per I2 §14 and each document in it is well-formed XML.",
	Statements:  []string{"PRIM-A10.1.4-5", "PRIM-A14.2-1", "PRIM-A14.2-2", "PRIM-A14.3-1", "PRIM-A14.1-1"},
	RFC2779:     []string{"3.1.1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	tid, tag := h.Unique("pc"), h.Unique("notified")
	publishPerm(h, alice, tid, tag)
	n := notifyShowing(h, bob, tag)
	Expect(n).To(HaveBody(), "a NOTIFY carries the presence document")
	entityFor(h, checkFraming(h, n), tid)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/14/4", Section: "14", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE response's presence body is framed per I2 §14.",
	Statements:  []string{"PRIM-A10.1.1-2", "PRIM-A14.2-1", "PRIM-A14.2-2", "PRIM-A14.2-3"},
	Decisions:   []string{"D25"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid := h.Unique("pc")
	publishPerm(h, alice, tid, h.Unique("subscribed"))
	resp := subscribeTo(h, h.LoggedIn("bob"), alice.Pres(), 600)
	entityFor(h, checkFraming(h, resp), tid)
})

// oddDoc is a well-formed presence document whose bytes a re-serialising server would change:
// an XML declaration, a comment, single-quoted attributes, a character reference, unusual
// white space, and an element from another namespace (PRIM-A14.3-5).
func oddDoc(owner, tag string) []byte {
	return []byte("<?xml version='1.0' encoding='UTF-8'?>\r\n<!-- kept as is -->\n" +
		"<presence  identifier='" + owner + "'   date='Mon, 26 Feb 2001 09:52:08 +0900' >\n" +
		"\t<presentity><display-name>A &amp; B &#x263A;</display-name></presentity>\n" +
		"\t<contact address='im:" + bare(owner) + "'><display-name>IM</display-name><status value='open'/>" +
		"<note>" + noteMark(tag) + "</note>" +
		"<x:mood xmlns:x='urn:example:primlab:mood'>curious</x:mood></contact>\n</presence>")
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/14/5", Section: "14", Level: reports.LevelMust,
	Requirement: "The server passes the presence XML end to end without modifying it: the document a watcher receives (FETCH and NOTIFY) is byte for byte the one published, its presentity identifier included.",
	Statements:  []string{"PRIM-A14.1-2", "PRIM-A14.3-2"},
	RFC2779:     []string{"3.1.2", "3.3.3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	tid, tag := h.Unique("pc"), h.Unique("odd")
	doc := oddDoc(alice.Pres(), tag)
	alice.Call(pubReq(h, alice.Pres(), "permanent", tid, doc), HaveCode(wire.StatusOK))
	n := notifyShowing(h, bob, tag)
	Expect(string(entityFor(h, mustEntities(h, n), tid))).To(Equal(string(doc)), "the NOTIFY's document")
	got := fetchView(h, bob, alice.Pres())
	Expect(string(entityFor(h, mustEntities(h, got), tid))).To(Equal(string(doc)), "the FETCH's document")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/14/6", Section: "14", Level: reports.LevelMust,
	Requirement: "The format is extensible: a PUBLISH whose document holds elements the spec does not define is accepted, and watchers receive those elements.",
	Statements:  []string{"PRIM-A14.3-5", "PRIM-A14.3-2", "PRIM-A14.1-2"},
	RFC2779:     []string{"3.1.4"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tag := h.Unique("extended")
	doc := []byte(`<presence identifier="` + alice.Pres() + `" date="Mon, 26 Feb 2001 09:52:08 +0900">` +
		`<contact address="` + alice.IM() + `"><display-name>IM</display-name><status value="open"/>` +
		`<note>` + noteMark(tag) + `</note><location xmlns="urn:example:primlab:geo"><room>B-204</room></location></contact>` +
		`<activity xmlns="urn:example:primlab:activity">lunch</activity></presence>`)
	alice.Call(pubReq(h, alice.Pres(), "permanent", h.Unique("pc"), doc), HaveCode(wire.StatusOK))
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, tag)).To(BeTrue(), "body %q", got.Body)
	Expect(string(got.Body)).To(ContainSubstring("<room>B-204</room>"))
	Expect(string(got.Body)).To(ContainSubstring("lunch"))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/14/7", Section: "14", Level: reports.LevelMust,
	Requirement: "Tuples may describe other means of contact: tel: and mailto: contact addresses with open/closed status reach the watcher intact.",
	Statements:  []string{"PRIM-A14.4.3-2", "PRIM-A14.4.4-1", "PRIM-A14.1-2"},
	RFC2779:     []string{"3.1.3", "4.4.3", "4.4.2"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tel, mail := h.Unique("tel"), h.Unique("mail")
	alice.Call(pubReq(h, alice.Pres(), "permanent", h.Unique("phone"), tupleDoc(alice.Pres(), "tel:+1-800-555-0100", "closed", noteMark(tel))),
		HaveCode(wire.StatusOK))
	alice.Call(pubReq(h, alice.Pres(), "permanent", h.Unique("mail"), tupleDoc(alice.Pres(), "mailto:"+bare(alice.Pres()), "open", noteMark(mail))),
		HaveCode(wire.StatusOK))
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	body := string(got.Body)
	Expect(body).To(ContainSubstring("tel:+1-800-555-0100"))
	Expect(body).To(ContainSubstring("mailto:" + bare(alice.Pres())))
	Expect(showsTag(got, tel) && showsTag(got, mail)).To(BeTrue(), "body %q", body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/14/8", Section: "14", Level: reports.LevelMust,
	Requirement: "Other MIME headers on a presence document (Content-ID, Content-Description) do not change how the server treats it.",
	Statements:  []string{"PRIM-A14.2-4", "PRIM-A14.2-5"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, tag := h.Unique("pc"), h.Unique("described")
	req := pubReq(h, alice.Pres(), "permanent", tid, tupleBody(alice.Pres(), tag, "open"))
	req.Add("Content-ID", "<"+tid+"@primlab.test>")
	req.Add("Content-Description", "my desk computer")
	alice.Call(req, HaveCode(wire.StatusOK), HaveNoBody())
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, tag)).To(BeTrue(), "body %q", got.Body)
	entityFor(h, mustEntities(h, got), tid)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/14/9", Section: "14", Level: reports.LevelMust,
	Requirement: "Non-ASCII UTF-8 text in a presence document reaches the watcher octet for octet.",
	Statements:  []string{"PRIM-A8.1-1", "PRIM-A14.1-2"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tag := h.Unique("utf8")
	note := noteMark(tag) + " Grüße, 今日は, Привет 🙂"
	alice.Call(pubReq(h, alice.Pres(), "permanent", h.Unique("pc"), tupleDoc(alice.Pres(), alice.IM(), "open", note)),
		HaveCode(wire.StatusOK))
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(string(got.Body)).To(ContainSubstring(note))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/14/10", Section: "14", Level: reports.LevelShould,
	Requirement: "A Tuple-ID shaped like the drafts' own examples (a contact URL with \":\" and \"@\") is accepted and given back on the entity.",
	Statements:  []string{"PRIM-A9.3.2-1", "PRIM-A14.2-2"},
	Decisions:   []string{"D22"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid := "im:" + h.Unique("foo") + "@bar.com"
	publishPerm(h, alice, tid, h.Unique("url-tuple"))
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	entityFor(h, mustEntities(h, got), tid)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/14/11", Section: "14", Level: reports.LevelShould,
	Requirement: "A PUBLISH carrying two tuple documents (multipart/mixed) is refused with 400: one PUBLISH sets exactly one tuple.",
	Statements:  []string{"PRIM-A11.1.1-1", "PRIM-A14.1-1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	a, b := h.Unique("part-a"), h.Unique("part-b")
	body := "--b1\r\nContent-Type: application/presence\r\nTuple-ID: pa\r\n\r\n" + string(tupleBody(alice.Pres(), a, "open")) +
		"\r\n--b1\r\nContent-Type: application/presence\r\nTuple-ID: pb\r\n\r\n" + string(tupleBody(alice.Pres(), b, "open")) + "\r\n--b1--"
	req := pubReq(h, alice.Pres(), "permanent", h.Unique("pc"), nil)
	req.Add("Content-Type", `multipart/mixed; boundary="b1"`)
	req.Body = []byte(body)
	alice.Call(req, HaveCode(wire.StatusBadRequest))
})

// primDate is the date-time of I2 §14.5 with single spaces and a numeric zone (Decision D24).
var primDate = regexp.MustCompile(`^(?:[A-Za-z]{3}, )?[0-9]{1,2} [A-Za-z]{3} [0-9]{4} [0-9]{2}:[0-9]{2}(?::[0-9]{2})? [+-][0-9]{4}$`)

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/14/12", Section: "14", Level: reports.LevelMust,
	Requirement: "A Date header the server puts on presence messages (SUBSCRIBE and FETCH responses, NOTIFY) uses the PRIM date format with a numeric time zone.",
	Statements:  []string{"PRIM-A14.5-1"},
	Decisions:   []string{"D24"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	msgs := []*wire.Message{subscribeTo(h, bob, alice.Pres(), 600)}
	tag := h.Unique("dated")
	publishPerm(h, alice, h.Unique("pc"), tag)
	msgs = append(msgs, notifyShowing(h, bob, tag), fetchView(h, bob, alice.Pres()))
	dated := 0
	for _, m := range msgs {
		for _, hd := range m.Headers {
			if hd.Name == "Date" {
				dated++
				Expect(hd.Value).To(MatchRegexp(primDate.String()), "Date of %q", m.StartLine())
			}
		}
	}
	h.Saw("%d Date headers on %d presence messages", dated, len(msgs))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/14/13", Section: "14", Level: reports.LevelMust,
	Requirement: "Day and month names in a document's date are matched case-insensitively: a PUBLISH dated \"mon, 26 feb 2001 09:52:08 +0900\" is accepted.",
	Statements:  []string{"PRIM-A14.5-2", "PRIM-A14.1-2"},
	Decisions:   []string{"D24"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tag := h.Unique("lower-case-date")
	doc := strings.Replace(string(tupleBody(alice.Pres(), tag, "open")), "Mon, 26 Feb 2001", "mon, 26 feb 2001", 1)
	Expect(doc).To(ContainSubstring("mon, 26 feb 2001"))
	alice.Call(pubReq(h, alice.Pres(), "permanent", h.Unique("pc"), []byte(doc)), HaveCode(wire.StatusOK))
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, tag)).To(BeTrue(), "body %q", got.Body)
})
