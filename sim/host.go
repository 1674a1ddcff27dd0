package sim

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"

	"github.com/primlab/primlab/reference/engine"
)

// HostConfig describes a host. A host without New is a bare machine for scripted connections
// (World.Connect, World.Listen).
type HostConfig struct {
	Name string // unique; resolves to IP
	IP   string // unique IPv4 address, e.g. "10.0.0.1"
	// Listen names the engine's listening ports: listener name ("client", "s2s", ...) to TCP
	// port. Accepted connections reach the engine as engine.Opened{Listener: name}.
	Listen map[string]uint16
	// New builds the engine, at AddHost and again at every Restart. rng is the host's own
	// source, derived from the world seed, the host name and the incarnation.
	New func(rng *rand.Rand) engine.Engine
	// CertCN is the common name of the certificate this host shows in a simulated TLS
	// handshake; peers get it as engine.Secured.PeerCN.
	CertCN string
	// KeepFacts bounds how many observations Facts keeps (0 keeps all; -1 keeps none, for
	// large topologies that use Config.OnFact instead).
	KeepFacts int
}

// Host is a machine in the world.
type Host struct {
	w     *World
	cfg   HostConfig
	index int // pcapng interface number
	ip    netip.Addr
	mac   [6]byte

	up    bool
	epoch uint64 // incarnation: bumped by Crash, checked by every stale event
	eng   engine.Engine

	listeners map[uint16]*listenPort
	conns     map[engine.ConnID]*endpoint
	scripted  []*Conn
	timers    map[engine.TimerID]uint64 // pending timer id -> generation
	timerGen  uint64
	nextID    engine.ConnID
	nextPort  uint16
	ipID      uint16
	facts     []Observation
}

// listenPort is what listens on one port: an engine listener or a scripted Listener.
type listenPort struct {
	name   string    // engine listener name
	script *Listener // scripted listener
}

// AddHost adds a host and, if it has one, starts its engine.
func (w *World) AddHost(cfg HostConfig) (*Host, error) {
	if cfg.Name == "" {
		return nil, fmt.Errorf("sim: host without a name")
	}
	if w.byName[cfg.Name] != nil || w.aliases[cfg.Name] != nil {
		return nil, fmt.Errorf("sim: host %q: name already in use", cfg.Name)
	}
	ip, err := netip.ParseAddr(cfg.IP)
	if err != nil || !ip.Is4() {
		return nil, fmt.Errorf("sim: host %q: want an IPv4 address, got %q", cfg.Name, cfg.IP)
	}
	if other := w.byIP[ip]; other != nil {
		return nil, fmt.Errorf("sim: host %q: address %s already used by %q", cfg.Name, ip, other.cfg.Name)
	}
	h := &Host{
		w:         w,
		cfg:       cfg,
		index:     len(w.hosts),
		ip:        ip,
		up:        true,
		listeners: map[uint16]*listenPort{},
		nextPort:  49152,
	}
	a := ip.As4()
	h.mac = [6]byte{0x02, 0x00, a[0], a[1], a[2], a[3]}
	// Sorted so that a conflict is reported the same way every run.
	names := make([]string, 0, len(cfg.Listen))
	for name := range cfg.Listen {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		port := cfg.Listen[name]
		if port == 0 {
			return nil, fmt.Errorf("sim: host %q: listener %q has port 0", cfg.Name, name)
		}
		if l := h.listeners[port]; l != nil {
			return nil, fmt.Errorf("sim: host %q: listeners %q and %q share port %d", cfg.Name, l.name, name, port)
		}
		h.listeners[port] = &listenPort{name: name}
	}
	w.hosts = append(w.hosts, h)
	w.byName[cfg.Name] = h
	w.byIP[ip] = h
	if w.pcap != nil {
		w.pcap.addInterface(w, h)
	}
	h.boot()
	return h, nil
}

// MustAddHost is AddHost for test and topology code that treats a bad host as a bug.
func (w *World) MustAddHost(cfg HostConfig) *Host {
	h, err := w.AddHost(cfg)
	if err != nil {
		panic(err)
	}
	return h
}

func (h *Host) boot() {
	h.conns = nil
	h.timers = nil
	h.nextID = 0
	h.eng = nil
	if h.cfg.New != nil {
		h.eng = h.cfg.New(h.w.hostRand(h.cfg.Name, h.epoch))
	}
}

// Name returns the host's name.
func (h *Host) Name() string { return h.cfg.Name }

// IP returns the host's address.
func (h *Host) IP() netip.Addr { return h.ip }

// Up reports whether the host is running (not crashed).
func (h *Host) Up() bool { return h.up }

// Engine returns the running engine (nil for a bare or crashed host), for inspection.
func (h *Host) Engine() engine.Engine { return h.eng }

// Facts returns the facts the host's engines observed so far, oldest first.
func (h *Host) Facts() []Observation { return h.facts }

