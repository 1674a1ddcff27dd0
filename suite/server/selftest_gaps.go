package server

import (
	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// Cases written because the mutation self-test (suite/mutants) found defects no case caught.
// Numbered from 101 within their section so they never collide with the section's own file.

// Found by mutant leak-notify-past-acl: with a single watcher a leak has nothing to copy; it
// takes a permitted watcher to be notified while a denied one listens.
var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/13.2/101", Section: "13.2", Level: reports.LevelMust,
	Requirement: "Presence does not leak past the ACL: while a permitted watcher is notified of a change, a watcher whose SUBSCRIBE the ACL refused (402) receives no NOTIFY.",
	Statements:  []string{"PRIM-A13.2.1-4", "PRIM-A13.2.1-5", "PRIM-A10.1.4-2"},
	RFC2779:     []string{"5.1.13", "2.3.5"},
}), func(h *H) {
	alice, bob, carol := h.LoggedIn("alice"), h.LoggedIn("bob"), h.LoggedIn("carol")
	h.Step("alice's ACL lets carol subscribe and nobody else")
	setPresenceACL(h, alice, [2]string{bare(carol.Pres()), "fetch subscribe"})
	bob.Call(h.Request("SUBSCRIBE", "From", bob.Pres(), "To", alice.Pres(), "Duration", "600"),
		HaveCode(wire.StatusForbidden))
	subscribeTo(h, carol, alice.Pres(), 600)
	tag := h.Unique("change")
	publishPerm(h, alice, h.Unique("tuple"), tag)
	notifyShowing(h, carol, tag)
	expectNoNotify(h, bob, "alice's ACL refused bob's SUBSCRIBE")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.1.5/101", Section: "10.1.5", Level: reports.LevelMust,
	Requirement: "After an ACL change cancels one subscriber, later changes notified to the remaining subscriber do not reach the cancelled one.",
	Statements:  []string{"PRIM-A10.1.5-1", "PRIM-A13.2.1-4"},
	RFC2779:     []string{"5.1.13"},
}), func(h *H) {
	alice, bob, carol := h.LoggedIn("alice"), h.LoggedIn("bob"), h.LoggedIn("carol")
	setPresenceACL(h, alice, [2]string{bare(bob.Pres()), "fetch subscribe"}, [2]string{bare(carol.Pres()), "fetch subscribe"})
	subscribeTo(h, bob, alice.Pres(), 600)
	subscribeTo(h, carol, alice.Pres(), 600)
	h.Step("alice withdraws bob's rights: bob's subscription is cancelled")
	setPresenceACL(h, alice, [2]string{bare(carol.Pres()), "fetch subscribe"})
	bob.ExpectRequest("CANCELSUBSCRIPTION", HaveHeader("From", alice.Pres()))
	tag := h.Unique("after-cancel")
	publishPerm(h, alice, h.Unique("tuple"), tag)
	notifyShowing(h, carol, tag)
	expectNoNotify(h, bob, "bob's subscription was cancelled by alice's ACL change")
})
