package topology

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/primlab/primlab/reference/addr"
)

// minSubscription is the smallest duration the reference server grants (Decision D30).
const minSubscription = 60 * time.Second

// DomainList returns every domain: the listed ones, then the generated ones, with Server
// filled in. It is valid once Parse succeeded.
func (t *Topology) DomainList() []Domain {
	out := make([]Domain, 0, len(t.Domains)+t.generated())
	for _, d := range t.Domains {
		if d.Server == "" {
			d.Server = "prim." + d.Name
		}
		out = append(out, d)
	}
	if g := t.Generate; g != nil {
		for i := 0; i < g.Count; i++ {
			name := fmt.Sprintf(g.pattern(), i)
			out = append(out, Domain{Name: name, Users: g.Users, Server: "prim." + name})
		}
	}
	return out
}

func (t *Topology) generated() int {
	if t.Generate == nil {
		return 0
	}
	return t.Generate.Count
}

func (g *Generate) pattern() string {
	if g.Pattern == "" {
		return "d%d.example"
	}
	return g.Pattern
}

// Users returns the total number of users.
func (t *Topology) Users() int {
	n := 0
	for _, d := range t.DomainList() {
		n += d.Users
	}
	return n
}

// FederationLink returns the server-server link profile between two domains.
func (t *Topology) FederationLink(a, b string) Link {
	ca, cb := addr.CanonicalDomain(a), addr.CanonicalDomain(b)
	for _, p := range t.Links.Between {
		x, y := addr.CanonicalDomain(p.Domains[0]), addr.CanonicalDomain(p.Domains[1])
		if (x == ca && y == cb) || (x == cb && y == ca) {
			return p.Link
		}
	}
	return t.Links.Federation
}

// AccessLink returns the client access link profile of a domain's users.
func (d Domain) AccessLink(t *Topology) Link {
	if d.Access != nil {
		return *d.Access
	}
	return t.Links.Access
}

// problems collects validation errors with their lines.
type problems struct {
	t    *Topology
	errs []error
}

func (p *problems) add(path []any, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.t.file, Line: p.t.line(path...), Field: fieldPath(path), Msg: fmt.Sprintf(format, args...)})
}

func fieldPath(path []any) string {
	var b strings.Builder
	for _, el := range path {
		switch v := el.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(v)
		case int:
			b.WriteString("[" + strconv.Itoa(v) + "]")
		}
	}
	return b.String()
}

// line finds the line of the node at path (mapping keys and sequence indexes); when the path
// goes missing (a field left out), the line of the deepest node that exists.
func (t *Topology) line(path ...any) int {
	n := t.root
	if n == nil {
		return 0
	}
	line := n.Line
	for _, el := range path {
		var next *yaml.Node
		switch v := el.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == v {
						next = n.Content[i+1]
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && v < len(n.Content) {
				next = n.Content[v]
			}
		}
		if next == nil {
			return line
		}
		n, line = next, next.Line
	}
	return line
}

func join(path []any, more ...any) []any {
	out := make([]any, 0, len(path)+len(more))
	return append(append(out, path...), more...)
}

func (t *Topology) validate() error {
	p := &problems{t: t}
	if t.Duration < 0 {
		p.add([]any{"duration"}, "negative duration %q", t.Duration.String())
	}
	seen := map[string]string{} // canonical domain -> field path of its first definition
	hosts := map[string]string{}
	checkDomain := func(path []any, name string, users int, server string) {
		if name == "" {
			p.add(path, "domain without a name")
			return
		}
		if _, err := addr.ParseDomain(name); err != nil {
			p.add(path, "domain %q: %v", name, err)
		}
		c := addr.CanonicalDomain(name)
		if first, dup := seen[c]; dup {
			p.add(path, "domain %q defined twice (first at %s)", name, first)
		}
		seen[c] = fieldPath(path)
		if users < 0 {
			p.add(join(path, "users"), "negative user count %d", users)
		}
		if server == "" {
			server = "prim." + name
		}
		if first, dup := hosts[server]; dup {
			p.add(path, "server host %q used twice (first at %s)", server, first)
		}
		hosts[server] = fieldPath(path)
	}
	for i, d := range t.Domains {
		path := []any{"domains", i}
		checkDomain(join(path, "name"), d.Name, d.Users, d.Server)
		if d.Access != nil {
			p.link(join(path, "access"), *d.Access)
		}
	}
	if g := t.Generate; g != nil {
		if g.Count < 0 {
			p.add([]any{"generate", "count"}, "negative count %d", g.Count)
		}
		if g.Users < 0 {
			p.add([]any{"generate", "users"}, "negative user count %d", g.Users)
		}
		if strings.Count(g.pattern(), "%") != 1 || !strings.Contains(g.pattern(), "%") {
			p.add([]any{"generate", "pattern"}, "pattern %q must contain exactly one verb such as %%03d", g.Pattern)
		} else {
			for i := 0; i < g.Count; i++ {
				name := fmt.Sprintf(g.pattern(), i)
				checkDomain([]any{"generate", "pattern"}, name, g.Users, "")
			}
		}
	}
	if len(seen) == 0 {
		p.add([]any{"domains"}, "no domains (give domains or generate)")
	}
	p.link([]any{"links", "access"}, t.Links.Access)
	p.link([]any{"links", "federation"}, t.Links.Federation)
	for i, pl := range t.Links.Between {
		path := []any{"links", "between", i}
		if len(pl.Domains) != 2 {
			p.add(join(path, "domains"), "want exactly two domains, got %d", len(pl.Domains))
		}
		for j, d := range pl.Domains {
			if _, ok := seen[addr.CanonicalDomain(d)]; !ok {
				p.add(join(path, "domains", j), "unknown domain %q", d)
			}
		}
		p.link(path, pl.Link)
	}
	p.workload(t.Workload)
	for i, f := range t.Faults {
		p.fault([]any{"faults", i}, f, seen)
	}
	return errors.Join(p.errs...)
}

