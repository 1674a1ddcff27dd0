package scenario

import (
	"flag"
	"path/filepath"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expectations of fixtures/scenarios from what the reference observes")

// TestFixtures runs every scenario of fixtures/scenarios against the reference servers in the
// simulator and compares what each user observed with the script.
func TestFixtures(t *testing.T) {
	files, err := filepath.Glob("../fixtures/scenarios/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(sc, Options{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if *rewrite {
				if err := WriteFile(f, res.Observed()); err != nil {
					t.Fatal(err)
				}
				return
			}
			if res.Failed() {
				t.Errorf("observed differs from the script:\n%s", Diff(res))
			}
		})
	}
}
