package mutants

import (
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

const plainLogin = "LOGIN PRIM-PR/1.0 0001 0\r\nFrom: pres:alice@example.com\r\nAuth-State: init\r\nSASL-Mech: PLAIN\r\n\r\n"

// The lenient-decoder mutants turn one malformed LOGIN into the well-formed one the reference
// then answers 100, while the reference itself refuses or ignores it (PRIM-A8.1-3,
// PRIM-A8.1.1-1, PRIM-A8.1.1-2, PRIM-A8.2-1, PRIM-A8.2.4-1).
func TestLenientDecoderMutantsRepairTheirInput(t *testing.T) {
	for _, tc := range []struct{ mutant, input string }{
		{"accept-bare-lf", strings.ReplaceAll(plainLogin, "\r\n", "\n")},
		{"accept-header-without-space", strings.Replace(plainLogin, "From: ", "From:", 1)},
		{"accept-folded-header", strings.Replace(plainLogin, "SASL-Mech: PLAIN", "SASL-Mech:\r\n PLAIN", 1)},
		{"accept-header-without-colon", strings.Replace(plainLogin, "From: ", "From ", 1)},
		{"case-insensitive-header-names", strings.Replace(plainLogin, "From: ", "from: ", 1)},
		{"accept-nonnumeric-length", strings.Replace(plainLogin, "0001 0", "0001 x12", 1)},
		{"accept-short-request-line", strings.Replace(plainLogin, "0001 0", "0001", 1)},
		{"accept-double-space", strings.Replace(plainLogin, "LOGIN ", "LOGIN  ", 1)},
		{"case-insensitive-methods", strings.Replace(plainLogin, "LOGIN ", "login ", 1)},
	} {
		t.Run(tc.mutant, func(t *testing.T) {
			got, _, _ := exchange(newServer(t), []byte(tc.input))
			if ms := decodeAll(t, got); len(ms) == 1 && ms[0].Code == wire.StatusAuthContinued {
				t.Fatalf("the reference itself answers %q with 100; the case has nothing to catch", tc.input)
			}
			got, _, _ = exchange(mustLookup(t, tc.mutant).Wrap(newServer(t)), []byte(tc.input))
			ms := decodeAll(t, got)
			if len(ms) != 1 || ms[0].Code != wire.StatusAuthContinued || ms[0].ID != "0001" {
				t.Fatalf("mutant %s answered %q with %q; want one 100 for request 0001", tc.mutant, tc.input, got)
			}
		})
	}
}

// The same mutants leave well-formed input alone: the clean run's cases still pass.
func TestLenientDecoderMutantsKeepWellFormedInput(t *testing.T) {
	clean, _, _ := exchange(newServer(t), []byte(plainLogin))
	for _, name := range []string{"accept-bare-lf", "accept-header-without-space", "accept-folded-header",
		"accept-header-without-colon", "case-insensitive-header-names", "accept-nonnumeric-length",
		"accept-short-request-line", "accept-double-space", "case-insensitive-methods", "drop-one-octet-reads"} {
		got, _, _ := exchange(mustLookup(t, name).Wrap(newServer(t)), []byte(plainLogin))
		if string(got) != string(clean) {
			t.Errorf("%s: a well-formed LOGIN was answered %q, the reference answers %q", name, got, clean)
		}
	}
}

// PRIM-A8.1-4: the reference skips empty lines before a start line; the mutant drops the
// connection instead, and nothing of the empty lines reaches the engine.
func TestNoEmptyLineSkipCloses(t *testing.T) {
	got, _, closed := exchange(newServer(t), []byte("\r\n\r\n"))
	if len(got) != 0 || closed {
		t.Fatalf("the reference answered empty lines with %q (closed %v)", got, closed)
	}
	got, _, closed = exchange(mustLookup(t, "no-empty-line-skip").Wrap(newServer(t)), []byte("\r\n\r\n"))
	if len(got) != 0 || !closed {
		t.Fatalf("mutant: wrote %q, closed %v; want a close and nothing written", got, closed)
	}
}

// PRIM-A8.1-3: a command sent one octet at a time is lost by the mutant.
func TestDropOneOctetReads(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := mustLookup(t, "drop-one-octet-reads").Wrap(newServer(t))
	e.Handle(now, engine.Opened{Conn: 1, Listener: "client", Local: "10.0.0.1:7000", Remote: "10.0.1.1:4000"})
	for i := 0; i < len(plainLogin); i++ {
		if acts := e.Handle(now, engine.Bytes{Conn: 1, Data: []byte{plainLogin[i]}}); len(acts) != 0 {
			t.Fatalf("octet %d: the mutant let %v through", i, acts)
		}
	}
}

// A response to a request id of 200 characters is served with the id cut (PRIM-A8.2.3-1,
// Decision D5); a mixed-case id comes back lower-cased.
func TestNormaliseRequestID(t *testing.T) {
	m := mustLookup(t, "normalise-request-id")
	for _, id := range []string{"0aB9z", strings.Repeat("a1B2", 50)} {
		login := strings.Replace(plainLogin, "0001", id, 1)
		got, _, _ := exchange(m.Wrap(newServer(t)), []byte(login))
		ms := decodeAll(t, got)
		if len(ms) != 1 || ms[0].ID == id {
			t.Fatalf("id %q: answered %q; want the id changed", id, got)
		}
		if want := strings.ToLower(id); len(want) <= 64 && ms[0].ID != want {
			t.Errorf("id %q echoed as %q, want %q", id, ms[0].ID, want)
		}
	}
}

func TestHigherMinor(t *testing.T) {
	for v, want := range map[string]bool{"PRIM-PR/1.7": true, "PRIM/1.10": true, "PRIM-PR/1.0": false, "PRIM/2.0": false,
		"PRIM-IM/1.00": false, "XPRIM/1.1": false, "PRIM": false} {
		if got := higherMinor(v); got != want {
			t.Errorf("higherMinor(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestValidDomainAndMechs(t *testing.T) {
	for d, want := range map[string]bool{"example.com": true, "a-b.example": true, "": false, "not a domain!": false, "x..y": false} {
		if got := validDomain(d); got != want {
			t.Errorf("validDomain(%q) = %v, want %v", d, got, want)
		}
	}
	if got := strings.Join(mechs("CRAM-MD5, PLAIN,ANONYMOUS X"), "|"); got != "CRAM-MD5|PLAIN|ANONYMOUS|X" {
		t.Errorf("mechs split to %q", got)
	}
}

// A kill is a case the reference passes and the mutant does not, or one not applicable to the
// reference that fails against the mutant; an error against a mutant of a not-applicable case
// is no evidence.
func TestKills(t *testing.T) {
	for _, tc := range []struct {
		clean, mutated reports.Verdict
		want           bool
	}{
		{reports.Pass, reports.Fail, true},
		{reports.Pass, reports.Error, true},
		{reports.Pass, reports.NotApplicable, true},
		{reports.Pass, reports.Pass, false},
		{reports.NotApplicable, reports.Fail, true},
		{reports.NotApplicable, reports.Error, false},
		{reports.NotApplicable, reports.NotApplicable, false},
		{reports.Fail, reports.Fail, false},
	} {
		if got := kills(tc.clean, tc.mutated); got != tc.want {
			t.Errorf("kills(%s, %s) = %v, want %v", tc.clean, tc.mutated, got, tc.want)
		}
	}
}
