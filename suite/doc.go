// Package suite is the root of primlab's conformance suite (DESIGN.md "The suite"). The cases
// live in suite/server (server role on the client listener), suite/s2s (server role on the
// server-server listener) and suite/client (client role, driven through the driver protocol);
// suite/harness runs them. Importing this package links every role's cases, which is what
// `primlab conform` and the catalogue check need.
//
// # Writing a case
//
// Put it in the file of its draft section (suite/server/<topic>.go for I2 sections on the
// client listener, suite/s2s for SS sections), give it the next free number in that section,
// and write it from prim-digest §8, not from what the reference happens to do:
//
//	var _ = harness.Case(srv(reports.CaseMeta{
//		ID: "prim/server/10.3.1/1", Section: "10.3.1", Level: reports.LevelMust,
//		Requirement: "Any request other than LOGIN before authentication is answered 401.",
//		Statements:  []string{"PRIM-A10.3.1-7"},
//	}), func(h *harness.H) {
//		alice := h.Peer("alice").WithAccount("alice")
//		alice.Call(h.Request("FETCH", "From", alice.Pres(), "To", h.Pres("bob")), HaveCode(401))
//	})
//
// Where prim-digest §10 leaves a choice, accept every acceptable outcome with h.Accept and
// OneOf, naming the decision; state the target keeps between cases (tuples, ACLs, message ids)
// must not decide the verdict, so name what a case creates with h.Unique. Then regenerate the
// reviewed catalogue, fixtures/cases.yaml:
//
//	go test ./suite -args -rewrite-catalogue
//
// go test ./suite checks that the catalogue matches the code, that every statement, RFC 2779
// requirement and decision a case cites exists, and that every case became one ginkgo spec
// with its labels.
package suite

import (
	// The cases of every role register themselves at init.
	_ "github.com/primlab/primlab/suite/client"
	_ "github.com/primlab/primlab/suite/s2s"
	_ "github.com/primlab/primlab/suite/server"
)
