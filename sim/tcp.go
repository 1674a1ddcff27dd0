package sim

import (
	"fmt"
	"time"

	"github.com/primlab/primlab/reference/engine"
)

// TCP flags, as on the wire.
const (
	flagFIN uint8 = 0x01
	flagSYN uint8 = 0x02
	flagRST uint8 = 0x04
	flagPSH uint8 = 0x08
	flagACK uint8 = 0x10
)

// endpoint states
const (
	stNone    uint8 = iota // acceptor side before the SYN arrives
	stSynSent              // initiator waiting for SYN-ACK
	stSynRcvd              // acceptor waiting for the handshake ACK
	stOpen                 // established (FINs are tracked apart)
	stDead                 // reset, timed out, or failed to connect
)

// tcpConn is one virtual TCP connection: ends[0] dialled, ends[1] accepted. One allocation
// holds both ends.
type tcpConn struct {
	id   uint64
	addr string // the address the dialler asked for
	ends [2]endpoint
}

// endpoint is one end of a connection.
type endpoint struct {
	c     *tcpConn
	side  uint8
	host  *Host
	epoch uint64 // host incarnation this end belongs to
	port  uint16
	state uint8

	// owner: an engine connection, or a scripted Conn
	eid      engine.ConnID
	script   *Conn
	tag      string    // engine dial tag
	listener string    // engine listener name
	slisten  *Listener // scripted listener that accepts this end

	isn, sndNext, rcvNext uint32
	ooo                   []ooo // segments that arrived ahead of rcvNext

	finSent, finRcvd, ownerGone bool
	tlsWant, secured, tlsFailed bool
	tlsFrom                     uint32 // first sequence number sent inside TLS

	link *linkState    // towards the peer
	scan *startScanner // PRIM start-line scanner for the trace, made on demand
}

type ooo struct {
	seq  uint32
	fin  bool
	data []byte
}

func (e *endpoint) peer() *endpoint { return &e.c.ends[1-e.side] }

func (e *endpoint) alive() bool {
	return e.state != stDead && e.state != stNone && e.host.up && e.host.epoch == e.epoch
}

// traceEnd writes a trace line about end e, if tracing is on.
func (w *World) traceEnd(what string, e *endpoint, detail string) {
	if w.trace != nil {
		w.trace.line(w, what, e.label(), detail)
	}
}

func (e *endpoint) label() string {
	p := e.peer()
	return fmt.Sprintf("%s>%s #%d", e.host.addr(e.port), p.host.addr(p.port), e.c.id)
}

// dial opens a connection from host h to addr for an engine (script nil) or a scripted Conn.
func (w *World) dial(h *Host, addr, tag string, script *Conn) {
	dst, port, err := w.Resolve(addr)
	if err != nil {
		w.trace.line(w, "dial-failed", h.cfg.Name, err.Error())
		if script != nil {
			script.fail(err)
		} else {
			w.q.push(w.now, event{kind: evEngine, host: h, gen: h.epoch, ev: engine.DialFailed{Tag: tag, Err: err}})
		}
		return
	}
	w.nextConn++
	c := &tcpConn{id: w.nextConn, addr: addr}
	a, b := &c.ends[0], &c.ends[1]
	a.c, a.side, a.host, a.epoch, a.port, a.state = c, 0, h, h.epoch, h.allocPort(), stSynSent
	a.tag, a.script = tag, script
	b.c, b.side, b.host, b.port = c, 1, dst, port
	a.isn = w.rng.Uint32()
	a.sndNext = a.isn + 1
	if script != nil {
		script.ep = a
	}
	w.traceEnd("connect", a, addr)
	w.transmit(a, flagSYN, a.isn, 0, nil, 0)
}

// send writes data on an open end, cut into MSS-sized segments.
func (w *World) send(e *endpoint, data []byte) {
	if e.state != stOpen || e.finSent || !e.alive() {
		w.traceEnd("drop-write", e, "connection not open")
		return
	}
	mss := w.cfg.MSS
	for len(data) > 0 {
		n := len(data)
		if n > mss {
			n = mss
		}
		w.transmit(e, flagACK|flagPSH, e.sndNext, e.rcvNext, data[:n], 0)
		e.sndNext += uint32(n)
		data = data[n:]
	}
}

// closeEnd sends FIN after everything written so far.
func (w *World) closeEnd(e *endpoint) {
	if e.finSent || e.state != stOpen || !e.alive() {
		return
	}
	e.finSent = true
	w.transmit(e, flagFIN|flagACK, e.sndNext, e.rcvNext, nil, 0)
	e.sndNext++
}

