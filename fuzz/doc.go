// Package fuzz holds primlab's three fuzzers and the planted bugs their tests find:
//
//   - [Model] (`primlab fuzz --mode model`): pgregory.net/rapid generates scenarios of package
//     scenario as a state machine; the abstract model (scenario.Model) says what every user
//     must observe; a mismatch is shrunk by rapid and written as a scenario script.
//   - [Wire] (`--mode wire`): grammar-aware mutation of valid PRIM messages sent to a server
//     on one connection, with a probe LOGIN on a second connection after every input; crashes,
//     hangs, responses with ids never sent and replies to "-" requests are findings, minimised
//     by delta debugging.
//   - [Sim] (`--mode sim`): random two- and three-domain scenarios with partitions, crashes
//     and restarts, checked against invariants: every SEND gets exactly one final response and
//     a 200 means delivered; once the last fault heals every watcher converges to what its
//     class may see; no presence reaches a watcher the ACL denies.
//
// [Mutators] wrap the reference server engine with known bugs (drop a NOTIFY, a wrong SEND
// code, a leak across an ACL, a wrong response id, a reply to "-", a crash) so that tests can
// show each mode finds and shrinks them. Every run is deterministic for its seed and shard.
package fuzz
