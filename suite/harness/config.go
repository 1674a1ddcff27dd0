package harness

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reports"
)

// Account is one user account on the target: a bare local part and its pass phrase.
type Account struct {
	User     string `yaml:"user"`
	Password string `yaml:"password"`
}

// Config describes one conformance run. The zero value runs against the reference server in
// the simulator with DefaultDomain and DefaultAccounts.
type Config struct {
	// Target is the external server's client listener (host:port); empty means the reference
	// server inside the simulator.
	Target string
	// S2STarget is the external server's server-server listener (host:port), if any.
	S2STarget string
	// S2SListen is where the suite accepts the external target's outgoing server-server
	// connections to PeerDomain (host:port); configure the target to route PeerDomain there.
	// The simulator always has such a listener.
	S2SListen string
	// Domain is the target's Service Domain.
	Domain string
	// Accounts are the target's user accounts, in the order cases take them: the first plays
	// "alice", the second "bob", the third "carol".
	Accounts []Account
	// PeerDomain is the domain the suite claims on server-server connections, and PeerSecret
	// the secret the target shares with it (CRAM-MD5 / PLAIN LOGIN, PRIM-A12.2-4).
	PeerDomain string
	PeerSecret string
	// FarDomains are further peer domains the target routes to the suite's peer listener
	// (S2SListen), for cases that need many domains (RFC 2779 2.2.6). Against an external
	// target, list them only if it routes them there; the simulated target has FarDomainCount
	// of them (FarDomain(i)), found through DNS SRV _prim-pr._tcp records (PRIM-S4.3-2).
	FarDomains []string
	// Seed fixes the run; each case's world is seeded from it and the case ID.
	Seed uint64
	// Timeout bounds every step (virtual time in the simulator; default 5 s).
	Timeout time.Duration
	// Quiet is how long ExpectNothing waits for silence by default (default 2 s in the
	// simulator, 1 s against an external target).
	Quiet time.Duration
	// Out is the results directory; case evidence goes under Out/cases/<id>/. Empty: keep
	// evidence in memory only.
	Out string
	// MaxUnreachable is how many consecutive cases may fail to connect before the run stops
	// (default 3; remaining cases are then marked error).
	MaxUnreachable int
	// MaxBuffered bounds how many unread bytes one connection may hold (default 4 MiB): a
	// flooding target costs that case, not the run.
	MaxBuffered int
	// WrapServer, when set, wraps the simulated reference server engine of every case's world
	// (it is called once per world, so a wrapper may keep state). The mutation self-test
	// (suite/mutants) uses it to break one behaviour at a time; nil runs the clean reference.
	// It has no effect against an external target.
	WrapServer func(engine.Engine) engine.Engine
}

// Defaults for the simulated reference target.
const (
	DefaultDomain     = "example.com"
	DefaultPeerDomain = "remote.example"
	DefaultPeerSecret = "remote-shared-secret"
)

// FarDomainCount is how many further peer domains the simulated target routes to the suite
// (Config.FarDomains): RFC 2779 2.2.6 asks for "hundreds of domains".
const FarDomainCount = 120

// FarDomain is the simulated target's i-th further peer domain (1-based).
func FarDomain(i int) string { return fmt.Sprintf("d%03d.far.example", i) }

// DefaultAccounts are the reference target's accounts.
func DefaultAccounts() []Account {
	return []Account{{"alice", "alice-secret"}, {"bob", "bob-secret"}, {"carol", "carol-secret"}}
}

// Simulated reports whether the run targets the reference server in the simulator.
func (c Config) Simulated() bool { return c.Target == "" }

// withDefaults fills unset fields.
func (c Config) withDefaults() Config {
	if c.Simulated() {
		if c.Domain == "" {
			c.Domain = DefaultDomain
		}
		if len(c.Accounts) == 0 {
			c.Accounts = DefaultAccounts()
		}
		if c.PeerDomain == "" {
			c.PeerDomain = DefaultPeerDomain
		}
		if c.PeerSecret == "" {
			c.PeerSecret = DefaultPeerSecret
		}
		if len(c.FarDomains) == 0 {
			for i := 1; i <= FarDomainCount; i++ {
				c.FarDomains = append(c.FarDomains, FarDomain(i))
			}
		}
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Quiet <= 0 {
		c.Quiet = 2 * time.Second
		if !c.Simulated() {
			c.Quiet = time.Second
		}
		c.Quiet = min(c.Quiet, c.Timeout)
	}
	if c.MaxUnreachable <= 0 {
		c.MaxUnreachable = 3
	}
	if c.MaxBuffered <= 0 {
		c.MaxBuffered = 4 << 20
	}
	return c
}

// Validate reports every bad field, naming it and quoting the value.
func (c Config) Validate() error {
	var errs []error
	for _, hp := range []struct{ name, v string }{{"target", c.Target}, {"s2s-target", c.S2STarget}, {"s2s-listen", c.S2SListen}} {
		if hp.v == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(hp.v); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("harness: %s %q is not host:port", hp.name, hp.v))
		}
	}
	if c.S2STarget != "" && c.Target == "" {
		errs = append(errs, errors.New("harness: s2s-target needs target too"))
	}
	if !c.Simulated() && c.Domain == "" {
		errs = append(errs, errors.New("harness: an external target needs its domain (--domain or the target file)"))
	}
	seen := map[string]bool{}
	for _, a := range c.Accounts {
		if a.User == "" || strings.ContainsAny(a.User, "@: \r\n") {
			errs = append(errs, fmt.Errorf("harness: account user %q must be a bare local part", a.User))
		}
		if seen[a.User] {
			errs = append(errs, fmt.Errorf("harness: account %q listed twice", a.User))
		}
		seen[a.User] = true
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("harness: negative timeout %v", c.Timeout))
	}
	return errors.Join(errs...)
}

