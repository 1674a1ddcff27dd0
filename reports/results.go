package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
)

// SchemaVersion names the results JSON schema this package writes and reads (see doc.go).
const SchemaVersion = "primlab/results/v1"

// Case levels (DESIGN.md "The suite"): only these three are valid in CaseMeta.Level.
const (
	LevelMust   = "MUST"
	LevelShould = "SHOULD"
	LevelMay    = "MAY"
)

// Verdict is the outcome of a case, or of a requirement or statement joined from its cases.
type Verdict string

// Case verdicts. ExpectedFail and UnexpectedPass only appear when a baseline lists the case.
const (
	Pass           Verdict = "pass"
	Fail           Verdict = "fail"
	NotApplicable  Verdict = "not-applicable"
	Error          Verdict = "error"
	ExpectedFail   Verdict = "expected-fail"
	UnexpectedPass Verdict = "unexpected-pass"
)

// Join verdicts, for RFC 2779 requirements and PRIM statements (besides Pass, Fail and
// NotApplicable).
const (
	Partial    Verdict = "partial"
	Untested   Verdict = "untested"
	Inspection Verdict = "inspection"
)

// caseVerdictOrder and joinVerdictOrder fix the order verdicts are listed in reports.
var (
	caseVerdictOrder = []Verdict{Pass, Fail, Error, NotApplicable, ExpectedFail, UnexpectedPass}
	joinVerdictOrder = []Verdict{Pass, Partial, Fail, Untested, Inspection, NotApplicable}
)

// maxExcerpt bounds the transcript excerpt kept per case: the tail is kept, since the failure
// is usually at the end.
const maxExcerpt = 16 << 10

// RunMeta describes one run of the suite.
type RunMeta struct {
	Version  string        `json:"primlab_version"`
	Target   string        `json:"target"`
	Roles    []string      `json:"roles"`
	Profile  string        `json:"profile"`
	Seed     uint64        `json:"seed"`
	Strict   bool          `json:"strict"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
	// Shard is "i/n" when the run is one shard of a larger one; empty once merged.
	Shard string `json:"shard,omitempty"`
}

// CaseMeta is what a conformance case declares about itself.
type CaseMeta struct {
	// ID is "prim/<role>/<section>/<n>", stable across releases.
	ID          string   `json:"id"`
	Section     string   `json:"section"`
	Requirement string   `json:"requirement"`
	Level       string   `json:"level"`
	Statements  []string `json:"statements,omitempty"`
	RFC2779     []string `json:"rfc2779,omitempty"`
	Decisions   []string `json:"decisions,omitempty"`
	Role        string   `json:"role"`
	Profile     string   `json:"profile"`
	// Slow marks a case that must let real time pass against an external target (a lease or
	// subscription expiring, a relay timing out); it carries the label "slow", so a quick run
	// can leave it out with --label-filter '!slow'.
	Slow bool `json:"slow,omitempty"`
}

// Links are paths, relative to the results directory, to a case's evidence files.
type Links struct {
	Transcript string `json:"transcript,omitempty"`
	Trace      string `json:"trace,omitempty"`
	Pcap       string `json:"pcap,omitempty"`
}

// CaseResult is one case's outcome. The suite fills Verdict with pass, fail, not-applicable or
// error; Build moves that to Outcome and sets Verdict to the baseline-adjusted verdict.
type CaseResult struct {
	CaseMeta
	Verdict Verdict `json:"verdict"`
	// Outcome is what the case itself concluded, before the baseline; set by Build.
	Outcome  Verdict       `json:"outcome,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// Message says why the case did not pass (or, for not-applicable, the evidence).
	Message string `json:"message,omitempty"`
	// Excerpt is the end of the wire transcript, inlined for reports.
	Excerpt string `json:"excerpt,omitempty"`
	Links   Links  `json:"links,omitzero"`
}

