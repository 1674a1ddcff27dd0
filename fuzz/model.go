package fuzz

import (
	"fmt"
	"strconv"
	"strings"

	"pgregory.net/rapid"

	"github.com/primlab/primlab/scenario"
)

// Config sets up a fuzz run.
type Config struct {
	Seed   uint64
	Shard  int // this shard, 0-based
	Shards int // number of shards (default 1)
	Cases  int // cases to try (default 100)
	// Steps is the average number of steps of a model-mode scenario (default 25).
	Steps int
	// Mutant names a Mutator to plant in the reference server ("" = the reference itself).
	Mutant string
	// Run carries the target options of package scenario (Target, Domain, Accounts) when the
	// fuzzer drives an external server; Seed and Server are set by the fuzzer.
	Run scenario.Options
	// Progress, if set, is called after each case.
	Progress func(cases, findings int)
}

// shardSeed derives the seed a shard runs with, so that shards explore different cases and a
// shard is reproducible on its own.
func (c Config) shardSeed() uint64 {
	if c.Shards <= 1 {
		return c.Seed
	}
	return c.Seed ^ (uint64(c.Shard+1) * 0x9e3779b97f4a7c15)
}

func (c *Config) defaults() {
	if c.Shards <= 0 {
		c.Shards = 1
	}
	if c.Cases <= 0 {
		c.Cases = 100
	}
	if c.Steps <= 0 {
		c.Steps = 25
	}
}

// modelUsers are the users of a model-mode scenario: one domain, three principals.
var modelUsers = []string{"alice@example.com", "bob@example.com", "carol@example.com"}

// Model runs model-based fuzzing: rapid generates scenarios as a state machine over the
// commands of package scenario, the abstract model (scenario.Model) says what each user must
// observe, and the scenario runs against the reference server (or a target). On the first
// mismatch rapid shrinks the sequence; the finding carries the minimal scenario, with the
// model's expectations, cut after the first step that differs. Against a target (cfg.Run) each
// case starts with ResetSteps, since a real server keeps its state between cases; every step
// then takes a second of wall time.
func Model(cfg Config) (*Report, error) {
	cfg.defaults()
	factory, err := Factory(cfg.Mutant)
	if err != nil {
		return nil, err
	}
	opts := cfg.Run
	opts.Server = factory
	rep := &Report{Mode: ModeModel, Seed: cfg.Seed, Shard: cfg.Shard, Shards: cfg.Shards, Target: target(cfg)}
	var last *Finding
	var harnessErr error
	firstFail := 0 // the case that failed first; later runs are rapid shrinking it
	prop := func(t *rapid.T) {
		sc := GenScript(t)
		if cfg.Run.Target != "" {
			// A real server keeps its state from case to case: start each case by putting it
			// back where the model starts.
			sc.Steps = append(append([]scenario.Step{sc.Steps[0]}, ResetSteps()...), sc.Steps[1:]...)
		}
		exp, err := scenario.Expect(sc)
		if err != nil {
			t.Skip("outside the model: " + err.Error())
		}
		opts.Seed = cfg.shardSeed()
		res, err := scenario.Run(exp, opts)
		if err != nil {
			harnessErr = err
			t.Fatalf("harness: %v", err)
		}
		rep.Cases++
		if cfg.Progress != nil {
			cfg.Progress(rep.Cases, len(rep.Findings))
		}
		if !res.Failed() {
			return
		}
		cut := *exp
		for i, s := range res.Steps {
			if !s.OK() {
				cut.Steps = exp.Steps[:i+1]
				break
			}
		}
		diff := scenario.Diff(res)
		cut.Header = "Found by primlab fuzz --mode model (seed " + strconv.FormatUint(cfg.Seed, 10) + ", target " + target(cfg) +
			"): the last step's observations differ from the abstract model's.\n" +
			"The expectations below are the model's (prim-digest.md §4, §5, §7.5)."
		if firstFail == 0 {
			firstFail = rep.Cases
		}
		last = &Finding{Mode: ModeModel, Kind: "mismatch", Seed: cfg.Seed, Case: firstFail,
			Summary: firstLine(diff), Detail: diff, Script: &cut}
		t.Fatalf("observed differs from the model:\n%s", diff)
	}
	if _, err := checkRapid(cfg.shardSeed(), cfg.Cases, cfg.Steps, prop); err != nil {
		return nil, err
	}
	if harnessErr != nil {
		return rep, fmt.Errorf("fuzz: model: %w", harnessErr)
	}
	if last != nil {
		last.Summary = fmt.Sprintf("%d-step scenario: %s", len(last.Script.Steps), last.Summary)
		rep.Findings = append(rep.Findings, *last)
	}
	return rep, nil
}

