package client

import (
	"errors"
	"fmt"
	"testing"

	"github.com/primlab/primlab/reference/engine"
)

// The wire text of the second LOGIN exchange on c1 after a 401 (PLAIN, alice@example.net / pw).
const (
	reloginInit = "write c1\nLOGIN PRIM-PR/1.0 %s 0\nFrom: pres:alice@example.net\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n"
	plain100    = "PRIM-PR/1.0 %s 0 100 Authentication Continued\nSASL-Mech: PLAIN\n\n"
	reloginCont = "write c1\nLOGIN PRIM-PR/1.0 %s 21\nFrom: pres:alice@example.net\nAuth-State: continue\nSASL-Mech: PLAIN\nContent-Type: text/plain\n\nalice@example.net\npw\n"
)

// withID fills the request id into one of the texts above.
func withID(format, id string) string { return fmt.Sprintf(format, id) }

// PRIM-A18-2 (MUST): after 401 Unauthorized the user agent authenticates with LOGIN. The
// client runs the LOGIN exchange again on the same connection with the credentials it has and
// reissues the request once; the caller sees one result, that of the reissued request.
func TestUnauthorizedLogsInAgainAndReissues(t *testing.T) {
	r := loggedIn(t, Config{})
	r.call(Tagged{Tag: "f", Op: Fetch{To: "bob@example.org"}},
		"write c1\nFETCH PRIM-PR/1.0 5 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n\n")
	r.server(1, "PRIM-PR/1.0 5 0 401 Unauthorized\n\n", withID(reloginInit, "6"))
	// Requests made while the client logs in again wait for it (prim-digest.md §3.5), behind
	// the reissued one.
	r.call(Tagged{Tag: "g", Op: GetACL{}}, "")
	r.server(1, withID(plain100, "6"), withID(reloginCont, "7"))
	r.server(1, "PRIM-PR/1.0 7 0 200 OK\n\n",
		"write c1\nFETCH PRIM-PR/1.0 8 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n\n"+
			"write c1\nGETACL PRIM-PR/1.0 9 0\nFrom: pres:alice@example.net\n\n\n")
	r.server(1, "PRIM-PR/1.0 8 0 403 Resource Not Found\n\n",
		"fact result op=fetch tag=f id=8 code=403 phrase=\"Resource Not Found\"\n")
	// The IM connection was never touched: its requests go straight out.
	r.call(Listen{}, "write c2\nLISTEN PRIM-IM/1.0 10 0\nFrom: im:alice@example.net\n\n\n")
}

// A request is reissued after 401 only once: a second 401 is its result, with no third LOGIN.
func TestUnauthorizedReissuedOnlyOnce(t *testing.T) {
	r := loggedIn(t, Config{})
	r.call(Tagged{Tag: "f", Op: Fetch{To: "bob@example.org"}},
		"write c1\nFETCH PRIM-PR/1.0 5 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n\n")
	r.server(1, "PRIM-PR/1.0 5 0 401 Unauthorized\n\n", withID(reloginInit, "6"))
	r.server(1, withID(plain100, "6"), withID(reloginCont, "7"))
	r.server(1, "PRIM-PR/1.0 7 0 200 OK\n\n",
		"write c1\nFETCH PRIM-PR/1.0 8 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n\n")
	r.server(1, "PRIM-PR/1.0 8 0 401 Unauthorized\n\n",
		"fact result op=fetch tag=f id=8 code=401 phrase=\"Unauthorized\"\n")
	// Another request still gets its own LOGIN after a 401.
	r.call(Tagged{Tag: "g", Op: GetACL{}}, "write c1\nGETACL PRIM-PR/1.0 9 0\nFrom: pres:alice@example.net\n\n\n")
	r.server(1, "PRIM-PR/1.0 9 0 401 Unauthorized\n\n", withID(reloginInit, "10"))
}

// If logging in again fails, the operation fails with the 401 it got, and Err says how LOGIN
// ended (406 Authentication Failed: nothing more on the connection, PRIM-A12.1-15).
func TestUnauthorizedThenLoginFails(t *testing.T) {
	r := loggedIn(t, Config{})
	r.call(Tagged{Tag: "f", Op: Fetch{To: "bob@example.org"}},
		"write c1\nFETCH PRIM-PR/1.0 5 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n\n")
	r.server(1, "PRIM-PR/1.0 5 0 401 Unauthorized\n\n", withID(reloginInit, "6"))
	r.server(1, withID(plain100, "6"), withID(reloginCont, "7"))
	r.server(1, "PRIM-PR/1.0 7 0 406 Authentication Failed\n\n",
		"fact result op=fetch tag=f id=5 code=401 phrase=\"Unauthorized\" err=\"401 Unauthorized, and logging in again failed: not sent: login ended with 406 Authentication Failed\"\n"+
			"close c1 abort=false\n")
	r.call(Fetch{To: "bob@example.org"},
		"fact result op=fetch code=0 err=\"authentication failed: no further requests on this connection (PRIM-A12.1-15)\"\n")
}

