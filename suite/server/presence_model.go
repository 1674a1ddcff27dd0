package server

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	gtypes "github.com/onsi/gomega/types"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §5.2-5.5 presence model: tuples, classes, the lease model and subscription lifetimes
// (prim-digest §4.1-4.5). The first half of this file is the small presence kit shared by
// presence_subscribe.go, presence_publish.go, privacy_classes.go and pidf.go.
//
// Views are judged by markers: every tuple value a case publishes carries a note "#<tag>#"
// with a tag from h.Unique (unique per run, since an external target keeps its state between
// cases), and what a watcher sees (a SUBSCRIBE or FETCH body, a NOTIFY) is the set of markers
// its body contains. That holds however a server frames the tuples (one application/presence
// entity or multipart/mixed, PRIM-A14.1-1). Every case that judges a view first resets the
// presentity's ACL and Class Table (openPresence), so no earlier case's state leaks into it.

// noteMark is the note text that identifies one published tuple value.
func noteMark(tag string) string { return "#" + tag + "#" }

// showsTag reports whether a message's body contains the tuple value tagged tag.
func showsTag(m *wire.Message, tag string) bool {
	return m != nil && bytes.Contains(m.Body, []byte(noteMark(tag)))
}

// tupleBody is a one-tuple application/presence document for owner whose note is tag's mark.
func tupleBody(owner, tag, status string) []byte {
	return tupleDoc(owner, "im:"+bare(owner), status, noteMark(tag))
}

// pubReq builds a PUBLISH for presentity from in the order of prim-digest §9.2 C1: From,
// PI-Type, Duration, Tuple-ID, Class, Content-Type. extra holds Duration and Class pairs.
func pubReq(h *H, from, piType, tid string, body []byte, extra ...string) *wire.Message {
	m := h.Request("PUBLISH", "From", from, "PI-Type", piType)
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i] == "Duration" {
			m.Add(extra[i], extra[i+1])
		}
	}
	m.Add("Tuple-ID", tid)
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i] != "Duration" {
			m.Add(extra[i], extra[i+1])
		}
	}
	if body != nil {
		m.Add("Content-Type", "application/presence")
		m.Body = body
	}
	return m
}

// publishPerm publishes a permanent value of tuple tid, tagged tag, for the peer's own
// presentity (default class, or the classes given) and expects 200.
func publishPerm(h *H, p *Peer, tid, tag string, classes ...string) {
	ginkgo.GinkgoHelper()
	var extra []string
	if len(classes) > 0 {
		extra = []string{"Class", strings.Join(classes, " ")}
	}
	p.Call(pubReq(h, p.Pres(), "permanent", tid, tupleBody(p.Pres(), tag, "open"), extra...),
		HaveCode(wire.StatusOK))
}

// publishLeased publishes a leased value valid for secs seconds and returns the lease the
// server reports (its response's Duration when numeric, else secs).
func publishLeased(h *H, p *Peer, tid, tag string, secs int, classes ...string) time.Duration {
	ginkgo.GinkgoHelper()
	extra := []string{"Duration", strconv.Itoa(secs)}
	if len(classes) > 0 {
		extra = append(extra, "Class", strings.Join(classes, " "))
	}
	resp := p.Call(pubReq(h, p.Pres(), "leased", tid, tupleBody(p.Pres(), tag, "open"), extra...),
		HaveCode(wire.StatusOK))
	return leaseOf(resp, secs)
}

// leaseOf is the lease a PUBLISH response reports, or secs.
func leaseOf(resp *wire.Message, secs int) time.Duration {
	if n, err := strconv.Atoi(resp.Value("Duration")); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return time.Duration(secs) * time.Second
}

// openPresence lets everybody fetch and subscribe to the owner's presentity (cases must not
// depend on the target's default ACL, Decision D15) and empties its Class Table, so that every
// watcher is in the default class (PRIM-A5.3-2). A target that manages Class Tables out of
// band (501) keeps its table: the suite never changed it.
func openPresence(h *H, owner *Peer) {
	ginkgo.GinkgoHelper()
	putACL(h, owner, owner.Pres(), aclXML([2]string{".", "fetch subscribe"}))
	resp := owner.Call(setClassTableReq(h, owner.Pres(), classTableDoc()))
	if resp.Code != wire.StatusNotImplemented {
		Expect(resp).To(HaveCode(wire.StatusOK), "setup: SETCLASSTABLE with an empty table")
	}
}

