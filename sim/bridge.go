package sim

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/primlab/primlab/reference/engine"
)

// The bridge lets an external implementation, reached over real TCP, take part in a world.
// It is the only part of sim that touches sockets, goroutines and the wall clock: goroutines
// accept, dial and read; what they learn enters the event loop through one channel, and the
// loop does everything else. While the world has nothing to do but wait for the external
// side, virtual time follows the wall clock, up to the next scheduled event or deadline.

// BridgeConfig describes a bridge host.
type BridgeConfig struct {
	Name string // host name in the world
	IP   string // its IPv4 address in the world
	// Dial carries simulated connections to real servers: a connection from any host to
	// Name:port is relayed to the real address Dial[port] (an external server under test).
	// The simulated side is accepted at once; if the real dial fails, it is reset.
	Dial map[uint16]string
	// Accept opens real listening sockets for external clients; each connection accepted on
	// Accept[i].Listen appears in the world as a connection from this host to
	// Accept[i].Target (e.g. the reference server).
	Accept []BridgeAccept
	// Record, when set, receives the recording (see record.go for the format).
	Record io.Writer
	// Idle is how long (wall time) RunUntilQuiet waits for the external side to speak
	// before it calls the world quiet (default 200 ms).
	Idle time.Duration
	// DialTimeout bounds a real dial (default 5 s).
	DialTimeout time.Duration
}

// BridgeAccept is a real listening address and the simulated address its clients reach.
type BridgeAccept struct {
	Listen string // e.g. "127.0.0.1:0"
	Target string // e.g. "server:7000"
}

// Bridge is a host backed by real sockets (AddBridge) or by a recording (AddReplay).
type Bridge struct {
	w    *World
	host *Host
	cfg  BridgeConfig
	live bool

	lns   []net.Listener
	done  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
	ports map[string]uint16 // engine listener name -> port

	next     int
	conns    map[int]*bridgeConn
	byEID    map[engine.ConnID]*bridgeConn
	openReal int
	dialing  int

	rec     io.Writer
	recBuf  []byte
	recErr  error
	expect  map[int][]byte // replay: out bytes still expected per connection
	diverge error
}

type bridgeConn struct {
	n          int
	eid        engine.ConnID
	real       net.Conn
	pendingIn  [][]byte // external bytes that arrived before the simulated side opened
	pendingOut [][]byte // world bytes written before the real dial completed
	extEOF     bool
	simClosed  bool
}

// bridgeEvent is what a goroutine hands to the loop.
type bridgeEvent struct {
	b        *Bridge
	kind     RecordKind
	conn     int
	listener int
	nc       net.Conn
	data     []byte
	err      error
}

// bridgeOp is the engine.Call the loop hands the bridge engine.
type bridgeOp struct{ ev RecordedEvent }

// AddBridge adds a host backed by real sockets. Close it when done.
func (w *World) AddBridge(cfg BridgeConfig) (*Bridge, error) {
	b, err := w.addBridgeHost(cfg, true)
	if err != nil {
		return nil, err
	}
	for i, a := range cfg.Accept {
		ln, err := net.Listen("tcp", a.Listen)
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("sim: bridge %q: listening on %q: %w", cfg.Name, a.Listen, err)
		}
		b.lns = append(b.lns, ln)
		b.wg.Add(1)
		go b.acceptLoop(i, ln)
	}
	return b, nil
}

// AddReplay adds a bridge host that replays a recording instead of talking to the external
// implementation: recorded inbound events happen at their recorded virtual times, and what
// the world sends is checked against the recording (Divergence). cfg is the configuration of
// the recorded run: its Dial ports and Accept targets matter, its real addresses do not.
// A replay is as deterministic as any world: the same seed and script give the same run.
func (w *World) AddReplay(cfg BridgeConfig, rec []RecordedEvent) (*Bridge, error) {
	b, err := w.addBridgeHost(cfg, false)
	if err != nil {
		return nil, err
	}
	b.expect = map[int][]byte{}
	for _, ev := range rec {
		if ev.Kind == RecOut {
			b.expect[ev.Conn] = append(b.expect[ev.Conn], ev.Data...)
		}
		if !ev.Inbound() {
			continue
		}
		ev := ev
		at := int64(ev.At)
		if at < w.now {
			at = w.now
		}
		w.q.push(at, event{kind: evBridge, fn: func() { b.host.handle(engine.Call{Op: bridgeOp{ev}}) }})
	}
	return b, nil
}

