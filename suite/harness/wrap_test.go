package harness

import (
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reference/engine"
)

// silencer is a wrapper that swallows every Write of the engine it wraps.
type silencer struct {
	inner engine.Engine
	seen  *int
}

func (s silencer) Handle(now time.Time, ev engine.Event) []engine.Action {
	*s.seen++
	var out []engine.Action
	for _, a := range s.inner.Handle(now, ev) {
		if _, ok := a.(engine.Write); !ok {
			out = append(out, a)
		}
	}
	return out
}

// Config.WrapServer puts a wrapper around the simulated reference: what the suite sees is
// what the wrapper lets through. Without it the same request is answered.
func TestWrapServerWrapsTheSimulatedReference(t *testing.T) {
	ask := func(wrap func(engine.Engine) engine.Engine) (answer string, wrapped int) {
		cfg := Config{}.withDefaults()
		seen := 0
		if wrap != nil {
			cfg.WrapServer = func(e engine.Engine) engine.Engine { wrapped++; return wrap(silencer{e, &seen}) }
		}
		tr, err := newSimTransport(cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		s, err := tr.Dial("alice", ListenerClient)
		if err != nil {
			t.Fatal(err)
		}
		s.Write([]byte("FETCH PRIM-PR/1.0 0001 0\r\nFrom: pres:alice@example.com\r\nTo: pres:alice@example.com\r\n\r\n"))
		tr.Wait(func() bool { return len(s.Received()) > 0 }, time.Second)
		if wrap != nil && seen == 0 {
			t.Error("the wrapper saw no event")
		}
		return string(s.Received()), wrapped
	}
	if got, _ := ask(nil); !strings.Contains(got, " 401 ") {
		t.Fatalf("clean reference answered %q, want 401 (PRIM-A10.3.1-7)", got)
	}
	got, wrapped := ask(func(e engine.Engine) engine.Engine { return e })
	if got != "" || wrapped != 1 {
		t.Fatalf("wrapped reference: answered %q (want nothing: the wrapper drops writes), wrapped %d times (want 1)", got, wrapped)
	}
}
