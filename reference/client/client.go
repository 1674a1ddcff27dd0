// Package client is the PRIM user agent (draft-mazzoldi-prim-impp-02, the client profile of
// Decision D1) as a pure engine: publisher, watcher, sender and inbox.
//
// The package offers:
//   - [Client], an [engine.Engine] built by [New] from a [Config];
//   - the operations a user asks for, handed in as engine.Call{Op: op} (optionally wrapped in
//     [Tagged]): [Connect], [Login], [Publish], [Remove], [SetClassTable], [GetClassTable],
//     [SetACL], [GetACL], [Subscribe], [Unsubscribe], [Fetch], [StartWatcherNotify],
//     [StopWatcherNotify], [Listen], [Silence], [Send], [Logout], [Ping];
//   - the facts it observes, each rendering on one line: [Result] (exactly one per
//     operation), [Notification], [Message], [Watcher], [Cancelled], [Disconnected],
//     [ProtocolError].
//
// The client opens one connection per service (presence, IM) to its home server, or one
// shared connection (I2 §4.3) with Config.Shared; optionally upgrades them with STARTTLS;
// authenticates each service with a two-step SASL LOGIN (Decision D10), one exchange at a time
// on a shared connection; holds requests made while connecting or logging in until LOGIN has
// succeeded (no pipelining past LOGIN, prim-digest.md §3.5); allocates request ids and matches
// responses however they are pipelined or reordered; answers the server's requests (NOTIFY,
// WATCHERNOTIFY and SEND get a response, CANCELSUBSCRIPTION, PING and LOGOUT never do,
// Decision D6; an unknown method gets 501, Decision D8); follows 300 Redirect: it
// reconnects to the Redirect address, logs in again and reissues the request (I2 §9.1.5); and
// after 401 Unauthorized logs in again on the same connection and reissues the request once
// (PRIM-A18-2). 409 Already Authenticated to LOGIN counts as success (I2 §10.3.1). Identifiers
// the user types are put in the wire form of I2 §7.1, characters outside unreserved %-escaped
// (PRIM-A7.1-1), or refused locally when they cannot be made valid (ident.go).
//
// Like every engine it never reads the clock (the date in a published tuple is the now handed
// to Handle), never touches a socket and draws randomness (Message-ID, Conversation-ID) only
// from the *rand.Rand given to New.
package client

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/wire"
)

// Config fixes how a client reaches and talks to its home server.
type Config struct {
	// Server is the home server's client address, host:port (ports are never implied,
	// Decision D3).
	Server string
	// IMServer, if set, is a different address for the IM service.
	IMServer string
	// ID is the principal (user@domain, with or without scheme); Login may set it too.
	ID string
	// Shared uses one connection for both services (I2 §4.3, optional): STARTTLS once
	// (PRIM-A4.3-4), LOGIN twice, once per service (PRIM-A4.3-2, Decision D33).
	Shared bool
	// StartTLS upgrades every connection with STARTTLS before LOGIN (I2 §10.3.2); a refusal
	// (501) fails the connection rather than falling back to the clear.
	StartTLS bool
	// Mechs is the default SASL mechanism list in decreasing preference, space-separated
	// (default "CRAM-MD5 PLAIN").
	Mechs string
	// MaxContentLength, if positive, is declared in LOGIN (I2 §9.1.8, Decision D28).
	MaxContentLength int
	// InboxCode is the code the client answers a SEND with while listening (default 200). A
	// UA may answer 408 to hide that its inbox is open (PRIM-A10.2.1-3).
	InboxCode int
	// Services limits the client to some services (default both).
	Services []Service
	// PingInterval, if positive, sends PING on every authenticated connection that often: the
	// only liveness tool PRIM has (I2 §10.3.4, Decision D45).
	PingInterval time.Duration
}

// pingTimer is the one timer the client sets.
const pingTimer engine.TimerID = 1

// Client is the user-agent engine. It is not safe for concurrent use: a shell drives it.
type Client struct {
	cfg      Config
	rng      *rand.Rand
	seq      uint64 // last request id allocated
	sessions []*session
	conns    map[engine.ConnID]*conn

	user     string // user@domain in wire form (§3.8 escapes), no scheme
	idErr    error  // why Config.ID could not be used as the principal
	password string
	mechs    []string

	connectW *waiter
	loginW   *waiter

	listening bool
	pinging   bool // the PING timer is set
	now       time.Time
	// logoutHeld is the tag of a Logout that waits for connecting or logging in to end.
	logoutHeld *string
	out        []engine.Action
}

// phase is where a service's session stands.
type phase int

const (
	phaseIdle    phase = iota // no connection
	phaseDialing              // Dial sent
	phaseTLS                  // STARTTLS sent or handshake running
	phaseReady                // connected (and secured if asked), not authenticated
	phaseLogin                // LOGIN exchange running
	phaseAuthed               // LOGIN succeeded
	phaseFailed               // 406: no further requests on this connection (PRIM-A12.1-15)
)

// session is one service's view: its version token, address and connection.
type session struct {
	svc       Service
	version   string
	addr      string
	dialTag   string
	conn      *conn
	phase     phase
	redirects int
	// held are requests made while the session was connecting or logging in: a UA does not
	// pipeline past LOGIN (prim-digest.md §3.5); they go out once it is settled.
	held []heldRequest
	// relogin is set while a LOGIN runs on a connection that was already authenticated: if that
	// connection turns out dead, the Login dials again instead of failing (see closed).
	relogin bool
	// redialed is set once a Login has dialled again for this session, so it does so only once.
	redialed bool
}

type heldRequest struct {
	p      *pending
	method string
	h      []wire.Header
	body   []byte
}

// conn is one transport connection and the requests outstanding on it.
type conn struct {
	id       engine.ConnID
	dec      *wire.Decoder
	pending  map[string]*pending
	sessions []*session
	quiet    bool // closed on purpose (redirect): no Disconnected fact
}

type pendKind int

const (
	pendOp pendKind = iota
	pendStartTLS
	pendLoginInit
	pendLoginContinue
)

