package server

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/addr"
	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/wire"
)

// Server is the home-server engine. Create it with New; drive it with Handle.
type Server struct {
	cfg       Config
	lim       Limits
	rng       *rand.Rand
	domainKey string
	accounts  map[string]string // canonical local part -> pass phrase

	now time.Time
	out []engine.Action

	conns     map[engine.ConnID]*conn
	nextTimer engine.TimerID
	timers    map[engine.TimerID]func()
	localIPs  map[string]bool // addresses this server was reached at (VERIFYSERVER)

	presentities map[string]*presentity // by canonical local part
	inboxes      map[string]*inbox      // by canonical local part
	watcherCount map[string]int         // subscriptions held per watcher key (505)

	peers    map[string]*peer  // outbound server-server state, by canonical domain
	upstream map[string]*upSub // local watchers' subscriptions to remote presentities
	bySubID  map[string]*upSub // the same, by Subscription-ID
	nextSub  int

	// Peer domains whose server-server link was lost: their relayed subscriptions are
	// resynchronised once it is back (resync.go). Created on first use.
	linkLost map[string]bool
	// Pending retries of those links, while relayed subscriptions still need them (resync.go).
	relink map[string]*relink
}

var _ engine.Engine = (*Server)(nil)

// New returns a server for cfg. cfg should have passed Validate; New panics only on a
// nil rng. rng supplies CRAM-MD5 challenges.
func New(cfg Config, rng *rand.Rand) *Server {
	if rng == nil {
		panic("server: New needs a *rand.Rand")
	}
	s := &Server{
		cfg:          cfg,
		lim:          cfg.Limits.withDefaults(),
		rng:          rng,
		domainKey:    addr.CanonicalDomain(cfg.Domain),
		accounts:     map[string]string{},
		conns:        map[engine.ConnID]*conn{},
		timers:       map[engine.TimerID]func(){},
		localIPs:     map[string]bool{},
		presentities: map[string]*presentity{},
		inboxes:      map[string]*inbox{},
		watcherCount: map[string]int{},
		peers:        map[string]*peer{},
		upstream:     map[string]*upSub{},
		bySubID:      map[string]*upSub{},
	}
	for _, u := range sortedKeys(cfg.Accounts) {
		s.accounts[canonLocal(u)] = cfg.Accounts[u]
	}
	return s
}

// Config returns the configuration the server was built with.
func (s *Server) Config() Config { return s.cfg }

// Handle implements engine.Engine.
func (s *Server) Handle(now time.Time, ev engine.Event) []engine.Action {
	if now.After(s.now) {
		s.now = now
	}
	s.out = nil
	switch e := ev.(type) {
	case engine.Opened:
		s.opened(e)
	case engine.DialFailed:
		s.dialFailed(e)
	case engine.Bytes:
		if c := s.conns[e.Conn]; c != nil && !c.closing {
			c.dec.Feed(e.Data)
			s.drain(c)
		}
	case engine.Closed:
		if c := s.conns[e.Conn]; c != nil {
			reason := "peer closed"
			if e.Err != nil {
				reason = e.Err.Error()
			}
			s.dropConn(c, reason)
		}
	case engine.Secured:
		s.secured(e)
	case engine.Timer:
		if fn, ok := s.timers[e.ID]; ok {
			delete(s.timers, e.ID)
			fn()
		}
	case engine.Call:
		// The server takes no API calls; everything arrives over the wire.
	}
	out := s.out
	s.out = nil
	return out
}

// ---- actions ----

func (s *Server) emit(a engine.Action) { s.out = append(s.out, a) }

func (s *Server) observe(f engine.Fact) { s.emit(engine.Observe{Fact: f}) }

// after arms a timer that runs fn at now+d.
func (s *Server) after(d time.Duration, fn func()) engine.TimerID {
	s.nextTimer++
	id := s.nextTimer
	s.timers[id] = fn
	s.emit(engine.SetTimer{ID: id, At: s.now.Add(d)})
	return id
}

func (s *Server) cancelTimer(id engine.TimerID) {
	if id == 0 {
		return
	}
	if _, ok := s.timers[id]; ok {
		delete(s.timers, id)
		s.emit(engine.CancelTimer{ID: id})
	}
}

// ---- connections ----

type conn struct {
	id       engine.ConnID
	role     string
	remote   string
	outbound bool
	dec      *wire.Decoder
	closing  bool
	secured  bool
	peerCN   string
	tlsWait  bool

	// client links
	user       string                // canonical local part once any LOGIN succeeded
	authed     map[wire.Service]bool // per service (Decision D33)
	mechs      map[wire.Service]string
	login      *loginState
	maxContent int
	listening  map[string]bool // inbox keys
	watchInfo  map[string]bool // presentity keys with STARTWATCHERNOTIFY
	subs       map[string]bool // presentity ids (Key) this connection subscribed to

	// server-server links
	domain    string // authenticated (inbound) or dialled (outbound) peer domain, canonical
	s2sAuthed bool
	strength  string // AStrength of the connection itself (Decision D42)

	nextReq int
	pending map[string]*outReq
}