// classTableDoc is a classtable document (I2 §13.1.2): class name → space-separated watcher
// entries.
func classTableDoc(classes ...[2]string) []byte {
	var b strings.Builder
	b.WriteString("<classtable>")
	for _, c := range classes {
		b.WriteString(`<class name="` + c[0] + `">`)
		for _, w := range strings.Fields(c[1]) {
			b.WriteString("<watcher>" + w + "</watcher>")
		}
		b.WriteString("</class>")
	}
	b.WriteString("</classtable>")
	return []byte(b.String())
}

// setClassTableReq builds a SETCLASSTABLE for presentity from.
func setClassTableReq(h *H, from string, doc []byte) *wire.Message {
	req := h.Request("SETCLASSTABLE", "From", from, "Content-Type", "text/xml")
	req.Body = doc
	return req
}

// setClasses replaces the owner's Class Table. Class Tables may be managed out of band
// (PRIM-A13.1.1-1/-2 MAY): a target answering 501 makes the case not applicable.
func setClasses(h *H, owner *Peer, classes ...[2]string) {
	ginkgo.GinkgoHelper()
	resp := owner.Call(setClassTableReq(h, owner.Pres(), classTableDoc(classes...)))
	if resp.Code == wire.StatusNotImplemented {
		h.NotApplicable("SETCLASSTABLE answered 501: Class Tables are not managed by command (PRIM-A13.1.1-1 MAY)")
	}
	Expect(resp).To(HaveCode(wire.StatusOK), "setup: SETCLASSTABLE on the owner's own presentity")
}

