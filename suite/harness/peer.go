package harness

import (
	"fmt"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/primlab/primlab/reference/wire"
)

// Event is what a peer saw next: a message, the end of the connection, or nothing before the
// deadline. Exactly one of Msg, Closed and Timeout is set.
type Event struct {
	Msg     *wire.Message
	Closed  bool
	Timeout bool
	// Err says why the connection ended (nil for an orderly close by the target), or holds the
	// framing error of malformed bytes the target sent.
	Err error
}

func (e Event) String() string {
	switch {
	case e.Msg != nil:
		return "message " + describe(e.Msg)
	case e.Closed && e.Err != nil:
		return fmt.Sprintf("connection closed (%v)", e.Err)
	case e.Closed:
		return "connection closed by the target"
	default:
		return "nothing before the deadline"
	}
}

// describe renders a message's start line and headers on one line, for failure messages.
func describe(m *wire.Message) string {
	var b strings.Builder
	b.WriteString(fmt.Sprintf("%q", m.StartLine()))
	for _, h := range m.Headers {
		fmt.Fprintf(&b, " [%s: %s]", h.Name, h.Value)
	}
	if len(m.Body) > 0 {
		fmt.Fprintf(&b, " +%d body octets", len(m.Body))
	}
	return b.String()
}

// Peer is one suite endpoint: a raw PRIM connection to the target that can send anything,
// including malformed bytes, and wait for what comes back. Methods that wait do so up to the
// run's step deadline (Config.Timeout) and never sleep.
type Peer struct {
	h       *H
	name    string
	account Account // the account this peer logged in as, if any
	stream  Stream
	dec     *wire.Decoder
	backlog []*wire.Message // decoded, not yet taken
	bad     error           // framing error in what the target sent
	noted   bool            // the end of the connection is in the transcript
	version string          // default version for requests built with Request
	earlier bool            // a connection the target opened in an earlier case (pool.go)
}

// Name returns the peer's name as the transcript shows it.
func (p *Peer) Name() string { return p.name }

// Account returns the account the peer logged in as (zero if it did not).
func (p *Peer) Account() Account { return p.account }

// Pres returns the pres: identifier of the peer's account.
func (p *Peer) Pres() string { return p.h.Pres(p.account.User) }

// IM returns the im: identifier of the peer's account.
func (p *Peer) IM() string { return p.h.IM(p.account.User) }

// pump moves received bytes into the decoder and decoded messages into the backlog.
func (p *Peer) pump() {
	if data := p.stream.Received(); len(data) > 0 {
		p.h.transcript.add(p.h.tr.Elapsed(), p.name, DirIn, data)
		p.dec.Feed(data)
		p.stream.Consume(len(data))
	}
	for p.bad == nil {
		m, err := p.dec.Next()
		if err != nil {
			p.bad = err
			p.h.note(p.name, fmt.Sprintf("target sent malformed PRIM: %v", err))
			break
		}
		if m == nil {
			break
		}
		p.backlog = append(p.backlog, m)
	}
	if p.stream.Closed() && !p.noted {
		p.noted = true
		if err := p.stream.Err(); err != nil {
			p.h.note(p.name, fmt.Sprintf("connection ended: %v", err))
		} else {
			p.h.note(p.name, "connection closed by the target")
		}
	}
}

// ended reports whether nothing more can arrive: the connection closed or the target sent
// bytes that are not PRIM.
func (p *Peer) ended() bool { return p.stream.Closed() || p.bad != nil }

func (p *Peer) endEvent() Event {
	if p.bad != nil {
		return Event{Closed: true, Err: fmt.Errorf("target sent malformed PRIM: %w", p.bad)}
	}
	return Event{Closed: true, Err: p.stream.Err()}
}

// wait runs until found returns true, the connection ends, or d passes.
func (p *Peer) wait(found func() bool, d time.Duration) {
	p.h.tr.Wait(func() bool {
		p.pump()
		return found() || p.ended()
	}, d)
	p.pump()
}

// Send writes m. A request without an ID gets a fresh one; the ID used is returned.
func (p *Peer) Send(m *wire.Message) string {
	if m.IsRequest() && m.ID == "" {
		m.ID = p.h.NextID()
	}
	p.SendRaw(m.Bytes())
	return m.ID
}

// SendRaw writes b exactly as given: the way to send malformed input.
func (p *Peer) SendRaw(b []byte) {
	p.h.transcript.add(p.h.tr.Elapsed(), p.name, DirOut, b)
	p.stream.Write(b)
}

// SendString writes s exactly as given.
func (p *Peer) SendString(s string) { p.SendRaw([]byte(s)) }

// Next waits for the next message (in arrival order), the end of the connection, or the step
// deadline, and returns what happened without judging it.
func (p *Peer) Next() Event { return p.NextWithin(p.h.cfg.Timeout) }

// NextWithin is Next with its own deadline.
func (p *Peer) NextWithin(d time.Duration) Event {
	p.wait(func() bool { return len(p.backlog) > 0 }, d)
	if len(p.backlog) > 0 {
		m := p.backlog[0]
		p.backlog = p.backlog[1:]
		return Event{Msg: m}
	}
	if p.ended() {
		return p.endEvent()
	}
	return Event{Timeout: true}
}

