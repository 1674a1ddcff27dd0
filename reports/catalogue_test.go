package reports

import (
	"strconv"
	"strings"
	"testing"
)

// The counts below are the digests' own totals: rfc-digest §2.2 (93 requirements, 85 MUST-class,
// 7 SHOULD-class, 1 MAY; 77 Y, 11 P, 5 N; §2 26, §3 15, §4 15, §5 37) and prim-digest §8
// (229 I2 statements, 121 SS, 23 I0/I1-only).
func TestCatalogueCounts(t *testing.T) {
	cat := mustCatalogue(t)
	if got := len(cat.Requirements); got != 93 {
		t.Errorf("RFC 2779 requirements = %d, want 93", got)
	}
	class, test, top := map[string]int{}, map[string]int{}, map[string]int{}
	for _, r := range cat.Requirements {
		class[r.Class()]++
		test[r.Testability]++
		top[r.ID[:1]]++
	}
	for k, want := range map[string]int{"MUST": 85, "SHOULD": 7, "MAY": 1} {
		if class[k] != want {
			t.Errorf("%s-class requirements = %d, want %d", k, class[k], want)
		}
	}
	for k, want := range map[string]int{"Y": 77, "P": 11, "N": 5} {
		if test[k] != want {
			t.Errorf("testability %s = %d, want %d", k, test[k], want)
		}
	}
	for k, want := range map[string]int{"2": 26, "3": 15, "4": 15, "5": 37} {
		if top[k] != want {
			t.Errorf("RFC 2779 §%s requirements = %d, want %d", k, top[k], want)
		}
	}
	if got := len(cat.Statements); got != 373 {
		t.Errorf("PRIM statements = %d, want 373", got)
	}
	prof := map[string]int{}
	for _, s := range cat.Statements {
		prof[s.Profile]++
	}
	for k, want := range map[string]int{"client": 229, "server": 121, "historical": 23} {
		if prof[k] != want {
			t.Errorf("%s-profile statements = %d, want %d", k, prof[k], want)
		}
	}
}

// Every RFC 2779 subsection is numbered 1..n without gaps, and ids are sorted numerically.
func TestCatalogueRequirementNumbering(t *testing.T) {
	cat := mustCatalogue(t)
	next := map[string]int{}
	for _, r := range cat.Requirements {
		next[r.Section]++
		want := r.Section + "." + strconv.Itoa(next[r.Section])
		if r.ID != want {
			t.Fatalf("requirement %q out of sequence, want %q", r.ID, want)
		}
	}
	if len(next) != 17 {
		t.Errorf("subsections = %d, want 17", len(next))
	}
	if _, ok := cat.Requirement("5.1.18"); !ok {
		t.Error("requirement 5.1.18 missing")
	}
	if s, ok := cat.Statement("PRIM-A10.3.1-7"); !ok || s.Level != "MUST" || s.Profile != "client" {
		t.Errorf("statement PRIM-A10.3.1-7 = %+v, %v", s, ok)
	}
	if s, ok := cat.Statement("PRIM-S7.1.1-3"); !ok || s.Class() != LevelMust || s.Profile != "server" {
		t.Errorf("statement PRIM-S7.1.1-3 = %+v, %v", s, ok)
	}
}

func TestParseCatalogueRejects(t *testing.T) {
	goodReq := "requirements:\n  - {id: \"2.1.1\", section: \"2.1\", topic: T, level: MUST, scope: implementation, testability: Y, paraphrase: P, test: X}\n"
	goodStat := "statements:\n  - {id: PRIM-A4-1, level: RULE, actor: [ANY], profile: client, paraphrase: P}\n"
	if _, err := ParseCatalogue([]byte(goodReq), []byte(goodStat)); err != nil {
		t.Fatalf("minimal catalogue rejected: %v", err)
	}
	tests := []struct {
		name, req, stat, want string
	}{
		{"unknown field", strings.Replace(goodReq, "test: X", "test: X, colour: red", 1), goodStat, "colour"},
		{"duplicate requirement", goodReq + strings.TrimPrefix(goodReq, "requirements:\n"), goodStat, "duplicate id"},
		{"bad level", strings.Replace(goodReq, "level: MUST", "level: MUSTN'T", 1), goodStat, "invalid level"},
		{"section mismatch", strings.Replace(goodReq, "section: \"2.1\"", "section: \"2.2\"", 1), goodStat, "does not match"},
		{"bad testability", strings.Replace(goodReq, "testability: Y", "testability: maybe", 1), goodStat, "invalid testability"},
		{"bad statement id", goodReq, strings.Replace(goodStat, "PRIM-A4-1", "PRIM-Q4-1", 1), "PRIM-<A|S|Z>"},
		{"profile mismatch", goodReq, strings.Replace(goodStat, "profile: client", "profile: server", 1), "want \"client\""},
		{"bad statement level", goodReq, strings.Replace(goodStat, "level: RULE", "level: MUSTY", 1), "invalid level"},
		{"bad actor", goodReq, strings.Replace(goodStat, "[ANY]", "[ROBOT]", 1), "invalid actor"},
		{"duplicate statement", goodReq, goodStat + strings.TrimPrefix(goodStat, "statements:\n"), "duplicate id"},
		{"empty", "", goodStat, "empty document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCatalogue([]byte(tc.req), []byte(tc.stat))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestIDOrdering(t *testing.T) {
	tests := []struct {
		cmp  func(a, b string) int
		a, b string
	}{
		{compareDotted, "5.1.2", "5.1.10"},
		{compareDotted, "2.5.4", "3.1.1"},
		{compareStatementIDs, "PRIM-A9.4.3-1", "PRIM-A10.1.1-1"},
		{compareStatementIDs, "PRIM-A10.3.1-2", "PRIM-A10.3.1-10"},
		{compareStatementIDs, "PRIM-A16-1", "PRIM-S2.1-1"},
		{compareCaseIDs, "prim/client/9/1", "prim/server/1/1"},
		{compareCaseIDs, "prim/server/9.2.1/1", "prim/server/10.1.1/1"},
		{compareCaseIDs, "prim/server/10.3.1/2", "prim/server/10.3.1/10"},
	}
	for _, tc := range tests {
		if tc.cmp(tc.a, tc.b) >= 0 || tc.cmp(tc.b, tc.a) <= 0 {
			t.Errorf("%q should sort before %q", tc.a, tc.b)
		}
	}
}
