package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/gomega"

	"github.com/primlab/primlab/reports"
	_ "github.com/primlab/primlab/suite" // links every role's cases
	"github.com/primlab/primlab/suite/client"
	"github.com/primlab/primlab/suite/harness"
)

func init() {
	register(command{
		name:    "conform",
		summary: "run the conformance suite against a target (default: the reference server, simulated)",
		run:     runConform,
	})
}

// conformList collects a repeated flag.
type conformList []string

func (l *conformList) String() string     { return strings.Join(*l, ",") }
func (l *conformList) Set(v string) error { *l = append(*l, v); return nil }

// conformT is the GinkgoTestingT handed to RunSpecs from a command.
type conformT struct{ failed bool }

func (t *conformT) Fail() { t.failed = true }

type conformOptions struct {
	cfg         harness.Config
	roles       []string
	profile     string
	strict      bool
	labelFilter string
	cases       []string
	baseline    string
	out         string
	list        bool
	exec        string
	// shard/shards select every shards-th case of the sorted catalogue, starting at shard
	// (DESIGN.md "Beyond one machine"); shards 0 means the whole run.
	shard, shards int
	// writeBaseline, if set, is where the run's failures are written as a baseline.
	writeBaseline string
}

func parseConform(args []string, stderr io.Writer) (*conformOptions, error) {
	fs := flag.NewFlagSet("conform", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: primlab conform [flags]\n\nRuns the conformance cases against a target and writes results.json, junit.xml,\n"+
			"report.html and summary.md to --out. Without --target the target is the reference server\n"+
			"inside the simulator. Exit: 0 conformant, 1 not, 2 usage, 3 target unreachable.\n\nflags:")
		fs.PrintDefaults()
	}
	var (
		o          conformOptions
		roles      = fs.String("role", "", "comma-separated `roles` to test: server, s2s, client (default: server,s2s with --target, client with --exec, all three against the reference)")
		execCmd    = fs.String("exec", "", "`command` starting the user agent under test (client role; driver protocol, fixtures/driver-protocol.md)")
		profile    = fs.String("profile", "all", "`profile` to test: client (I2), server (SS) or all")
		target     = fs.String("target", "", "external server's client listener `host:port` (default: reference server in the simulator)")
		s2sTarget  = fs.String("s2s-target", "", "external server's server-server listener `host:port`")
		s2sListen  = fs.String("s2s-listen", "", "`host:port` where the suite accepts the target's server-server connections to --peer-domain")
		domain     = fs.String("domain", "", "the target's `domain`")
		targetFile = fs.String("target-file", "", "YAML target `file` (target, s2s_target, domain, accounts, peer_domain, peer_secret); flags win")
		peerDomain = fs.String("peer-domain", "", "`domain` the suite claims on server-server connections")
		peerSecret = fs.String("peer-secret", "", "`secret` the target shares with --peer-domain")
		seed       = fs.Uint64("seed", 0, "run `seed`; each case's world is seeded from it and the case ID")
		timeout    = fs.Duration("timeout", 5*time.Second, "per-step `deadline` (virtual time in the simulator)")
		quiet      = fs.Duration("quiet", 0, "how long a negative check waits for silence (`period`; default 2s virtual in the simulator, 1s against a real target); a fast target on loopback needs less")
		accounts   conformList
	)
	fs.Var(&accounts, "account", "a target account `user:password` (repeatable; the first plays alice, then bob, carol)")
	fs.Var((*conformList)(&o.cases), "case", "run only the case with this `id` (repeatable)")
	fs.BoolVar(&o.strict, "strict", false, "SHOULD cases count towards conformance too")
	fs.StringVar(&o.labelFilter, "label-filter", "", "ginkgo label filter `expression`, e.g. 'MUST && sec:8.1'")
	fs.StringVar(&o.baseline, "baseline", "", "baseline `file` of expected failures")
	fs.StringVar(&o.out, "out", "out", "results `directory`")
	fs.BoolVar(&o.list, "list", false, "print the case catalogue (fixtures/cases.yaml) and exit")
	shardText := fs.String("shard", "", "run shard `i/n` of the cases (0 <= i < n); join the shards' results.json with primlab report merge")
	fs.StringVar(&o.writeBaseline, "write-baseline", "", "write the run's failing cases to `file` as a baseline of expected failures")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	if *shardText != "" {
		i, n, err := parseShard(*shardText)
		if err != nil {
			return nil, usageError{err}
		}
		o.shard, o.shards = i, n
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q", fs.Arg(0))
	}
	if *roles == "" {
		switch {
		case *execCmd != "" && *target == "" && *targetFile == "":
			*roles = "client"
		case *execCmd == "" && (*target != "" || *targetFile != ""):
			*roles = "server,s2s"
		default:
			*roles = "server,s2s,client"
		}
	}
	o.exec = *execCmd
	for _, r := range strings.Split(*roles, ",") {
		r = strings.TrimSpace(r)
		switch r {
		case harness.RoleServer, harness.RoleS2S, harness.RoleClient:
			o.roles = append(o.roles, r)
		case "":
		default:
			return nil, usagef("--role %q: want server, s2s or client", r)
		}
	}
	if len(o.roles) == 0 {
		return nil, usagef("--role names no role")
	}
	switch *profile {
	case "all", harness.ProfileClient, harness.ProfileServer:
		o.profile = *profile
	default:
		return nil, usagef("--profile %q: want client, server or all", *profile)
	}
	if *timeout <= 0 {
		return nil, usagef("--timeout %v: want a positive duration", *timeout)
	}
	if *quiet < 0 || *quiet > *timeout {
		return nil, usagef("--quiet %v: want a positive duration no longer than --timeout", *quiet)
	}
	o.cfg = harness.Config{
		Target: *target, S2STarget: *s2sTarget, S2SListen: *s2sListen, Domain: *domain, PeerDomain: *peerDomain, PeerSecret: *peerSecret,
		Seed: *seed, Timeout: *timeout, Quiet: *quiet,
	}
	for _, a := range accounts {
		acct, err := harness.ParseAccount(a)
		if err != nil {
			return nil, usageError{err}
		}
		o.cfg.Accounts = append(o.cfg.Accounts, acct)
	}
	if *targetFile != "" {
		tf, err := harness.LoadTargetFile(*targetFile)
		if err != nil {
			return nil, usageError{err}
		}
		tf.Apply(&o.cfg)
	}
	out, err := filepath.Abs(o.out) // ginkgo may change directory; evidence paths must not move
	if err != nil {
		return nil, usageError{err}
	}
	o.out = out
	o.cfg.Out = out
	if err := o.cfg.Validate(); err != nil {
		return nil, usageError{err}
	}
	return &o, nil
}