// pending is a request this client sent and whose response it awaits.
type pending struct {
	seq  uint64
	kind pendKind
	tag  string
	op   string
	sess *session
	mech string // login: the mechanisms offered / selected
	// for Send, the ids the result repeats
	messageID, conversationID string
	// req is what was sent, to reissue it after a 300 Redirect or a 401 Unauthorized
	req heldRequest
	// unauthorized is the 401 that made the client log in again before reissuing the request
	// (PRIM-A18-2); a request is reissued after 401 only once.
	unauthorized *wire.Message
}

// waiter aggregates Connect or Login over the services.
type waiter struct {
	silent bool // an internal login (after a redirect): no Result of its own
	tag    string
	op     string
	left   map[Service]bool
	code   int
	phrase string
	err    string
	id     string
}

// New returns a client. rng feeds Message-IDs and Conversation-IDs; it must not be nil.
func New(cfg Config, rng *rand.Rand) *Client {
	if cfg.Mechs == "" {
		cfg.Mechs = "CRAM-MD5 PLAIN"
	}
	if cfg.InboxCode == 0 {
		cfg.InboxCode = 200
	}
	svcs := cfg.Services
	if len(svcs) == 0 {
		svcs = []Service{Presence, IM}
	}
	c := &Client{cfg: cfg, rng: rng, conns: map[engine.ConnID]*conn{}}
	for _, s := range svcs {
		ver := wire.VersionPresence
		if s == IM {
			ver = wire.VersionIM
		}
		c.sessions = append(c.sessions, &session{svc: s, version: ver})
	}
	if cfg.ID != "" {
		c.user, c.idErr = principalID(cfg.ID) // PRIM-A7.1-1, PRIM-A7.1-6
	}
	c.mechs = splitMechs(cfg.Mechs)
	return c
}

// Handle implements engine.Engine.
func (c *Client) Handle(now time.Time, ev engine.Event) []engine.Action {
	c.out = nil
	c.now = now
	switch ev := ev.(type) {
	case engine.Call:
		c.call(now, ev.Op)
	case engine.Opened:
		c.opened(ev)
	case engine.DialFailed:
		c.dialFailed(ev)
	case engine.Bytes:
		c.bytes(ev)
	case engine.Closed:
		c.closed(ev.Conn, ev.Err)
	case engine.Secured:
		c.secured(ev)
	case engine.Timer:
		if ev.ID == pingTimer {
			c.keepalive(now)
		}
	}
	out := c.out
	c.out = nil
	return out
}

func (c *Client) emit(a engine.Action)  { c.out = append(c.out, a) }
func (c *Client) observe(f engine.Fact) { c.emit(engine.Observe{Fact: f}) }
func (c *Client) result(r Result)       { c.observe(r) }
func (c *Client) session(s Service) *session {
	for _, x := range c.sessions {
		if x.svc == s {
			return x
		}
	}
	return nil
}

// principal returns the identifier of the principal for a service: pres:u@d or im:u@d.
func (c *Client) principal(s Service) string {
	if c.user == "" {
		return ""
	}
	return string(s) + ":" + c.user
}

// ---- operations ----

func (c *Client) call(now time.Time, op any) {
	tag := ""
	if t, ok := op.(Tagged); ok {
		tag, op = t.Tag, t.Op
	}
	switch op := op.(type) {
	case Connect:
		c.connect(tag, "connect", op.Addr)
	case Login:
		c.login(tag, op)
	case Publish:
		c.publish(now, tag, op)
	case Remove:
		h := []wire.Header{{Name: "From", Value: c.principal(Presence)}, {Name: "Tuple-ID", Value: op.TupleID}}
		if len(op.Class) > 0 {
			h = append(h, wire.Header{Name: "Class", Value: strings.Join(op.Class, " ")})
		}
		c.request(tag, "remove", Presence, "REMOVE", h, nil)
	case SetClassTable:
		body := op.Body
		if body == nil {
			body = buildClassTable(op.Classes)
		}
		c.request(tag, "setclasstable", Presence, "SETCLASSTABLE", []wire.Header{
			{Name: "From", Value: c.principal(Presence)}, {Name: "Content-Type", Value: ctXML}}, body)
	case GetClassTable:
		c.request(tag, "getclasstable", Presence, "GETCLASSTABLE", c.fromOnly(Presence), nil)
	case SetACL:
		svc := svcOr(op.Service)
		body := op.Body
		if body == nil {
			for _, e := range op.Entries {
				for _, a := range e.Allow {
					if !validACLOp(a) {
						c.result(Result{Tag: tag, Op: "setacl", Err: fmt.Sprintf("unknown ACL operation %q (I2 §13.2)", a)})
						return
					}
				}
			}
			body = buildACL(op.Entries)
		}
		c.request(tag, "setacl", svc, "SETACL", []wire.Header{
			{Name: "From", Value: c.principal(svc)}, {Name: "Content-Type", Value: ctXML}}, body)
	case GetACL:
		svc := svcOr(op.Service)
		c.request(tag, "getacl", svc, "GETACL", c.fromOnly(svc), nil)
	case Subscribe:
		if to, ok := c.typedID(tag, "subscribe", Presence, op.To); ok {
			c.request(tag, "subscribe", Presence, "SUBSCRIBE", []wire.Header{
				{Name: "From", Value: c.principal(Presence)},
				{Name: "To", Value: to},
				{Name: "Duration", Value: strconv.Itoa(op.Duration)}}, nil)
		}
	case Unsubscribe:
		if to, ok := c.typedID(tag, "unsubscribe", Presence, op.To); ok {
			c.request(tag, "unsubscribe", Presence, "UNSUBSCRIBE", []wire.Header{
				{Name: "From", Value: c.principal(Presence)}, {Name: "To", Value: to}}, nil)
		}
	case Fetch:
		if to, ok := c.typedID(tag, "fetch", Presence, op.To); ok {
			c.request(tag, "fetch", Presence, "FETCH", []wire.Header{
				{Name: "From", Value: c.principal(Presence)}, {Name: "To", Value: to}}, nil)
		}
	case StartWatcherNotify:
		c.request(tag, "startwatchernotify", Presence, "STARTWATCHERNOTIFY", c.fromOnly(Presence), nil)
	case StopWatcherNotify:
		c.request(tag, "stopwatchernotify", Presence, "STOPWATCHERNOTIFY", c.fromOnly(Presence), nil)
	case Listen:
		c.request(tag, "listen", IM, "LISTEN", c.fromOnly(IM), nil)
	case Silence:
		c.request(tag, "silence", IM, "SILENCE", c.fromOnly(IM), nil)
	case Send:
		c.send(tag, op)
	case Logout:
		c.logout(tag)
	case Ping:
		svc := svcOr(op.Service)
		s := c.session(svc)
		if s == nil || s.conn == nil || s.phase == phaseFailed {
			c.result(Result{Tag: tag, Op: "ping", Err: "not connected"})
			return
		}
		c.write(s.conn, &wire.Message{Method: "PING", Version: s.version, ID: wire.NoResponse})
		c.result(Result{Tag: tag, Op: "ping", ID: wire.NoResponse})
	default:
		c.result(Result{Tag: tag, Op: "unknown", Err: fmt.Sprintf("unknown operation %T", op)})
	}
}

