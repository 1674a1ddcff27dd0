package fuzz

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/primlab/primlab/scenario"
)

// The findings the fuzzers made against planted bugs are kept as regression fixtures
// (fixtures/fuzz/scenarios/<mutator>.<mode>.txt, <mutator>.wire.bin): each must pass against
// the reference and fail against its mutant, so that the bug they pin down stays visible.
func TestRegressionFixtures(t *testing.T) {
	files, err := filepath.Glob("../fixtures/fuzz/scenarios/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		mut, rest, _ := strings.Cut(name, ".")
		t.Run(name, func(t *testing.T) {
			if _, ok := Mutators[mut]; !ok {
				t.Fatalf("fixture %s names no mutator", name)
			}
			if rest == "wire.bin" {
				input, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if f, _ := WireInput(Config{Seed: 1}, input); f != nil {
					t.Errorf("reference: %s: %s", f.Kind, f.Detail)
				}
				if f, _ := WireInput(Config{Seed: 1, Mutant: mut}, input); f == nil {
					t.Errorf("mutant %s: the input no longer shows the bug", mut)
				}
				return
			}
			sc, err := scenario.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := scenario.Run(sc, scenario.Options{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if ref.Failed() {
				t.Errorf("reference differs from the fixture:\n%s", scenario.Diff(ref))
			}
			f, err := Factory(mut)
			if err != nil {
				t.Fatal(err)
			}
			bad, err := scenario.Run(sc, scenario.Options{Seed: 1, Server: f})
			if err != nil {
				t.Fatal(err)
			}
			if !bad.Failed() {
				t.Errorf("mutant %s passes the fixture: it no longer pins the bug down", mut)
			}
		})
	}
}