func (w *World) addBridgeHost(cfg BridgeConfig, live bool) (*Bridge, error) {
	if cfg.Idle <= 0 {
		cfg.Idle = 200 * time.Millisecond
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	b := &Bridge{
		w: w, cfg: cfg, live: live, done: make(chan struct{}),
		ports: map[string]uint16{},
		conns: map[int]*bridgeConn{}, byEID: map[engine.ConnID]*bridgeConn{},
		rec: cfg.Record,
	}
	listen := map[string]uint16{}
	for port := range cfg.Dial {
		name := "bridge-" + strconv.Itoa(int(port))
		listen[name] = port
		b.ports[name] = port
	}
	h, err := w.AddHost(HostConfig{
		Name: cfg.Name, IP: cfg.IP, Listen: listen,
		New: func(*rand.Rand) engine.Engine { return (*bridgeEngine)(b) },
	})
	if err != nil {
		return nil, err
	}
	b.host = h
	if b.rec != nil {
		b.writeRec([]byte(recordingMagic + "\n"))
	}
	if live {
		if w.inbox == nil {
			w.inbox = make(chan bridgeEvent, 256)
		}
		w.bridges = append(w.bridges, b)
	}
	return b, nil
}

// Host returns the bridge's host.
func (b *Bridge) Host() *Host { return b.host }

// Addrs returns the real addresses the bridge listens on, in BridgeConfig.Accept order.
func (b *Bridge) Addrs() []net.Addr {
	out := make([]net.Addr, len(b.lns))
	for i, ln := range b.lns {
		out[i] = ln.Addr()
	}
	return out
}

// Err returns the first error writing the recording.
func (b *Bridge) Err() error { return b.recErr }

// Divergence reports, for a replay, the first place where the world sent something other
// than the recording holds, or recorded bytes the world has not sent (yet).
func (b *Bridge) Divergence() error {
	if b.diverge != nil || b.expect == nil {
		return b.diverge
	}
	conns := make([]int, 0, len(b.expect))
	for n := range b.expect {
		conns = append(conns, n)
	}
	sort.Ints(conns)
	for _, n := range conns {
		if rest := b.expect[n]; len(rest) > 0 {
			return fmt.Errorf("sim: replay of %q: connection %d: world did not send %q", b.cfg.Name, n, rest)
		}
	}
	return nil
}

// Close shuts every real socket and waits for the bridge's goroutines.
func (b *Bridge) Close() error {
	var errs []error
	b.once.Do(func() {
		close(b.done)
		for _, ln := range b.lns {
			errs = append(errs, ln.Close())
		}
		for n := 1; n <= b.next; n++ {
			if bc := b.conns[n]; bc != nil && bc.real != nil {
				bc.real.Close()
			}
		}
		b.wg.Wait()
		for i, x := range b.w.bridges {
			if x == b {
				b.w.bridges = append(b.w.bridges[:i], b.w.bridges[i+1:]...)
				break
			}
		}
	})
	return errors.Join(errs...)
}

func (b *Bridge) busy() bool {
	select {
	case <-b.done:
		return false
	default:
	}
	return len(b.lns) > 0 || b.openReal > 0 || b.dialing > 0
}

// post hands an event to the loop unless the bridge is closing.
func (b *Bridge) post(ev bridgeEvent) bool {
	ev.b = b
	select {
	case b.w.inbox <- ev:
		return true
	case <-b.done:
		if ev.nc != nil {
			ev.nc.Close()
		}
		return false
	}
}

func (b *Bridge) acceptLoop(i int, ln net.Listener) {
	defer b.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		if !b.post(bridgeEvent{kind: RecAccept, listener: i, nc: nc}) {
			return
		}
	}
}

func (b *Bridge) dialReal(n int, addr string) {
	defer b.wg.Done()
	nc, err := net.DialTimeout("tcp", addr, b.cfg.DialTimeout)
	if err != nil {
		b.post(bridgeEvent{kind: RecRefused, conn: n, err: err})
		return
	}
	b.post(bridgeEvent{kind: RecDialed, conn: n, nc: nc})
}

func (b *Bridge) readLoop(n int, nc net.Conn) {
	defer b.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		k, err := nc.Read(buf)
		if k > 0 {
			if !b.post(bridgeEvent{kind: RecIn, conn: n, data: append([]byte(nil), buf[:k]...)}) {
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				b.post(bridgeEvent{kind: RecEOF, conn: n})
			} else {
				b.post(bridgeEvent{kind: RecError, conn: n, err: err})
			}
			return
		}
	}
}