// ParseAccount parses "user:password".
func ParseAccount(s string) (Account, error) {
	u, p, ok := strings.Cut(s, ":")
	if !ok || u == "" {
		return Account{}, fmt.Errorf("harness: account %q: want user:password", s)
	}
	return Account{User: u, Password: p}, nil
}

// TargetFile is the YAML form of an external target (--target-file):
//
//	target: 127.0.0.1:7000
//	s2s_target: 127.0.0.1:7001
//	s2s_listen: 127.0.0.1:7101   # the suite's peer domain; route peer_domain there
//	domain: example.org
//	accounts:
//	  - {user: alice, password: alice-secret}
//	  - {user: bob, password: bob-secret}
//	peer_domain: remote.example
//	peer_secret: shared
//	far_domains: [d001.far.example, d002.far.example]  # more domains routed to s2s_listen
type TargetFile struct {
	Target     string    `yaml:"target"`
	S2STarget  string    `yaml:"s2s_target"`
	S2SListen  string    `yaml:"s2s_listen"`
	Domain     string    `yaml:"domain"`
	Accounts   []Account `yaml:"accounts"`
	PeerDomain string    `yaml:"peer_domain"`
	PeerSecret string    `yaml:"peer_secret"`
	FarDomains []string  `yaml:"far_domains"`
}

// LoadTargetFile reads a target file strictly (unknown fields are errors).
func LoadTargetFile(path string) (TargetFile, error) {
	var tf TargetFile
	data, err := os.ReadFile(path)
	if err != nil {
		return tf, fmt.Errorf("harness: target file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&tf); err != nil {
		return tf, fmt.Errorf("harness: target file %q: %w", path, err)
	}
	return tf, nil
}

// Apply copies the file's fields into c where c leaves them unset (flags win over the file).
func (tf TargetFile) Apply(c *Config) {
	if c.Target == "" {
		c.Target = tf.Target
	}
	if c.S2STarget == "" {
		c.S2STarget = tf.S2STarget
	}
	if c.S2SListen == "" {
		c.S2SListen = tf.S2SListen
	}
	if c.Domain == "" {
		c.Domain = tf.Domain
	}
	if len(c.Accounts) == 0 {
		c.Accounts = tf.Accounts
	}
	if c.PeerDomain == "" {
		c.PeerDomain = tf.PeerDomain
	}
	if c.PeerSecret == "" {
		c.PeerSecret = tf.PeerSecret
	}
	if len(c.FarDomains) == 0 {
		c.FarDomains = tf.FarDomains
	}
}

// runNonce distinguishes runs against an external target, whose state outlives a run; the
// simulator starts from nothing every case, so there it is empty and runs stay deterministic.
func runNonce(c Config) string {
	if c.Simulated() {
		return ""
	}
	return run.nonce
}

// run is the state of the current run: one per process, like ginkgo's.
var run struct {
	mu          sync.Mutex
	cfg         Config
	results     []reports.CaseResult
	unreachable int  // consecutive cases that could not connect
	aborted     bool // MaxUnreachable reached
	nonce       string
}

func init() { run.cfg = Config{}.withDefaults() }

// Configure sets the run's configuration and clears earlier results. Call it before
// ginkgo.RunSpecs.
func Configure(c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	run.mu.Lock()
	defer run.mu.Unlock()
	run.cfg = c.withDefaults()
	run.results = nil
	run.unreachable = 0
	run.aborted = false
	run.nonce = fmt.Sprintf("r%x", uint32(time.Now().UnixNano()))
	closeInbound() // a new run listens afresh (pool.go)
	return nil
}

// CurrentConfig returns the run's configuration with defaults filled in.
func CurrentConfig() Config {
	run.mu.Lock()
	defer run.mu.Unlock()
	return run.cfg
}

// Results returns the results recorded so far, sorted by case ID.
func Results() []reports.CaseResult {
	run.mu.Lock()
	defer run.mu.Unlock()
	out := append([]reports.CaseResult(nil), run.results...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Aborted reports whether the run stopped because the target could not be reached.
func Aborted() bool {
	run.mu.Lock()
	defer run.mu.Unlock()
	return run.aborted
}

func record(r reports.CaseResult, connectFailed, connected bool) {
	run.mu.Lock()
	defer run.mu.Unlock()
	run.results = append(run.results, r)
	switch {
	case connectFailed:
		run.unreachable++
		if run.unreachable >= run.cfg.MaxUnreachable {
			run.aborted = true
		}
	case connected:
		run.unreachable = 0
	}
}
