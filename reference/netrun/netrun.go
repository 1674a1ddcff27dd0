// Package netrun is the thin shell that runs any [engine.Engine] over real TCP and TLS with
// the wall clock: what `primlab serve` and `primlab client` use (DESIGN.md "pure engines, two
// shells"; the other shell is sim).
//
// The package offers [Runner], built by [New] from a [Config]:
//   - named listeners (name → address; port 0 picks a free port, [Runner.Addr] tells which);
//   - Dial actions, answered with Opened or DialFailed;
//   - Write, Close (FIN after what was written; Abort resets) and StartTLS on either side:
//     server side with Config.TLS (a certificate), client side with Config.ClientTLS (a root
//     pool, or InsecureSkipVerify in tests); Secured.PeerCN names the peer only when its
//     certificate was verified;
//   - SetTimer and CancelTimer on the wall clock;
//   - [Runner.Call] to inject an engine.Call from any goroutine;
//   - Config.OnFact, called with every Observe fact;
//   - graceful shutdown when the context given to [Runner.Run] ends.
//
// One goroutine (the one running Run) owns the engine and is the only one to call Handle.
// Each connection has a reader goroutine that hands each chunk it reads to the loop and then
// waits until the loop has handled it, and a writer goroutine that drains a queue, so a peer
// that stops reading never blocks the loop. Waiting after each chunk is what makes STARTTLS
// safe: when the engine answers a chunk with StartTLS, no byte after that chunk has been read
// in the clear, and the writer runs the handshake once everything queued before it is sent.
// StartTLS is therefore honoured only in answer to bytes received on that connection (which is
// where PRIM's STARTTLS exchange puts it); otherwise the engine gets Secured with an error.
package netrun

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/primlab/primlab/reference/engine"
)

// Config says where to listen and how to do TLS.
type Config struct {
	// Listeners maps a listener name ("client", "s2s", ...) to the address to bind.
	Listeners map[string]string
	// TLS is used for StartTLS{Client: false} (it must hold a certificate).
	TLS *tls.Config
	// ClientTLS is used for StartTLS{Client: true}; nil means a default configuration (system
	// roots). Set RootCAs, or InsecureSkipVerify for tests. When ServerName is empty, the host
	// of the dialled address is used.
	ClientTLS *tls.Config
	// OnFact is called with every fact the engine observes, on the loop goroutine.
	OnFact func(engine.Fact)
	// DialTimeout bounds each Dial (default 10 s).
	DialTimeout time.Duration
	// HandshakeTimeout bounds each TLS handshake (default 10 s).
	HandshakeTimeout time.Duration
	// MaxQueued bounds the octets waiting to be sent on one connection (default 16 MiB); a
	// peer that lets more pile up is reset.
	MaxQueued int
	// Logger receives connection-level diagnostics (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now); tests of timers may replace it.
	Now func() time.Time
}

// ErrStopped is returned by Call once Run has returned.
var ErrStopped = errors.New("netrun: runner stopped")

// ErrClosedLocally is the Closed error for a connection the engine closed itself.
var ErrClosedLocally = errors.New("connection closed by the local engine")

// Runner runs one engine.
type Runner struct {
	eng       engine.Engine
	cfg       Config
	listeners map[string]net.Listener
	internal  chan func()   // from Call and the other goroutines: run on the loop, in order
	stop      chan struct{} // closed when shutdown starts: goroutines give up waiting on the loop
	done      chan struct{} // closed when Run returns
	wg        sync.WaitGroup

	// owned by the loop
	nextConn engine.ConnID
	conns    map[engine.ConnID]*connection
	timers   map[engine.TimerID]time.Time

	orphanMu  sync.Mutex
	orphanSet map[net.Conn]bool
}

// New binds the listeners and returns a runner ready to Run.
func New(eng engine.Engine, cfg Config) (*Runner, error) {
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = 10 * time.Second
	}
	if cfg.MaxQueued == 0 {
		cfg.MaxQueued = 16 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Runner{
		eng:       eng,
		cfg:       cfg,
		listeners: map[string]net.Listener{},
		internal:  make(chan func(), 64),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
		conns:     map[engine.ConnID]*connection{},
		timers:    map[engine.TimerID]time.Time{},
	}
	names := make([]string, 0, len(cfg.Listeners))
	for n := range cfg.Listeners {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ln, err := net.Listen("tcp", cfg.Listeners[n])
		if err != nil {
			r.closeListeners()
			return nil, fmt.Errorf("listener %q on %q: %w", n, cfg.Listeners[n], err)
		}
		r.listeners[n] = ln
	}
	return r, nil
}

// Addr returns the bound address of the named listener, or "".
func (r *Runner) Addr(name string) string {
	if ln := r.listeners[name]; ln != nil {
		return ln.Addr().String()
	}
	return ""
}

