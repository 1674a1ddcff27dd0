package suite_test

import (
	"flag"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2"

	"github.com/primlab/primlab/reports"
	_ "github.com/primlab/primlab/suite"
	"github.com/primlab/primlab/suite/harness"
)

var rewrite = flag.Bool("rewrite-catalogue", false, "rewrite fixtures/cases.yaml from the declared cases")

const cataloguePath = "../fixtures/cases.yaml"

// TestCatalogueMatchesCode fails when a case was added, removed or changed without
// regenerating fixtures/cases.yaml (go test ./suite -args -rewrite-catalogue).
func TestCatalogueMatchesCode(t *testing.T) {
	want, err := harness.CatalogueYAML(harness.Registered())
	if err != nil {
		t.Fatal(err)
	}
	if *rewrite {
		if err := os.WriteFile(cataloguePath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(cataloguePath)
	if err != nil {
		t.Fatalf("%v (generate it with: go test ./suite -args -rewrite-catalogue)", err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s is out of date with the cases in suite/: regenerate it with "+
			"go test ./suite -args -rewrite-catalogue and review the diff\n%s", cataloguePath, firstDiff(string(got), string(want)))
	}
	f, err := harness.ParseCatalogue(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) != len(harness.Registered()) {
		t.Fatalf("catalogue lists %d cases, code declares %d", len(f.Cases), len(harness.Registered()))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n  file: " + x + "\n  code: " + y
		}
	}
	return ""
}

var decisionID = regexp.MustCompile(`^D([1-9]|[1-3][0-9]|4[0-5])$`)

// TestCasesCiteKnownIDs checks that every PRIM statement and RFC 2779 requirement a case cites
// exists in the requirement catalogues, and every decision is one of D1..D45 (prim-digest §10).
func TestCasesCiteKnownIDs(t *testing.T) {
	cat, err := reports.LoadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	cases := harness.Registered()
	if len(cases) == 0 {
		t.Fatal("no cases registered")
	}
	for _, c := range cases {
		for _, s := range c.Statements {
			if _, ok := cat.Statement(s); !ok {
				t.Errorf("%s cites unknown statement %q", c.ID, s)
			}
		}
		for _, r := range c.RFC2779 {
			if _, ok := cat.Requirement(r); !ok {
				t.Errorf("%s cites unknown RFC 2779 requirement %q", c.ID, r)
			}
		}
		for _, d := range c.Decisions {
			if !decisionID.MatchString(d) {
				t.Errorf("%s cites unknown decision %q", c.ID, d)
			}
		}
		if err := harness.CheckMeta(c); err != nil {
			t.Error(err)
		}
	}
}

// TestSpecsCarryCaseLabels walks the ginkgo tree without running it (PreviewSpecs) and checks
// that every declared case became exactly one spec whose text starts with its ID and whose
// labels are the case's.
func TestSpecsCarryCaseLabels(t *testing.T) {
	report := ginkgo.PreviewSpecs("primlab conformance catalogue")
	byID := map[string]reports.CaseMeta{}
	for _, c := range harness.Registered() {
		byID[c.ID] = c
	}
	seen := map[string]bool{}
	for _, spec := range report.SpecReports {
		if spec.LeafNodeType.String() != "It" {
			continue
		}
		id, _, _ := strings.Cut(spec.LeafNodeText, " ")
		meta, ok := byID[id]
		if !ok {
			t.Errorf("spec %q is not a registered case (declare cases with harness.Case)", spec.LeafNodeText)
			continue
		}
		if seen[id] {
			t.Errorf("case %s appears twice in the spec tree", id)
		}
		seen[id] = true
		want := []string(harness.Labels(meta))
		got := spec.Labels()
		if !slices.Equal(got, want) {
			t.Errorf("%s: labels %v, want %v", id, got, want)
		}
	}
	for id := range byID {
		if !seen[id] {
			t.Errorf("case %s has no spec", id)
		}
	}
}
