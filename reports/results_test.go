package reports

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestJoinVerdict(t *testing.T) {
	tests := []struct {
		name        string
		n           CaseCounts
		cases       int
		testability string
		want        Verdict
	}{
		{"no case", CaseCounts{}, 0, "Y", Untested},
		{"inspection only, no case", CaseCounts{}, 0, "N", Inspection},
		{"inspection wins over cases", CaseCounts{Pass: 2}, 2, "N", Inspection},
		{"all pass", CaseCounts{Pass: 3}, 3, "Y", Pass},
		{"all pass, n/a ignored", CaseCounts{Pass: 1, NotApplicable: 2}, 3, "Y", Pass},
		{"all pass but partly testable", CaseCounts{Pass: 3}, 3, "P", Partial},
		{"mixed", CaseCounts{Pass: 1, Fail: 1}, 2, "Y", Partial},
		{"pass and error", CaseCounts{Pass: 1, Error: 1}, 2, "Y", Partial},
		{"all fail", CaseCounts{Fail: 2}, 2, "Y", Fail},
		{"error only", CaseCounts{Error: 1, NotApplicable: 1}, 2, "Y", Fail},
		{"all not applicable", CaseCounts{NotApplicable: 2}, 2, "Y", NotApplicable},
	}
	for _, tc := range tests {
		if got := joinVerdict(tc.n, tc.cases, tc.testability); got != tc.want {
			t.Errorf("%s: joinVerdict(%+v, %d, %q) = %q, want %q", tc.name, tc.n, tc.cases, tc.testability, got, tc.want)
		}
	}
}

