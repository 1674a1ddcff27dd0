package mutants

import (
	"os"
	"strings"
	"testing"

	"github.com/primlab/primlab/reports"
	"github.com/primlab/primlab/suite/harness"
)

// TestMutantChild is the child side of TestKillMatrix: it runs only when the parent sets
// PRIMLAB_MUTANT, and then runs the suites that judge that mutant (server and s2s for a
// mutant of the reference server, client for one of the reference user agent; all three for
// the clean reference).
func TestMutantChild(t *testing.T) {
	if os.Getenv(EnvMutant) == "" {
		t.Skip("child of TestKillMatrix only")
	}
	if _, err := RunChild(t, ""); err != nil {
		t.Fatal(err)
	}
}

// TestKillMatrix is the self-test the issue asks for: the clean reference passes every case,
// every case kills at least one mutant, every defect mutant (of the reference server and of the reference user agent) is killed by
// at least one case and by every case intended for it, and no equivalent control is killed.
// It runs each mutant in its own process, two at a time.
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
	passed := map[string]int{}
	for _, v := range mx.Clean {
		if v.Verdict == reports.Pass {
			passed[strings.Split(v.ID, "/")[1]]++
		}
	}
	// Every role's suite ran against the clean reference (the client role has over 100 cases).
	for _, role := range []string{harness.RoleServer, harness.RoleS2S, harness.RoleClient} {
		if passed[role] < 100 {
			t.Errorf("only %d %s-role cases passed against the clean reference; the suite did not run", passed[role], role)
		}
	}
	// The user agent's mutants are judged by the client-role cases alone, and there are
	// enough of them to show those cases can fail.
	if c := mx.Counts(harness.RoleClient); c.Defects < 12 || c.Controls < 2 {
		t.Errorf("%d client-role defect mutants and %d controls ran; want at least 12 and 2", c.Defects, c.Controls)
	}
	for _, r := range mx.Rows {
		for _, id := range r.Killers {
			if want := "prim/" + r.Mutant.Target() + "/"; r.Mutant.Target() == harness.RoleClient && !strings.HasPrefix(id, want) {
				t.Errorf("%s, a mutant of the user agent, was judged by %s", r.Mutant.Name, id)
			}
		}
	}
	// Every case can fail: each one kills at least one mutant (a case not applicable to the
	// reference kills one that adds the optional behaviour wrongly; see kills).
	killer := map[string]bool{}
	for _, id := range mx.DistinctKillersOf("") {
		killer[id] = true
	}
	for _, v := range mx.Clean {
		if !killer[v.ID] {
			t.Errorf("%s (%s against the clean reference) kills no mutant: nothing shows it can fail", v.ID, v.Verdict)
		}
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