// Call hands op to the engine as engine.Call{Op: op}. It is safe from any goroutine; calls
// from one goroutine reach the engine in order. It returns ErrStopped once the runner is
// stopping.
func (r *Runner) Call(op any) error {
	select {
	case <-r.stop:
		return ErrStopped
	default:
	}
	if !r.post(func() { r.handle(engine.Call{Op: op}) }) {
		return ErrStopped
	}
	return nil
}

// Flush waits until the engine has handled every Call made before it by the same goroutine
// (and whatever else reached the loop first). It returns ErrStopped if the runner stops first.
func (r *Runner) Flush() error {
	done := make(chan struct{})
	if !r.post(func() { close(done) }) {
		return ErrStopped
	}
	select {
	case <-done:
		return nil
	case <-r.stop:
		return ErrStopped
	}
}

// Done is closed when Run has returned.
func (r *Runner) Done() <-chan struct{} { return r.done }

func (r *Runner) closeListeners() {
	for _, ln := range r.listeners {
		ln.Close()
	}
}

// Run drives the engine until ctx ends, then closes the listeners and every connection and
// waits for its goroutines. It returns nil after a shutdown by ctx.
func (r *Runner) Run(ctx context.Context) error {
	defer close(r.done)
	names := make([]string, 0, len(r.listeners))
	for n := range r.listeners {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		r.wg.Add(1)
		go r.accept(ctx, n, r.listeners[n])
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		r.armTimer(timer)
		select {
		case <-ctx.Done():
			r.shutdown()
			return nil
		case f := <-r.internal:
			f()
		case <-timer.C:
			r.fireTimers()
		}
	}
}

func (r *Runner) shutdown() {
	close(r.stop)
	r.closeListeners()
	for _, c := range r.conns {
		c.stopNow(false) // FIN, not RST: the peer sees an orderly close
	}
	r.wg.Wait()
	// Connections accepted or dialled but not yet handed to the engine.
	for {
		select {
		case f := <-r.internal:
			_ = f // not run: the engine is finished
		default:
			for _, nc := range r.orphans() {
				nc.Close()
			}
			return
		}
	}
}

func (r *Runner) armTimer(t *time.Timer) {
	if len(r.timers) == 0 {
		t.Stop()
		return
	}
	var first time.Time
	for _, at := range r.timers {
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	d := first.Sub(r.cfg.Now())
	if d < 0 {
		d = 0
	}
	t.Reset(d)
}

func (r *Runner) fireTimers() {
	now := r.cfg.Now()
	var due []engine.TimerID
	for id, at := range r.timers {
		if !at.After(now) {
			due = append(due, id)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		a, b := r.timers[due[i]], r.timers[due[j]]
		if a.Equal(b) {
			return due[i] < due[j]
		}
		return a.Before(b)
	})
	for _, id := range due {
		if _, ok := r.timers[id]; !ok {
			continue // cancelled or moved by an earlier timer's actions
		}
		if r.timers[id].After(now) {
			continue
		}
		delete(r.timers, id)
		r.handle(engine.Timer{ID: id})
	}
}

// handle gives one event to the engine and carries out its actions.
func (r *Runner) handle(ev engine.Event) {
	r.apply(ev, r.eng.Handle(r.cfg.Now(), ev))
}

func (r *Runner) apply(ev engine.Event, acts []engine.Action) {
	var from *connection
	if b, ok := ev.(engine.Bytes); ok {
		from = r.conns[b.Conn]
	}
	upgraded := false
	for _, a := range acts {
		switch a := a.(type) {
		case engine.Write:
			if c := r.conns[a.Conn]; c != nil {
				c.queue(writeItem{data: a.Data})
			}
		case engine.Close:
			if c := r.conns[a.Conn]; c != nil {
				c.closedLocally = true
				if a.Abort {
					c.abort()
				} else {
					c.queue(writeItem{close: true})
				}
			}
		case engine.Dial:
			r.dial(a)
		case engine.StartTLS:
			c := r.conns[a.Conn]
			if c == nil {
				continue
			}
			if c != from || upgraded {
				r.later(engine.Secured{Conn: a.Conn, Err: errors.New("netrun: StartTLS only in answer to bytes received on the connection")})
				continue
			}
			upgraded = true
			c.queue(writeItem{startTLS: true, client: a.Client})
		case engine.SetTimer:
			r.timers[a.ID] = a.At
		case engine.CancelTimer:
			delete(r.timers, a.ID)
		case engine.Observe:
			if r.cfg.OnFact != nil {
				r.cfg.OnFact(a.Fact)
			}
		}
	}
	if from != nil {
		// Release the reader: read on (in the clear, or after the handshake).
		from.resume <- upgraded
	}
}

// later delivers ev to the engine on a later turn of the loop.
func (r *Runner) later(ev engine.Event) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.post(func() { r.handle(ev) })
	}()
}