// subscribeTo places (or renews) the watcher's subscription to presentity and expects 200 or
// 201 (PRIM-A10.1.1-3); it returns the response.
func subscribeTo(h *H, w *Peer, presentity string, secs int) *wire.Message {
	ginkgo.GinkgoHelper()
	return w.Call(h.Request("SUBSCRIBE", "From", w.Pres(), "To", presentity, "Duration", strconv.Itoa(secs)),
		HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
}

// granted is the subscription lifetime a SUBSCRIBE response grants (its Duration header).
func granted(h *H, resp *wire.Message) time.Duration {
	ginkgo.GinkgoHelper()
	n, err := strconv.Atoi(resp.Value("Duration"))
	Expect(err).NotTo(HaveOccurred(), "the SUBSCRIBE response's Duration %q (PRIM-A10.1.1-3)", resp.Value("Duration"))
	Expect(n).To(BeNumerically(">", 0), "the granted Duration")
	return time.Duration(n) * time.Second
}

// fetchView reads presentity as the watcher sees it and expects 200 (PRIM-A10.1.3-1).
func fetchView(h *H, w *Peer, presentity string) *wire.Message {
	ginkgo.GinkgoHelper()
	return w.Call(h.Request("FETCH", "From", w.Pres(), "To", presentity), HaveCode(wire.StatusOK))
}

// nextRequest waits up to d for the next request of method from the target on w and returns
// it unanswered; nil when none came. Other requests are answered 200 (unless their id is "-")
// and skipped, and so are stray responses. A closed connection ends the case with verdict
// error.
func nextRequest(h *H, w *Peer, method string, d time.Duration) *wire.Message {
	ginkgo.GinkgoHelper()
	for i := 0; i < 16; i++ {
		ev := w.NextWithin(d)
		switch {
		case ev.Timeout:
			return nil
		case ev.Closed:
			h.Errorf("%s: %s while waiting for a %s", w.Name(), ev, method)
		case ev.Msg.IsRequest() && ev.Msg.Method == method:
			return ev.Msg
		case ev.Msg.IsRequest() && ev.Msg.ID != wire.NoResponse:
			w.Respond(ev.Msg, wire.StatusOK)
		}
	}
	return nil
}

// nextNotify waits up to d for the next NOTIFY on w, answers it 200 (Decision D26) and
// returns it; nil when none came.
func nextNotify(h *H, w *Peer, d time.Duration) *wire.Message {
	ginkgo.GinkgoHelper()
	n := nextRequest(h, w, "NOTIFY", d)
	if n != nil && n.ID != wire.NoResponse {
		w.Respond(n, wire.StatusOK)
	}
	return n
}

// awaitNotify waits for a NOTIFY on w that satisfies ok, skipping (and answering) earlier
// ones that do not: a server may send more NOTIFYs than the case needs. None before the
// deadline fails the case.
func awaitNotify(h *H, w *Peer, what string, ok func(*wire.Message) bool) *wire.Message {
	ginkgo.GinkgoHelper()
	var seen []string
	for i := 0; i < 8; i++ {
		n := nextNotify(h, w, h.Timeout())
		if n == nil {
			break
		}
		if ok(n) {
			return n
		}
		seen = append(seen, fmt.Sprintf("%q", n.Body))
	}
	h.Failf("%s: no NOTIFY %s within %v (other NOTIFYs seen: %d %s)", w.Name(), what, h.Timeout(), len(seen), strings.Join(seen, ", "))
	return nil
}

// notifyShowing waits for a NOTIFY that shows every tag in want.
func notifyShowing(h *H, w *Peer, want ...string) *wire.Message {
	ginkgo.GinkgoHelper()
	return awaitNotify(h, w, "showing "+strings.Join(want, ", "), func(m *wire.Message) bool {
		for _, t := range want {
			if !showsTag(m, t) {
				return false
			}
		}
		return true
	})
}

// forgetSubscription removes a subscription an earlier case may have left for the watcher's
// principal: an external target keeps state between cases, and a server may keep
// subscriptions per principal rather than per connection (Decision D13 leaves it open).
// 200 and 404 are both fine.
func forgetSubscription(h *H, w *Peer, presentity string) {
	ginkgo.GinkgoHelper()
	w.Call(h.Request("UNSUBSCRIBE", "From", w.Pres(), "To", presentity))
}

// expectNoNotify asserts that no NOTIFY reaches w for the run's quiet period (other requests
// are answered and skipped).
func expectNoNotify(h *H, w *Peer, why string) {
	ginkgo.GinkgoHelper()
	if n := nextNotify(h, w, h.Quiet()); n != nil {
		h.Failf("%s: expected no NOTIFY (%s), got %q with body %q", w.Name(), why, n.StartLine(), n.Body)
	}
}

// expectNoneShowing asserts that no NOTIFY showing tag reaches w for the quiet period:
// NOTIFYs that do not reveal it are tolerated.
func expectNoneShowing(h *H, w *Peer, tag, why string) {
	ginkgo.GinkgoHelper()
	for i := 0; i < 8; i++ {
		n := nextNotify(h, w, h.Quiet())
		if n == nil {
			return
		}
		if showsTag(n, tag) {
			h.Failf("%s: a NOTIFY revealed %s (%s); body %q", w.Name(), tag, why, n.Body)
		}
	}
}

// presenceEntity is one application/presence entity of a presence body: its headers (the
// command's for a single-entity body, the part's for multipart/mixed) and its document.
type presenceEntity struct {
	contentType string
	tupleID     string
	hasTupleID  bool
	cte         bool // carries Content-Transfer-Encoding (PRIM-A14.2-3)
	doc         []byte
}

// presenceEntities splits a presence body per I2 §14.1-14.2: empty (no tuple), one
// application/presence entity, or multipart/mixed of them.
func presenceEntities(m *wire.Message) ([]presenceEntity, error) {
	if len(m.Body) == 0 {
		return nil, nil
	}
	ct, ok := m.Get("Content-Type")
	if !ok {
		return nil, fmt.Errorf("a presence body without Content-Type (PRIM-A14.2-1)")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, fmt.Errorf("Content-Type %q: %w", ct, err)
	}
	switch mt {
	case "application/presence":
		tid, has := m.Get("Tuple-ID")
		_, cte := m.Get("Content-Transfer-Encoding")
		return []presenceEntity{{contentType: mt, tupleID: tid, hasTupleID: has, cte: cte, doc: m.Body}}, nil
	case "multipart/mixed":
		boundary := params["boundary"]
		if boundary == "" {
			return nil, fmt.Errorf("Content-Type %q has no boundary", ct)
		}
		r := multipart.NewReader(bytes.NewReader(m.Body), boundary)
		var out []presenceEntity
		for {
			part, err := r.NextRawPart()
			if err == io.EOF {
				return out, nil
			}
			if err != nil {
				return nil, fmt.Errorf("multipart/mixed body: %w", err)
			}
			doc, err := io.ReadAll(part)
			if err != nil {
				return nil, fmt.Errorf("multipart/mixed part %d: %w", len(out)+1, err)
			}
			pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
			_, has := part.Header["Tuple-Id"]
			_, cte := part.Header["Content-Transfer-Encoding"]
			out = append(out, presenceEntity{contentType: pt, tupleID: part.Header.Get("Tuple-ID"),
				hasTupleID: has, cte: cte, doc: doc})
		}
	}
	return nil, fmt.Errorf("Content-Type %q is neither application/presence nor multipart/mixed (PRIM-A14.1-1)", ct)
}

// mustEntities is presenceEntities asserting a well-framed body.
func mustEntities(h *H, m *wire.Message) []presenceEntity {
	ginkgo.GinkgoHelper()
	es, err := presenceEntities(m)
	Expect(err).NotTo(HaveOccurred(), "the presence body of %q", m.StartLine())
	return es
}

// haveIdentifier matches a message whose header holds the identifier id, compared
// case-insensitively (PRIM-A7.1-3, Decision D38).
func haveIdentifier(name, id string) gtypes.GomegaMatcher {
	return WithTransform(func(m *wire.Message) string { return m.Value(name) },
		WithTransform(strings.ToLower, Equal(strings.ToLower(id))))
}

var dottedQuad = regexp.MustCompile(`\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b`)

// ipLiterals returns the IPv4 address literals in a message's headers and body.
func ipLiterals(m *wire.Message) []string {
	var out []string
	for _, hd := range m.Headers {
		out = append(out, dottedQuad.FindAllString(hd.Value, -1)...)
	}
	return append(out, dottedQuad.FindAllString(string(m.Body), -1)...)
}

// ---- §5.2 presence information: tuples ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.2/1", Section: "5.2", Level: reports.LevelMust,
	Requirement: "Presence information is a set of tuples: two tuples with different Tuple-IDs are both visible to a watcher.",
	Statements:  []string{"PRIM-A5.3-4", "PRIM-A10.1.3-1", "PRIM-A11.1.1-11"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	pc, phone := h.Unique("pc"), h.Unique("phone")
	publishPerm(h, alice, h.Unique("pc"), pc)
	publishPerm(h, alice, h.Unique("phone"), phone)
	bob := h.LoggedIn("bob")
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, pc) && showsTag(got, phone)).To(BeTrue(), "FETCH shows both tuples; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.2/2", Section: "5.2", Level: reports.LevelMust,
	Requirement: "The tuple is the unit of update: publishing one tuple replaces its value and leaves the other tuples as they were.",
	Statements:  []string{"PRIM-A11.1.1-11", "PRIM-A5.3-4"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	pcID, phoneID := h.Unique("pc"), h.Unique("phone")
	pc, phone1, phone2 := h.Unique("pc-v1"), h.Unique("phone-v1"), h.Unique("phone-v2")
	publishPerm(h, alice, pcID, pc)
	publishPerm(h, alice, phoneID, phone1)
	publishPerm(h, alice, phoneID, phone2)
	bob := h.LoggedIn("bob")
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, pc)).To(BeTrue(), "the untouched tuple is still shown; body %q", got.Body)
	Expect(showsTag(got, phone2)).To(BeTrue(), "the updated tuple shows its new value; body %q", got.Body)
	Expect(showsTag(got, phone1)).To(BeFalse(), "the replaced value is gone; body %q", got.Body)
})

