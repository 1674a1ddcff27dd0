package scenario

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/addr"
	"github.com/primlab/primlab/reference/client"
	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/server"
	"github.com/primlab/primlab/sim"
)

// Ports of the simulated servers.
const (
	ClientPort = 7000
	S2SPort    = 7001
)

// StepTime is the virtual time every step but advance takes.
const StepTime = time.Second

// stepWait bounds how long a step waits for its results beyond StepTime (relay timeouts are
// 30 s, Decision D35).
const stepWait = 45 * time.Second

// ServerFactory builds a domain's server engine. Fuzz tests wrap the reference server with
// mutators through it.
type ServerFactory func(cfg server.Config, rng *rand.Rand) engine.Engine

// Options says where a script runs.
type Options struct {
	Seed uint64
	// Server builds the reference server of each simulated domain (default server.New).
	Server ServerFactory
	// Target, when set, is the host:port of an external server's client listener: the home
	// domain is played by it, reached through the simulator's bridge.
	Target string
	// Domain is the target's domain (default: the script's home domain).
	Domain string
	// Accounts maps a user (local part or user@domain) to its password on the target.
	Accounts map[string]string
	// Record receives the bridge recording of a run against Target.
	Record io.Writer
	// Replay, when set, replays a bridge recording instead of reaching Target.
	Replay []sim.RecordedEvent
	// Trace receives the simulator trace.
	Trace io.Writer
	// Config adjusts each simulated domain's server configuration (limits, ...).
	Config func(*server.Config)
}

// StepResult is what one step observed.
type StepResult struct {
	Step     Step
	Observed []string // sorted
	Err      string   // the harness could not run the step
}

// OK reports whether the step observed what it expected.
func (r StepResult) OK() bool { return r.Err == "" && equalLines(r.Step.Expect, r.Observed) }

// Result is a whole run.
type Result struct {
	Script *Script
	Steps  []StepResult
	// Divergence is the first difference from a replayed recording, if any.
	Divergence error
}

// Failed reports whether any step did not observe what it expected.
func (r *Result) Failed() bool {
	for _, s := range r.Steps {
		if !s.OK() {
			return true
		}
	}
	return false
}

