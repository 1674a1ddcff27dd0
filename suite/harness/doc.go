// Package harness runs primlab's conformance cases (DESIGN.md "The suite").
//
// A case is declared once with [Case]: its metadata (stable ID prim/<role>/<section>/<n>,
// section, paraphrased requirement, level, PRIM statement ids, RFC 2779 ids, decisions) and a
// body that drives the target through an [H]. Case turns it into a ginkgo It with labels
// (MUST, role:server, profile:client, rfc2779:5.1.1, sec:8.1, decision:D6, stmt:PRIM-A8.1-4) and
// report entries, and records a reports.CaseResult when the spec ends.
//
// The target is reached through a [Transport]: by default the reference server engine inside
// the simulator (a fresh, deterministic world per case, seeded from the run seed and the case
// ID, on virtual time), or an external server over real TCP. Cases never see the difference:
//
//	alice := h.LoggedIn("alice")
//	req := h.Request("SUBSCRIBE", "From", alice.Pres(), "To", h.Account("bob").Pres, "Duration", "60")
//	resp := alice.Call(req)
//	Expect(resp).To(HaveCode(200))
//	n := alice.ExpectRequest("NOTIFY")
//
// Every wait has a deadline (Config.Timeout, virtual in the simulator); nothing sleeps. Every
// byte each way is kept as a transcript with its time; for a case that does not pass, the
// transcript (and in the simulator the trace and pcapng capture) is written under
// <out>/cases/<id>/ and linked from the result, with the seed and case ID that replay it.
//
// Verdicts: pass; fail (a gomega assertion failed); not-applicable ([H.NotApplicable], with the
// evidence); error (the target broke the harness: no answer before the deadline, an unexpected
// disconnect, a refused connection). Where prim-digest §10 leaves implementations a choice, a
// case accepts every acceptable outcome with [H.Accept] and records the one it saw.
//
// Configure the run with [Configure] before ginkgo.RunSpecs; read the results with [Results].
// Config.WrapServer wraps the simulated reference engine of every world: the mutation
// self-test (suite/mutants) uses it to check that every case can fail.
package harness
