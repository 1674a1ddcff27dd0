// Package mutants is primlab's mutation self-test: "every case must be able to fail".
//
// A Mutant wraps a reference engine and breaks exactly one behaviour, by rewriting what the
// engine writes (each Write is decoded with reference/wire, altered and re-encoded), what it
// receives (whole commands, decoded, altered and re-encoded) or the events and facts around
// it. Mutants of the reference server (reference/server) drop a NOTIFY, answer with the wrong
// status code, leak presence past an ACL, echo the wrong request id, ignore a lease's expiry,
// and so on; the harness runs them through harness.Config.WrapServer and the server and s2s
// cases judge them. Mutants of the reference user agent (reference/client, named ua-*) log in
// without From, send a wrong CRAM-MD5 digest, keep sending after 406, reuse an outstanding
// request id, answer PING, ignore a 300 Redirect, and so on; suite/client's Config.WrapUA
// runs them and the client-role cases judge them. The suite must fail at least one case
// against each (the mutant is "killed"). A few mutants are equivalent controls: they change
// the bytes in ways PRIM allows (header order where the grammar leaves it free, segmentation,
// a CRLF between commands) and must kill nothing, or the suite is judging something the
// drafts leave free.
//
// Ginkgo runs its specs once per process, so a matrix runs each mutant in its own process: a
// child configured by the PRIMLAB_MUTANT environment variable ([RunChild]) writes its verdicts
// to the file PRIMLAB_MUTANT_RESULTS names, and the parent ([Run], [ExecRunner]) compares every
// mutant's verdicts with the clean reference's. `primlab selftest` prints the matrix; `go test
// ./suite/mutants` asserts it.
package mutants
