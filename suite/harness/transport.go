package harness

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/server"
	"github.com/primlab/primlab/sim"
)

// Listener names of the target (server.Config.Listeners).
const (
	ListenerClient = "client"
	ListenerS2S    = "s2s"
)

// ErrNoListener is returned by Dial when the target has no listener of that kind.
var ErrNoListener = errors.New("harness: target has no such listener")

// errFlood marks a connection whose peer sent more than Config.MaxBuffered unread bytes.
var errFlood = errors.New("harness: target flooded the connection")

// Transport connects a case to its target. There is one per case, closed when the case ends.
// The simulator and real TCP implement it; a driver for external clients (--exec) will be a
// third (DESIGN.md "Client role").
type Transport interface {
	// Dial opens a connection from a suite endpoint named from to the target's listener
	// (ListenerClient or ListenerS2S). The connection may still be opening when Dial returns;
	// a later failure shows in Stream.Err.
	Dial(from, listener string) (Stream, error)
	// Wait lets time pass until cond holds or d has passed (virtual time in the simulator,
	// real time over sockets) and reports cond's last answer. cond runs on the caller's
	// goroutine.
	Wait(cond func() bool, d time.Duration) bool
	// Accepted returns the connections the target opened towards the suite (its outgoing
	// server-server connections to the peer domain) since the last call. Inbound reports
	// whether the transport accepts such connections at all.
	Accepted() []Stream
	Inbound() bool
	// Elapsed is the time since the transport started.
	Elapsed() time.Duration
	// Evidence writes transport-level evidence (trace, capture) into dir and returns the
	// file names written.
	Evidence(dir string) (trace, pcap string, err error)
	// Close releases everything the transport holds.
	Close() error
}

// Stream is one connection to the target, as a Transport presents it. It never blocks.
type Stream interface {
	Write(p []byte)
	Received() []byte // unread bytes
	Consume(n int)
	Closed() bool // no more bytes will arrive
	Err() error   // why the connection failed, or nil (orderly close or still open)
	Close()       // half-close: FIN after what was written
	Abort()       // reset
}

// caseSeed derives a case's seed from the run seed and the case ID, so that one case replays
// alone with the same world it had in the full run.
func caseSeed(run uint64, id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64() ^ run
}

// simTransport runs the reference server engine in a fresh simulated world.
type simTransport struct {
	w          *sim.World
	peerLn     *sim.Listener
	trace      bytes.Buffer
	pcap       bytes.Buffer
	hosts      map[string]bool
	nextIP     int
	clientAddr string
	s2sAddr    string
}

const (
	simClientPort = 7000
	simS2SPort    = 7001
	// simPeerHost listens for the reference server's outgoing server-server connections to
	// the peer domain the suite plays.
	simPeerHost = "peer-server"
)

// newSimTransport builds a world with the reference server for cfg's domain and accounts.
func newSimTransport(cfg Config, seed uint64) (*simTransport, error) {
	t := &simTransport{hosts: map[string]bool{}, nextIP: 10}
	t.w = sim.New(sim.Config{Seed: seed, Trace: &t.trace, Pcap: &t.pcap})
	accounts := map[string]string{}
	for _, a := range cfg.Accounts {
		accounts[a.User] = a.Password
	}
	scfg := server.Config{
		Domain:      cfg.Domain,
		Accounts:    accounts,
		Listeners:   map[string]string{ListenerClient: server.RoleClient, ListenerS2S: server.RoleS2S},
		PeerSecrets: map[string]string{cfg.PeerDomain: cfg.PeerSecret},
		Peers:       map[string]string{cfg.PeerDomain: fmt.Sprintf("%s:%d", simPeerHost, simS2SPort)},
	}
	// The further peer domains (Config.FarDomains) are found as SS §4.3 says: an SRV record
	// _prim-pr._tcp.<domain> pointing at the suite's peer listener (PRIM-S4.3-2, Decision D3).
	far := map[string]bool{}
	for _, d := range cfg.FarDomains {
		far[d] = true
	}
	scfg.Resolver = server.SRVResolver(server.DNS{SRV: func(service, proto, name string) ([]*net.SRV, error) {
		if service == server.SRVPresence && proto == "tcp" && far[name] {
			return []*net.SRV{{Target: simPeerHost + ".", Port: simS2SPort, Priority: 10, Weight: 1}}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: "_" + service + "._" + proto + "." + name, IsNotFound: true}
	}}, server.SRVOptions{})
	if err := scfg.Validate(); err != nil {
		return nil, fmt.Errorf("harness: reference server: %w", err)
	}
	_, err := t.w.AddHost(sim.HostConfig{
		Name:   "server",
		IP:     "10.0.0.1",
		Listen: map[string]uint16{ListenerClient: simClientPort, ListenerS2S: simS2SPort},
		New: func(rng *rand.Rand) engine.Engine {
			var e engine.Engine = server.New(scfg, rng)
			if cfg.WrapServer != nil {
				e = cfg.WrapServer(e)
			}
			return e
		},
	})
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	if _, err := t.w.AddHost(sim.HostConfig{Name: simPeerHost, IP: "10.0.2.1"}); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	if t.peerLn, err = t.w.Listen(simPeerHost, simS2SPort); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	t.clientAddr = fmt.Sprintf("server:%d", simClientPort)
	t.s2sAddr = fmt.Sprintf("server:%d", simS2SPort)
	return t, nil
}

