// Package workload builds a simulated PRIM federation from a topology (sim/topology) on the
// reference engines, drives its users, injects the scheduled faults and measures the run
// (sim/metrics). It is what `primlab sim` runs.
//
// The package offers [New], which builds the world, and [Run.Run], which runs it for the
// simulated span and returns the [metrics.Metrics]. The world has, per domain:
//
//   - a home server host ("prim.<domain>", or the topology's name for it) running the
//     reference server engine, with a client listener on port 7000 and a server-server
//     listener on 7100; servers find each other through a static resolver table and accept
//     each other with SASL ANONYMOUS plus the Domain header (PRIM-A12.2-6), so every domain may
//     federate with every other (a full mesh, connected on demand);
//   - an access host ("ua.<domain>") running one reference client engine per user (see pool),
//     each user with its own connection (shared presence+IM connection, I2 §4.3).
//
// Users log in (spread over the workload's login span), start listening for IM, publish their
// presence, subscribe to their buddies and renew those subscriptions; then change presence and
// send IMs as Poisson processes. A user whose connection drops reconnects with backoff, logs in
// again, republishes its current presence and resubscribes.
//
// Measurements:
//
//   - notification latency: from the PUBLISH of a presence version to the first NOTIFY that
//     shows a watcher that version (each publish carries its version in the tuple's note);
//   - IM latency: from SEND to delivery at the recipient's client;
//   - messages and bytes per link class, counted at the engines' writes;
//   - convergence after each fault heals: the time until every (watcher, presentity) pair
//     shows at least the presence the presentity's server had accepted at the heal.
//
// Everything runs on virtual time from one seed: the same topology and seed give the same
// metrics, byte for byte.
package workload

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/addr"
	"github.com/primlab/primlab/reference/client"
	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/server"
	"github.com/primlab/primlab/sim"
	"github.com/primlab/primlab/sim/metrics"
	"github.com/primlab/primlab/sim/topology"
)

// Ports of every home server (no port was ever assigned to PRIM: they are configurable).
const (
	ClientPort = 7000
	S2SPort    = 7100

	listenerClient = "client"
	listenerS2S    = "s2s"
	password       = "secret"
)

// Defaults for workload fields left at zero.
const (
	DefaultDuration             = 10 * time.Minute
	DefaultSubscriptionDuration = 10 * time.Minute
	DefaultLoginSpread          = 10 * time.Second
	// DefaultPingInterval is how often idle clients PING, the only liveness tool PRIM has
	// (I2 §10.3.4, Decision D45): it lets a client notice a crashed server by TCP timeout.
	DefaultPingInterval = time.Minute
)

// Options parametrise a run.
type Options struct {
	Seed uint64
	// Duration is the simulated span (0: the topology's duration, else DefaultDuration).
	Duration time.Duration
	// Trace and Pcap, when set, receive the simulator's trace and pcapng capture.
	Trace, Pcap io.Writer
	// Progress, when set, is called every ProgressEvery of virtual time (default: a 200th of
	// the span, between 100 ms and 1 minute) with the virtual time reached and the end.
	Progress      func(now, end time.Duration)
	ProgressEvery time.Duration
	// Bucket is the width of the traffic-over-time buckets (default: span/120, at least 1 s).
	Bucket time.Duration
}

// Run is one built world, ready to run once.
type Run struct {
	top  *topology.Topology
	opt  Options
	span time.Duration
	w    *sim.World
	rng  *rand.Rand
	rec  *metrics.Recorder
	tr   *traffic
	wl   workloadParams

	domains []domain
	users   []user
	byURI   map[string]int32 // "local@domain" (canonical) -> user
	ims     []imSent
	conv    []*convergence
	ran     bool
	err     error // first fault injection error
}

func (r *Run) fail(err error) {
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("workload: injecting a fault: %w", err)
	}
}

type workloadParams struct {
	pubGap, imGap time.Duration // mean gaps of the Poisson processes (0: none)
	subDur        time.Duration
	renew         time.Duration
	spread        time.Duration
	ping          time.Duration
}

type domain struct {
	name   string
	server *sim.Host
	access *sim.Host
	first  int32 // first user
	n      int32
}

type userState uint8

const (
	offline userState = iota
	connecting
	online
)

type user struct {
	domain   int32
	id       string // local@domain
	buddies  []int32
	view     []int32 // version of each buddy's presence this user has seen
	version  int32   // latest presence version published
	accepted int32   // latest version the home server accepted
	pubAt    []time.Duration
	state    userState
	backoff  time.Duration
}