// abort resets the connection at once.
func (w *World) abort(e *endpoint) {
	if !e.alive() {
		return
	}
	if e.state == stOpen || e.state == stSynRcvd {
		w.transmit(e, flagRST|flagACK, e.sndNext, e.rcvNext, nil, 0)
	}
	e.state = stDead
}

// transmit puts one segment on the link from e to its peer.
func (w *World) transmit(e *endpoint, flags uint8, seq, ack uint32, data []byte, attempt uint8) {
	peer := e.peer()
	if e.link == nil {
		e.link = w.linkFor(e.host, peer.host)
	}
	ls := e.link
	ev := event{kind: evSegment, conn: e.c, dir: e.side, flags: flags, seq: seq, ack: ack, data: data, attempt: attempt}
	start := w.now
	if ls.busyUntil > start {
		start = ls.busyUntil
	}
	txEnd := start
	if ls.cfg.Bandwidth > 0 {
		txEnd += int64(54+len(data)) * int64(time.Second) / ls.cfg.Bandwidth
	}
	ls.busyUntil = txEnd
	lost := ls.cut
	if !lost && ls.cfg.Loss > 0 && w.rng.Float64() < ls.cfg.Loss {
		lost = true
	}
	if lost {
		w.pcap.segment(w, e.host, ev)
		w.trace.segment(w, "lost", ev)
		if flags&flagRST == 0 {
			w.retry(ev)
		}
		return
	}
	arrival := txEnd + int64(ls.cfg.Latency)
	if ls.cfg.Jitter > 0 {
		arrival += w.rng.Int64N(int64(ls.cfg.Jitter))
	}
	if arrival < ls.lastArrival {
		arrival = ls.lastArrival
	}
	ls.lastArrival = arrival
	if ls.cfg.Reorder > 0 && w.rng.Float64() < ls.cfg.Reorder {
		// Held back past the next segment; lastArrival stays, so later segments overtake.
		arrival += int64(ls.cfg.Latency) + int64(time.Millisecond)
	}
	w.q.push(arrival, ev)
	if ls.cfg.Duplicate > 0 && w.rng.Float64() < ls.cfg.Duplicate {
		w.q.push(arrival+int64(time.Microsecond), ev)
	}
}

// retry schedules the retransmission of a lost segment, or gives up on the connection when
// the retransmissions would outlast its timeout.
func (w *World) retry(ev event) {
	e := &ev.conn.ends[ev.dir]
	timeout := w.cfg.UserTimeout
	if ev.flags&flagSYN != 0 {
		timeout = w.cfg.ConnectTimeout
	}
	rto := int64(w.cfg.RTO)
	k := int64(ev.attempt)
	if k > 30 || rto*((int64(2)<<k)-1) > int64(timeout) {
		w.giveUp(e)
		return
	}
	w.q.push(w.now+rto<<k, event{kind: evResend, conn: ev.conn, dir: ev.dir, flags: ev.flags, seq: ev.seq, data: ev.data, attempt: ev.attempt})
}

func (w *World) resend(ev event) {
	e := &ev.conn.ends[ev.dir]
	if !e.alive() {
		return
	}
	w.trace.segment(w, "retransmit", ev)
	w.transmit(e, ev.flags, ev.seq, e.rcvNext, ev.data, ev.attempt+1)
}

// giveUp ends a connection whose segments go unanswered.
func (w *World) giveUp(e *endpoint) {
	if !e.alive() {
		return
	}
	w.traceEnd("timeout", e, "")
	if e.state == stSynSent {
		e.state = stDead
		w.dialFailed(e, ErrTimeout)
		return
	}
	e.state = stDead
	w.notifyClosed(e, ErrTimeout)
}