func (t *simTransport) Dial(from, listener string) (Stream, error) {
	addr := t.clientAddr
	if listener == ListenerS2S {
		addr = t.s2sAddr
	}
	if !t.hosts[from] {
		if t.nextIP > 250 {
			return nil, fmt.Errorf("harness: too many suite endpoints (%q)", from)
		}
		if _, err := t.w.AddHost(sim.HostConfig{Name: from, IP: fmt.Sprintf("10.0.1.%d", t.nextIP)}); err != nil {
			return nil, fmt.Errorf("harness: endpoint %q: %w", from, err)
		}
		t.nextIP++
		t.hosts[from] = true
	}
	return simStream{t.w.Connect(from, addr)}, nil
}

func (t *simTransport) Wait(cond func() bool, d time.Duration) bool { return t.w.RunUntil(cond, d) }

func (t *simTransport) Accepted() []Stream {
	var out []Stream
	for c := t.peerLn.Accept(); c != nil; c = t.peerLn.Accept() {
		out = append(out, simStream{c})
	}
	return out
}

func (t *simTransport) Inbound() bool          { return true }
func (t *simTransport) Elapsed() time.Duration { return t.w.Now() }

func (t *simTransport) Evidence(dir string) (string, string, error) {
	if err := t.w.Flush(); err != nil {
		return "", "", fmt.Errorf("harness: flush capture: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "trace.txt"), t.trace.Bytes(), 0o644); err != nil {
		return "", "", fmt.Errorf("harness: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "capture.pcapng"), t.pcap.Bytes(), 0o644); err != nil {
		return "trace.txt", "", fmt.Errorf("harness: %w", err)
	}
	return "trace.txt", "capture.pcapng", nil
}

func (t *simTransport) Close() error { return nil }

// simStream adapts a scripted simulator connection.
type simStream struct{ c *sim.Conn }

func (s simStream) Write(p []byte)   { s.c.Write(p) }
func (s simStream) Received() []byte { return s.c.Received() }
func (s simStream) Consume(n int)    { s.c.Consume(n) }
func (s simStream) Closed() bool     { return s.c.Closed() }
func (s simStream) Err() error       { return s.c.Err() }
func (s simStream) Close()           { s.c.Close() }
func (s simStream) Abort()           { s.c.Abort() }

var _ Stream = simStream{}

// tcpTransport reaches an external target over real TCP. Reader goroutines hand received
// bytes to the case's goroutine through one channel; all stream state is touched only by the
// case's goroutine (in Wait), so a Stream needs no locking.
type tcpTransport struct {
	cfg      Config
	start    time.Time
	events   chan tcpEvent
	done     chan struct{}
	mu       sync.Mutex
	streams  []*tcpStream
	closed   bool
	pool     *inboundPool // the run's listener on Config.S2SListen (pool.go), if set
	lnErr    error
	accepted []Stream
}

type tcpEvent struct {
	nc   net.Conn // a connection the target opened towards the suite
	s    *tcpStream
	data []byte
	err  error // io.EOF for an orderly close
}

func newTCPTransport(cfg Config) *tcpTransport {
	t := &tcpTransport{cfg: cfg, start: time.Now(), events: make(chan tcpEvent, 64), done: make(chan struct{})}
	if cfg.S2SListen != "" {
		t.pool, t.lnErr = sharedInbound(cfg.S2SListen)
	}
	return t
}

// poolEvents is the run listener's event channel (nil, never ready, without one).
func (t *tcpTransport) poolEvents() chan tcpEvent {
	if t.pool == nil {
		return nil
	}
	return t.pool.events
}

func (t *tcpTransport) Accepted() []Stream {
	out := t.accepted
	t.accepted = nil
	return out
}

func (t *tcpTransport) Inbound() bool { return t.pool != nil }

func (t *tcpTransport) apply(ev tcpEvent) {
	if ev.nc == nil {
		ev.s.apply(ev)
		return
	}
	// A connection the target opened belongs to the run's pool, not to this case: it stays
	// open when the case ends (pool.go).
	s := &tcpStream{t: t, nc: ev.nc, events: t.pool.events, done: t.pool.done}
	t.pool.track(s)
	t.accepted = append(t.accepted, s)
	go s.readLoop()
}

func (t *tcpTransport) Dial(from, listener string) (Stream, error) {
	addr := t.cfg.Target
	if listener == ListenerS2S {
		addr = t.cfg.S2STarget
	}
	if addr == "" {
		return nil, fmt.Errorf("%w: %q", ErrNoListener, listener)
	}
	nc, err := net.DialTimeout("tcp", addr, t.cfg.Timeout)
	if err != nil {
		return nil, fmt.Errorf("harness: connect %s to %s: %w", from, addr, err)
	}
	s := &tcpStream{t: t, nc: nc, events: t.events, done: t.done}
	t.mu.Lock()
	t.streams = append(t.streams, s)
	t.mu.Unlock()
	go s.readLoop()
	return s, nil
}

func (t *tcpTransport) Wait(cond func() bool, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case ev := <-t.events:
			t.apply(ev)
		case ev := <-t.poolEvents():
			t.apply(ev)
		case <-timer.C:
			// Take what already arrived before giving the final answer.
			for {
				select {
				case ev := <-t.events:
					t.apply(ev)
					continue
				case ev := <-t.poolEvents():
					t.apply(ev)
					continue
				default:
				}
				break
			}
			return cond()
		}
	}
}