type outReq struct {
	method string
	onResp func(m *wire.Message) // nil: response ignored
	onLost func()                // the connection closed before the response
}

func (s *Server) opened(e engine.Opened) {
	role := RoleS2S
	if e.Tag == "" {
		role = s.cfg.Listeners[e.Listener]
		if role == "" {
			// Unknown listener: refuse the connection rather than guess its profile.
			s.emit(engine.Close{Conn: e.Conn, Abort: true})
			s.observe(ConnClosed{Conn: e.Conn, Reason: fmt.Sprintf("unknown listener %q", e.Listener)})
			return
		}
	}
	lim := wire.DefaultLimits()
	lim.MaxBody = s.lim.MaxBody
	c := &conn{id: e.Conn, role: role, remote: e.Remote, dec: wire.NewDecoder(lim),
		strength: "none"} // maps are created on first use (put): most stay empty
	if host, _, err := net.SplitHostPort(e.Local); err == nil && host != "" {
		s.localIPs[host] = true
	}
	s.conns[e.Conn] = c
	if e.Tag != "" {
		c.outbound = true
		s.peerOpened(c, e.Tag)
	}
}

func (s *Server) secured(e engine.Secured) {
	c := s.conns[e.Conn]
	if c == nil {
		return
	}
	c.tlsWait = false
	if e.Err != nil {
		// Decision D32: a failed handshake closes the connection.
		s.closeConn(c, "TLS handshake failed: "+e.Err.Error())
		return
	}
	c.secured = true
	c.peerCN = e.PeerCN
	// Anything buffered before the handshake was sent in the clear after STARTTLS: drop it.
	lim := wire.DefaultLimits()
	lim.MaxBody = s.lim.MaxBody
	c.dec = wire.NewDecoder(lim)
}

// closeConn closes c from our side and cleans up.
func (s *Server) closeConn(c *conn, reason string) {
	if c.closing {
		return
	}
	s.emit(engine.Close{Conn: c.id})
	s.dropConn(c, reason)
}

// dropConn forgets c: Decision D31 cleanup (SILENCE, STOPWATCHERNOTIFY, drop its
// subscriptions), every pending request answered, peers told.
func (s *Server) dropConn(c *conn, reason string) {
	if _, ok := s.conns[c.id]; !ok {
		return
	}
	c.closing = true
	delete(s.conns, c.id)
	for _, k := range sortedKeys(c.listening) {
		if ib := s.inboxes[k]; ib != nil {
			delete(ib.listeners, c.id)
		}
	}
	for _, k := range sortedKeys(c.watchInfo) {
		if p := s.presentities[k]; p != nil {
			delete(p.watchInfo, c.id)
		}
	}
	for _, k := range sortedKeys(c.subs) {
		s.dropConnSubscription(c, k)
	}
	for _, id := range sortedKeys(c.pending) {
		r := c.pending[id]
		delete(c.pending, id)
		if r.onLost != nil {
			r.onLost()
		}
	}
	if c.role == RoleS2S {
		s.peerConnLost(c, reason)
	}
	s.observe(ConnClosed{Conn: c.id, Reason: reason})
}

// drain decodes and handles every complete command buffered on c.
func (s *Server) drain(c *conn) {
	for !c.closing && !c.tlsWait {
		m, err := c.dec.Next()
		if err != nil {
			s.framingError(c, err)
			if c.closing {
				return
			}
			var we *wire.Error
			if errors.As(err, &we) && we.Fatal {
				return
			}
			continue
		}
		if m == nil {
			return
		}
		if m.IsRequest() {
			s.request(c, m)
		} else {
			s.response(c, m)
		}
	}
}

// framingError answers a command that is not valid PRIM framing with 400, using whatever of
// its start line the decoder could read (PRIM-S4.1-5); a fatal error also closes (PRIM-S4.1-4).
func (s *Server) framingError(c *conn, err error) {
	var we *wire.Error
	if !errors.As(err, &we) {
		s.closeConn(c, err.Error())
		return
	}
	s.observe(ProtocolError{Conn: c.id, Code: wire.StatusBadRequest, Detail: we.Error()})
	if we.Method != "" && we.ID != "" && we.ID != wire.NoResponse {
		v := we.Version
		if _, _, ok := wire.ServiceOf(v); !ok {
			v = s.defaultVersion(c)
		}
		s.write(c, &wire.Message{Version: v, ID: we.ID, Code: wire.StatusBadRequest, Phrase: wire.Phrase(wire.StatusBadRequest)})
	}
	if we.Fatal {
		s.closeConn(c, "fatal framing error: "+we.Kind.String())
	}
}