func (p *problems) link(path []any, l Link) {
	if l.Latency < 0 {
		p.add(join(path, "latency"), "negative latency %q", l.Latency.String())
	}
	if l.Jitter < 0 {
		p.add(join(path, "jitter"), "negative jitter %q", l.Jitter.String())
	}
	if l.Bandwidth < 0 {
		p.add(join(path, "bandwidth"), "negative bandwidth %d", l.Bandwidth)
	}
	if l.Loss < 0 || l.Loss >= 1 {
		p.add(join(path, "loss"), "loss %v outside [0, 1)", l.Loss)
	}
}

func (p *problems) workload(w Workload) {
	path := []any{"workload"}
	if w.PresencePerUserPerMinute < 0 {
		p.add(join(path, "presence_per_user_per_minute"), "negative rate %v", w.PresencePerUserPerMinute)
	}
	if w.IMPerUserPerMinute < 0 {
		p.add(join(path, "im_per_user_per_minute"), "negative rate %v", w.IMPerUserPerMinute)
	}
	if w.SubscriptionsPerUser < 0 {
		p.add(join(path, "subscriptions_per_user"), "negative count %d", w.SubscriptionsPerUser)
	}
	if w.RemoteShare < 0 || w.RemoteShare > 1 {
		p.add(join(path, "remote_share"), "share %v outside [0, 1]", w.RemoteShare)
	}
	if w.SubscriptionDuration != 0 && w.SubscriptionDuration.D() < minSubscription {
		p.add(join(path, "subscription_duration"), "%q is below the server's 60s minimum (Decision D30)", w.SubscriptionDuration.String())
	}
	if w.LoginSpread < 0 {
		p.add(join(path, "login_spread"), "negative duration %q", w.LoginSpread.String())
	}
	if w.PingInterval < 0 {
		p.add(join(path, "ping_interval"), "negative duration %q", w.PingInterval.String())
	}
}

func (p *problems) fault(path []any, f Fault, domains map[string]string) {
	if f.At < 0 {
		p.add(join(path, "at"), "negative time %q", f.At.String())
	}
	known := func(field string, i int, d string) {
		if _, ok := domains[addr.CanonicalDomain(d)]; !ok {
			if i < 0 {
				p.add(join(path, field), "unknown domain %q", d)
			} else {
				p.add(join(path, field, i), "unknown domain %q", d)
			}
		}
	}
	switch f.Kind {
	case FaultPartition:
		if len(f.A) == 0 {
			p.add(join(path, "a"), "a partition needs at least one domain in a")
		}
		inA := map[string]bool{}
		for i, d := range f.A {
			known("a", i, d)
			inA[addr.CanonicalDomain(d)] = true
		}
		for i, d := range f.B {
			known("b", i, d)
			if inA[addr.CanonicalDomain(d)] {
				p.add(join(path, "b", i), "domain %q is on both sides", d)
			}
		}
		if f.For < 0 {
			p.add(join(path, "for"), "negative duration %q", f.For.String())
		}
		if f.Server != "" || f.RestartAfter != 0 {
			p.add(path, "server and restart_after belong to crash faults")
		}
	case FaultCrash:
		if f.Server == "" {
			p.add(join(path, "server"), "a crash needs the domain whose server crashes")
		} else {
			known("server", -1, f.Server)
		}
		if f.RestartAfter < 0 {
			p.add(join(path, "restart_after"), "negative duration %q", f.RestartAfter.String())
		}
		if len(f.A) > 0 || len(f.B) > 0 || f.For != 0 {
			p.add(path, "a, b and for belong to partition faults")
		}
	case "":
		p.add(path, "fault without a kind (want %q or %q)", FaultPartition, FaultCrash)
	default:
		p.add(join(path, "kind"), "unknown fault kind %q (want %q or %q)", f.Kind, FaultPartition, FaultCrash)
	}
}
