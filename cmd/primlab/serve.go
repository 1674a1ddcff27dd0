package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/netrun"
	"github.com/primlab/primlab/reference/server"
)

// primlab serve: the reference home server over real TCP (reference/server run by
// reference/netrun). Flags and the YAML file (--config) say the same things; flags add to and
// override the file.

func init() {
	register(command{name: "serve", summary: "run the reference PRIM server for one domain", run: runServe})
}

// serveFile is the YAML form of the configuration (strict: unknown fields are errors).
type serveFile struct {
	Domain               string            `yaml:"domain"`
	Listen               string            `yaml:"listen"`
	S2SListen            string            `yaml:"s2s_listen"`
	Accounts             map[string]string `yaml:"accounts"`
	Peers                map[string]string `yaml:"peers"`
	PeerSecrets          map[string]string `yaml:"peer_secrets"`
	TLSCert              string            `yaml:"tls_cert"`
	TLSKey               string            `yaml:"tls_key"`
	TLSClientCA          string            `yaml:"tls_client_ca"`
	AcceptAnonymousPeers bool              `yaml:"accept_anonymous_peers"`
	DenyByDefault        bool              `yaml:"deny_by_default"`
	Seed                 *uint64           `yaml:"seed"`
}

const serveYAMLHelp = `
The --config file says the same in YAML (unknown fields are errors):

  domain: example.com
  listen: 127.0.0.1:7000
  s2s_listen: 127.0.0.1:7001
  accounts: {alice: secret, bob: hunter2}
  peers: {example.org: 192.0.2.7:7001}
  peer_secrets: {example.org: shared}
  tls_cert: cert.pem
  tls_key: key.pem
  tls_client_ca: clients.pem
  accept_anonymous_peers: false
  deny_by_default: false
  seed: 1

It prints "listening <name> <address> domain=<domain>" for each listener, and stops cleanly on
SIGINT or SIGTERM.
`

// serveConfig is the merged configuration, ready to wire.
type serveConfig struct {
	serveFile
	verbose bool
	// lines maps a YAML field path ("peers.example.org") to its line, for error messages.
	lines map[string]int
	file  string
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// serveHook lets tests run serve in-process: it receives the context serve will stop on and
// the bound addresses. Nil outside tests.
var serveHook func(ctx context.Context, addrs map[string]string) context.Context

func runServe(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := parseServe(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "primlab serve: %v\n", err)
		return exitUsage
	}
	srvCfg, tlsCfg, err := cfg.build()
	if err != nil {
		fmt.Fprintf(stderr, "primlab serve: %v\n", err)
		return exitUsage
	}
	seed := uint64(time.Now().UnixNano())
	if cfg.Seed != nil {
		seed = *cfg.Seed
	}
	eng, err := newServerEngine(srvCfg, rand.New(rand.NewPCG(seed, 0x5e7e)))
	if err != nil {
		fmt.Fprintf(stderr, "primlab serve: %v\n", err)
		return exitUsage
	}
	var outMu sync.Mutex
	listeners := map[string]string{"client": cfg.Listen}
	if cfg.S2SListen != "" {
		listeners["s2s"] = cfg.S2SListen
	}
	rcfg := netrun.Config{Listeners: listeners, TLS: tlsCfg}
	if cfg.verbose {
		rcfg.OnFact = func(f engine.Fact) {
			outMu.Lock()
			fmt.Fprintf(stderr, "fact %s\n", f)
			outMu.Unlock()
		}
	}
	r, err := netrun.New(eng, rcfg)
	if err != nil {
		fmt.Fprintf(stderr, "primlab serve: %v\n", err)
		return exitHarness
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	addrs := map[string]string{}
	outMu.Lock()
	for _, name := range []string{"client", "s2s"} {
		if a := r.Addr(name); a != "" {
			addrs[name] = a
			fmt.Fprintf(stdout, "listening %s %s domain=%s\n", name, a, cfg.Domain)
		}
	}
	outMu.Unlock()
	if serveHook != nil {
		ctx = serveHook(ctx, addrs)
	}
	if err := r.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "primlab serve: %v\n", err)
		return exitHarness
	}
	fmt.Fprintln(stdout, "stopped")
	return exitOK
}

