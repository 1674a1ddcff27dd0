package scenario

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseFormatRoundTrip(t *testing.T) {
	src := "What this shows.\nSecond line of prose.\n\n" +
		"users alice@example.com bob@example.com\n----\n\n" +
		"# a comment\n" +
		"publish alice@example.com tuple=im note=\"at lunch\" class=close\n----\nalice@example.com: publish 200\nbob@example.com: notify alice@example.com tuples=[im=open:\"at lunch\"]\n\n" +
		"advance 61s\n----\n"
	sc, err := Parse("t", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Header != "What this shows.\nSecond line of prose." || len(sc.Steps) != 3 {
		t.Fatalf("header %q, %d steps", sc.Header, len(sc.Steps))
	}
	st := sc.Steps[1]
	if st.Cmd != "publish" || st.Args[0] != "alice@example.com" || st.OptOr("note", "") != "at lunch" || st.Line != 8 || len(st.Expect) != 2 {
		t.Errorf("step %+v", st)
	}
	again, err := Parse("t", Format(sc))
	if err != nil {
		t.Fatal(err)
	}
	for i := range sc.Steps {
		sc.Steps[i].Line, again.Steps[i].Line = 0, 0
	}
	if !reflect.DeepEqual(sc.Steps, again.Steps) || sc.Header != again.Header {
		t.Errorf("round trip changed the script:\n%s", Format(again))
	}
}

func TestParseErrors(t *testing.T) {
	for src, want := range map[string]string{
		"just prose\n":                               "no step",
		"users a@b\n----\n\nlogin a@b\nx\n":          "not followed by",
		"users a@b\n----\n\nsend a@b \"open\n----\n": "bad quoted value",
	} {
		if _, err := Parse("t", []byte(src)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", src, err, want)
		}
	}
}

func TestRunRejectsBadScripts(t *testing.T) {
	for src, want := range map[string]string{
		"login a@example.com\n----\n":                              `first step must be "users"`,
		"users a@example.com\n----\n\nlogin z@example.com\n----\n": `unknown user "z@example.com"`,
		"users a@example.com\n----\n\nadvance soon\n----\n":        "positive duration",
		"users a@example.com\n----\n\ncrash example.org\n----\n":   "not a simulated domain",
	} {
		sc, err := Parse("t", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Run(sc, Options{}); !errors.Is(err, ErrScript) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want ErrScript with %q", src, err, want)
		}
	}
}

// The same script and seed give the same observations, step for step.
func TestRunDeterministic(t *testing.T) {
	sc, err := Load("../fixtures/scenarios/cross-domain.txt")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := Run(sc, Options{Seed: 9})
	b, _ := Run(sc, Options{Seed: 9})
	if !reflect.DeepEqual(a.Observed(), b.Observed()) {
		t.Error("two runs with one seed observed different things")
	}
}
