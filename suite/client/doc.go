// Package client holds primlab's client-role conformance cases (DESIGN.md "The suite",
// "Client role"): the suite plays the home server and the target is a PRIM user agent
// (draft-mazzoldi-prim-impp-02, the client profile of Decision D1). One file per I2 section;
// every case is declared with harness.Case, so it carries its statements, RFC 2779 ids and
// decisions, and its verdict lands in the same reports as the server-role cases.
//
// The user agent under test is steered through the line-delimited JSON driver protocol
// (fixtures/driver-protocol.md) and connects to listening endpoints the case controls:
//
//   - by default the reference user agent (reference/client) runs inside a fresh simulated
//     world per case (deterministic, virtual time), steered by engine.Call operations that
//     mirror the driver commands; it dials the scripted listeners "home" and "alt";
//   - with [Configure] (Config.Exec set, `primlab conform --role client --exec CMD`), CMD is
//     started per case with `sh -c`; its stdin and stdout speak the driver protocol, and it
//     connects over real loopback TCP to listeners the case opens. In CMD, {addr} is replaced
//     by the home listener's host:port (also in the environment as PRIMLAB_SERVER), e.g.
//     `primlab client --driver --server {addr}`.
//
// A case gets a [Lab] from [Start]: lab.Do sends a driver command, lab.Result and
// lab.WaitEvent wait for the user agent's results and events, lab.Accept waits for a
// connection the user agent opened and returns it as a [Conn] (the server side), on which the
// case reads what the user agent sent and answers it. Every byte each way goes into the
// case's transcript. Cases that need a client configuration the driver protocol cannot
// express (STARTTLS, a shared connection) are not applicable under --exec.
package client