// Observed returns a copy of the script with the observations as expectations (-rewrite).
func (r *Result) Observed() *Script {
	out := &Script{Name: r.Script.Name, Header: r.Script.Header}
	for _, s := range r.Steps {
		st := s.Step
		st.Expect = append([]string(nil), s.Observed...)
		out.Steps = append(out.Steps, st)
	}
	return out
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ErrScript is wrapped by errors about a script that cannot run (bad command or argument).
var ErrScript = errors.New("scenario: bad script")

// ErrHarness is wrapped when the run itself broke (target unreachable).
var ErrHarness = errors.New("scenario: harness failure")

// runner holds one run's world.
type runner struct {
	opt     Options
	sc      *Script
	w       *sim.World
	home    string // script's home domain
	target  string // target's domain, when one is used
	users   map[string]*userHost
	byHost  map[string]*userHost
	domains []string
	servers map[string]*sim.Host
	obs     []string
	waiting int
	bridge  *sim.Bridge
	nextTag int
}

type userHost struct {
	name string // as written in the script
	id   string // real identifier (target domain substituted)
	pass string
	host *sim.Host
}

// Run runs a script and returns what each step observed.
func Run(sc *Script, opt Options) (*Result, error) {
	r := &runner{opt: opt, sc: sc, users: map[string]*userHost{}, byHost: map[string]*userHost{}, servers: map[string]*sim.Host{}}
	if len(sc.Steps) == 0 || sc.Steps[0].Cmd != "users" {
		return nil, fmt.Errorf("%w: %s: the first step must be \"users\"", ErrScript, sc.Name)
	}
	if err := r.setup(sc.Steps[0]); err != nil {
		return nil, err
	}
	res := &Result{Script: sc}
	for i, st := range sc.Steps {
		r.obs = nil
		var err error
		if i > 0 {
			err = r.step(st)
		} else {
			r.w.RunFor(StepTime)
		}
		sr := StepResult{Step: st, Observed: r.takeObs()}
		if err != nil {
			if errors.Is(err, ErrScript) {
				return nil, fmt.Errorf("%s:%d: %w", sc.Name, st.Line, err)
			}
			sr.Err = err.Error()
		}
		res.Steps = append(res.Steps, sr)
	}
	if r.bridge != nil {
		res.Divergence = r.bridge.Divergence()
		if err := r.bridge.Close(); err != nil && res.Divergence == nil {
			res.Divergence = err
		}
	}
	return res, nil
}

func (r *runner) takeObs() []string {
	out := r.obs
	r.obs = nil
	sort.Strings(out)
	if out == nil {
		out = []string{}
	}
	return out
}

func domainOf(id string) string {
	if i := strings.LastIndexByte(id, '@'); i >= 0 {
		return strings.ToLower(id[i+1:])
	}
	return ""
}

func (r *runner) setup(st Step) error {
	if len(st.Args) == 0 {
		return fmt.Errorf("%w: users: no user", ErrScript)
	}
	for _, u := range st.Args {
		d := domainOf(u)
		if d == "" || strings.HasPrefix(u, "@") {
			return fmt.Errorf("%w: users: %q is not user@domain", ErrScript, u)
		}
		if !contains(r.domains, d) {
			r.domains = append(r.domains, d)
		}
	}
	r.home = r.domains[0]
	live := r.opt.Target != "" || r.opt.Replay != nil
	if live {
		r.target = r.home
		if r.opt.Domain != "" {
			r.target = strings.ToLower(r.opt.Domain)
		}
		if len(r.domains) > 1 {
			return fmt.Errorf("%w: %s: against a target only the home domain %q can be played (the script also uses %v)", ErrScript, r.sc.Name, r.home, r.domains[1:])
		}
	}
	r.w = sim.New(sim.Config{Seed: r.opt.Seed, Trace: r.opt.Trace, OnFact: r.onFact})
	routes := map[string]string{}
	for _, d := range r.domains {
		routes[addr.CanonicalDomain(d)] = d + ":" + strconv.Itoa(S2SPort)
	}
	resolver := func(domain string) ([]string, error) {
		if a, ok := routes[addr.CanonicalDomain(domain)]; ok {
			return []string{a}, nil
		}
		return nil, fmt.Errorf("no domain %q in the scenario", domain)
	}
	accounts := map[string]map[string]string{}
	for _, u := range st.Args {
		d := domainOf(u)
		local := strings.ToLower(u[:strings.LastIndexByte(u, '@')])
		if accounts[d] == nil {
			accounts[d] = map[string]string{}
		}
		accounts[d][local] = "pw-" + local
	}
	mk := r.opt.Server
	if mk == nil {
		mk = func(cfg server.Config, rng *rand.Rand) engine.Engine { return server.New(cfg, rng) }
	}
	for i, d := range r.domains {
		name := "srv." + d
		if live && d == r.home {
			bc := sim.BridgeConfig{Name: name, IP: fmt.Sprintf("10.0.%d.1", i), Dial: map[uint16]string{ClientPort: r.opt.Target}, Record: r.opt.Record}
			var b *sim.Bridge
			var err error
			if r.opt.Replay != nil {
				b, err = r.w.AddReplay(bc, r.opt.Replay)
			} else {
				b, err = r.w.AddBridge(bc)
			}
			if err != nil {
				return fmt.Errorf("%w: %v", ErrHarness, err)
			}
			r.bridge = b
			r.servers[d] = b.Host()
			if err := r.w.Alias(r.target, name); err != nil && r.target != name {
				return fmt.Errorf("%w: %v", ErrHarness, err)
			}
			continue
		}
		cfg := server.Config{
			Domain:               d,
			Accounts:             accounts[d],
			Listeners:            map[string]string{"client": server.RoleClient, "s2s": server.RoleS2S},
			Resolver:             resolver,
			AcceptAnonymousPeers: true, // PRIM-A12.2-6: the simulator's resolver vouches for addresses
		}
		if r.opt.Config != nil {
			r.opt.Config(&cfg)
		}
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("%w: domain %q: %v", ErrScript, d, err)
		}
		h, err := r.w.AddHost(sim.HostConfig{
			Name:   name,
			IP:     fmt.Sprintf("10.0.%d.1", i),
			Listen: map[string]uint16{"client": ClientPort, "s2s": S2SPort},
			New:    func(rng *rand.Rand) engine.Engine { return mk(cfg, rng) },
		})
		if err != nil {
			return fmt.Errorf("%w: %v", ErrHarness, err)
		}
		r.servers[d] = h
		if err := r.w.Alias(d, name); err != nil {
			return fmt.Errorf("%w: %v", ErrScript, err)
		}
	}
	for j, u := range st.Args {
		key := strings.ToLower(u)
		if r.users[key] != nil {
			return fmt.Errorf("%w: users: %q twice", ErrScript, u)
		}
		d := domainOf(u)
		local := u[:strings.LastIndexByte(u, '@')]
		uh := &userHost{name: u, id: u, pass: "pw-" + strings.ToLower(local)}
		srvAddr := d + ":" + strconv.Itoa(ClientPort)
		if live {
			uh.id = local + "@" + r.target
			srvAddr = r.target + ":" + strconv.Itoa(ClientPort)
			pw, ok := r.opt.Accounts[strings.ToLower(local)]
			if !ok {
				pw, ok = r.opt.Accounts[strings.ToLower(uh.id)]
			}
			if !ok {
				return fmt.Errorf("%w: no --account for user %q on the target", ErrScript, local)
			}
			uh.pass = pw
		}
		id := uh.id
		h, err := r.w.AddHost(sim.HostConfig{
			Name: "ua." + key,
			IP:   fmt.Sprintf("10.1.%d.%d", j/200, j%200+1),
			New: func(rng *rand.Rand) engine.Engine {
				return client.New(client.Config{Server: srvAddr, ID: id, Mechs: "PLAIN"}, rng)
			},
		})
		if err != nil {
			return fmt.Errorf("%w: %v", ErrHarness, err)
		}
		uh.host = h
		r.users[key] = uh
		r.byHost[h.Name()] = uh
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (r *runner) user(name string) (*userHost, error) {
	u := r.users[strings.ToLower(name)]
	if u == nil {
		return nil, fmt.Errorf("%w: unknown user %q (declare it in \"users\")", ErrScript, name)
	}
	return u, nil
}

// real maps a script identifier to the one the target knows.
func (r *runner) real(id string) string {
	if r.target != "" && r.target != r.home && domainOf(id) == r.home {
		return id[:strings.LastIndexByte(id, '@')] + "@" + r.target
	}
	return id
}

// scriptID maps an observed identifier back to the script's names, without scheme.
func (r *runner) scriptID(id string) string {
	if i := strings.IndexByte(id, ':'); i >= 0 && !strings.Contains(id[:i], "@") {
		id = id[i+1:]
	}
	if r.target != "" && r.target != r.home && domainOf(id) == r.target {
		return id[:strings.LastIndexByte(id, '@')] + "@" + r.home
	}
	return id
}

func (r *runner) call(u *userHost, op any) {
	r.nextTag++
	r.waiting++
	u.host.Call(client.Tagged{Tag: "s" + strconv.Itoa(r.nextTag), Op: op})
}

func (r *runner) onFact(o sim.Observation) {
	u := r.byHost[o.Host]
	if u == nil {
		return
	}
	if res, ok := o.Fact.(client.Result); ok && strings.HasPrefix(res.Tag, "s") {
		r.waiting--
	}
	if line := r.render(u, o.Fact); line != "" {
		r.obs = append(r.obs, line)
	}
}

// FormatTuples renders presence tuples as observation lines show them: sorted by Tuple-ID,
// id=status, and the note quoted after a colon when there is one.
func FormatTuples(ts []client.Tuple) string {
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		s := t.ID + "=" + t.Status
		if t.Note != "" {
			s += ":" + strconv.Quote(t.Note)
		}
		parts = append(parts, s)
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, " ") + "]"
}

func (r *runner) render(u *userHost, f engine.Fact) string {
	p := u.name + ": "
	switch f := f.(type) {
	case client.Result:
		if f.Err != "" {
			return p + f.Op + " error " + strconv.Quote(f.Err)
		}
		s := p + f.Op + " " + strconv.Itoa(f.Code)
		if f.Op == "subscribe" && f.Duration != "" {
			s += " duration=" + f.Duration
		}
		if (f.Op == "subscribe" || f.Op == "fetch") && f.Code/100 == 2 {
			s += " tuples=" + FormatTuples(f.Tuples)
		}
		return s
	case client.Notification:
		s := p + "notify " + r.scriptID(f.From) + " tuples=" + FormatTuples(f.Tuples)
		if f.Err != "" {
			s += " error " + strconv.Quote(f.Err)
		}
		return s
	case client.Cancelled:
		return p + "cancelled " + r.scriptID(f.From)
	case client.Message:
		return p + "message from=" + r.scriptID(f.From) + " body=" + strconv.Quote(f.Body)
	case client.Disconnected:
		return p + "disconnected " + string(f.Service)
	case client.ProtocolError:
		return p + "protocol-error " + strconv.Quote(f.Err)
	}
	return ""
}

// settle runs the world for one step: until every result arrived, at least StepTime.
func (r *runner) settle() error {
	start := r.w.Now()
	r.w.RunUntil(func() bool { return r.waiting <= 0 }, StepTime)
	if r.waiting > 0 {
		r.w.RunUntil(func() bool { return r.waiting <= 0 }, stepWait)
	}
	if rest := start + StepTime - r.w.Now(); rest > 0 {
		r.w.RunFor(rest)
	}
	if r.waiting > 0 {
		n := r.waiting
		r.waiting = 0
		return fmt.Errorf("%w: %d operation(s) without a result after %v", ErrHarness, n, StepTime+stepWait)
	}
	return nil
}

func (r *runner) step(st Step) error {
	need := func(n int) error {
		if len(st.Args) != n {
			return fmt.Errorf("%w: %s wants %d argument(s), got %d", ErrScript, st.Cmd, n, len(st.Args))
		}
		return nil
	}
	switch st.Cmd {
	case "advance":
		if err := need(1); err != nil {
			return err
		}
		d, err := time.ParseDuration(st.Args[0])
		if err != nil || d <= 0 {
			return fmt.Errorf("%w: advance %q: want a positive duration", ErrScript, st.Args[0])
		}
		r.w.RunFor(d)
		return nil
	case "partition", "heal":
		var a, b []string
		if st.Cmd == "partition" || len(st.Args) > 0 {
			if err := need(2); err != nil {
				return err
			}
			for _, d := range st.Args {
				if r.servers[strings.ToLower(d)] == nil {
					return fmt.Errorf("%w: %s: unknown domain %q", ErrScript, st.Cmd, d)
				}
			}
			a = []string{r.servers[strings.ToLower(st.Args[0])].Name()}
			b = []string{r.servers[strings.ToLower(st.Args[1])].Name()}
		}
		switch {
		case st.Cmd == "partition":
			if err := r.w.Partition(a, b); err != nil {
				return fmt.Errorf("%w: %v", ErrScript, err)
			}
		case a == nil:
			r.w.HealAll()
		default:
			if err := r.w.Heal(a, b); err != nil {
				return fmt.Errorf("%w: %v", ErrScript, err)
			}
		}
		return r.settle()
	case "crash", "restart":
		if err := need(1); err != nil {
			return err
		}
		h := r.servers[strings.ToLower(st.Args[0])]
		if h == nil || (r.bridge != nil && h == r.bridge.Host()) {
			return fmt.Errorf("%w: %s: %q is not a simulated domain", ErrScript, st.Cmd, st.Args[0])
		}
		if st.Cmd == "crash" {
			h.Crash()
		} else {
			h.Restart()
		}
		return r.settle()
	}
	if len(st.Args) == 0 {
		return fmt.Errorf("%w: %s: which user?", ErrScript, st.Cmd)
	}
	u, err := r.user(st.Args[0])
	if err != nil {
		return err
	}
	op, err := r.operation(u, st)
	if err != nil {
		return err
	}
	r.call(u, op)
	return r.settle()
}

func seconds(st Step, key string, def int) (int, error) {
	v, ok := st.Opt(key)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: %s=%q: want whole seconds", ErrScript, key, v)
	}
	return n, nil
}

