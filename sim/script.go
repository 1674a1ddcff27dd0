package sim

import (
	"fmt"
)

// Conn is a scripted connection: test code plays one end of a TCP connection by hand. All
// methods act at the world's current virtual time; run the world (RunUntil, RunFor) to let
// bytes travel. A Conn never blocks.
type Conn struct {
	w    *World
	host *Host
	ep   *endpoint

	rcv     []byte // received and not yet consumed
	bytesIn int    // received in total
	pending [][]byte

	established bool
	eof         bool // the peer sent FIN
	closing     bool // Close was called
	secured     bool
	tlsErr      error
	err         error
}

func newConn(w *World, h *Host) *Conn { return &Conn{w: w, host: h} }

// Connect opens a scripted connection from the host named from to addr ("name:port" or
// "ip:port"). It returns at once; the handshake runs with the world. Writes made before the
// connection is established are sent once it is. A failure (unknown host, refusal, timeout)
// shows in Err and Closed.
func (w *World) Connect(from, addr string) *Conn {
	h := w.Host(from)
	if h == nil {
		c := newConn(w, nil)
		c.fail(fmt.Errorf("sim: connect from %q: %w", from, ErrUnresolvable))
		return c
	}
	c := newConn(w, h)
	if !h.up {
		c.fail(fmt.Errorf("sim: connect from %q: %w", from, ErrHostDown))
		return c
	}
	h.scripted = append(h.scripted, c)
	w.dial(h, addr, "", c)
	return c
}

// Write sends b (copied) on the connection, or queues it until the connection is
// established. Writing on a closed or failed connection does nothing.
func (c *Conn) Write(b []byte) {
	if c.err != nil || c.closing {
		return
	}
	b = append([]byte(nil), b...)
	if !c.established {
		c.pending = append(c.pending, b)
		return
	}
	c.w.send(c.ep, b)
}

// WriteString is Write for a string.
func (c *Conn) WriteString(s string) { c.Write([]byte(s)) }

func (c *Conn) flush() {
	for _, b := range c.pending {
		c.w.send(c.ep, b)
	}
	c.pending = nil
	if c.closing {
		c.w.closeEnd(c.ep)
	}
}

// Received returns the bytes that arrived and were not consumed yet. The slice is valid
// until the next Consume or the next event the world runs.
func (c *Conn) Received() []byte { return c.rcv }

// Consume drops the first n received bytes (all of them if n is larger).
func (c *Conn) Consume(n int) {
	if n >= len(c.rcv) {
		c.rcv = c.rcv[:0]
		return
	}
	c.rcv = append(c.rcv[:0], c.rcv[n:]...)
}

// ReceivedTotal returns how many bytes arrived in total, consumed or not.
func (c *Conn) ReceivedTotal() int { return c.bytesIn }

// Established reports whether the handshake completed.
func (c *Conn) Established() bool { return c.established }

// Secured reports whether a StartTLS completed on this end.
func (c *Conn) Secured() bool { return c.secured }

// TLSErr returns why a StartTLS failed on this end (ErrTLSTimeout: the peer never started its
// side of the handshake), or nil.
func (c *Conn) TLSErr() error { return c.tlsErr }

// EOF reports whether the peer closed its side (FIN) after everything it sent.
func (c *Conn) EOF() bool { return c.eof }

// Closed reports whether no more bytes will arrive: the peer sent FIN, or the connection
// failed (Err says how).
func (c *Conn) Closed() bool { return c.eof || c.err != nil }

// Err returns why the connection failed (refused, reset, timed out, host down; test with
// errors.Is and the Err* values), or nil.
func (c *Conn) Err() error { return c.err }

// Close sends FIN after everything written so far. Bytes may still arrive until the peer
// closes too.
func (c *Conn) Close() {
	if c.closing || c.err != nil {
		return
	}
	c.closing = true
	if c.established {
		c.w.closeEnd(c.ep)
	}
}

// Abort resets the connection (RST) and drops what is unsent.
func (c *Conn) Abort() {
	if c.err != nil {
		return
	}
	if c.ep != nil {
		c.w.abort(c.ep)
	}
	c.fail(fmt.Errorf("%s: %w", c.name(), ErrAborted))
}

// StartTLS starts the simulated TLS handshake on this end. Once the peer has started its side
// too, Secured turns true after a round trip; if it never does, TLSErr reports ErrTLSTimeout
// after Config.ConnectTimeout.
func (c *Conn) StartTLS() {
	if c.ep != nil && c.established && c.err == nil {
		c.w.startTLS(c.ep)
	}
}

// Local returns the local address as "host:port".
func (c *Conn) Local() string {
	if c.ep == nil {
		return ""
	}
	return c.ep.host.addr(c.ep.port)
}

// Remote returns the remote address as "host:port".
func (c *Conn) Remote() string {
	if c.ep == nil {
		return ""
	}
	p := c.ep.peer()
	return p.host.addr(p.port)
}

func (c *Conn) name() string {
	if c.ep == nil {
		return "connection"
	}
	return c.ep.label()
}

func (c *Conn) fail(err error) {
	if c.err == nil {
		c.err = err
	}
	c.pending = nil
}

// Listener is a scripted listening port: a fake server that engines under test dial.
type Listener struct {
	w       *World
	host    *Host
	port    uint16
	backlog []*Conn
	closed  bool
}

// Listen makes host listen on port for scripted connections.
func (w *World) Listen(host string, port uint16) (*Listener, error) {
	h := w.Host(host)
	if h == nil {
		return nil, fmt.Errorf("sim: listen on %q: %w", host, ErrUnresolvable)
	}
	if port == 0 {
		return nil, fmt.Errorf("sim: listen on %q: port 0", host)
	}
	if l := h.listeners[port]; l != nil {
		return nil, fmt.Errorf("sim: listen on %s: port in use", h.addr(port))
	}
	l := &Listener{w: w, host: h, port: port}
	h.listeners[port] = &listenPort{script: l}
	return l, nil
}

// Accept returns the oldest accepted connection not returned yet, or nil.
func (l *Listener) Accept() *Conn {
	if len(l.backlog) == 0 {
		return nil
	}
	c := l.backlog[0]
	l.backlog = l.backlog[1:]
	return c
}

// Pending returns how many accepted connections wait for Accept.
func (l *Listener) Pending() int { return len(l.backlog) }

// Close stops listening; later connection attempts are refused.
func (l *Listener) Close() {
	if l.closed {
		return
	}
	l.closed = true
	if lp := l.host.listeners[l.port]; lp != nil && lp.script == l {
		delete(l.host.listeners, l.port)
	}
}
