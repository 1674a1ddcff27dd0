package mutants

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/primlab/primlab/reports"
	"github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/suite/client"

	// The cases the self-test runs: server role on the client listener, the s2s role, and
	// (suite/client, imported above for its Config) the client role.
	_ "github.com/primlab/primlab/suite/s2s"
	_ "github.com/primlab/primlab/suite/server"
)

// Environment of a child process (see RunChild).
const (
	EnvMutant  = "PRIMLAB_MUTANT"         // mutant name, or Clean
	EnvResults = "PRIMLAB_MUTANT_RESULTS" // file the child writes its verdicts to (JSON)
	Clean      = "clean"                  // the unwrapped reference
)

// DefaultLabelFilter selects the roles the self-test judges the reference server in;
// ClientLabelFilter the role it judges the reference user agent in. The clean run takes both.
const (
	DefaultLabelFilter = "role:server || role:s2s"
	ClientLabelFilter  = "role:client"
	cleanLabelFilter   = DefaultLabelFilter + " || " + ClientLabelFilter
)

// LabelFilter returns the cases that judge m: the client-role cases for a mutant of the
// reference user agent, the server and s2s cases for one of the reference server.
func LabelFilter(m Mutant) string {
	if m.Target() == harness.RoleClient {
		return ClientLabelFilter
	}
	return DefaultLabelFilter
}

// Verdict is one case's outcome in one run.
type Verdict struct {
	ID      string          `json:"id"`
	Verdict reports.Verdict `json:"verdict"`
	Message string          `json:"message,omitempty"` // first line
}

// RunSuite runs the cases selected by labelFilter in this process against the reference
// wrapped in the named mutant (Clean: unwrapped) and returns the verdicts sorted by case ID.
// An empty labelFilter selects the cases that judge the mutant (LabelFilter), and every
// role's cases for Clean. Ginkgo allows it once per process.
func RunSuite(t ginkgo.GinkgoTestingT, name, labelFilter string) ([]Verdict, error) {
	cfg := harness.Config{}
	uaCfg := client.Config{}
	filter := cleanLabelFilter
	if name != Clean {
		m, ok := Lookup(name)
		if !ok {
			return nil, fmt.Errorf("mutants: no mutant %q", name)
		}
		if m.Target() == harness.RoleClient {
			uaCfg.WrapUA = m.Wrap
		} else {
			cfg.WrapServer = m.Wrap
		}
		filter = LabelFilter(m)
	}
	if err := harness.Configure(cfg); err != nil {
		return nil, fmt.Errorf("mutants: %w", err)
	}
	if err := client.Configure(uaCfg); err != nil {
		return nil, fmt.Errorf("mutants: %w", err)
	}
	if labelFilter == "" {
		labelFilter = filter
	}
	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
	suiteConfig.LabelFilter = labelFilter
	suiteConfig.RandomSeed = 1
	reporterConfig.NoColor = true
	reporterConfig.Succinct = true
	gomega.RegisterFailHandler(ginkgo.Fail)
	ginkgo.RunSpecs(t, "primlab mutation self-test: "+name, suiteConfig, reporterConfig)
	var out []Verdict
	for _, r := range harness.Results() {
		first, _, _ := strings.Cut(r.Message, "\n")
		out = append(out, Verdict{ID: r.ID, Verdict: r.Verdict, Message: first})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("mutants: no case matches %q", labelFilter)
	}
	return out, nil
}

