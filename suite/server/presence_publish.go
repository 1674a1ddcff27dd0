package server

import (
	"encoding/xml"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	gtypes "github.com/onsi/gomega/types"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §11.1 presence control commands: PUBLISH (11.1.1), REMOVE (11.1.2), SETCLASSTABLE (11.1.3),
// GETCLASSTABLE (11.1.4), STARTWATCHERNOTIFY (11.1.5), STOPWATCHERNOTIFY (11.1.6) and
// WATCHERNOTIFY (11.1.7) (prim-digest §3.9.2, §4.5, §4.7, §4.11; Decisions D14, D27, D29, D39).
// presence.go holds the first PUBLISH case; numbering in §11.1.1 goes on after it.

// ---- §11.1.1 PUBLISH ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/2", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "PUBLISH of a permanent tuple is answered 200 OK without a body, and the tuple is then what watchers see.",
	Statements:  []string{"PRIM-A11.1.1-12", "PRIM-A11.1.1-7", "PRIM-A11.1.1-4"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tag := h.Unique("permanent")
	alice.Call(pubReq(h, alice.Pres(), "permanent", h.Unique("pc"), tupleBody(alice.Pres(), tag, "open")),
		HaveCode(wire.StatusOK), HaveNoBody())
	bob := h.LoggedIn("bob")
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, tag)).To(BeTrue(), "body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/3", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "A Class header naming two classes publishes the tuple to both: watchers of either class see it.",
	Statements:  []string{"PRIM-A9.3.1-1", "PRIM-A13.1-2"},
	Decisions:   []string{"D14"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))}, [2]string{"family", bare(h.Pres("carol"))})
	tag := h.Unique("both-classes")
	publishPerm(h, alice, h.Unique("pc"), tag, "friends", "family")
	for _, w := range []string{"bob", "carol"} {
		got := fetchView(h, h.LoggedIn(w), alice.Pres())
		Expect(showsTag(got, tag)).To(BeTrue(), "%s sees the tuple; body %q", w, got.Body)
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/4", Section: "11.1.1", Level: reports.LevelShould,
	Requirement: "A PUBLISH whose Class is not in the Class Table is refused (400 per Decision D14) and publishes nothing.",
	Statements:  []string{"PRIM-A11.1.1-3"},
	Decisions:   []string{"D14"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tag := h.Unique("unknown-class")
	resp := alice.Call(pubReq(h, alice.Pres(), "permanent", h.Unique("pc"), tupleBody(alice.Pres(), tag, "open"),
		"Class", h.Unique("no-such-class")))
	h.Accept(resp,
		OneOf("D14: 400 Bad Request", HaveCode(wire.StatusBadRequest)),
		OneOf("403 Resource Not Found (class unknown)", HaveCode(wire.StatusResourceNotFound)))
	bob := h.LoggedIn("bob")
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, tag)).To(BeFalse(), "the refused tuple is nowhere; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/5", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "A PUBLISH whose body is not a well-formed presence document is answered 400 Bad Request and the tuple is not accepted.",
	Statements:  []string{"PRIM-A11.1.1-1", "PRIM-A14.3-1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tag := h.Unique("broken")
	body := []byte(`<presence identifier="` + alice.Pres() + `"><contact address="im:x@y"><note>` + noteMark(tag) + `</note>`)
	alice.Call(pubReq(h, alice.Pres(), "permanent", h.Unique("pc"), body), HaveCode(wire.StatusBadRequest), HaveNoBody())
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, tag)).To(BeFalse(), "body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/6", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "A permanent PUBLISH without a body (no tuple document) is answered 400 Bad Request.",
	Statements:  []string{"PRIM-A11.1.1-1"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	alice.Call(pubReq(h, alice.Pres(), "permanent", h.Unique("pc"), nil), HaveCode(wire.StatusBadRequest))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/7", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "A principal without the publish right cannot update another's presence: 402 Forbidden, nothing published.",
	Statements:  []string{"PRIM-A13.2.1-5", "PRIM-A4.1-2"},
	RFC2779:     []string{"2.3.4"},
	Decisions:   []string{"D15", "D37"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	carol := h.LoggedIn("carol")
	tag := h.Unique("impostor")
	carol.Call(pubReq(h, alice.Pres(), "permanent", h.Unique("pc"), tupleBody(alice.Pres(), tag, "open")),
		HaveCode(wire.StatusForbidden), HaveNoBody())
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, tag)).To(BeFalse(), "body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/8", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "A principal the presentity's ACL grants publish (a delegate) may PUBLISH for it, and watchers see the result.",
	Statements:  []string{"PRIM-A13.2.1-5", "PRIM-A13.2.1-3"},
	RFC2779:     []string{"2.3.4"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	putACL(h, alice, alice.Pres(), aclXML([2]string{".", "fetch subscribe"}, [2]string{bare(h.Pres("carol")), "fetch subscribe publish remove"}))
	carol := h.LoggedIn("carol")
	tag := h.Unique("by-secretary")
	carol.Call(pubReq(h, alice.Pres(), "permanent", h.Unique("pc"), tupleBody(alice.Pres(), tag, "open")), HaveCode(wire.StatusOK))
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, tag)).To(BeTrue(), "body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/9", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "PI-Type renew extends a valid lease by Duration seconds from then: the leased value outlives its first expiry, then expires.",
	Statements:  []string{"PRIM-A11.1.1-7", "PRIM-A11.1.1-8", "PRIM-A11.1.1-10"},
	Decisions:   []string{"D29"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, leased := h.Unique("mobile"), h.Unique("leased")
	first := publishLeased(h, alice, tid, leased, 2)
	h.Wait(first / 2)
	resp := alice.Call(pubReq(h, alice.Pres(), "renew", tid, tupleBody(alice.Pres(), leased, "open"), "Duration", "4"),
		HaveCode(wire.StatusOK), HaveNoBody())
	renewed := leaseOf(resp, 4)
	if renewed <= first/2+time.Second {
		h.Failf("the renewal granted %v, not more than the first lease had left", renewed)
	}
	h.Wait(first/2 + time.Second) // past the first expiry, before the renewed one
	bob := h.LoggedIn("bob")
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, leased)).To(BeTrue(), "the renewed lease is still valid; body %q", got.Body)
	h.Wait(renewed)
	got = fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, leased)).To(BeFalse(), "the renewed lease expired in turn; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/10", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "Renewing an existing lease does not notify subscribers.",
	Statements:  []string{"PRIM-A11.1.1-5"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, leased := h.Unique("mobile"), h.Unique("leased")
	publishLeased(h, alice, tid, leased, 600)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	alice.Call(pubReq(h, alice.Pres(), "renew", tid, tupleBody(alice.Pres(), leased, "open"), "Duration", "600"),
		HaveCode(wire.StatusOK))
	expectNoNotify(h, bob, "a lease renewal is exempt from notification")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/11", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "Publishing a permanent value while a valid lease exists does not notify subscribers, and watchers keep seeing the leased value.",
	Statements:  []string{"PRIM-A11.1.1-5", "PRIM-A5.4-1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, leased, perm := h.Unique("pc"), h.Unique("leased"), h.Unique("permanent")
	publishLeased(h, alice, tid, leased, 600)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	publishPerm(h, alice, tid, perm)
	expectNoNotify(h, bob, "a permanent value under a valid lease is exempt from notification")
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, leased) && !showsTag(got, perm)).To(BeTrue(), "the lease still governs; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/12", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "A leased PUBLISH notifies the subscribers of its class with the new value.",
	Statements:  []string{"PRIM-A11.1.1-5", "PRIM-A10.1.4-2"},
	RFC2779:     []string{"3.2.3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	leased := h.Unique("leased")
	publishLeased(h, alice, h.Unique("mobile"), leased, 600)
	notifyShowing(h, bob, leased)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/13", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "PI-Type revert drops the leased value: the permanent value becomes visible and subscribers are notified.",
	Statements:  []string{"PRIM-A11.1.1-7", "PRIM-A11.1.1-5"},
	Decisions:   []string{"D29"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, leased, perm := h.Unique("pc"), h.Unique("leased"), h.Unique("permanent")
	publishPerm(h, alice, tid, perm)
	publishLeased(h, alice, tid, leased, 600)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	alice.Call(pubReq(h, alice.Pres(), "revert", tid, tupleBody(alice.Pres(), leased, "open")), HaveCode(wire.StatusOK), HaveNoBody())
	n := notifyShowing(h, bob, perm)
	Expect(showsTag(n, leased)).To(BeFalse(), "the reverted lease is gone; body %q", n.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/14", Section: "11.1.1", Level: reports.LevelShould,
	Requirement: "renew or revert of a tuple that has no lease is refused (403 Resource Not Found per Decision D29) and changes nothing.",
	Statements:  []string{"PRIM-A11.1.1-7"},
	Decisions:   []string{"D29"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, perm := h.Unique("pc"), h.Unique("permanent")
	publishPerm(h, alice, tid, perm)
	for _, pi := range []string{"renew", "revert"} {
		resp := alice.Call(pubReq(h, alice.Pres(), pi, tid, tupleBody(alice.Pres(), perm, "open"), "Duration", "60"))
		h.Accept(resp,
			OneOf("D29: "+pi+" without a lease is 403", HaveCode(wire.StatusResourceNotFound)),
			OneOf(pi+" without a lease is 400", HaveCode(wire.StatusBadRequest)))
	}
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, perm)).To(BeTrue(), "the permanent value is untouched; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/15", Section: "11.1.1", Level: reports.LevelShould,
	Requirement: "A leased PUBLISH without a Duration is answered 400 Bad Request.",
	Statements:  []string{"PRIM-A11.1.1-8", "PRIM-A11.1.1-7"},
	Decisions:   []string{"D29", "D44"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	alice.Call(pubReq(h, alice.Pres(), "leased", h.Unique("pc"), tupleBody(alice.Pres(), h.Unique("x"), "open")),
		HaveCode(wire.StatusBadRequest))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/16", Section: "11.1.1", Level: reports.LevelShould,
	Requirement: "A leased PUBLISH with Duration 0 is answered 400 Bad Request rather than published and expired at once.",
	Statements:  []string{"PRIM-A11.1.1-7"},
	Decisions:   []string{"D29"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	alice.Call(pubReq(h, alice.Pres(), "leased", h.Unique("pc"), tupleBody(alice.Pres(), h.Unique("x"), "open"), "Duration", "0"),
		HaveCode(wire.StatusBadRequest))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/17", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "A permanent value does not expire: a Duration sent with PI-Type permanent is ignored (Decision D29) or the PUBLISH refused with 400, never treated as a lease.",
	Statements:  []string{"PRIM-A11.1.1-8", "PRIM-A11.1.1-7"},
	Decisions:   []string{"D29"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tag := h.Unique("permanent")
	resp := alice.Call(pubReq(h, alice.Pres(), "permanent", h.Unique("pc"), tupleBody(alice.Pres(), tag, "open"), "Duration", "1"))
	h.Accept(resp,
		OneOf("D29: Duration ignored, 200", HaveCode(wire.StatusOK)),
		OneOf("400 Bad Request", HaveCode(wire.StatusBadRequest)))
	if resp.Code != wire.StatusOK {
		return
	}
	h.Wait(3 * time.Second)
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, tag)).To(BeTrue(), "the permanent value must not expire; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/18", Section: "11.1.1", Level: reports.LevelShould,
	Requirement: "A PUBLISH with a PI-Type outside leased/permanent/renew/revert, or without Tuple-ID, is answered 400 Bad Request.",
	Statements:  []string{"PRIM-A11.1.1-7", "PRIM-A11.1.1-11"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	alice.Call(pubReq(h, alice.Pres(), "forever", h.Unique("pc"), tupleBody(alice.Pres(), h.Unique("x"), "open")),
		HaveCode(wire.StatusBadRequest))
	req := pubReq(h, alice.Pres(), "permanent", "", tupleBody(alice.Pres(), h.Unique("y"), "open"))
	req.Del("Tuple-ID")
	alice.Call(req, HaveCode(wire.StatusBadRequest))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/19", Section: "11.1.1", Level: reports.LevelShould,
	Requirement: "A PUBLISH whose Class header names no class at all is answered 400 Bad Request.",
	Statements:  []string{"PRIM-A9.3.1-1", "PRIM-A11.1.1-3"},
	Decisions:   []string{"D14", "D44"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	alice.Call(pubReq(h, alice.Pres(), "permanent", h.Unique("pc"), tupleBody(alice.Pres(), h.Unique("x"), "open"), "Class", ""),
		HaveCode(wire.StatusBadRequest))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/20", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "revert of a tuple that has only a leased value removes the tuple and notifies the subscribers.",
	Statements:  []string{"PRIM-A11.1.1-7", "PRIM-A11.1.1-5", "PRIM-A11.1.1-10"},
	Decisions:   []string{"D29"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, leased := h.Unique("mobile"), h.Unique("leased")
	publishLeased(h, alice, tid, leased, 600)
	bob := h.LoggedIn("bob")
	resp := subscribeTo(h, bob, alice.Pres(), 600)
	Expect(showsTag(resp, leased)).To(BeTrue(), "body %q", resp.Body)
	alice.Call(pubReq(h, alice.Pres(), "revert", tid, tupleBody(alice.Pres(), leased, "open")), HaveCode(wire.StatusOK))
	awaitNotify(h, bob, "without the reverted lease", func(m *wire.Message) bool { return !showsTag(m, leased) })
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, leased)).To(BeFalse(), "body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/21", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "A new leased value replaces the old lease, and its own Duration governs: the first lease's expiry time does not end it.",
	Statements:  []string{"PRIM-A11.1.1-7", "PRIM-A11.1.1-11"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, first, second := h.Unique("mobile"), h.Unique("lease-1"), h.Unique("lease-2")
	d := publishLeased(h, alice, tid, first, 2)
	publishLeased(h, alice, tid, second, 600)
	h.Wait(d + time.Second)
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, second)).To(BeTrue(), "the second lease is still valid; body %q", got.Body)
	Expect(showsTag(got, first)).To(BeFalse(), "body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.1/22", Section: "11.1.1", Level: reports.LevelMust,
	Requirement: "A permanent value published under a valid lease is the one that becomes visible, and is notified, when the lease expires.",
	Statements:  []string{"PRIM-A11.1.1-9", "PRIM-A5.4-2", "PRIM-A10.1.4-3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, leased, perm := h.Unique("pc"), h.Unique("leased"), h.Unique("late-permanent")
	d := publishLeased(h, alice, tid, leased, 2)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	publishPerm(h, alice, tid, perm)
	h.Wait(d + time.Second)
	n := notifyShowing(h, bob, perm)
	Expect(showsTag(n, leased)).To(BeFalse(), "body %q", n.Body)
})

// ---- §11.1.2 REMOVE ----

func removeReq(h *H, from, tid string, classes ...string) *wire.Message {
	m := h.Request("REMOVE", "From", from, "Tuple-ID", tid)
	if len(classes) > 0 {
		m.Add("Class", strings.Join(classes, " "))
	}
	return m
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.2/1", Section: "11.1.2", Level: reports.LevelMust,
	Requirement: "REMOVE is answered 200 without a body; the tuple disappears and subscribers are notified without it.",
	Statements:  []string{"PRIM-A11.1.2-3", "PRIM-A11.1.2-4", "PRIM-A11.1.2-2"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, gone, stays := h.Unique("pc"), h.Unique("removed"), h.Unique("stays")
	publishPerm(h, alice, tid, gone)
	publishPerm(h, alice, h.Unique("phone"), stays)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	alice.Call(removeReq(h, alice.Pres(), tid), HaveCode(wire.StatusOK), HaveNoBody())
	n := awaitNotify(h, bob, "without the removed tuple", func(m *wire.Message) bool { return !showsTag(m, gone) })
	Expect(showsTag(n, stays)).To(BeTrue(), "the other tuple is still in the NOTIFY; body %q", n.Body)
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, gone)).To(BeFalse(), "body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.2/2", Section: "11.1.2", Level: reports.LevelMust,
	Requirement: "REMOVE deletes both the leased and the permanent value: nothing reappears when the old lease would have expired.",
	Statements:  []string{"PRIM-A11.1.2-3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, perm, leased := h.Unique("pc"), h.Unique("permanent"), h.Unique("leased")
	publishPerm(h, alice, tid, perm)
	lease := publishLeased(h, alice, tid, leased, 2)
	alice.Call(removeReq(h, alice.Pres(), tid), HaveCode(wire.StatusOK))
	bob := h.LoggedIn("bob")
	got := fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, leased) || showsTag(got, perm)).To(BeFalse(), "right after REMOVE; body %q", got.Body)
	h.Wait(lease + time.Second)
	got = fetchView(h, bob, alice.Pres())
	Expect(showsTag(got, perm)).To(BeFalse(), "the permanent value was removed too; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.2/3", Section: "11.1.2", Level: reports.LevelMust,
	Requirement: "REMOVE without Class removes the tuple from the default class only; the same Tuple-ID in a named class stays.",
	Statements:  []string{"PRIM-A11.1.2-2", "PRIM-A5.3-3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))})
	tid, def, fr := h.Unique("pc"), h.Unique("default"), h.Unique("friends")
	publishPerm(h, alice, tid, def)
	publishPerm(h, alice, tid, fr, "friends")
	alice.Call(removeReq(h, alice.Pres(), tid), HaveCode(wire.StatusOK))
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, fr)).To(BeTrue(), "class friends keeps its variant; body %q", got.Body)
	got = fetchView(h, h.LoggedIn("carol"), alice.Pres())
	Expect(showsTag(got, def)).To(BeFalse(), "the default variant is removed; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.2/4", Section: "11.1.2", Level: reports.LevelMust,
	Requirement: "REMOVE with a Class removes that class's variant only; the default variant stays.",
	Statements:  []string{"PRIM-A11.1.2-1", "PRIM-A11.1.2-3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))})
	tid, def, fr := h.Unique("pc"), h.Unique("default"), h.Unique("friends")
	publishPerm(h, alice, tid, def)
	publishPerm(h, alice, tid, fr, "friends")
	alice.Call(removeReq(h, alice.Pres(), tid, "friends"), HaveCode(wire.StatusOK))
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, fr)).To(BeFalse(), "the friends variant is removed; body %q", got.Body)
	got = fetchView(h, h.LoggedIn("carol"), alice.Pres())
	Expect(showsTag(got, def)).To(BeTrue(), "the default variant stays; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.2/5", Section: "11.1.2", Level: reports.LevelMust,
	Requirement: "REMOVE of a Tuple-ID the presentity does not have is answered 403 Resource Not Found without a body.",
	Statements:  []string{"PRIM-A11.1.2-4"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	alice.Call(removeReq(h, alice.Pres(), h.Unique("never-published")), HaveCode(wire.StatusResourceNotFound), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.2/6", Section: "11.1.2", Level: reports.LevelMust,
	Requirement: "A principal without the remove right cannot REMOVE another's tuple: 402 Forbidden, and the tuple stays.",
	Statements:  []string{"PRIM-A13.2.1-5", "PRIM-A4.1-2"},
	RFC2779:     []string{"2.3.4"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	tid, tag := h.Unique("pc"), h.Unique("keep")
	publishPerm(h, alice, tid, tag)
	carol := h.LoggedIn("carol")
	carol.Call(removeReq(h, alice.Pres(), tid), HaveCode(wire.StatusForbidden), HaveNoBody())
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, tag)).To(BeTrue(), "body %q", got.Body)
})

// ---- §11.1.3 SETCLASSTABLE and §11.1.4 GETCLASSTABLE ----

// classCall sends a SETCLASSTABLE or GETCLASSTABLE and returns the response, asserting the
// matchers on it. Class Tables may be managed out of band only (PRIM-A13.1.1-1/-2 MAY): a
// target answering 501 makes the case not applicable.
func classCall(h *H, p *Peer, req *wire.Message, matchers ...gtypes.GomegaMatcher) *wire.Message {
	ginkgo.GinkgoHelper()
	resp := p.Call(req)
	if resp.Code == wire.StatusNotImplemented {
		h.NotApplicable("%s answered 501: Class Tables are not managed by command (PRIM-A13.1.1-1 MAY)", req.Method)
	}
	for _, m := range matchers {
		Expect(resp).To(m)
	}
	return resp
}

// classTableOf reads the owner's Class Table with GETCLASSTABLE and parses it.
func classTableOf(h *H, owner *Peer) map[string][]string {
	ginkgo.GinkgoHelper()
	resp := classCall(h, owner, h.Request("GETCLASSTABLE", "From", owner.Pres()), HaveCode(wire.StatusOK))
	return parseClassTable(h, resp.Body)
}

// parseClassTable reads a classtable document (I2 §13.1): class name → watcher entries.
func parseClassTable(h *H, body []byte) map[string][]string {
	ginkgo.GinkgoHelper()
	var doc struct {
		XMLName xml.Name
		Classes []struct {
			Name     string   `xml:"name,attr"`
			Watchers []string `xml:"watcher"`
		} `xml:"class"`
	}
	Expect(xml.Unmarshal(body, &doc)).To(Succeed(), "the classtable document %q", body)
	Expect(doc.XMLName.Local).To(Equal("classtable"), "root element (PRIM-A11.1.4-1)")
	out := map[string][]string{}
	for _, c := range doc.Classes {
		for _, w := range c.Watchers {
			out[c.Name] = append(out[c.Name], strings.ToLower(bare(strings.TrimSpace(w))))
		}
		if out[c.Name] == nil {
			out[c.Name] = []string{}
		}
	}
	return out
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.3/1", Section: "11.1.3", Level: reports.LevelMust,
	Requirement: "SETCLASSTABLE with a valid classtable is answered 200 without a body and becomes the active table.",
	Statements:  []string{"PRIM-A11.1.3-2", "PRIM-A11.1.3-3", "PRIM-A13.1.1-1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	classCall(h, alice, setClassTableReq(h, alice.Pres(), classTableDoc([2]string{"friends", bare(h.Pres("bob"))})),
		HaveCode(wire.StatusOK), HaveNoBody())
	tag := h.Unique("friends-only")
	publishPerm(h, alice, h.Unique("pc"), tag, "friends")
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, tag)).To(BeTrue(), "bob is in class friends now; body %q", got.Body)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.3/2", Section: "11.1.3", Level: reports.LevelMust,
	Requirement: "SETCLASSTABLE with malformed XML is answered 400 Bad Request and the active table is unchanged.",
	Statements:  []string{"PRIM-A11.1.3-3", "PRIM-A11.1.3-1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))})
	classCall(h, alice, setClassTableReq(h, alice.Pres(), []byte(`<classtable><class name="x"><watcher>carol@`)),
		HaveCode(wire.StatusBadRequest), HaveNoBody())
	Expect(classTableOf(h, alice)).To(HaveKey("friends"), "the previous table is still active")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.3/3", Section: "11.1.3", Level: reports.LevelMust,
	Requirement: "SETCLASSTABLE whose body is well-formed XML but not a classtable is answered 400 Bad Request and the table is unchanged.",
	Statements:  []string{"PRIM-A11.1.3-1", "PRIM-A11.1.3-3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))})
	classCall(h, alice, setClassTableReq(h, alice.Pres(), aclXML([2]string{".", "fetch"})), HaveCode(wire.StatusBadRequest))
	Expect(classTableOf(h, alice)).To(HaveKey("friends"), "the previous table is still active")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.3/4", Section: "11.1.3", Level: reports.LevelMust,
	Requirement: "SETCLASSTABLE on a presentity the connection's principal does not own is answered 402 Forbidden and changes nothing.",
	Statements:  []string{"PRIM-A11.1.3-3", "PRIM-A4.1-2"},
	RFC2779:     []string{"2.3.3"},
	Decisions:   []string{"D15", "D37"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))})
	carol := h.LoggedIn("carol")
	classCall(h, carol, setClassTableReq(h, alice.Pres(), classTableDoc([2]string{"spies", bare(carol.Pres())})),
		HaveCode(wire.StatusForbidden), HaveNoBody())
	ct := classTableOf(h, alice)
	Expect(ct).To(HaveKey("friends"))
	Expect(ct).NotTo(HaveKey("spies"))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.3/5", Section: "11.1.3", Level: reports.LevelMust,
	Requirement: "SETCLASSTABLE replaces the whole table: a class of the old table is gone (its watchers fall back to the default class, and PUBLISH to it is refused).",
	Statements:  []string{"PRIM-A11.1.3-3", "PRIM-A5.3-2", "PRIM-A11.1.1-3"},
	Decisions:   []string{"D14"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	setClasses(h, alice, [2]string{"friends", bare(h.Pres("bob"))})
	setClasses(h, alice, [2]string{"family", bare(h.Pres("carol"))})
	ct := classTableOf(h, alice)
	Expect(ct).NotTo(HaveKey("friends"))
	Expect(ct).To(HaveKey("family"))
	def := h.Unique("default")
	publishPerm(h, alice, h.Unique("pc"), def)
	got := fetchView(h, h.LoggedIn("bob"), alice.Pres())
	Expect(showsTag(got, def)).To(BeTrue(), "bob is back in the default class; body %q", got.Body)
	resp := alice.Call(pubReq(h, alice.Pres(), "permanent", h.Unique("pc"), tupleBody(alice.Pres(), h.Unique("x"), "open"), "Class", "friends"))
	Expect(resp).To(HaveErrorCode(), "PUBLISH to the class the new table dropped")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.3/6", Section: "11.1.3", Level: reports.LevelMust,
	Requirement: "SETCLASSTABLE without a body is answered 400 Bad Request.",
	Statements:  []string{"PRIM-A11.1.3-1", "PRIM-A11.1.3-3"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	classCall(h, alice, h.Request("SETCLASSTABLE", "From", alice.Pres()), HaveCode(wire.StatusBadRequest))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.3/7", Section: "11.1.3", Level: reports.LevelMust,
	Requirement: "SETCLASSTABLE for a presentity that does not exist gets an error without a body (403 Resource Not Found, or 402).",
	Statements:  []string{"PRIM-A11.1.3-2", "PRIM-A11.1.3-3"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	resp := classCall(h, alice, setClassTableReq(h, h.Pres(h.Unique("nobody")), classTableDoc([2]string{"friends", bare(alice.Pres())})), HaveNoBody())
	h.Accept(resp,
		OneOf("403 Resource Not Found", HaveCode(wire.StatusResourceNotFound)),
		OneOf("402 Forbidden (not the owner)", HaveCode(wire.StatusForbidden)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.4/1", Section: "11.1.4", Level: reports.LevelMust,
	Requirement: "GETCLASSTABLE is answered 200 with the classtable element holding the classes and watcher entries last set.",
	Statements:  []string{"PRIM-A11.1.4-1", "PRIM-A13.1.1-1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob, carol := bare(h.Pres("bob")), bare(h.Pres("carol"))
	setClasses(h, alice, [2]string{"important_people", bob + " @example.org"}, [2]string{"others", carol})
	ct := classTableOf(h, alice)
	Expect(ct).To(HaveKeyWithValue("important_people", ConsistOf(strings.ToLower(bob), "@example.org")))
	Expect(ct).To(HaveKeyWithValue("others", ConsistOf(strings.ToLower(carol))))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.4/2", Section: "11.1.4", Level: reports.LevelMust,
	Requirement: "GETCLASSTABLE of a presentity the principal does not own is answered 402 Forbidden without a body.",
	Statements:  []string{"PRIM-A11.1.4-1", "PRIM-A4.1-2"},
	RFC2779:     []string{"5.1.2"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	carol := h.LoggedIn("carol")
	classCall(h, carol, h.Request("GETCLASSTABLE", "From", alice.Pres()), HaveCode(wire.StatusForbidden), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.4/3", Section: "11.1.4", Level: reports.LevelMust,
	Requirement: "GETCLASSTABLE of a presentity that does not exist gets an error without a body (403 Resource Not Found, or 402).",
	Statements:  []string{"PRIM-A11.1.4-1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	resp := classCall(h, alice, h.Request("GETCLASSTABLE", "From", h.Pres(h.Unique("nobody"))), HaveNoBody())
	h.Accept(resp,
		OneOf("403 Resource Not Found", HaveCode(wire.StatusResourceNotFound)),
		OneOf("402 Forbidden (not the owner)", HaveCode(wire.StatusForbidden)))
})

// ---- §11.1.5-11.1.7 watcher information ----

// subscribersOf parses a subscribers document (I2 §11.1.5) into lower-case, scheme-less
// identifiers.
func subscribersOf(h *H, body []byte) []string {
	ginkgo.GinkgoHelper()
	var doc struct {
		XMLName     xml.Name
		Subscribers []string `xml:"subscriber"`
	}
	Expect(xml.Unmarshal(body, &doc)).To(Succeed(), "the subscribers document %q", body)
	Expect(doc.XMLName.Local).To(Equal("subscribers"), "root element (PRIM-A11.1.5-2)")
	out := []string{}
	for _, s := range doc.Subscribers {
		out = append(out, strings.ToLower(bare(strings.TrimSpace(s))))
	}
	return out
}

func startWatcherInfo(h *H, owner *Peer) *wire.Message {
	ginkgo.GinkgoHelper()
	return owner.Call(h.Request("STARTWATCHERNOTIFY", "From", owner.Pres()), HaveCode(wire.StatusOK))
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.5/1", Section: "11.1.5", Level: reports.LevelMust,
	Requirement: "STARTWATCHERNOTIFY is answered 200 with a subscribers document listing the current subscribers.",
	Statements:  []string{"PRIM-A11.1.5-2"},
	RFC2779:     []string{"5.1.11"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	resp := startWatcherInfo(h, alice)
	Expect(subscribersOf(h, resp.Body)).To(ContainElement(strings.ToLower(bare(bob.Pres()))))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.5/2", Section: "11.1.5", Level: reports.LevelMust,
	Requirement: "A watcher that unsubscribed is no longer listed by STARTWATCHERNOTIFY.",
	Statements:  []string{"PRIM-A11.1.5-2", "PRIM-A10.1.2-1"},
	RFC2779:     []string{"5.1.11"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	bob.Call(h.Request("UNSUBSCRIBE", "From", bob.Pres(), "To", alice.Pres()), HaveCode(wire.StatusOK))
	resp := startWatcherInfo(h, alice)
	Expect(subscribersOf(h, resp.Body)).NotTo(ContainElement(strings.ToLower(bare(bob.Pres()))))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.5/3", Section: "11.1.5", Level: reports.LevelMust,
	Requirement: "After STARTWATCHERNOTIFY a new subscription is reported with WATCHERNOTIFY (From the watcher, To the presentity, Watcher-Type subscribe).",
	Statements:  []string{"PRIM-A11.1.5-1", "PRIM-A11.1.7-1"},
	RFC2779:     []string{"5.1.11", "5.1.12"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	startWatcherInfo(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	wn := nextRequest(h, alice, "WATCHERNOTIFY", h.Timeout())
	if wn == nil {
		h.Failf("no WATCHERNOTIFY for bob's new subscription")
	}
	alice.Respond(wn, wire.StatusOK)
	Expect(wn).To(haveIdentifier("From", bob.Pres()))
	Expect(wn).To(haveIdentifier("To", alice.Pres()))
	Expect(wn).To(HaveHeader("Watcher-Type", "subscribe"))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.5/4", Section: "11.1.5", Level: reports.LevelMust,
	Requirement: "After STARTWATCHERNOTIFY a FETCH is reported with WATCHERNOTIFY, Watcher-Type fetch.",
	Statements:  []string{"PRIM-A11.1.5-1", "PRIM-A11.1.7-1"},
	RFC2779:     []string{"5.1.11"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	startWatcherInfo(h, alice)
	bob := h.LoggedIn("bob")
	fetchView(h, bob, alice.Pres())
	wn := nextRequest(h, alice, "WATCHERNOTIFY", h.Timeout())
	if wn == nil {
		h.Failf("no WATCHERNOTIFY for bob's FETCH")
	}
	alice.Respond(wn, wire.StatusOK)
	Expect(wn).To(haveIdentifier("From", bob.Pres()))
	Expect(wn).To(HaveHeader("Watcher-Type", "fetch"))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.5/5", Section: "11.1.5", Level: reports.LevelMust,
	Requirement: "STARTWATCHERNOTIFY on another principal's presentity is refused with 402 Forbidden: nobody else learns who watches it.",
	Statements:  []string{"PRIM-A4.1-2", "PRIM-A11.1.5-2"},
	RFC2779:     []string{"5.1.2"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	carol := h.LoggedIn("carol")
	resp := carol.Call(h.Request("STARTWATCHERNOTIFY", "From", alice.Pres()), HaveCode(wire.StatusForbidden), HaveNoBody())
	Expect(string(resp.Body)).NotTo(ContainSubstring(bare(bob.Pres())))
	fetchView(h, h.LoggedIn("bob"), alice.Pres())
	if wn := nextRequest(h, carol, "WATCHERNOTIFY", h.Quiet()); wn != nil {
		h.Failf("carol received watcher information about alice: %q", wn.StartLine())
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.5/6", Section: "11.1.5", Level: reports.LevelMust, Slow: true,
	Requirement: "A subscription that expired is no longer listed by STARTWATCHERNOTIFY (slow against an external target: waits the granted duration).",
	Statements:  []string{"PRIM-A11.1.5-2", "PRIM-A5.5-1", "PRIM-A10.1.2-2"},
	RFC2779:     []string{"5.1.11"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	bob := h.LoggedIn("bob")
	d := granted(h, subscribeTo(h, bob, alice.Pres(), 10))
	h.Wait(d + 2*time.Second)
	resp := startWatcherInfo(h, alice)
	Expect(subscribersOf(h, resp.Body)).NotTo(ContainElement(strings.ToLower(bare(bob.Pres()))))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.6/1", Section: "11.1.6", Level: reports.LevelMust,
	Requirement: "STOPWATCHERNOTIFY is answered 200 without a body, and no WATCHERNOTIFY follows later subscriptions.",
	Statements:  []string{"PRIM-A11.1.6-1", "PRIM-A11.1.5-1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	startWatcherInfo(h, alice)
	alice.Call(h.Request("STOPWATCHERNOTIFY", "From", alice.Pres()), HaveCode(wire.StatusOK), HaveNoBody())
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	if wn := nextRequest(h, alice, "WATCHERNOTIFY", h.Quiet()); wn != nil {
		h.Failf("WATCHERNOTIFY after STOPWATCHERNOTIFY: %q", wn.StartLine())
	}
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.6/2", Section: "11.1.6", Level: reports.LevelMust,
	Requirement: "STOPWATCHERNOTIFY on another principal's presentity is refused with 402 Forbidden without a body.",
	Statements:  []string{"PRIM-A11.1.6-1", "PRIM-A4.1-2"},
	Decisions:   []string{"D37"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	carol := h.LoggedIn("carol")
	carol.Call(h.Request("STOPWATCHERNOTIFY", "From", alice.Pres()), HaveCode(wire.StatusForbidden), HaveNoBody())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.7/1", Section: "11.1.7", Level: reports.LevelMust,
	Requirement: "WATCHERNOTIFY requires a response (a real request id), carries no body, and reveals no IP address of the watcher.",
	Statements:  []string{"PRIM-A11.1.7-1", "PRIM-A9.2.1-1", "PRIM-A8.2.3-3"},
	RFC2779:     []string{"5.1.17"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	startWatcherInfo(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	wn := nextRequest(h, alice, "WATCHERNOTIFY", h.Timeout())
	if wn == nil {
		h.Failf("no WATCHERNOTIFY for bob's new subscription")
	}
	Expect(wn.ID).NotTo(Equal(wire.NoResponse))
	alice.Respond(wn, wire.StatusOK)
	Expect(wn).To(HaveNoBody())
	Expect(ipLiterals(wn)).To(BeEmpty())
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.7/2", Section: "11.1.7", Level: reports.LevelMust,
	Requirement: "WATCHERNOTIFY values stay within the defined Watcher-Type values: whatever the server reports (including for UNSUBSCRIBE), it is fetch or subscribe.",
	Statements:  []string{"PRIM-A11.1.7-1"},
	Decisions:   []string{"D27"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	startWatcherInfo(h, alice)
	bob := h.LoggedIn("bob")
	subscribeTo(h, bob, alice.Pres(), 600)
	fetchView(h, bob, alice.Pres())
	bob.Call(h.Request("UNSUBSCRIBE", "From", bob.Pres(), "To", alice.Pres()), HaveCode(wire.StatusOK))
	n := 0
	for {
		wn := nextRequest(h, alice, "WATCHERNOTIFY", h.Quiet())
		if wn == nil {
			break
		}
		n++
		if wn.ID != wire.NoResponse {
			alice.Respond(wn, wire.StatusOK)
		}
		Expect(wn.Value("Watcher-Type")).To(BeElementOf("fetch", "subscribe"), "Watcher-Type of %q", wn.StartLine())
	}
	Expect(n).To(BeNumerically(">=", 2), "the subscription and the fetch are both reported")
	h.Saw("D27: %d WATCHERNOTIFYs for subscribe, fetch and unsubscribe", n)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/11.1.7/3", Section: "11.1.7", Level: reports.LevelMust,
	Requirement: "WATCHERNOTIFY goes from server to client only: one a user agent sends is refused and never reaches the presentity.",
	Statements:  []string{"PRIM-A11.1.7-1", "PRIM-A8.4-1"},
	RFC2779:     []string{"5.1.12"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	startWatcherInfo(h, alice)
	carol := h.LoggedIn("carol")
	forged := h.Request("WATCHERNOTIFY", "From", h.Pres("bob"), "To", alice.Pres(), "Watcher-Type", "subscribe")
	carol.Call(forged, HaveErrorCode())
	if wn := nextRequest(h, alice, "WATCHERNOTIFY", h.Quiet()); wn != nil {
		h.Failf("a WATCHERNOTIFY forged by carol reached alice: %q From %q", wn.StartLine(), wn.Value("From"))
	}
})