func parseServe(args []string, stderr io.Writer) (*serveConfig, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: primlab serve --domain D --listen ADDR [--s2s-listen ADDR] --account user:password ...\n"+
			"                     [--peer domain=host:port ...] [--peer-secret domain=secret ...]\n"+
			"                     [--tls-cert F --tls-key F] [--config server.yaml]\n\nflags:")
		fs.PrintDefaults()
		fmt.Fprint(stderr, serveYAMLHelp)
	}
	var (
		configPath = fs.String("config", "", "YAML configuration `file` (strict; flags add to and override it)")
		domain     = fs.String("domain", "", "the Service `domain` this server serves")
		listen     = fs.String("listen", "", "client listener `address` (host:port; port 0 picks one)")
		s2s        = fs.String("s2s-listen", "", "server-server listener `address`")
		tlsCert    = fs.String("tls-cert", "", "PEM certificate `file` (enables STARTTLS)")
		tlsKey     = fs.String("tls-key", "", "PEM private key `file`")
		tlsCA      = fs.String("tls-client-ca", "", "PEM `file` of the roots client certificates must chain to (enables SASL EXTERNAL)")
		anonPeers  = fs.Bool("accept-anonymous-peers", false, "accept peer domains that LOGIN with ANONYMOUS")
		denyDef    = fs.Bool("deny-by-default", false, "fresh presentities and inboxes start with an empty ACL")
		seed       = fs.Uint64("seed", 0, "seed for the server's randomness (default: the clock)")
		verbose    = fs.Bool("v", false, "print every fact the server observes on stderr")
		accounts   multiFlag
		peers      multiFlag
		secrets    multiFlag
	)
	fs.Var(&accounts, "account", "an account `user:password` (repeatable)")
	fs.Var(&peers, "peer", "a peer `domain=host:port[,host:port...]`, addresses tried in order (repeatable)")
	fs.Var(&secrets, "peer-secret", "a shared secret `domain=secret` (repeatable)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q", fs.Arg(0))
	}
	cfg := &serveConfig{lines: map[string]int{}}
	if *configPath != "" {
		if err := cfg.load(*configPath); err != nil {
			return nil, err
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["domain"] {
		cfg.Domain = *domain
	}
	if set["listen"] {
		cfg.Listen = *listen
	}
	if set["s2s-listen"] {
		cfg.S2SListen = *s2s
	}
	if set["tls-cert"] {
		cfg.TLSCert = *tlsCert
	}
	if set["tls-key"] {
		cfg.TLSKey = *tlsKey
	}
	if set["tls-client-ca"] {
		cfg.TLSClientCA = *tlsCA
	}
	if set["accept-anonymous-peers"] {
		cfg.AcceptAnonymousPeers = *anonPeers
	}
	if set["deny-by-default"] {
		cfg.DenyByDefault = *denyDef
	}
	if set["seed"] {
		cfg.Seed = seed
	}
	cfg.verbose = *verbose
	for _, a := range accounts {
		u, p, ok := strings.Cut(a, ":")
		if !ok || u == "" {
			return nil, usagef("--account %q: want user:password", a)
		}
		if cfg.Accounts == nil {
			cfg.Accounts = map[string]string{}
		}
		cfg.Accounts[u] = p
	}
	for _, p := range peers {
		d, hp, ok := strings.Cut(p, "=")
		if !ok || d == "" {
			return nil, usagef("--peer %q: want domain=host:port", p)
		}
		if cfg.Peers == nil {
			cfg.Peers = map[string]string{}
		}
		cfg.Peers[d] = hp
	}
	for _, s := range secrets {
		d, sec, ok := strings.Cut(s, "=")
		if !ok || d == "" {
			return nil, usagef("--peer-secret %q: want domain=secret", s)
		}
		if cfg.PeerSecrets == nil {
			cfg.PeerSecrets = map[string]string{}
		}
		cfg.PeerSecrets[d] = sec
	}
	return cfg, nil
}

// load reads a strict YAML file: unknown fields and wrong types are errors with line numbers.
func (c *serveConfig) load(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	c.file = path
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c.serveFile); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("config %s: empty file", path)
		}
		return fmt.Errorf("config %s: %w", path, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil && len(root.Content) == 1 {
		recordLines(root.Content[0], "", c.lines)
	}
	return nil
}

// recordLines maps each mapping key path to the line it is on.
func recordLines(n *yaml.Node, prefix string, lines map[string]int) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		lines[path] = k.Line
		recordLines(n.Content[i+1], path, lines)
	}
}

