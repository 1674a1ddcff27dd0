// Package topology reads the YAML files that describe a simulated PRIM federation (DESIGN.md
// "The simulator": topologies and workloads load from YAML with strict fields).
//
// The package offers:
//
//   - [Topology]: domains (each with its home server and its users), link profiles (client
//     access links and server-server federation links, with per-pair overrides), a [Workload]
//     (presence changes, subscriptions and instant messages per user) and a fault schedule
//     ([Fault]: partitions that heal, server crashes and restarts).
//   - [Load] and [Parse]: strict decoding (an unknown field is an error) and validation; every
//     error is an [*Error] carrying the file, the line and the field it concerns.
//   - [Duration]: a YAML scalar such as "250ms" or "10m".
//
// A topology is data only: sim/workload builds a sim.World from it and runs the workload.
package topology

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Topology is one federation to simulate.
type Topology struct {
	// Name labels the metrics and plots (default: the file name without extension).
	Name string `yaml:"name"`
	// Description is free prose.
	Description string `yaml:"description"`
	// Duration is the default simulated span of a run (primlab sim --duration overrides it).
	Duration Duration `yaml:"duration"`
	// Domains lists domains one by one.
	Domains []Domain `yaml:"domains"`
	// Generate adds many similar domains (after Domains).
	Generate *Generate `yaml:"generate"`
	// Links gives the link profiles.
	Links Links `yaml:"links"`
	// Workload is what the users do.
	Workload Workload `yaml:"workload"`
	// Faults is the fault schedule.
	Faults []Fault `yaml:"faults"`

	file string
	root *yaml.Node
}

// Domain is one Service Domain: one home server and its users.
type Domain struct {
	// Name is the domain, e.g. "example.com".
	Name string `yaml:"name"`
	// Users is how many users the domain has (u0@Name, u1@Name, ...).
	Users int `yaml:"users"`
	// Server is the host name of the domain's home server (default "prim." + Name).
	Server string `yaml:"server"`
	// Access, when set, replaces Links.Access for this domain's users.
	Access *Link `yaml:"access"`
}

// Generate describes Count domains named after Pattern (a fmt pattern taking the index, default
// "d%d.example"), each with Users users.
type Generate struct {
	Count   int    `yaml:"count"`
	Pattern string `yaml:"pattern"`
	Users   int    `yaml:"users"`
}

// Links are the link profiles of the world.
type Links struct {
	// Access is the link between a domain's users and their home server (client-server).
	Access Link `yaml:"access"`
	// Federation is the link between two domains' servers (server-server).
	Federation Link `yaml:"federation"`
	// Between overrides Federation for some pairs of domains.
	Between []PairLink `yaml:"between"`
}

// Link is one link profile. Bandwidth is in bytes per second (0: unlimited); Loss is the
// probability that one transmission of a segment is lost (the simulator models it as TCP
// retransmission delay).
type Link struct {
	Latency   Duration `yaml:"latency"`
	Jitter    Duration `yaml:"jitter"`
	Bandwidth int64    `yaml:"bandwidth"`
	Loss      float64  `yaml:"loss"`
}

// PairLink is the federation link between the two named domains.
type PairLink struct {
	Domains []string `yaml:"domains"`
	Link    `yaml:",inline"`
}

// Workload is what every user does, as rates (Poisson processes) per user.
type Workload struct {
	// PresencePerUserPerMinute is the rate of presence changes (PUBLISH) per user.
	PresencePerUserPerMinute float64 `yaml:"presence_per_user_per_minute"`
	// SubscriptionsPerUser is how many presentities each user watches.
	SubscriptionsPerUser int `yaml:"subscriptions_per_user"`
	// RemoteShare is the share of those subscriptions to users of other domains (0..1).
	RemoteShare float64 `yaml:"remote_share"`
	// IMPerUserPerMinute is the rate of instant messages each user sends (to a watched user).
	IMPerUserPerMinute float64 `yaml:"im_per_user_per_minute"`
	// SubscriptionDuration is the duration asked for in SUBSCRIBE (default 10m; the server
	// clamps it to [60 s, 86400 s], Decision D30). Watchers renew at 80% of it.
	SubscriptionDuration Duration `yaml:"subscription_duration"`
	// LoginSpread spreads the users' first logins over this span (default 10s).
	LoginSpread Duration `yaml:"login_spread"`
	// PingInterval is how often an idle client sends PING, the only liveness check PRIM has
	// (I2 §10.3.4, Decision D45); it bounds how long a client takes to notice a crashed
	// server (default 1m).
	PingInterval Duration `yaml:"ping_interval"`
}