// labelFilter combines --role, --profile and --label-filter.
func (o *conformOptions) filter() string {
	var roles []string
	for _, r := range o.roles {
		roles = append(roles, "role:"+r)
	}
	parts := []string{"(" + strings.Join(roles, " || ") + ")"}
	if o.profile != "all" {
		parts = append(parts, "profile:"+o.profile)
	}
	if o.labelFilter != "" {
		parts = append(parts, "("+o.labelFilter+")")
	}
	return strings.Join(parts, " && ")
}

func runConform(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	o, err := parseConform(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "primlab conform: %v\n", err)
		return exitUsage
	}
	if o.list {
		data, err := harness.CatalogueYAML(harness.Registered())
		if err != nil {
			fmt.Fprintf(stderr, "primlab conform: %v\n", err)
			return exitHarness
		}
		stdout.Write(data)
		return exitOK
	}
	known := map[string]bool{}
	for _, m := range harness.Registered() {
		known[m.ID] = true
	}
	for _, id := range o.cases {
		if !known[id] {
			fmt.Fprintf(stderr, "primlab conform: --case %q: no such case (primlab conform --list)\n", id)
			return exitUsage
		}
	}
	if o.shards > 0 {
		o.cases = shardCases(harness.Registered(), o.cases, o.shard, o.shards)
		if len(o.cases) == 0 {
			fmt.Fprintf(stderr, "primlab conform: shard %d/%d holds no case\n", o.shard, o.shards)
			return exitUsage
		}
	}
	if o.exec != "" && o.cfg.Quiet == 0 {
		// The user agent under test runs in real time even when the server side is the
		// simulated reference: use the external target's quiet period, not the simulator's.
		o.cfg.Quiet = time.Second
	}
	if err := harness.Configure(o.cfg); err != nil {
		fmt.Fprintf(stderr, "primlab conform: %v\n", err)
		return exitUsage
	}
	if err := client.Configure(client.Config{Exec: o.exec}); err != nil {
		fmt.Fprintf(stderr, "primlab conform: %v\n", err)
		return exitUsage
	}

	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
	suiteConfig.LabelFilter = o.filter()
	suiteConfig.RandomSeed = int64(o.cfg.Seed) + 1 // the case order follows the run seed too
	for _, id := range o.cases {
		suiteConfig.FocusStrings = append(suiteConfig.FocusStrings, `(^|\s)`+regexp.QuoteMeta(id)+`\s`)
	}
	reporterConfig.NoColor = true
	reporterConfig.Succinct = true
	formatter.ColorableStdOut = stderr // ginkgo's progress goes to stderr; the summary to stdout
	gomega.RegisterFailHandler(ginkgo.Fail)
	start := time.Now()
	ginkgo.RunSpecs(&conformT{}, "primlab conformance", suiteConfig, reporterConfig)
	elapsed := time.Since(start)

	results := harness.Results()
	if len(results) == 0 {
		fmt.Fprintf(stderr, "primlab conform: no case matches %q\n", suiteConfig.LabelFilter)
		return exitUsage
	}
	cat, err := reports.LoadCatalogue()
	if err != nil {
		fmt.Fprintf(stderr, "primlab conform: %v\n", err)
		return exitHarness
	}
	var baseline *reports.Baseline
	if o.baseline != "" {
		if baseline, err = reports.LoadBaseline(o.baseline); err != nil {
			fmt.Fprintf(stderr, "primlab conform: %v\n", err)
			return exitUsage
		}
	}
	cfg := harness.CurrentConfig()
	targetName := "reference (simulator)"
	switch {
	case !cfg.Simulated() && o.exec != "":
		targetName = cfg.Target + " and " + o.exec
	case !cfg.Simulated():
		targetName = cfg.Target
	case o.exec != "":
		targetName = o.exec
	}
	run := reports.RunMeta{
		Version: "dev", Target: targetName, Roles: o.roles, Profile: o.profile,
		Seed: o.cfg.Seed, Strict: o.strict, Start: start.UTC(), Duration: elapsed,
	}
	if o.shards > 0 {
		run.Shard = fmt.Sprintf("%d/%d", o.shard, o.shards)
	}
	res := reports.Build(run, results, cat, baseline)
	if err := reports.WriteAll(o.out, res); err != nil {
		fmt.Fprintf(stderr, "primlab conform: %v\n", err)
		return exitHarness
	}
	if o.writeBaseline != "" {
		if err := reports.WriteBaseline(o.writeBaseline, res); err != nil {
			fmt.Fprintf(stderr, "primlab conform: --write-baseline: %v\n", err)
			return exitHarness
		}
	}
	printConformSummary(stdout, res, o)
	if harness.Aborted() {
		fmt.Fprintf(stdout, "stopped: the target could not be reached (%s)\n", cfg.Target)
		return exitHarness
	}
	return res.ExitCode(o.strict)
}