// bridgeBusy reports whether a live bridge may still hear from the outside.
func (w *World) bridgeBusy() bool {
	for _, b := range w.bridges {
		if b.busy() {
			return true
		}
	}
	return false
}

// bridgeIdle is the longest Idle of the live bridges.
func (w *World) bridgeIdle() time.Duration {
	var d time.Duration
	for _, b := range w.bridges {
		if b.cfg.Idle > d {
			d = b.cfg.Idle
		}
	}
	return d
}

// waitBridge waits, in wall time, until the virtual time until at most, for an event from a
// bridge. If one comes, virtual time advances by the wall time waited and the event is
// handled: it reports true. Otherwise the clock moves to until and it reports false.
func (w *World) waitBridge(until int64) bool {
	wait := time.Duration(until - w.now)
	start := time.Now()
	var ev bridgeEvent
	if wait <= 0 {
		select {
		case ev = <-w.inbox:
		default:
			return false
		}
	} else {
		t := time.NewTimer(wait)
		select {
		case ev = <-w.inbox:
			t.Stop()
		case <-t.C:
			w.now = until
			return false
		}
	}
	adv := int64(time.Since(start))
	if w.now+adv > until {
		adv = until - w.now
	}
	if adv > 0 {
		w.now += adv
	}
	ev.b.inject(ev)
	return true
}

// inject runs a real-world event inside the loop.
func (b *Bridge) inject(ev bridgeEvent) {
	select {
	case <-b.done:
		if ev.nc != nil {
			ev.nc.Close()
		}
		return // posted just before Close
	default:
	}
	rec := RecordedEvent{Kind: ev.kind, Conn: ev.conn, Arg: ev.listener, Data: ev.data}
	switch ev.kind {
	case RecAccept:
		b.next++
		rec.Conn = b.next
		b.conns[rec.Conn] = &bridgeConn{n: rec.Conn, real: ev.nc}
		b.openReal++
		b.wg.Add(1)
		go b.readLoop(rec.Conn, ev.nc)
	case RecDialed:
		b.dialing--
		bc := b.conns[ev.conn]
		if bc == nil || bc.simClosed {
			ev.nc.Close()
			return
		}
		bc.real = ev.nc
		b.openReal++
		b.wg.Add(1)
		go b.readLoop(ev.conn, ev.nc)
	case RecRefused:
		b.dialing--
		rec.Data = []byte(ev.err.Error())
	case RecEOF, RecError:
		b.openReal--
		if ev.err != nil {
			rec.Data = []byte(ev.err.Error())
		}
		fallthrough
	case RecIn:
		if bc := b.conns[ev.conn]; bc == nil || bc.simClosed {
			return // we closed it ourselves; the reader only noticed
		}
	}
	b.host.handle(engine.Call{Op: bridgeOp{rec}})
}

func (b *Bridge) record(ev RecordedEvent) {
	if b.rec == nil {
		return
	}
	ev.At = b.w.Now()
	b.recBuf = ev.appendTo(b.recBuf[:0])
	b.writeRec(b.recBuf)
}

func (b *Bridge) writeRec(p []byte) {
	if b.recErr != nil {
		return
	}
	if _, err := b.rec.Write(p); err != nil {
		b.recErr = fmt.Errorf("sim: bridge %q: writing recording: %w", b.cfg.Name, err)
	}
}

func (b *Bridge) writeReal(bc *bridgeConn, data []byte) {
	if !b.live {
		b.checkOut(bc.n, data)
		return
	}
	if bc.real == nil {
		bc.pendingOut = append(bc.pendingOut, append([]byte(nil), data...))
		return
	}
	bc.real.SetWriteDeadline(time.Now().Add(b.cfg.DialTimeout))
	bc.real.Write(data) // a failure shows up as a read error on the same socket
}

func (b *Bridge) checkOut(n int, data []byte) {
	if b.diverge != nil {
		return
	}
	want := b.expect[n]
	k := len(data)
	if k > len(want) {
		k = len(want)
	}
	if string(want[:k]) != string(data[:k]) || k < len(data) {
		b.diverge = fmt.Errorf("sim: replay of %q: connection %d at %s: world sent %q, recording has %q",
			b.cfg.Name, n, strings.TrimSpace(formatDuration(b.w.Now())), data, want[:k])
		return
	}
	b.expect[n] = want[k:]
}

