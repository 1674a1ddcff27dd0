package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/primlab/primlab/reference/netrun"
	"github.com/primlab/primlab/reference/server"
)

func runPrimlab(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// Every scenario fixture matches what the reference servers do in the simulator.
func TestReplayFixtures(t *testing.T) {
	files, _ := filepath.Glob("../../fixtures/scenarios/*.txt")
	if len(files) < 6 {
		t.Fatalf("want at least 6 scenarios, have %d", len(files))
	}
	code, out, errs := runPrimlab(t, append([]string{"replay"}, files...)...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if n := strings.Count(out, "ok   "); n != len(files) {
		t.Errorf("%d ok lines for %d files:\n%s", n, len(files), out)
	}
}

const smallScenario = `Two users; a SEND nobody listens to gets 408 (§5.2).

users alice@example.com bob@example.com
----

login alice@example.com
----
alice@example.com: login 200

send alice@example.com bob@example.com body=hi
----
alice@example.com: send 408
`

// A step that observes something else prints a diff and exits 1; a bad script exits 2.
func TestReplayDiffAndUsage(t *testing.T) {
	dir := t.TempDir()
	wrong := filepath.Join(dir, "wrong.txt")
	os.WriteFile(wrong, []byte(strings.Replace(smallScenario, "send 408", "send 200", 1)), 0o644)
	code, out, _ := runPrimlab(t, "replay", wrong)
	if code != exitFail || !strings.Contains(out, "  - alice@example.com: send 200") || !strings.Contains(out, "  + alice@example.com: send 408") {
		t.Errorf("exit %d, want 1 with a diff:\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("prose\n\nusers alice@example.com\n----\n\nfly alice@example.com\n----\n"), 0o644)
	if code, _, errs := runPrimlab(t, "replay", bad); code != exitUsage || !strings.Contains(errs, `unknown command "fly"`) {
		t.Errorf("bad script: exit %d, %s", code, errs)
	}
	if code, _, _ := runPrimlab(t, "replay"); code != exitUsage {
		t.Errorf("no file: exit %d, want 2", code)
	}
	if code, _, _ := runPrimlab(t, "replay", "--record", "x", wrong); code != exitUsage {
		t.Errorf("--record without --target: exit %d, want 2", code)
	}
}

// startTarget runs the reference server for lab.test (alice, bob, carol) on loopback with
// netrun, as an external target; cancel stops it.
func startTarget(t *testing.T) (string, func()) {
	t.Helper()
	cfg := server.Config{Domain: "lab.test", Accounts: map[string]string{"alice": "secret-a", "bob": "secret-b", "carol": "secret-c"},
		Listeners: map[string]string{"client": server.RoleClient}}
	r, err := netrun.New(server.New(cfg, rand.New(rand.NewPCG(1, 2))), netrun.Config{Listeners: map[string]string{"client": "127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return r.Addr("client"), stop
}

// Against a real server (the reference, over loopback TCP with netrun) the users reach the
// target through the simulator's bridge; the recording replays the same run without it.
func TestReplayAgainstTargetAndRecording(t *testing.T) {
	addr, cancel := startTarget(t)

	dir := t.TempDir()
	script := filepath.Join(dir, "small.txt")
	os.WriteFile(script, []byte(smallScenario), 0o644)
	rec := filepath.Join(dir, "run.rec")
	code, out, errs := runPrimlab(t, "replay", script, "--target", addr, "--domain", "lab.test",
		"--account", "alice:secret-a", "--account", "bob:secret-b", "--record", rec)
	if code != exitOK {
		t.Fatalf("against the target: exit %d\n%s%s", code, out, errs)
	}
	cancel()
	code, out, errs = runPrimlab(t, "replay", script, "--recording", rec, "--domain", "lab.test",
		"--account", "alice:secret-a", "--account", "bob:secret-b")
	if code != exitOK {
		t.Fatalf("replaying the recording: exit %d\n%s%s", code, out, errs)
	}
}