// ---- §5.3 publication and distribution: classes ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.3/1", Section: "5.3", Level: reports.LevelMust,
	Requirement: "Watchers not listed in the Class Table belong to the default class: they see what was published without a Class header, and nothing published to a named class.",
	Statements:  []string{"PRIM-A5.3-2", "PRIM-A11.1.1-4", "PRIM-A13.1-2"},
	RFC2779:     []string{"2.3.3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))})
	tid, def, fr := h.Unique("pc"), h.Unique("default-pc"), h.Unique("friends-pc")
	publishPerm(h, alice, tid, def)
	publishPerm(h, alice, tid, fr, "friends")
	carol := h.LoggedIn("carol")
	got := fetchView(h, carol, alice.Pres())
	Expect(showsTag(got, def)).To(BeTrue(), "an unlisted watcher sees the default class; body %q", got.Body)
	Expect(showsTag(got, fr)).To(BeFalse(), "an unlisted watcher does not see class friends; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.3/2", Section: "5.3", Level: reports.LevelMust,
	Requirement: "Tuples with the same Tuple-ID in different classes are per-class variants: each watcher sees the variant of its own class only.",
	Statements:  []string{"PRIM-A5.3-3", "PRIM-A5.3-1", "PRIM-A13.1-2"},
	RFC2779:     []string{"2.3.3", "5.2.3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice,
		[2]string{"work", bare(h.Pres("bob"))},
		[2]string{"family", bare(h.Pres("carol"))})
	tid, work, family := h.Unique("status"), h.Unique("work-variant"), h.Unique("family-variant")
	publishPerm(h, alice, tid, work, "work")
	publishPerm(h, alice, tid, family, "family")
	bob := h.LoggedIn("bob")
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, work) && !showsTag(got, family)).To(BeTrue(), "bob (class work) sees only the work variant; body %q", got.Body)
	carol := h.LoggedIn("carol")
	got = fetchView(h, carol, alice.Pres())
	Expect(showsTag(got, family) && !showsTag(got, work)).To(BeTrue(), "carol (class family) sees only the family variant; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.3/3", Section: "5.3", Level: reports.LevelMust,
	Requirement: "A notification carries the whole presence information visible to the watcher, not only the tuple that changed.",
	Statements:  []string{"PRIM-A5.3-4", "PRIM-A10.1.4-4"},
	RFC2779:     []string{"3.2.3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	phoneID := h.Unique("phone")
	pc, phone1, phone2 := h.Unique("pc-v1"), h.Unique("phone-v1"), h.Unique("phone-v2")
	publishPerm(h, alice, h.Unique("pc"), pc)
	publishPerm(h, alice, phoneID, phone1)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	publishPerm(h, alice, phoneID, phone2)
	n := notifyShowing(h, bob, phone2)
	Expect(showsTag(n, pc)).To(BeTrue(), "the NOTIFY also carries the unchanged tuple; body %q", n.Body)
	Expect(showsTag(n, phone1)).To(BeFalse(), "the NOTIFY no longer carries the replaced value; body %q", n.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.3/4", Section: "5.3", Level: reports.LevelMust,
	Requirement: "A watcher belongs to exactly one class: one matched by an identifier entry of one class and a @domain entry of another sees one class's tuples, never both.",
	Statements:  []string{"PRIM-A5.3-1", "PRIM-A13.1.2-1"},
	Decisions:   []string{"D39"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice,
		[2]string{"colleagues", "@" + h.Domain()},
		[2]string{"close", bare(h.Pres("bob"))})
	a, b := h.Unique("colleagues-a"), h.Unique("close-b")
	publishPerm(h, alice, h.Unique("a"), a, "colleagues")
	publishPerm(h, alice, h.Unique("b"), b, "close")
	bob := h.LoggedIn("bob")
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, a) && showsTag(got, b)).To(BeFalse(), "bob sees the tuples of two classes; body %q", got.Body)
})

