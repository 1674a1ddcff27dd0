package server

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/addr"
)

// Listener roles (Config.Listeners values).
const (
	RoleClient = "client" // I2 client profile: PRIM-PR/PRIM-IM, optionally shared (I2 §4.3)
	RoleS2S    = "s2s"    // SS server profile: PRIM/1.0 (Decision D1)
)

// Config is a home server's configuration.
type Config struct {
	// Domain is the Service Domain the server serves, e.g. "example.com".
	Domain string
	// Accounts maps a user's local part ("alice") to its pass phrase. The principal
	// alice@Domain owns pres:alice@Domain and im:alice@Domain. A SASL user name may be written
	// "alice" or "alice@Domain".
	Accounts map[string]string
	// Listeners names the listeners the shell accepts connections on, and the role of each
	// ("client" or "s2s"); engine.Opened.Listener carries the name.
	Listeners map[string]string
	// Peers maps a peer domain to the host:port of its server-server listener (static routing),
	// or to several, comma-separated: a dial that fails moves on to the next (§6.2).
	Peers map[string]string
	// PeerSecrets maps a peer domain to the secret shared with it; with one, outbound LOGIN uses
	// CRAM-MD5 with the domain as user name and inbound CRAM-MD5/PLAIN LOGIN for that domain is
	// checked against it (PRIM-A12.2-4). Without one, LOGIN uses ANONYMOUS (PRIM-A12.2-5).
	PeerSecrets map[string]string
	// Resolver, if set, finds the host:port list of a domain not in Peers (DNS SRV prim-pr /
	// prim-im with A fallback, Decision D3; SRVResolver builds one from DNS lookups), tried in
	// order when a dial fails. It is called synchronously inside Handle, so it must be pure or
	// cached (the simulator injects a table).
	Resolver func(domain string) ([]string, error)
	// TLS says whether STARTTLS is offered; without it STARTTLS gets 501 (PRIM-A10.3.2-7).
	TLS bool
	// AcceptAnonymousPeers lets a peer authenticate with ANONYMOUS plus a Domain header
	// (PRIM-A12.2-6: the shell or the resolver vouches for the address). Default false: only
	// domains in Peers or PeerSecrets are accepted.
	AcceptAnonymousPeers bool
	// LegacyS2S lets I2-style PRIM-PR/PRIM-IM requests through the version check on s2s
	// listeners (Decision D1). The I2 server-server methods themselves are not served yet:
	// with the flag they get 501 Not Implemented instead of 503 Version Not Supported.
	LegacyS2S bool
	// DenyByDefault gives fresh resources an empty ACL (privacy first) instead of Decision
	// D15's default ("." may fetch and subscribe to presentities and send to inboxes).
	DenyByDefault bool
	// Limits bound subscriptions, durations, bodies and relay waits.
	Limits Limits
}

// Limits are the server's administrative limits. Zero fields take DefaultLimits' values.
type Limits struct {
	MaxSubscriptionsPerPresentity int           // 505 beyond (I2 §10.1.1)
	MaxSubscriptionsPerWatcher    int           // 505 beyond
	MinDuration                   time.Duration // subscription durations are clamped (Decision D30)
	MaxDuration                   time.Duration
	DefaultDuration               time.Duration // duration the server asks for on relayed subscriptions
	MaxBody                       int           // largest command body accepted (wire.Limits.MaxBody)
	RelayTimeout                  time.Duration // wait for a next hop or a listener (Decision D35)
}

