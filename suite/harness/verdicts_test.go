package harness_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
	. "github.com/primlab/primlab/suite/harness"
)

// Self-test cases: each one provokes one verdict against the reference server in the
// simulator. They live only in this test binary (IDs under section 99).

func selfMeta(n, level, req string) reports.CaseMeta {
	return reports.CaseMeta{ID: "prim/server/99/" + n, Section: "99", Level: level, Requirement: req,
		Statements: []string{"PRIM-A10.3.1-7"}, Role: RoleServer, Profile: ProfileClient}
}

var _ = Case(selfMeta("1", reports.LevelMust, "passes: a request before LOGIN gets 401"), func(h *H) {
	alice := h.Peer("alice")
	alice.Call(h.Request("FETCH", "From", h.Pres("alice"), "To", h.Pres("bob")), HaveCode(wire.StatusUnauthorized))
})

var _ = Case(selfMeta("2", reports.LevelMust, "fails: expects the wrong code"), func(h *H) {
	alice := h.Peer("alice")
	alice.Call(h.Request("FETCH", "From", h.Pres("alice"), "To", h.Pres("bob")), HaveCode(wire.StatusOK))
})

var _ = Case(selfMeta("3", reports.LevelMust, "errors: waits for a response that never comes"), func(h *H) {
	alice := h.Peer("alice")
	alice.ExpectResponse("never-sent")
})

var _ = Case(selfMeta("4", reports.LevelMay, "not applicable, with evidence"), func(h *H) {
	h.NotApplicable("feature X not offered: 501 to PROBE")
})

var _ = Case(selfMeta("5", reports.LevelShould, "referee: records the outcome seen"), func(h *H) {
	alice := h.Peer("alice")
	resp := alice.Call(h.Request("FETCH", "From", h.Pres("alice"), "To", h.Pres("bob")))
	h.Accept(resp, OneOf("D0: 200", HaveCode(200)), OneOf("D0: 401", HaveCode(401)))
})

var _ = Case(selfMeta("6", reports.LevelShould, "referee: fails listing every acceptable outcome"), func(h *H) {
	alice := h.Peer("alice")
	resp := alice.Call(h.Request("FETCH", "From", h.Pres("alice"), "To", h.Pres("bob")))
	h.Accept(resp, OneOf("D0: 200", HaveCode(200)), OneOf("D0: closed", BeDisconnected()))
})

var _ = Case(selfMeta("7", reports.LevelMust, "fails: the target does not close the connection"), func(h *H) {
	h.LoggedIn("alice").ExpectClosed()
})

type fakeT struct{ failed bool }

func (f *fakeT) Fail() { f.failed = true }

func TestVerdicts(t *testing.T) {
	out := t.TempDir()
	if err := Configure(Config{Seed: 11, Out: out}); err != nil {
		t.Fatal(err)
	}
	RegisterFailHandler(ginkgo.Fail)
	ft := &fakeT{}
	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
	reporterConfig.Succinct = true
	ginkgo.RunSpecs(ft, "harness self-test", suiteConfig, reporterConfig)
	if !ft.failed {
		t.Error("ginkgo did not report the failing self-test cases")
	}
	got := map[string]reports.CaseResult{}
	for _, r := range Results() {
		got[r.ID] = r
	}
	want := map[string]reports.Verdict{
		"1": reports.Pass, "2": reports.Fail, "3": reports.Error, "4": reports.NotApplicable,
		"5": reports.Pass, "6": reports.Fail, "7": reports.Fail,
	}
	for n, v := range want {
		r, ok := got["prim/server/99/"+n]
		if !ok {
			t.Errorf("case %s: no result", n)
			continue
		}
		if r.Verdict != v {
			t.Errorf("case %s: verdict %s, want %s (message %q)", n, r.Verdict, v, r.Message)
		}
	}
	if m := got["prim/server/99/2"].Message; !strings.Contains(m, "401 Unauthorized") || !strings.Contains(m, "200 OK") {
		t.Errorf("fail message should show expected and actual codes: %q", m)
	}
	if m := got["prim/server/99/3"].Message; !strings.Contains(m, `response to request "never-sent"`) {
		t.Errorf("error message should say what was awaited: %q", m)
	}
	if m := got["prim/server/99/4"].Message; m != "feature X not offered: 501 to PROBE" {
		t.Errorf("not-applicable evidence: %q", m)
	}
	if m := got["prim/server/99/5"].Message; m != "saw: D0: 401" {
		t.Errorf("referee record: %q", m)
	}
	if m := got["prim/server/99/6"].Message; !strings.Contains(m, "D0: 200") || !strings.Contains(m, "D0: closed") {
		t.Errorf("referee failure should list every acceptable outcome: %q", m)
	}
	// Evidence of a failed case: transcript, trace and capture, linked relative to Out, and
	// the replay hint.
	r := got["prim/server/99/2"]
	if !strings.Contains(r.Message, "replay: primlab conform --seed 11 --case prim/server/99/2") {
		t.Errorf("no replay hint: %q", r.Message)
	}
	for _, link := range []string{r.Links.Transcript, r.Links.Trace, r.Links.Pcap} {
		if link == "" {
			t.Errorf("missing evidence link in %+v", r.Links)
			continue
		}
		info, err := os.Stat(filepath.Join(out, filepath.FromSlash(link)))
		if err != nil || info.Size() == 0 {
			t.Errorf("evidence %s: %v", link, err)
		}
	}
	if !strings.Contains(r.Excerpt, "alice    -> FETCH PRIM-PR/1.0 0001 0") || !strings.Contains(r.Excerpt, "<- PRIM-PR/1.0 0001 0 401 Unauthorized") {
		t.Errorf("transcript excerpt lacks the exchange:\n%s", r.Excerpt)
	}
	if got["prim/server/99/1"].Links != (reports.Links{}) {
		t.Errorf("a passing case keeps no evidence files: %+v", got["prim/server/99/1"].Links)
	}
}