type imSent struct {
	at        time.Duration
	to        int32
	delivered bool
}

// convergence follows one healed fault until every lagging pair caught up.
type convergence struct {
	fault  metrics.Fault
	healAt time.Duration
	need   map[uint64]int32 // watcher<<32|buddy slot -> version required
	done   bool
}

// New builds the world for top.
func New(top *topology.Topology, opt Options) (*Run, error) {
	span := opt.Duration
	if span <= 0 {
		span = top.Duration.D()
	}
	if span <= 0 {
		span = DefaultDuration
	}
	doms := top.DomainList()
	if len(doms) > 1<<16 {
		return nil, fmt.Errorf("workload: %d domains: at most 65536 fit the 10.0.0.0/8 address plan", len(doms))
	}
	bucket := opt.Bucket
	if bucket <= 0 {
		bucket = max(time.Second, (span / 120).Round(time.Second))
	}
	r := &Run{
		top:   top,
		opt:   opt,
		span:  span,
		rng:   rand.New(rand.NewPCG(opt.Seed, 0x776f726b6c6f6164)),
		rec:   &metrics.Recorder{Bucket: bucket},
		byURI: map[string]int32{},
	}
	r.tr = &traffic{start: sim.DefaultStart, rec: r.rec}
	wl := top.Workload
	r.wl = workloadParams{subDur: wl.SubscriptionDuration.D(), spread: wl.LoginSpread.D(), ping: wl.PingInterval.D()}
	if r.wl.ping == 0 {
		r.wl.ping = DefaultPingInterval
	}
	if r.wl.subDur == 0 {
		r.wl.subDur = DefaultSubscriptionDuration
	}
	if r.wl.spread == 0 {
		r.wl.spread = DefaultLoginSpread
	}
	r.wl.renew = r.wl.subDur * 8 / 10
	if wl.PresencePerUserPerMinute > 0 {
		r.wl.pubGap = time.Duration(float64(time.Minute) / wl.PresencePerUserPerMinute)
	}
	if wl.IMPerUserPerMinute > 0 {
		r.wl.imGap = time.Duration(float64(time.Minute) / wl.IMPerUserPerMinute)
	}

	fed := simLink(top.Links.Federation)
	r.w = sim.New(sim.Config{
		Seed:   opt.Seed,
		Link:   &fed,
		Trace:  opt.Trace,
		Pcap:   opt.Pcap,
		OnFact: r.onFact,
	})

	// Users first: the pools need their ids.
	for i, d := range doms {
		dom := domain{name: d.Name, first: int32(len(r.users)), n: int32(d.Users)}
		for j := 0; j < d.Users; j++ {
			id := "u" + strconv.Itoa(j) + "@" + d.Name
			r.byURI[canonID(id)] = int32(len(r.users))
			r.users = append(r.users, user{domain: int32(i), id: id})
		}
		r.domains = append(r.domains, dom)
	}
	r.pickBuddies(wl.SubscriptionsPerUser, wl.RemoteShare)

	routes := map[string]string{}
	for _, d := range doms {
		routes[addr.CanonicalDomain(d.Name)] = d.Server + ":" + strconv.Itoa(S2SPort)
	}
	resolver := func(domain string) ([]string, error) {
		if a, ok := routes[addr.CanonicalDomain(domain)]; ok {
			return []string{a}, nil
		}
		return nil, fmt.Errorf("no domain %q in the topology", domain)
	}
	for i, d := range doms {
		dom := &r.domains[i]
		accounts := make(map[string]string, d.Users)
		for j := 0; j < d.Users; j++ {
			accounts["u"+strconv.Itoa(j)] = password
		}
		cfg := server.Config{
			Domain:               d.Name,
			Accounts:             accounts,
			Listeners:            map[string]string{listenerClient: server.RoleClient, listenerS2S: server.RoleS2S},
			Resolver:             resolver,
			AcceptAnonymousPeers: true, // PRIM-A12.2-6: the simulator's resolver vouches for addresses
		}
		if err := cfg.Validate(); err != nil {
			return nil, fmt.Errorf("workload: domain %q: %w", d.Name, err)
		}
		tr := r.tr
		srv, err := r.w.AddHost(sim.HostConfig{
			Name:      d.Server,
			IP:        hostIP(i, 1),
			Listen:    map[string]uint16{listenerClient: ClientPort, listenerS2S: S2SPort},
			KeepFacts: -1,
			New: func(rng *rand.Rand) engine.Engine {
				return &serverShell{eng: server.New(cfg, rng), class: map[engine.ConnID]string{}, traffic: tr}
			},
		})
		if err != nil {
			return nil, fmt.Errorf("workload: domain %q: %w", d.Name, err)
		}
		dom.server = srv
		serverAddr := d.Server + ":" + strconv.Itoa(ClientPort)
		first, n := dom.first, dom.n
		ua, err := r.w.AddHost(sim.HostConfig{
			Name:      "ua." + d.Name,
			IP:        hostIP(i, 2),
			KeepFacts: -1,
			New: func(rng *rand.Rand) engine.Engine {
				// Each user's source is derived from one draw of the host's and the user's
				// index, so it does not depend on the order in which engines are built.
				seed := rng.Uint64()
				return &pool{base: first, owner: map[engine.ConnID]int32{}, traffic: tr, users: make([]*client.Client, n),
					newClient: func(u int32) *client.Client {
						return client.New(client.Config{
							Server:       serverAddr,
							ID:           r.users[first+u].id,
							Shared:       true,
							Mechs:        "PLAIN",
							PingInterval: r.wl.ping,
						}, rand.New(rand.NewPCG(seed, uint64(u))))
					}}
			},
		})
		if err != nil {
			return nil, fmt.Errorf("workload: domain %q: %w", d.Name, err)
		}
		dom.access = ua
		if err := r.w.SetLink(ua.Name(), srv.Name(), simLink(d.AccessLink(top))); err != nil {
			return nil, fmt.Errorf("workload: domain %q access link: %w", d.Name, err)
		}
	}
	byName := map[string]*domain{}
	for i := range r.domains {
		byName[addr.CanonicalDomain(r.domains[i].name)] = &r.domains[i]
	}
	for _, p := range top.Links.Between {
		a, b := byName[addr.CanonicalDomain(p.Domains[0])], byName[addr.CanonicalDomain(p.Domains[1])]
		if err := r.w.SetLink(a.server.Name(), b.server.Name(), simLink(p.Link)); err != nil {
			return nil, fmt.Errorf("workload: link %s-%s: %w", a.name, b.name, err)
		}
	}
	for i, f := range top.Faults {
		if err := r.scheduleFault(i, f, byName); err != nil {
			return nil, err
		}
	}
	r.scheduleUsers()
	return r, nil
}

