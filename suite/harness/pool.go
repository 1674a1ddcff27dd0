package harness

import (
	"fmt"
	"net"
	"sync"

	"github.com/primlab/primlab/reference/wire"
)

// Against an external target, consecutive cases must not disturb each other. The target's
// outgoing server-server connections to the peer domain outlive a case: an external server
// keeps them open and sends the next case's NOTIFY or SUBSCRIBE on them. Closing them at the
// end of every case would make that request fall into a dying connection. So the suite's
// server-server listener (Config.S2SListen) belongs to the run, not to a case, and the
// connections the target opened are handed from one case to the next: the ending case answers
// what it left unanswered on them, and the next case adopts them as its first inbound peers.

// inboundPool is the run's server-server listener and the connections it accepted.
type inboundPool struct {
	addr   string
	ln     net.Listener
	events chan tcpEvent // accepted connections and what they receive, for the current case
	done   chan struct{} // closed when the pool shuts down
	kept   []*Peer       // open inbound connections handed from the last case to the next
	all    []*tcpStream  // every accepted connection, closed when the pool shuts down
	mu     sync.Mutex    // guards all and the pool's replacement
	closed bool
}

var pools struct {
	mu  sync.Mutex
	cur *inboundPool
}

// sharedInbound returns the run's pool listening on addr, opening it on first use (or again
// after a failed attempt). A pool for another address is shut down first.
func sharedInbound(addr string) (*inboundPool, error) {
	pools.mu.Lock()
	defer pools.mu.Unlock()
	if p := pools.cur; p != nil && p.addr == addr {
		return p, nil
	}
	if pools.cur != nil {
		pools.cur.shutdown()
		pools.cur = nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("harness: s2s-listen %q: %w", addr, err)
	}
	p := &inboundPool{addr: addr, ln: ln, events: make(chan tcpEvent, 64), done: make(chan struct{})}
	go p.acceptLoop()
	pools.cur = p
	return p, nil
}

// closeInbound shuts the run's pool down (a new configuration, or the end of the run).
func closeInbound() {
	pools.mu.Lock()
	defer pools.mu.Unlock()
	if pools.cur != nil {
		pools.cur.shutdown()
		pools.cur = nil
	}
}

func (p *inboundPool) acceptLoop() {
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			return
		}
		select {
		case p.events <- tcpEvent{nc: nc}:
		case <-p.done:
			nc.Close()
			return
		}
	}
}

func (p *inboundPool) track(s *tcpStream) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		s.nc.Close()
		return
	}
	p.all = append(p.all, s)
}

func (p *inboundPool) shutdown() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	close(p.done)
	p.ln.Close()
	for _, s := range p.all {
		s.nc.Close()
	}
	p.all, p.kept = nil, nil
}

// keepInbound runs when a case against an external target ends: it takes what already
// arrived on the connections the target opened, answers their LOGINs and every other request
// still unanswered (200: the peer domain accepts; a case that cared has already looked), and
// hands the open connections to the next case. Nothing of this changes the ending case's
// verdict, which is settled before.
func (h *H) keepInbound() {
	t, ok := h.tr.(*tcpTransport)
	if !ok || t.pool == nil {
		return
	}
	t.Wait(func() bool { return false }, 0) // take what already arrived
	h.pollInbound()
	var keep []*Peer
	for _, p := range h.inbound {
		for _, m := range p.backlog {
			if m.IsRequest() && m.ID != wire.NoResponse {
				p.Respond(m, wire.StatusOK)
			}
		}
		p.backlog = nil
		if p.ended() {
			p.stream.Abort()
			continue
		}
		keep = append(keep, p)
	}
	if len(keep) > 0 {
		h.note("case", fmt.Sprintf("%d connection(s) the target opened stay open for the next case", len(keep)))
	}
	t.pool.kept = keep
}

// adoptInbound makes the connections the last case kept this case's first inbound peers.
func (h *H) adoptInbound(t *tcpTransport) {
	if t.pool == nil {
		return
	}
	for _, p := range t.pool.kept {
		p.h = h
		p.stream.(*tcpStream).t = t
		p.name = fmt.Sprintf("inbound#%d", len(h.inbound)+1)
		p.earlier = true
		h.note(p.name, "a connection the target opened to the suite's server-server listener in an earlier case")
		h.inbound = append(h.inbound, p)
	}
	t.pool.kept = nil
}

// FreshInbound closes the connections the target opened towards the suite in earlier cases
// (against an external target they outlive a case), so that the next request the target
// sends to the peer domain comes on a new connection, with the LOGIN that opens it
// (PRIM-A10.3.1-3): call it first in a case that judges how the target opens a connection.
// It half-closes each connection and waits (up to the step deadline) for the target to close
// its side, so the target cannot send into a dying connection; then it resets what is left.
// In the simulator every case starts without such connections and it does nothing.
func (h *H) FreshInbound() {
	h.pollInbound()
	var open []*Peer
	for _, p := range h.inbound {
		if !p.ended() {
			p.Close()
			open = append(open, p)
		}
	}
	if len(open) == 0 {
		return
	}
	h.tr.Wait(func() bool {
		h.pollInbound()
		for _, p := range open {
			if !p.ended() {
				return false
			}
		}
		return true
	}, h.cfg.Timeout)
	for _, p := range open {
		if !p.ended() {
			p.Abort()
		}
	}
}

// NewInbound returns the connections the target opened towards the suite during this case:
// Inbound without those kept from earlier cases. A case that checks the target opens no
// connection asks this.
func (h *H) NewInbound() []*Peer {
	var out []*Peer
	for _, p := range h.Inbound() {
		if !p.earlier {
			out = append(out, p)
		}
	}
	return out
}
