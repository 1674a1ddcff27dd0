package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func topologyFixture(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "fixtures", "topologies", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// Same seed, same metrics.json, byte for byte; plots are written next to it.
func TestSimDeterministicOutput(t *testing.T) {
	top := topologyFixture(t, "two-domains.yaml")
	var outs [2][]byte
	for i := range outs {
		dir := t.TempDir()
		code, stdout, stderr := runCmd(t, "", "sim", "--topology", top, "--seed", "5", "--duration", "90s", "--out", dir)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if stdout != "" {
			t.Errorf("stdout %q with --out", stdout)
		}
		b, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = b
		for _, plot := range []string{"latency-cdf.svg", "traffic.svg"} {
			svg, err := os.ReadFile(filepath.Join(dir, plot))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(svg, []byte("<svg")) {
				t.Errorf("%s is not an SVG document", plot)
			}
		}
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatalf("metrics differ between two runs of seed 5:\n%s\n---\n%s", outs[0], outs[1])
	}
	var m struct {
		Topology  string `json:"topology"`
		Seed      uint64 `json:"seed"`
		Simulated string `json:"simulated"`
		Latency   struct {
			Count int     `json:"count"`
			P50   float64 `json:"p50"`
			P99   float64 `json:"p99"`
		} `json:"notification_latency_ms"`
	}
	if err := json.Unmarshal(outs[0], &m); err != nil {
		t.Fatal(err)
	}
	if m.Topology != "two-domains" || m.Seed != 5 || m.Simulated != "1m30s" || m.Latency.Count == 0 || m.Latency.P50 <= 0 {
		t.Errorf("metrics %+v", m)
	}
}

func TestSimJSONOnStdoutAndBench(t *testing.T) {
	code, stdout, stderr := runCmd(t, "", "sim", "--topology", topologyFixture(t, "two-domains.yaml"), "--duration", "30s", "--bench")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !json.Valid([]byte(stdout)) {
		t.Errorf("stdout is not JSON: %q", stdout)
	}
	if !strings.Contains(stderr, "x real time") || !strings.Contains(stderr, "heap in use") {
		t.Errorf("--bench printed %q", stderr)
	}
}

func TestSimTraceAndPcap(t *testing.T) {
	dir := t.TempDir()
	tr, pc := filepath.Join(dir, "run.trace"), filepath.Join(dir, "run.pcapng")
	code, _, stderr := runCmd(t, "", "sim", "--topology", topologyFixture(t, "two-domains.yaml"), "--duration", "20s", "--trace", tr, "--pcap", pc)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	trace, err := os.ReadFile(tr)
	if err != nil || !bytes.Contains(trace, []byte(`"LOGIN PRIM-PR/1.0`)) {
		t.Errorf("trace (%v) shows no LOGIN", err)
	}
	capture, err := os.ReadFile(pc)
	// pcapng files start with a Section Header Block, type 0x0A0D0D0A.
	if err != nil || len(capture) < 4 || !bytes.Equal(capture[:4], []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		t.Errorf("capture (%v) is not pcapng", err)
	}
}

func TestSimBadTopology(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("domains:\n  - name: a.example\n    users: 1\nlinks:\n  access:\n    latency: -1ms\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, "", "sim", "--topology", bad)
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stderr, "bad.yaml:6: links.access.latency: negative latency") {
		t.Errorf("stderr %q does not locate the problem", stderr)
	}
	for _, args := range [][]string{
		{"sim"},
		{"sim", "--topology", topologyFixture(t, "two-domains.yaml"), "--progress", "sometimes"},
		{"sim", "--topology", filepath.Join(dir, "missing.yaml")},
		{"sim", "--topology", topologyFixture(t, "two-domains.yaml"), "extra"},
	} {
		if code, _, stderr := runCmd(t, "", args...); code != exitUsage {
			t.Errorf("%q: exit %d (%s), want %d", args, code, stderr, exitUsage)
		}
	}
}