// bridgeEngine is the engine of a bridge host: it relays between simulated connections and
// the real (or recorded) ones, and writes the recording.
type bridgeEngine Bridge

func (e *bridgeEngine) Handle(now time.Time, ev engine.Event) []engine.Action {
	b := (*Bridge)(e)
	switch ev := ev.(type) {
	case engine.Opened:
		if ev.Listener != "" {
			// A simulated client reached a bridged port: relay to the external server.
			port := b.ports[ev.Listener]
			b.next++
			bc := &bridgeConn{n: b.next, eid: ev.Conn}
			b.conns[bc.n] = bc
			b.byEID[ev.Conn] = bc
			b.record(RecordedEvent{Kind: RecConnect, Conn: bc.n, Arg: int(port)})
			if b.live {
				b.dialing++
				b.wg.Add(1)
				go b.dialReal(bc.n, b.cfg.Dial[port])
			}
			return nil
		}
		n, _ := strconv.Atoi(strings.TrimPrefix(ev.Tag, "accept "))
		bc := b.conns[n]
		if bc == nil {
			return []engine.Action{engine.Close{Conn: ev.Conn, Abort: true}}
		}
		bc.eid = ev.Conn
		b.byEID[ev.Conn] = bc
		var acts []engine.Action
		for _, p := range bc.pendingIn {
			acts = append(acts, engine.Write{Conn: ev.Conn, Data: p})
		}
		bc.pendingIn = nil
		if bc.extEOF {
			acts = append(acts, engine.Close{Conn: ev.Conn})
		}
		return acts
	case engine.DialFailed:
		n, _ := strconv.Atoi(strings.TrimPrefix(ev.Tag, "accept "))
		if bc := b.conns[n]; bc != nil {
			b.closeConn(bc)
		}
	case engine.Bytes:
		if bc := b.byEID[ev.Conn]; bc != nil {
			b.record(RecordedEvent{Kind: RecOut, Conn: bc.n, Data: ev.Data})
			b.writeReal(bc, ev.Data)
		}
	case engine.Closed:
		if bc := b.byEID[ev.Conn]; bc != nil {
			delete(b.byEID, ev.Conn)
			b.closeConn(bc)
		}
	case engine.Call:
		op, ok := ev.Op.(bridgeOp)
		if !ok {
			return nil
		}
		return b.external(op.ev)
	}
	return nil
}

// closeConn ends the real side of bc because the world closed its side.
func (b *Bridge) closeConn(bc *bridgeConn) {
	if bc.simClosed {
		return
	}
	bc.simClosed = true
	b.record(RecordedEvent{Kind: RecClose, Conn: bc.n})
	if bc.real != nil {
		bc.real.Close()
	}
}

// external handles an event from the external side (live or replayed).
func (b *Bridge) external(ev RecordedEvent) []engine.Action {
	b.record(ev)
	if ev.Kind == RecAccept {
		if !b.live {
			b.conns[ev.Conn] = &bridgeConn{n: ev.Conn}
			if ev.Conn > b.next {
				b.next = ev.Conn
			}
		}
		if ev.Arg >= len(b.cfg.Accept) {
			return nil
		}
		return []engine.Action{engine.Dial{Tag: "accept " + strconv.Itoa(ev.Conn), Addr: b.cfg.Accept[ev.Arg].Target}}
	}
	bc := b.conns[ev.Conn]
	if bc == nil || bc.simClosed {
		return nil
	}
	switch ev.Kind {
	case RecDialed:
		for _, p := range bc.pendingOut {
			b.writeReal(bc, p)
		}
		bc.pendingOut = nil
	case RecRefused, RecError:
		bc.simClosed = true
		if bc.eid != 0 {
			delete(b.byEID, bc.eid)
			return []engine.Action{engine.Close{Conn: bc.eid, Abort: true}}
		}
	case RecIn:
		if bc.eid == 0 {
			bc.pendingIn = append(bc.pendingIn, ev.Data)
			return nil
		}
		return []engine.Action{engine.Write{Conn: bc.eid, Data: ev.Data}}
	case RecEOF:
		bc.extEOF = true
		if bc.real != nil {
			bc.real.Close()
		}
		if bc.eid != 0 {
			bc.simClosed = true
			delete(b.byEID, bc.eid)
			return []engine.Action{engine.Close{Conn: bc.eid}}
		}
	}
	return nil
}