// The connection closing while the client logs in again ends the operation with its 401.
func TestUnauthorizedThenConnectionCloses(t *testing.T) {
	r := loggedIn(t, Config{})
	r.call(Tagged{Tag: "f", Op: Fetch{To: "bob@example.org"}},
		"write c1\nFETCH PRIM-PR/1.0 5 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n\n")
	r.server(1, "PRIM-PR/1.0 5 0 401 Unauthorized\n\n", withID(reloginInit, "6"))
	r.step(engine.Closed{Conn: 1, Err: errors.New("reset")},
		"fact result op=fetch tag=f id=5 code=401 phrase=\"Unauthorized\" err=\"401 Unauthorized, and logging in again failed: connection closed\"\n"+
			"fact disconnected service=pres err=\"reset\"\n")
}

// Pipelined requests all answered 401 share one LOGIN exchange and are reissued in the order
// they were first sent.
func TestUnauthorizedPipelined(t *testing.T) {
	r := loggedIn(t, Config{})
	r.call(Tagged{Tag: "a", Op: Fetch{To: "bob@example.org"}},
		"write c1\nFETCH PRIM-PR/1.0 5 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n\n")
	r.call(Tagged{Tag: "b", Op: GetClassTable{}},
		"write c1\nGETCLASSTABLE PRIM-PR/1.0 6 0\nFrom: pres:alice@example.net\n\n\n")
	r.call(Tagged{Tag: "c", Op: GetACL{}},
		"write c1\nGETACL PRIM-PR/1.0 7 0\nFrom: pres:alice@example.net\n\n\n")
	r.server(1, "PRIM-PR/1.0 6 0 401 Unauthorized\n\n", withID(reloginInit, "8"))
	r.server(1, "PRIM-PR/1.0 7 0 401 Unauthorized\n\n", "")
	r.server(1, "PRIM-PR/1.0 5 0 401 Unauthorized\n\n", "")
	r.server(1, withID(plain100, "8"), withID(reloginCont, "9"))
	r.server(1, "PRIM-PR/1.0 9 0 200 OK\n\n",
		"write c1\nFETCH PRIM-PR/1.0 10 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n\n"+
			"write c1\nGETCLASSTABLE PRIM-PR/1.0 11 0\nFrom: pres:alice@example.net\n\n\n"+
			"write c1\nGETACL PRIM-PR/1.0 12 0\nFrom: pres:alice@example.net\n\n\n")
}

// Without a principal the client cannot log in: the 401 is the result.
func TestUnauthorizedWithoutCredentials(t *testing.T) {
	r := newRig(t, Config{Services: []Service{Presence}})
	r.call(Connect{}, "dial pres home.example:7000\n")
	r.step(engine.Opened{Conn: 1, Tag: "pres"}, "fact result op=connect code=0\n")
	r.call(Tagged{Tag: "f", Op: Fetch{To: "bob@example.org"}},
		"write c1\nFETCH PRIM-PR/1.0 1 0\nFrom: \nTo: pres:bob@example.org\n\n\n")
	r.server(1, "PRIM-PR/1.0 1 0 401 Unauthorized\n\n", "fact result op=fetch tag=f id=1 code=401 phrase=\"Unauthorized\"\n")
}

// On a shared connection (I2 §4.3) only the service answered 401 logs in again (Decision D33:
// LOGIN is per service).
func TestUnauthorizedSharedConnection(t *testing.T) {
	r := newRig(t, Config{Shared: true, Mechs: "EXTERNAL"})
	r.call(Login{ID: "alice@example.net"}, "dial shared home.example:7000\n")
	r.step(engine.Opened{Conn: 1, Tag: "shared"},
		"write c1\nLOGIN PRIM-PR/1.0 1 0\nFrom: pres:alice@example.net\nAuth-State: init\nSASL-Mech: EXTERNAL\n\n\n")
	r.server(1, "PRIM-PR/1.0 1 0 200 OK\n\n",
		"write c1\nLOGIN PRIM-IM/1.0 2 0\nFrom: im:alice@example.net\nAuth-State: init\nSASL-Mech: EXTERNAL\n\n\n")
	r.server(1, "PRIM-IM/1.0 2 0 200 OK\n\n", "fact result op=login id=2 code=200 phrase=\"OK\"\n")
	r.call(Tagged{Tag: "l", Op: Listen{}}, "write c1\nLISTEN PRIM-IM/1.0 3 0\nFrom: im:alice@example.net\n\n\n")
	r.server(1, "PRIM-IM/1.0 3 0 401 Unauthorized\n\n",
		"write c1\nLOGIN PRIM-IM/1.0 4 0\nFrom: im:alice@example.net\nAuth-State: init\nSASL-Mech: EXTERNAL\n\n\n")
	// Presence stays authenticated meanwhile.
	r.call(Tagged{Tag: "f", Op: Fetch{To: "bob@example.org"}},
		"write c1\nFETCH PRIM-PR/1.0 5 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n\n")
	r.server(1, "PRIM-IM/1.0 4 0 100 Authentication Continued\nSASL-Mech: EXTERNAL\n\n",
		"write c1\nLOGIN PRIM-IM/1.0 6 0\nFrom: im:alice@example.net\nAuth-State: continue\nSASL-Mech: EXTERNAL\n\n\n")
	r.server(1, "PRIM-IM/1.0 6 0 200 OK\n\n", "write c1\nLISTEN PRIM-IM/1.0 7 0\nFrom: im:alice@example.net\n\n\n")
	r.server(1, "PRIM-IM/1.0 7 0 200 OK\n\n", "fact result op=listen tag=l id=7 code=200 phrase=\"OK\"\n")
}

