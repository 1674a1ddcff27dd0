package s2s

import (
	"strings"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// SS §3 identifier namespace (prim-digest §3.8; Decisions D38, D44).

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/3/1", Section: "3", Level: reports.LevelMust,
	Requirement: "A remote watcher whose identifier carries an escaped character (%20) can subscribe, and the NOTIFY is addressed to exactly that identifier.",
	Statements:  []string{"PRIM-S3-1", "PRIM-S7.1.1-3"},
	Decisions:   []string{"D38", "D15"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := h.PeerPres("first%20last")
	subscribed(h, peer, watcher, h.Pres(alice.User), h.Unique("s"), "600")
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/3/2", Section: "3", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE whose watcher identifier contains characters the grammar forbids unescaped (\"<\", \">\") is refused (an error, or the connection is dropped).",
	Statements:  []string{"PRIM-S3-1"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	req := peer.Request("SUBSCRIBE", "From", h.PeerPres("eve<script>"), "To", h.Pres(alice.User), "Duration", "600",
		"Subscription-ID", h.Unique("s"), "Date", ssDate)
	peer.Send(req)
	h.Accept(responseOrEnd(peer, req.ID), rejected()...)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/3/3", Section: "3", Level: reports.LevelMust,
	Requirement: "A SUBSCRIBE whose presentity's domain part is not a valid domain name (an empty label) is refused and never relayed.",
	Statements:  []string{"PRIM-S3-2"},
	Decisions:   []string{"D44", "D19", "D20"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	req := peer.Request("SUBSCRIBE", "From", h.PeerPres("watcher"), "To", "pres:"+alice.User+"@example..invalid", "Duration", "600",
		"Subscription-ID", h.Unique("s"), "Date", ssDate)
	peer.Send(req)
	h.Accept(responseOrEnd(peer, req.ID), rejected()...)
	expectNotRelayed(h, "SUBSCRIBE")
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/3/4", Section: "3", Level: reports.LevelMust,
	Requirement: "A SEND whose recipient identifier has no domain part is refused and not delivered to anyone.",
	Statements:  []string{"PRIM-S3-2"},
	Decisions:   []string{"D44"},
}), func(h *H) {
	bob := listening(h, "bob")
	peer := h.S2SLoggedIn("remote")
	send := peerSend(h, peer, "im:"+bob.Account().User, []byte("no domain"), "Content-Type", "text/plain")
	peer.Send(send)
	h.Accept(responseOrEnd(peer, send.ID), rejected()...)
	bob.ExpectNothing(0)
})

var _ = Case(ss(reports.CaseMeta{
	ID: "prim/s2s/3/5", Section: "3", Level: reports.LevelShould,
	Requirement: "Domain names compare case-insensitively: a SUBSCRIBE from the peer's domain written in upper case is served like one in lower case.",
	Statements:  []string{"PRIM-S3-2", "PRIM-S4.1-2"},
	Decisions:   []string{"D38", "D15"},
}), func(h *H) {
	alice := h.Account("alice")
	peer := h.S2SLoggedIn("remote")
	watcher := "pres:" + h.Unique("watcher") + "@" + strings.ToUpper(h.PeerDomain())
	resp := subscribe(h, peer, watcher, h.Pres(alice.User), h.Unique("s"), "600")
	Expect(resp).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	awaitNotify(h, peer, watcher)
})