// post runs f on the loop goroutine, unless the runner is stopping; it reports whether f
// was handed over (it may still not run if the loop stops first).
func (r *Runner) post(f func()) bool {
	select {
	case r.internal <- f:
		return true
	case <-r.stop:
		return false
	}
}

func (r *Runner) accept(ctx context.Context, name string, ln net.Listener) {
	defer r.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				r.cfg.Logger.Warn("accept failed", "listener", name, "err", err)
				continue
			}
			return
		}
		r.pend(nc)
		if !r.post(func() {
			r.unpend(nc)
			c := r.register(nc, "")
			r.handle(engine.Opened{Conn: c.id, Listener: name, Local: nc.LocalAddr().String(), Remote: nc.RemoteAddr().String()})
			c.start()
		}) {
			r.unpend(nc)
			nc.Close()
		}
	}
}

func (r *Runner) dial(a engine.Dial) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.DialTimeout)
		defer cancel()
		go func() { // a shutdown abandons the dial at once
			select {
			case <-r.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", a.Addr)
		if err != nil {
			r.post(func() { r.handle(engine.DialFailed{Tag: a.Tag, Err: err}) })
			return
		}
		r.pend(nc)
		if !r.post(func() {
			r.unpend(nc)
			host, _, _ := net.SplitHostPort(a.Addr)
			c := r.register(nc, host)
			r.handle(engine.Opened{Conn: c.id, Tag: a.Tag, Local: nc.LocalAddr().String(), Remote: nc.RemoteAddr().String()})
			c.start()
		}) {
			r.unpend(nc)
			nc.Close() // the runner stopped first
		}
	}()
}

// pend and unpend track sockets between their accept/dial and the loop taking them, so a
// shutdown in between closes them.
func (r *Runner) pend(nc net.Conn) {
	r.orphanMu.Lock()
	if r.orphanSet == nil {
		r.orphanSet = map[net.Conn]bool{}
	}
	r.orphanSet[nc] = true
	r.orphanMu.Unlock()
}

func (r *Runner) unpend(nc net.Conn) {
	r.orphanMu.Lock()
	delete(r.orphanSet, nc)
	r.orphanMu.Unlock()
}

func (r *Runner) orphans() []net.Conn {
	r.orphanMu.Lock()
	defer r.orphanMu.Unlock()
	out := make([]net.Conn, 0, len(r.orphanSet))
	for nc := range r.orphanSet {
		out = append(out, nc)
	}
	return out
}

// register allocates a ConnID for nc (IDs are never reused).
func (r *Runner) register(nc net.Conn, serverName string) *connection {
	r.nextConn++
	c := &connection{
		r:          r,
		id:         r.nextConn,
		raw:        nc,
		cur:        nc,
		serverName: serverName,
		resume:     make(chan bool, 1),
		newConn:    make(chan net.Conn, 1),
		wake:       make(chan struct{}, 1),
	}
	r.conns[c.id] = c
	return c
}

// closed is called on the loop once a connection's reader ended.
func (r *Runner) closed(c *connection, err error) {
	if r.conns[c.id] != c {
		return
	}
	delete(r.conns, c.id)
	c.abort()
	if c.closedLocally {
		err = ErrClosedLocally
	} else if errors.Is(err, io.EOF) {
		err = nil // orderly close by the peer (FIN)
	}
	r.handle(engine.Closed{Conn: c.id, Err: err})
}

// ---- one connection ----

type writeItem struct {
	data     []byte
	close    bool
	startTLS bool
	client   bool
}

type connection struct {
	r          *Runner
	id         engine.ConnID
	raw        net.Conn
	cur        net.Conn // raw, or the tls.Conn after StartTLS (writer's view)
	serverName string

	resume  chan bool     // loop → reader: chunk handled; true = wait for the TLS conn
	newConn chan net.Conn // writer → reader: the conn to read from after StartTLS (nil: stop)

	mu            sync.Mutex
	items         []writeItem
	queued        int // octets written by the engine and not yet sent
	wake          chan struct{}
	stopped       bool
	closedLocally bool // loop-owned
}

func (c *connection) start() {
	c.r.wg.Add(2)
	go c.reader()
	go c.writer()
}