func svcOr(s Service) Service {
	if s == "" {
		return Presence
	}
	return s
}

func (c *Client) fromOnly(s Service) []wire.Header {
	return []wire.Header{{Name: "From", Value: c.principal(s)}}
}

// typedID turns an identifier the user typed for op into its wire form (PRIM-A7.1-1,
// PRIM-A7.1-6, Decision D38; see ident.go). One that cannot be made valid ends op with a local
// refusal, and nothing is sent.
func (c *Client) typedID(tag, op string, def Service, typed string) (string, bool) {
	id, err := wireID(def, typed)
	if err != nil {
		c.result(Result{Tag: tag, Op: op, Err: "refused: " + err.Error()})
		return "", false
	}
	return id, true
}

func (c *Client) publish(now time.Time, tag string, op Publish) {
	pi := op.PIType
	if pi == "" {
		pi = "permanent"
	}
	h := []wire.Header{{Name: "From", Value: c.principal(Presence)}, {Name: "PI-Type", Value: pi}}
	// PRIM-A11.1.1-8: Duration only with leased or renew.
	if (pi == "leased" || pi == "renew") && op.Duration > 0 {
		h = append(h, wire.Header{Name: "Duration", Value: strconv.Itoa(op.Duration)})
	}
	h = append(h, wire.Header{Name: "Tuple-ID", Value: op.TupleID})
	if len(op.Class) > 0 {
		h = append(h, wire.Header{Name: "Class", Value: strings.Join(op.Class, " ")})
	}
	body, ct := op.Body, op.ContentType
	if body == nil {
		// PRIM-A11.1.1-1: exactly one tuple document, also for renew/revert (Decision D29).
		var err error
		if body, err = buildTuple(c.principal(Presence), now, op); err != nil {
			c.result(Result{Tag: tag, Op: "publish", Err: err.Error()})
			return
		}
		ct = ""
	}
	if ct == "" {
		ct = ctPresence
	}
	h = append(h, wire.Header{Name: "Content-Type", Value: ct})
	c.request(tag, "publish", Presence, "PUBLISH", h, body)
}

func (c *Client) send(tag string, op Send) {
	to, ok := c.typedID(tag, "send", IM, op.To)
	if !ok {
		return
	}
	replyTo := ""
	if op.ReplyTo != "" {
		if replyTo, ok = c.typedID(tag, "send", IM, op.ReplyTo); !ok {
			return
		}
	}
	domain := c.user
	if i := strings.LastIndexByte(domain, '@'); i >= 0 {
		domain = domain[i+1:]
	}
	mid := op.MessageID
	if mid == "" {
		// PRIM-A9.4.1-1 / PRIM-S6.4.1-1: unique per IM; Decision D9 token syntax.
		mid = fmt.Sprintf("%016x@%s", c.rng.Uint64(), domain)
	}
	cid := op.ConversationID
	if cid == "" {
		cid = fmt.Sprintf("%016x", c.rng.Uint64())
	}
	ct := op.ContentType
	if ct == "" {
		ct = "text/plain; charset=UTF-8"
	}
	h := []wire.Header{
		{Name: "From", Value: c.principal(IM)},
		{Name: "To", Value: to},
		{Name: "Message-ID", Value: mid},
		{Name: "Conversation-ID", Value: cid},
	}
	if replyTo != "" {
		h = append(h, wire.Header{Name: "Reply-To", Value: replyTo})
	}
	h = append(h, wire.Header{Name: "Content-Type", Value: ct}) // PRIM-A15-1
	if p := c.request(tag, "send", IM, "SEND", h, op.Body); p != nil {
		p.messageID, p.conversationID = mid, cid
	}
}

// request sends a response-bearing request on the session of svc and records it.
func (c *Client) request(tag, op string, svc Service, method string, h []wire.Header, body []byte) *pending {
	s := c.session(svc)
	switch {
	case s == nil:
		c.result(Result{Tag: tag, Op: op, Err: fmt.Sprintf("service %q not configured", svc)})
		return nil
	case s.phase == phaseFailed:
		c.result(Result{Tag: tag, Op: op, Err: "authentication failed: no further requests on this connection (PRIM-A12.1-15)"})
		return nil
	case s.phase == phaseIdle:
		c.result(Result{Tag: tag, Op: op, Err: "not connected"})
		return nil
	}
	p := &pending{kind: pendOp, tag: tag, op: op, sess: s}
	if s.busy(c) {
		s.held = append(s.held, heldRequest{p: p, method: method, h: h, body: body})
		return p
	}
	c.sendRequest(s, p, method, h, body)
	return p
}

// busy reports whether s is connecting or logging in, so new requests must wait.
func (s *session) busy(c *Client) bool {
	switch s.phase {
	case phaseDialing, phaseTLS, phaseLogin:
		return true
	case phaseReady:
		return c.loginW != nil && c.loginW.left[s.svc]
	}
	return false
}

