package fuzz

import (
	"strings"
	"testing"
)

// The reference server survives a small fixed budget of mutated input.
func TestWireReferenceClean(t *testing.T) {
	rep, err := Wire(Config{Seed: 5, Cases: 150})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cases != 150 && len(rep.Findings) == 0 {
		t.Fatalf("ran %d cases, want 150", rep.Cases)
	}
	for _, f := range rep.Findings {
		t.Errorf("finding against the reference: %s: %s\ninput %q", f.Kind, f.Detail, truncate(f.Input, 300))
	}
}

// Each planted wire-level bug is found and its input minimised.
func TestWireFindsMutants(t *testing.T) {
	for name, kind := range map[string]string{
		"crash-long-header": KindCrash,
		"reply-to-dash":     KindReplyToDash,
		"echo-wrong-id":     KindUnknownID,
	} {
		t.Run(name, func(t *testing.T) {
			rep, err := Wire(Config{Seed: 9, Cases: 300, Mutant: name})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != 1 {
				t.Fatalf("%s: %d findings in %d cases, want 1", name, len(rep.Findings), rep.Cases)
			}
			f := rep.Findings[0]
			t.Logf("%s: %s: %s\ninput %q", name, f.Kind, f.Summary, truncate(f.Input, 300))
			if f.Kind != kind {
				t.Errorf("kind %q, want %q (%s)", f.Kind, kind, f.Detail)
			}
			if len(f.Input) > 400 {
				t.Errorf("minimised input still %d octets", len(f.Input))
			}
			// The minimised input shows the finding again, and the reference is fine with it.
			again, err := WireInput(Config{Seed: f.Seed, Mutant: name}, f.Input)
			if err != nil || again == nil || again.Kind != kind {
				t.Errorf("replaying the minimised input: %v %+v", err, again)
			}
			if ref, _ := WireInput(Config{Seed: f.Seed}, f.Input); ref != nil && !strings.Contains(name, "crash") {
				t.Errorf("the reference shows %s on the same input: %s", ref.Kind, ref.Detail)
			}
		})
	}
}