func classes(st Step) []string {
	if v, ok := st.Opt("class"); ok && v != "" {
		return strings.Split(v, ",")
	}
	return nil
}

// operation turns a user step into a client operation.
func (r *runner) operation(u *userHost, st Step) (any, error) {
	peer := func() (string, error) {
		if len(st.Args) != 2 {
			return "", fmt.Errorf("%w: %s wants a user and a peer", ErrScript, st.Cmd)
		}
		return r.real(st.Args[1]), nil
	}
	switch st.Cmd {
	case "login":
		return client.Login{ID: u.id, Password: u.pass, Mech: "PLAIN"}, nil
	case "logout":
		return client.Logout{}, nil
	case "publish":
		tid, ok := st.Opt("tuple")
		if !ok {
			return nil, fmt.Errorf("%w: publish needs tuple=", ErrScript)
		}
		d, err := seconds(st, "duration", 0)
		if err != nil {
			return nil, err
		}
		return client.Publish{TupleID: tid, PIType: st.OptOr("type", "permanent"), Duration: d, Class: classes(st),
			Status: st.OptOr("status", "open"), Note: st.OptOr("note", "")}, nil
	case "remove":
		tid, ok := st.Opt("tuple")
		if !ok {
			return nil, fmt.Errorf("%w: remove needs tuple=", ErrScript)
		}
		return client.Remove{TupleID: tid, Class: classes(st)}, nil
	case "setclasstable":
		var cs []client.Class
		for _, o := range st.Opts {
			var ws []string
			for _, w := range splitList(o.Value) {
				ws = append(ws, r.realPattern(w))
			}
			cs = append(cs, client.Class{Name: o.Key, Watchers: ws})
		}
		return client.SetClassTable{Classes: cs}, nil
	case "setacl":
		svc := client.Presence
		var es []client.ACLEntry
		for _, o := range st.Opts {
			if o.Key == "service" {
				if o.Value == "im" {
					svc = client.IM
				}
				continue
			}
			ops := splitList(o.Value)
			if len(ops) == 1 && ops[0] == "none" {
				ops = nil
			}
			es = append(es, client.ACLEntry{Targets: []string{r.realPattern(o.Key)}, Allow: ops})
		}
		return client.SetACL{Service: svc, Entries: es}, nil
	case "subscribe":
		p, err := peer()
		if err != nil {
			return nil, err
		}
		d, err := seconds(st, "duration", 3600)
		if err != nil {
			return nil, err
		}
		return client.Subscribe{To: p, Duration: d}, nil
	case "unsubscribe":
		p, err := peer()
		if err != nil {
			return nil, err
		}
		return client.Unsubscribe{To: p}, nil
	case "fetch":
		p, err := peer()
		if err != nil {
			return nil, err
		}
		return client.Fetch{To: p}, nil
	case "listen":
		return client.Listen{}, nil
	case "silence":
		return client.Silence{}, nil
	case "send":
		p, err := peer()
		if err != nil {
			return nil, err
		}
		return client.Send{To: p, Body: []byte(st.OptOr("body", "hello"))}, nil
	}
	return nil, fmt.Errorf("%w: unknown command %q", ErrScript, st.Cmd)
}