// settle sends the requests held while s was busy, or fails them with reason.
func (c *Client) settle(s *session, reason string) {
	if len(s.held) == 0 || (reason == "" && s.busy(c)) {
		return
	}
	held := s.held
	s.held = nil
	for _, hr := range held {
		if reason != "" || s.conn == nil || s.phase == phaseFailed {
			if reason == "" {
				reason = "not connected"
			}
			r := Result{Tag: hr.p.tag, Op: hr.p.op, Err: reason,
				MessageID: hr.p.messageID, ConversationID: hr.p.conversationID}
			if u := hr.p.unauthorized; u != nil {
				// The request was answered 401 and logging in again failed: the 401 is its
				// answer, and Err says why it was not reissued (PRIM-A18-2).
				r.ID, r.Code, r.Phrase = u.ID, u.Code, u.Phrase
				r.Err = fmt.Sprintf("%d %s, and logging in again failed: %s", u.Code, u.Phrase, reason)
			}
			c.result(r)
			continue
		}
		c.sendRequest(s, hr.p, hr.method, hr.h, hr.body)
	}
}

func (c *Client) sendRequest(s *session, p *pending, method string, h []wire.Header, body []byte) string {
	c.seq++
	p.seq = c.seq
	id := strconv.FormatUint(c.seq, 10)
	s.conn.pending[id] = p
	p.req = heldRequest{method: method, h: h, body: body}
	c.write(s.conn, &wire.Message{Method: method, Version: s.version, ID: id, Headers: h, Body: body})
	return id
}

func (c *Client) write(cn *conn, m *wire.Message) {
	c.emit(engine.Write{Conn: cn.id, Data: m.Bytes()})
}

// ---- connecting ----

func (c *Client) connect(tag, op, addr string) {
	if addr == "" {
		addr = c.cfg.Server
	}
	if addr == "" {
		c.result(Result{Tag: tag, Op: op, Err: "no server address"})
		return
	}
	if op == "connect" && c.connectW != nil {
		c.result(Result{Tag: tag, Op: op, Err: "connect already in progress"})
		return
	}
	w := &waiter{tag: tag, op: op, left: map[Service]bool{}}
	for _, s := range c.sessions {
		if s.phase >= phaseReady && s.phase != phaseFailed {
			continue
		}
		w.left[s.svc] = true
	}
	if len(w.left) == 0 {
		if op == "connect" {
			c.result(Result{Tag: tag, Op: op, Code: 0})
		}
		return
	}
	if op == "connect" {
		c.connectW = w
	}
	shared := map[string]bool{}
	for _, s := range c.sessions {
		if !w.left[s.svc] || s.phase == phaseDialing || s.phase == phaseTLS {
			continue
		}
		c.detach(s)
		s.addr = addr
		if s.svc == IM && c.cfg.IMServer != "" && !c.cfg.Shared {
			s.addr = c.cfg.IMServer
		}
		s.dialTag = string(s.svc)
		if c.cfg.Shared {
			s.dialTag = "shared"
		}
		s.phase = phaseDialing
		if !shared[s.dialTag] {
			shared[s.dialTag] = true
			c.emit(engine.Dial{Tag: s.dialTag, Addr: s.addr})
		}
	}
}

func (c *Client) opened(ev engine.Opened) {
	cn := &conn{id: ev.Conn, dec: wire.NewDecoder(decoderLimits()), pending: map[string]*pending{}}
	for _, s := range c.sessions {
		if s.phase == phaseDialing && s.dialTag == ev.Tag {
			s.conn = cn
			cn.sessions = append(cn.sessions, s)
		}
	}
	if len(cn.sessions) == 0 {
		c.emit(engine.Close{Conn: ev.Conn}) // a connection nobody waits for
		return
	}
	c.conns[ev.Conn] = cn
	if c.cfg.StartTLS {
		// I2 §10.3.2 / PRIM-A4.3-4: once per connection, before anything else.
		s := cn.sessions[0]
		for _, x := range cn.sessions {
			x.phase = phaseTLS
		}
		c.sendRequest(s, &pending{kind: pendStartTLS, op: "starttls", sess: s}, "STARTTLS", nil, nil)
		return
	}
	for _, s := range cn.sessions {
		s.phase = phaseReady
		c.advance(s)
	}
}

func (c *Client) dialFailed(ev engine.DialFailed) {
	for _, s := range c.sessions {
		if s.phase == phaseDialing && s.dialTag == ev.Tag {
			s.phase = phaseIdle
			c.sessionDone(s, 0, "", fmt.Sprintf("dial %s: %v", s.addr, ev.Err))
		}
	}
}

func (c *Client) secured(ev engine.Secured) {
	cn := c.conns[ev.Conn]
	if cn == nil {
		return
	}
	if ev.Err != nil {
		for _, s := range cn.sessions {
			c.sessionDone(s, 0, "", fmt.Sprintf("TLS handshake: %v", ev.Err))
		}
		c.emit(engine.Close{Conn: cn.id, Abort: true})
		return
	}
	for _, s := range cn.sessions {
		s.phase = phaseReady
		c.advance(s)
	}
}

// advance moves a ready session on: it completes Connect and starts a pending Login.
func (c *Client) advance(s *session) {
	if s.phase == phaseReady {
		if c.connectW != nil && c.connectW.left[s.svc] {
			c.finish(&c.connectW, s.svc, 0, "", "")
		}
		if c.loginW != nil && c.loginW.left[s.svc] {
			c.startLogin(s)
		}
		c.settle(s, "")
		c.heldLogout()
	}
}

