// Package server is the PRIM home-server engine: one Service Domain's presence server and IM
// server in a single deterministic state machine (prim-digest.md §2-§7).
//
// It speaks the client profile (I2: PRIM-PR/1.0 and PRIM-IM/1.0, PRIM's application/presence
// bodies, optionally on one shared connection) to the user agents of its domain, and the server
// profile (SS: PRIM/1.0, Subscription-ID, CPIM-PIDF bodies) to the servers of other domains
// (Decision D1). It keeps sessions (LOGIN with SASL, STARTTLS, PING, LOGOUT), the presence store
// (tuples with leased and permanent values, Class Tables, ACLs), subscriptions with durations
// and watcher information, inboxes with their listeners, and relays presence and IM to and from
// peer domains. A peer domain is reached through Config.Peers or Config.Resolver (SRVResolver
// builds one from DNS with the server profile's SRV names, Decision D3); when it has several
// addresses, a failed dial moves on to the next.
//
// Server implements engine.Engine: it never reads a clock, opens a socket or starts a
// goroutine. Every time comes from Handle's now; timers go through SetTimer/CancelTimer;
// randomness (CRAM-MD5 challenges) comes from the *rand.Rand given to New; maps are iterated in
// sorted order. The same events therefore yield the same actions, byte for byte. Observe actions
// report Facts (one deterministic line each) for checkers and metrics.
package server