// 409 Already Authenticated means the principal is authenticated (I2 §10.3.1, Decision D33):
// requests held while LOGIN ran go out after it, and the Login result counts as success.
func TestAlreadyAuthenticatedReleasesHeldRequests(t *testing.T) {
	r := newRig(t, Config{Services: []Service{Presence}, Mechs: "PLAIN"})
	var res Result
	writes := 0
	acts := r.c.Handle(t0, engine.Call{Op: Tagged{Tag: "l", Op: Login{ID: "alice@example.net", Password: "pw"}}})
	if got := render(acts); got != "dial pres home.example:7000\n" {
		t.Fatalf("login: %s", got)
	}
	r.call(Tagged{Tag: "f", Op: Fetch{To: "bob@example.org"}}, "")
	r.step(engine.Opened{Conn: 1, Tag: "pres"}, "write c1\nLOGIN PRIM-PR/1.0 1 0\nFrom: pres:alice@example.net\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
	for _, a := range r.c.Handle(t0, engine.Bytes{Conn: 1, Data: crlf("PRIM-PR/1.0 1 0 409 Already Authenticated\n\n")}) {
		switch a := a.(type) {
		case engine.Observe:
			if x, ok := a.Fact.(Result); ok && x.Op == "login" {
				res = x
			}
		case engine.Write:
			writes++
			if got := string(a.Data); got != string(crlf("FETCH PRIM-PR/1.0 2 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n")) {
				t.Errorf("after 409 the client wrote %q, want the held FETCH", got)
			}
		}
	}
	if writes != 1 {
		t.Errorf("after 409 the client wrote %d messages, want the held FETCH", writes)
	}
	if res.Code != 409 || !res.OK() || res.Err != "" {
		t.Errorf("login result %v: want code 409, OK, no error", res)
	}
	r.server(1, "PRIM-PR/1.0 2 0 404 Not Found\n\n", "fact result op=fetch tag=f id=2 code=404 phrase=\"Not Found\"\n")
}

// With two services, one answered 409 and the other 200, Login succeeds; a 406 on either still
// makes it fail.
func TestAlreadyAuthenticatedCountsAsSuccessAcrossServices(t *testing.T) {
	for _, tc := range []struct {
		pres, im string
		want     string
	}{
		{"409 Already Authenticated", "200 OK", "fact result op=login id=2 code=200 phrase=\"OK\"\n"},
		{"200 OK", "409 Already Authenticated", "fact result op=login id=2 code=409 phrase=\"Already Authenticated\"\n"},
		{"409 Already Authenticated", "406 Authentication Failed", "fact result op=login id=2 code=406 phrase=\"Authentication Failed\"\nclose c2 abort=false\n"},
	} {
		r := newRig(t, Config{Mechs: "PLAIN"})
		r.call(Login{ID: "alice@example.net", Password: "pw"}, "dial pres home.example:7000\ndial im home.example:7000\n")
		r.step(engine.Opened{Conn: 1, Tag: "pres"}, "write c1\nLOGIN PRIM-PR/1.0 1 0\nFrom: pres:alice@example.net\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
		r.step(engine.Opened{Conn: 2, Tag: "im"}, "write c2\nLOGIN PRIM-IM/1.0 2 0\nFrom: im:alice@example.net\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
		r.call(Tagged{Tag: "f", Op: Fetch{To: "bob@example.org"}}, "")
		want := "write c1\nFETCH PRIM-PR/1.0 3 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n\n"
		r.server(1, "PRIM-PR/1.0 1 0 "+tc.pres+"\n\n", want)
		r.server(2, "PRIM-IM/1.0 2 0 "+tc.im+"\n\n", tc.want)
	}
}
