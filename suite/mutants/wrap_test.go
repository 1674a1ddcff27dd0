package mutants

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/server"
	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/suite/harness"
)

func newServer(t *testing.T) engine.Engine {
	t.Helper()
	cfg := server.Config{Domain: "example.com", Accounts: map[string]string{"alice": "alice-secret"},
		Listeners: map[string]string{"client": server.RoleClient}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return server.New(cfg, rand.New(rand.NewPCG(1, 2)))
}

// exchange opens a client connection, sends data and returns what the engine wrote back and
// whether it closed the connection.
func exchange(e engine.Engine, data []byte) (written []byte, writes int, closed bool) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.Handle(now, engine.Opened{Conn: 1, Listener: "client", Local: "10.0.0.1:7000", Remote: "10.0.1.1:4000"})
	for _, a := range e.Handle(now, engine.Bytes{Conn: 1, Data: data}) {
		switch a := a.(type) {
		case engine.Write:
			written = append(written, a.Data...)
			writes++
		case engine.Close:
			closed = true
		}
	}
	return written, writes, closed
}

func decodeAll(t *testing.T, data []byte) []*wire.Message {
	t.Helper()
	d := wire.NewDecoder(wire.DefaultLimits())
	d.Feed(data)
	var out []*wire.Message
	for {
		m, err := d.Next()
		if err != nil {
			t.Fatalf("engine wrote malformed PRIM: %v", err)
		}
		if m == nil {
			return out
		}
		out = append(out, m)
	}
}

// A FETCH before LOGIN: 401 from the reference (PRIM-A10.3.1-7).
var fetchBeforeLogin = []byte("FETCH PRIM-PR/1.0 0001 0\r\nFrom: pres:alice@example.com\r\nTo: pres:alice@example.com\r\n\r\n")

func mustLookup(t *testing.T, name string) Mutant {
	t.Helper()
	m, ok := Lookup(name)
	if !ok {
		t.Fatalf("no mutant %q", name)
	}
	return m
}

func TestIdentityWrapperChangesNothing(t *testing.T) {
	want, _, _ := exchange(newServer(t), fetchBeforeLogin)
	got, _, _ := exchange(mustLookup(t, "identity").Wrap(newServer(t)), fetchBeforeLogin)
	if !bytes.Equal(got, want) {
		t.Fatalf("identity wrapper wrote %q, the engine alone %q", got, want)
	}
	if ms := decodeAll(t, want); len(ms) != 1 || ms[0].Code != wire.StatusUnauthorized {
		t.Fatalf("reference answered %q, want one 401", want)
	}
}

func TestRecodeMutantChangesOnlyTheCode(t *testing.T) {
	got, _, _ := exchange(mustLookup(t, "unauthorized-as-ok").Wrap(newServer(t)), fetchBeforeLogin)
	ms := decodeAll(t, got)
	if len(ms) != 1 || ms[0].Code != wire.StatusOK || ms[0].Phrase != "OK" || ms[0].ID != "0001" {
		t.Fatalf("mutant answered %q, want 200 OK with id 0001", got)
	}
}

func TestWrongIDMutant(t *testing.T) {
	got, _, _ := exchange(mustLookup(t, "wrong-response-id").Wrap(newServer(t)), fetchBeforeLogin)
	if ms := decodeAll(t, got); len(ms) != 1 || ms[0].ID == "0001" {
		t.Fatalf("mutant answered %q, want another id than 0001", got)
	}
}

func TestSplitWritesKeepTheBytes(t *testing.T) {
	want, _, _ := exchange(newServer(t), fetchBeforeLogin)
	got, writes, _ := exchange(mustLookup(t, "split-writes").Wrap(newServer(t)), fetchBeforeLogin)
	if !bytes.Equal(got, want) || writes != 3 {
		t.Fatalf("split-writes wrote %q in %d writes, want %q in 3", got, writes, want)
	}
}

// A request id far longer than the decoder's default limit (Decision D5's 64) that the engine
// echoes must pass through the wrapper, not vanish.
func TestWrapperPassesLongIDs(t *testing.T) {
	id := strings.Repeat("a1B2", 50)
	req := []byte("FETCH PRIM-PR/1.0 " + id + " 0\r\nFrom: pres:alice@example.com\r\nTo: pres:alice@example.com\r\n\r\n")
	want, _, _ := exchange(newServer(t), req)
	got, _, _ := exchange(mustLookup(t, "identity").Wrap(newServer(t)), req)
	if len(want) == 0 || !bytes.Equal(got, want) {
		t.Fatalf("identity wrapper wrote %q, the engine alone %q", got, want)
	}
}

func TestAnswerNoResponseMutant(t *testing.T) {
	ping := []byte("PING PRIM-PR/1.0 - 0\r\n\r\n")
	if got, _, _ := exchange(newServer(t), ping); len(got) != 0 {
		t.Fatalf("reference answered PING with %q (PRIM-A8.3-2)", got)
	}
	got, _, _ := exchange(mustLookup(t, "answer-no-response-request").Wrap(newServer(t)), ping)
	if ms := decodeAll(t, got); len(ms) != 1 || ms[0].ID != "-" || ms[0].Code != 200 {
		t.Fatalf("mutant answered %q, want a 200 with id -", got)
	}
}

func TestStayOpenAfter406(t *testing.T) {
	bad := []byte("LOGIN PRIM-PR/1.0 0001 0\r\nFrom: pres:alice@example.com\r\nAuth-State: init\r\nSASL-Mech: NO-SUCH-MECH\r\n\r\n")
	got, _, closed := exchange(newServer(t), bad)
	if ms := decodeAll(t, got); len(ms) != 1 || ms[0].Code != wire.StatusAuthFailed || !closed {
		t.Fatalf("reference: %q closed=%v, want 406 and close (PRIM-A10.3.1-11)", got, closed)
	}
	got, _, closed = exchange(mustLookup(t, "stay-open-after-406").Wrap(newServer(t)), bad)
	if ms := decodeAll(t, got); len(ms) != 1 || ms[0].Code != wire.StatusAuthFailed || closed {
		t.Fatalf("mutant: %q closed=%v, want 406 and no close", got, closed)
	}
}

func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	defects, controls := 0, 0
	for _, m := range All() {
		if seen[m.Name] {
			t.Errorf("mutant %q listed twice", m.Name)
		}
		seen[m.Name] = true
		if m.Breaks == "" || m.hooks == nil {
			t.Errorf("mutant %q lacks a description or hooks", m.Name)
		}
		if m.Equivalent {
			controls++
			if len(m.Intended) > 0 {
				t.Errorf("control %q names intended killers", m.Name)
			}
		} else {
			defects++
			if len(m.Intended) == 0 {
				t.Errorf("mutant %q names no intended killing case", m.Name)
			}
		}
		// A mutant's intended killers are cases of the role that judges it.
		client := m.Target() == harness.RoleClient
		if client != strings.HasPrefix(m.Name, "ua-") {
			t.Errorf("mutant %q of role %q: the user agent's mutants, and only they, are named ua-*", m.Name, m.Target())
		}
		for _, id := range m.Intended {
			if strings.HasPrefix(id, "prim/client/") != client {
				t.Errorf("mutant %q (role %q) names %s, a case of another role", m.Name, m.Target(), id)
			}
		}
	}
	if defects < 20 || controls < 2 {
		t.Errorf("%d defect mutants and %d controls; want at least 20 and 2", defects, controls)
	}
}
