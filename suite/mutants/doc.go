// Package mutants is primlab's mutation self-test: "every case must be able to fail".
//
// A Mutant wraps the reference server engine (reference/server) and breaks exactly one
// behaviour, by rewriting what the engine writes (each Write is decoded with reference/wire,
// altered and re-encoded) or the events it receives: it drops a NOTIFY, answers with the wrong
// status code, leaks presence past an ACL, echoes the wrong request id, ignores a lease's
// expiry, and so on. The harness runs the reference wrapped in one mutant through
// harness.Config.WrapServer; the suite must then fail at least one case (the mutant is
// "killed"). A few mutants are equivalent controls: they change the bytes in ways PRIM allows
// (header order, segmentation, a CRLF between commands) and must kill nothing, or the suite is
// judging something the drafts leave free.
//
// Ginkgo runs its specs once per process, so a matrix runs each mutant in its own process: a
// child configured by the PRIMLAB_MUTANT environment variable ([RunChild]) writes its verdicts
// to the file PRIMLAB_MUTANT_RESULTS names, and the parent ([Run], [ExecRunner]) compares every
// mutant's verdicts with the clean reference's. `primlab selftest` prints the matrix; `go test
// ./suite/mutants` asserts it.
package mutants
