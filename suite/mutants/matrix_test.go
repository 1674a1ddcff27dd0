package mutants

import (
	"os"
	"strings"
	"testing"

	"github.com/primlab/primlab/reports"
)

// TestMutantChild is the child side of TestKillMatrix: it runs only when the parent sets
// PRIMLAB_MUTANT, and then runs the whole server and s2s suites against that mutant.
func TestMutantChild(t *testing.T) {
	if os.Getenv(EnvMutant) == "" {
		t.Skip("child of TestKillMatrix only")
	}
	if _, err := RunChild(t, ""); err != nil {
		t.Fatal(err)
	}
}

// TestKillMatrix is the self-test the issue asks for: the clean reference passes every case,
// every defect mutant is killed by at least one case and by every case intended for it, and
// no equivalent control is killed. It runs each mutant in its own process, two at a time.
func TestKillMatrix(t *testing.T) {
	if os.Getenv(EnvMutant) != "" {
		t.Skip("parent only")
	}
	mx, err := Run(All(), ExecRunner(os.Args[0], "-test.run=^TestMutantChild$"), 2)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	mx.Print(&b)
	if testing.Verbose() {
		mx.PrintKillers(&b)
	}
	t.Log("kill matrix:\n" + b.String())

	if bad := mx.CleanNotPassing(); len(bad) > 0 {
		for _, v := range bad {
			t.Errorf("clean reference: %s is %s: %s", v.ID, v.Verdict, v.Message)
		}
	}
	passed := 0
	for _, v := range mx.Clean {
		if v.Verdict == reports.Pass {
			passed++
		}
	}
	if passed < 100 {
		t.Errorf("only %d cases passed against the clean reference; the suite did not run", passed)
	}
	for _, r := range mx.Rows {
		switch {
		case r.Err != nil:
			t.Errorf("%s: %v", r.Mutant.Name, r.Err)
		case r.Mutant.Equivalent && r.Killed():
			t.Errorf("equivalent control %s (%s) was killed by %v: those cases judge something PRIM leaves free",
				r.Mutant.Name, r.Mutant.Breaks, r.Killers)
		case !r.Mutant.Equivalent && !r.Killed():
			t.Errorf("mutant %s survived: no case notices that it %s", r.Mutant.Name, r.Mutant.Breaks)
		case len(r.Missed) > 0:
			t.Errorf("mutant %s was not killed by its intended cases %v (killers: %v)", r.Mutant.Name, r.Missed, r.Killers)
		}
	}
}
