package server

import (
	"time"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §13.1 Class Tables: who sees which tuples (prim-digest §4.7, §7.5 "polite blocking";
// Decisions D15, D22, D39). Class Table entries are written without scheme and compared
// case-insensitively (Decision D22).

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.1/1", Section: "13.1", Level: reports.LevelMust,
	Requirement: "Polite blocking: a watcher put in a class that is shown nothing gets a SUBSCRIBE answer like a granted one, sees none of the presentity's tuples, and no NOTIFY reveals later changes.",
	Statements:  []string{"PRIM-A13.1-2", "PRIM-A5.3-1", "PRIM-A10.1.1-2"},
	RFC2779:     []string{"5.1.15", "5.2.3", "2.3.3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"blocked", bare(h.Pres("carol"))})
	before, after := h.Unique("before"), h.Unique("after")
	publishPerm(h, alice, h.Unique("pc"), before)
	bob := h.LoggedIn("bob")
	granted := subscribeTo(h, bob, alice.Pres(), 600)
	carol := h.LoggedIn("carol")
	resp := subscribeTo(h, carol, alice.Pres(), 600)
	Expect(resp.Code).To(Equal(granted.Code), "the blocked watcher's answer looks like a grant")
	Expect(resp.Value("Duration")).To(Equal(granted.Value("Duration")), "the blocked watcher's Duration looks like a grant")
	Expect(showsTag(resp, before)).To(BeFalse(), "the blocked watcher's view; body %q", resp.Body)
	publishPerm(h, alice, h.Unique("pc"), after)
	expectNoneShowing(h, carol, after, "carol is politely blocked")
	got := fetchView(h, carol, alice.Pres())
	Expect(showsTag(got, before) || showsTag(got, after)).To(BeFalse(), "FETCH by the blocked watcher; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.1/2", Section: "13.1", Level: reports.LevelMust,
	Requirement: "Class matching prefers the most specific entry: a watcher listed by identifier gets that class even though a @domain entry of another class also matches; other watchers of the domain get the @domain class.",
	Statements:  []string{"PRIM-A13.1.2-1", "PRIM-A5.3-1"},
	RFC2779:     []string{"2.3.3", "5.2.3"},
	Decisions:   []string{"D39"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice,
		[2]string{"important_people", "@" + h.Domain()},
		[2]string{"not_so_important_people", bare(h.Pres("bob"))})
	tid, imp, notSo := h.Unique("pc"), h.Unique("important"), h.Unique("not-so")
	publishPerm(h, alice, tid, imp, "important_people")
	publishPerm(h, alice, tid, notSo, "not_so_important_people")
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, notSo) && !showsTag(got, imp)).To(BeTrue(), "bob is matched by identifier; body %q", got.Body)
	got = fetchView(h, h.LoggedIn("carol"), alice.Pres())
	Expect(showsTag(got, imp) && !showsTag(got, notSo)).To(BeTrue(), "carol is matched by @domain; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.1/3", Section: "13.1", Level: reports.LevelMust,
	Requirement: "Class Table entries match identifiers case-insensitively: an entry written in upper case still places the watcher in its class.",
	Statements:  []string{"PRIM-A7.1-3", "PRIM-A13.1.2-1"},
	Decisions:   []string{"D22", "D38"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", upperASCII(bare(h.Pres("bob")))})
	tag := h.Unique("friends")
	publishPerm(h, alice, h.Unique("pc"), tag, "friends")
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, tag)).To(BeTrue(), "body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.1/4", Section: "13.1", Level: reports.LevelMust,
	Requirement: "A Class Table change applies to existing subscriptions: a subscriber moved into a class is then notified of, and fetches, that class's tuples instead of the default ones.",
	Statements:  []string{"PRIM-A13.1-2", "PRIM-A10.1.4-2", "PRIM-A11.1.3-3"},
	RFC2779:     []string{"5.2.3", "2.3.3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	def := h.Unique("default")
	publishPerm(h, alice, h.Unique("pc"), def)
	bob := h.LoggedIn("bob")
	resp := subscribeTo(h, bob, alice.Pres(), 600)
	Expect(showsTag(resp, def)).To(BeTrue(), "bob starts in the default class; body %q", resp.Body)
	setClasses(h, alice, [2]string{"friends", bare(bob.Pres())})
	fr := h.Unique("friends")
	publishPerm(h, alice, h.Unique("pc"), fr, "friends")
	n := notifyShowing(h, bob, fr)
	Expect(showsTag(n, def)).To(BeFalse(), "bob no longer sees the default class; body %q", n.Body)
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, fr) && !showsTag(got, def)).To(BeTrue(), "body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.1/5", Section: "13.1", Level: reports.LevelMust,
	Requirement: "Class-based views hold while the presentity is out of contact: after its connection is lost, each watcher still fetches its own class's view.",
	Statements:  []string{"PRIM-A13.1-2", "PRIM-A5.3-3"},
	RFC2779:     []string{"2.3.7", "3.2.1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))})
	tid, def, fr := h.Unique("pc"), h.Unique("default"), h.Unique("friends")
	publishPerm(h, alice, tid, def)
	publishPerm(h, alice, tid, fr, "friends")
	alice.Abort()
	h.Wait(2 * time.Second)
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, fr) && !showsTag(got, def)).To(BeTrue(), "bob's view; body %q", got.Body)
	got = fetchView(h, h.LoggedIn("carol"), alice.Pres())
	Expect(showsTag(got, def) && !showsTag(got, fr)).To(BeTrue(), "carol's view; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.1/6", Section: "13.1", Level: reports.LevelMust,
	Requirement: "A watcher's view is the same whether fetched or notified: the SUBSCRIBE response, the NOTIFY and the FETCH all show its class's tuples and nothing else.",
	Statements:  []string{"PRIM-A13.1-2", "PRIM-A5.3-3", "PRIM-A10.1.3-1", "PRIM-A10.1.1-2"},
	RFC2779:     []string{"2.3.3"},
	Decisions:   []string{"D25"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))})
	tid, def1, fr1 := h.Unique("pc"), h.Unique("default-1"), h.Unique("friends-1")
	publishPerm(h, alice, tid, def1)
	publishPerm(h, alice, tid, fr1, "friends")
	bob := h.LoggedIn("bob")
	resp := subscribeTo(h, bob, alice.Pres(), 600)
	Expect(showsTag(resp, fr1) && !showsTag(resp, def1)).To(BeTrue(), "SUBSCRIBE response; body %q", resp.Body)
	fr2 := h.Unique("friends-2")
	publishPerm(h, alice, tid, fr2, "friends")
	n := notifyShowing(h, bob, fr2)
	Expect(showsTag(n, def1)).To(BeFalse(), "NOTIFY; body %q", n.Body)
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, fr2) && !showsTag(got, def1)).To(BeTrue(), "FETCH; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.1/7", Section: "13.1", Level: reports.LevelMust,
	Requirement: "A tuple published to one class never reaches the subscribers of another class, in any NOTIFY.",
	Statements:  []string{"PRIM-A13.1-2", "PRIM-A10.1.4-2"},
	RFC2779:     []string{"5.2.3", "2.3.3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))})
	bob, carol := h.LoggedIn("bob"), h.LoggedIn("carol")
	subscribeTo(h, bob, alice.Pres(), 600)
	subscribeTo(h, carol, alice.Pres(), 600)
	fr := h.Unique("friends-only")
	publishPerm(h, alice, h.Unique("pc"), fr, "friends")
	notifyShowing(h, bob, fr)
	expectNoneShowing(h, carol, fr, "carol is not in class friends")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.1/8", Section: "13.1", Level: reports.LevelShould,
	Requirement: "A publication to one class sends no NOTIFY at all to subscribers of other classes (they are not entitled to the change).",
	Statements:  []string{"PRIM-A10.1.4-2", "PRIM-A13.1-2"},
	RFC2779:     []string{"5.1.15"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))})
	carol := h.LoggedIn("carol")
	subscribeTo(h, carol, alice.Pres(), 600)
	publishPerm(h, alice, h.Unique("pc"), h.Unique("friends-only"), "friends")
	expectNoNotify(h, carol, "nothing changed in carol's class")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.1/9", Section: "13.1", Level: reports.LevelMust,
	Requirement: "A Class Table listing the same watcher in two classes is refused with 400 (Decision D39), or, if accepted, the watcher still belongs to one class only.",
	Statements:  []string{"PRIM-A5.3-1", "PRIM-A11.1.3-3"},
	Decisions:   []string{"D39"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := bare(h.Pres("bob"))
	resp := classCall(h, alice, setClassTableReq(h, alice.Pres(), classTableDoc([2]string{"one", bob}, [2]string{"two", bob})))
	h.Accept(resp,
		OneOf("D39: 400 Bad Request", HaveCode(wire.StatusBadRequest)),
		OneOf("accepted (200); membership checked next", HaveCode(wire.StatusOK)))
	if resp.Code != wire.StatusOK {
		return
	}
	a, b := h.Unique("one"), h.Unique("two")
	publishPerm(h, alice, h.Unique("a"), a, "one")
	publishPerm(h, alice, h.Unique("b"), b, "two")
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, a) && showsTag(got, b)).To(BeFalse(), "bob is in two classes at once; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.1/10", Section: "13.1", Level: reports.LevelShould,
	Requirement: "A \".\" watcher entry is accepted as \"everyone not matched otherwise\": unlisted watchers get that class.",
	Statements:  []string{"PRIM-A13.1.2-1"},
	Decisions:   []string{"D39"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))}, [2]string{"everyone", "."})
	tag := h.Unique("everyone")
	publishPerm(h, alice, h.Unique("pc"), tag, "everyone")
	got := fetchView(h, h.LoggedIn("carol"), alice.Pres())
	Expect(showsTag(got, tag)).To(BeTrue(), "carol falls in class everyone; body %q", got.Body)
	got = fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, tag)).To(BeFalse(), "bob's identifier entry is more specific; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.1/11", Section: "13.1", Level: reports.LevelMust,
	Requirement: "Class Tables are per presentity: being in a named class of one presentity's table does not change the watcher's view of another presentity.",
	Statements:  []string{"PRIM-A13.1-2", "PRIM-A5.3-2"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))})
	carol := h.LoggedIn("carol")
	openPresence(h, carol)
	tag := h.Unique("carol-default")
	publishPerm(h, carol, h.Unique("pc"), tag)
	got := fetchView(h, h.LoggedIn("bob"), carol.Pres())
	Expect(showsTag(got, tag)).To(BeTrue(), "bob is in carol's default class; body %q", got.Body)
})