func (t *tcpTransport) Elapsed() time.Duration { return time.Since(t.start) }

func (t *tcpTransport) Evidence(string) (string, string, error) { return "", "", nil }

func (t *tcpTransport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	close(t.done)
	var errs []error
	for _, s := range t.streams {
		if err := s.nc.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

type tcpStream struct {
	t      *tcpTransport
	events chan<- tcpEvent // where readLoop hands what arrives
	done   <-chan struct{} // closed when nobody will read events any more
	nc     net.Conn
	rcv    []byte
	eof    bool
	err    error
	werr   error
}

func (s *tcpStream) readLoop() {
	for {
		buf := make([]byte, 32<<10)
		n, err := s.nc.Read(buf)
		if n > 0 {
			select {
			case s.events <- tcpEvent{s: s, data: buf[:n]}:
			case <-s.done:
				return
			}
		}
		if err != nil {
			select {
			case s.events <- tcpEvent{s: s, err: err}:
			case <-s.done:
			}
			return
		}
	}
}

func (s *tcpStream) apply(ev tcpEvent) {
	if s.eof || s.err != nil {
		return
	}
	if ev.err != nil {
		if errors.Is(ev.err, io.EOF) {
			s.eof = true
		} else {
			s.err = ev.err
		}
		return
	}
	s.rcv = append(s.rcv, ev.data...)
	if len(s.rcv) > s.t.cfg.MaxBuffered {
		s.err = fmt.Errorf("%w: more than %d unread bytes", errFlood, s.t.cfg.MaxBuffered)
		s.nc.Close()
	}
}

func (s *tcpStream) Write(p []byte) {
	if s.err != nil || s.werr != nil {
		return
	}
	// A write deadline keeps a target that stops reading from hanging the case.
	s.nc.SetWriteDeadline(time.Now().Add(s.t.cfg.Timeout))
	if _, err := s.nc.Write(p); err != nil {
		s.werr = err
	}
}

func (s *tcpStream) Received() []byte { return s.rcv }
func (s *tcpStream) Consume(n int) {
	if n >= len(s.rcv) {
		s.rcv = s.rcv[:0]
		return
	}
	s.rcv = append(s.rcv[:0], s.rcv[n:]...)
}
func (s *tcpStream) Closed() bool { return s.eof || s.err != nil }
func (s *tcpStream) Err() error {
	if s.err != nil {
		return s.err
	}
	return s.werr
}
func (s *tcpStream) Close() {
	if tc, ok := s.nc.(*net.TCPConn); ok {
		tc.CloseWrite()
		return
	}
	s.nc.Close()
}
func (s *tcpStream) Abort() {
	if tc, ok := s.nc.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	s.nc.Close()
	if s.err == nil {
		s.err = errors.New("connection aborted locally")
	}
}
