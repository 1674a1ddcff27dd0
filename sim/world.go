package sim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/primlab/primlab/reference/engine"
)

// Errors a connection or a dial ends with. They are wrapped with the address or connection
// they concern; test them with errors.Is.
var (
	ErrRefused       = errors.New("connection refused")
	ErrTimeout       = errors.New("connection timed out")
	ErrReset         = errors.New("connection reset by peer")
	ErrUnresolvable  = errors.New("no such host")
	ErrClosedLocally = errors.New("connection closed locally")
	ErrAborted       = errors.New("connection aborted locally")
	ErrHostDown      = errors.New("host is down")
	ErrBufferFull    = errors.New("receive buffer full: the peer sent more than Config.MaxReceive unread bytes")
	ErrTLSTimeout    = errors.New("TLS handshake timed out: the peer never started it")
)

// DefaultStart is the wall-clock time virtual time zero maps to, unless Config.Start says
// otherwise. It is fixed so that engines that print dates do so reproducibly.
var DefaultStart = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Config sets up a World. The zero value is usable: seed 0, no trace, no capture, 1 ms links.
type Config struct {
	// Seed fixes every random choice of the run (jitter, loss, initial sequence numbers, the
	// engines' *rand.Rand).
	Seed uint64
	// Start is the time engines see at virtual time zero (default DefaultStart).
	Start time.Time
	// Link is the link between two hosts that have no SetLink of their own (default: 1 ms
	// latency, nothing else).
	Link *LinkConfig
	// MSS is the TCP maximum segment size in bytes (default 1460).
	MSS int
	// RTO is the first retransmission timeout; each retry doubles it (default 200 ms).
	RTO time.Duration
	// ConnectTimeout bounds a connection attempt whose SYNs go unanswered (default 10 s).
	ConnectTimeout time.Duration
	// UserTimeout bounds how long a segment may go unacknowledged before the sender gives up
	// on the connection with ErrTimeout (default 30 s).
	UserTimeout time.Duration
	// MaxReceive bounds the unconsumed bytes a scripted Conn holds (default 16 MiB): a peer
	// that floods past it has the connection reset, and the Conn fails with ErrBufferFull.
	MaxReceive int
	// QuietLimit bounds RunUntilQuiet, for worlds that never go quiet (default 24 h).
	QuietLimit time.Duration
	// Trace, when set, receives one line per network event (see trace.go).
	Trace io.Writer
	// Pcap, when set, receives a pcapng capture of every segment.
	Pcap io.Writer
	// OnFact, when set, is called for every fact an engine observes, in order.
	OnFact func(Observation)
}

// Observation is a fact an engine reported, with where and when.
type Observation struct {
	At   time.Duration // virtual time
	Host string
	Fact engine.Fact
}

func (o Observation) String() string {
	return formatDuration(o.At) + " " + o.Host + " " + o.Fact.String()
}

// World is one simulated network. It is not safe for concurrent use: drive it from one
// goroutine (the bridge's goroutines only talk to it through a channel).
type World struct {
	cfg   Config
	link  LinkConfig
	rng   *rand.Rand
	start time.Time
	now   int64
	q     queue

	hosts   []*Host
	byName  map[string]*Host
	byIP    map[netip.Addr]*Host
	aliases map[string]*Host
	links   map[linkKey]*linkState

	nextConn uint64

	trace *tracer
	pcap  *capture
	err   error // first capture or trace write error

	bridges []*Bridge
	inbox   chan bridgeEvent
}

