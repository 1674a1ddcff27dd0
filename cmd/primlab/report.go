package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/primlab/primlab/reports"
)

func init() {
	register(command{name: "report", summary: "merge shard results, render reports, check conformance, write baselines", run: runReport})
}

const reportUsage = `usage:
  primlab report merge --out FILE IN.json IN.json...     join shard results (same run, disjoint cases)
  primlab report render --in results.json --format html|junit|md|json [--out FILE]
  primlab report check --in results.json [--strict]      exit 0 if conformant, 1 if not
  primlab report baseline --in results.json --out FILE   write the failing cases as a baseline (.yaml or .json)
`

func runReport(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, reportUsage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	var code int
	var err error
	switch args[0] {
	case "merge":
		err = reportMerge(args[1:], stderr)
	case "render":
		err = reportRender(args[1:], stdout, stderr)
	case "check":
		code, err = reportCheck(args[1:], stdout, stderr)
	case "baseline":
		err = reportBaseline(args[1:], stderr)
	default:
		err = usagef("unknown report subcommand %q", args[0])
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case err != nil && isUsage(err):
		fmt.Fprintf(stderr, "primlab report: %v\n\n%s", err, reportUsage)
		return exitUsage
	case err != nil:
		// Unreadable, invalid or conflicting input files are configuration errors.
		fmt.Fprintf(stderr, "primlab report: %v\n", err)
		return exitUsage
	}
	return code
}

func reportFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("primlab report "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags wraps flag errors as usage errors, keeping -h as flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}

func reportMerge(args []string, stderr io.Writer) error {
	fs := reportFlags("merge", stderr)
	out := fs.String("out", "", "write the merged results.json here (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("merge: --out is required")
	}
	if fs.NArg() == 0 {
		return usagef("merge: no input files")
	}
	var shards []*reports.Results
	for _, path := range fs.Args() {
		r, err := reports.ReadResults(path)
		if err != nil {
			return err
		}
		shards = append(shards, r)
	}
	cat, err := reports.LoadCatalogue()
	if err != nil {
		return err
	}
	merged, err := reports.Merge(cat, shards...)
	if err != nil {
		return err
	}
	data, err := reports.MarshalResults(merged)
	if err != nil {
		return err
	}
	return writeOut(*out, data, nil)
}

func reportRender(args []string, stdout, stderr io.Writer) error {
	fs := reportFlags("render", stderr)
	in := fs.String("in", "", "results.json to render (required)")
	format := fs.String("format", "", "html, junit, md or json (required)")
	out := fs.String("out", "", "output file (default: standard output)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" || *format == "" || fs.NArg() > 0 {
		return usagef("render: --in and --format are required, and nothing else")
	}
	switch *format {
	case reports.FormatHTML, reports.FormatJUnit, reports.FormatMarkdown, reports.FormatJSON:
	default:
		return usagef("render: unknown format %q (want html, junit, md or json)", *format)
	}
	r, err := reports.ReadResults(*in)
	if err != nil {
		return err
	}
	data, err := reports.Render(r, *format)
	if err != nil {
		return err
	}
	return writeOut(*out, data, stdout)
}

func reportCheck(args []string, stdout, stderr io.Writer) (int, error) {
	fs := reportFlags("check", stderr)
	in := fs.String("in", "", "results.json to judge (required)")
	strict := fs.Bool("strict", false, "SHOULD cases count too (default: the run's own setting)")
	if err := parseFlags(fs, args); err != nil {
		return 0, err
	}
	if *in == "" || fs.NArg() > 0 {
		return 0, usagef("check: --in is required, and nothing else")
	}
	r, err := reports.ReadResults(*in)
	if err != nil {
		return 0, err
	}
	s := *strict || r.Run.Strict
	verdict := "conformant"
	if !r.Conformant(s) {
		verdict = "not conformant"
	}
	mode := "MUST"
	if s {
		mode = "MUST and SHOULD"
	}
	fmt.Fprintf(stdout, "%s: %s (judged on %s; %d cases", r.Run.Target, verdict, mode, len(r.Cases))
	for _, v := range []reports.Verdict{reports.Pass, reports.Fail, reports.Error, reports.NotApplicable, reports.ExpectedFail, reports.UnexpectedPass} {
		if n := r.Summary.Cases[v]; n > 0 {
			fmt.Fprintf(stdout, ", %d %s", n, v)
		}
	}
	fmt.Fprintln(stdout, ")")
	return r.ExitCode(s), nil
}

func reportBaseline(args []string, stderr io.Writer) error {
	fs := reportFlags("baseline", stderr)
	in := fs.String("in", "", "results.json whose failing cases become the baseline (required)")
	out := fs.String("out", "", "baseline file to write, .yaml or .json (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" || *out == "" || fs.NArg() > 0 {
		return usagef("baseline: --in and --out are required, and nothing else")
	}
	r, err := reports.ReadResults(*in)
	if err != nil {
		return err
	}
	return reports.WriteBaseline(*out, r)
}

// writeOut writes data to path, or to stdout when path is empty or "-".
func writeOut(path string, data []byte, stdout io.Writer) error {
	if path == "" || path == "-" {
		if stdout == nil {
			return usagef("an output file is required")
		}
		_, err := stdout.Write(data)
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", strings.TrimSpace(path), err)
	}
	return nil
}
