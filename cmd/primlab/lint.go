package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/primlab/primlab/reference/wire"
)

func init() {
	register(command{
		name:    "lint",
		summary: "check a PRIM byte stream against the client or server profile",
		run:     runLint,
	})
}

// lintFinding is one problem lint reports; under --json it is printed as one JSON line.
type lintFinding struct {
	Offset    int64  `json:"offset"`
	StartLine string `json:"start_line"`
	Kind      string `json:"kind"` // "violation", "framing" or "incomplete"
	Statement string `json:"statement"`
	Decision  string `json:"decision,omitempty"`
	Header    string `json:"header,omitempty"`
	Detail    string `json:"detail"`
}

func runLint(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", "client", "profile to check against: client (I2) or server (SS)")
	asJSON := fs.Bool("json", false, "print findings as JSON lines")
	hop := fs.String("hop", "", "direction the stream's requests travel: c2s, s2c or s2s (default: not checked)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: primlab lint [--profile client|server] [--hop c2s|s2c|s2s] [--json] [FILE|-]")
		fmt.Fprintln(stderr, "\nReads a PRIM byte stream (stdin when FILE is - or absent), splits it into commands and")
		fmt.Fprintln(stderr, "prints one finding per violated statement. Exit 0: none; 1: findings; 2: bad input or flags.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "primlab lint: want at most one FILE, got %d\n", fs.NArg())
		return exitUsage
	}
	p, err := wire.ParseProfile(*profile)
	if err != nil {
		fmt.Fprintf(stderr, "primlab lint: %v\n", err)
		return exitUsage
	}
	var dir wire.Direction
	switch *hop {
	case "":
	case "c2s":
		dir = wire.ClientToServer
	case "s2c":
		dir = wire.ServerToClient
	case "s2s":
		dir = wire.ServerToServer
	default:
		fmt.Fprintf(stderr, "primlab lint: unknown hop %q (want c2s, s2c or s2s)\n", *hop)
		return exitUsage
	}
	in, name := stdin, "stdin"
	if path := fs.Arg(0); path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintf(stderr, "primlab lint: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		in, name = f, path
	}
	out := lintPrinter{w: stdout, json: *asJSON}
	commands, err := lintStream(in, p, dir, out.print)
	if err != nil {
		fmt.Fprintf(stderr, "primlab lint: reading %s: %v\n", name, err)
		return exitUsage
	}
	if out.err != nil {
		fmt.Fprintf(stderr, "primlab lint: writing findings: %v\n", out.err)
		return exitHarness
	}
	fmt.Fprintf(stderr, "%s: %d commands, %d findings (%s profile)\n", name, commands, out.n, p)
	if out.n > 0 {
		return exitFail
	}
	return exitOK
}

type lintPrinter struct {
	w    io.Writer
	json bool
	n    int
	err  error
}

func (lp *lintPrinter) print(f lintFinding) {
	lp.n++
	if lp.err != nil {
		return
	}
	if lp.json {
		b, err := json.Marshal(f)
		if err != nil {
			lp.err = err
			return
		}
		_, lp.err = fmt.Fprintf(lp.w, "%s\n", b)
		return
	}
	detail := f.Detail
	if f.Decision != "" {
		detail += " (Decision " + f.Decision + ")"
	}
	_, lp.err = fmt.Fprintf(lp.w, "offset %d: %s: %s: %s\n", f.Offset, f.StartLine, f.Statement, detail)
}

// label names a command the way findings show it: "LOGIN 0224" for a request, "response 0224
// 100" for a response.
func label(m *wire.Message) string {
	if m.IsRequest() {
		return m.Method + " " + m.ID
	}
	return "response " + m.ID + " " + strconv.Itoa(m.Code)
}

// lintStream decodes r and reports every framing error and violation to report; requests are
// also checked as travelling hop dir unless dir is 0. It returns how many commands it decoded,
// and an error only when r cannot be read.
func lintStream(r io.Reader, p wire.Profile, dir wire.Direction, report func(lintFinding)) (int, error) {
	d := wire.NewDecoder(wire.DefaultLimits())
	// Requests awaiting a response, by id: a response in the same stream is checked against
	// its request's method. Ids are per direction, so this only pairs what one stream holds.
	pending := map[string]string{}
	buf := make([]byte, 32<<10)
	commands := 0
	for {
		n, rerr := r.Read(buf)
		d.Feed(buf[:n])
		for {
			m, err := d.Next()
			if err != nil {
				var e *wire.Error
				if !errors.As(err, &e) {
					return commands, err
				}
				report(framingFinding(e))
				if e.Fatal {
					return commands, nil
				}
				continue
			}
			if m == nil {
				break
			}
			commands++
			var vs []wire.Violation
			switch method, ok := pending[m.ID]; {
			case m.IsRequest():
				if spec, known := wire.LookupMethod(p, m.Method); known && spec.Response && m.ID != wire.NoResponse {
					pending[m.ID] = m.Method
				}
				if dir != 0 {
					vs = wire.ValidateHop(m, p, dir)
				} else {
					vs = wire.Validate(m, p)
				}
			case ok:
				delete(pending, m.ID)
				vs = wire.ValidateResponse(m, p, method)
			default:
				vs = wire.Validate(m, p)
			}
			for _, v := range vs {
				report(lintFinding{Offset: d.CommandOffset(), StartLine: label(m), Kind: "violation",
					Statement: v.Statement, Decision: v.Decision, Header: v.Header, Detail: v.Detail})
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return commands, rerr
		}
	}
	if d.Buffered() > 0 {
		report(lintFinding{Offset: d.Offset(), StartLine: "-", Kind: "incomplete", Statement: "PRIM-A8.1-3",
			Detail: fmt.Sprintf("input ends inside a command (%d octets unterminated)", d.Buffered())})
	}
	return commands, nil
}

func framingFinding(e *wire.Error) lintFinding {
	start := "-"
	switch {
	case e.Method != "":
		start = e.Method + " " + e.ID
	case e.ID != "":
		start = "response " + e.ID
	}
	stmt := e.Statement
	if stmt == "" {
		stmt = "limit"
	}
	detail := e.Kind.String()
	if e.Detail != "" {
		detail += ": " + e.Detail
	}
	if e.Fatal {
		detail += " (stream cannot be resynchronised)"
	}
	return lintFinding{Offset: e.Offset, StartLine: start, Kind: "framing", Statement: stmt, Detail: detail}
}
