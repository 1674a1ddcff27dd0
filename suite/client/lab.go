package client

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	"github.com/onsi/gomega/gcustom"
	gtypes "github.com/onsi/gomega/types"

	"github.com/primlab/primlab/reference/pidf"
	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/suite/harness"
)

// Lab is one case's client-role set-up: the user agent under test, the listeners it dials and
// the connections it opened. One Lab lives for one case.
type Lab struct {
	h       *harness.H
	t       target
	nextCmd int
	taken   map[int]bool // indexes of events already returned by WaitEvent
	fresh   map[string][]*Conn
	conns   []*Conn
	labels  map[string]int
	auto    *autoLogin
	// answerAll: the suite answers every other request too (see AnswerAll).
	answerAll bool

	// User is the principal the user agent logs in as (user@domain, no scheme); Password its
	// pass phrase. The suite plays the home server, so it decides what is valid.
	User     string
	Password string
	Domain   string
}

// Start builds the case's target: the reference user agent in a fresh simulated world, or
// the external user agent (Config.Exec). opts are applied to the reference user agent; under
// Exec a case that needs them is not applicable (the driver protocol cannot set them).
func Start(h *harness.H, opts ...UAOptions) *Lab {
	ginkgo.GinkgoHelper()
	var o UAOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	cfg := CurrentConfig()
	acct := h.Account("alice")
	lab := &Lab{h: h, taken: map[int]bool{}, fresh: map[string][]*Conn{}, labels: map[string]int{},
		User: acct.User + "@" + h.Domain(), Password: acct.Password, Domain: h.Domain()}
	if cfg.Exec != "" {
		if o.StartTLS || o.Shared {
			h.NotApplicable("the case needs a user agent configured with STARTTLS or a shared connection, which the driver protocol cannot ask for")
		}
		t, err := newExecTarget(cfg)
		if err != nil {
			h.Errorf("%v", err)
		}
		lab.t = t
		h.Step("started %q (home listener %s)", cfg.Exec, fmtAddr(t.addr(Home)))
	} else {
		t, err := newSimTarget(h.Seed(), o)
		if err != nil {
			h.Errorf("%v", err)
		}
		lab.t = t
	}
	ginkgo.DeferCleanup(lab.finish)
	return lab
}

func fmtAddr(host string, port int) string { return host + ":" + strconv.Itoa(port) }

// finish closes the target and, for a case that did not pass, puts the simulator trace and
// the user agent's stderr into the transcript.
func (l *Lab) finish() {
	l.t.close()
	if !ginkgo.CurrentSpecReport().Failed() {
		return
	}
	trace, stderr := l.t.evidence()
	if trace != "" {
		l.note("sim", "trace:\n"+trace)
	}
	if stderr != "" {
		l.note("ua", "stderr:\n"+stderr)
	}
	fmt.Fprintln(ginkgo.GinkgoWriter, l.h.Transcript().String())
	// The harness writes its own evidence next to this (its trace and capture are of the
	// world it built for a server target, unused here); the user agent's capture goes beside.
	if out := l.h.Config().Out; out != "" {
		if pcap := l.t.capture(); len(pcap) > 0 {
			dir := filepath.Join(out, "cases", filepath.FromSlash(l.h.Meta().ID))
			err := os.MkdirAll(dir, 0o755)
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, "ua-capture.pcapng"), pcap, 0o644)
			}
			if err != nil {
				l.note("sim", fmt.Sprintf("ua-capture.pcapng not written: %v", err))
			} else {
				l.note("sim", "the user agent's capture: ua-capture.pcapng")
			}
		}
	}
}

func (l *Lab) note(peer, text string) {
	tr := l.h.Transcript()
	tr.Entries = append(tr.Entries, harness.Entry{At: l.t.elapsed(), Peer: peer, Dir: harness.DirNote, Data: []byte(text)})
}

func (l *Lab) record(peer, dir string, data []byte) {
	tr := l.h.Transcript()
	tr.Entries = append(tr.Entries, harness.Entry{At: l.t.elapsed(), Peer: peer, Dir: dir, Data: append([]byte(nil), data...)})
}

// Addr returns the host and port of a listener as the user agent reaches it, e.g. for a
// Redirect header ("host port", I2 §9.1.5).
func (l *Lab) Addr(listener string) (string, int) { return l.t.addr(listener) }