// arrive handles a segment reaching the destination host.
func (w *World) arrive(ev event) {
	c := ev.conn
	src, dst := &c.ends[ev.dir], &c.ends[1-ev.dir]
	dh := dst.host
	if !dh.up {
		// Nobody answers: the sender's retransmission timer runs out and it tries again.
		if ev.flags&flagRST == 0 && src.alive() {
			// The sender's interface saw it leave; nothing saw it arrive.
			w.pcap.segment(w, src.host, ev)
			w.trace.segment(w, "unanswered", ev)
			w.retry(ev)
		}
		return
	}
	w.pcap.segment(w, dh, ev)
	if ev.flags&flagSYN != 0 && ev.flags&flagACK == 0 {
		w.arriveSyn(ev, dst)
		return
	}
	if dst.state == stNone || dst.state == stDead || dst.epoch != dh.epoch {
		// A connection this incarnation of the host does not know: answer with RST.
		if ev.flags&flagRST == 0 {
			seglen := uint32(len(ev.data))
			if ev.flags&(flagSYN|flagFIN) != 0 {
				seglen++
			}
			w.trace.segment(w, "stray", ev)
			w.transmit(dst, flagRST|flagACK, ev.ack, ev.seq+seglen, nil, 0)
		}
		return
	}
	if ev.flags&flagRST != 0 {
		w.trace.segment(w, "rst", ev)
		if dst.state == stSynSent {
			dst.state = stDead
			w.dialFailed(dst, ErrRefused)
			return
		}
		dst.state = stDead
		w.notifyClosed(dst, ErrReset)
		return
	}
	if ev.flags&flagSYN != 0 { // SYN-ACK
		if dst.state != stSynSent {
			return // a duplicate
		}
		dst.rcvNext = ev.seq + 1
		dst.state = stOpen
		w.transmit(dst, flagACK, dst.sndNext, dst.rcvNext, nil, 0)
		w.traceEnd("open", dst, "")
		w.notifyOpened(dst)
		return
	}
	if dst.state == stSynRcvd {
		dst.state = stOpen
		w.traceEnd("accept", dst, "")
		w.notifyOpened(dst)
		if !dst.alive() {
			return
		}
	}
	seglen := uint32(len(ev.data))
	fin := ev.flags&flagFIN != 0
	if fin {
		seglen++
	}
	if seglen == 0 || dst.finRcvd || int32(ev.seq+seglen-dst.rcvNext) <= 0 {
		return // a pure ACK or a duplicate
	}
	if ev.seq != dst.rcvNext {
		for _, o := range dst.ooo {
			if o.seq == ev.seq {
				return
			}
		}
		dst.ooo = append(dst.ooo, ooo{seq: ev.seq, fin: fin, data: ev.data})
		return
	}
	w.deliver(dst, ev.data, fin)
	for len(dst.ooo) > 0 && dst.alive() && !dst.finRcvd {
		found := false
		for i, o := range dst.ooo {
			if o.seq == dst.rcvNext {
				dst.ooo = append(dst.ooo[:i], dst.ooo[i+1:]...)
				w.deliver(dst, o.data, o.fin)
				found = true
				break
			}
		}
		if !found {
			break
		}
	}
	if len(dst.ooo) == 0 {
		dst.ooo = nil
	}
}

// arriveSyn handles a connection request at its destination.
func (w *World) arriveSyn(ev event, dst *endpoint) {
	dh := dst.host
	if dst.state != stNone && dst.epoch == dh.epoch {
		return // a retransmitted SYN for a connection already under way
	}
	lp := dh.listeners[dst.port]
	if lp == nil {
		w.traceEnd("refuse", dst, "")
		dst.epoch = dh.epoch
		w.transmit(dst, flagRST|flagACK, 0, ev.seq+1, nil, 0)
		return
	}
	*dst = endpoint{c: dst.c, side: 1, host: dh, epoch: dh.epoch, port: dst.port, state: stSynRcvd,
		listener: lp.name, slisten: lp.script}
	dst.isn = w.rng.Uint32()
	dst.sndNext = dst.isn + 1
	dst.rcvNext = ev.seq + 1
	w.transmit(dst, flagSYN|flagACK, dst.isn, dst.rcvNext, nil, 0)
}

// deliver hands in-order bytes (and then perhaps the FIN) to the owner of e.
func (w *World) deliver(e *endpoint, data []byte, fin bool) {
	h := e.host
	if len(data) > 0 {
		seq := e.rcvNext
		e.rcvNext += uint32(len(data))
		if e.ownerGone {
			// Data for a connection its owner closed: TCP answers with RST.
			w.traceEnd("reset-unread", e, "")
			w.transmit(e, flagRST|flagACK, e.sndNext, e.rcvNext, nil, 0)
			e.state = stDead
			return
		}
		if w.trace != nil {
			p := e.peer()
			w.trace.data(w, e, data, p.tlsWant && int32(seq-p.tlsFrom) >= 0)
		}
		switch {
		case e.script != nil:
			if len(e.script.rcv)+len(data) > w.cfg.MaxReceive {
				w.abort(e)
				e.script.fail(fmt.Errorf("%s: %w", e.label(), ErrBufferFull))
				return
			}
			e.script.rcv = append(e.script.rcv, data...)
			e.script.bytesIn += len(data)
		case e.eid != 0:
			h.handle(engine.Bytes{Conn: e.eid, Data: data})
		}
		if !e.alive() {
			return
		}
	}
	if !fin {
		return
	}
	e.rcvNext++
	e.finRcvd = true
	w.traceEnd("fin", e, "")
	switch {
	case e.ownerGone:
		if !e.finSent {
			w.closeEnd(e)
		} else {
			w.transmit(e, flagACK, e.sndNext, e.rcvNext, nil, 0)
		}
	case e.script != nil:
		e.script.eof = true
		w.transmit(e, flagACK, e.sndNext, e.rcvNext, nil, 0)
	case e.eid != 0:
		// An engine's connection ends with the peer's FIN: the engine learns, and the shell
		// closes its side as well.
		id := e.eid
		delete(h.conns, id)
		e.ownerGone = true
		if !e.finSent {
			w.closeEnd(e)
		} else {
			w.transmit(e, flagACK, e.sndNext, e.rcvNext, nil, 0)
		}
		h.handle(engine.Closed{Conn: id})
	default:
		w.transmit(e, flagACK, e.sndNext, e.rcvNext, nil, 0)
	}
}

