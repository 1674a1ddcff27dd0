package scenario

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Script is one scenario: a prose header saying what it shows, then steps.
type Script struct {
	Name   string // file name, for messages
	Header string // the prose before the first step, verbatim
	Steps  []Step
}

// Step is one command and the observations expected while it runs.
type Step struct {
	Line   int      // 1-based line of the command in the file
	Cmd    string   // command name: users, login, publish, ...
	Args   []string // positional arguments
	Opts   []Opt    // key=value arguments, in the order written
	Expect []string // expected observation lines, sorted
}

// Opt is one key=value argument. A value may be written in Go quoted form ("at lunch").
type Opt struct{ Key, Value string }

// Opt returns the value of key and whether it was given.
func (s Step) Opt(key string) (string, bool) {
	for _, o := range s.Opts {
		if o.Key == key {
			return o.Value, true
		}
	}
	return "", false
}

// OptOr returns the value of key or def.
func (s Step) OptOr(key, def string) string {
	if v, ok := s.Opt(key); ok {
		return v
	}
	return def
}

// CommandLine renders the step's command as it is written in a script.
func (s Step) CommandLine() string {
	var b strings.Builder
	b.WriteString(s.Cmd)
	for _, a := range s.Args {
		b.WriteByte(' ')
		b.WriteString(quoteIfNeeded(a))
	}
	for _, o := range s.Opts {
		b.WriteByte(' ')
		b.WriteString(o.Key)
		b.WriteByte('=')
		b.WriteString(quoteIfNeeded(o.Value))
	}
	return b.String()
}

func quoteIfNeeded(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\"\\=") || !isPrint(v) {
		return strconv.Quote(v)
	}
	return v
}

func isPrint(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// separator ends a step's command and starts its expected observations.
const separator = "----"

// Load reads and parses a script file.
func Load(path string) (*Script, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a script. The format (datadriven style):
//
//	Free prose: what the scenario shows and which statements it checks.
//	Any number of lines, up to the first step.
//
//	login alice@example.com
//	----
//	alice@example.com: login 200
//
//	# a comment between steps
//	advance 61s
//	----
//
// A step is a command line followed by a line "----", then its expected observation lines up
// to the next blank line. Lines starting with "#" between steps are comments.
func Parse(name string, data []byte) (*Script, error) {
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	sc := &Script{Name: name}
	first := -1
	for i := 0; i+1 < len(lines); i++ {
		if strings.TrimSpace(lines[i+1]) == separator && strings.TrimSpace(lines[i]) != "" {
			first = i
			break
		}
	}
	if first < 0 {
		return nil, fmt.Errorf("scenario %s: no step (a command line followed by %q)", name, separator)
	}
	sc.Header = strings.TrimRight(strings.Join(lines[:first], "\n"), "\n ")
	for i := first; i < len(lines); {
		text := strings.TrimSpace(lines[i])
		if text == "" || strings.HasPrefix(text, "#") {
			i++
			continue
		}
		if i+1 >= len(lines) || strings.TrimSpace(lines[i+1]) != separator {
			return nil, fmt.Errorf("scenario %s:%d: command %q is not followed by %q", name, i+1, text, separator)
		}
		st, err := parseCommand(text)
		if err != nil {
			return nil, fmt.Errorf("scenario %s:%d: %w", name, i+1, err)
		}
		st.Line = i + 1
		i += 2
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
			st.Expect = append(st.Expect, strings.TrimSpace(lines[i]))
			i++
		}
		sort.Strings(st.Expect)
		sc.Steps = append(sc.Steps, st)
	}
	return sc, nil
}

// parseCommand splits "cmd arg key=value key=\"quoted value\"".
func parseCommand(text string) (Step, error) {
	var st Step
	toks, err := tokenize(text)
	if err != nil {
		return st, err
	}
	st.Cmd = toks[0].text
	for _, t := range toks[1:] {
		if t.key != "" {
			st.Opts = append(st.Opts, Opt{Key: t.key, Value: t.text})
		} else {
			st.Args = append(st.Args, t.text)
		}
	}
	return st, nil
}

type token struct{ key, text string }

func tokenize(s string) ([]token, error) {
	var out []token
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		var t token
		// key=
		if i := strings.IndexAny(s, "= \t\""); i > 0 && s[i] == '=' {
			t.key = s[:i]
			s = s[i+1:]
		}
		if strings.HasPrefix(s, `"`) {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, fmt.Errorf("bad quoted value in %q: %w", s, err)
			}
			t.text, _ = strconv.Unquote(q)
			s = s[len(q):]
		} else {
			end := strings.IndexAny(s, " \t")
			if end < 0 {
				end = len(s)
			}
			t.text = s[:end]
			s = s[end:]
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty command")
	}
	if out[0].key != "" {
		return nil, fmt.Errorf("command %q starts with an option", s)
	}
	return out, nil
}

// Format renders a script in the file format; Parse(Format(s)) gives s back.
func Format(s *Script) []byte {
	var b bytes.Buffer
	if s.Header != "" {
		b.WriteString(s.Header)
		b.WriteString("\n\n")
	}
	for _, st := range s.Steps {
		b.WriteString(st.CommandLine())
		b.WriteString("\n" + separator + "\n")
		for _, e := range st.Expect {
			b.WriteString(e)
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// WriteFile writes s to path.
func WriteFile(path string, s *Script) error {
	if err := os.WriteFile(path, Format(s), 0o644); err != nil {
		return fmt.Errorf("scenario: writing %s: %w", path, err)
	}
	return nil
}