// sessionDone records the end of a session's part in Connect or Login (code 0 + err for a
// local failure).
func (c *Client) sessionDone(s *session, code int, phrase, err string) {
	if c.connectW != nil && c.connectW.left[s.svc] {
		c.finish(&c.connectW, s.svc, code, phrase, err)
	}
	if c.loginW != nil && c.loginW.left[s.svc] {
		c.finish(&c.loginW, s.svc, code, phrase, err)
	}
	switch {
	case err != "":
		c.settle(s, err)
	case code != 0 && !authenticated(code):
		c.settle(s, fmt.Sprintf("not sent: login ended with %d %s", code, phrase))
	default:
		c.settle(s, "")
	}
	c.heldLogout()
}

// heldLogout runs a Logout that waited, once no session is busy any more.
func (c *Client) heldLogout() {
	if c.logoutHeld == nil {
		return
	}
	for _, s := range c.sessions {
		if s.busy(c) || len(s.held) > 0 {
			return
		}
	}
	tag := *c.logoutHeld
	c.logoutHeld = nil
	c.logout(tag)
}

// finish marks svc done in *wp and emits the Result when every service is done. The result
// carries the first failure, else the last success.
func (c *Client) finish(wp **waiter, svc Service, code int, phrase, err string) {
	w := *wp
	delete(w.left, svc)
	if prevFailed := w.err != "" || (w.code != 0 && !authenticated(w.code)); !prevFailed {
		w.code, w.phrase, w.err = code, phrase, err
	}
	if len(w.left) == 0 {
		*wp = nil
		if !w.silent {
			c.result(Result{Tag: w.tag, Op: w.op, ID: w.id, Code: w.code, Phrase: w.phrase, Err: w.err})
		}
	}
}

// ---- login (I2 §10.3.1, §12.1) ----

func (c *Client) login(tag string, op Login) {
	if op.ID != "" {
		// PRIM-A7.1-6: accept the identifier without scheme; PRIM-A7.1-1: escape it.
		user, err := principalID(op.ID)
		if err != nil {
			c.result(Result{Tag: tag, Op: "login", Err: "refused: " + err.Error()})
			return
		}
		c.user, c.idErr = user, nil
	}
	if op.Password != "" {
		c.password = op.Password
	}
	if op.Mech != "" {
		c.mechs = splitMechs(op.Mech)
	}
	if c.user == "" {
		err := "no principal: give an identifier"
		if c.idErr != nil {
			err = "no principal: Config.ID refused: " + c.idErr.Error()
		}
		c.result(Result{Tag: tag, Op: "login", Err: err})
		return
	}
	if c.loginW != nil {
		c.result(Result{Tag: tag, Op: "login", Err: "login already in progress"})
		return
	}
	needConnect := false
	for _, s := range c.sessions {
		if s.phase == phaseIdle || s.phase == phaseFailed {
			needConnect = true
		}
	}
	if needConnect && c.cfg.Server == "" {
		c.result(Result{Tag: tag, Op: "login", Err: "not connected and no server address"})
		return
	}
	w := &waiter{tag: tag, op: "login", left: map[Service]bool{}}
	for _, s := range c.sessions {
		w.left[s.svc] = true
	}
	c.loginW = w
	for _, s := range c.sessions {
		s.redialed = false
		switch s.phase {
		case phaseReady, phaseAuthed:
			// PRIM-A10.3.1-1: LOGIN on an established connection. A second LOGIN after success
			// is sent too: the server answers 409 (I2 §10.3.1), which counts as success.
			c.startLogin(s)
		}
	}
	if needConnect {
		c.connect("", "login-connect", "")
	}
}

func (c *Client) startLogin(s *session) {
	if s.conn != nil {
		for _, x := range s.conn.sessions {
			if x != s && x.phase == phaseLogin {
				// Shared connection: one SASL exchange at a time, so a server that keeps one
				// exchange per connection does not take the second init for a restart
				// (PRIM-A18-4). The next starts when this one ends (nextLogin).
				return
			}
		}
	}
	s.relogin = s.phase == phaseAuthed
	s.phase = phaseLogin
	h := []wire.Header{
		{Name: "From", Value: c.principal(s.svc)},              // PRIM-A10.3.1-2
		{Name: "Auth-State", Value: "init"},                    // PRIM-A12.1-5
		{Name: "SASL-Mech", Value: strings.Join(c.mechs, " ")}, // PRIM-A9.1.4-1, Decision D21: emit SP-separated
	}
	if c.cfg.MaxContentLength > 0 {
		h = append(h, wire.Header{Name: "Max-Content-Length", Value: strconv.Itoa(c.cfg.MaxContentLength)})
	}
	p := &pending{kind: pendLoginInit, op: "login", sess: s, mech: strings.Join(c.mechs, " ")}
	id := c.sendRequest(s, p, "LOGIN", h, nil)
	if c.loginW != nil {
		c.loginW.id = id
	}
}

func (c *Client) loginResponse(p *pending, m *wire.Message) {
	s := p.sess
	defer c.nextLogin(s.conn)
	if c.loginW != nil {
		c.loginW.id = m.ID
	}
	switch {
	case m.Code == 100 && p.kind == pendLoginInit:
		// PRIM-A10.3.1-10, PRIM-A12.1-9: continue with the selected mechanism's data.
		mech := ""
		for _, sel := range splitMechs(m.Value("SASL-Mech")) {
			if containsFold(c.mechs, sel) && supportedMech(sel) {
				mech = strings.ToUpper(sel)
				break
			}
		}
		if mech == "" {
			c.loginFailed(s, m.Code, m.Phrase, fmt.Sprintf("server selected mechanism %q, not one offered", m.Value("SASL-Mech")))
			return
		}
		body, err := mechBody(mech, c.user, c.password, m.Body)
		if err != nil {
			c.loginFailed(s, m.Code, m.Phrase, err.Error())
			return
		}
		h := []wire.Header{
			{Name: "From", Value: c.principal(s.svc)},
			{Name: "Auth-State", Value: "continue"},
			{Name: "SASL-Mech", Value: mech}, // PRIM-A12.1-10: exactly the selected mechanism
		}
		if len(body) > 0 {
			h = append(h, wire.Header{Name: "Content-Type", Value: ctText})
		}
		c.sendRequest(s, &pending{kind: pendLoginContinue, op: "login", sess: s, mech: mech}, "LOGIN", h, body)
	case m.Code == 200 || m.Code == 409:
		// 409 Already Authenticated: the principal is authenticated (I2 §10.3.1).
		s.phase = phaseAuthed
		c.armPing(c.now)
		c.sessionDone(s, m.Code, m.Phrase, "")
	case m.Code == 300:
		c.redirect(s, m)
	case m.Code == 406:
		// PRIM-A12.1-15: no other request on this connection; the server drops it.
		s.phase = phaseFailed
		c.sessionDone(s, m.Code, m.Phrase, "")
		if s.conn != nil {
			c.emit(engine.Close{Conn: s.conn.id})
		}
	default:
		c.loginFailed(s, m.Code, m.Phrase, "")
	}
}