// Call hands op to the engine as an engine.Call event, at once, and carries out the actions
// it returns. It panics on a bare host; on a crashed host it does nothing.
func (h *Host) Call(op any) {
	if h.cfg.New == nil {
		panic(fmt.Sprintf("sim: Call on host %q, which runs no engine", h.cfg.Name))
	}
	if !h.up {
		return
	}
	if h.w.trace != nil {
		h.w.trace.line(h.w, "call", h.cfg.Name, fmt.Sprintf("%T", op))
	}
	h.handle(engine.Call{Op: op})
}

// Crash stops the host at once: its engine and all its connection state are lost, no FIN or
// RST goes out, pending timers are forgotten. Peers notice by timeouts, or by RST once the
// host is back and they send to a connection it no longer knows.
func (h *Host) Crash() {
	if !h.up {
		return
	}
	h.w.trace.line(h.w, "crash", h.cfg.Name, "")
	h.up = false
	h.epoch++
	h.eng = nil
	h.conns = nil
	h.timers = nil
	for _, c := range h.scripted {
		c.fail(fmt.Errorf("%s: %w", c.name(), ErrHostDown))
	}
	h.scripted = nil
	for port, l := range h.listeners {
		if l.script != nil {
			l.script.closed = true
			delete(h.listeners, port)
		}
	}
}

// Restart brings a crashed host back with a fresh engine from HostConfig.New.
func (h *Host) Restart() {
	if h.up {
		return
	}
	h.up = true
	h.w.trace.line(h.w, "restart", h.cfg.Name, "")
	h.boot()
}

// handle runs one engine event and carries out the actions.
func (h *Host) handle(ev engine.Event) {
	if h.eng == nil {
		return
	}
	acts := h.eng.Handle(h.w.Time(), ev)
	epoch := h.epoch
	for _, a := range acts {
		if h.epoch != epoch || !h.up {
			return // an OnFact callback crashed the host
		}
		h.apply(a)
	}
}

func (h *Host) apply(a engine.Action) {
	w := h.w
	switch a := a.(type) {
	case engine.Write:
		ep := h.conns[a.Conn]
		if ep == nil || ep.ownerGone {
			if w.trace != nil {
				w.trace.line(w, "drop-write", h.cfg.Name, a.Conn.String()+" unknown or closed connection")
			}
			return
		}
		w.send(ep, a.Data)
	case engine.Dial:
		w.dial(h, a.Addr, a.Tag, nil)
	case engine.Close:
		ep := h.conns[a.Conn]
		if ep == nil {
			return
		}
		delete(h.conns, a.Conn)
		err := ErrClosedLocally
		if a.Abort {
			err = ErrAborted
			w.abort(ep)
		} else {
			w.closeEnd(ep)
		}
		ep.ownerGone = true
		w.q.push(w.now, event{kind: evEngine, host: h, gen: h.epoch, ev: engine.Closed{Conn: a.Conn, Err: err}})
	case engine.StartTLS:
		ep := h.conns[a.Conn]
		if ep == nil {
			return
		}
		w.startTLS(ep)
	case engine.SetTimer:
		if h.timers == nil {
			h.timers = map[engine.TimerID]uint64{}
		}
		h.timerGen++
		h.timers[a.ID] = h.timerGen
		at := int64(a.At.Sub(w.start))
		if at < w.now {
			at = w.now
		}
		w.q.push(at, event{kind: evTimer, host: h, timer: a.ID, gen: h.timerGen})
	case engine.CancelTimer:
		delete(h.timers, a.ID)
	case engine.Observe:
		o := Observation{At: w.Now(), Host: h.cfg.Name, Fact: a.Fact}
		if h.cfg.KeepFacts == 0 || len(h.facts) < h.cfg.KeepFacts {
			h.facts = append(h.facts, o)
		}
		if w.trace != nil {
			w.trace.line(w, "fact", h.cfg.Name, a.Fact.String())
		}
		if w.cfg.OnFact != nil {
			w.cfg.OnFact(o)
		}
	default:
		w.trace.line(w, "bad-action", h.cfg.Name, fmt.Sprintf("%T", a))
	}
}

func (h *Host) fireTimer(id engine.TimerID, gen uint64) {
	if !h.up || h.timers[id] != gen {
		return // moved, cancelled, or lost in a crash
	}
	delete(h.timers, id)
	h.handle(engine.Timer{ID: id})
}

// allocPort returns a fresh ephemeral port.
func (h *Host) allocPort() uint16 {
	for {
		p := h.nextPort
		h.nextPort++
		if h.nextPort == 0 {
			h.nextPort = 49152
		}
		if h.listeners[p] == nil {
			return p
		}
	}
}

// addr renders this host and a port for traces.
func (h *Host) addr(port uint16) string {
	return fmt.Sprintf("%s:%d", h.cfg.Name, port)
}
