package client

import (
	. "github.com/onsi/gomega"

	"github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reports"
)

// Cases the mutation self-test (suite/mutants) found missing: a mutant of the reference user
// agent that broke the behaviour survived every other client-role case. IDs count from 101
// within their section.

var _ = harness.Case(ua(reports.CaseMeta{
	ID: "prim/client/10.3.3/101", Section: "10.3.3", Level: reports.LevelShould,
	Requirement: "After sending LOGOUT the user agent closes the connection it sent it on (the drafts leave open who closes; Decision D31: the sender of LOGOUT does).",
	Decisions:   []string{"D31"},
}), func(h *harness.H) {
	// Found by the mutant ua-stays-open-after-logout: prim/client/10.3.3/1 only notes the close.
	lab := Start(h)
	lab.Login()
	conns := lab.Conns()
	lab.Result(lab.Do(Cmd{Cmd: "logout"}))
	sentLogout := func(c *Conn) bool {
		for _, m := range c.sent {
			if m.IsRequest() && m.Method == "LOGOUT" {
				return true
			}
		}
		return false
	}
	// Wait until every connection that carried a LOGOUT is closed, or the quiet period ends.
	lab.wait(func() bool {
		n := 0
		for _, c := range conns {
			if sentLogout(c) {
				if !c.s.Closed() {
					return false
				}
				n++
			}
		}
		return n > 0
	}, h.Quiet())
	n := 0
	for _, c := range conns {
		if sentLogout(c) {
			n++
			Expect(c.Closed()).To(BeTrue(), "%s: still open %v after the user agent sent LOGOUT on it", c.Name(), h.Quiet())
		}
	}
	if n == 0 {
		h.NotApplicable("the user agent sent no LOGOUT (prim/client/10.3.3/1 judges that)")
	}
})
