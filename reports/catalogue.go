package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/primlab/primlab/fixtures"
	"go.yaml.in/yaml/v3"
)

// Requirement is one RFC 2779 requirement (rfc-digest §9).
type Requirement struct {
	ID          string `yaml:"id" json:"id"`
	Section     string `yaml:"section" json:"section"`
	Topic       string `yaml:"topic" json:"topic"`
	Level       string `yaml:"level" json:"level"`
	Scope       string `yaml:"scope" json:"scope"`
	Testability string `yaml:"testability" json:"testability"`
	Enabled     bool   `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	Paraphrase  string `yaml:"paraphrase" json:"paraphrase"`
	Test        string `yaml:"test" json:"test"`
	Note        string `yaml:"note,omitempty" json:"note,omitempty"`
}

// Class is the requirement's level class: MUST, SHOULD or MAY (rfc-digest §2.1 treats lower-case
// must as MUST-class, should as SHOULD-class, may as permissive).
func (r Requirement) Class() string { return levelClass(r.Level) }

// Statement is one PRIM normative statement (prim-digest §8).
type Statement struct {
	ID         string   `yaml:"id" json:"id"`
	Level      string   `yaml:"level" json:"level"`
	Actor      []string `yaml:"actor" json:"actor"`
	Profile    string   `yaml:"profile" json:"profile"`
	Paraphrase string   `yaml:"paraphrase" json:"paraphrase"`
	Note       string   `yaml:"note,omitempty" json:"note,omitempty"`
}

// Class is the statement's level class: MUST, SHOULD, MAY or RULE (a binding rule without keyword,
// judged like MUST).
func (s Statement) Class() string { return levelClass(s.Level) }

// Catalogue is the pair of requirement catalogues, sorted by id.
type Catalogue struct {
	Requirements []Requirement
	Statements   []Statement

	reqIndex  map[string]int
	statIndex map[string]int
}

// Requirement returns the RFC 2779 requirement with the given id.
func (c *Catalogue) Requirement(id string) (Requirement, bool) {
	i, ok := c.reqIndex[id]
	if !ok {
		return Requirement{}, false
	}
	return c.Requirements[i], true
}

// Statement returns the PRIM statement with the given id.
func (c *Catalogue) Statement(id string) (Statement, bool) {
	i, ok := c.statIndex[id]
	if !ok {
		return Statement{}, false
	}
	return c.Statements[i], true
}

// Valid level spellings. RFC 2779 uses MUST/SHOULD (upper or lower case) and one "may"; the PRIM
// drafts use RFC 2119 keywords, lower-case variants and RULE (prim-digest §8 preamble).
var (
	requirementLevels = set("MUST", "MUST NOT", "must", "must not", "SHOULD", "SHOULD NOT", "should", "may", "MUST / MUST NOT")
	statementLevels   = set("MUST", "MUST NOT", "REQUIRED", "SHOULD", "SHOULD NOT", "RECOMMENDED",
		"MAY", "MAY (NOT)", "OPTIONAL", "must(lc)", "should(lc)", "may(lc)", "RULE")
	actors       = set("UA", "SRV", "PS", "IMS", "RELAY", "GW", "SND", "RCV", "ANY")
	profiles     = set("client", "server", "historical")
	scopes       = set("implementation", "working-group", "both")
	testability  = set("Y", "P", "N")
	caseLevels   = set(LevelMust, LevelShould, LevelMay)
	rfcSectionOf = func(id string) string {
		if i := strings.LastIndexByte(id, '.'); i > 0 {
			return id[:i]
		}
		return ""
	}
)

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func levelClass(level string) string {
	l := strings.ToUpper(strings.TrimSuffix(level, "(lc)"))
	switch {
	case strings.HasPrefix(l, "MUST"), l == "REQUIRED":
		return LevelMust
	case strings.HasPrefix(l, "SHOULD"), l == "RECOMMENDED":
		return LevelShould
	case strings.HasPrefix(l, "MAY"), l == "OPTIONAL":
		return LevelMay
	case l == "RULE":
		return "RULE"
	}
	return ""
}

// LoadCatalogue parses the catalogues embedded in package fixtures.
func LoadCatalogue() (*Catalogue, error) {
	rfc, err := fixtures.Requirements.ReadFile("requirements/rfc2779.yaml")
	if err != nil {
		return nil, fmt.Errorf("reports: read embedded RFC 2779 catalogue: %w", err)
	}
	prim, err := fixtures.Requirements.ReadFile("requirements/prim-statements.yaml")
	if err != nil {
		return nil, fmt.Errorf("reports: read embedded PRIM catalogue: %w", err)
	}
	return ParseCatalogue(rfc, prim)
}

// ParseCatalogue parses the two catalogue documents strictly (unknown fields are errors) and
// validates ids, levels and enumerations.
func ParseCatalogue(rfc2779YAML, primYAML []byte) (*Catalogue, error) {
	var rf struct {
		Requirements []Requirement `yaml:"requirements"`
	}
	if err := decodeStrict(rfc2779YAML, &rf); err != nil {
		return nil, fmt.Errorf("reports: RFC 2779 catalogue: %w", err)
	}
	var pf struct {
		Statements []Statement `yaml:"statements"`
	}
	if err := decodeStrict(primYAML, &pf); err != nil {
		return nil, fmt.Errorf("reports: PRIM catalogue: %w", err)
	}
	c := &Catalogue{Requirements: rf.Requirements, Statements: pf.Statements}
	if err := c.validate(); err != nil {
		return nil, err
	}
	sort.SliceStable(c.Requirements, func(i, j int) bool {
		return compareDotted(c.Requirements[i].ID, c.Requirements[j].ID) < 0
	})
	sort.SliceStable(c.Statements, func(i, j int) bool {
		return compareStatementIDs(c.Statements[i].ID, c.Statements[j].ID) < 0
	})
	c.reqIndex = make(map[string]int, len(c.Requirements))
	for i, r := range c.Requirements {
		c.reqIndex[r.ID] = i
	}
	c.statIndex = make(map[string]int, len(c.Statements))
	for i, s := range c.Statements {
		c.statIndex[s.ID] = i
	}
	return c, nil
}

func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty document")
		}
		return err
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errors.New("more than one YAML document")
	}
	return nil
}

func (c *Catalogue) validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, r := range c.Requirements {
		where := fmt.Sprintf("requirement #%d %q", i+1, r.ID)
		if !isDotted(r.ID, 3) {
			errs = append(errs, fmt.Errorf("%s: id is not of the form N.N.N", where))
		}
		if seen[r.ID] {
			errs = append(errs, fmt.Errorf("%s: duplicate id", where))
		}
		seen[r.ID] = true
		if r.Section != rfcSectionOf(r.ID) {
			errs = append(errs, fmt.Errorf("%s: section %q does not match the id", where, r.Section))
		}
		if !requirementLevels[r.Level] {
			errs = append(errs, fmt.Errorf("%s: invalid level %q", where, r.Level))
		}
		if !scopes[r.Scope] {
			errs = append(errs, fmt.Errorf("%s: invalid scope %q", where, r.Scope))
		}
		if !testability[r.Testability] {
			errs = append(errs, fmt.Errorf("%s: invalid testability %q", where, r.Testability))
		}
		if r.Paraphrase == "" || r.Topic == "" {
			errs = append(errs, fmt.Errorf("%s: missing paraphrase or topic", where))
		}
	}
	seen = map[string]bool{}
	for i, s := range c.Statements {
		where := fmt.Sprintf("statement #%d %q", i+1, s.ID)
		if _, _, _, ok := splitStatementID(s.ID); !ok {
			errs = append(errs, fmt.Errorf("%s: id is not of the form PRIM-<A|S|Z><section>-<n>", where))
		}
		if seen[s.ID] {
			errs = append(errs, fmt.Errorf("%s: duplicate id", where))
		}
		seen[s.ID] = true
		if !statementLevels[s.Level] {
			errs = append(errs, fmt.Errorf("%s: invalid level %q", where, s.Level))
		}
		if !profiles[s.Profile] {
			errs = append(errs, fmt.Errorf("%s: invalid profile %q", where, s.Profile))
		} else if want := profileOfStatement(s.ID); want != s.Profile {
			errs = append(errs, fmt.Errorf("%s: profile %q, want %q for this document", where, s.Profile, want))
		}
		if len(s.Actor) == 0 {
			errs = append(errs, fmt.Errorf("%s: no actor", where))
		}
		for _, a := range s.Actor {
			if base, _, _ := strings.Cut(a, " "); !actors[base] {
				errs = append(errs, fmt.Errorf("%s: invalid actor %q", where, a))
			}
		}
		if s.Paraphrase == "" {
			errs = append(errs, fmt.Errorf("%s: missing paraphrase", where))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("reports: invalid catalogue: %w", errors.Join(errs...))
	}
	return nil
}

// profileOfStatement maps the document letter of a statement id to its profile (Decision D1:
// client profile = I2, server profile = SS; Z = I0/I1 only).
func profileOfStatement(id string) string {
	doc, _, _, _ := splitStatementID(id)
	switch doc {
	case 'A':
		return "client"
	case 'S':
		return "server"
	case 'Z':
		return "historical"
	}
	return ""
}

// splitStatementID splits "PRIM-A10.3.1-4" into 'A', "10.3.1", 4.
func splitStatementID(id string) (doc byte, section string, n int, ok bool) {
	rest, found := strings.CutPrefix(id, "PRIM-")
	if !found || len(rest) < 4 {
		return 0, "", 0, false
	}
	doc = rest[0]
	if doc != 'A' && doc != 'S' && doc != 'Z' {
		return 0, "", 0, false
	}
	dash := strings.LastIndexByte(rest, '-')
	if dash < 2 {
		return 0, "", 0, false
	}
	section = rest[1:dash]
	if !isDotted(section, 0) {
		return 0, "", 0, false
	}
	if _, err := fmt.Sscanf(rest[dash+1:], "%d", &n); err != nil || n < 1 || fmt.Sprint(n) != rest[dash+1:] {
		return 0, "", 0, false
	}
	return doc, section, n, true
}

// isDotted reports whether s is dot-separated decimal numbers (exactly parts of them if parts>0).
func isDotted(s string, parts int) bool {
	fs := strings.Split(s, ".")
	if parts > 0 && len(fs) != parts {
		return false
	}
	for _, f := range fs {
		if f == "" {
			return false
		}
		for _, r := range f {
			if r < '0' || r > '9' {
				return false
			}
		}
	}
	return true
}

// compareDotted orders "5.1.2" before "5.1.10"; non-numeric parts compare as strings.
func compareDotted(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if c := compareNumeric(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return len(as) - len(bs)
}

func compareNumeric(a, b string) int {
	var x, y int
	_, ea := fmt.Sscanf(a, "%d", &x)
	_, eb := fmt.Sscanf(b, "%d", &y)
	if ea == nil && eb == nil && fmt.Sprint(x) == a && fmt.Sprint(y) == b {
		return x - y
	}
	return strings.Compare(a, b)
}

// compareStatementIDs orders by document (A, S, Z), then section numerically, then number.
func compareStatementIDs(a, b string) int {
	da, sa, na, oka := splitStatementID(a)
	db, sb, nb, okb := splitStatementID(b)
	if !oka || !okb {
		return strings.Compare(a, b)
	}
	if da != db {
		return int(da) - int(db)
	}
	if c := compareDotted(sa, sb); c != 0 {
		return c
	}
	return na - nb
}

// compareCaseIDs orders "prim/<role>/<section>/<n>" ids by role, section numerically and number.
func compareCaseIDs(a, b string) int {
	pa, pb := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		var c int
		if isDotted(pa[i], 0) && isDotted(pb[i], 0) {
			c = compareDotted(pa[i], pb[i])
		} else {
			c = strings.Compare(pa[i], pb[i])
		}
		if c != 0 {
			return c
		}
	}
	return len(pa) - len(pb)
}
