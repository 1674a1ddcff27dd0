package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/primlab/primlab/suite/harness"
	"github.com/primlab/primlab/suite/mutants"
)

// primlab selftest: the mutation self-test (suite/mutants). Every mutant of the reference
// server runs the server-role and s2s-role suites, every mutant of the reference user agent
// the client-role suite, each in a child process (this binary again, with PRIMLAB_MUTANT
// set); the matrix shows which cases kill which mutant.

func init() {
	register(command{name: "selftest", summary: "mutation self-test: run the suite against broken reference servers and user agents and print the kill matrix", run: runSelftest})
}

// selftestChild returns the command line of a child: this binary's selftest subcommand (tests
// replace it with their own test binary).
var selftestChild = func() ([]string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return []string{exe, "selftest"}, nil
}

func runSelftest(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if os.Getenv(mutants.EnvMutant) != "" {
		// Child: run the suite against one mutant and write its verdicts.
		if _, err := mutants.RunChild(&conformT{}, ""); err != nil {
			fmt.Fprintf(stderr, "primlab selftest: %v\n", err)
			return exitHarness
		}
		return exitOK
	}
	fs := flag.NewFlagSet("selftest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: primlab selftest [--parallel N] [--role server|client] [--mutant NAME ...] [--killers]\n\n"+
			"Runs the suites against the clean reference and against each mutant (a reference\n"+
			"server or user agent broken in one behaviour: server mutants are judged by the server\n"+
			"and s2s suites, user-agent mutants, named ua-*, by the client suite) and prints the\n"+
			"kill matrix. Exit 1 when a defect survives, a control is killed or the clean\n"+
			"reference fails a case.\n\nflags:")
		fs.PrintDefaults()
	}
	var names conformList
	parallel := fs.Int("parallel", 2, "mutants run at `once`")
	killers := fs.Bool("killers", false, "list every killing case of every mutant")
	list := fs.Bool("list", false, "list the mutants and exit")
	role := fs.String("role", "", "run only the mutants of this `role`: server (reference server) or client (reference user agent)")
	fs.Var(&names, "mutant", "run only this mutant `name` (repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "primlab selftest: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *role != "" && *role != harness.RoleServer && *role != harness.RoleClient {
		fmt.Fprintf(stderr, "primlab selftest: --role %q: want server or client\n", *role)
		return exitUsage
	}
	var all []mutants.Mutant
	for _, m := range mutants.All() {
		if *role == "" || m.Target() == *role {
			all = append(all, m)
		}
	}
	if *list {
		for _, m := range all {
			kind := "defect"
			if m.Equivalent {
				kind = "control"
			}
			fmt.Fprintf(stdout, "%-36s %-6s %-8s %s\n", m.Name, m.Target(), kind, m.Breaks)
		}
		return exitOK
	}
	selected := all
	if len(names) > 0 {
		selected = nil
		for _, n := range names {
			m, ok := mutants.Lookup(n)
			if !ok {
				fmt.Fprintf(stderr, "primlab selftest: --mutant %q: no such mutant (primlab selftest --list)\n", n)
				return exitUsage
			}
			selected = append(selected, m)
		}
	}
	argv, err := selftestChild()
	if err != nil {
		fmt.Fprintf(stderr, "primlab selftest: %v\n", err)
		return exitHarness
	}
	mx, err := mutants.Run(selected, mutants.ExecRunner(argv...), *parallel)
	if err != nil {
		fmt.Fprintf(stderr, "primlab selftest: %v\n", err)
		return exitHarness
	}
	mx.Print(stdout)
	if *killers {
		mx.PrintKillers(stdout)
	}
	code := exitOK
	if len(mx.CleanNotPassing()) > 0 {
		code = exitFail
	}
	for _, r := range mx.Rows {
		if r.Err != nil {
			return exitHarness
		}
		if r.Mutant.Equivalent == r.Killed() || len(r.Missed) > 0 {
			code = exitFail
		}
	}
	return code
}
