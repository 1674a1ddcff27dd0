package fuzz

import (
	"testing"
)

// The reference servers keep every invariant through a small fixed budget of random faults.
func TestSimReferenceClean(t *testing.T) {
	rep, err := Sim(Config{Seed: 2, Cases: 6})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		t.Errorf("finding against the reference: %s", f.Summary)
	}
}

// A SEND answered 200 without delivery and presence leaking past an ACL are both caught.
func TestSimFindsMutants(t *testing.T) {
	for _, name := range []string{"wrong-send-code", "leak-acl"} {
		t.Run(name, func(t *testing.T) {
			rep, err := Sim(Config{Seed: 4, Cases: 10, Mutant: name})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != 1 {
				t.Fatalf("%s: %d findings in %d cases, want 1", name, len(rep.Findings), rep.Cases)
			}
			f := rep.Findings[0]
			t.Logf("%s: %s (%d steps)", name, f.Summary, len(f.Script.Steps))
			if n := len(f.Script.Steps); n > 8 {
				t.Errorf("shrunk scenario has %d steps, want at most 8", n)
			}
		})
	}
}
