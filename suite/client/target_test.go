package client

import (
	"testing"
	"time"
)

// runLogin drives a simulated reference user agent through a login attempt that the fake
// home server never answers, and returns the world's trace.
func runLogin(t *testing.T, seed uint64) string {
	t.Helper()
	st, err := newSimTarget(seed, UAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st.do(Cmd{ID: "c1", Cmd: "login", User: "alice@example.com", Password: "pw"})
	var got []stream
	st.wait(func() bool { got = append(got, st.accepted(Home)...); return len(got) >= 2 }, time.Second)
	if len(got) < 2 {
		t.Fatalf("the user agent opened %d connections, want 2 (presence and IM)", len(got))
	}
	st.wait(func() bool { return false }, 100*time.Millisecond)
	for _, s := range got {
		if len(s.Received()) == 0 {
			t.Fatal("no LOGIN received")
		}
	}
	trace, _ := st.evidence()
	return trace
}

func TestSimTargetIsDeterministic(t *testing.T) {
	a, b := runLogin(t, 42), runLogin(t, 42)
	if a != b {
		t.Fatalf("same seed, different traces:\n%s\n---\n%s", a, b)
	}
}

func TestExecTargetReadsDriverLines(t *testing.T) {
	// A stand-in user agent: echoes a result for the first command, then waits for stdin to close.
	cmd := `read line; echo '{"type":"ready","protocol":1}'; echo 'not json'; echo '{"type":"result","id":"c1","cmd":"ping","code":0}'; cat >/dev/null`
	et, err := newExecTarget(Config{Exec: cmd})
	if err != nil {
		t.Fatal(err)
	}
	defer et.close()
	et.do(Cmd{ID: "c1", Cmd: "ping"})
	ok := et.wait(func() bool {
		for _, e := range et.events() {
			if e.Type == "result" && e.ID == "c1" {
				return true
			}
		}
		return false
	}, 10*time.Second)
	if !ok {
		t.Fatalf("no result; events: %v", et.events())
	}
	evs := et.events()
	if evs[0].Type != "harness_error" {
		t.Errorf("a stdout line that is not JSON should be reported, got %v", evs)
	}
	for _, e := range evs {
		if e.Type == "ready" {
			t.Errorf("the ready line is not an event: %v", evs)
		}
	}
}