// DefaultLimits returns 1000 subscriptions per presentity and per watcher (RFC 2779 2.2.4 and
// 2.2.5 ask for hundreds), durations clamped to
// [60 s, 86400 s] with 3600 s default (Decision D30), 1 MiB bodies and a 30 s relay timeout
// (Decision D35).
func DefaultLimits() Limits {
	return Limits{
		MaxSubscriptionsPerPresentity: 1000,
		MaxSubscriptionsPerWatcher:    1000,
		MinDuration:                   60 * time.Second,
		MaxDuration:                   86400 * time.Second,
		DefaultDuration:               3600 * time.Second,
		MaxBody:                       1 << 20,
		RelayTimeout:                  30 * time.Second,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxSubscriptionsPerPresentity == 0 {
		l.MaxSubscriptionsPerPresentity = d.MaxSubscriptionsPerPresentity
	}
	if l.MaxSubscriptionsPerWatcher == 0 {
		l.MaxSubscriptionsPerWatcher = d.MaxSubscriptionsPerWatcher
	}
	if l.MinDuration == 0 {
		l.MinDuration = d.MinDuration
	}
	if l.MaxDuration == 0 {
		l.MaxDuration = d.MaxDuration
	}
	if l.DefaultDuration == 0 {
		l.DefaultDuration = d.DefaultDuration
	}
	if l.MaxBody == 0 {
		l.MaxBody = d.MaxBody
	}
	if l.RelayTimeout == 0 {
		l.RelayTimeout = d.RelayTimeout
	}
	return l
}

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("server: invalid config")

// Validate reports every bad field of c, each naming the field and quoting the value.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	if c.Domain == "" {
		bad("Domain is empty")
	} else if _, err := addr.ParseDomain(c.Domain); err != nil {
		bad("Domain %q: %v", c.Domain, err)
	}
	for _, u := range sortedKeys(c.Accounts) {
		if u == "" || strings.ContainsAny(u, "@:\r\n ") {
			bad("Accounts: user %q must be a bare local part", u)
		} else if _, err := addr.New(addr.SchemePres, addr.Unescape(u), "x.invalid"); err != nil {
			bad("Accounts: user %q: %v", u, err)
		}
	}
	if len(c.Listeners) == 0 {
		bad("Listeners is empty")
	}
	for _, name := range sortedKeys(c.Listeners) {
		if r := c.Listeners[name]; r != RoleClient && r != RoleS2S {
			bad("Listeners[%q]: role %q (want %q or %q)", name, r, RoleClient, RoleS2S)
		}
	}
	for _, d := range sortedKeys(c.Peers) {
		if _, err := addr.ParseDomain(d); err != nil {
			bad("Peers: domain %q: %v", d, err)
		}
		if addr.CanonicalDomain(d) == addr.CanonicalDomain(c.Domain) {
			bad("Peers: domain %q is the server's own domain", d)
		}
		addrs := peerAddrs(c.Peers[d])
		if len(addrs) == 0 {
			bad("Peers[%q]: no address in %q", d, c.Peers[d])
		}
		for _, a := range addrs {
			if err := checkHostPort(a); err != nil {
				bad("Peers[%q]: %v", d, err)
			}
		}
	}
	for _, d := range sortedKeys(c.PeerSecrets) {
		if c.PeerSecrets[d] == "" {
			bad("PeerSecrets[%q] is empty", d)
		}
	}
	l := c.Limits
	if l.MaxSubscriptionsPerPresentity < 0 || l.MaxSubscriptionsPerWatcher < 0 || l.MaxBody < 0 {
		bad("Limits: negative maximum")
	}
	if l.MinDuration < 0 || l.MaxDuration < 0 || l.DefaultDuration < 0 || l.RelayTimeout < 0 {
		bad("Limits: negative duration")
	}
	if ld := l.withDefaults(); ld.MinDuration > ld.MaxDuration {
		bad("Limits: MinDuration %v above MaxDuration %v", ld.MinDuration, ld.MaxDuration)
	} else if ld.DefaultDuration < ld.MinDuration || ld.DefaultDuration > ld.MaxDuration {
		bad("Limits: DefaultDuration %v outside [%v, %v]", ld.DefaultDuration, ld.MinDuration, ld.MaxDuration)
	}
	for _, d := range []time.Duration{l.MinDuration, l.MaxDuration, l.DefaultDuration} {
		if d%time.Second != 0 {
			bad("Limits: duration %v is not a whole number of seconds", d)
			break
		}
	}
	return errors.Join(errs...)
}

func checkHostPort(hp string) error {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return fmt.Errorf("address %q: %w", hp, err)
	}
	if host == "" {
		return fmt.Errorf("address %q: empty host", hp)
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return fmt.Errorf("address %q: bad port %q", hp, port)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