// take waits for the first message in the backlog that match accepts and removes it. On a
// timeout or the end of the connection it ends the case with verdict error.
func (p *Peer) take(what string, match func(*wire.Message) bool) *wire.Message {
	ginkgo.GinkgoHelper()
	idx := -1
	p.wait(func() bool {
		for i, m := range p.backlog {
			if match(m) {
				idx = i
				return true
			}
		}
		return false
	}, p.h.cfg.Timeout)
	if idx >= 0 {
		m := p.backlog[idx]
		p.backlog = append(p.backlog[:idx], p.backlog[idx+1:]...)
		return m
	}
	if p.ended() {
		p.h.Errorf("%s: %s while waiting for %s", p.name, p.endEvent(), what)
	}
	p.h.Errorf("%s: no %s within %v%s", p.name, what, p.h.cfg.Timeout, p.pendingNote())
	return nil
}

func (p *Peer) pendingNote() string {
	if len(p.backlog) == 0 {
		return ""
	}
	parts := make([]string, len(p.backlog))
	for i, m := range p.backlog {
		parts[i] = describe(m)
	}
	return "; received instead: " + strings.Join(parts, ", ")
}

// Expect waits for the next message (any kind) and asserts the matchers on it.
func (p *Peer) Expect(matchers ...any) *wire.Message {
	ginkgo.GinkgoHelper()
	m := p.take("message", func(*wire.Message) bool { return true })
	p.h.assert(m, matchers)
	return m
}

// ExpectResponse waits for the response carrying request id, leaving other messages (NOTIFYs,
// responses to other requests) for later, and asserts the matchers on it.
func (p *Peer) ExpectResponse(id string, matchers ...any) *wire.Message {
	ginkgo.GinkgoHelper()
	m := p.take(fmt.Sprintf("response to request %q", id), func(m *wire.Message) bool {
		return !m.IsRequest() && m.ID == id
	})
	p.h.assert(m, matchers)
	return m
}

// ExpectRequest waits for a request with this method from the target, leaving other messages
// for later, and asserts the matchers on it.
func (p *Peer) ExpectRequest(method string, matchers ...any) *wire.Message {
	ginkgo.GinkgoHelper()
	m := p.take(method+" request", func(m *wire.Message) bool { return m.Method == method })
	p.h.assert(m, matchers)
	return m
}

// Call sends req and returns its response (ExpectResponse with the request's ID).
func (p *Peer) Call(req *wire.Message, matchers ...any) *wire.Message {
	ginkgo.GinkgoHelper()
	id := p.Send(req)
	return p.ExpectResponse(id, matchers...)
}

// Respond answers a request from the target with code, echoing From and To (as PRIM responses
// do, prim-digest §3.9.2).
func (p *Peer) Respond(req *wire.Message, code int) {
	resp := &wire.Message{Version: req.Version, ID: req.ID, Code: code, Phrase: wire.Phrase(code)}
	for _, name := range []string{"From", "To"} {
		if v, ok := req.Get(name); ok {
			resp.Add(name, v)
		}
	}
	p.Send(resp)
}

// ExpectClosed waits for the target to close the connection. Messages that arrive first are
// allowed and returned.
func (p *Peer) ExpectClosed() []*wire.Message {
	ginkgo.GinkgoHelper()
	p.wait(func() bool { return false }, p.h.cfg.Timeout)
	got := p.backlog
	p.backlog = nil
	if !p.stream.Closed() {
		p.h.Failf("%s: the connection is still open %v after the last exchange (expected the target to close it)%s",
			p.name, p.h.cfg.Timeout, describeAll(got))
	}
	return got
}

func describeAll(ms []*wire.Message) string {
	if len(ms) == 0 {
		return ""
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = describe(m)
	}
	return "; received: " + strings.Join(parts, ", ")
}

// ExpectNothing asserts that no message arrives and the connection stays open for d (the
// run's quiet period when d is 0).
func (p *Peer) ExpectNothing(d time.Duration) {
	ginkgo.GinkgoHelper()
	if d <= 0 {
		d = p.h.cfg.Quiet
	}
	ev := p.NextWithin(d)
	switch {
	case ev.Msg != nil:
		p.h.Failf("%s: expected nothing for %v, got %s", p.name, d, ev)
	case ev.Closed:
		p.h.Failf("%s: expected nothing for %v, but the %s", p.name, d, ev)
	}
}

// Close half-closes the connection (FIN after what was sent).
func (p *Peer) Close() {
	p.h.note(p.name, "suite closes the connection")
	p.stream.Close()
}

// Abort resets the connection.
func (p *Peer) Abort() {
	p.h.note(p.name, "suite resets the connection")
	p.stream.Abort()
}

// Request builds a request for this peer's link: the client profile's version for its method
// on a client connection (PRIM-A8.2-1), PRIM/1.0 on a server-server connection (Decision D1).
func (p *Peer) Request(method string, headers ...string) *wire.Message {
	m := p.h.Request(method, headers...)
	if p.version == wire.VersionServer {
		m.Version = wire.VersionServer
	} else {
		m.Version = wire.VersionFor(wire.ProfileClient, method)
	}
	return m
}
