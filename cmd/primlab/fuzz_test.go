package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each mode runs clean against the reference for a small fixed budget.
func TestFuzzModesClean(t *testing.T) {
	for mode, budget := range map[string]string{"model": "20", "wire": "30", "sim": "2"} {
		dir := t.TempDir()
		code, out, errs := runPrimlab(t, "fuzz", "--mode", mode, "--budget", budget, "--seed", "5", "--out", dir)
		if code != exitOK {
			t.Errorf("%s: exit %d\n%s%s", mode, code, out, errs)
		}
		if !strings.Contains(out, "0 findings") {
			t.Errorf("%s: %s", mode, out)
		}
	}
}

// A planted bug is a finding: exit 1, findings JSON, the minimal scenario and its replay command.
func TestFuzzFindingWritten(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runPrimlab(t, "fuzz", "--mode", "model", "--budget", "300", "--seed", "3", "--mutant", "wrong-send-code", "--out", dir)
	if code != exitFail {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errs)
	}
	data, err := os.ReadFile(filepath.Join(dir, "findings-model-3-shard0.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Findings []struct{ Script, Replay string }
	}
	if err := json.Unmarshal(data, &rep); err != nil || len(rep.Findings) != 1 {
		t.Fatalf("findings JSON: %v %s", err, data)
	}
	f := rep.Findings[0]
	if !strings.Contains(out, "replay: "+f.Replay) || !strings.HasPrefix(f.Replay, "primlab replay --mutant wrong-send-code ") {
		t.Errorf("replay command %q not printed:\n%s", f.Replay, out)
	}
	// The scenario passes against the reference and fails against the mutant.
	if code, out, _ := runPrimlab(t, "replay", f.Script); code != exitOK {
		t.Errorf("reference: exit %d\n%s", code, out)
	}
	if code, _, _ := runPrimlab(t, "replay", "--mutant", "wrong-send-code", f.Script); code != exitFail {
		t.Errorf("mutant: exit %d, want 1", code)
	}
}

// Wire mode reaches an external server through the simulator's bridge and probes it.
func TestFuzzWireAgainstTarget(t *testing.T) {
	addr, _ := startTarget(t)
	code, out, errs := runPrimlab(t, "fuzz", "--mode", "wire", "--budget", "3", "--seed", "2", "--out", t.TempDir(),
		"--target", addr, "--domain", "lab.test", "--account", "alice:secret-a", "--account", "bob:secret-b")
	if code != exitOK || !strings.Contains(out, "3 cases") {
		t.Errorf("exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runPrimlab(t, "fuzz", "--mode", "wire", "--budget", "1", "--target", addr, "--domain", "lab.test"); code != exitUsage || !strings.Contains(errs, "--account alice") {
		t.Errorf("without accounts: exit %d %s", code, errs)
	}
}

func TestFuzzUsage(t *testing.T) {
	for _, args := range [][]string{
		{"fuzz"},
		{"fuzz", "--mode", "chaos"},
		{"fuzz", "--mode", "model", "--shard", "2/2"},
		{"fuzz", "--mode", "model", "--budget", "-3"},
		{"fuzz", "--mode", "sim", "--target", "127.0.0.1:1"},
		{"fuzz", "--mode", "model", "--mutant", "nope"},
	} {
		if code, _, _ := runPrimlab(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}