func target(cfg Config) string {
	switch {
	case cfg.Run.Target != "":
		return cfg.Run.Target
	case cfg.Mutant != "":
		return "reference+" + cfg.Mutant
	}
	return "reference"
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "- ") || strings.HasPrefix(strings.TrimSpace(l), "+ ") || strings.HasPrefix(strings.TrimSpace(l), "! ") {
			return strings.TrimSpace(l)
		}
	}
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// ResetSteps returns steps that bring the model's users back to a fresh state on a server
// that keeps state between cases: every user logs in, restores the default ACLs (Decision
// D15), sets an empty "close" class, removes its tuples in both classes and logs out, which
// ends its subscriptions and LISTENs (Decision D31).
func ResetSteps() []scenario.Step {
	var out []scenario.Step
	add := func(cmd string, args []string, opts ...scenario.Opt) {
		out = append(out, scenario.Step{Cmd: cmd, Args: args, Opts: opts})
	}
	for _, u := range modelUsers {
		add("login", []string{u})
		add("setacl", []string{u}, scenario.Opt{Key: ".", Value: "fetch,subscribe"})
		add("setacl", []string{u}, scenario.Opt{Key: "service", Value: "im"}, scenario.Opt{Key: ".", Value: "send"})
		add("setclasstable", []string{u}, scenario.Opt{Key: "close", Value: ""})
		for _, tid := range []string{"im", "phone"} {
			add("remove", []string{u}, scenario.Opt{Key: "tuple", Value: tid})
			add("remove", []string{u}, scenario.Opt{Key: "tuple", Value: tid}, scenario.Opt{Key: "class", Value: "close"})
		}
		add("logout", []string{u})
	}
	return out
}