// hostIP is the address plan: domain i's hosts live in 10.(i/256).(i%256).0/24.
func hostIP(i, host int) string {
	return fmt.Sprintf("10.%d.%d.%d", i>>8, i&0xff, host)
}

func simLink(l topology.Link) sim.LinkConfig {
	return sim.LinkConfig{Latency: l.Latency.D(), Jitter: l.Jitter.D(), Bandwidth: l.Bandwidth, Loss: l.Loss}
}

// canonID lower-cases the domain of local@domain and strips a scheme.
func canonID(id string) string {
	if i := strings.IndexByte(id, ':'); i >= 0 && !strings.Contains(id[:i], "@") {
		id = id[i+1:]
	}
	at := strings.LastIndexByte(id, '@')
	if at < 0 {
		return id
	}
	return id[:at+1] + addr.CanonicalDomain(id[at+1:])
}

// pickBuddies chooses each user's watch list: per subscription, another domain with
// probability share (if there is one with users), else the user's own domain.
func (r *Run) pickBuddies(k int, share float64) {
	var withUsers []int32
	for i, d := range r.domains {
		if d.n > 0 {
			withUsers = append(withUsers, int32(i))
		}
	}
	for u := range r.users {
		me := &r.users[u]
		home := r.domains[me.domain]
		for s := 0; s < k; s++ {
			var cand int32 = -1
			for try := 0; try < 8 && cand < 0; try++ {
				d := home
				if len(withUsers) > 1 && r.rng.Float64() < share {
					o := withUsers[r.rng.IntN(len(withUsers))]
					if o == me.domain {
						continue
					}
					d = r.domains[o]
				}
				if d.n == 0 {
					continue
				}
				c := d.first + int32(r.rng.IntN(int(d.n)))
				if c == int32(u) || contains(me.buddies, c) {
					continue
				}
				cand = c
			}
			if cand >= 0 {
				me.buddies = append(me.buddies, cand)
			}
		}
		me.view = make([]int32, len(me.buddies))
	}
}

