package sim

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reference/engine"
)

// ticker sets a timer every period, forever: a world that never goes quiet.
type ticker struct{ period time.Duration }

func (k *ticker) Handle(now time.Time, ev engine.Event) []engine.Action {
	switch ev.(type) {
	case engine.Call, engine.Timer:
		return []engine.Action{engine.SetTimer{ID: 1, At: now.Add(k.period)}}
	}
	return nil
}

func TestRunUntilQuietStopsAtQuietLimit(t *testing.T) {
	w := New(Config{QuietLimit: time.Minute})
	h := w.MustAddHost(HostConfig{Name: "tick", IP: "10.0.0.1", New: func(*rand.Rand) engine.Engine { return &ticker{time.Second} }})
	h.Call("start")
	if w.RunUntilQuiet() {
		t.Fatal("a world with a periodic timer reported quiet")
	}
	if w.Now() != time.Minute {
		t.Errorf("stopped at %v, want the quiet limit (1m)", w.Now())
	}
	quiet := New(Config{})
	quiet.After(3*time.Second, func() {})
	if !quiet.RunUntilQuiet() || quiet.Now() != 3*time.Second {
		t.Errorf("quiet world: RunUntilQuiet ended at %v", quiet.Now())
	}
}

func TestRunForAndRunUntilMoveTheClock(t *testing.T) {
	w := New(Config{})
	var ran []time.Duration
	for _, d := range []time.Duration{3, 1, 2, 2} {
		d := d * time.Second
		w.After(d, func() { ran = append(ran, w.Now()) })
	}
	w.RunFor(1500 * time.Millisecond)
	if w.Now() != 1500*time.Millisecond || len(ran) != 1 {
		t.Fatalf("after RunFor(1.5s): now %v, ran %v", w.Now(), ran)
	}
	if !w.RunUntil(func() bool { return len(ran) == 3 }, time.Hour) || w.Now() != 2*time.Second {
		t.Fatalf("RunUntil: now %v, ran %v", w.Now(), ran)
	}
	if w.RunUntil(func() bool { return false }, 10*time.Second) || w.Now() != 12*time.Second || len(ran) != 4 {
		t.Fatalf("RunUntil never true: now %v, ran %v", w.Now(), ran)
	}
	if w.Time() != DefaultStart.Add(12*time.Second) {
		t.Errorf("Time() = %v", w.Time())
	}
}

func TestAddHostValidates(t *testing.T) {
	w := New(Config{})
	w.MustAddHost(HostConfig{Name: "a", IP: "10.0.0.1"})
	for _, tc := range []struct {
		cfg  HostConfig
		want string
	}{
		{HostConfig{IP: "10.0.0.2"}, "without a name"},
		{HostConfig{Name: "a", IP: "10.0.0.2"}, "already in use"},
		{HostConfig{Name: "b", IP: "10.0.0.1"}, "already used"},
		{HostConfig{Name: "b", IP: "::1"}, "IPv4"},
		{HostConfig{Name: "b", IP: "10.0.0.2", Listen: map[string]uint16{"x": 1, "y": 1}}, "share port"},
	} {
		_, err := w.AddHost(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("AddHost(%+v) = %v, want error containing %q", tc.cfg, err, tc.want)
		}
	}
	if err := w.SetLink("a", "zz", LinkConfig{}); err == nil {
		t.Error("SetLink to an unknown host accepted")
	}
	if err := w.SetLink("a", "a", LinkConfig{Loss: 1}); err == nil {
		t.Error("loss probability 1 accepted")
	}
}