// RunChild is the child side of a matrix: when EnvMutant is set it runs the suite against that
// mutant and writes the verdicts as JSON to the file EnvResults names, and reports true. A
// test binary calls it from a dedicated test function; primlab selftest from a hidden mode.
func RunChild(t ginkgo.GinkgoTestingT, labelFilter string) (bool, error) {
	name := os.Getenv(EnvMutant)
	if name == "" {
		return false, nil
	}
	path := os.Getenv(EnvResults)
	if path == "" {
		return true, fmt.Errorf("mutants: %s is set but %s is not", EnvMutant, EnvResults)
	}
	vs, err := RunSuite(t, name, labelFilter)
	if err != nil {
		return true, err
	}
	data, err := json.Marshal(vs)
	if err != nil {
		return true, fmt.Errorf("mutants: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return true, fmt.Errorf("mutants: %w", err)
	}
	return true, nil
}

// Runner runs the suite against one mutant (or Clean) and returns the verdicts.
type Runner func(name string) ([]Verdict, error)

// ExecRunner runs each mutant as a child process: argv (a test binary with -test.run selecting
// its child test, or primlab's hidden child mode) with EnvMutant and EnvResults set. The
// child's exit status is ignored (failing cases fail the child); its verdicts file is what
// counts, and its output is quoted when there is none.
func ExecRunner(argv ...string) Runner {
	return func(name string) ([]Verdict, error) {
		dir, err := os.MkdirTemp("", "primlab-mutant-")
		if err != nil {
			return nil, fmt.Errorf("mutants: %w", err)
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "verdicts.json")
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), EnvMutant+"="+name, EnvResults+"="+path)
		var output bytes.Buffer
		cmd.Stdout, cmd.Stderr = &output, &output
		runErr := cmd.Run()
		data, err := os.ReadFile(path)
		if err != nil {
			tail := output.String()
			if len(tail) > 2000 {
				tail = tail[len(tail)-2000:]
			}
			return nil, fmt.Errorf("mutants: child for %q wrote no verdicts (%v): %s", name, errors.Join(runErr, err), tail)
		}
		var vs []Verdict
		if err := json.Unmarshal(data, &vs); err != nil {
			return nil, fmt.Errorf("mutants: child for %q: %w", name, err)
		}
		return vs, nil
	}
}

// Row is one mutant's line of the kill matrix.
type Row struct {
	Mutant  Mutant
	Killers []string // cases that pass against the clean reference and not against the mutant
	Missed  []string // intended cases that did not kill it
	Err     error    // the run itself failed
}

// Killed reports whether at least one case failed against the mutant.
func (r Row) Killed() bool { return len(r.Killers) > 0 }

// Matrix is the outcome of a self-test: the clean run and every mutant's killers.
type Matrix struct {
	Clean []Verdict
	Rows  []Row
}

// Run runs the clean reference and then every mutant through run, parallel at a time, and
// builds the matrix.
func Run(ms []Mutant, run Runner, parallel int) (*Matrix, error) {
	clean, err := run(Clean)
	if err != nil {
		return nil, err
	}
	mx := &Matrix{Clean: clean, Rows: make([]Row, len(ms))}
	if parallel < 1 {
		parallel = 1
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			vs, err := run(m.Name)
			mx.Rows[i] = mx.row(m, vs, err)
		}()
	}
	wg.Wait()
	return mx, nil
}

// kills reports whether a case whose verdict against the clean reference is clean, and
// against a mutant is mutated, kills that mutant: a case the reference passes and the mutant
// does not; or a case not applicable to the reference (an optional behaviour it does not
// have: TLS, ANONYMOUS, 300 Redirect, STARTTLS on its own links) that fails when the mutant
// adds that behaviour wrongly, which shows the case can fail all the same.
func kills(clean, mutated reports.Verdict) bool {
	switch clean {
	case reports.Pass:
		return mutated != reports.Pass
	case reports.NotApplicable:
		return mutated == reports.Fail
	}
	return false
}

func (mx *Matrix) row(m Mutant, vs []Verdict, err error) Row {
	r := Row{Mutant: m, Err: err}
	if err != nil {
		return r
	}
	got := map[string]reports.Verdict{}
	for _, v := range vs {
		got[v.ID] = v.Verdict
	}
	for _, c := range mx.Clean {
		if v, ran := got[c.ID]; ran && kills(c.Verdict, v) {
			r.Killers = append(r.Killers, c.ID)
		}
	}
	kill := map[string]bool{}
	for _, id := range r.Killers {
		kill[id] = true
	}
	for _, id := range m.Intended {
		if !kill[id] {
			r.Missed = append(r.Missed, id)
		}
	}
	return r
}

// CleanNotPassing returns the cases that did not pass against the clean reference (it should
// be none: a case failing there judges the reference wrongly, or the reference is wrong).
func (mx *Matrix) CleanNotPassing() []Verdict {
	var out []Verdict
	for _, v := range mx.Clean {
		if v.Verdict != reports.Pass && v.Verdict != reports.NotApplicable {
			out = append(out, v)
		}
	}
	return out
}

// DistinctKillers returns the cases that kill at least one non-equivalent mutant, sorted.
func (mx *Matrix) DistinctKillers() []string { return mx.DistinctKillersOf("") }

