package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// The conformance suite against real processes: `primlab conform` (server and s2s roles)
// against a separate `primlab serve`, and (client role) against `primlab client --driver`
// started by the suite. Slow cases (leases and relays that must time out in real time) are
// left out with --label-filter '!slow'. Every case that runs must pass: the reference
// implementation is conformant, so a failure here is a bug in a case, the harness or the
// reference, and the case's transcript is printed.

// quiet is the silence a negative check waits for: the targets are local processes on
// loopback, so a quarter of the 1 s default for real targets is ample and keeps the run short.
const quiet = "250ms"

// conformRun is the outcome of one `primlab conform` process.
type conformRun struct {
	code    int
	wall    time.Duration
	results string // results.json
	stdout  string
	stderr  string
}

func runConform(t *testing.T, out string, args ...string) conformRun {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"conform", "--out", out}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Start()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Minute): // only stops a hung run; nothing is timed
		cmd.Process.Kill()
		<-done
		t.Fatalf("primlab conform %v did not finish; stderr:\n%s", args, stderr.String())
	}
	r := conformRun{wall: time.Since(start), results: filepath.Join(out, "results.json"),
		stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// caseOutcome is the part of results.json the test reads.
type caseOutcome struct {
	ID      string `json:"id"`
	Verdict string `json:"verdict"`
	Slow    bool   `json:"slow"`
	Message string `json:"message"`
	Excerpt string `json:"excerpt"`
	// Duration is the case's wall time.
	Duration time.Duration `json:"duration_ns"`
}

func readOutcomes(t *testing.T, path string) []caseOutcome {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Cases []caseOutcome `json:"cases"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rep.Cases
}

// checkConform fails the test for every case that neither passed nor was not applicable,
// and for a run that did not exit 0; it returns the verdict counts.
func checkConform(t *testing.T, r conformRun, role string) map[string]int {
	t.Helper()
	cases := readOutcomes(t, r.results)
	counts := map[string]int{}
	for _, c := range cases {
		counts[c.Verdict]++
		if c.Slow {
			t.Errorf("%s: slow case ran despite --label-filter '!slow'", c.ID)
		}
		if c.Verdict != "pass" && c.Verdict != "not-applicable" {
			t.Errorf("%s: %s: %s\n%s", c.ID, c.Verdict, c.Message, tail(c.Excerpt, 3000))
		}
	}
	if len(cases) == 0 {
		t.Errorf("%s: no case ran", role)
	}
	if r.code != 0 {
		t.Errorf("primlab conform (%s) exited %d; stdout:\n%s\nstderr:\n%s", role, r.code, r.stdout, tail(r.stderr, 4000))
	}
	t.Logf("%s: %d cases in %v: %v", role, len(cases), r.wall.Round(time.Millisecond), counts)
	// Where the time goes: the slowest cases (real-time waits such as quiet periods).
	sort.Slice(cases, func(i, j int) bool { return cases[i].Duration > cases[j].Duration })
	var sum time.Duration
	for _, c := range cases {
		sum += c.Duration
	}
	for _, c := range cases[:min(8, len(cases))] {
		t.Logf("  %v %s", c.Duration.Round(time.Millisecond), c.ID)
	}
	t.Logf("  sum of case times %v", sum.Round(time.Millisecond))
	return counts
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// TestConformServerAndS2S runs the server and s2s roles against `primlab serve`: the suite
// plays user agents on its client listener, a remote domain on its server-server listener,
// and the remote domain's server on --s2s-listen, to which serve routes remote.example.
func TestConformServerAndS2S(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the conformance suite against real processes")
	}
	suiteListen, serveS2S := freePort(t), freePort(t)
	const secret = "remote-shared-secret"
	s := startServe(t, "--domain", "example.com", "--listen", "127.0.0.1:0", "--s2s-listen", serveS2S,
		"--account", "alice:alice-secret", "--account", "bob:bob-secret", "--account", "carol:carol-secret",
		"--peer", "remote.example="+suiteListen, "--peer-secret", "remote.example="+secret, "--seed", "1")
	r := runConform(t, t.TempDir(), "--role", "server,s2s", "--target", s.client, "--s2s-target", serveS2S,
		"--s2s-listen", suiteListen, "--domain", "example.com",
		"--account", "alice:alice-secret", "--account", "bob:bob-secret", "--account", "carol:carol-secret",
		"--peer-domain", "remote.example", "--peer-secret", secret, "--label-filter", "!slow", "--quiet", quiet)
	counts := checkConform(t, r, "server,s2s")
	if counts["pass"] < 300 {
		t.Errorf("only %d cases passed; expected the bulk of the server and s2s suites to run", counts["pass"])
	}
}

// TestConformClient runs the client role against `primlab client --driver`, which the
// suite starts once per case with {addr} replaced by the home listener it opened.
func TestConformClient(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the conformance suite against real processes")
	}
	execCmd := strings.Join([]string{shellQuote(binary), "client", "--driver", "--server", "{addr}"}, " ")
	r := runConform(t, t.TempDir(), "--role", "client", "--exec", execCmd, "--label-filter", "!slow", "--quiet", quiet)
	counts := checkConform(t, r, "client")
	if counts["pass"] < 50 {
		t.Errorf("only %d cases passed; expected the bulk of the client suite to run", counts["pass"])
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
