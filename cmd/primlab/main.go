// Command primlab is the conformance lab for PRIM, the IETF Presence and Instant Messaging
// Protocol: one binary whose subcommands run the conformance suite, the simulator, the
// reference server and client, the fuzzers and the report tools. This package is wiring only.
//
// Each subcommand lives in its own file and registers itself in init with register.
// Exit codes (DESIGN.md "Reports and verdicts"): 0 conformant or success, 1 non-conformant or
// findings, 2 usage or configuration error, 3 target unreachable or harness failure.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// Exit codes shared by every subcommand.
const (
	exitOK      = 0
	exitFail    = 1
	exitUsage   = 2
	exitHarness = 3
)

// command is one subcommand: run gets the arguments after the subcommand name and returns the
// process exit code.
type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("primlab: duplicate subcommand " + c.name)
	}
	commands[c.name] = c
}

// usageError marks an error caused by bad flags or arguments (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// isUsage reports whether err is a usage error.
func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "primlab: unknown command %q\n\n", args[0])
		printUsage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdin, stdout, stderr)
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: primlab <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'primlab <command> -h' for a command's flags.")
}