// DistinctKillersOf is DistinctKillers over the mutants of one role (harness.RoleServer or
// harness.RoleClient; every role when empty).
func (mx *Matrix) DistinctKillersOf(role string) []string {
	seen := map[string]bool{}
	for _, r := range mx.Rows {
		if !r.Mutant.Equivalent && (role == "" || r.Mutant.Target() == role) {
			for _, id := range r.Killers {
				seen[id] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Print writes the kill matrix: one line per mutant with its killing cases, then a summary.
func (mx *Matrix) Print(w io.Writer) {
	fmt.Fprintf(w, "%-36s %-10s %6s  %-9s %s\n", "mutant", "kind", "kills", "intended", "killing cases (first 4)")
	defects, killed, controls, clean := 0, 0, 0, 0
	for _, r := range mx.Rows {
		kind := "defect"
		if r.Mutant.Equivalent {
			kind = "control"
			controls++
			if !r.Killed() && r.Err == nil {
				clean++
			}
		} else {
			defects++
			if r.Killed() {
				killed++
			}
		}
		status := fmt.Sprintf("%d/%d", len(r.Mutant.Intended)-len(r.Missed), len(r.Mutant.Intended))
		if r.Err != nil {
			fmt.Fprintf(w, "%-36s %-10s %6s  %-9s run failed: %v\n", r.Mutant.Name, kind, "-", "-", r.Err)
			continue
		}
		shown := r.Killers
		more := ""
		if len(shown) > 4 {
			more = fmt.Sprintf(" (+%d)", len(shown)-4)
			shown = shown[:4]
		}
		verdict := ""
		switch {
		case r.Mutant.Equivalent && r.Killed():
			verdict = "  FALSE KILL"
		case !r.Mutant.Equivalent && !r.Killed():
			verdict = "  SURVIVED"
		case len(r.Missed) > 0:
			verdict = "  missed: " + strings.Join(r.Missed, " ")
		}
		fmt.Fprintf(w, "%-36s %-10s %6d  %-9s %s%s%s\n", r.Mutant.Name, kind, len(r.Killers), status, strings.Join(shown, " "), more, verdict)
	}
	passed := 0
	for _, v := range mx.Clean {
		if v.Verdict == reports.Pass {
			passed++
		}
	}
	fmt.Fprintf(w, "clean reference: %d of %d cases pass\n", passed, len(mx.Clean))
	for _, v := range mx.CleanNotPassing() {
		fmt.Fprintf(w, "  clean %s: %s %s\n", v.Verdict, v.ID, v.Message)
	}
	fmt.Fprintf(w, "%d of %d defect mutants killed; %d of %d equivalent controls kill nothing; %d distinct cases kill at least one mutant\n",
		killed, defects, clean, controls, len(mx.DistinctKillers()))
	for _, role := range []string{harness.RoleServer, harness.RoleClient} {
		c := mx.Counts(role)
		if c.Defects+c.Controls == 0 {
			continue
		}
		fmt.Fprintf(w, "  %s mutants (%s cases): %d of %d defects killed; %d of %d controls kill nothing; %d distinct cases kill at least one\n",
			role, c.Filter, c.Killed, c.Defects, c.QuietControls, c.Controls, c.DistinctKillers)
	}
}

// RoleCounts summarises the rows of one role's mutants.
type RoleCounts struct {
	Filter          string // the cases that judged them
	Defects         int    // defect mutants run
	Killed          int    // of which killed
	Controls        int    // equivalent controls run
	QuietControls   int    // of which killed by nothing (and ran)
	DistinctKillers int    // cases that kill at least one of the defects
}

// Counts summarises the rows of role's mutants (harness.RoleServer or harness.RoleClient).
func (mx *Matrix) Counts(role string) RoleCounts {
	c := RoleCounts{Filter: DefaultLabelFilter}
	if role == harness.RoleClient {
		c.Filter = ClientLabelFilter
	}
	for _, r := range mx.Rows {
		if r.Mutant.Target() != role {
			continue
		}
		if r.Mutant.Equivalent {
			c.Controls++
			if !r.Killed() && r.Err == nil {
				c.QuietControls++
			}
		} else {
			c.Defects++
			if r.Killed() {
				c.Killed++
			}
		}
	}
	c.DistinctKillers = len(mx.DistinctKillersOf(role))
	return c
}

// PrintKillers writes every mutant's full list of killing cases, one mutant a paragraph.
func (mx *Matrix) PrintKillers(w io.Writer) {
	for _, r := range mx.Rows {
		fmt.Fprintf(w, "%s (%s):\n", r.Mutant.Name, r.Mutant.Breaks)
		for _, id := range r.Killers {
			mark := " "
			for _, want := range r.Mutant.Intended {
				if want == id {
					mark = "*"
				}
			}
			fmt.Fprintf(w, "  %s %s\n", mark, id)
		}
	}
}