// notifyOpened tells the owner of e that the connection is ready.
func (w *World) notifyOpened(e *endpoint) {
	h := e.host
	p := e.peer()
	if e.side == 1 && e.slisten != nil {
		e.script = newConn(w, h)
		e.script.ep = e
		e.script.established = true
		h.scripted = append(h.scripted, e.script)
		e.slisten.backlog = append(e.slisten.backlog, e.script)
		return
	}
	if e.script != nil {
		e.script.established = true
		e.script.flush()
		return
	}
	if h.eng == nil {
		// A bare host without a listener cannot accept; a bare host never dials for itself.
		w.abort(e)
		return
	}
	h.nextID++
	e.eid = h.nextID
	if h.conns == nil {
		h.conns = map[engine.ConnID]*endpoint{}
	}
	h.conns[e.eid] = e
	h.handle(engine.Opened{
		Conn:     e.eid,
		Listener: e.listener,
		Tag:      e.tag,
		Local:    fmt.Sprintf("%s:%d", h.ip, e.port),
		Remote:   fmt.Sprintf("%s:%d", p.host.ip, p.port),
	})
}

// notifyClosed tells the owner of e that the connection ended abnormally.
func (w *World) notifyClosed(e *endpoint, err error) {
	h := e.host
	err = fmt.Errorf("%s: %w", e.label(), err)
	switch {
	case e.script != nil:
		e.script.fail(err)
	case e.eid != 0 && !e.ownerGone:
		e.ownerGone = true
		delete(h.conns, e.eid)
		h.handle(engine.Closed{Conn: e.eid, Err: err})
	}
}

// dialFailed tells the dialler of e that the connection never opened.
func (w *World) dialFailed(e *endpoint, err error) {
	err = fmt.Errorf("dial %s: %w", e.c.addr, err)
	w.traceEnd("dial-failed", e, err.Error())
	if e.script != nil {
		e.script.fail(err)
		return
	}
	e.host.handle(engine.DialFailed{Tag: e.tag, Err: err})
}

// startTLS simulates the TLS handshake on e. A handshake needs both ends: once both asked
// for it, each end is secured a round trip after the later request (engine.Secured, or
// Conn.Secured for a script). An end whose peer never asks fails after
// Config.ConnectTimeout with ErrTLSTimeout. Bytes stay plain in the capture; the trace marks
// them "tls".
func (w *World) startTLS(e *endpoint) {
	if e.tlsWant || !e.alive() {
		return
	}
	e.tlsWant = true
	e.tlsFrom = e.sndNext
	if e.link == nil {
		e.link = w.linkFor(e.host, e.peer().host)
	}
	p := e.peer()
	if p.tlsWant && p.alive() {
		rtt := 2 * int64(e.link.cfg.Latency)
		w.q.push(w.now+rtt, event{kind: evSecured, conn: e.c, dir: p.side, gen: p.epoch})
		w.q.push(w.now+rtt, event{kind: evSecured, conn: e.c, dir: e.side, gen: e.epoch})
		return
	}
	w.q.push(w.now+int64(w.cfg.ConnectTimeout), event{kind: evSecured, conn: e.c, dir: e.side, gen: e.epoch, flags: 1})
}

// secured completes (or, with flags 1, times out) the handshake on one end.
func (w *World) secured(ev event) {
	e := &ev.conn.ends[ev.dir]
	if !e.alive() || e.epoch != ev.gen || e.secured || e.tlsFailed {
		return
	}
	var err error
	if ev.flags == 1 {
		if e.peer().tlsWant {
			return // the peer joined in; its request scheduled the completion
		}
		e.tlsFailed = true
		err = fmt.Errorf("%s: %w", e.label(), ErrTLSTimeout)
		w.traceEnd("tls-failed", e, "")
	} else {
		e.secured = true
		w.traceEnd("tls", e, "")
	}
	peerCN := ""
	if err == nil {
		peerCN = e.peer().host.cfg.CertCN
	}
	switch {
	case e.script != nil:
		e.script.secured = err == nil
		e.script.tlsErr = err
	case e.eid != 0 && !e.ownerGone:
		e.host.handle(engine.Secured{Conn: e.eid, Err: err, PeerCN: peerCN})
	}
}
