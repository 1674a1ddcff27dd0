package fuzz

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

// rapid.Check wants a testing.TB-like value and reads its settings (number of checks, seed)
// from its command-line flags. Outside `go test` this file provides both: a small TB that
// records what rapid reports, and a setup that gives rapid's flags values.

var prepareOnce sync.Once

// prepareRapid makes rapid usable outside a test binary: testing.Short, which rapid calls,
// needs the testing flags registered and the command line parsed.
func prepareRapid() {
	prepareOnce.Do(func() {
		if !flag.Parsed() {
			testing.Init()
			_ = flag.CommandLine.Parse(nil)
		}
	})
}

// rapidMu serialises runs: rapid's settings are process-wide flags.
var rapidMu sync.Mutex

// checkRapid runs prop for checks cases from seed and returns what rapid reported when a case
// failed ("" when all passed).
func checkRapid(seed uint64, checks, steps int, prop func(*rapid.T)) (report string, err error) {
	prepareRapid()
	rapidMu.Lock()
	defer rapidMu.Unlock()
	set := func(name, v string) {
		if e := flag.CommandLine.Set(name, v); e != nil && err == nil {
			err = fmt.Errorf("fuzz: setting rapid flag %s: %w", name, e)
		}
	}
	if seed == 0 {
		seed = 1 // rapid takes 0 as "pick one at random"
	}
	set("rapid.checks", strconv.Itoa(checks))
	set("rapid.seed", strconv.FormatUint(seed, 10))
	set("rapid.steps", strconv.Itoa(steps))
	set("rapid.nofailfile", "true")
	set("rapid.failfile", "")
	if err != nil {
		return "", err
	}
	tb := &recordTB{name: "primlab-fuzz-model"}
	func() {
		defer func() {
			if r := recover(); r != nil && r != errStopTB {
				panic(r)
			}
		}()
		rapid.Check(tb, prop)
	}()
	if !tb.failed {
		return "", nil
	}
	return strings.Join(tb.logs, "\n"), nil
}

var errStopTB = new(int)

// recordTB is the rapid.TB used outside tests: it keeps the messages and stops on FailNow.
type recordTB struct {
	name   string
	failed bool
	logs   []string
}

func (t *recordTB) Helper()      {}
func (t *recordTB) Name() string { return t.name }
func (t *recordTB) Logf(format string, args ...any) {
	t.logs = append(t.logs, fmt.Sprintf(format, args...))
}
func (t *recordTB) Log(args ...any) { t.logs = append(t.logs, fmt.Sprint(args...)) }
func (t *recordTB) Skipf(format string, args ...any) {
	t.Logf(format, args...)
	panic(errStopTB)
}
func (t *recordTB) Skip(args ...any) { t.Log(args...); panic(errStopTB) }
func (t *recordTB) SkipNow()         { panic(errStopTB) }
func (t *recordTB) Errorf(format string, args ...any) {
	t.failed = true
	t.Logf(format, args...)
}
func (t *recordTB) Error(args ...any) { t.failed = true; t.Log(args...) }
func (t *recordTB) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	panic(errStopTB)
}
func (t *recordTB) Fatal(args ...any) { t.Error(args...); panic(errStopTB) }
func (t *recordTB) FailNow()          { t.failed = true; panic(errStopTB) }
func (t *recordTB) Fail()             { t.failed = true }
func (t *recordTB) Failed() bool      { return t.failed }
