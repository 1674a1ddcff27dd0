package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/primlab/primlab/suite/mutants"
)

// TestSelftestChild is the child of TestSelftestMatrix: it runs the suite against the mutant
// named in the environment.
func TestSelftestChild(t *testing.T) {
	if os.Getenv(mutants.EnvMutant) == "" {
		t.Skip("helper: a mutant's run for TestSelftestMatrix")
	}
	if _, err := mutants.RunChild(t, ""); err != nil {
		t.Fatal(err)
	}
}

func TestSelftestMatrix(t *testing.T) {
	if os.Getenv(mutants.EnvMutant) != "" {
		t.Skip("parent only")
	}
	defer func(f func() ([]string, error)) { selftestChild = f }(selftestChild)
	selftestChild = func() ([]string, error) { return []string{os.Args[0], "-test.run=^TestSelftestChild$"}, nil }
	var stdout, stderr bytes.Buffer
	code := runSelftest([]string{"--mutant", "drop-notify", "--mutant", "identity",
		"--mutant", "ua-drop-notify-response", "--mutant", "ua-identity"}, nil, &stdout, &stderr)
	out := stdout.String()
	// Exit 0, or 1 if a case another engineer is writing fails against the clean reference.
	if code != exitOK && !(code == exitFail && strings.Contains(out, "  clean fail: ")) {
		t.Fatalf("exit %d\n%s%s", code, out, stderr.String())
	}
	for _, want := range []string{"drop-notify ", "identity ", "ua-drop-notify-response ", "ua-identity ",
		"2 of 2 defect mutants killed; 2 of 2 equivalent controls kill nothing",
		"server mutants (role:server || role:s2s cases): 1 of 1 defects killed; 1 of 1 controls kill nothing",
		"client mutants (role:client cases): 1 of 1 defects killed; 1 of 1 controls kill nothing"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestSelftestListAndUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := runSelftest([]string{"--list"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("--list: exit %d: %s", code, stderr.String())
	}
	if n := strings.Count(stdout.String(), "\n"); n != len(mutants.All()) {
		t.Errorf("--list printed %d lines for %d mutants", n, len(mutants.All()))
	}
	if !strings.Contains(stdout.String(), "leak-notify-past-acl") || !strings.Contains(stdout.String(), "control") {
		t.Errorf("--list output:\n%s", stdout.String())
	}
	stdout.Reset()
	if code := runSelftest([]string{"--mutant", "no-such"}, nil, &stdout, &stderr); code != exitUsage {
		t.Errorf("unknown mutant: exit %d, want %d", code, exitUsage)
	}
	// --role client lists the user agent's mutants only (and there are enough of them).
	stdout.Reset()
	if code := runSelftest([]string{"--role", "client", "--list"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("--role client --list: exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) < 15 {
		t.Errorf("--role client listed %d mutants, want at least 15", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "ua-") || !strings.Contains(l, " client ") {
			t.Errorf("--role client listed %q", l)
		}
	}
	if code := runSelftest([]string{"--role", "peer"}, nil, &stdout, &stderr); code != exitUsage {
		t.Errorf("--role peer: exit %d, want %d", code, exitUsage)
	}
}