func contains(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// exp draws a Poisson process gap with the given mean.
func (r *Run) exp(mean time.Duration) time.Duration {
	return time.Duration(r.rng.ExpFloat64() * float64(mean))
}

// scheduleUsers sets the users going. The world's queue holds a handful of chained events
// rather than a few per user, so a million users cost no more queue than ten:
//
//   - logins: every user at a uniform random time within the login spread, in time order;
//   - presence changes and IMs: the per-user Poisson processes are merged into one process of
//     n times the rate whose events each pick a user uniformly at random (the superposition of
//     independent Poisson processes is Poisson, and each event belongs to any one user with
//     probability 1/n);
//   - subscription renewals: the users in turn, evenly spaced over the renewal period.
func (r *Run) scheduleUsers() {
	n := len(r.users)
	if n == 0 {
		return
	}
	type login struct {
		at time.Duration
		u  int32
	}
	logins := make([]login, n)
	for u := range logins {
		logins[u] = login{time.Duration(r.rng.Int64N(int64(r.wl.spread))), int32(u)}
	}
	slices.SortStableFunc(logins, func(a, b login) int { return cmp.Compare(a.at, b.at) })
	var nextLogin func(i int)
	nextLogin = func(i int) {
		for ; i < n && logins[i].at <= r.w.Now(); i++ {
			r.connect(logins[i].u)
		}
		if i < n {
			r.w.After(logins[i].at-r.w.Now(), func() { nextLogin(i) })
		}
	}
	r.w.After(logins[0].at, func() { nextLogin(0) })

	if r.wl.pubGap > 0 {
		gap := time.Duration(float64(r.wl.pubGap) / float64(n))
		var tick func()
		tick = func() {
			if u := int32(r.rng.IntN(n)); r.users[u].state == online {
				r.newVersion(u)
				r.publish(u)
			}
			r.w.After(r.exp(gap), tick)
		}
		r.w.After(r.wl.spread+r.exp(gap), tick)
	}
	if r.wl.imGap > 0 {
		gap := time.Duration(float64(r.wl.imGap) / float64(n))
		var tick func()
		tick = func() {
			r.sendIM(int32(r.rng.IntN(n)))
			r.w.After(r.exp(gap), tick)
		}
		r.w.After(r.wl.spread+r.exp(gap), tick)
	}
	step := max(r.wl.renew/time.Duration(n), time.Nanosecond)
	next := 0
	var renew func()
	renew = func() {
		if me := &r.users[next]; me.state == online && len(me.buddies) > 0 {
			r.subscribeAll(int32(next))
		}
		next = (next + 1) % n
		r.w.After(step, renew)
	}
	r.w.After(r.wl.spread+step, renew)
}

func (r *Run) call(u int32, tag string, op any) {
	r.domains[r.users[u].domain].access.Call(userOp{user: u, op: client.Tagged{Tag: tag, Op: op}})
}

// connect logs the user in and restores its session: listen, publish the current presence,
// subscribe to every buddy. The client holds the requests until LOGIN has succeeded.
func (r *Run) connect(u int32) {
	me := &r.users[u]
	if me.state != offline {
		return
	}
	me.state = connecting
	r.call(u, "login", client.Login{ID: me.id, Password: password})
	r.call(u, "listen", client.Listen{})
	if me.version == 0 {
		r.newVersion(u)
	}
	r.publish(u)
	r.subscribeAll(u)
}

func (r *Run) newVersion(u int32) {
	me := &r.users[u]
	me.version++
	me.pubAt = append(me.pubAt, r.w.Now())
	r.rec.Counts().Publishes++
}

func (r *Run) publish(u int32) {
	me := &r.users[u]
	status := "open"
	if me.version%2 == 0 {
		status = "closed"
	}
	v := strconv.Itoa(int(me.version))
	r.call(u, "p"+v, client.Publish{TupleID: "t", Status: status, Note: "v" + v})
}

func (r *Run) subscribeAll(u int32) {
	me := &r.users[u]
	for k, b := range me.buddies {
		r.call(u, "s"+strconv.Itoa(k), client.Subscribe{To: "pres:" + r.users[b].id, Duration: int(r.wl.subDur / time.Second)})
	}
}

// sendIM sends one IM from u to one of its buddies, if u is online and has any.
func (r *Run) sendIM(u int32) {
	me := &r.users[u]
	if me.state != online || len(me.buddies) == 0 {
		return
	}
	to := me.buddies[r.rng.IntN(len(me.buddies))]
	seq := len(r.ims)
	r.ims = append(r.ims, imSent{at: r.w.Now(), to: to})
	r.rec.Counts().IMSent++
	body := "m" + strconv.Itoa(seq)
	r.call(u, "i"+strconv.Itoa(seq), client.Send{To: "im:" + r.users[to].id, Body: []byte(body)})
}

// reconnectLater schedules a reconnection with exponential backoff (1 s doubling to 30 s,
// plus up to 1 s of jitter so that a domain's users do not all come back at once).
func (r *Run) reconnectLater(u int32) {
	me := &r.users[u]
	me.state = offline
	if me.backoff == 0 {
		me.backoff = time.Second
	} else {
		me.backoff = min(2*me.backoff, 30*time.Second)
	}
	r.w.After(me.backoff+time.Duration(r.rng.Int64N(int64(time.Second))), func() { r.connect(u) })
}

// onFact is the world's fact callback. It must not call into engines directly (the host is
// in the middle of carrying out actions), so anything that does is deferred with After(0).
func (r *Run) onFact(o sim.Observation) {
	uf, ok := o.Fact.(UserFact)
	if !ok {
		return // server facts: the metrics come from the users' side
	}
	u := uf.User
	me := &r.users[u]
	switch f := uf.Fact.(type) {
	case client.Result:
		r.result(u, f)
	case client.Notification:
		r.rec.Counts().Notifications++
		r.seen(u, f.From, f.Tuples, true)
	case client.Message:
		seq, err := strconv.Atoi(strings.TrimPrefix(f.Body, "m"))
		if err != nil || seq < 0 || seq >= len(r.ims) || r.ims[seq].delivered || r.ims[seq].to != u {
			return
		}
		r.ims[seq].delivered = true
		r.rec.Counts().IMDelivered++
		r.rec.IM(o.At - r.ims[seq].at)
	case client.Disconnected:
		if me.state == online {
			r.rec.Counts().Disconnects++
			r.w.After(0, func() { r.reconnectLater(u) })
			me.state = offline // further facts of this drop are ignored; reconnectLater re-sets it
		}
	}
}

func (r *Run) result(u int32, res client.Result) {
	me := &r.users[u]
	c := r.rec.Counts()
	tag := res.Tag
	switch {
	case tag == "login":
		if res.OK() {
			c.Logins++
			me.state = online
			me.backoff = 0
		} else {
			c.LoginFailures++
			if me.state == connecting {
				me.state = offline
				r.w.After(0, func() { r.reconnectLater(u) })
			}
		}
	case strings.HasPrefix(tag, "p"):
		v, _ := strconv.Atoi(tag[1:])
		if res.OK() {
			me.accepted = max(me.accepted, int32(v))
		} else {
			c.PublishFailed++
		}
	case strings.HasPrefix(tag, "s"):
		k, _ := strconv.Atoi(tag[1:])
		if !res.OK() {
			c.SubscribeFails++
			return
		}
		c.Subscribes++
		if k < len(me.buddies) {
			// The 200 carries the presence (Decision D25): it updates the view, but it is not
			// a notification and gives no latency sample.
			r.seen(u, "pres:"+r.users[me.buddies[k]].id, res.Tuples, false)
		}
	case strings.HasPrefix(tag, "i"):
		if res.OK() {
			c.IMAccepted++
		} else {
			c.IMFailed++
		}
	}
}

// seen updates watcher u's view of the presentity from the tuples it was shown.
func (r *Run) seen(u int32, from string, tuples []client.Tuple, notify bool) {
	p, ok := r.byURI[canonID(from)]
	if !ok {
		return
	}
	me := &r.users[u]
	k := -1
	for i, b := range me.buddies {
		if b == p {
			k = i
			break
		}
	}
	if k < 0 {
		return
	}
	v := int32(0)
	for _, t := range tuples {
		if n, err := strconv.Atoi(strings.TrimPrefix(t.Note, "v")); err == nil && strings.HasPrefix(t.Note, "v") {
			v = max(v, int32(n))
		}
	}
	if v <= me.view[k] {
		return
	}
	me.view[k] = v
	if notify {
		if at := r.users[p].pubAt; int(v) <= len(at) {
			r.rec.Notify(r.w.Now() - at[v-1])
		}
	}
	key := uint64(u)<<32 | uint64(k)
	for _, c := range r.conv {
		if c.done {
			continue
		}
		if need, ok := c.need[key]; ok && v >= need {
			delete(c.need, key)
			if len(c.need) == 0 {
				r.converged(c)
			}
		}
	}
}

func (r *Run) converged(c *convergence) {
	c.done = true
	ms := metrics.Ms(r.w.Now() - c.healAt)
	c.fault.ConvergedMs = &ms
}

// healed starts following convergence after a fault ends.
func (r *Run) healed(c *convergence) {
	c.healAt = r.w.Now()
	c.fault.Healed = c.healAt.String()
	c.need = map[uint64]int32{}
	for u := range r.users {
		me := &r.users[u]
		for k, b := range me.buddies {
			if need := r.users[b].accepted; me.view[k] < need {
				c.need[uint64(u)<<32|uint64(k)] = need
			}
		}
	}
	c.fault.Lagging = len(c.need)
	if len(c.need) == 0 {
		r.converged(c)
	}
}

func (r *Run) scheduleFault(i int, f topology.Fault, byName map[string]*domain) error {
	c := &convergence{fault: metrics.Fault{Kind: f.Kind, At: f.At.D().String()}}
	r.conv = append(r.conv, c)
	switch f.Kind {
	case topology.FaultPartition:
		var a, b []string
		inA := map[*domain]bool{}
		for _, n := range f.A {
			d := byName[addr.CanonicalDomain(n)]
			inA[d] = true
			a = append(a, d.server.Name(), d.access.Name())
		}
		if len(f.B) > 0 {
			for _, n := range f.B {
				d := byName[addr.CanonicalDomain(n)]
				b = append(b, d.server.Name(), d.access.Name())
			}
		} else {
			for j := range r.domains {
				if d := &r.domains[j]; !inA[d] {
					b = append(b, d.server.Name(), d.access.Name())
				}
			}
		}
		c.fault.Target = strings.Join(f.A, ",") + "|" + strings.Join(f.B, ",")
		if len(f.B) == 0 {
			c.fault.Target += "*"
		}
		r.w.After(f.At.D(), func() { r.fail(r.w.Partition(a, b)) })
		if end, ok := f.Heal(); ok {
			r.w.After(end, func() {
				r.fail(r.w.Heal(a, b))
				r.healed(c)
			})
		}
		if len(a) == 0 || len(b) == 0 {
			return fmt.Errorf("workload: fault %d: a partition needs hosts on both sides", i)
		}
	case topology.FaultCrash:
		d := byName[addr.CanonicalDomain(f.Server)]
		c.fault.Target = d.name
		r.w.After(f.At.D(), d.server.Crash)
		if end, ok := f.Heal(); ok {
			r.w.After(end, func() {
				d.server.Restart()
				r.healed(c)
			})
		}
	default:
		return fmt.Errorf("workload: fault %d: unknown kind %q", i, f.Kind)
	}
	return nil
}

// Run runs the world for the simulated span and returns the metrics. A Run runs once.
func (r *Run) Run() (*metrics.Metrics, error) {
	if r.ran {
		return nil, errors.New("workload: a Run runs once")
	}
	r.ran = true
	every := r.opt.ProgressEvery
	if every <= 0 {
		// The world runs in chunks whether or not anyone watches, so a progress line never
		// changes a run.
		every = min(max(r.span/200, 100*time.Millisecond), time.Minute)
	}
	for r.w.Now() < r.span {
		step := min(every, r.span-r.w.Now())
		r.w.RunFor(step)
		if r.opt.Progress != nil {
			r.opt.Progress(r.w.Now(), r.span)
		}
	}
	if err := r.w.Flush(); err != nil {
		return nil, fmt.Errorf("workload: %w", err)
	}
	m := r.rec.Summarize(r.span)
	m.Topology = r.top.Name
	m.Seed = r.opt.Seed
	m.Domains = len(r.domains)
	m.Users = len(r.users)
	m.Events = r.tr.events
	m.Faults = make([]metrics.Fault, len(r.conv))
	for i, c := range r.conv {
		m.Faults[i] = c.fault
	}
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

// World returns the simulated world, for tests and tools that inspect it.
func (r *Run) World() *sim.World { return r.w }
