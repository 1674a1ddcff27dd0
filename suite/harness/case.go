package harness

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/primlab/primlab/reports"
)

// Roles and profiles a case can declare (CaseMeta.Role, CaseMeta.Profile).
const (
	RoleServer = "server" // the target is a home server, reached on its client listener
	RoleClient = "client" // the target is a user agent (driver protocol; not yet wired)
	RoleS2S    = "s2s"    // the target is a server, reached on its server-server listener

	ProfileClient = "client" // I2: PRIM-PR/PRIM-IM (Decision D1)
	ProfileServer = "server" // SS: PRIM/1.0
)

// LabelSlow labels the cases that let real time pass against an external target (leases and
// subscriptions expiring, relay timeouts): CaseMeta.Slow. Leave them out of a quick run with
// --label-filter '!slow'.
const LabelSlow = "slow"

var caseIDPattern = regexp.MustCompile(`^prim/(server|client|s2s)/[0-9]+(\.[0-9]+)*/[0-9]+$`)

var registry struct {
	mu    sync.Mutex
	cases []reports.CaseMeta
	ids   map[string]bool
}

// Registered returns the metadata of every case declared so far (in the packages linked into
// this binary), sorted by ID. This is what fixtures/cases.yaml lists.
func Registered() []reports.CaseMeta {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	out := append([]reports.CaseMeta(nil), registry.cases...)
	sort.SliceStable(out, func(i, j int) bool { return lessCaseID(out[i].ID, out[j].ID) })
	return out
}

// CheckMeta reports what is wrong with a case's metadata.
func CheckMeta(m reports.CaseMeta) error {
	var errs []string
	if !caseIDPattern.MatchString(m.ID) {
		errs = append(errs, fmt.Sprintf("id %q is not prim/<role>/<section>/<n>", m.ID))
	} else {
		parts := strings.Split(m.ID, "/")
		if parts[1] != m.Role {
			errs = append(errs, fmt.Sprintf("id %q does not match role %q", m.ID, m.Role))
		}
		if parts[2] != m.Section {
			errs = append(errs, fmt.Sprintf("id %q does not match section %q", m.ID, m.Section))
		}
	}
	switch m.Level {
	case reports.LevelMust, reports.LevelShould, reports.LevelMay:
	default:
		errs = append(errs, fmt.Sprintf("level %q is not MUST, SHOULD or MAY", m.Level))
	}
	if m.Profile != ProfileClient && m.Profile != ProfileServer {
		errs = append(errs, fmt.Sprintf("profile %q is not %q or %q", m.Profile, ProfileClient, ProfileServer))
	}
	if strings.TrimSpace(m.Requirement) == "" {
		errs = append(errs, "empty requirement")
	}
	if len(m.Statements) == 0 && len(m.Decisions) == 0 {
		errs = append(errs, "cites no statement and no decision")
	}
	if len(errs) > 0 {
		return fmt.Errorf("harness: case %q: %s", m.ID, strings.Join(errs, "; "))
	}
	return nil
}

// Labels returns the ginkgo labels of a case: its level, role:, profile:, sec:, one label
// per RFC 2779 id, statement and decision, and "slow" for a slow case. Label filters select on them, e.g.
// --label-filter='MUST && role:server && !decision:D7'.
func Labels(m reports.CaseMeta) ginkgo.Labels {
	ls := ginkgo.Labels{m.Level, "role:" + m.Role, "profile:" + m.Profile, "sec:" + m.Section}
	for _, r := range m.RFC2779 {
		ls = append(ls, "rfc2779:"+r)
	}
	for _, s := range m.Statements {
		ls = append(ls, "stmt:"+s)
	}
	for _, d := range m.Decisions {
		ls = append(ls, "decision:"+d)
	}
	if m.Slow {
		ls = append(ls, LabelSlow)
	}
	return ls
}

// SpecText is the ginkgo text of a case: its ID, then its requirement. Focus a case with
// --focus on its ID.
func SpecText(m reports.CaseMeta) string { return m.ID + " " + m.Requirement }

// Case declares a conformance case (the Kubernetes ConformanceIt pattern): it registers the
// metadata for the catalogue and returns a ginkgo It with the case's labels. Declare cases at
// package level:
//
//	var _ = harness.Case(reports.CaseMeta{ID: "prim/server/10.3.1/1", ...}, func(h *harness.H) { ... })
//
// Bad metadata or a duplicate ID panics at tree construction: it is a bug in the suite.
func Case(meta reports.CaseMeta, body func(h *H)) bool {
	if err := CheckMeta(meta); err != nil {
		panic(err)
	}
	registry.mu.Lock()
	if registry.ids == nil {
		registry.ids = map[string]bool{}
	}
	if registry.ids[meta.ID] {
		registry.mu.Unlock()
		panic(fmt.Sprintf("harness: case %q declared twice", meta.ID))
	}
	registry.ids[meta.ID] = true
	registry.cases = append(registry.cases, meta)
	registry.mu.Unlock()

	return ginkgo.It(SpecText(meta), Labels(meta), ginkgo.Offset(1), func() {
		gomega.RegisterFailHandler(ginkgo.Fail)
		runCase(meta, body)
	})
}

func lessCaseID(a, b string) bool {
	pa, pb := strings.Split(a, "/"), strings.Split(b, "/")
	if len(pa) != 4 || len(pb) != 4 {
		return a < b
	}
	if pa[1] != pb[1] {
		return pa[1] < pb[1]
	}
	if c := compareDotted(pa[2], pb[2]); c != 0 {
		return c < 0
	}
	return compareDotted(pa[3], pb[3]) < 0
}

func compareDotted(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, y := atoiOr(as[i]), atoiOr(bs[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return len(as) - len(bs)
}

func atoiOr(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