// Fault kinds.
const (
	FaultPartition = "partition"
	FaultCrash     = "crash"
)

// Fault is one scheduled fault.
//
//   - partition: at At, the domains in A are cut off from the domains in B (default: every
//     domain not in A), servers and users alike; after For (0: never) the cut heals.
//   - crash: at At, the home server of domain Server crashes (its state is lost); after
//     RestartAfter (0: never) it restarts with a fresh engine.
type Fault struct {
	Kind         string   `yaml:"kind"`
	At           Duration `yaml:"at"`
	For          Duration `yaml:"for"`
	A            []string `yaml:"a"`
	B            []string `yaml:"b"`
	Server       string   `yaml:"server"`
	RestartAfter Duration `yaml:"restart_after"`
}

// Heal returns when the fault ends (a partition heals, a crashed server restarts), and false
// if it never does.
func (f Fault) Heal() (time.Duration, bool) {
	switch f.Kind {
	case FaultPartition:
		return f.At.D() + f.For.D(), f.For > 0
	case FaultCrash:
		return f.At.D() + f.RestartAfter.D(), f.RestartAfter > 0
	}
	return 0, false
}

// Duration is a time.Duration written in YAML as a Go duration string ("250ms", "1h30m").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML implements yaml.Unmarshaler for a scalar node.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration such as \"250ms\", got a %s", n.Line, kindName(n.Kind))
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		if n.Value == "0" {
			*d = 0
			return nil
		}
		return fmt.Errorf("line %d: duration %q: want a value such as \"250ms\" or \"10m\"", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.AliasNode:
		return "alias"
	}
	return "scalar"
}

// Error is a problem in a topology file, located by line and field path
// (e.g. "links.access.latency", "faults[2].a[0]").
type Error struct {
	File  string
	Line  int // 0 when unknown
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrTopology is wrapped by every error Load and Parse return for a bad file.
var ErrTopology = errors.New("bad topology")

// Is lets errors.Is(err, ErrTopology) match every *Error.
func (e *Error) Is(target error) bool { return target == ErrTopology }

// Load reads and validates the topology file at path.
func Load(path string) (*Topology, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	t, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if t.Name == "" {
		base := path[strings.LastIndexAny(path, `/\`)+1:]
		t.Name = strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")
	}
	return t, nil
}

// Parse decodes and validates a topology; file names it in errors. Unknown fields, type
// errors and invalid values are all errors with line numbers; invalid values are all reported
// at once (errors.Join).
func Parse(file string, data []byte) (*Topology, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, &Error{File: file, Msg: "empty topology"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	t := &Topology{}
	if err := dec.Decode(t); err != nil {
		return nil, yamlError(file, err)
	}
	t.file = file
	t.root = root.Content[0]
	if err := t.validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// yamlError turns the decoder's errors ("yaml: line 3: ...", or a TypeError listing
// "line 5: field foo not found in type ...") into *Errors, one per line.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var errs []error
		for _, msg := range te.Errors {
			errs = append(errs, lineError(file, msg))
		}
		return errors.Join(errs...)
	}
	return lineError(file, strings.TrimPrefix(err.Error(), "yaml: "))
}

// lineError splits a leading "line N: " off msg.
func lineError(file, msg string) *Error {
	e := &Error{File: file, Msg: msg}
	var n int
	if _, err := fmt.Sscanf(msg, "line %d:", &n); err == nil && n > 0 {
		e.Line = n
		e.Msg = strings.TrimSpace(msg[strings.IndexByte(msg, ':')+1:])
	}
	if strings.Contains(e.Msg, " not found in type ") {
		// "field foo not found in type topology.Link" -> unknown field "foo"
		f := strings.TrimPrefix(e.Msg, "field ")
		name := f[:strings.Index(f, " not found in type ")]
		typ := f[strings.LastIndex(f, ".")+1:]
		e.Field = name
		e.Msg = fmt.Sprintf("unknown field %q (not a field of %s)", name, typ)
	}
	return e
}