// ---- §5.4 the lease model ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.4/1", Section: "5.4", Level: reports.LevelMust,
	Requirement: "A tuple may hold a leased and a permanent value; while the lease is valid watchers see the leased value.",
	Statements:  []string{"PRIM-A5.4-1", "PRIM-A11.1.1-7"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, perm, leased := h.Unique("pc"), h.Unique("pc-permanent"), h.Unique("pc-leased")
	publishPerm(h, alice, tid, perm)
	publishLeased(h, alice, tid, leased, 600)
	bob := h.LoggedIn("bob")
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, leased)).To(BeTrue(), "the valid lease is what watchers see; body %q", got.Body)
	Expect(showsTag(got, perm)).To(BeFalse(), "the permanent value is hidden by the lease; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.4/2", Section: "5.4", Level: reports.LevelMust,
	Requirement: "When a lease elapses without renewal the permanent value is published automatically and subscribers are notified of it.",
	Statements:  []string{"PRIM-A5.4-2", "PRIM-A11.1.1-9", "PRIM-A10.1.4-3", "PRIM-A11.1.1-6"},
	RFC2779:     []string{"3.2.4"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, perm, leased := h.Unique("pc"), h.Unique("pc-permanent"), h.Unique("pc-leased")
	publishPerm(h, alice, tid, perm)
	lease := publishLeased(h, alice, tid, leased, 2)
	bob := h.LoggedIn("bob")
	resp := subscribeTo(h, bob, alice.Pres(), 600)
	Expect(showsTag(resp, leased)).To(BeTrue(), "before expiry the subscriber sees the lease; body %q", resp.Body)
	h.Wait(lease + time.Second)
	n := notifyShowing(h, bob, perm)
	Expect(showsTag(n, leased)).To(BeFalse(), "the expired lease is no longer shown; body %q", n.Body)
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, perm) && !showsTag(got, leased)).To(BeTrue(), "FETCH after expiry; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.4/3", Section: "5.4", Level: reports.LevelMust,
	Requirement: "When a lease elapses and the tuple has no permanent value, the tuple is removed and subscribers are notified without it.",
	Statements:  []string{"PRIM-A5.4-2", "PRIM-A11.1.1-10", "PRIM-A11.1.1-6"},
	RFC2779:     []string{"3.2.4"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	other, leased := h.Unique("other-permanent"), h.Unique("pc-leased")
	publishPerm(h, alice, h.Unique("other"), other)
	lease := publishLeased(h, alice, h.Unique("pc"), leased, 2)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	h.Wait(lease + time.Second)
	awaitNotify(h, bob, "without the expired lease", func(m *wire.Message) bool { return !showsTag(m, leased) })
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, leased)).To(BeFalse(), "the tuple is removed; body %q", got.Body)
	Expect(showsTag(got, other)).To(BeTrue(), "other tuples stay; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.4/4", Section: "5.4", Level: reports.LevelMust,
	Requirement: "Leased presence does not rely on a graceful sign-off: when the presentity's connection is lost without LOGOUT, its lease still ends and watchers are notified.",
	Statements:  []string{"PRIM-A5.4-2", "PRIM-A11.1.1-10"},
	RFC2779:     []string{"3.2.4", "3.2.5"},
	Decisions:   []string{"D31"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	leased := h.Unique("mobile-leased")
	lease := publishLeased(h, alice, h.Unique("mobile"), leased, 2)
	bob := h.LoggedIn("bob")
	resp := subscribeTo(h, bob, alice.Pres(), 600)
	Expect(showsTag(resp, leased)).To(BeTrue(), "the lease before the loss; body %q", resp.Body)
	alice.Abort()
	h.Wait(lease + time.Second)
	awaitNotify(h, bob, "without the lease of the vanished device", func(m *wire.Message) bool { return !showsTag(m, leased) })
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.4/5", Section: "5.4", Level: reports.LevelMust,
	Requirement: "A permanent value is not subject to expiry: it stays visible after the owner's connection ends.",
	Statements:  []string{"PRIM-A5.4-1", "PRIM-A11.1.1-7"},
	RFC2779:     []string{"3.2.1", "2.3.7"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	perm := h.Unique("desk-permanent")
	publishPerm(h, alice, h.Unique("desk"), perm)
	alice.Abort()
	h.Wait(2 * time.Second)
	bob := h.LoggedIn("bob")
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, perm)).To(BeTrue(), "the permanent value outlives the connection; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.4/6", Section: "5.4", Level: reports.LevelMust,
	Requirement: "Lease expiry in a named class notifies the subscribers of that class.",
	Statements:  []string{"PRIM-A11.1.1-6", "PRIM-A10.1.4-3", "PRIM-A13.1-2"},
	RFC2779:     []string{"3.2.4"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))})
	leased := h.Unique("friends-lease")
	lease := publishLeased(h, alice, h.Unique("mobile"), leased, 2, "friends")
	bob := h.LoggedIn("bob")
	resp := subscribeTo(h, bob, alice.Pres(), 600)
	Expect(showsTag(resp, leased)).To(BeTrue(), "body %q", resp.Body)
	h.Wait(lease + time.Second)
	awaitNotify(h, bob, "without the expired lease", func(m *wire.Message) bool { return !showsTag(m, leased) })
})

