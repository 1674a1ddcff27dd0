package topology

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFixturesLoad(t *testing.T) {
	cases := []struct {
		file    string
		domains int
		users   int
		faults  int
	}{
		{"two-domains.yaml", 2, 20, 2},
		{"mesh-20.yaml", 20, 400, 2},
		{"federation-100x100.yaml", 100, 10000, 2},
		{"federation-1000x1000.yaml", 1000, 1000000, 0},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			top, err := Load(filepath.Join("..", "..", "fixtures", "topologies", c.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(top.DomainList()); got != c.domains {
				t.Errorf("domains = %d, want %d", got, c.domains)
			}
			if got := top.Users(); got != c.users {
				t.Errorf("users = %d, want %d", got, c.users)
			}
			if got := len(top.Faults); got != c.faults {
				t.Errorf("faults = %d, want %d", got, c.faults)
			}
			if top.Duration <= 0 {
				t.Errorf("duration %v, want a default span", top.Duration)
			}
			if want := strings.TrimSuffix(c.file, ".yaml"); top.Name != want {
				t.Errorf("name = %q, want %q", top.Name, want)
			}
		})
	}
}

func TestMeshOverrides(t *testing.T) {
	top, err := Load(filepath.Join("..", "..", "fixtures", "topologies", "mesh-20.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := top.FederationLink("m01.example", "m00.example").Latency.D(); got != 120*time.Millisecond {
		t.Errorf("m01-m00 latency = %v, want the 120ms override (either order)", got)
	}
	if got := top.FederationLink("m05.example", "m06.example").Latency.D(); got != 25*time.Millisecond {
		t.Errorf("m05-m06 latency = %v, want the 25ms default", got)
	}
	d := top.DomainList()[0]
	if d.Server != "prim.m00.example" {
		t.Errorf("default server host = %q", d.Server)
	}
	if end, ok := top.Faults[0].Heal(); !ok || end != 4*time.Minute {
		t.Errorf("partition heals at %v %v, want 4m", end, ok)
	}
}

const good = `name: t
domains:
  - name: a.example
    users: 2
  - name: b.example
    users: 2
links:
  access:
    latency: 5ms
  federation:
    latency: 20ms
workload:
  presence_per_user_per_minute: 1
faults:
  - kind: partition
    at: 1m
    for: 10s
    a: [a.example]
`

func TestParseGood(t *testing.T) {
	top, err := Parse("good.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if top.Links.Access.Latency.D() != 5*time.Millisecond || top.Faults[0].At.D() != time.Minute {
		t.Errorf("decoded %+v", top)
	}
}

// Each bad file must fail with an error naming the file, the line and the field.
func TestParseErrorsHaveLines(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want string // substring of the error, including "file:line:"
	}{
		{"unknown field", strings.Replace(good, "    latency: 5ms", "    latency: 5ms\n    latancy: 6ms", 1),
			`bad.yaml:10: latancy: unknown field "latancy" (not a field of Link)`},
		{"unknown top-level field", good + "color: blue\n",
			`bad.yaml:19: color: unknown field "color"`},
		{"negative latency", strings.Replace(good, "latency: 20ms", "latency: -20ms", 1),
			`bad.yaml:11: links.federation.latency: negative latency "-20ms"`},
		{"unknown domain in a fault", strings.Replace(good, "a: [a.example]", "a: [c.example]", 1),
			`bad.yaml:18: faults[0].a[0]: unknown domain "c.example"`},
		{"unknown crash server", strings.Replace(good, "  - kind: partition\n    at: 1m\n    for: 10s\n    a: [a.example]\n",
			"  - kind: crash\n    at: 1m\n    server: z.example\n", 1),
			`bad.yaml:17: faults[0].server: unknown domain "z.example"`},
		{"malformed yaml", strings.Replace(good, "    users: 2\n  - name: b", "    users: [2\n  - name: b", 1),
			`bad.yaml:`},
		{"bad duration", strings.Replace(good, "at: 1m", "at: soon", 1),
			`bad.yaml:16: duration "soon"`},
		{"loss out of range", strings.Replace(good, "latency: 5ms", "latency: 5ms\n    loss: 1.5", 1),
			`bad.yaml:10: links.access.loss: loss 1.5 outside [0, 1)`},
		{"unknown fault kind", strings.Replace(good, "kind: partition", "kind: meteor", 1),
			`bad.yaml:15: faults[0].kind: unknown fault kind "meteor"`},
		{"wrong type", strings.Replace(good, "users: 2", "users: many", 1),
			`bad.yaml:4: cannot unmarshal`},
		{"duplicate domain", strings.Replace(good, "b.example", "A.example", 1),
			`bad.yaml:5: domains[1].name: domain "A.example" defined twice`},
		{"short subscriptions", strings.Replace(good, "presence_per_user_per_minute: 1", "subscription_duration: 10s", 1),
			`bad.yaml:13: workload.subscription_duration: "10s" is below`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatalf("no error for\n%s", c.yaml)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\nwant it to contain %q", err, c.want)
			}
			if !errors.Is(err, ErrTopology) {
				t.Errorf("error %v does not match ErrTopology", err)
			}
			var te *Error
			if !errors.As(err, &te) || te.Line == 0 {
				t.Errorf("error %v carries no line", err)
			}
		})
	}
}

func TestAllProblemsReported(t *testing.T) {
	bad := strings.Replace(strings.Replace(good, "latency: 20ms", "latency: -20ms", 1), "a: [a.example]", "a: [q.example]", 1)
	_, err := Parse("bad.yaml", []byte(bad))
	if err == nil || !strings.Contains(err.Error(), "negative latency") || !strings.Contains(err.Error(), `unknown domain "q.example"`) {
		t.Fatalf("want both problems, got %v", err)
	}
}