// nextLogin starts a login that waited for another service's exchange on a shared connection.
func (c *Client) nextLogin(cn *conn) {
	if cn == nil || c.loginW == nil {
		return
	}
	failed := false
	for _, x := range cn.sessions {
		if x.phase == phaseLogin {
			return
		}
		failed = failed || x.phase == phaseFailed
	}
	for _, x := range cn.sessions {
		if failed && c.loginW != nil && c.loginW.left[x.svc] {
			// PRIM-A12.1-15: nothing more on this connection after 406.
			x.phase = phaseFailed
			c.sessionDone(x, 0, "", "not attempted: authentication failed on the shared connection")
			continue
		}
		if !failed && x.phase == phaseReady && c.loginW.left[x.svc] {
			c.startLogin(x)
			return
		}
	}
}

func (c *Client) loginFailed(s *session, code int, phrase, err string) {
	s.phase = phaseReady
	c.sessionDone(s, code, phrase, err)
}

// redirect follows a 300 Redirect answer to LOGIN: reconnect to the address in the Redirect
// header (`address SP port`, I2 §9.1.5) and log in there.
func (c *Client) redirect(s *session, m *wire.Message) {
	host, port, ok := strings.Cut(m.Value("Redirect"), " ")
	if !ok || host == "" || port == "" {
		c.loginFailed(s, m.Code, m.Phrase, fmt.Sprintf("300 without a usable Redirect header: %q", m.Value("Redirect")))
		return
	}
	if s.redirects >= 3 {
		c.loginFailed(s, m.Code, m.Phrase, "too many redirects")
		return
	}
	addr := net.JoinHostPort(host, port)
	old := s.conn
	movers := []*session{s}
	if old != nil && len(old.sessions) > 1 {
		movers = old.sessions
	}
	if old != nil {
		old.quiet = true
		old.sessions = nil
		c.emit(engine.Close{Conn: old.id})
	}
	for _, x := range movers {
		x.redirects++
		x.conn = nil
		x.addr = addr
		x.phase = phaseDialing
		x.dialTag = string(x.svc) + "@" + addr
		if c.cfg.Shared {
			x.dialTag = "shared@" + addr
		}
	}
	c.emit(engine.Dial{Tag: movers[0].dialTag, Addr: addr})
	if c.cfg.Shared {
		return
	}
	for _, x := range movers[1:] {
		c.emit(engine.Dial{Tag: x.dialTag, Addr: addr})
	}
}

// followRedirect handles 300 Redirect to an operation (I2 §9.1.5, prim-digest.md §3.11: "reconnect
// to the server in the Redirect header and reissue"): the session moves to the new address,
// logs in again with the same credentials, and the request goes out again there. It returns
// false when the redirect cannot be followed (bad header, too many hops, a login running); the
// 300 is then the operation's result.
func (c *Client) followRedirect(p *pending, m *wire.Message) bool {
	s := p.sess
	host, port, ok := strings.Cut(m.Value("Redirect"), " ")
	if !ok || host == "" || port == "" || s.redirects >= 3 || c.loginW != nil || c.user == "" {
		return false
	}
	held := heldRequest{p: p, method: p.req.method, h: p.req.h, body: p.req.body}
	w := &waiter{silent: true, op: "login", left: map[Service]bool{}}
	movers := []*session{s}
	if s.conn != nil && len(s.conn.sessions) > 1 {
		movers = s.conn.sessions
	}
	for _, x := range movers {
		w.left[x.svc] = true
	}
	s.held = append([]heldRequest{held}, s.held...)
	c.loginW = w
	c.redirect(s, m)
	return true
}

// reauthenticate handles 401 Unauthorized to an operation. PRIM-A18-2 (MUST): after 401 the
// client authenticates with LOGIN. The session runs the LOGIN exchange again on the same
// connection with the principal and pass phrase it has, and the request goes out once more
// after LOGIN succeeds; if LOGIN fails, the operation's Result is the 401 with Err saying how
// LOGIN ended (settle). It returns false when it cannot log in again: the request was already
// reissued once, no principal is known, or the connection is gone or failed (PRIM-A12.1-15);
// the 401 is then the operation's result.
func (c *Client) reauthenticate(p *pending, m *wire.Message) bool {
	s := p.sess
	if p.unauthorized != nil || c.user == "" || s.conn == nil || s.phase == phaseFailed || s.phase == phaseIdle {
		return false
	}
	p.unauthorized = m
	hr := heldRequest{p: p, method: p.req.method, h: p.req.h, body: p.req.body}
	// Reissued requests go first, in the order they were first sent; requests made since
	// the 401 follow them.
	i := 0
	for i < len(s.held) && s.held[i].p.unauthorized != nil && s.held[i].p.seq < p.seq {
		i++
	}
	s.held = append(s.held[:i], append([]heldRequest{hr}, s.held[i:]...)...)
	if c.loginW != nil && c.loginW.left[s.svc] {
		return true // a LOGIN for this service is running or queued (an earlier 401, the user's Login)
	}
	if c.loginW == nil {
		c.loginW = &waiter{silent: true, op: "login", left: map[Service]bool{}}
	}
	c.loginW.left[s.svc] = true
	if s.phase == phaseAuthed {
		s.phase = phaseReady // the server says this connection is not authenticated
	}
	c.startLogin(s) // on a shared connection it waits for the other service's exchange
	return true
}