// GenScript draws a single-domain scenario as a rapid state machine: each action appends one
// step whose arguments fit the state so far (who is logged in), and shrinking removes steps
// and simplifies arguments.
func GenScript(t *rapid.T) *scenario.Script {
	sc := &scenario.Script{Name: "generated"}
	add := func(cmd string, args []string, opts ...scenario.Opt) {
		sc.Steps = append(sc.Steps, scenario.Step{Line: len(sc.Steps)*3 + 1, Cmd: cmd, Args: args, Opts: opts})
	}
	add("users", modelUsers)
	logged := map[string]bool{}
	user := rapid.SampledFrom(modelUsers)
	tuple := rapid.SampledFrom([]string{"im", "phone"})
	loggedUser := func(t *rapid.T) string {
		var in []string
		for _, u := range modelUsers {
			if logged[u] {
				in = append(in, u)
			}
		}
		if len(in) == 0 {
			t.Skip("nobody logged in")
		}
		return rapid.SampledFrom(in).Draw(t, "user")
	}
	class := func(t *rapid.T) []scenario.Opt {
		if c := rapid.SampledFrom([]string{"", "close", ""}).Draw(t, "class"); c != "" {
			return []scenario.Opt{{Key: "class", Value: c}}
		}
		return nil
	}
	n := 0
	actions := map[string]func(*rapid.T){
		"login": func(t *rapid.T) {
			u := user.Draw(t, "user")
			if logged[u] {
				t.Skip("already logged in")
			}
			logged[u] = true
			add("login", []string{u})
		},
		"logout": func(t *rapid.T) {
			if rapid.IntRange(0, 3).Draw(t, "logout-now") != 0 {
				t.Skip("logout is rarer than other steps: it ends subscriptions")
			}
			u := loggedUser(t)
			logged[u] = false
			add("logout", []string{u})
		},
		"publish": func(t *rapid.T) {
			u := loggedUser(t)
			typ := rapid.SampledFrom([]string{"permanent", "leased", "permanent", "leased", "renew", "revert"}).Draw(t, "type")
			opts := []scenario.Opt{{Key: "tuple", Value: tuple.Draw(t, "tuple")}}
			if typ == "permanent" || typ == "leased" {
				opts = append(opts, scenario.Opt{Key: "status", Value: rapid.SampledFrom([]string{"open", "closed"}).Draw(t, "status")})
			}
			if typ != "permanent" {
				opts = append(opts, scenario.Opt{Key: "type", Value: typ})
			}
			if typ == "leased" || typ == "renew" {
				opts = append(opts, scenario.Opt{Key: "duration", Value: rapid.SampledFrom([]string{"30", "60", "90"}).Draw(t, "duration")})
			}
			if rapid.Bool().Draw(t, "note") {
				n++
				opts = append(opts, scenario.Opt{Key: "note", Value: "n" + strconv.Itoa(n)})
			}
			add("publish", []string{u}, append(opts, class(t)...)...)
		},
		"remove": func(t *rapid.T) {
			u := loggedUser(t)
			add("remove", []string{u}, append([]scenario.Opt{{Key: "tuple", Value: tuple.Draw(t, "tuple")}}, class(t)...)...)
		},
		"setclasstable": func(t *rapid.T) {
			u := loggedUser(t)
			var ws []string
			for _, w := range modelUsers {
				if w != u && rapid.Bool().Draw(t, "in-close") {
					ws = append(ws, w)
				}
			}
			opts := []scenario.Opt{{Key: "close", Value: strings.Join(ws, ",")}}
			if rapid.Bool().Draw(t, "domain-class") {
				opts = append(opts, scenario.Opt{Key: "colleagues", Value: "@example.com"})
			}
			add("setclasstable", []string{u}, opts...)
		},
		"setacl": func(t *rapid.T) {
			u := loggedUser(t)
			var opts []scenario.Opt
			im := rapid.Bool().Draw(t, "inbox")
			rights := []string{"none", "fetch", "subscribe", "fetch,subscribe"}
			if im {
				opts = append(opts, scenario.Opt{Key: "service", Value: "im"})
				rights = []string{"none", "send"}
			}
			for _, w := range modelUsers {
				if w != u && rapid.Bool().Draw(t, "entry") {
					opts = append(opts, scenario.Opt{Key: w, Value: rapid.SampledFrom(rights).Draw(t, "rights")})
				}
			}
			opts = append(opts, scenario.Opt{Key: ".", Value: rapid.SampledFrom(rights).Draw(t, "everyone")})
			add("setacl", []string{u}, opts...)
		},
		"subscribe": func(t *rapid.T) {
			w := loggedUser(t)
			add("subscribe", []string{w, user.Draw(t, "presentity")},
				scenario.Opt{Key: "duration", Value: rapid.SampledFrom([]string{"30", "60", "600", "3600"}).Draw(t, "duration")})
		},
		"unsubscribe": func(t *rapid.T) {
			add("unsubscribe", []string{loggedUser(t), user.Draw(t, "presentity")})
		},
		"fetch": func(t *rapid.T) {
			add("fetch", []string{loggedUser(t), user.Draw(t, "presentity")})
		},
		"listen":  func(t *rapid.T) { add("listen", []string{loggedUser(t)}) },
		"silence": func(t *rapid.T) { add("silence", []string{loggedUser(t)}) },
		"send": func(t *rapid.T) {
			n++
			add("send", []string{loggedUser(t), user.Draw(t, "to")}, scenario.Opt{Key: "body", Value: "m" + strconv.Itoa(n)})
		},
		"advance": func(t *rapid.T) {
			add("advance", []string{rapid.SampledFrom([]string{"10s", "29s", "30s", "59s", "61s", "120s"}).Draw(t, "by")})
		},
	}
	// Publications and subscriptions drive most of what watchers observe: weight them up.
	actions["publish-again"] = actions["publish"]
	actions["subscribe-again"] = actions["subscribe"]
	t.Repeat(actions)
	return sc
}
