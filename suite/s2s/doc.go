// Package s2s holds the conformance cases of the server role on the server-server listener
// (server profile, SS: PRIM/1.0, Decision D1). The suite plays a remote domain (the harness's
// peer domain, remote.example by default) that connects to the target's server-server port,
// logs in with its Domain, and exchanges presence and IM (prim-digest §6); it also accepts the
// target's own outgoing server-server connections, so that relaying by the target (a local UA
// subscribing to or messaging the peer domain) is checked on the wire.
//
// Case IDs are prim/s2s/<SS section>/<n>, numbered by draft-ietf-prim-server-00 sections
// (one file per area): §2.1 architecture (privacy of relayed commands) and §4 connections,
// services and routing (routing.go); §3 identifiers (identifiers.go); §5 command structure,
// §6.1.1-§6.1.2 From and To schemes (routing.go); §6.2.1 bodies, §7.3.2-§7.3.4 STARTTLS, LOGOUT, PING and §8 response codes (framing.go);
// §6.1.8 AStrength (astrength.go); §7.1.1 SUBSCRIBE and §6.3.1 Duration (subscribe.go); §7.1.2
// UNSUBSCRIBE (unsubscribe.go); §7.1.3 NOTIFY and §10 CPIM-PIDF (notify.go); §7.2.1 SEND and
// §11 IM format (send.go); §7.3.1 LOGIN and §9.2 authentication (login.go); §7.3.5
// VERIFYSERVER (verifyserver.go).
// The statements are PRIM-S* (prim-digest §8.2); decisions are prim-digest §10's.
//
// Cases that let a subscription's duration run out (h.Wait) take virtual time in the simulator
// but real minutes against an external target; their requirement text says "(slow)".
package s2s