func (s *Server) defaultVersion(c *conn) string {
	if c.role == RoleS2S {
		return wire.VersionServer
	}
	return wire.VersionPresence
}

// write encodes m onto c. On client links it honours the UA's Max-Content-Length
// (PRIM-A9.1.8-1, Decision D28: unit = body octets) and reports false when m was not sent.
func (s *Server) write(c *conn, m *wire.Message) bool {
	if c.closing {
		return false
	}
	if m.IsRequest() && c.maxContent > 0 && len(m.Body) > c.maxContent {
		return false
	}
	s.emit(engine.Write{Conn: c.id, Data: m.Bytes()})
	return true
}

// sendRequest writes a request with a fresh id and records what to do with its response.
// A nil r sends it with id "-" (no response).
func (s *Server) sendRequest(c *conn, m *wire.Message, r *outReq) bool {
	if r == nil {
		m.ID = wire.NoResponse
		return s.write(c, m)
	}
	m.ID = "n" + strconv.Itoa(c.nextReq+1)
	if !s.write(c, m) {
		return false
	}
	c.nextReq++
	r.method = m.Method
	put(&c.pending, m.ID, r)
	return true
}

func (s *Server) response(c *conn, m *wire.Message) {
	r, ok := c.pending[m.ID]
	if !ok {
		// §3.12 step 6: an unmatched response is a protocol error; log and ignore.
		s.observe(ProtocolError{Conn: c.id, Detail: fmt.Sprintf("response %q matches no outstanding request", m.StartLine())})
		return
	}
	delete(c.pending, m.ID)
	if r.onResp != nil {
		r.onResp(m)
	}
	if m.Code == wire.StatusUnauthorized && c.outbound && r.method != "LOGIN" {
		// PRIM-S8-2: a peer that answers 401 wants us to authenticate; LOGIN again before
		// anything else goes on this connection (requests queue meanwhile).
		if p := s.peers[c.domain]; p != nil && p.conn == c && p.ready {
			p.ready = false
			c.s2sAuthed = false
			s.peerLogin(p, c)
		}
	}
}

// reply builds the response to req with code, the same version (Decision D34) and the echo
// headers; it is written by respond.
func reply(req *wire.Message, code int, echo ...string) *wire.Message {
	m := &wire.Message{Version: req.Version, ID: req.ID, Code: code, Phrase: wire.Phrase(code)}
	for _, name := range echo {
		if v, ok := req.Get(name); ok {
			m.Add(name, v)
		}
	}
	return m
}

// respond writes resp unless its request carried id "-" (PRIM-A8.2.3-4, Decision D6).
func (s *Server) respond(c *conn, resp *wire.Message) {
	if resp.ID == wire.NoResponse || resp.ID == "" {
		return
	}
	s.write(c, resp)
}

// fail answers req with a bodiless error code and records why.
func (s *Server) fail(c *conn, req *wire.Message, code int, detail string) {
	if code == wire.StatusBadRequest || code == wire.StatusNotImplemented || code == wire.StatusVersionNotSupported {
		s.observe(ProtocolError{Conn: c.id, Code: code, Detail: detail})
	}
	echo := []string{"From", "To"}
	if req.Method == "SEND" {
		echo = append(echo, "Message-ID", "Conversation-ID")
	}
	if req.Method == "LOGIN" {
		echo = []string{"From", "Domain"}
	}
	s.respond(c, reply(req, code, echo...))
}

// ---- helpers ----

func canonLocal(u string) string {
	return strings.SplitN(addr.ID{Local: u, Domain: "x"}.BareKey(), "@", 2)[0]
}

// isLocal reports whether id belongs to this server's domain.
func (s *Server) isLocal(id addr.ID) bool { return id.DomainKey() == s.domainKey }

// hasAccount reports whether id names a principal of this domain.
func (s *Server) hasAccount(id addr.ID) bool {
	if !s.isLocal(id) {
		return false
	}
	_, ok := s.accounts[canonLocal(id.Local)]
	return ok
}

func (s *Server) presID(local string) addr.ID {
	return addr.ID{Scheme: addr.SchemePres, Local: local, Domain: s.cfg.Domain}
}

// dateHeader formats now as a PRIM Date (prim-digest.md §4.9, Decision D24).
func (s *Server) dateHeader() string { return s.now.UTC().Format("Mon, 2 Jan 2006 15:04:05 -0700") }

func seconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

// put sets (*m)[k] = v, creating the map on first use: a connection's maps mostly stay empty,
// and a large federation holds many connections.
func put[K comparable, V any](m *map[K]V, k K, v V) {
	if *m == nil {
		*m = make(map[K]V)
	}
	(*m)[k] = v
}

func sortedConnIDs(m map[engine.ConnID]bool) []engine.ConnID {
	ids := make([]engine.ConnID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
