package server

import (
	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §10.3.3 LOGOUT, §10.3.4 PING, and the id "-" rules of §8.2.3 (Decision D6).

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.4/1", Section: "10.3.4", Level: reports.LevelMust,
	Requirement: "PING is never answered, and the connection stays usable.",
	Statements:  []string{"PRIM-A10.3.4-1", "PRIM-A8.2.3-4"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	ping := h.Request("PING")
	ping.ID = wire.NoResponse
	alice.Send(ping)
	alice.ExpectNothing(0)
	probe := h.Request("FETCH", "From", alice.Pres(), "To", alice.Pres())
	alice.Send(probe)
	Expect(alice.Expect()).To(HaveID(probe.ID))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.4/2", Section: "10.3.4", Level: reports.LevelMust,
	Requirement: "PING before LOGIN is not answered either (no 401: a request with id \"-\" never gets a response).",
	Statements:  []string{"PRIM-A8.2.3-4", "PRIM-A10.3.4-1"},
}), func(h *H) {
	alice := h.Peer("alice")
	ping := h.Request("PING")
	ping.ID = wire.NoResponse
	alice.Send(ping)
	alice.ExpectNothing(0)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.4/3", Section: "10.3.4", Level: reports.LevelMay,
	Requirement: "A PING wrongly sent with a real identifier is processed without a response (Decision D6); answering it is tolerated, closing the connection is not.",
	Statements:  []string{"PRIM-A10.3.4-1", "PRIM-A8.2.3-3"},
	Decisions:   []string{"D6"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	ping := h.Request("PING")
	alice.Send(ping)
	h.Accept(alice.NextWithin(h.Quiet()),
		OneOf("D6: processed, not answered", BeQuiet()),
		OneOf("answered with its id", HaveID(ping.ID)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/10.3.3/1", Section: "10.3.3", Level: reports.LevelMust,
	Requirement: "LOGOUT is never answered; the server may close the connection after it.",
	Statements:  []string{"PRIM-A10.3.3-1", "PRIM-A8.2.3-4"},
	Decisions:   []string{"D31"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	logout := h.Request("LOGOUT")
	logout.ID = wire.NoResponse
	alice.Send(logout)
	h.Accept(alice.NextWithin(h.Quiet()),
		OneOf("D31: connection closed after LOGOUT", BeDisconnected()),
		OneOf("silence, connection left to the client to close", BeQuiet()))
})