// CaseCounts counts the outcomes of a requirement's or statement's cases.
type CaseCounts struct {
	Pass          int `json:"pass"`
	Fail          int `json:"fail"`
	Error         int `json:"error"`
	NotApplicable int `json:"not_applicable"`
}

// RequirementResult is an RFC 2779 requirement joined with the cases giving evidence for it.
type RequirementResult struct {
	Requirement
	Class   string     `json:"class"`
	Verdict Verdict    `json:"verdict"`
	Counts  CaseCounts `json:"counts"`
	Cases   []string   `json:"cases"`
}

// StatementResult is a PRIM statement joined with the cases giving evidence for it.
type StatementResult struct {
	Statement
	Class   string     `json:"class"`
	Verdict Verdict    `json:"verdict"`
	Counts  CaseCounts `json:"counts"`
	Cases   []string   `json:"cases"`
}

// Summary holds the counts and the conformance verdict.
type Summary struct {
	Cases        map[Verdict]int `json:"cases"`
	Requirements map[Verdict]int `json:"requirements"`
	Statements   map[Verdict]int `json:"statements"`
	// Conformant is the verdict under Run.Strict: some case passed, no counted case failed or
	// errored, and no baseline entry passed unexpectedly.
	Conformant bool `json:"conformant"`
	// Blocking lists the case ids that make the run non-conformant.
	Blocking []string `json:"blocking"`
}

// BaselineReport records the baseline a run was judged against.
type BaselineReport struct {
	Entries []BaselineEntry `json:"entries"`
	// Unmatched lists baseline ids for which no case ran (stale entries).
	Unmatched []string `json:"unmatched,omitempty"`
}

// Results is a whole run: metadata, every case, and the requirement and statement joins.
type Results struct {
	Schema       string              `json:"schema"`
	Run          RunMeta             `json:"run"`
	Summary      Summary             `json:"summary"`
	Cases        []CaseResult        `json:"cases"`
	Requirements []RequirementResult `json:"rfc2779"`
	Statements   []StatementResult   `json:"statements"`
	Baseline     *BaselineReport     `json:"baseline,omitempty"`
	// Warnings name inconsistencies found while building (unknown ids, duplicate cases).
	Warnings []string `json:"warnings,omitempty"`
}

// Build judges cases against an optional baseline and joins them with the catalogue. cat may
// be nil (no joins); baseline may be nil. Build never fails: inconsistencies become Warnings.
// The output is sorted and deterministic.
func Build(run RunMeta, cases []CaseResult, cat *Catalogue, baseline *Baseline) *Results {
	r := &Results{Schema: SchemaVersion, Run: run, Cases: []CaseResult{},
		Requirements: []RequirementResult{}, Statements: []StatementResult{}}
	r.Run.Roles = sortedUnique(run.Roles)
	expected := map[string]BaselineEntry{}
	if baseline != nil {
		for _, e := range baseline.ExpectedFailures {
			expected[e.ID] = e
		}
	}

	seen := map[string]int{}
	for _, c := range cases {
		if c.ID == "" {
			r.warnf("a case without id was dropped (requirement %q)", c.Requirement)
			continue
		}
		if _, dup := seen[c.ID]; dup {
			r.warnf("duplicate case %q: the first result is kept", c.ID)
			continue
		}
		seen[c.ID] = len(r.Cases)
		c.Statements = sortedUnique(c.Statements)
		c.RFC2779 = sortedUnique(c.RFC2779)
		c.Decisions = sortedUnique(c.Decisions)
		if !caseLevels[c.Level] {
			r.warnf("case %q: level %q is not MUST, SHOULD or MAY; judged as MUST", c.ID, c.Level)
		}
		raw := c.Outcome
		if raw == "" {
			raw = c.Verdict
		}
		switch raw {
		case Pass, Fail, NotApplicable, Error:
		case ExpectedFail:
			raw = Fail
		case UnexpectedPass:
			raw = Pass
		default:
			r.warnf("case %q: unknown verdict %q; judged as error", c.ID, raw)
			if c.Message == "" {
				c.Message = fmt.Sprintf("unknown verdict %q", raw)
			}
			raw = Error
		}
		c.Outcome = raw
		c.Verdict = raw
		if _, listed := expected[c.ID]; listed {
			switch raw {
			case Fail, Error:
				c.Verdict = ExpectedFail
			case Pass:
				c.Verdict = UnexpectedPass
			}
		}
		if len(c.Excerpt) > maxExcerpt {
			c.Excerpt = "…" + c.Excerpt[len(c.Excerpt)-maxExcerpt:]
		}
		r.Cases = append(r.Cases, c)
	}
	sort.SliceStable(r.Cases, func(i, j int) bool { return compareCaseIDs(r.Cases[i].ID, r.Cases[j].ID) < 0 })

	if baseline != nil {
		r.Baseline = &BaselineReport{Entries: slices.Clone(baseline.ExpectedFailures)}
		sort.SliceStable(r.Baseline.Entries, func(i, j int) bool {
			return compareCaseIDs(r.Baseline.Entries[i].ID, r.Baseline.Entries[j].ID) < 0
		})
		for _, e := range r.Baseline.Entries {
			if _, ran := seen[e.ID]; !ran {
				r.Baseline.Unmatched = append(r.Baseline.Unmatched, e.ID)
			}
		}
	}

	r.join(cat)
	r.summarise()
	// Warnings come partly in input order; sort them so shard order cannot change the output.
	r.Warnings = sortedUnique(r.Warnings)
	return r
}