// realPattern maps a Class Table or ACL key (identifier, @domain or ".") to the target's names.
func (r *runner) realPattern(k string) string {
	if strings.HasPrefix(k, "@") && r.target != "" && strings.EqualFold(k[1:], r.home) {
		return "@" + r.target
	}
	if k == "." || strings.HasPrefix(k, "@") {
		return k
	}
	return r.real(k)
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Diff renders, for every step that did not observe what it expected, the command and the
// expected (-) and observed (+) lines. It returns "" when the run matched.
func Diff(res *Result) string {
	var b strings.Builder
	for _, s := range res.Steps {
		if s.OK() {
			continue
		}
		fmt.Fprintf(&b, "%s:%d: %s\n", res.Script.Name, s.Step.Line, s.Step.CommandLine())
		if s.Err != "" {
			fmt.Fprintf(&b, "  ! %s\n", s.Err)
		}
		want := map[string]int{}
		for _, l := range s.Step.Expect {
			want[l]++
		}
		got := map[string]int{}
		for _, l := range s.Observed {
			got[l]++
		}
		for _, l := range s.Step.Expect {
			if got[l] > 0 {
				got[l]--
				fmt.Fprintf(&b, "    %s\n", l)
			} else {
				fmt.Fprintf(&b, "  - %s\n", l)
			}
		}
		for _, l := range s.Observed {
			if want[l] > 0 {
				want[l]--
				continue
			}
			fmt.Fprintf(&b, "  + %s\n", l)
		}
	}
	if res.Divergence != nil {
		fmt.Fprintf(&b, "recording: %v\n", res.Divergence)
	}
	return b.String()
}
