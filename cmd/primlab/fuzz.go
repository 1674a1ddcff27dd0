package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/primlab/primlab/fuzz"
	"github.com/primlab/primlab/scenario"
)

func init() {
	register(command{
		name:    "fuzz",
		summary: "model-based, message and fault fuzzing of a PRIM server (--mode model|wire|sim)",
		run:     runFuzz,
	})
}

// fuzzBatch is how many cases one seed runs when the budget is a duration.
const fuzzBatch = 50

// fuzzBudget is --budget: a number of cases or a wall-clock duration.
type fuzzBudget struct {
	cases int
	span  time.Duration
}

func parseBudget(v string) (fuzzBudget, error) {
	if n, err := strconv.Atoi(v); err == nil {
		if n <= 0 {
			return fuzzBudget{}, fmt.Errorf("--budget %q: want a positive number of cases or a duration", v)
		}
		return fuzzBudget{cases: n}, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fuzzBudget{}, fmt.Errorf("--budget %q: want a positive number of cases (200) or a duration (30s)", v)
	}
	return fuzzBudget{span: d}, nil
}

func parseShard(v string) (int, int, error) {
	a, b, ok := strings.Cut(v, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n <= 0 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q: want i/n with 0 <= i < n", v)
	}
	return i, n, nil
}

func runFuzz(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "", "model (rapid state machine against the abstract model), wire (mutated messages) or sim (faults)")
	seed := fs.Uint64("seed", 1, "seed: a seed and shard fix every case")
	budgetText := fs.String("budget", "100", "number of cases, or a wall-clock duration (30s) run in batches of 50 cases with seeds seed, seed+1, ...")
	shardText := fs.String("shard", "0/1", "run shard `i/n` of the campaign")
	out := fs.String("out", "fuzz-findings", "write findings (JSON) and their scenario scripts or inputs under `DIR`")
	mutant := fs.String("mutant", "", "plant a known bug in the simulated reference: "+strings.Join(fuzz.MutatorNames(), ", "))
	target := fs.String("target", "", "model and wire modes: an external server's client listener `HOST:PORT`")
	domain := fs.String("domain", "", "the target's `DOMAIN` (standing in for example.com)")
	accounts := accountFlags{}
	fs.Var(accounts, "account", "`USER:PASSWORD` on the target: alice, bob and carol (model), alice and bob (wire) (repeatable)")
	input := fs.String("input", "", "wire mode: replay one input `FILE` instead of generating")
	progress := fs.String("progress", "auto", "progress line on stderr: auto (when stderr is a terminal), on or off")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: primlab fuzz --mode model|wire|sim [--seed N] [--budget N|D] [--shard i/n] [--out DIR] [--mutant NAME]")
		fmt.Fprintln(stderr, "\nmodel: rapid generates scenarios; the abstract model of presence and IM says what each user must")
		fmt.Fprintln(stderr, "       observe; a mismatch is shrunk and written as a scenario script (replay it with primlab replay).")
		fmt.Fprintln(stderr, "wire:  mutated PRIM messages, odd splits and pipelined bursts; a probe LOGIN on a second connection")
		fmt.Fprintln(stderr, "       checks the server still serves; crashes, hangs, unknown response ids and replies to \"-\".")
		fmt.Fprintln(stderr, "sim:   random federations with partitions, crashes and restarts, checked against invariants.")
		fmt.Fprintln(stderr, "Exit 0: nothing found; 1: findings (see --out); 2: bad flags; 3: harness failure.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "primlab fuzz: "+format+"\n", a...)
		return code
	}
	if fs.NArg() > 0 {
		return fail(exitUsage, "unexpected arguments %q", fs.Args())
	}
	if *mode != fuzz.ModeModel && *mode != fuzz.ModeWire && *mode != fuzz.ModeSim {
		return fail(exitUsage, "--mode %q: want model, wire or sim", *mode)
	}
	budget, err := parseBudget(*budgetText)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	shard, shards, err := parseShard(*shardText)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if *mutant != "" {
		if _, err := fuzz.Factory(*mutant); err != nil {
			return fail(exitUsage, "%v", err)
		}
	}
	if *target != "" && *mode == fuzz.ModeSim {
		return fail(exitUsage, "--target: sim mode plays every domain with simulated reference servers")
	}
	if *target != "" && *mutant != "" {
		return fail(exitUsage, "--mutant changes the simulated reference; it does not apply to a target")
	}
	if *input != "" && *mode != fuzz.ModeWire {
		return fail(exitUsage, "--input is for wire mode")
	}
	if *target != "" {
		need := []string{"alice", "bob", "carol"}
		if *mode == fuzz.ModeWire {
			need = need[:2]
		}
		for _, u := range need {
			if _, ok := accounts[u]; !ok {
				return fail(exitUsage, "--target needs --account %s:PASSWORD (the fuzzer plays %s)", u, strings.Join(need, ", "))
			}
		}
	}
	showProgress := false
	switch *progress {
	case "auto":
		showProgress = stderrIsTerminal(stderr)
	case "on":
		showProgress = true
	case "off":
	default:
		return fail(exitUsage, "--progress %q: want auto, on or off", *progress)
	}
	cfg := fuzz.Config{Seed: *seed, Shard: shard, Shards: shards, Mutant: *mutant,
		Run: scenario.Options{Target: *target, Domain: *domain, Accounts: accounts}}
	replayFlags := ""
	if *mutant != "" {
		replayFlags = "--mutant " + *mutant
	}
	if *target != "" {
		replayFlags = "--target " + *target
		if *domain != "" {
			replayFlags += " --domain " + *domain
		}
	}

	if *input != "" {
		data, err := os.ReadFile(*input)
		if err != nil {
			return fail(exitUsage, "%v", err)
		}
		f, err := fuzz.WireInput(cfg, data)
		if err != nil {
			return fail(exitHarness, "%v", err)
		}
		if f == nil {
			fmt.Fprintf(stdout, "ok: the input shows nothing (%d octets)\n", len(data))
			return exitOK
		}
		fmt.Fprintf(stdout, "%s: %s\n", f.Kind, f.Detail)
		return exitFail
	}

	started := time.Now()
	total := &fuzz.Report{Mode: *mode, Seed: *seed, Shard: shard, Shards: shards}
	runOnce := func(c fuzz.Config) (*fuzz.Report, error) {
		base := total.Cases
		if showProgress {
			c.Progress = func(cases, found int) {
				fmt.Fprintf(stderr, "\rprimlab fuzz: %s seed %d: %d cases, %d findings, %s", *mode, c.Seed, base+cases, len(total.Findings)+found, time.Since(started).Round(time.Second))
			}
		}
		switch *mode {
		case fuzz.ModeModel:
			return fuzz.Model(c)
		case fuzz.ModeWire:
			return fuzz.Wire(c)
		}
		return fuzz.Sim(c)
	}
	for batch := uint64(0); ; batch++ {
		c := cfg
		if budget.cases > 0 {
			c.Cases = budget.cases
		} else {
			c.Cases = fuzzBatch
			c.Seed = *seed + batch
		}
		rep, err := runOnce(c)
		if rep != nil {
			total.Cases += rep.Cases
			total.Messages += rep.Messages
			total.Target = rep.Target
			total.Findings = append(total.Findings, rep.Findings...)
		}
		if err != nil {
			if showProgress {
				fmt.Fprintln(stderr)
			}
			return fail(exitHarness, "%v", err)
		}
		if budget.cases > 0 || len(total.Findings) > 0 || time.Since(started) >= budget.span {
			break
		}
	}
	elapsed := time.Since(started)
	if showProgress {
		fmt.Fprintln(stderr)
	}
	if err := total.Write(*out, replayFlags); err != nil {
		return fail(exitHarness, "%v", err)
	}
	fmt.Fprintf(stdout, "fuzz %s: target %s, seed %d, shard %d/%d: %d cases", *mode, total.Target, *seed, shard, shards, total.Cases)
	if total.Messages > 0 {
		fmt.Fprintf(stdout, ", %d messages", total.Messages)
	}
	fmt.Fprintf(stdout, ", %d findings\n", len(total.Findings))
	if secs := elapsed.Seconds(); secs > 0 {
		fmt.Fprintf(stderr, "primlab fuzz: %.1f s wall, %.0f cases/s", secs, float64(total.Cases)/secs)
		if total.Messages > 0 {
			fmt.Fprintf(stderr, ", %.0f messages/s", float64(total.Messages)/secs)
		}
		fmt.Fprintln(stderr)
	}
	for _, f := range total.Findings {
		fmt.Fprintf(stdout, "%s [%s]: %s\n", f.Mode, f.Kind, f.Summary)
		if f.Replay != "" {
			fmt.Fprintf(stdout, "  replay: %s\n", f.Replay)
		}
	}
	if len(total.Findings) > 0 {
		return exitFail
	}
	return exitOK
}

// stderrIsTerminal reports whether w is a character device (a terminal), where the progress
// line belongs.
func stderrIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
