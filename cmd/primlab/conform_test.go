package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/primlab/primlab/reference/netrun"
	"github.com/primlab/primlab/reference/server"
	"github.com/primlab/primlab/reports"
	"github.com/primlab/primlab/suite/harness"
)

func TestConformUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--bogus"}, "bogus"},
		{"bad role", []string{"--role", "server,router"}, `"router"`},
		{"bad profile", []string{"--profile", "both"}, `"both"`},
		{"unknown case", []string{"--case", "prim/server/99/1"}, `"prim/server/99/1"`},
		{"bad account", []string{"--account", "alice"}, `"alice"`},
		{"bad target", []string{"--target", "no-port"}, `"no-port"`},
		{"external without domain", []string{"--target", "127.0.0.1:7000"}, "domain"},
		{"zero timeout", []string{"--timeout", "0s"}, "timeout"},
		{"stray argument", []string{"extra"}, `"extra"`},
		{"missing target file", []string{"--target-file", filepath.Join(t.TempDir(), "none.yaml")}, "target file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"conform"}, tc.args...), nil, &stdout, &stderr)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr does not mention %s:\n%s", tc.want, stderr.String())
			}
		})
	}
}

// TestConformListIsTheCatalogue checks that --list prints exactly fixtures/cases.yaml: the
// binary runs the cases the reviewed catalogue lists.
func TestConformListIsTheCatalogue(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"conform", "--list"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want, err := os.ReadFile("../../fixtures/cases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if stdout.String() != string(want) {
		t.Fatal("primlab conform --list differs from fixtures/cases.yaml; regenerate with go test ./suite -args -rewrite-catalogue")
	}
}

func TestConformTargetFileIsStrict(t *testing.T) {
	path := filepath.Join(t.TempDir(), "target.yaml")
	if err := os.WriteFile(path, []byte("target: 127.0.0.1:7000\ndomain: example.org\nport: 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"conform", "--target-file", path}, nil, &stdout, &stderr); code != exitUsage {
		t.Fatalf("exit %d, want %d (unknown field)", code, exitUsage)
	}
	if !strings.Contains(stderr.String(), "port") {
		t.Errorf("stderr does not name the unknown field: %s", stderr.String())
	}
}

// TestConformSimulated runs the whole suite end to end against the reference server in the
// simulator, in this process (ginkgo allows one RunSpecs per process: this is the one).
func TestConformSimulated(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"conform", "--out", out, "--seed", "3"}, nil, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s", code, stdout.String())
	}
	res, err := reports.ReadResults(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(res.Cases), len(harness.Registered()); got != want {
		t.Errorf("%d case results, want %d (every registered case)", got, want)
	}
	if res.Run.Seed != 3 || !strings.Contains(res.Run.Target, "simulator") {
		t.Errorf("run meta: seed %d target %q", res.Run.Seed, res.Run.Target)
	}
	for _, f := range []string{"junit.xml", "report.html", "summary.md"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	for _, want := range []string{"server §8.1 ", "s2s    §9.2 ", "conformant, judged on MUST; seed 3"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout.String())
		}
	}
}

// The tests below run conform in a child process (this test binary, re-executed), because
// ginkgo's RunSpecs can run only once per process.

const childEnv = "PRIMLAB_CONFORM_CHILD_ARGS"

func TestConformChild(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		t.Skip("helper: runs primlab conform in a child process for the tests below")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	os.Exit(run(args, os.Stdin, os.Stdout, os.Stderr))
}

