package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reports"
)

// reportTestShard writes the results of one shard of a run with the given cases.
func reportTestShard(t *testing.T, dir, name, shard string, cases []reports.CaseResult) string {
	t.Helper()
	cat, err := reports.LoadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	run := reports.RunMeta{Version: "test", Target: "127.0.0.1:7070", Roles: []string{"server"}, Profile: "client",
		Seed: 1, Start: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), Duration: time.Second, Shard: shard}
	data, err := reports.MarshalResults(reports.Build(run, cases, cat, nil))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func reportTestCase(id, level string, v reports.Verdict) reports.CaseResult {
	return reports.CaseResult{CaseMeta: reports.CaseMeta{ID: id, Section: "10.3.1", Level: level, Role: "server",
		Profile: "client", Requirement: "requirement of " + id, RFC2779: []string{"5.1.12"}}, Verdict: v,
		Message: "message of " + id, Excerpt: "S> PRIM-PR/1.0 1 0 200 OK"}
}

func reportTestRun(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(append([]string{"report"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestReportMergeRenderCheck(t *testing.T) {
	dir := t.TempDir()
	a := reportTestShard(t, dir, "a.json", "1/2", []reports.CaseResult{reportTestCase("prim/server/10.3.1/1", "MUST", reports.Pass)})
	b := reportTestShard(t, dir, "b.json", "2/2", []reports.CaseResult{reportTestCase("prim/server/10.3.1/2", "SHOULD", reports.Fail)})
	merged := filepath.Join(dir, "merged.json")
	if code, _, stderr := reportTestRun("merge", "--out", merged, a, b); code != exitOK {
		t.Fatalf("merge exit %d: %s", code, stderr)
	}
	r, err := reports.ReadResults(merged)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Cases) != 2 || r.Run.Shard != "" {
		t.Fatalf("merged %d cases, shard %q", len(r.Cases), r.Run.Shard)
	}
	for _, q := range r.Requirements {
		if q.ID == "5.1.12" && q.Verdict != reports.Partial {
			t.Errorf("5.1.12 re-derived as %q, want partial", q.Verdict)
		}
	}

	// Only a failing SHOULD case: conformant unless strict.
	if code, out, _ := reportTestRun("check", "--in", merged); code != exitOK || !strings.Contains(out, "conformant") {
		t.Errorf("check: exit %d, %q", code, out)
	}
	if code, out, _ := reportTestRun("check", "--in", merged, "--strict"); code != exitFail || !strings.Contains(out, "not conformant") {
		t.Errorf("check --strict: exit %d, %q", code, out)
	}

	for _, tc := range []struct{ format, want string }{
		{"html", "<table id=\"matrix\""},
		{"junit", "<testsuites"},
		{"md", "## primlab conformance"},
		{"json", "\"schema\": \"primlab/results/v1\""},
	} {
		code, out, stderr := reportTestRun("render", "--in", merged, "--format", tc.format)
		if code != exitOK || !strings.Contains(out, tc.want) {
			t.Errorf("render %s: exit %d, stderr %q, output lacks %q", tc.format, code, stderr, tc.want)
		}
	}
	html := filepath.Join(dir, "report.html")
	if code, _, stderr := reportTestRun("render", "--in", merged, "--format", "html", "--out", html); code != exitOK {
		t.Fatalf("render --out: exit %d: %s", code, stderr)
	}
	if data, err := os.ReadFile(html); err != nil || !bytes.Contains(data, []byte("message of prim/server/10.3.1/2")) {
		t.Errorf("report.html lacks the failing case: %v", err)
	}

	base := filepath.Join(dir, "baseline.yaml")
	if code, _, stderr := reportTestRun("baseline", "--in", merged, "--out", base); code != exitOK {
		t.Fatalf("baseline: exit %d: %s", code, stderr)
	}
	bl, err := reports.LoadBaseline(base)
	if err != nil || len(bl.ExpectedFailures) != 1 || bl.ExpectedFailures[0].ID != "prim/server/10.3.1/2" {
		t.Errorf("baseline = %+v, %v", bl, err)
	}
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	a := reportTestShard(t, dir, "a.json", "1/2", []reports.CaseResult{reportTestCase("prim/server/10.3.1/1", "MUST", reports.Pass)})
	b := reportTestShard(t, dir, "b.json", "2/2", []reports.CaseResult{reportTestCase("prim/server/10.3.1/1", "MUST", reports.Fail)})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", nil, "usage:"},
		{"unknown subcommand", []string{"frobnicate"}, `unknown report subcommand "frobnicate"`},
		{"merge without out", []string{"merge", a}, "--out is required"},
		{"merge without inputs", []string{"merge", "--out", filepath.Join(dir, "m.json")}, "no input files"},
		{"merge conflict", []string{"merge", "--out", filepath.Join(dir, "m.json"), a, b}, `case "prim/server/10.3.1/1" appears in two inputs`},
		{"merge missing file", []string{"merge", "--out", filepath.Join(dir, "m.json"), filepath.Join(dir, "nope.json")}, "nope.json"},
		{"render bad format", []string{"render", "--in", a, "--format", "pdf"}, `unknown format "pdf"`},
		{"render missing in", []string{"render", "--format", "md"}, "--in and --format are required"},
		{"bad flag", []string{"render", "--colour"}, "flag provided but not defined"},
	}
	for _, tc := range tests {
		code, _, stderr := reportTestRun(tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 mentioning %q", tc.name, code, stderr, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "m.json")); err == nil {
		t.Error("a failed merge wrote its output")
	}
}
