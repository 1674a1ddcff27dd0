// Package scenario runs PRIM scenario scripts: text files (fixtures/scenarios/) that drive
// several users and remote domains against a target and list what each user must observe.
//
// The package offers:
//   - the script format: [Parse], [Load], [Format]; a prose header, then steps, each a command
//     line, a "----" line and the expected observations (datadriven style);
//   - [Run]: runs a script in the simulator (sim) against reference servers
//     (reference/server), one per domain, or against an external target through the
//     simulator's bridge (or a recording of one); the users are reference client engines
//     (reference/client). It returns what was observed, step by step, and [Diff] renders the
//     difference from what the script expects;
//   - [Model]: an abstract model of the presence and IM service of one domain (prim-digest.md
//     §4, §5, §7.5): what each watcher may and must see for its class and the ACL, the code
//     each request must get, lease and subscription expiry, cancellation on an ACL change. The
//     fuzzers (package fuzz) check the reference, or a target, against it.
//
// Commands (users are identifiers user@domain; the first domain named is the home domain, the
// one a --target replaces):
//
//	users U...                            declare the users (every domain named gets a server)
//	login U                               SASL PLAIN login of both services
//	logout U                              LOGOUT and close (Decision D31 clean-up follows)
//	publish U tuple=T [status=open|closed] [type=permanent|leased|renew|revert]
//	          [duration=S] [class=C] [note=N]
//	remove U tuple=T [class=C]
//	setclasstable U [CLASS=W,W...]...     replace U's Class Table
//	setacl U [service=im] [TARGET=op,op]... replace U's presentity (or inbox) ACL; "none" = no op
//	subscribe U P [duration=S]            (default 3600)
//	unsubscribe U P
//	fetch U P
//	listen U / silence U
//	send U R [body=B]
//	advance D                             let virtual time pass (Go duration: 61s, 2m)
//	partition DOMAIN DOMAIN / heal        cut or restore the link between two domains' servers
//	crash DOMAIN / restart DOMAIN         crash or restart a domain's server
//
// Every other step lasts exactly one second of virtual time (StepTime), so that time in a
// script is whole seconds plus link latency, and expiries never fall on a step boundary.
//
// Observation lines, one per event, sorted within a step:
//
//	U: OP CODE [duration=S] [tuples=[id=status ...]]   the result of U's operation
//	U: OP error "why"                                  a local failure (not connected, ...)
//	U: notify P tuples=[...]                           a NOTIFY (the whole PI visible to U)
//	U: cancelled P                                     a CANCELSUBSCRIPTION
//	U: message from=S body="B"                         an instant message delivered to U
//	U: disconnected                                    U's connection to its server ended
package scenario
