package s2s

import (
	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// SS §7.3.5 VERIFYSERVER (prim-digest §6.4; Decisions D16, D41).

// verify sends VERIFYSERVER for address on a fresh server-server connection without LOGIN.
func verify(h *H, address string) *wire.Message {
	peer := h.S2SPeer("verifier")
	return peer.Call(peer.Request("VERIFYSERVER", "Server-Address", address))
}

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.5/1", Section: "7.3.5", Level: reports.LevelMust,
	Requirement: "VERIFYSERVER for an address that is not one of the domain's servers is answered 403 without a body, on a fresh connection and without LOGIN.",
	Statements:  []string{"PRIM-S7.3.5-1", "PRIM-S7.3.5-2", "PRIM-A10.3.5-3"},
	Decisions:   []string{"D41", "D16"},
}), func(h *H) {
	// 192.0.2.0/24 is TEST-NET-1: never one of the target's servers.
	resp := verify(h, "192.0.2.99")
	Expect(resp).To(HaveCode(wire.StatusResourceNotFound))
	Expect(resp).To(HaveNoBody())
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.5/2", Section: "7.3.5", Level: reports.LevelMust,
	Requirement: "VERIFYSERVER for the address of the target's own server-server listener is answered 200 without a body, without LOGIN.",
	Statements:  []string{"PRIM-S7.3.5-2", "PRIM-S7.3.5-1", "PRIM-A10.3.5-3", "PRIM-S9.1-5"},
	Decisions:   []string{"D41"},
}), func(h *H) {
	resp := verify(h, ownAddress(h))
	Expect(resp).To(HaveCode(wire.StatusOK))
	Expect(resp).To(HaveNoBody())
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.5/3", Section: "7.3.5", Level: reports.LevelMust,
	Requirement: "VERIFYSERVER with the grammar's \"::\"-prefixed IPv4 form is understood: a foreign address is answered 403, the target's own 200, both without a body.",
	Statements:  []string{"PRIM-S7.3.5-2", "PRIM-A10.3.5-3"},
	Decisions:   []string{"D16", "D41"},
}), func(h *H) {
	own := ownAddress(h)
	resp := verify(h, "::192.0.2.99")
	Expect(resp).To(HaveCode(wire.StatusResourceNotFound))
	Expect(resp).To(HaveNoBody())
	resp = verify(h, "::"+own)
	Expect(resp).To(HaveCode(wire.StatusOK))
	Expect(resp).To(HaveNoBody())
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.5/4", Section: "7.3.5", Level: reports.LevelMust,
	Requirement: "VERIFYSERVER without a Server-Address is not answered as if it named a server: an error (400 recommended) or the connection is dropped.",
	Statements:  []string{"PRIM-S7.3.5-2"},
	Decisions:   []string{"D44", "D41"},
}), func(h *H) {
	peer := h.S2SPeer("verifier")
	req := peer.Request("VERIFYSERVER")
	peer.Send(req)
	h.Accept(responseOrEnd(peer, req.ID), append([]Outcome{OneOf("400 Bad Request", HaveCode(wire.StatusBadRequest))}, rejected()...)...)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/7.3.5/5", Section: "7.3.5", Level: reports.LevelMust,
	Requirement: "VERIFYSERVER with a Server-Address that is not an IP address is refused (an error, or the connection is dropped).",
	Statements:  []string{"PRIM-S7.3.5-2"},
	Decisions:   []string{"D44", "D16"},
}), func(h *H) {
	peer := h.S2SPeer("verifier")
	req := peer.Request("VERIFYSERVER", "Server-Address", "not-an-address")
	peer.Send(req)
	h.Accept(responseOrEnd(peer, req.ID), rejected()...)
})
