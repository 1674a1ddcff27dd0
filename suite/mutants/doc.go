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
// More mutants of the server (more.go) read malformed input leniently (a bare LF as a line
// end, "Name:value", a folded or colon-less header, "from" for From, "login" for LOGIN, a
// non-decimal length, a three-field or double-spaced request line: the received octets are
// "repaired" before the engine sees them), break LOGIN (an unknown or unoffered mechanism
// selected, no CRAM-MD5, a second LOGIN allowed, Domain unchecked, an abort that
// authenticates) and the server's own outgoing server-server LOGIN (no Domain, wrong version,
// wrong mechanism, wrong CRAM-MD5 digest, PLAIN first), and answer LOGOUT.
//
// A mutant is killed by a case the clean reference passes and the mutant does not, or by a
// case not applicable to the reference (it lacks the optional behaviour the case judges: TLS,
// ANONYMOUS, 300 Redirect, STARTTLS on its own links) that fails when a mutant adds that
// behaviour wrongly. The self-test requires every case to kill at least one mutant.
//
// Ginkgo runs its specs once per process, so a matrix runs each mutant in its own process: a
// child configured by the PRIMLAB_MUTANT environment variable ([RunChild]) writes its verdicts
// to the file PRIMLAB_MUTANT_RESULTS names, and the parent ([Run], [ExecRunner]) compares every
// mutant's verdicts with the clean reference's. `primlab selftest` prints the matrix; `go test
// ./suite/mutants` asserts it.
package mutants