// ---- §5.5 subscriptions ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.5/1", Section: "5.5", Level: reports.LevelMust, Slow: true,
	Requirement: "A subscription whose duration elapsed without renewal is removed: later changes are not notified to the watcher (slow against an external target: waits the granted duration).",
	Statements:  []string{"PRIM-A5.5-1", "PRIM-A10.1.2-2"},
	RFC2779:     []string{"3.2.4"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	// A short subscription; the server may adjust it (201) and the case waits what it granted.
	d := granted(h, subscribeTo(h, bob, alice.Pres(), 10))
	h.Wait(d + 2*time.Second)
	publishPerm(h, alice, h.Unique("pc"), h.Unique("after-expiry"))
	expectNoNotify(h, bob, "the subscription expired")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.5/2", Section: "5.5", Level: reports.LevelMust, Slow: true,
	Requirement: "A subscription is renewed by a new SUBSCRIBE from the watcher before it elapses; the renewal sets its duration from then on, so it outlives the first expiry and then expires in turn.",
	Statements:  []string{"PRIM-A5.5-2", "PRIM-A10.1.1-4", "PRIM-A5.5-1"},
	RFC2779:     []string{"5.1.10"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	d1 := granted(h, subscribeTo(h, bob, alice.Pres(), 10))
	h.Wait(d1 * 2 / 3)
	d2 := granted(h, subscribeTo(h, bob, alice.Pres(), int(d1/time.Second)))
	// Now past the first expiry, well before the renewed one.
	h.Wait(d1/3 + d2/3)
	after1 := h.Unique("after-first-expiry")
	publishPerm(h, alice, h.Unique("pc"), after1)
	notifyShowing(h, bob, after1)
	// Past the renewed expiry.
	h.Wait(d2 + 2*time.Second)
	publishPerm(h, alice, h.Unique("pc"), h.Unique("after-renewed-expiry"))
	expectNoNotify(h, bob, "the renewed subscription expired too")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.5/3", Section: "5.5", Level: reports.LevelMust,
	Requirement: "There is one subscription per watcher and presentity: a second SUBSCRIBE renews it, and a change yields one NOTIFY, not two.",
	Statements:  []string{"PRIM-A10.1.1-4", "PRIM-A10.1.4-2"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	subscribeTo(h, bob, alice.Pres(), 600)
	once := h.Unique("once")
	publishPerm(h, alice, h.Unique("pc"), once)
	notifyShowing(h, bob, once)
	expectNoNotify(h, bob, "one NOTIFY per watcher and change")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/5.5/4", Section: "5.5", Level: reports.LevelMust,
	Requirement: "Subscriptions are per watcher: one watcher's UNSUBSCRIBE leaves another watcher's subscription to the same presentity in place.",
	Statements:  []string{"PRIM-A10.1.4-2", "PRIM-A10.1.2-1"},
	RFC2779:     []string{"3.2.3", "5.1.7", "5.1.8"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob, carol := h.LoggedIn("bob"), h.LoggedIn("carol")
	subscribeTo(h, bob, alice.Pres(), 600)
	subscribeTo(h, carol, alice.Pres(), 600)
	bob.Call(h.Request("UNSUBSCRIBE", "From", bob.Pres(), "To", alice.Pres()), HaveCode(wire.StatusOK))
	tag := h.Unique("after-bob-left")
	publishPerm(h, alice, h.Unique("pc"), tag)
	notifyShowing(h, carol, tag)
	expectNoNotify(h, bob, "bob unsubscribed")
})