func (c *connection) queue(it writeItem) {
	c.mu.Lock()
	if !c.stopped {
		c.items = append(c.items, it)
		c.queued += len(it.data)
	}
	over := c.queued > c.r.cfg.MaxQueued
	c.mu.Unlock()
	if over {
		// A peer that does not read must not make the shell buffer without end: reset it. Other
		// connections are not affected (DESIGN.md: keep serving when one misbehaves).
		c.r.cfg.Logger.Warn("peer does not read; connection reset", "conn", c.id, "queued", c.queued)
		c.abort()
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// abort closes the socket at once (reset if possible) and stops the writer.
func (c *connection) abort() { c.stopNow(true) }

// stopNow closes the socket at once, dropping unsent data, with a reset if reset is set.
func (c *connection) stopNow(reset bool) {
	c.mu.Lock()
	already := c.stopped
	c.stopped = true
	c.items = nil
	c.queued = 0
	c.mu.Unlock()
	if already {
		return
	}
	if tc, ok := c.raw.(*net.TCPConn); ok && reset {
		tc.SetLinger(0)
	}
	c.raw.Close()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *connection) reader() {
	defer c.r.wg.Done()
	conn := c.raw
	buf := make([]byte, 32<<10)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			data := append([]byte(nil), buf[:n]...)
			if !c.r.post(func() { c.r.handle(engine.Bytes{Conn: c.id, Data: data}) }) {
				return
			}
			var upgrade bool
			select {
			case upgrade = <-c.resume:
			case <-c.r.stop:
				return
			}
			if upgrade {
				select {
				case conn = <-c.newConn:
				case <-c.r.stop:
					return
				}
				if conn == nil {
					err = errors.New("TLS handshake failed")
					c.r.post(func() { c.r.closed(c, err) })
					return
				}
			}
		}
		if err != nil {
			c.r.post(func() { c.r.closed(c, err) })
			return
		}
	}
}

func (c *connection) writer() {
	defer c.r.wg.Done()
	defer c.closeTLSWaiter()
	for {
		c.mu.Lock()
		if c.stopped {
			c.mu.Unlock()
			return
		}
		items := c.items
		c.items = nil
		c.mu.Unlock()
		if len(items) == 0 {
			<-c.wake
			continue
		}
		for _, it := range items {
			switch {
			case it.startTLS:
				if !c.handshake(it.client) {
					return
				}
			case it.close:
				if tc, ok := c.cur.(*tls.Conn); ok {
					tc.CloseWrite()
				}
				if tc, ok := c.raw.(*net.TCPConn); ok {
					tc.CloseWrite() // FIN after everything written; the reader sees the peer's close
					// Do not wait for ever for a peer that never closes its side.
					tc.SetReadDeadline(time.Now().Add(5 * time.Second))
				} else {
					c.raw.Close()
				}
				c.mu.Lock()
				c.stopped = true
				c.items = nil
				c.mu.Unlock()
				return
			default:
				if _, err := c.cur.Write(it.data); err != nil {
					c.abort() // the reader then reports Closed
					return
				}
				c.mu.Lock()
				c.queued -= len(it.data)
				c.mu.Unlock()
			}
		}
	}
}

func (c *connection) closeTLSWaiter() {
	select {
	case c.newConn <- nil:
	default:
	}
}

// handshake upgrades the connection; it reports Secured to the engine and hands the TLS conn
// to the reader. It returns false when the connection is finished.
func (c *connection) handshake(client bool) bool {
	var tc *tls.Conn
	var cfg *tls.Config
	if client {
		cfg = c.r.cfg.ClientTLS
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
			cfg = cfg.Clone()
			cfg.ServerName = c.serverName
		}
		tc = tls.Client(c.raw, cfg)
	} else {
		cfg = c.r.cfg.TLS
		if cfg == nil {
			err := errors.New("netrun: no server TLS configuration")
			c.r.post(func() { c.r.handle(engine.Secured{Conn: c.id, Err: err}) })
			c.abort()
			return false
		}
		tc = tls.Server(c.raw, cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.r.cfg.HandshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		c.r.post(func() { c.r.handle(engine.Secured{Conn: c.id, Err: fmt.Errorf("TLS handshake: %w", err)}) })
		c.abort()
		return false
	}
	// PeerCN feeds SASL EXTERNAL, so it comes only from a certificate that was verified
	// (a chain to the configured roots), never from one merely presented.
	cn := ""
	if st := tc.ConnectionState(); len(st.VerifiedChains) > 0 && len(st.VerifiedChains[0]) > 0 {
		cn = st.VerifiedChains[0][0].Subject.CommonName
	}
	c.cur = tc
	// Secured goes to the loop before the reader may deliver any TLS bytes.
	done := make(chan struct{})
	c.r.post(func() {
		c.r.handle(engine.Secured{Conn: c.id, PeerCN: cn})
		close(done)
	})
	select {
	case <-done:
	case <-c.r.stop:
	}
	c.newConn <- tc
	return true
}