func caseByID(t *testing.T, r *Results, id string) CaseResult {
	t.Helper()
	for _, c := range r.Cases {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("case %q not in results", id)
	return CaseResult{}
}

func TestBuildAppliesBaseline(t *testing.T) {
	r := sampleResults(t)
	tests := []struct {
		id               string
		verdict, outcome Verdict
	}{
		{"prim/server/10.1.1/2", ExpectedFail, Fail},   // listed and still failing
		{"prim/client/10.1.5/1", UnexpectedPass, Pass}, // listed but now passing
		{"prim/server/10.3.1/10", Fail, Fail},          // not listed
		{"prim/server/10.2.1/1", Error, Error},
		{"prim/server/4.3/1", NotApplicable, NotApplicable},
	}
	for _, tc := range tests {
		c := caseByID(t, r, tc.id)
		if c.Verdict != tc.verdict || c.Outcome != tc.outcome {
			t.Errorf("%s: verdict %q outcome %q, want %q %q", tc.id, c.Verdict, c.Outcome, tc.verdict, tc.outcome)
		}
	}
	if got := r.Baseline.Unmatched; !slices.Equal(got, []string{"prim/server/99/1"}) {
		t.Errorf("unmatched baseline entries = %q", got)
	}
	want := map[Verdict]int{Pass: 3, Fail: 2, Error: 1, NotApplicable: 1, ExpectedFail: 1, UnexpectedPass: 1}
	if !reflect.DeepEqual(r.Summary.Cases, want) {
		t.Errorf("case counts = %v, want %v", r.Summary.Cases, want)
	}
}

func TestBuildSortsCases(t *testing.T) {
	r := sampleResults(t)
	var ids []string
	for _, c := range r.Cases {
		ids = append(ids, c.ID)
	}
	want := []string{"prim/client/10.1.5/1", "prim/client/10.3.1/1", "prim/server/4.3/1", "prim/server/9.2.1/1",
		"prim/server/10.1.1/1", "prim/server/10.1.1/2", "prim/server/10.2.1/1", "prim/server/10.3.1/2", "prim/server/10.3.1/10"}
	if !slices.Equal(ids, want) {
		t.Errorf("case order = %q\nwant %q", ids, want)
	}
	if got := caseByID(t, r, "prim/server/10.1.1/1").Statements; !slices.Equal(got, []string{"PRIM-A10.1.1-1", "PRIM-A10.1.1-2"}) {
		t.Errorf("statements not sorted: %q", got)
	}
	if !slices.Equal(r.Run.Roles, []string{"client", "server"}) {
		t.Errorf("roles = %q", r.Run.Roles)
	}
}

func TestBuildJoins(t *testing.T) {
	r := sampleResults(t)
	req := map[string]RequirementResult{}
	for _, q := range r.Requirements {
		req[q.ID] = q
	}
	if len(r.Requirements) != 93 || len(r.Statements) != 373 {
		t.Fatalf("joins list %d requirements and %d statements; every catalogue entry must be listed", len(r.Requirements), len(r.Statements))
	}
	tests := []struct {
		id    string
		want  Verdict
		cases []string
	}{
		// 5.1.12: two passes (server and client) and one failure.
		{"5.1.12", Partial, []string{"prim/client/10.3.1/1", "prim/server/10.3.1/2", "prim/server/10.3.1/10"}},
		{"5.1.5", Fail, []string{"prim/server/10.1.1/2"}}, // expected failure is still a failure
		{"5.1.9", Pass, []string{"prim/client/10.1.5/1"}}, // unexpected pass is still a pass
		{"3.2.2", Pass, []string{"prim/server/10.1.1/1"}},
		{"5.4.1", Fail, []string{"prim/server/10.2.1/1"}}, // error counts as not passed
		{"2.2.1", Untested, []string{}},
		{"4.1.7", Inspection, []string{}},
	}
	for _, tc := range tests {
		q := req[tc.id]
		if q.Verdict != tc.want || !slices.Equal(q.Cases, tc.cases) {
			t.Errorf("%s: verdict %q cases %q, want %q %q", tc.id, q.Verdict, q.Cases, tc.want, tc.cases)
		}
	}
	st := map[string]StatementResult{}
	for _, s := range r.Statements {
		st[s.ID] = s
	}
	if s := st["PRIM-A10.1.1-2"]; s.Verdict != Partial || s.Counts != (CaseCounts{Pass: 1, Fail: 1}) {
		t.Errorf("PRIM-A10.1.1-2 = %q %+v, want partial with 1 pass 1 fail", s.Verdict, s.Counts)
	}
	if s := st["PRIM-A4.3-1"]; s.Verdict != NotApplicable {
		t.Errorf("PRIM-A4.3-1 = %q, want not-applicable", s.Verdict)
	}
	if s := st["PRIM-S9.2-2"]; s.Verdict != Untested {
		t.Errorf("PRIM-S9.2-2 = %q, want untested", s.Verdict)
	}
	total := 0
	for _, n := range r.Summary.Requirements {
		total += n
	}
	if total != 93 {
		t.Errorf("requirement summary adds up to %d, want 93", total)
	}
}

func TestConformance(t *testing.T) {
	must := func(id string, level string, v Verdict) CaseResult {
		return CaseResult{CaseMeta: CaseMeta{ID: id, Level: level, Role: "server", Section: "1"}, Verdict: v}
	}
	cat := mustCatalogue(t)
	tests := []struct {
		name           string
		cases          []CaseResult
		baseline       []string
		normal, strict bool
	}{
		{"all pass", []CaseResult{must("prim/server/1/1", LevelMust, Pass)}, nil, true, true},
		{"MUST fails", []CaseResult{must("prim/server/1/1", LevelMust, Fail)}, nil, false, false},
		{"MUST errors", []CaseResult{must("prim/server/1/1", LevelMust, Error)}, nil, false, false},
		{"SHOULD fails: only strict cares", []CaseResult{must("prim/server/1/1", LevelShould, Fail), must("prim/server/1/2", LevelMust, Pass)}, nil, true, false},
		{"MAY fails: never counts", []CaseResult{must("prim/server/1/1", LevelMay, Fail), must("prim/server/1/2", LevelMust, Pass)}, nil, true, true},
		{"not applicable beside a pass", []CaseResult{must("prim/server/1/1", LevelMust, NotApplicable), must("prim/server/1/2", LevelMust, Pass)}, nil, true, true},
		{"expected failure", []CaseResult{must("prim/server/1/1", LevelMust, Fail), must("prim/server/1/2", LevelMust, Pass)}, []string{"prim/server/1/1"}, true, true},
		{"expected error", []CaseResult{must("prim/server/1/1", LevelMust, Error), must("prim/server/1/2", LevelMust, Pass)}, []string{"prim/server/1/1"}, true, true},
		{"unexpected pass", []CaseResult{must("prim/server/1/1", LevelMay, Pass)}, []string{"prim/server/1/1"}, false, false},
		{"nothing ran", nil, nil, false, false},
		{"only not applicable", []CaseResult{must("prim/server/1/1", LevelMust, NotApplicable)}, nil, false, false},
		{"unknown level judged as MUST", []CaseResult{must("prim/server/1/1", "MUSTISH", Fail)}, nil, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b *Baseline
			if tc.baseline != nil {
				b = &Baseline{Schema: BaselineSchema}
				for _, id := range tc.baseline {
					b.ExpectedFailures = append(b.ExpectedFailures, BaselineEntry{ID: id})
				}
			}
			r := Build(RunMeta{}, tc.cases, cat, b)
			if got := r.Conformant(false); got != tc.normal {
				t.Errorf("Conformant(false) = %v, want %v", got, tc.normal)
			}
			if got := r.Conformant(true); got != tc.strict {
				t.Errorf("Conformant(true) = %v, want %v", got, tc.strict)
			}
			wantCode := 1
			if tc.strict {
				wantCode = 0
			}
			if got := r.ExitCode(true); got != wantCode {
				t.Errorf("ExitCode(true) = %d, want %d", got, wantCode)
			}
			if r.Summary.Conformant != tc.normal {
				t.Errorf("Summary.Conformant (run not strict) = %v, want %v", r.Summary.Conformant, tc.normal)
			}
		})
	}
}