// keepalive sends PING on each authenticated connection and sets the next round (Decision D45).
func (c *Client) keepalive(now time.Time) {
	c.pinging = false
	seen := map[*conn]bool{}
	for _, s := range c.sessions {
		if s.conn == nil || s.phase != phaseAuthed || seen[s.conn] {
			continue
		}
		seen[s.conn] = true
		c.write(s.conn, &wire.Message{Method: "PING", Version: s.version, ID: wire.NoResponse})
	}
	if len(seen) > 0 {
		c.armPing(now)
	}
}

// armPing sets the PING timer if keepalive is on and it is not set yet.
func (c *Client) armPing(now time.Time) {
	if c.cfg.PingInterval <= 0 || c.pinging {
		return
	}
	c.pinging = true
	c.emit(engine.SetTimer{ID: pingTimer, At: now.Add(c.cfg.PingInterval)})
}

// ---- logout ----

func (c *Client) logout(tag string) {
	for _, s := range c.sessions {
		if s.busy(c) || len(s.held) > 0 {
			if c.logoutHeld != nil {
				c.result(Result{Tag: tag, Op: "logout", Err: "logout already pending"})
				return
			}
			c.logoutHeld = &tag // after the requests made before it
			return
		}
	}
	sent := false
	var closing []*conn
	for _, s := range c.sessions {
		if s.conn == nil {
			continue
		}
		if s.phase != phaseFailed { // PRIM-A12.1-15: nothing more after 406
			c.write(s.conn, &wire.Message{Method: "LOGOUT", Version: s.version, ID: wire.NoResponse})
			sent = true
			s.phase = phaseReady
		}
		if len(closing) == 0 || closing[len(closing)-1] != s.conn {
			closing = append(closing, s.conn)
		}
	}
	// Decision D31: the sender of LOGOUT closes the connection.
	for _, cn := range closing {
		c.emit(engine.Close{Conn: cn.id})
	}
	if !sent {
		c.result(Result{Tag: tag, Op: "logout", Err: "not connected"})
		return
	}
	c.result(Result{Tag: tag, Op: "logout", ID: wire.NoResponse})
}

// ---- receiving ----

func (c *Client) bytes(ev engine.Bytes) {
	cn := c.conns[ev.Conn]
	if cn == nil {
		return
	}
	cn.dec.Feed(ev.Data)
	for {
		m, err := cn.dec.Next()
		if err != nil {
			c.observe(ProtocolError{Service: cn.service(), Err: err.Error()})
			var we *wire.Error
			if errors.As(err, &we) && !we.Fatal {
				if we.Method != "" && we.ID != "" && we.ID != wire.NoResponse {
					// A request the client cannot read: 400 (prim-digest.md §3.12 step 3).
					c.write(cn, &wire.Message{Version: we.Version, ID: we.ID, Code: 400, Phrase: phrase(400)})
				}
				continue // the bad command was consumed; decoding goes on
			}
			c.emit(engine.Close{Conn: cn.id, Abort: true})
			return
		}
		if m == nil {
			return
		}
		if max := c.cfg.MaxContentLength; max > 0 && len(m.Body) > max {
			// PRIM-A9.1.8-1, Decision D28: the server must not send us more than we declared.
			c.observe(ProtocolError{Service: cn.service(), Err: fmt.Sprintf("%q carries %d octets, over the Max-Content-Length %d declared at LOGIN (PRIM-A9.1.8-1)", m.StartLine(), len(m.Body), max)})
		}
		if m.IsRequest() {
			c.serverRequest(cn, m)
		} else {
			c.response(cn, m)
		}
		if c.conns[ev.Conn] != cn { // closed while handling
			return
		}
	}
}

func (cn *conn) service() Service {
	if len(cn.sessions) == 1 {
		return cn.sessions[0].svc
	}
	return ""
}

func (c *Client) response(cn *conn, m *wire.Message) {
	p := cn.pending[m.ID]
	if p == nil {
		c.observe(ProtocolError{Service: cn.service(), Err: fmt.Sprintf("response %q matches no outstanding request", m.StartLine())})
		return
	}
	delete(cn.pending, m.ID)
	switch p.kind {
	case pendStartTLS:
		if m.Code == 200 {
			// Decision D32: the STARTTLS sender plays the TLS client.
			c.emit(engine.StartTLS{Conn: cn.id, Client: true})
			return
		}
		for _, s := range cn.sessions {
			c.sessionDone(s, m.Code, m.Phrase, "STARTTLS refused")
		}
		c.emit(engine.Close{Conn: cn.id})
	case pendLoginInit, pendLoginContinue:
		c.loginResponse(p, m)
	default:
		if m.Code == 300 && c.followRedirect(p, m) {
			return
		}
		if m.Code == wire.StatusUnauthorized && c.reauthenticate(p, m) {
			return
		}
		c.result(c.opResult(p, m))
	}
}

// opResult turns a response into the operation's Result, reading the body where the method
// defines one.
func (c *Client) opResult(p *pending, m *wire.Message) Result {
	r := Result{Tag: p.tag, Op: p.op, ID: m.ID, Code: m.Code, Phrase: m.Phrase,
		MessageID: p.messageID, ConversationID: p.conversationID}
	if len(m.Body) > 0 {
		r.Body = string(m.Body)
	}
	if m.Code == 300 {
		r.Redirect = m.Value("Redirect")
	}
	ok := m.Code/100 == 2
	var err error
	switch p.op {
	case "subscribe", "fetch":
		r.Duration = m.Value("Duration")
		if ok {
			// Decision D25: 200 and 201 both carry the watcher-visible presence.
			r.Tuples, err = parsePresenceBody(m.Value("Content-Type"), m.Value("Tuple-ID"), m.Body)
			if r.Tuples == nil {
				r.Tuples = []Tuple{}
			}
		}
	case "startwatchernotify":
		if ok {
			r.Watchers, err = parseSubscribers(m.Body)
			if r.Watchers == nil {
				r.Watchers = []string{}
			}
		}
	case "getclasstable":
		if ok {
			r.Classes, err = parseClassTable(m.Body)
		}
	case "getacl":
		if ok {
			r.ACL, err = parseACL(m.Body)
		}
	case "listen":
		if ok {
			c.listening = true
		}
	case "silence":
		if ok || m.Code == 408 {
			c.listening = false
		}
	}
	if err != nil {
		r.Err = "unreadable body: " + err.Error()
	}
	return r
}