// New makes an empty world at virtual time zero.
func New(cfg Config) *World {
	if cfg.Start.IsZero() {
		cfg.Start = DefaultStart
	}
	if cfg.MSS <= 0 {
		cfg.MSS = 1460
	}
	if cfg.RTO <= 0 {
		cfg.RTO = 200 * time.Millisecond
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.UserTimeout <= 0 {
		cfg.UserTimeout = 30 * time.Second
	}
	if cfg.MaxReceive <= 0 {
		cfg.MaxReceive = 16 << 20
	}
	if cfg.QuietLimit <= 0 {
		cfg.QuietLimit = 24 * time.Hour
	}
	w := &World{
		cfg:     cfg,
		link:    LinkConfig{Latency: time.Millisecond},
		rng:     rand.New(rand.NewPCG(cfg.Seed, 0x5eed0f71)),
		start:   cfg.Start,
		byName:  map[string]*Host{},
		byIP:    map[netip.Addr]*Host{},
		aliases: map[string]*Host{},
		links:   map[linkKey]*linkState{},
	}
	if cfg.Link != nil {
		w.link = *cfg.Link
	}
	if cfg.Trace != nil {
		w.trace = &tracer{out: cfg.Trace}
	}
	if cfg.Pcap != nil {
		w.pcap = &capture{out: cfg.Pcap}
	}
	return w
}

// Now returns the virtual time since the start of the run.
func (w *World) Now() time.Duration { return time.Duration(w.now) }

// Time returns the current virtual time as engines see it (Config.Start + Now).
func (w *World) Time() time.Time { return w.start.Add(time.Duration(w.now)) }

// Rand returns the world's random source, for workloads that must stay reproducible.
func (w *World) Rand() *rand.Rand { return w.rng }

// Err returns the first error writing the trace or the capture, if any.
func (w *World) Err() error { return w.err }

// Flush writes out any buffered capture data. Call it before reading the pcapng stream.
func (w *World) Flush() error {
	if w.pcap != nil && w.pcap.ng != nil {
		if err := w.pcap.ng.Flush(); err != nil {
			return fmt.Errorf("sim: flushing capture: %w", err)
		}
	}
	return w.err
}

// Host returns the host with this name or alias, or nil.
func (w *World) Host(name string) *Host {
	if h := w.byName[name]; h != nil {
		return h
	}
	return w.aliases[name]
}

// Hosts returns every host in the order they were added.
func (w *World) Hosts() []*Host { return w.hosts }

// Alias makes name resolve to the host called host (for example a domain name to its server).
func (w *World) Alias(name, host string) error {
	h := w.byName[host]
	if h == nil {
		return fmt.Errorf("sim: alias %q: %w: %q", name, ErrUnresolvable, host)
	}
	if w.byName[name] != nil || w.aliases[name] != nil {
		return fmt.Errorf("sim: alias %q: name already in use", name)
	}
	w.aliases[name] = h
	return nil
}

// Resolve maps "name:port" or "ip:port" to a host and a port.
func (w *World) Resolve(addr string) (*Host, uint16, error) {
	host, portText, err := splitHostPort(addr)
	if err != nil {
		return nil, 0, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 {
		return nil, 0, fmt.Errorf("sim: address %q: bad port %q", addr, portText)
	}
	if h := w.Host(host); h != nil {
		return h, uint16(port), nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if h := w.byIP[ip]; h != nil {
			return h, uint16(port), nil
		}
	}
	return nil, 0, fmt.Errorf("sim: address %q: %w", addr, ErrUnresolvable)
}

func splitHostPort(addr string) (string, string, error) {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			if i == 0 || i == len(addr)-1 {
				break
			}
			return addr[:i], addr[i+1:], nil
		}
	}
	return "", "", fmt.Errorf("sim: address %q: want host:port", addr)
}

// After schedules fn to run at Now()+d inside the event loop (faults, workload steps).
func (w *World) After(d time.Duration, fn func()) {
	if d < 0 {
		d = 0
	}
	w.q.push(w.now+int64(d), event{kind: evFunc, fn: fn})
}

// Pending returns how many events are queued.
func (w *World) Pending() int { return w.q.len() }

// Step runs the earliest event, advancing the clock to it. It reports false when there is
// nothing to run.
func (w *World) Step() bool {
	at, ok := w.q.peek()
	if !ok {
		return false
	}
	_, ev := w.q.pop()
	if at > w.now {
		w.now = at
	}
	w.dispatch(ev)
	return true
}

// RunFor runs every event due within d of virtual time, then sets the clock to Now()+d.
func (w *World) RunFor(d time.Duration) {
	end := w.now + int64(d)
	w.runUntil(nil, end)
	if w.now < end {
		w.now = end
	}
}

// RunUntil runs events until cond returns true or until virtual time passes Now()+deadline,
// whichever comes first, and returns cond's last answer. cond is checked before the first
// event and after every event. When cond never holds, the clock ends at Now()+deadline.
func (w *World) RunUntil(cond func() bool, deadline time.Duration) bool {
	end := w.now + int64(deadline)
	if w.runUntil(cond, end) {
		return true
	}
	if w.now < end {
		w.now = end
	}
	return cond()
}