// printConformSummary prints one line per requirement section, then the verdict.
func printConformSummary(w io.Writer, res *reports.Results, o *conformOptions) {
	type key struct{ role, section string }
	counts := map[key]map[reports.Verdict]int{}
	var keys []key
	for _, c := range res.Cases {
		k := key{c.Role, c.Section}
		if counts[k] == nil {
			counts[k] = map[reports.Verdict]int{}
			keys = append(keys, k)
		}
		counts[k][c.Verdict]++
	}
	sort.SliceStable(keys, func(i, j int) bool {
		if keys[i].role != keys[j].role {
			return keys[i].role < keys[j].role
		}
		return lessDotted(keys[i].section, keys[j].section)
	})
	order := []reports.Verdict{reports.Pass, reports.Fail, reports.Error, reports.NotApplicable, reports.ExpectedFail, reports.UnexpectedPass}
	for _, k := range keys {
		var parts []string
		total := 0
		for _, v := range order {
			if n := counts[k][v]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, v))
				total += n
			}
		}
		fmt.Fprintf(w, "%-6s §%-8s %3d cases: %s\n", k.role, k.section, total, strings.Join(parts, ", "))
	}
	for _, c := range res.Cases {
		if c.Verdict != reports.Fail && c.Verdict != reports.Error {
			continue
		}
		first, _, _ := strings.Cut(c.Message, "\n")
		fmt.Fprintf(w, "  %-5s %s [%s] %s\n", strings.ToUpper(string(c.Verdict)), c.ID, c.Level, first)
		if i := strings.Index(c.Message, "replay: "); i >= 0 {
			replay, _, _ := strings.Cut(c.Message[i:], "\n")
			fmt.Fprintf(w, "        %s\n", replay)
		}
		if c.Links.Transcript != "" {
			fmt.Fprintf(w, "        transcript: %s\n", filepath.Join(o.out, filepath.FromSlash(c.Links.Transcript)))
		}
	}
	var overall []string
	for _, v := range order {
		if n := res.Summary.Cases[v]; n > 0 {
			overall = append(overall, fmt.Sprintf("%d %s", n, v))
		}
	}
	verdict := "conformant"
	switch {
	case res.Conformant(o.strict):
	case len(res.Summary.Blocking) == 0:
		verdict = "NOT conformant (no case passed, so the run shows nothing)"
	default:
		verdict = fmt.Sprintf("NOT conformant (blocking: %s)", strings.Join(res.Summary.Blocking, " "))
	}
	mode := "MUST"
	if o.strict {
		mode = "MUST and SHOULD"
	}
	fmt.Fprintf(w, "%d cases: %s; %s, judged on %s; seed %d; reports in %s\n",
		len(res.Cases), strings.Join(overall, ", "), verdict, mode, o.cfg.Seed, o.out)
}

func lessDotted(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		var x, y int
		fmt.Sscanf(as[i], "%d", &x)
		fmt.Sscanf(bs[i], "%d", &y)
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

// shardCases returns the IDs of shard i of n: every n-th case of the catalogue sorted by ID,
// starting at the i-th, so shards are disjoint, cover the catalogue and do not depend on the
// machine. If only is not empty the shard is narrowed to those IDs.
func shardCases(all []reports.CaseMeta, only []string, i, n int) []string {
	ids := make([]string, 0, len(all))
	for _, m := range all {
		ids = append(ids, m.ID)
	}
	sort.Strings(ids)
	want := map[string]bool{}
	for _, id := range only {
		want[id] = true
	}
	var out []string
	for k, id := range ids {
		if k%n == i && (len(only) == 0 || want[id]) {
			out = append(out, id)
		}
	}
	return out
}