// where names the source of a field: "server.yaml:7: " or "" for flags.
func (c *serveConfig) where(path string) string {
	if l, ok := c.lines[path]; ok && c.file != "" {
		return fmt.Sprintf("%s:%d: ", c.file, l)
	}
	return ""
}

// build checks the merged configuration and turns it into the server's Config and the TLS
// configuration for netrun. Every problem is reported, each naming its field.
func (c *serveConfig) build() (server.Config, *tls.Config, error) {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s%s: %s", c.where(path), path, fmt.Sprintf(format, args...)))
	}
	if c.Domain == "" {
		bad("domain", "missing (--domain)")
	}
	if c.Listen == "" {
		bad("listen", "missing (--listen host:port)")
	} else if err := checkListen(c.Listen); err != nil {
		bad("listen", "%v", err)
	}
	if c.S2SListen != "" {
		if err := checkListen(c.S2SListen); err != nil {
			bad("s2s_listen", "%v", err)
		}
	}
	if len(c.Accounts) == 0 {
		bad("accounts", "no account (--account user:password)")
	}
	for _, u := range sortedStrings(c.Accounts) {
		if c.Accounts[u] == "" {
			bad("accounts."+u, "empty password for %q", u)
		}
	}
	for _, d := range sortedStrings(c.Peers) {
		if err := checkPeer(c.Peers[d]); err != nil {
			bad("peers."+d, "%v", err)
		}
	}
	if len(c.Peers) > 0 && c.S2SListen == "" {
		bad("s2s_listen", "peers are configured but there is no server-server listener (--s2s-listen)")
	}
	var tlsCfg *tls.Config
	switch {
	case c.TLSCert == "" && c.TLSKey == "":
	case c.TLSCert == "" || c.TLSKey == "":
		bad("tls_cert", "--tls-cert and --tls-key go together")
	default:
		cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			bad("tls_cert", "%v", err)
		} else {
			// Without client roots no client certificate is asked for, so nobody can claim an
			// identity with EXTERNAL (PRIM-A10.3.2-3 needs verified credentials).
			tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
	}
	if c.TLSClientCA != "" {
		pool, err := loadPool(c.TLSClientCA)
		switch {
		case err != nil:
			bad("tls_client_ca", "%v", err)
		case tlsCfg == nil:
			bad("tls_client_ca", "needs --tls-cert and --tls-key")
		default:
			tlsCfg.ClientAuth = tls.VerifyClientCertIfGiven
			tlsCfg.ClientCAs = pool
		}
	}
	sc := server.Config{
		Domain:               c.Domain,
		Accounts:             c.Accounts,
		Listeners:            map[string]string{"client": server.RoleClient},
		Peers:                c.Peers,
		PeerSecrets:          c.PeerSecrets,
		TLS:                  tlsCfg != nil,
		AcceptAnonymousPeers: c.AcceptAnonymousPeers,
		DenyByDefault:        c.DenyByDefault,
	}
	if c.S2SListen != "" {
		sc.Listeners["s2s"] = server.RoleS2S
	}
	if len(errs) == 0 {
		if err := sc.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return sc, tlsCfg, errors.Join(errs...)
}

// loadPool reads PEM certificates into a pool.
func loadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%q holds no PEM certificate", file)
	}
	return pool, nil
}

func checkListen(a string) error {
	_, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("not host:port: %w", err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("address %q: bad port %q", a, port)
	}
	return nil
}

// checkPeer checks a peer's address list: one or more host:port separated by commas, tried in
// order (the server fails over to the next on a failed dial).
func checkPeer(list string) error {
	for _, a := range strings.Split(list, ",") {
		if err := checkPeerAddr(strings.TrimSpace(a)); err != nil {
			return err
		}
	}
	return nil
}

func checkPeerAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("not host:port: %w", err)
	}
	if host == "" {
		return fmt.Errorf("address %q: empty host", a)
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return fmt.Errorf("address %q: bad port %q", a, port)
	}
	return nil
}

func sortedStrings(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// newServerEngine builds the reference server engine (cfg has passed Validate in build).
func newServerEngine(cfg server.Config, rng *rand.Rand) (engine.Engine, error) {
	return server.New(cfg, rng), nil
}