// Do hands the user agent one driver command and returns its id.
func (l *Lab) Do(c Cmd) string {
	l.nextCmd++
	c.ID = "c" + strconv.Itoa(l.nextCmd)
	b, _ := json.Marshal(c)
	l.record("driver", harness.DirOut, append(b, '\n'))
	l.t.do(c)
	return c.ID
}

// wait runs until cond holds or d passes, moving accepted connections and received bytes
// into the lab's queues.
func (l *Lab) wait(cond func() bool, d time.Duration) bool {
	seen := len(l.t.events())
	ok := l.t.wait(func() bool {
		l.pump()
		return cond()
	}, d)
	l.pump()
	evs := l.t.events()
	for ; seen < len(evs); seen++ {
		b, _ := json.Marshal(evs[seen])
		l.record("driver", harness.DirIn, append(b, '\n'))
	}
	return ok
}

func (l *Lab) pump() {
	for _, name := range []string{Home, Alt} {
		for _, s := range l.t.accepted(name) {
			l.labels[name]++
			c := &Conn{lab: l, name: fmt.Sprintf("%s#%d", name, l.labels[name]), Listener: name, s: s,
				dec: wire.NewDecoder(clientLimits())}
			l.note(c.name, "the user agent connected to "+name)
			l.conns = append(l.conns, c)
			l.fresh[name] = append(l.fresh[name], c)
		}
	}
	for _, c := range l.conns {
		c.pump()
	}
	l.serveLogins()
}

func clientLimits() wire.Limits {
	lim := wire.DefaultLimits()
	lim.MaxBody = 16 << 20
	return lim
}