// serverRequest answers a request the server sent (I2 Table 2, S->C commands).
func (c *Client) serverRequest(cn *conn, m *wire.Message) {
	reply := func(code int, echo ...string) {
		if m.ID == wire.NoResponse { // Decision D6: a "-" request is never answered
			return
		}
		r := &wire.Message{Version: m.Version, ID: m.ID, Code: code, Phrase: phrase(code)} // Decision D34
		for _, name := range echo {
			if v, ok := m.Get(name); ok {
				r.Add(name, v)
			}
		}
		c.write(cn, r)
	}
	switch m.Method {
	case "NOTIFY":
		tuples, err := parsePresenceBody(m.Value("Content-Type"), m.Value("Tuple-ID"), m.Body)
		n := Notification{From: m.Value("From"), To: m.Value("To"), Tuples: tuples}
		code := 200
		if err != nil {
			n.Err = err.Error()
			code = 400 // I2 §10.1.4: body not valid: presence not accepted
		}
		reply(code, "From", "To")
		c.observe(n)
	case "WATCHERNOTIFY":
		reply(200, "From", "To") // response codes unlisted: 200 (prim-digest.md §3.9.2)
		c.observe(Watcher{Watcher: m.Value("From"), Presentity: m.Value("To"), Type: m.Value("Watcher-Type")})
	case "CANCELSUBSCRIPTION":
		// No response, whatever the id (Decision D6).
		c.observe(Cancelled{From: m.Value("From"), To: m.Value("To")})
	case "SEND":
		code := 408 // not listening: the inbox is closed on this connection
		if c.listening {
			code = c.cfg.InboxCode
		}
		reply(code, "From", "To", "Message-ID", "Conversation-ID")
		c.observe(Message{From: m.Value("From"), To: m.Value("To"), MessageID: m.Value("Message-ID"),
			ConversationID: m.Value("Conversation-ID"), ReplyTo: m.Value("Reply-To"),
			ContentType: m.Value("Content-Type"), Body: string(m.Body), Reply: code})
	case "PING", "LOGOUT":
		// No response (I2 §10.3.3-10.3.4, Decision D6).
	default:
		reply(501) // Decision D8: unknown or unexpected method
	}
}

func (c *Client) closed(id engine.ConnID, err error) {
	cn := c.conns[id]
	if cn == nil {
		return
	}
	delete(c.conns, id)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	ps := make([]*pending, 0, len(cn.pending))
	for _, p := range cn.pending {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].seq < ps[j].seq })
	redial := false
	for _, s := range cn.sessions {
		if s.conn != cn {
			continue
		}
		if s.svc == IM {
			c.listening = false // Decision D31: the connection's LISTEN ends with it
		}
		was := s.phase
		s.conn = nil
		if s.phase != phaseFailed {
			s.phase = phaseIdle
		}
		// prim-digest.md §7.6, Decision D31: losing the connection is an implicit LOGOUT. A Login
		// sent on a connection believed authenticated (a server that crashed and restarted
		// resets it only when written to) finds it dead: dial again and log in on the new
		// connection (PRIM-A10.3.1-1), once per Login, instead of failing the Login.
		retry := s.phase == phaseIdle && c.loginW != nil && c.loginW.left[s.svc] && !s.redialed &&
			c.cfg.Server != "" && (was == phaseAuthed || (was == phaseLogin && s.relogin))
		s.relogin = false
		if retry {
			s.redialed = true
			redial = true
		} else if was == phaseDialing || was == phaseTLS || was == phaseLogin || was == phaseReady {
			c.sessionDone(s, 0, "", "connection closed")
		}
		if !cn.quiet {
			c.observe(Disconnected{Service: s.svc, Err: msg})
		}
	}
	for _, p := range ps {
		if p.kind == pendOp {
			c.result(Result{Tag: p.tag, Op: p.op, ID: strconv.FormatUint(p.seq, 10), Err: "connection closed before the response",
				MessageID: p.messageID, ConversationID: p.conversationID})
		}
	}
	if redial && c.loginW != nil {
		c.connect("", "login-connect", "")
	}
}

// ---- small helpers ----

// decoderLimits are wire's defaults with room for larger bodies: a user agent receives whole
// presence documents and instant messages it asked for.
func decoderLimits() wire.Limits {
	l := wire.DefaultLimits()
	l.MaxBody = 16 << 20
	return l
}

// detach takes s off its connection (a failed one it is about to replace).
func (c *Client) detach(s *session) {
	if s.conn == nil {
		return
	}
	old := s.conn
	kept := old.sessions[:0]
	for _, x := range old.sessions {
		if x != s {
			kept = append(kept, x)
		}
	}
	old.sessions = kept
	s.conn = nil
	if len(kept) == 0 {
		old.quiet = true
		c.emit(engine.Close{Conn: old.id})
	}
}

// authenticated reports whether a final LOGIN code leaves the principal authenticated: 2xx,
// or 409 Already Authenticated (I2 §10.3.1, Decision D33).
func authenticated(code int) bool {
	return code/100 == 2 || code == wire.StatusAlreadyAuthenticated
}

func splitMechs(v string) []string {
	// Decision D21: accept SP, comma, or comma+SP.
	return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

var phrases = map[int]string{
	200: "OK", 400: "Bad Request", 408: "Inbox Is Closed", 501: "Not Implemented",
}

// phrase returns the Appendix A phrase for the codes the client itself sends (Decision D4).
func phrase(code int) string {
	if p, ok := phrases[code]; ok {
		return p
	}
	return "Status " + strconv.Itoa(code)
}