func TestSampleBlocking(t *testing.T) {
	r := sampleResults(t)
	want := []string{"prim/client/10.1.5/1", "prim/server/10.2.1/1", "prim/server/10.3.1/10"}
	if !slices.Equal(r.Summary.Blocking, want) {
		t.Errorf("blocking = %q, want %q", r.Summary.Blocking, want)
	}
	run := sampleRun()
	run.Strict = true
	strict := Build(run, sampleCases(), mustCatalogue(t), sampleBaseline())
	if !slices.Contains(strict.Summary.Blocking, "prim/server/9.2.1/1") {
		t.Errorf("strict run does not block on the failing SHOULD case: %q", strict.Summary.Blocking)
	}
}

func TestBuildWarnings(t *testing.T) {
	cases := []CaseResult{
		{CaseMeta: CaseMeta{ID: "prim/server/1/1", Level: LevelMust, RFC2779: []string{"9.9.9"}, Statements: []string{"PRIM-A99-1"}}, Verdict: Pass},
		{CaseMeta: CaseMeta{ID: "prim/server/1/1", Level: LevelMust}, Verdict: Fail},
		{CaseMeta: CaseMeta{ID: "prim/server/1/2", Level: LevelMust}, Verdict: "maybe"},
		{CaseMeta: CaseMeta{Level: LevelMust}, Verdict: Pass},
	}
	r := Build(RunMeta{}, cases, mustCatalogue(t), nil)
	joined := strings.Join(r.Warnings, "\n")
	for _, want := range []string{`unknown RFC 2779 requirement "9.9.9"`, `unknown PRIM statement "PRIM-A99-1"`,
		`duplicate case "prim/server/1/1"`, `unknown verdict "maybe"`, "without id"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q lack %q", r.Warnings, want)
		}
	}
	if len(r.Cases) != 2 {
		t.Fatalf("cases = %d, want 2", len(r.Cases))
	}
	if c := caseByID(t, r, "prim/server/1/2"); c.Verdict != Error {
		t.Errorf("unknown verdict judged %q, want error (nothing that did not pass reads as passed)", c.Verdict)
	}
	if c := caseByID(t, r, "prim/server/1/1"); c.Verdict != Pass {
		t.Errorf("duplicate: kept %q, want the first result", c.Verdict)
	}
}

func TestBuildEmptyRun(t *testing.T) {
	r := Build(RunMeta{}, nil, nil, nil)
	data, err := MarshalResults(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"cases": []`, `"rfc2779": []`, `"statements": []`, `"blocking": []`, `"conformant": false`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("empty results JSON lacks %s:\n%s", want, data)
		}
	}
	withCat := Build(RunMeta{}, nil, mustCatalogue(t), nil)
	if withCat.Summary.Requirements[Untested] != 88 || withCat.Summary.Requirements[Inspection] != 5 {
		t.Errorf("empty run: requirements %v, want 88 untested and 5 inspection", withCat.Summary.Requirements)
	}
}

func TestBuildTruncatesExcerpt(t *testing.T) {
	long := strings.Repeat("x", maxExcerpt) + "THE END"
	r := Build(RunMeta{}, []CaseResult{{CaseMeta: CaseMeta{ID: "prim/server/1/1", Level: LevelMust}, Verdict: Fail, Excerpt: long}}, nil, nil)
	ex := r.Cases[0].Excerpt
	if len(ex) > maxExcerpt+len("…") || !strings.HasSuffix(ex, "THE END") || !strings.HasPrefix(ex, "…") {
		t.Errorf("excerpt of %d bytes not cut to the tail (len %d)", len(long), len(ex))
	}
}

func TestResultsJSONRoundTrip(t *testing.T) {
	r := sampleResults(t)
	dir := t.TempDir()
	if err := WriteAll(dir, r); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"results.json", "junit.xml", "report.html", "summary.md"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("WriteAll did not write %s: %v", f, err)
		}
	}
	back, err := ReadResults(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Errorf("results changed in a JSON round trip")
	}
	// Rebuilding from what was read gives the same results (Build is idempotent).
	again := Build(back.Run, back.Cases, mustCatalogue(t), &Baseline{Schema: BaselineSchema, ExpectedFailures: back.Baseline.Entries})
	if !reflect.DeepEqual(again, r) {
		t.Errorf("Build is not idempotent on its own output")
	}
	if back.Run.Start != sampleStart || back.Run.Duration != 2500*time.Millisecond {
		t.Errorf("run times = %v %v", back.Run.Start, back.Run.Duration)
	}
}

func TestReadResultsRejects(t *testing.T) {
	good, err := MarshalResults(sampleResults(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, data, want string }{
		{"other schema", strings.Replace(string(good), SchemaVersion, "primlab/results/v0", 1), `schema "primlab/results/v0"`},
		{"unknown field", strings.Replace(string(good), `"target":`, `"colour": 1, "target":`, 1), "unknown field"},
		{"not JSON", "<xml/>", "decode results"},
	}
	for _, tc := range tests {
		path := filepath.Join(t.TempDir(), "results.json")
		if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadResults(path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	if _, err := ReadResults(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("missing file: no error")
	}
}
