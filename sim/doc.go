// Package sim is primlab's deterministic discrete-event network simulator (DESIGN.md "The
// simulator"). One event loop owns a virtual clock, a min-heap of (time, sequence) events and
// one seeded math/rand/v2 PCG source; it runs on the caller's goroutine. Given the same seed and
// the same inputs, a run produces byte-identical traces and pcapng captures.
//
// The package provides:
//
//   - [World]: the clock, the event queue, the resolver (host names to IPv4 addresses), links
//     and faults. Drive it with [World.RunFor], [World.RunUntil], [World.RunUntilQuiet] or
//     [World.Step]; schedule your own code with [World.After].
//   - [Host]: an addressable machine. A host built with [HostConfig.New] runs an
//     engine.Engine (reference/engine): the world turns the engine's actions (Write, Dial,
//     Close, StartTLS, SetTimer, Observe, ...) into events and feeds the results back. Hosts
//     crash ([Host.Crash]: engine state lost, no FIN or RST sent) and restart
//     ([Host.Restart]: a fresh engine from the factory). Facts the engine observes are kept
//     with their virtual time ([Host.Facts], [Config.OnFact]).
//   - Virtual TCP: three-way handshake, refusal by RST, in-order bytes segmented by MSS, FIN,
//     RST, and timeouts when a partition or a crashed host swallows segments. Loss is modelled
//     as retransmission delay: bytes are never silently lost inside a live connection.
//     Reordering and duplication happen at segment level, where a capture shows them; the
//     application always sees the byte stream in order.
//   - [LinkConfig]: latency, jitter, bandwidth, loss, duplication and reordering per pair of
//     hosts; [World.Partition] and [World.Heal] cut and restore links.
//   - [Conn] and [Listener]: scripted connections for test code. A test dials from a named host
//     ([World.Connect]), writes, reads what arrived, closes; or listens ([World.Listen]) as a
//     fake server that the engine under test dials.
//   - Trace: with [Config.Trace] set, one deterministic line per network event, showing the
//     start line of every PRIM message delivered.
//   - Capture: with [Config.Pcap] set, every segment goes to a pcapng stream (Ethernet, IPv4,
//     TCP with coherent sequence numbers and valid checksums; one interface per host; virtual
//     timestamps). tools/wireshark/prim.lua dissects the PRIM inside.
//   - Bridge: [World.AddBridge] lets an external implementation take part through real
//     sockets; every byte it exchanges is recorded ([Recording]) so the run can be replayed
//     later without it ([World.AddReplay]).
//
// Engines run unchanged: the same code runs over real sockets in reference/netrun.
package sim
