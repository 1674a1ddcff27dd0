package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/primlab/primlab/fuzz"
	"github.com/primlab/primlab/scenario"
	"github.com/primlab/primlab/sim"
)

func init() {
	register(command{
		name:    "replay",
		summary: "run a scenario script (fixtures/scenarios) against the reference or a target and diff what users observe",
		run:     runReplay,
	})
}

// accountFlags collects repeated --account user:password values.
type accountFlags map[string]string

func (a accountFlags) String() string { return fmt.Sprint(len(a), " accounts") }

func (a accountFlags) Set(v string) error {
	user, pw, ok := strings.Cut(v, ":")
	if !ok || user == "" {
		return fmt.Errorf("want user:password, got %q", v)
	}
	a[strings.ToLower(user)] = pw
	return nil
}

// parseInterspersed parses flags that may come before or after positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func runReplay(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "", "external server's client listener `HOST:PORT` (default: reference servers in the simulator)")
	domain := fs.String("domain", "", "the target's `DOMAIN`, standing in for the script's home domain")
	accounts := accountFlags{}
	fs.Var(accounts, "account", "`USER:PASSWORD` of a script user on the target (repeatable)")
	seed := fs.Uint64("seed", 1, "simulator seed")
	record := fs.String("record", "", "with --target: write the bridge recording to `FILE`")
	recording := fs.String("recording", "", "replay a bridge recording `FILE` instead of reaching the target")
	mutant := fs.String("mutant", "", "plant the named bug in the simulated reference (reproduces a fuzz finding); one of "+strings.Join(fuzz.MutatorNames(), ", "))
	rewrite := fs.Bool("rewrite", false, "write what was observed into the script as its expectations")
	tracePath := fs.String("trace", "", "write the simulator trace to `FILE`")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: primlab replay FILE... [--target HOST:PORT --domain D --account user:pw ...] [--record F | --recording F] [--rewrite]")
		fmt.Fprintln(stderr, "\nRuns each scenario script: reference client engines play its users against reference servers in")
		fmt.Fprintln(stderr, "the simulator (one per domain), or against the server at --target through the simulator's bridge.")
		fmt.Fprintln(stderr, "Prints a diff of expected (-) and observed (+) lines for every step that differs.")
		fmt.Fprintln(stderr, "Exit 0: all matched; 1: a difference; 2: bad flags or script; 3: target unreachable or harness failure.")
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "primlab replay: which scenario FILE?")
		return exitUsage
	}
	if *record != "" && *target == "" {
		fmt.Fprintln(stderr, "primlab replay: --record needs --target")
		return exitUsage
	}
	if *recording != "" && *target != "" {
		fmt.Fprintln(stderr, "primlab replay: --recording replays without the target: drop --target")
		return exitUsage
	}
	if *mutant != "" && (*target != "" || *recording != "") {
		fmt.Fprintln(stderr, "primlab replay: --mutant changes the simulated reference; it does not apply to a target")
		return exitUsage
	}
	factory, err := fuzz.Factory(*mutant)
	if err != nil {
		fmt.Fprintf(stderr, "primlab replay: %v\n", err)
		return exitUsage
	}
	opts := scenario.Options{Seed: *seed, Server: factory, Target: *target, Domain: *domain, Accounts: accounts}
	if *recording != "" {
		f, err := os.Open(*recording)
		if err != nil {
			fmt.Fprintf(stderr, "primlab replay: %v\n", err)
			return exitUsage
		}
		rec, err := sim.ParseRecording(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "primlab replay: %v\n", err)
			return exitUsage
		}
		opts.Replay = rec
		opts.Target = "recording"
	}
	if *tracePath != "" {
		f, err := os.Create(*tracePath)
		if err != nil {
			fmt.Fprintf(stderr, "primlab replay: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		opts.Trace = f
	}
	if *record != "" {
		f, err := os.Create(*record)
		if err != nil {
			fmt.Fprintf(stderr, "primlab replay: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		opts.Record = f
	}
	code := exitOK
	for _, path := range files {
		sc, err := scenario.Load(path)
		if err != nil {
			fmt.Fprintf(stderr, "primlab replay: %v\n", err)
			return exitUsage
		}
		res, err := scenario.Run(sc, opts)
		if err != nil {
			fmt.Fprintf(stderr, "primlab replay: %v\n", err)
			if errors.Is(err, scenario.ErrHarness) {
				return exitHarness
			}
			return exitUsage
		}
		if *rewrite {
			if err := scenario.WriteFile(path, res.Observed()); err != nil {
				fmt.Fprintf(stderr, "primlab replay: %v\n", err)
				return exitHarness
			}
			fmt.Fprintf(stdout, "rewrote %s (%d steps)\n", path, len(res.Steps))
			continue
		}
		harness := false
		for _, s := range res.Steps {
			harness = harness || strings.Contains(s.Err, scenario.ErrHarness.Error()) && opts.Target != ""
		}
		if !res.Failed() && res.Divergence == nil {
			fmt.Fprintf(stdout, "ok   %s (%d steps)\n", path, len(res.Steps))
			continue
		}
		fmt.Fprintf(stdout, "FAIL %s\n%s", path, scenario.Diff(res))
		if harness && code == exitOK {
			code = exitHarness
		} else {
			code = exitFail
		}
	}
	return code
}