// RunUntilQuiet runs events until none is left and reports true, or reports false when
// Config.QuietLimit of virtual time passed first (a world with periodic timers never goes
// quiet). Open bridged connections count as activity while their peers keep talking.
func (w *World) RunUntilQuiet() bool {
	end := w.now + int64(w.cfg.QuietLimit)
	for {
		at, ok := w.q.peek()
		if !ok {
			if w.bridgeBusy() {
				limit := w.now + int64(w.bridgeIdle())
				if limit > end {
					limit = end
				}
				if w.waitBridge(limit) {
					continue
				}
			}
			return true
		}
		if at > end {
			w.now = end
			return false
		}
		if w.bridgeBusy() && w.waitBridge(at) {
			continue
		}
		w.Step()
	}
}

// runUntil is the loop behind RunFor and RunUntil: it stops when cond holds (reporting true)
// or before the first event later than end.
func (w *World) runUntil(cond func() bool, end int64) bool {
	for {
		if cond != nil && cond() {
			return true
		}
		at, ok := w.q.peek()
		if !ok || at > end {
			limit := end
			if w.bridgeBusy() && w.waitBridge(limit) {
				continue
			}
			return false
		}
		if w.bridgeBusy() && w.waitBridge(at) {
			continue
		}
		w.Step()
	}
}

// event kinds
const (
	evNop      uint8 = iota // benchmarks
	evFunc                  // run fn
	evSegment               // a segment arrives at its destination
	evResend                // a lost segment is sent again
	evTimer                 // an engine timer fires
	evEngine                // deliver ev to host's engine
	evSecured               // a simulated TLS handshake completes on one end
	evBridge                // a recorded external event is replayed
	evDialFail              // a dial fails before reaching the network
)

// event is one queued happening. Only the fields its kind needs are set.
type event struct {
	kind    uint8
	flags   uint8 // TCP flags of a segment
	dir     uint8 // segment direction: 0 initiator to acceptor, 1 back
	attempt uint8 // retransmissions so far
	seq     uint32
	ack     uint32
	host    *Host
	conn    *tcpConn
	data    []byte
	gen     uint64
	timer   engine.TimerID
	ev      engine.Event
	fn      func()
}

func (w *World) dispatch(ev event) {
	switch ev.kind {
	case evNop:
	case evFunc:
		ev.fn()
	case evSegment:
		w.arrive(ev)
	case evResend:
		w.resend(ev)
	case evTimer:
		ev.host.fireTimer(ev.timer, ev.gen)
	case evEngine:
		if ev.host.up && ev.host.epoch == ev.gen {
			ev.host.handle(ev.ev)
		}
	case evSecured:
		w.secured(ev)
	case evBridge:
		ev.fn()
	}
}

// hostRand derives a host's random source from the seed, its name and its incarnation, so
// adding a host does not disturb the randomness of the others.
func (w *World) hostRand(name string, epoch uint64) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(w.cfg.Seed^h.Sum64(), epoch))
}

func (w *World) setErr(err error) {
	if w.err == nil && err != nil {
		w.err = err
	}
}

// formatDuration renders a virtual time as seconds with microseconds, fixed width.
func formatDuration(d time.Duration) string {
	var b [24]byte
	return string(appendDuration(b[:0], d))
}

func appendDuration(b []byte, d time.Duration) []byte {
	us := int64(d / time.Microsecond)
	sec := us / 1e6
	frac := us % 1e6
	s := strconv.FormatInt(sec, 10)
	for i := len(s); i < 4; i++ {
		b = append(b, ' ')
	}
	b = append(b, s...)
	b = append(b, '.')
	f := strconv.FormatInt(frac, 10)
	for i := len(f); i < 6; i++ {
		b = append(b, '0')
	}
	return append(b, f...)
}

// TraceFromEnv returns os.Stderr when the environment variable PRIM_SIM_TRACE is set to a
// true value (1, t, true, ...), else nil: a convenient Config.Trace for tests and tools.
func TraceFromEnv() io.Writer {
	if on, _ := strconv.ParseBool(os.Getenv("PRIM_SIM_TRACE")); on {
		return os.Stderr
	}
	return nil
}
