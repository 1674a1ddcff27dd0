package server

import (
	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §8.2.2 version (prim-digest §3.4; Decisions D1, D4, D34).

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.2/1", Section: "8.2.2", Level: reports.LevelMay,
	Requirement: "A request in a major version the server cannot answer in may be refused with 503 Version Not Supported (not 505).",
	Statements:  []string{"PRIM-A8.2.2-4"},
	Decisions:   []string{"D1", "D4", "D34"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	init := alice.LoginInit(wire.VersionPresence, "PLAIN")
	init.Version = "PRIM-PR/2.0"
	alice.Call(init, HaveCode(wire.StatusVersionNotSupported))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.2/2", Section: "8.2.2", Level: reports.LevelMust,
	Requirement: "A request with a version token of no PRIM service is refused with an error (503 per Decision D1, or 400), never processed.",
	Statements:  []string{"PRIM-A8.2.2-1", "PRIM-A8.2-1"},
	Decisions:   []string{"D1"},
}), func(h *H) {
	alice := h.Peer("alice").WithAccount("alice")
	init := alice.LoginInit(wire.VersionPresence, "PLAIN")
	init.Version = "FOO/1.0"
	h.Accept(alice.Call(init),
		OneOf("D1: 503 Version Not Supported", HaveCode(wire.StatusVersionNotSupported)),
		OneOf("400 Bad Request", HaveCode(wire.StatusBadRequest)))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2.2/3", Section: "8.2.2", Level: reports.LevelMust,
	Requirement: "Responses of the presence service carry PRIM-PR and those of the IM service PRIM-IM, as the request did.",
	Statements:  []string{"PRIM-A8.2.2-1", "PRIM-A4.3-3"},
	Decisions:   []string{"D34"},
}), func(h *H) {
	pr := h.Peer("alice").WithAccount("alice")
	pr.Call(pr.LoginInit(wire.VersionPresence, "PLAIN"), HaveVersion(wire.VersionPresence))
	im := h.Peer("alice").WithAccount("alice")
	im.Call(im.LoginInit(wire.VersionIM, "PLAIN"), HaveVersion(wire.VersionIM))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/8.2/3", Section: "8.2", Level: reports.LevelMust,
	Requirement: "A presence method sent with the IM version token is refused with an error, not processed.",
	Statements:  []string{"PRIM-A8.2-1", "PRIM-A8.2.2-1"},
	Decisions:   []string{"D1"},
}), func(h *H) {
	alice := h.LoggedIn("alice", wire.VersionPresence, wire.VersionIM)
	bob := h.Account("bob")
	req := h.Request("SUBSCRIBE", "From", alice.Pres(), "To", h.Pres(bob.User), "Duration", "600")
	req.Version = wire.VersionIM
	h.Accept(alice.Call(req),
		OneOf("400 Bad Request", HaveCode(wire.StatusBadRequest)),
		OneOf("501 Not Implemented (no such method in the IM service)", HaveCode(wire.StatusNotImplemented)),
		OneOf("503 Version Not Supported", HaveCode(wire.StatusVersionNotSupported)))
})