func runChild(t *testing.T, args ...string) (int, string) {
	t.Helper()
	raw, _ := json.Marshal(append([]string{"conform"}, args...))
	cmd := exec.Command(os.Args[0], "-test.run=^TestConformChild$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String()
}

// startReference runs the reference server over real loopback TCP.
func startReference(t *testing.T, peerAddr string) (client, s2s string) {
	t.Helper()
	cfg := server.Config{
		Domain:      "example.org",
		Accounts:    map[string]string{"ann": "ann-pw", "ben": "ben-pw", "cy": "cy-pw"},
		Listeners:   map[string]string{"client": server.RoleClient, "s2s": server.RoleS2S},
		PeerSecrets: map[string]string{"peer.example": "peer-pw"},
		Peers:       map[string]string{"peer.example": peerAddr},
	}
	r, err := netrun.New(server.New(cfg, rand.New(rand.NewPCG(1, 2))), netrun.Config{
		Listeners: map[string]string{"client": "127.0.0.1:0", "s2s": "127.0.0.1:0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r.Addr("client"), r.Addr("s2s")
}

func TestConformExternalTarget(t *testing.T) {
	peerAddr := freeAddr(t)
	client, s2s := startReference(t, peerAddr)
	dir := t.TempDir()
	target := filepath.Join(dir, "target.yaml")
	tf := "target: " + client + "\ns2s_target: " + s2s + "\ndomain: example.org\naccounts:\n" +
		"  - {user: ann, password: ann-pw}\n  - {user: ben, password: ben-pw}\n  - {user: cy, password: cy-pw}\n" +
		"peer_domain: peer.example\npeer_secret: peer-pw\ns2s_listen: " + peerAddr + "\n"
	if err := os.WriteFile(target, []byte(tf), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	// Cases that wait for silence cost real time over TCP: keep to a few sections.
	code, stdout := runChild(t, "--target-file", target, "--out", out, "--timeout", "2s",
		"--label-filter", "(sec:12.1 || sec:10.1.4 || sec:9.2 || sec:10.2.1 || sec:7.1.3 || sec:7.2.1) && !slow")
	if code != exitOK {
		t.Fatalf("exit %d, want 0\n%s", code, stdout)
	}
	res, err := reports.ReadResults(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Run.Target != client {
		t.Errorf("target %q, want %q", res.Run.Target, client)
	}
	if res.Summary.Cases[reports.Pass] < 11 {
		t.Errorf("only %d cases passed:\n%s", res.Summary.Cases[reports.Pass], stdout)
	}
	// The relay cases saw the target connect back to the suite's listener.
	for _, c := range res.Cases {
		if c.ID == "prim/s2s/7.2.1/2" && (c.Verdict != reports.Pass || !strings.Contains(c.Message, "connection the target opened")) {
			t.Errorf("%s: %s %q", c.ID, c.Verdict, c.Message)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestConformSilentTarget points conform at a server that accepts connections and never
// answers: every case ends with verdict error, its transcript is kept under out/cases/<id>/,
// and the run is not conformant (exit 1), without hanging.
func TestConformSilentTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-accepted
		for _, c := range conns {
			c.Close()
		}
	})
	out := t.TempDir()
	code, stdout := runChild(t, "--target", ln.Addr().String(), "--domain", "example.org", "--account", "ann:pw",
		"--account", "ben:pw", "--out", out, "--timeout", "300ms", "--case", "prim/server/12.1/1", "--case", "prim/server/10.3.1/1")
	if code != exitFail {
		t.Fatalf("exit %d, want %d\n%s", code, exitFail, stdout)
	}
	res, err := reports.ReadResults(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cases) != 2 {
		t.Fatalf("%d cases ran, want 2", len(res.Cases))
	}
	for _, c := range res.Cases {
		if c.Verdict != reports.Error || !strings.Contains(c.Message, "no response") {
			t.Errorf("%s: verdict %s, message %q; want error for no response", c.ID, c.Verdict, c.Message)
		}
		if !strings.Contains(c.Message, "replay: primlab conform --seed 0 --case "+c.ID) {
			t.Errorf("%s: message lacks the replay hint: %q", c.ID, c.Message)
		}
		data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(c.Links.Transcript)))
		if err != nil {
			t.Fatalf("%s: transcript: %v", c.ID, err)
		}
		if !strings.Contains(string(data), "-> LOGIN PRIM-PR/1.0 ") && !strings.Contains(string(data), "-> SUBSCRIBE PRIM-PR/1.0 ") {
			t.Errorf("%s: transcript lacks the request sent:\n%s", c.ID, data)
		}
	}
}

// TestConformUnreachableTarget: nothing listens, so the run stops after a few cases that
// cannot connect, marks the rest error, and exits 3.
func TestConformUnreachableTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	out := t.TempDir()
	code, stdout := runChild(t, "--target", addr, "--domain", "example.org", "--account", "ann:pw",
		"--account", "ben:pw", "--account", "cy:pw", "--out", out, "--role", "server")
	if code != exitHarness {
		t.Fatalf("exit %d, want %d\n%s", code, exitHarness, stdout)
	}
	res, err := reports.ReadResults(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	notRun, refused := 0, 0
	for _, c := range res.Cases {
		switch {
		case c.Verdict == reports.Error && strings.HasPrefix(c.Message, "not run:"):
			notRun++
		case c.Verdict == reports.Error && strings.Contains(c.Message, "cannot connect"):
			refused++
		case c.Verdict == reports.NotApplicable: // decided before connecting
		default:
			t.Errorf("%s: verdict %s (%q), want error", c.ID, c.Verdict, c.Message)
		}
	}
	if refused != 3 || notRun == 0 {
		t.Errorf("%d cases could not connect (want 3, then the run stops), %d not run", refused, notRun)
	}
	if !strings.Contains(stdout, "stopped: the target could not be reached") {
		t.Errorf("stdout lacks the stop notice:\n%s", stdout)
	}
}

// Shards of a run are disjoint and together hold every case; report merge joins them into one
// run with every case (DESIGN.md "Beyond one machine"). A baseline written from a run lists
// exactly its failures (none for the reference).
func TestConformShardsMergeToTheWholeRun(t *testing.T) {
	dir := t.TempDir()
	var files []string
	seen := map[string]string{}
	for i := 0; i < 2; i++ {
		out := filepath.Join(dir, fmt.Sprintf("shard%d", i))
		args := []string{"--out", out, "--seed", "5", "--shard", fmt.Sprintf("%d/2", i)}
		if i == 0 {
			args = append(args, "--write-baseline", filepath.Join(dir, "baseline.yaml"))
		}
		if code, stdout := runChild(t, args...); code != exitOK {
			t.Fatalf("shard %d: exit %d\n%s", i, code, stdout)
		}
		res, err := reports.ReadResults(filepath.Join(out, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%d/2", i); res.Run.Shard != want {
			t.Errorf("shard %d: run shard %q, want %q", i, res.Run.Shard, want)
		}
		for _, c := range res.Cases {
			if prev, dup := seen[c.ID]; dup {
				t.Errorf("case %s ran in %s and in shard %d", c.ID, prev, i)
			}
			seen[c.ID] = fmt.Sprint("shard ", i)
		}
		files = append(files, filepath.Join(out, "results.json"))
	}
	if got, want := len(seen), len(harness.Registered()); got != want {
		t.Errorf("the shards ran %d cases, want all %d", got, want)
	}
	merged := filepath.Join(dir, "merged.json")
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"report", "merge", "--out", merged}, files...), nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("merge: exit %d: %s", code, stderr.String())
	}
	res, err := reports.ReadResults(merged)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cases) != len(harness.Registered()) {
		t.Errorf("merged %d cases, want %d", len(res.Cases), len(harness.Registered()))
	}
	b, err := reports.LoadBaseline(filepath.Join(dir, "baseline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.ExpectedFailures) != 0 {
		t.Errorf("baseline of a clean reference run lists %d failures", len(b.ExpectedFailures))
	}
	if code, _ := runChild(t, "--shard", "2/2"); code != exitUsage {
		t.Errorf("--shard 2/2: exit %d, want %d", code, exitUsage)
	}
}