func (r *Results) warnf(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// join derives the requirement and statement verdicts from the cases.
func (r *Results) join(cat *Catalogue) {
	byReq := map[string][]*CaseResult{}
	byStat := map[string][]*CaseResult{}
	for i := range r.Cases {
		c := &r.Cases[i]
		for _, id := range c.RFC2779 {
			if cat != nil {
				if _, ok := cat.Requirement(id); !ok {
					r.warnf("case %q cites unknown RFC 2779 requirement %q", c.ID, id)
				}
			}
			byReq[id] = append(byReq[id], c)
		}
		for _, id := range c.Statements {
			if cat != nil {
				if _, ok := cat.Statement(id); !ok {
					r.warnf("case %q cites unknown PRIM statement %q", c.ID, id)
				}
			}
			byStat[id] = append(byStat[id], c)
		}
	}
	if cat == nil {
		return
	}
	for _, req := range cat.Requirements {
		cs := byReq[req.ID]
		rr := RequirementResult{Requirement: req, Class: req.Class(), Cases: caseIDs(cs), Counts: countOutcomes(cs)}
		rr.Verdict = joinVerdict(rr.Counts, len(cs), req.Testability)
		r.Requirements = append(r.Requirements, rr)
	}
	for _, st := range cat.Statements {
		cs := byStat[st.ID]
		sr := StatementResult{Statement: st, Class: st.Class(), Cases: caseIDs(cs), Counts: countOutcomes(cs)}
		sr.Verdict = joinVerdict(sr.Counts, len(cs), "Y")
		r.Statements = append(r.Statements, sr)
	}
}

func caseIDs(cs []*CaseResult) []string {
	ids := make([]string, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func countOutcomes(cs []*CaseResult) CaseCounts {
	var n CaseCounts
	for _, c := range cs {
		switch c.Outcome {
		case Pass:
			n.Pass++
		case Fail:
			n.Fail++
		case Error:
			n.Error++
		case NotApplicable:
			n.NotApplicable++
		}
	}
	return n
}

// joinVerdict derives a requirement's or statement's verdict from its cases' outcomes (before
// the baseline: an expected failure is still a failure of the requirement):
// inspection when only a document can show it (testability N); untested with no case;
// not-applicable when every case was; pass when every applicable case passed (partial if the
// requirement is only partly black-box testable, P); fail when none passed; partial otherwise.
func joinVerdict(n CaseCounts, cases int, testability string) Verdict {
	switch {
	case testability == "N":
		return Inspection
	case cases == 0:
		return Untested
	}
	bad := n.Fail + n.Error
	switch {
	case n.Pass == 0 && bad == 0:
		return NotApplicable
	case bad == 0 && testability == "P":
		return Partial
	case bad == 0:
		return Pass
	case n.Pass == 0:
		return Fail
	}
	return Partial
}

// counts reports whether the case's level counts toward conformance: MUST always, SHOULD only
// under strict, MAY never (DESIGN.md "Reports and verdicts"; h2spec's --strict).
func counts(level string, strict bool) bool {
	switch level {
	case LevelMay:
		return false
	case LevelShould:
		return strict
	}
	return true
}

// blocking returns the ids of the cases that make the run non-conformant under strict.
// An unexpected pass always blocks, so that the baseline stays honest.
func (r *Results) blocking(strict bool) []string {
	ids := []string{}
	for _, c := range r.Cases {
		switch c.Verdict {
		case UnexpectedPass:
			ids = append(ids, c.ID)
		case Fail, Error:
			if counts(c.Level, strict) {
				ids = append(ids, c.ID)
			}
		}
	}
	return ids
}

// Conformant reports whether the run conforms: with strict false, every MUST case passed (or
// was not applicable, or failed as the baseline expected); with strict true, every SHOULD case
// too. A baseline entry that passed makes the run non-conformant until the baseline is updated.
//
// A run in which no case passed (none ran, or all were not applicable or expected failures)
// is not conformant: it shows nothing.
func (r *Results) Conformant(strict bool) bool { return r.anyPassed() && len(r.blocking(strict)) == 0 }

func (r *Results) anyPassed() bool {
	for _, c := range r.Cases {
		if c.Outcome == Pass {
			return true
		}
	}
	return false
}

// ExitCode maps Conformant(strict) to the process exit code: 0 conformant, 1 not.
func (r *Results) ExitCode(strict bool) int {
	if r.Conformant(strict) {
		return 0
	}
	return 1
}

func (r *Results) summarise() {
	s := Summary{
		Cases:        zeroCounts(caseVerdictOrder),
		Requirements: zeroCounts(joinVerdictOrder),
		Statements:   zeroCounts(joinVerdictOrder),
	}
	for _, c := range r.Cases {
		s.Cases[c.Verdict]++
	}
	for _, q := range r.Requirements {
		s.Requirements[q.Verdict]++
	}
	for _, st := range r.Statements {
		s.Statements[st.Verdict]++
	}
	s.Blocking = r.blocking(r.Run.Strict)
	s.Conformant = r.anyPassed() && len(s.Blocking) == 0
	r.Summary = s
}

func zeroCounts(vs []Verdict) map[Verdict]int {
	m := make(map[Verdict]int, len(vs))
	for _, v := range vs {
		m[v] = 0
	}
	return m
}

func sortedUnique(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	out := slices.Clone(xs)
	sort.Strings(out)
	return slices.Compact(out)
}

// MarshalResults encodes r as indented JSON with a trailing newline.
func MarshalResults(r *Results) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("reports: encode results: %w", err)
	}
	return append(b, '\n'), nil
}

// UnmarshalResults decodes results JSON, rejecting unknown fields and other schemas.
func UnmarshalResults(data []byte) (*Results, error) {
	var probe struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("reports: decode results: %w", err)
	}
	if probe.Schema != SchemaVersion {
		return nil, fmt.Errorf("reports: results schema %q, want %q", probe.Schema, SchemaVersion)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var r Results
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("reports: decode results: %w", err)
	}
	return &r, nil
}

// ReadResults reads a results.json file.
func ReadResults(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	r, err := UnmarshalResults(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return r, nil
}
