package harness

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reports"
)

func TestCheckMetaRejectsBadMetadata(t *testing.T) {
	good := reports.CaseMeta{ID: "prim/server/8.1/1", Section: "8.1", Level: "MUST", Requirement: "r",
		Statements: []string{"PRIM-A8.1-4"}, Role: "server", Profile: "client"}
	if err := CheckMeta(good); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*reports.CaseMeta){
		"id shape":      func(m *reports.CaseMeta) { m.ID = "server/8.1/1" },
		"role mismatch": func(m *reports.CaseMeta) { m.Role = "s2s" },
		"section":       func(m *reports.CaseMeta) { m.Section = "8.2" },
		"level":         func(m *reports.CaseMeta) { m.Level = "must" },
		"profile":       func(m *reports.CaseMeta) { m.Profile = "I2" },
		"requirement":   func(m *reports.CaseMeta) { m.Requirement = " " },
		"no citation":   func(m *reports.CaseMeta) { m.Statements = nil },
	} {
		m := good
		mut(&m)
		if err := CheckMeta(m); err == nil {
			t.Errorf("%s: accepted %+v", name, m)
		}
	}
}

func TestLabels(t *testing.T) {
	m := reports.CaseMeta{ID: "prim/server/10.3.1/1", Section: "10.3.1", Level: "MUST", Role: "server", Profile: "client",
		Statements: []string{"PRIM-A10.3.1-7"}, RFC2779: []string{"5.1.12"}, Decisions: []string{"D11"}}
	got := strings.Join(Labels(m), " ")
	want := "MUST role:server profile:client sec:10.3.1 rfc2779:5.1.12 stmt:PRIM-A10.3.1-7 decision:D11"
	if got != want {
		t.Errorf("labels %q, want %q", got, want)
	}
}

func TestCaseSeedDependsOnRunSeedAndID(t *testing.T) {
	a := caseSeed(1, "prim/server/8.1/1")
	if a != caseSeed(1, "prim/server/8.1/1") {
		t.Fatal("case seed is not a function of its inputs")
	}
	if a == caseSeed(2, "prim/server/8.1/1") || a == caseSeed(1, "prim/server/8.1/2") {
		t.Error("case seed ignores the run seed or the case ID")
	}
}

func TestCaseIDOrder(t *testing.T) {
	order := []string{"prim/s2s/4.4/1", "prim/server/8.1/1", "prim/server/8.1/2", "prim/server/8.1/10", "prim/server/8.1.1/1", "prim/server/10.1/1"}
	for i := 0; i+1 < len(order); i++ {
		if !lessCaseID(order[i], order[i+1]) || lessCaseID(order[i+1], order[i]) {
			t.Errorf("%s should sort before %s", order[i], order[i+1])
		}
	}
}

func TestTranscriptEscapesAndSplitsLines(t *testing.T) {
	var tr Transcript
	tr.add(1500*time.Millisecond, "alice", DirOut, []byte("PING PRIM-PR/1.0 - 0\r\n\r\n"))
	tr.add(2*time.Second, "alice", DirIn, []byte("x\x00\xff"))
	tr.add(3*time.Second, "alice", DirNote, []byte("connection closed"))
	want := "  1.500000s alice    -> PING PRIM-PR/1.0 - 0\\r\\n\n" +
		"  1.500000s alice    -> \\r\\n\n" +
		"  2.000000s alice    <- x\\x00\\xff\n" +
		"  3.000000s alice    ** connection closed\n"
	if got := tr.String(); got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
}

// TestTCPTransportBoundsAFloodingTarget: a target that sends without end costs only its
// connection: the stream fails with errFlood once MaxBuffered unread bytes pile up.
func TestTCPTransportBoundsAFloodingTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		chunk := make([]byte, 16<<10)
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}()
	cfg := Config{Target: ln.Addr().String(), Domain: "example.org", MaxBuffered: 64 << 10}.withDefaults()
	tr := newTCPTransport(cfg)
	defer tr.Close()
	s, err := tr.Dial("alice", ListenerClient)
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Wait(s.Closed, time.Minute) {
		t.Fatal("the flooded stream never failed")
	}
	if !errors.Is(s.Err(), errFlood) {
		t.Errorf("stream error %v, want errFlood", s.Err())
	}
}

func TestTCPTransportDialFailureAndMissingListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	tr := newTCPTransport(Config{Target: addr, Domain: "example.org"}.withDefaults())
	defer tr.Close()
	if _, err := tr.Dial("alice", ListenerClient); err == nil {
		t.Error("dial to a closed port succeeded")
	}
	if _, err := tr.Dial("alice", ListenerS2S); !errors.Is(err, ErrNoListener) {
		t.Errorf("dial without an s2s target: %v, want ErrNoListener", err)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{Target: "nohostport", Domain: "d"},
		{Target: "127.0.0.1:1"},
		{S2STarget: "127.0.0.1:2"},
		{Accounts: []Account{{User: "a@b"}}},
		{Accounts: []Account{{User: "a"}, {User: "a"}}},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("accepted %+v", c)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero config (simulated reference) rejected: %v", err)
	}
}

// A slow case carries the label "slow" (so --label-filter '!slow' leaves it out) and says so
// in the catalogue; other cases carry neither.
func TestSlowCasesAreLabelledAndCatalogued(t *testing.T) {
	m := reports.CaseMeta{ID: "prim/server/5.5/1", Section: "5.5", Level: "MUST", Role: "server", Profile: "client",
		Statements: []string{"PRIM-A5.5-1"}}
	if ls := Labels(m); strings.Contains(strings.Join(ls, " "), LabelSlow) {
		t.Errorf("a quick case is labelled slow: %v", ls)
	}
	quick, err := CatalogueYAML([]reports.CaseMeta{m})
	if err != nil {
		t.Fatal(err)
	}
	m.Slow = true
	if ls := Labels(m); ls[len(ls)-1] != LabelSlow {
		t.Errorf("a slow case's labels: %v", ls)
	}
	slow, err := CatalogueYAML([]reports.CaseMeta{m})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(quick), "slow:") || !strings.Contains(string(slow), "slow: true") {
		t.Errorf("catalogue entries:\n%s\n---\n%s", quick, slow)
	}
	f, err := ParseCatalogue(slow)
	if err != nil || len(f.Cases) != 1 || !f.Cases[0].Slow {
		t.Errorf("the catalogue does not read back the slow mark: %+v, %v", f, err)
	}
}
