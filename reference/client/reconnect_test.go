package client

import (
	"errors"
	"strings"
	"testing"

	"github.com/primlab/primlab/reference/engine"
)

// PRIM-A10.3.1-1, prim-digest.md §7.6, Decision D31: connection loss is an implicit LOGOUT.
// After the home server drops both connections (a crash and restart), a plain Login must dial
// again and run LOGIN on the new connections, not write to the dead ones.
func TestLoginAfterConnectionLossReconnects(t *testing.T) {
	r := loggedIn(t, Config{})
	r.step(engine.Closed{Conn: 1, Err: errors.New("connection reset")}, "fact disconnected service=pres err=\"connection reset\"\n")
	r.step(engine.Closed{Conn: 2, Err: errors.New("connection reset")}, "fact disconnected service=im err=\"connection reset\"\n")
	r.call(Login{}, "dial pres home.example:7000\ndial im home.example:7000\n")
	r.step(engine.Opened{Conn: 3, Tag: "pres"},
		"write c3\nLOGIN PRIM-PR/1.0 5 0\nFrom: pres:alice@example.net\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
	r.step(engine.Opened{Conn: 4, Tag: "im"},
		"write c4\nLOGIN PRIM-IM/1.0 6 0\nFrom: im:alice@example.net\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
}

// Only one connection lost: the live authenticated one gets a LOGIN as today (the server answers
// 409, which counts as success), the lost one is dialled again.
func TestLoginAfterOneConnectionLost(t *testing.T) {
	r := loggedIn(t, Config{})
	r.step(engine.Closed{Conn: 1}, "fact disconnected service=pres\n")
	got := render(r.c.Handle(t0, engine.Call{Op: Login{}}))
	if !strings.Contains(got, "dial pres home.example:7000\n") || !strings.Contains(got, "write c2\nLOGIN PRIM-IM/1.0") {
		t.Fatalf("Login after losing c1: got\n%s", got)
	}
	if strings.Contains(got, "write c1") {
		t.Fatalf("Login wrote to the closed connection c1:\n%s", got)
	}
}

// The fuzzer's case (primlab fuzz --mode sim): the home server crashed and restarted, and the
// client has not yet seen its connections end. The LOGIN goes out on the old connection, the
// write is answered by a reset, and the Login dials again and logs in on the new connection
// instead of ending in "connection closed".
func TestLoginOnDeadConnectionRedials(t *testing.T) {
	r := loggedIn(t, Config{})
	got := render(r.c.Handle(t0, engine.Call{Op: Login{}}))
	if !strings.Contains(got, "write c1\nLOGIN PRIM-PR/1.0 5 0\n") {
		t.Fatalf("Login on a live authenticated connection: got\n%s", got)
	}
	r.step(engine.Closed{Conn: 1, Err: errors.New("connection reset")},
		"fact disconnected service=pres err=\"connection reset\"\ndial pres home.example:7000\n")
	got = render(r.c.Handle(t0, engine.Opened{Conn: 3, Tag: "pres"}))
	if !strings.HasPrefix(got, "write c3\nLOGIN PRIM-PR/1.0 ") || !strings.Contains(got, "Auth-State: init\n") {
		t.Fatalf("after redial: got\n%s", got)
	}
	// A second loss during the same Login is not retried (no dial loop).
	got = render(r.c.Handle(t0, engine.Closed{Conn: 3, Err: errors.New("connection reset")}))
	if strings.Contains(got, "dial ") {
		t.Fatalf("second loss: got\n%s", got)
	}
}