// Events returns the user agent's results and events of a type seen so far (all of them,
// whether WaitEvent took them or not).
func (l *Lab) Events(typ string) []UAEvent {
	var out []UAEvent
	for _, e := range l.t.events() {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func (l *Lab) findEvent(typ string, match func(UAEvent) bool) int {
	for i, e := range l.t.events() {
		if !l.taken[i] && e.Type == typ && (match == nil || match(e)) {
			return i
		}
	}
	return -1
}

// WaitEvent waits for the first event of type typ (and match, if given) not yet taken.
func (l *Lab) WaitEvent(typ string, match func(UAEvent) bool) UAEvent {
	ginkgo.GinkgoHelper()
	ev, ok := l.WaitEventWithin(typ, match, l.h.Timeout())
	if !ok {
		l.h.Failf("the user agent reported no %q event within %v; it reported: %s", typ, l.h.Timeout(), l.eventList())
	}
	return ev
}

// WaitEventWithin is WaitEvent with its own deadline; it reports whether the event came.
func (l *Lab) WaitEventWithin(typ string, match func(UAEvent) bool, d time.Duration) (UAEvent, bool) {
	idx := -1
	l.wait(func() bool { idx = l.findEvent(typ, match); return idx >= 0 }, d)
	if idx < 0 {
		return UAEvent{}, false
	}
	l.taken[idx] = true
	return l.t.events()[idx], true
}

func (l *Lab) eventList() string {
	evs := l.t.events()
	if len(evs) == 0 {
		return "nothing"
	}
	parts := make([]string, len(evs))
	for i, e := range evs {
		parts[i] = e.String()
	}
	return strings.Join(parts, "; ")
}

// Result waits for the result of command id. A user agent that never reports it broke the
// driver protocol: verdict error.
func (l *Lab) Result(id string) UAEvent {
	ginkgo.GinkgoHelper()
	ev, ok := l.WaitEventWithin("result", func(e UAEvent) bool { return e.ID == id }, l.h.Timeout())
	if !ok {
		l.h.Errorf("the user agent reported no result for driver command %q within %v (driver protocol: exactly one result per command); it reported: %s",
			id, l.h.Timeout(), l.eventList())
	}
	return ev
}

// Accept waits for the next connection the user agent opens to listener.
func (l *Lab) Accept(listener string) *Conn {
	ginkgo.GinkgoHelper()
	c := l.AcceptWithin(listener, l.h.Timeout())
	if c == nil {
		l.h.Errorf("the user agent opened no connection to %s within %v; it reported: %s", listener, l.h.Timeout(), l.eventList())
	}
	return c
}

// AcceptWithin waits up to d for a connection to listener; nil if none came.
func (l *Lab) AcceptWithin(listener string, d time.Duration) *Conn {
	l.wait(func() bool { return len(l.fresh[listener]) > 0 }, d)
	if len(l.fresh[listener]) == 0 {
		return nil
	}
	c := l.fresh[listener][0]
	l.fresh[listener] = l.fresh[listener][1:]
	return c
}

// Conns returns every connection the user agent opened so far, in order.
func (l *Lab) Conns() []*Conn { l.pump(); return l.conns }

// Wait lets d pass (virtual in the simulator) while connections keep being read.
func (l *Lab) Wait(d time.Duration) { l.wait(func() bool { return false }, d) }

// ---- the server side of one connection ----

// Conn is one connection the user agent opened, seen from the suite's side (the suite plays
// the server). It keeps every byte received (Raw) and every command decoded (Sent) for the
// wire checks, and a backlog of commands not yet taken.
type Conn struct {
	lab      *Lab
	name     string
	Listener string
	// Service is "pres", "im" or "shared", as the login helper found it.
	Service string
	s       stream
	dec     *wire.Decoder
	backlog []*wire.Message
	bad     error
	noted   bool
	raw     []byte
	sent    []*wire.Message
}

// Name returns the connection's name in the transcript (home#1, alt#1, ...).
func (c *Conn) Name() string { return c.name }

// Raw returns every byte the user agent sent on this connection.
func (c *Conn) Raw() []byte { return c.raw }

// Sent returns every command the user agent sent on this connection, in order.
func (c *Conn) Sent() []*wire.Message { c.lab.pump(); return c.sent }

func (c *Conn) pump() {
	if data := c.s.Received(); len(data) > 0 {
		c.lab.record(c.name, harness.DirIn, data)
		c.raw = append(c.raw, data...)
		c.dec.Feed(data)
		c.s.Consume(len(data))
	}
	for c.bad == nil {
		m, err := c.dec.Next()
		if err != nil {
			c.bad = err
			c.lab.note(c.name, fmt.Sprintf("the user agent sent malformed PRIM: %v", err))
			break
		}
		if m == nil {
			break
		}
		c.backlog = append(c.backlog, m)
		c.sent = append(c.sent, m)
	}
	if c.s.Closed() && !c.noted {
		c.noted = true
		if err := c.s.Err(); err != nil {
			c.lab.note(c.name, fmt.Sprintf("connection ended: %v", err))
		} else {
			c.lab.note(c.name, "the user agent closed the connection")
		}
	}
}

func (c *Conn) ended() bool { return c.s.Closed() || c.bad != nil }

func (c *Conn) endEvent() harness.Event {
	if c.bad != nil {
		return harness.Event{Closed: true, Err: fmt.Errorf("%w: %w", errMalformed, c.bad)}
	}
	return harness.Event{Closed: true, Err: c.s.Err()}
}

// errMalformed marks an Event for bytes that are not PRIM: not an orderly end (uaClosed does
// not accept it).
var errMalformed = errors.New("the user agent sent malformed PRIM")

// uaClosed matches the user agent closing (or resetting) the connection, not the end of
// decoding because it sent malformed bytes.
func uaClosed() gtypes.GomegaMatcher {
	return gcustom.MakeMatcher(func(ev harness.Event) (bool, error) {
		return ev.Closed && ev.Msg == nil && !errors.Is(ev.Err, errMalformed), nil
	}).WithMessage("be the user agent closing the connection")
}

// Next waits for the next command from the user agent, the end of the connection or the
// step deadline, without judging it.
func (c *Conn) Next() harness.Event { return c.NextWithin(c.lab.h.Timeout()) }

// NextWithin is Next with its own deadline.
func (c *Conn) NextWithin(d time.Duration) harness.Event {
	c.lab.wait(func() bool { return len(c.backlog) > 0 || c.ended() }, d)
	if len(c.backlog) > 0 {
		m := c.backlog[0]
		c.backlog = c.backlog[1:]
		return harness.Event{Msg: m}
	}
	if c.ended() {
		return c.endEvent()
	}
	return harness.Event{Timeout: true}
}

func (c *Conn) take(what string, match func(*wire.Message) bool) *wire.Message {
	ginkgo.GinkgoHelper()
	idx := -1
	c.lab.wait(func() bool {
		for i, m := range c.backlog {
			if match(m) {
				idx = i
				return true
			}
		}
		return c.ended()
	}, c.lab.h.Timeout())
	if idx < 0 {
		for i, m := range c.backlog {
			if match(m) {
				idx = i
				break
			}
		}
	}
	if idx >= 0 {
		m := c.backlog[idx]
		c.backlog = append(c.backlog[:idx], c.backlog[idx+1:]...)
		return m
	}
	other := ""
	if len(c.backlog) > 0 {
		parts := []string{}
		for _, m := range c.backlog {
			parts = append(parts, fmt.Sprintf("%q", m.StartLine()))
		}
		other = "; received instead: " + strings.Join(parts, ", ")
	}
	if c.ended() {
		c.lab.h.Failf("%s: %s while waiting for %s%s", c.name, c.endEvent(), what, other)
	}
	c.lab.h.Failf("%s: the user agent sent no %s within %v%s", c.name, what, c.lab.h.Timeout(), other)
	return nil
}

func assertAll(m *wire.Message, matchers []gtypes.GomegaMatcher) {
	ginkgo.GinkgoHelper()
	for _, mt := range matchers {
		gomega.Expect(m).To(mt)
	}
}

// Expect waits for the next command (any) and asserts the matchers on it.
func (c *Conn) Expect(matchers ...gtypes.GomegaMatcher) *wire.Message {
	ginkgo.GinkgoHelper()
	m := c.take("command", func(*wire.Message) bool { return true })
	assertAll(m, matchers)
	return m
}

// ExpectRequest waits for a request of the method, leaving other commands for later.
func (c *Conn) ExpectRequest(method string, matchers ...gtypes.GomegaMatcher) *wire.Message {
	ginkgo.GinkgoHelper()
	m := c.take(method+" request", func(m *wire.Message) bool { return m.IsRequest() && m.Method == method })
	assertAll(m, matchers)
	return m
}

// ExpectResponse waits for the user agent's response to the suite's request id.
func (c *Conn) ExpectResponse(id string, matchers ...gtypes.GomegaMatcher) *wire.Message {
	ginkgo.GinkgoHelper()
	m := c.take(fmt.Sprintf("response to request %q", id), func(m *wire.Message) bool { return !m.IsRequest() && m.ID == id })
	assertAll(m, matchers)
	return m
}

// WaitSent waits for a request of the method among the commands the user agent sent on this
// connection after its first `after` ones, whether a helper already took it or not.
func (c *Conn) WaitSent(method string, after int) *wire.Message {
	ginkgo.GinkgoHelper()
	var got *wire.Message
	find := func() bool {
		for _, m := range c.sent[min(after, len(c.sent)):] {
			if m.IsRequest() && m.Method == method {
				got = m
				return true
			}
		}
		return false
	}
	c.lab.wait(func() bool { return find() || c.ended() }, c.lab.h.Timeout())
	if got == nil && !find() {
		c.lab.h.Failf("%s: the user agent sent no %s within %v", c.name, method, c.lab.h.Timeout())
	}
	return got
}

// ExpectNothing asserts that the user agent sends nothing on this connection for d (the
// run's quiet period when d is 0) and keeps it open. Cases where closing is acceptable judge
// NextWithin with h.Accept instead.
func (c *Conn) ExpectNothing(d time.Duration) {
	ginkgo.GinkgoHelper()
	if d <= 0 {
		d = c.lab.h.Quiet()
	}
	ev := c.NextWithin(d)
	switch {
	case ev.Msg != nil:
		c.lab.h.Failf("%s: expected nothing from the user agent for %v, got %s", c.name, d, ev)
	case !ev.Timeout:
		c.lab.h.Failf("%s: expected nothing for %v and the connection kept open, but: %s", c.name, d, ev)
	}
}

// ExpectNoResponse asserts that, for d (the quiet period when 0), the user agent sends no
// response on this connection and keeps it open. Requests it sends meanwhile are left in the
// backlog: only answering is at issue.
func (c *Conn) ExpectNoResponse(d time.Duration) {
	ginkgo.GinkgoHelper()
	if d <= 0 {
		d = c.lab.h.Quiet()
	}
	var resp *wire.Message
	c.lab.wait(func() bool {
		for _, m := range c.backlog {
			if !m.IsRequest() {
				resp = m
				return true
			}
		}
		return c.ended()
	}, d)
	switch {
	case resp != nil:
		c.lab.h.Failf("%s: expected no response for %v, got %q", c.name, d, resp.StartLine())
	case c.ended():
		c.lab.h.Failf("%s: expected no response and the connection kept open, but: %s", c.name, c.endEvent())
	}
}

// Silent reports whether nothing arrives for d (a message that arrives is put back).
func (c *Conn) Silent(d time.Duration) bool {
	c.lab.wait(func() bool { return len(c.backlog) > 0 || c.bad != nil }, d)
	return len(c.backlog) == 0 && c.bad == nil
}

// Send writes a command to the user agent; a request without an id gets one.
func (c *Conn) Send(m *wire.Message) string {
	if m.IsRequest() && m.ID == "" {
		m.ID = c.lab.h.NextID()
	}
	c.SendRaw(m.Bytes())
	return m.ID
}

// SendRaw writes b exactly as given.
func (c *Conn) SendRaw(b []byte) {
	c.lab.record(c.name, harness.DirOut, b)
	c.s.Write(b)
}

// SendString writes s exactly as given.
func (c *Conn) SendString(s string) { c.SendRaw([]byte(s)) }

// Respond answers a request from the user agent with code (same version and id, Decision
// D34) and the given header pairs.
func (c *Conn) Respond(req *wire.Message, code int, headers ...string) *wire.Message {
	resp := &wire.Message{Version: req.Version, ID: req.ID, Code: code, Phrase: wire.Phrase(code)}
	for i := 0; i+1 < len(headers); i += 2 {
		resp.Add(headers[i], headers[i+1])
	}
	c.Send(resp)
	return resp
}

// Close half-closes the connection; Abort resets it.
func (c *Conn) Close() { c.lab.note(c.name, "suite closes the connection"); c.s.Close() }
func (c *Conn) Abort() { c.lab.note(c.name, "suite resets the connection"); c.s.Abort() }

// StartTLS starts the suite's side of the TLS handshake; false if the target cannot.
func (c *Conn) StartTLS() bool { c.lab.note(c.name, "suite starts TLS"); return c.s.StartTLS() }

// Closed reports whether the user agent closed (or reset) the connection.
func (c *Conn) Closed() bool { c.lab.pump(); return c.s.Closed() }

// ---- logging in ----

// Session is the user agent's logged-in connections, by service.
type Session struct {
	Pres *Conn
	IM   *Conn
}

// serviceOf maps a version token to the client service.
func serviceOf(version string) string {
	switch version {
	case wire.VersionPresence:
		return "pres"
	case wire.VersionIM:
		return "im"
	}
	return ""
}

// Challenge is the CRAM-MD5 challenge the suite sends (angle brackets included, as in I2 §12.1).
const Challenge = "<1896.697170952@prim.example>"

// LoginOptions steer how the suite's server side answers the user agent's LOGIN exchange.
type LoginOptions struct {
	// Mech is the mechanism the server selects in its 100 (default: PLAIN if offered, else
	// CRAM-MD5, else the first one offered).
	Mech string
}

// autoLogin is the suite's server side of LOGIN exchanges, run while the lab waits.
type autoLogin struct {
	opts   LoginOptions
	except map[*Conn]bool // connections the case answers by hand
	hold   bool           // keep final answers (200) back until Release
	held   []heldLogin
}

type heldLogin struct {
	c *Conn
	m *wire.Message
}

// AutoLogin makes the suite answer every LOGIN the user agent sends (init → 100 with the
// selected mechanism, continue → 200), except on the connections given, whenever the lab
// waits. With hold, the final 200s are kept back until ReleaseLogins.
func (l *Lab) AutoLogin(hold bool, except ...*Conn) {
	a := &autoLogin{except: map[*Conn]bool{}, hold: hold}
	if l.auto != nil {
		a.opts = l.auto.opts
	}
	for _, c := range except {
		a.except[c] = true
	}
	l.auto = a
}

// AnswerAll makes the suite answer every request the user agent sends (LOGIN as AutoLogin
// does, everything else 200; SUBSCRIBE and FETCH with the presence of their To, Decision D25)
// whenever the lab waits. Cases that check what the user agent sent read Conn.Sent.
func (l *Lab) AnswerAll() {
	if l.auto == nil {
		l.AutoLogin(false)
	}
	l.answerAll = true
}

func (l *Lab) answerOK(c *Conn, m *wire.Message) {
	resp := &wire.Message{Version: m.Version, ID: m.ID, Code: wire.StatusOK, Phrase: wire.Phrase(wire.StatusOK)}
	switch m.Method {
	case "SUBSCRIBE", "FETCH":
		to := m.Value("To")
		resp.Add("From", m.Value("From"))
		resp.Add("To", to)
		if m.Method == "SUBSCRIBE" {
			resp.Add("Duration", m.Value("Duration"))
		}
		withPresence(resp, to, OpenTuple("t1", "im:"+stripAnyScheme(to), "answered by the suite"))
	case "SEND", "NOTIFY":
		resp.Add("From", m.Value("From"))
		resp.Add("To", m.Value("To"))
	}
	c.Send(resp)
}

// ReleaseLogins sends the final answers AutoLogin held back and stops holding.
func (l *Lab) ReleaseLogins() {
	if l.auto == nil {
		return
	}
	held := l.auto.held
	l.auto.hold, l.auto.held = false, nil
	for _, hl := range held {
		hl.c.Respond(hl.m, wire.StatusOK, "SASL-Mech", hl.m.Value("SASL-Mech"), "Auth-State", hl.m.Value("Auth-State"))
	}
}

// serveLogins answers the LOGIN requests waiting in the connections' backlogs.
func (l *Lab) serveLogins() {
	a := l.auto
	if a == nil {
		return
	}
	for _, c := range l.conns {
		if a.except[c] {
			continue
		}
		for i := 0; i < len(c.backlog); i++ {
			m := c.backlog[i]
			if !m.IsRequest() {
				continue
			}
			if m.Method != "LOGIN" {
				if l.answerAll && m.ID != wire.NoResponse {
					c.backlog = append(c.backlog[:i], c.backlog[i+1:]...)
					i--
					l.answerOK(c, m)
				}
				continue
			}
			c.backlog = append(c.backlog[:i], c.backlog[i+1:]...)
			i--
			svc := serviceOf(m.Version)
			switch {
			case c.Service == "" || c.Service == svc:
				c.Service = svc
			default:
				c.Service = "shared"
			}
			if m.Value("Auth-State") != "init" && a.hold {
				a.held = append(a.held, heldLogin{c, m})
				continue
			}
			l.answerLogin(c, m, a.opts)
		}
	}
}

// Login has the user agent log in (driver "login") and plays the server's side of every
// LOGIN exchange on whatever connections it opens (AutoLogin), until the user agent reports
// the login result, which must be a success. AutoLogin stays on afterwards.
func (l *Lab) Login(opts ...LoginOptions) Session {
	ginkgo.GinkgoHelper()
	l.AutoLogin(false)
	if len(opts) > 0 {
		l.auto.opts = opts[0]
	}
	id := l.Do(Cmd{Cmd: "login", User: l.User, Password: l.Password})
	res := l.Result(id)
	if res.Code != wire.StatusOK && res.Code != wire.StatusAlreadyAuthenticated {
		l.h.Errorf("the user agent did not complete the suite's LOGIN exchange: %s", res)
	}
	return l.Session()
}

// Session returns the logged-in connections by service (the latest of each).
func (l *Lab) Session() Session {
	ginkgo.GinkgoHelper()
	var s Session
	for _, c := range l.conns {
		if c.Closed() {
			continue
		}
		switch c.Service {
		case "pres":
			s.Pres = c
		case "im":
			s.IM = c
		case "shared":
			s.Pres, s.IM = c, c
		}
	}
	if s.Pres == nil && s.IM == nil {
		l.h.Errorf("the user agent reported a login without sending LOGIN")
	}
	return s
}

// MustPres and MustIM return the session's connection for the service, or end the case as
// not applicable when the user agent did not log in to it.
func (s Session) MustPres(h *harness.H) *Conn {
	ginkgo.GinkgoHelper()
	if s.Pres == nil {
		h.NotApplicable("the user agent did not log in to the presence service")
	}
	return s.Pres
}

func (s Session) MustIM(h *harness.H) *Conn {
	ginkgo.GinkgoHelper()
	if s.IM == nil {
		h.NotApplicable("the user agent did not log in to the IM service")
	}
	return s.IM
}

// answerLogin plays the server's part of one LOGIN request.
func (l *Lab) answerLogin(c *Conn, m *wire.Message, o LoginOptions) {
	switch m.Value("Auth-State") {
	case "init":
		offered := splitMechs(m.Value("SASL-Mech"))
		mech := o.Mech
		if mech == "" {
			mech = pick(offered, "PLAIN", "CRAM-MD5")
		}
		resp := &wire.Message{Version: m.Version, ID: m.ID, Code: wire.StatusAuthContinued, Phrase: wire.Phrase(wire.StatusAuthContinued)}
		resp.Add("SASL-Mech", mech)
		resp.Add("Auth-State", "continue")
		if strings.EqualFold(mech, "CRAM-MD5") {
			resp.Add("Content-Type", "text/plain")
			resp.Body = []byte(Challenge)
		}
		c.Send(resp)
	default:
		c.Respond(m, wire.StatusOK, "SASL-Mech", m.Value("SASL-Mech"), "Auth-State", m.Value("Auth-State"))
	}
}

func splitMechs(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
}

func pick(offered []string, prefs ...string) string {
	for _, p := range prefs {
		for _, o := range offered {
			if strings.EqualFold(o, p) {
				return p
			}
		}
	}
	if len(offered) > 0 {
		return offered[0]
	}
	return "PLAIN"
}

// CRAMDigest is the CRAM-MD5 answer I2 §12.1 defines (PRIM-A12.1-16, Decision D10(d)):
// hex HMAC-MD5 keyed with the pass phrase over the challenge as sent.
func CRAMDigest(password, challenge string) string {
	mac := hmac.New(md5.New, []byte(password))
	mac.Write([]byte(challenge))
	return hex.EncodeToString(mac.Sum(nil))
}

// ---- what the suite's server sends ----

// Pres and IM return the identifiers of a user of the lab's domain.
func (l *Lab) Pres(user string) string { return "pres:" + user + "@" + l.Domain }
func (l *Lab) IM(user string) string   { return "im:" + user + "@" + l.Domain }

// Self returns the principal's identifier with the scheme of svc.
func (l *Lab) Self(svc string) string { return svc + ":" + l.User }

// Request builds a request from the server with a fresh id, the version of its method in the
// client profile, and header pairs.
func (l *Lab) Request(method string, headers ...string) *wire.Message {
	m := &wire.Message{Method: method, Version: wire.VersionFor(wire.ProfileClient, method), ID: l.h.NextID()}
	for i := 0; i+1 < len(headers); i += 2 {
		m.Add(headers[i], headers[i+1])
	}
	return m
}

// PresenceDoc returns a presence body of entity with the tuples, as a PRIM presence server
// would send it (application/presence, multipart/mixed for several tuples; I2 §14).
func PresenceDoc(entity string, tuples ...pidf.Tuple) (contentType string, body []byte) {
	for i := range tuples {
		if tuples[i].Timestamp.IsZero() {
			tuples[i].Timestamp = docDate
		}
		if tuples[i].DisplayName == "" {
			tuples[i].DisplayName = tuples[i].ID
		}
	}
	ct, b, err := pidf.FormatClientBody(pidf.Presence{Entity: entity, Tuples: tuples})
	if err != nil {
		panic(fmt.Sprintf("suite/client: presence document: %v", err))
	}
	return ct, b
}

// docDate is the date the suite's presence documents carry (PRIM-A14.5-1: numeric zone).
var docDate = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Notify builds a NOTIFY of from's presence to the lab's principal.
func (l *Lab) Notify(from string, tuples ...pidf.Tuple) *wire.Message {
	n := l.Request("NOTIFY", "From", from, "To", l.Self("pres"))
	withPresence(n, from, tuples...)
	return n
}

// withPresence sets m's body to the presence document and its entity headers.
func withPresence(m *wire.Message, entity string, tuples ...pidf.Tuple) {
	ct, body := PresenceDoc(entity, tuples...)
	if ct == pidf.TypePrim && len(tuples) == 1 {
		m.Add("Tuple-ID", tuples[0].ID) // PRIM-A14.2-2
	}
	m.Add("Content-Type", ct)
	m.Body = body
}

// OpenTuple returns an open tuple with a contact and a note.
func OpenTuple(id, contact, note string) pidf.Tuple {
	return pidf.Tuple{ID: id, Status: pidf.Open, Contact: contact, Note: note}
}
