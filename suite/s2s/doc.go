// Package s2s holds the conformance cases of the server role on the server-server listener
// (server profile, SS: PRIM/1.0, Decision D1): the suite plays a remote domain that connects
// to the target, logs in with its Domain, and exchanges presence and IM (prim-digest §6).
package s2s
