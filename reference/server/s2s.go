package server

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/addr"
	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/pidf"
	"github.com/primlab/primlab/reference/sasl"
	"github.com/primlab/primlab/reference/wire"
)

// peer is the outbound server-server connection to one domain (§6.2).
type peer struct {
	domain  string
	conn    *conn
	dialing bool
	addrs   []string // candidates of the dial in progress, in the order route gave them
	next    int      // index in addrs of the address being dialled
	ready   bool
	queue   []queued
}

type queued struct {
	m *wire.Message
	r *outReq
}

const dialTagPrefix = "s2s:"

// route returns the host:port candidates of a peer domain, in the order to try them: static
// Peers first (one address or several, comma-separated), then the Resolver (Decision D3).
func (s *Server) route(domain string) ([]string, error) {
	for _, d := range sortedKeys(s.cfg.Peers) {
		if addr.CanonicalDomain(d) != domain {
			continue
		}
		if addrs := peerAddrs(s.cfg.Peers[d]); len(addrs) > 0 {
			return addrs, nil
		}
		return nil, fmt.Errorf("no address in Peers[%q] = %q", d, s.cfg.Peers[d])
	}
	if s.cfg.Resolver != nil {
		addrs, err := s.cfg.Resolver(domain)
		if err != nil {
			return nil, fmt.Errorf("resolve %q: %w", domain, err)
		}
		if len(addrs) > 0 {
			return addrs, nil
		}
	}
	return nil, fmt.Errorf("no route to domain %q", domain)
}

// sendToDomain sends an SS request to domain over the outbound connection, dialling and
// logging in first if needed (PRIM-S4.1-1). It returns an error when the domain has no route.
func (s *Server) sendToDomain(domain string, m *wire.Message, r *outReq) error {
	p := s.peers[domain]
	if p == nil {
		p = &peer{domain: domain}
		s.peers[domain] = p
	}
	if p.ready && p.conn != nil {
		if !s.sendRequest(p.conn, m, r) && r != nil && r.onLost != nil {
			r.onLost()
		}
		return nil
	}
	if !p.dialing && p.conn == nil {
		addrs, err := s.route(domain)
		if err != nil {
			return err
		}
		p.dialing, p.addrs, p.next = true, addrs, 0
		s.emit(engine.Dial{Tag: dialTagPrefix + domain, Addr: addrs[0]})
	}
	p.queue = append(p.queue, queued{m, r})
	return nil
}

func (s *Server) secretFor(domain string) (string, bool) {
	for _, d := range sortedKeys(s.cfg.PeerSecrets) {
		if addr.CanonicalDomain(d) == domain {
			return s.cfg.PeerSecrets[d], true
		}
	}
	return "", false
}

// peerOpened starts LOGIN on a fresh outbound connection (PRIM-S7.3.1-1/2, PRIM-S9.2-5).
func (s *Server) peerOpened(c *conn, tag string) {
	domain := strings.TrimPrefix(tag, dialTagPrefix)
	p := s.peers[domain]
	if p == nil {
		s.closeConn(c, "unexpected outbound connection")
		return
	}
	p.dialing, p.addrs, p.conn = false, nil, c
	c.domain = domain
	s.peerLogin(p, c)
}

// peerLogin runs the LOGIN exchange on the outbound connection c to p's domain, then sends
// what queued meanwhile (PRIM-S7.3.1-1/2, PRIM-S9.2-5); also after a 401 (PRIM-S8-2).
func (s *Server) peerLogin(p *peer, c *conn) {
	domain := p.domain
	secret, hasSecret := s.secretFor(domain)
	mech := sasl.Anonymous
	if hasSecret {
		mech = sasl.CRAMMD5
	}
	login := func(state string, body []byte) *wire.Message {
		m := &wire.Message{Method: "LOGIN", Version: wire.VersionServer, Body: body}
		m.Add("Domain", s.cfg.Domain)
		m.Add("Auth-State", state)
		m.Add("SASL-Mech", mech)
		if len(body) > 0 {
			m.Add("Content-Type", "text/plain")
		}
		return m
	}
	var onResp func(r *wire.Message)
	lost := func() { s.peerFailed(p, "connection lost during LOGIN") }
	onResp = func(r *wire.Message) {
		switch r.Code {
		case wire.StatusAuthContinued:
			var body []byte
			if hasSecret {
				body = []byte(s.cfg.Domain + "\r\n" + sasl.CRAMMD5Digest(secret, r.Body))
			}
			s.sendRequest(c, login("continue", body), &outReq{onResp: onResp, onLost: lost})
		case wire.StatusOK:
			p.ready = true
			c.s2sAuthed = true
			s.observe(PeerUp{Conn: c.id, Domain: domain, Outbound: true})
			q := p.queue
			p.queue = nil
			for _, x := range q {
				if !s.sendRequest(c, x.m, x.r) && x.r != nil && x.r.onLost != nil {
					x.r.onLost()
				}
			}
			s.peerLinkUp(domain, false)
		default:
			s.closeConn(c, fmt.Sprintf("peer refused LOGIN with %d", r.Code))
		}
	}
	s.sendRequest(c, login("init", nil), &outReq{onResp: onResp, onLost: lost})
}

func (s *Server) dialFailed(e engine.DialFailed) {
	domain, ok := strings.CutPrefix(e.Tag, dialTagPrefix)
	if !ok {
		return
	}
	p := s.peers[domain]
	if p == nil || !p.dialing {
		return // not dialling that domain (any more): nothing waits on this dial
	}
	reason := "dial failed"
	if e.Err != nil {
		reason = e.Err.Error()
	}
	// §6.2 step 2-3: a domain whose SRV/A records (or Peers entry) give several addresses is
	// tried address by address; the queued requests wait, still bounded by each one's relay
	// timeout (Decision D35).
	if p.next+1 < len(p.addrs) {
		s.observe(PeerDialFailed{Domain: domain, Addr: p.addrs[p.next], Reason: reason, Next: p.addrs[p.next+1]})
		p.next++
		s.emit(engine.Dial{Tag: e.Tag, Addr: p.addrs[p.next]})
		return
	}
	if n := len(p.addrs); n > 1 {
		reason = fmt.Sprintf("all %d addresses failed, last %s: %s", n, p.addrs[n-1], reason)
	}
	p.dialing, p.addrs = false, nil
	s.peerFailed(p, reason) // the originators get Decision D35's answer (407 on client links)
}

// peerAddrs splits a Config.Peers value into its host:port addresses.
func peerAddrs(v string) []string {
	var out []string
	for _, a := range strings.Split(v, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// peerFailed fails every queued request of p (each caller answers its originator).
func (s *Server) peerFailed(p *peer, reason string) {
	q := p.queue
	p.queue = nil
	p.ready = false
	if p.conn != nil {
		s.observe(PeerDown{Conn: p.conn.id, Domain: p.domain, Reason: reason})
	} else {
		s.observe(PeerDown{Domain: p.domain, Reason: reason})
	}
	p.conn = nil
	s.peerLinkLost(p.domain)
	for _, x := range q {
		if x.r != nil && x.r.onLost != nil {
			x.r.onLost()
		}
	}
}

func (s *Server) peerConnLost(c *conn, reason string) {
	if c.outbound {
		if p := s.peers[c.domain]; p != nil && p.conn == c {
			s.peerFailed(p, reason)
		}
		return
	}
	if c.s2sAuthed {
		s.observe(PeerDown{Conn: c.id, Domain: c.domain, Reason: reason})
		s.peerLinkLost(c.domain)
	}
}

// ---- inbound server-server LOGIN (§6.4, §7.2) ----

type peerCredentials struct{ s *Server }

func (pc peerCredentials) Password(user string) (string, bool) {
	return pc.s.secretFor(addr.CanonicalDomain(user))
}

// s2sLogin authenticates a peer domain: CRAM-MD5 or PLAIN with the shared secret
// (PRIM-A12.2-4), EXTERNAL with the TLS certificate naming the domain (PRIM-A12.2-3), or
// ANONYMOUS for configured peers (PRIM-A12.2-5/6).
func (s *Server) s2sLogin(c *conn, m *wire.Message) {
	if c.s2sAuthed {
		s.respond(c, reply(m, wire.StatusAlreadyAuthenticated, "Domain"))
		return
	}
	switch m.Value("Auth-State") {
	case "init":
		if c.login != nil {
			s.loginFailed(c, m, "Auth-State init during an exchange (PRIM-A18-4)")
			return
		}
		dom, err := addr.ParseDomain(m.Value("Domain"))
		if err != nil {
			s.fail(c, m, wire.StatusBadRequest, fmt.Sprintf("Domain: %v", err)) // PRIM-S6.1.3-1
			return
		}
		dom = addr.CanonicalDomain(dom)
		if dom == s.domainKey {
			s.loginFailed(c, m, fmt.Sprintf("peer claims our own domain %q", dom))
			return
		}
		var offered []string
		if c.secured && c.peerCN != "" {
			offered = append(offered, sasl.External)
		}
		if _, ok := s.secretFor(dom); ok {
			offered = append(offered, sasl.CRAMMD5, sasl.Plain)
		}
		if s.cfg.AcceptAnonymousPeers || s.knownPeer(dom) {
			offered = append(offered, sasl.Anonymous)
		}
		prefs, err := sasl.ParseMechList(m.Value("SASL-Mech"))
		if err != nil {
			s.loginFailed(c, m, err.Error())
			return
		}
		mech := sasl.Select(prefs, offered)
		if mech == "" {
			s.loginFailed(c, m, fmt.Sprintf("no acceptable mechanism in %q for domain %q", m.Value("SASL-Mech"), dom))
			return
		}
		srv, err := sasl.NewServer(mech, sasl.ServerConfig{Credentials: peerCredentials{s}, Rand: s.rng, Host: s.cfg.Domain, PeerIdentity: c.peerCN})
		if err != nil {
			s.loginFailed(c, m, err.Error())
			return
		}
		c.login = &loginState{mech: mech, srv: srv, dom: dom}
	case "continue":
		if c.login == nil {
			s.loginFailed(c, m, "Auth-State continue without an exchange")
			return
		}
		if !strings.EqualFold(strings.TrimSpace(m.Value("SASL-Mech")), c.login.mech) {
			s.loginFailed(c, m, fmt.Sprintf("SASL-Mech %q is not the selected %q", m.Value("SASL-Mech"), c.login.mech))
			return
		}
	case "abort":
		s.loginFailed(c, m, "Auth-State abort (Decision D10(b))")
		return
	default:
		s.fail(c, m, wire.StatusBadRequest, fmt.Sprintf("Auth-State %q", m.Value("Auth-State")))
		return
	}
	ls := c.login
	challenge, done, err := ls.srv.Step(m.Body)
	if err != nil {
		s.loginFailed(c, m, err.Error())
		return
	}
	if !done {
		resp := reply(m, wire.StatusAuthContinued, "Domain", "Auth-State")
		resp.Add("SASL-Mech", ls.mech)
		if len(challenge) > 0 {
			resp.Add("Content-Type", "text/plain")
			resp.Body = challenge
		}
		s.respond(c, resp)
		return
	}
	c.login = nil
	if id := ls.srv.Identity(); ls.mech != sasl.Anonymous && addr.CanonicalDomain(id) != ls.dom {
		s.loginFailed(c, m, fmt.Sprintf("authenticated as %q, not the claimed domain %q", id, ls.dom))
		return
	}
	c.s2sAuthed = true
	c.domain = ls.dom
	c.strength = map[string]string{sasl.External: "strong", sasl.CRAMMD5: "medium", sasl.Plain: "weak"}[ls.mech]
	if c.strength == "" {
		c.strength = "none"
	}
	resp := reply(m, wire.StatusOK, "Domain", "Auth-State")
	resp.Add("SASL-Mech", ls.mech)
	s.respond(c, resp)
	s.observe(LoginOK{Conn: c.id, Service: "s2s", Principal: ls.dom, Mech: ls.mech})
	s.observe(PeerUp{Conn: c.id, Domain: ls.dom})
	s.peerLinkUp(ls.dom, s.otherInbound(c, ls.dom))
}

func (s *Server) knownPeer(dom string) bool {
	for _, d := range sortedKeys(s.cfg.Peers) {
		if addr.CanonicalDomain(d) == dom {
			return true
		}
	}
	return false
}

// verifyServer answers VERIFYSERVER without LOGIN (PRIM-A10.3.5-2, Decision D41): 200 when
// the address is one this server was reached at, else 403.
func (s *Server) verifyServer(c *conn, m *wire.Message) {
	v := m.Value("Server-Address")
	ip, err := addr.ParseIP(v)
	if err != nil {
		s.fail(c, m, wire.StatusBadRequest, fmt.Sprintf("Server-Address %q: %v", v, err))
		return
	}
	code := wire.StatusResourceNotFound
	for _, k := range sortedKeys(s.localIPs) {
		if a, err := addr.ParseIP(k); err == nil && a == ip {
			code = wire.StatusOK
		} else if h, _, err := net.SplitHostPort(k); err == nil && h == ip.String() {
			code = wire.StatusOK
		}
	}
	s.respond(c, reply(m, code, "Server-Address"))
}

// ---- inbound server-server requests (SS §7) ----

func (s *Server) s2sRequest(c *conn, m *wire.Message) {
	from, err := addr.ParseMode(m.Value("From"), addr.Loose)
	if err != nil {
		s.fail(c, m, wire.StatusBadRequest, fmt.Sprintf("From: %v", err))
		return
	}
	to, err := addr.ParseMode(m.Value("To"), addr.Loose)
	if err != nil {
		s.fail(c, m, wire.StatusBadRequest, fmt.Sprintf("To: %v", err))
		return
	}
	if !s.isLocal(to) {
		// Decision D19/D20: not our domain → 403; never relayed further.
		s.fail(c, m, wire.StatusResourceNotFound, fmt.Sprintf("domain %q is not served here", to.Domain))
		return
	}
	if from.DomainKey() != c.domain {
		// PRIM-S4.1-2, Decision D37: the peer speaks only for its own domain.
		s.fail(c, m, wire.StatusForbidden, fmt.Sprintf("peer %q may not act for %q", c.domain, from.String()))
		return
	}
	switch m.Method {
	case "SUBSCRIBE":
		s.s2sSubscribe(c, m, from, to)
	case "UNSUBSCRIBE":
		p := s.presentityOf(to)
		n := 0
		if p != nil {
			// Decision D12: UNSUBSCRIBE removes every subscription of the pair.
			for _, k := range sortedKeys(p.subs) {
				if sub := p.subs[k]; sub.remote == c.domain && sub.watcher.Equal(from) {
					s.removeSub(p, k, "unsubscribe")
					n++
				}
			}
		}
		if n == 0 {
			s.fail(c, m, wire.StatusSubscriptionNotFound, "no such subscription")
			return
		}
		s.respond(c, reply(m, wire.StatusOK, "From", "To"))
	case "NOTIFY":
		s.s2sNotify(c, m, from, to)
	case "SEND":
		// PRIM-S6.1.8-3: missing AStrength is none; the value passed on is the weaker of it and
		// the connection's own strength (PRIM-S6.1.8-4).
		in := m.Value("AStrength")
		if in == "" {
			in = "none"
		}
		s.deliver(m, from, to, weaker(in, c.strength), func(code int) {
			s.respond(c, reply(m, code, "From", "To", "Message-ID", "Conversation-ID"))
			s.observe(IMResponse{Conn: c.id, From: from.String(), Inbox: to.String(), MessageID: m.Value("Message-ID"), Code: code})
		})
	default:
		s.fail(c, m, wire.StatusNotImplemented, fmt.Sprintf("%s is not served on server links", m.Method))
	}
}

// s2sSubscribe places, renews, ends or fetches (Duration 0) a remote watcher's subscription,
// answers without body and then sends the immediate NOTIFY (PRIM-S7.1.1-2..9, Decision D12).
func (s *Server) s2sSubscribe(c *conn, m *wire.Message, watcher, to addr.ID) {
	p := s.presentityOf(to)
	if p == nil {
		s.fail(c, m, wire.StatusResourceNotFound, "no such presentity")
		return
	}
	if watcher.Scheme != addr.SchemePres {
		s.fail(c, m, wire.StatusBadRequest, "watcher is not a pres: identifier")
		return
	}
	d, ok := parseDuration(m.Value("Duration"))
	if !ok {
		s.fail(c, m, wire.StatusBadRequest, fmt.Sprintf("Duration %q", m.Value("Duration")))
		return
	}
	subID := m.Value("Subscription-ID")
	op := pidf.Subscribe
	if d == 0 {
		op = pidf.Fetch
	}
	if !s.mayWatch(p, watcher, op) {
		s.fail(c, m, wire.StatusForbidden, string(op)+" not allowed by the ACL")
		return
	}
	key := subKey(watcher, subID)
	if d == 0 {
		// PRIM-S7.1.1-5/6: end the matching subscription, or act as a fetch.
		fetch := true
		if sub := p.subs[key]; sub != nil && sub.remote == c.domain {
			s.removeSub(p, key, "duration-0")
			fetch = false
		}
		resp := reply(m, wire.StatusOK, "From", "To", "Duration", "Subscription-ID")
		s.respond(c, resp)
		s.notifyRemote(p, &subscription{watcher: watcher, subID: subID, remote: c.domain}, p.visible(watcher), 0)
		if fetch {
			s.watcherNotify(p, watcher, "fetch")
		}
		return
	}
	if sub := p.subs[key]; sub != nil && sub.remote != c.domain {
		s.fail(c, m, wire.StatusForbidden, "Subscription-ID belongs to another peer")
		return
	}
	code, d, sub := s.place(p, watcher, subID, c.domain, d)
	if sub == nil {
		s.fail(c, m, code, "subscription limit reached")
		return
	}
	resp := reply(m, code, "From", "To")
	resp.Add("Duration", seconds(d))
	resp.Add("Subscription-ID", subID)
	s.respond(c, resp)
	s.notify(p, sub) // PRIM-S7.1.1-3: immediately after the response (Decision D25)
	if sub.fresh {
		s.watcherNotify(p, watcher, "subscribe")
	}
}

// notifyRemote sends an SS NOTIFY (CPIM-PIDF, Decision D2) for sub to the watcher's domain;
// dur < 0 omits Duration, 0 says the subscription is over (PRIM-S7.1.3-5/6).
func (s *Server) notifyRemote(p *presentity, sub *subscription, ts []tupleInfo, dur int) {
	m := &wire.Message{Method: "NOTIFY", Version: wire.VersionServer, Body: formatCPIMPIDF(p.id.String(), ts)}
	m.Add("From", p.id.String())
	m.Add("To", sub.watcher.String())
	m.Add("Subscription-ID", sub.subID)
	if dur >= 0 {
		m.Add("Duration", strconv.Itoa(dur))
	}
	m.Add("Date", s.dateHeader())
	m.Add("Content-Type", cpimPIDFType)
	key := subKey(sub.watcher, sub.subID)
	err := s.sendToDomain(sub.remote, m, &outReq{onResp: func(r *wire.Message) {
		if r.Code == wire.StatusResourceNotFound {
			if cur := p.subs[key]; cur == sub {
				s.removeSub(p, key, "notify-403") // Decision D26
			}
		}
	}})
	if err != nil {
		return
	}
	if dur == 0 && len(ts) == 0 && p.subs[key] == sub {
		s.observe(CancelSent{To: "s2s:" + sub.remote, Watcher: sub.watcher.String(), Presentity: p.id.String()})
		return
	}
	s.observe(NotifySent{To: "s2s:" + sub.remote, Watcher: sub.watcher.String(), Presentity: p.id.String(), Tuples: tupleIDs(ts), Duration: dur})
}

// ---- local watchers of remote presentities (the watcher's home server, §4.13) ----

// upSub is a local watcher's subscription (or one FETCH) to a remote presentity, relayed as
// an SS SUBSCRIBE; NOTIFYs come back by Subscription-ID and fan out to the watcher's
// connections (Decision D13).
type upSub struct {
	key        string
	watcher    addr.ID
	presentity addr.ID
	subID      string
	fetch      bool
	active     bool
	conns      map[engine.ConnID]bool
	waiting    []*uaWait
	last       []tupleInfo
	haveLast   bool
	timer      engine.TimerID
	expires    time.Time     // end of the duration the peer granted (for resynchronisation)
	want       time.Duration // the duration the UA last asked for (renewed on its behalf)
	// owed is when the UA's last renewal, swallowed by a lost link (answered 407, Decision
	// D35), would have ended had it gone through: until then the subscription is kept past
	// the granted end so that the resynchronisation completes that renewal (PRIM-A5.5-2).
	owed     time.Time
	strength string // AStrength the UA's connection had (passed on when resubscribing)
}

// uaWait is a UA request (SUBSCRIBE or FETCH) waiting for the relay: first the SS response,
// then the NOTIFY whose PI goes into the I2 response body (PRIM-A16.1-1, Decision D25).
type uaWait struct {
	c        *conn
	req      *wire.Message
	code     int
	duration string
	answered bool
	timer    engine.TimerID
}

func (s *Server) answerWait(w *uaWait, code int, ts []tupleInfo, withPI bool) {
	if w.answered {
		return
	}
	w.answered = true
	s.cancelTimer(w.timer)
	resp := reply(w.req, code, "From", "To")
	if w.duration != "" && code < 300 && w.req.Method == "SUBSCRIBE" {
		resp.Add("Duration", w.duration)
	}
	if withPI && code < 300 {
		withBody(resp, ts)
	}
	s.respond(w.c, resp)
}

func (s *Server) newSubID() string {
	s.nextSub++
	return "sub" + strconv.Itoa(s.nextSub)
}

// relayCode maps a next hop's answer for a client link: codes the client profile lacks
// become 407 (Decision D35).
func relayCode(code int) int {
	if !wire.KnownIn(wire.ProfileClient, code) || code == wire.StatusAuthContinued {
		return wire.StatusTimeout
	}
	return code
}

func (s *Server) subscribeRemote(c *conn, m *wire.Message, watcher, to addr.ID) {
	d, ok := parseDuration(m.Value("Duration"))
	if !ok {
		s.fail(c, m, wire.StatusBadRequest, fmt.Sprintf("Duration %q", m.Value("Duration")))
		return
	}
	if d == 0 {
		s.fetchRemote(c, m, watcher, to)
		return
	}
	key := watcher.Key() + "\x00" + to.Key()
	us := s.upstream[key]
	if us == nil {
		us = &upSub{key: key, watcher: watcher, presentity: to, subID: s.newSubID(), conns: map[engine.ConnID]bool{}}
		s.upstream[key] = us
		s.bySubID[us.subID] = us
	}
	s.relayUpstream(c, m, us, d)
}

func (s *Server) fetchRemote(c *conn, m *wire.Message, watcher, to addr.ID) {
	us := &upSub{key: "", watcher: watcher, presentity: to, subID: s.newSubID(), fetch: true, conns: map[engine.ConnID]bool{}}
	s.bySubID[us.subID] = us
	s.relayUpstream(c, m, us, 0)
}

// relayUpstream sends the SS SUBSCRIBE for us and wires its outcome back to the UA.
func (s *Server) relayUpstream(c *conn, m *wire.Message, us *upSub, d time.Duration) {
	w := &uaWait{c: c, req: m}
	us.waiting = append(us.waiting, w)
	if d > 0 {
		us.want = d
	}
	forget := func() {
		if us.fetch || !us.active {
			s.dropUpSub(us)
		}
	}
	asked := s.now
	// owe records a renewal of an active subscription that the link swallowed: the watcher's
	// server completes it once the link is back (resync.go).
	owe := func() {
		if us.active && !us.fetch && d > 0 {
			us.owed = asked.Add(d)
		}
	}
	fw := &wire.Message{Method: "SUBSCRIBE", Version: wire.VersionServer}
	fw.Add("From", us.watcher.String())
	fw.Add("To", us.presentity.String())
	fw.Add("Duration", seconds(d))
	fw.Add("Subscription-ID", us.subID)
	fw.Add("Date", s.dateHeader())
	fw.Add("AStrength", c.strength) // PRIM-S6.1.8-1, PRIM-A9.1.7-3
	w.timer = s.after(s.lim.RelayTimeout, func() {
		w.timer = 0
		if w.answered {
			return
		}
		if w.code != 0 {
			// The SS response came but the NOTIFY did not: answer without PI.
			s.answerWait(w, w.code, nil, false)
			return
		}
		s.observe(RelayTimeout{Method: m.Method, To: us.presentity.String(), Code: wire.StatusTimeout})
		s.answerWait(w, wire.StatusTimeout, nil, false) // Decision D35
		owe()
		forget()
	})
	err := s.sendToDomain(us.presentity.DomainKey(), fw, &outReq{
		onResp: func(r *wire.Message) {
			if r.Code != wire.StatusOK && r.Code != wire.StatusDurationAdjusted {
				s.answerWait(w, relayCode(r.Code), nil, false)
				forget()
				return
			}
			w.code = wire.StatusOK
			if m.Method == "SUBSCRIBE" {
				w.code = r.Code
				w.duration = r.Value("Duration")
				us.active = true
				us.conns[c.id] = true
				put(&c.subs, us.presentity.Key(), true)
				us.strength = c.strength
				if dd, ok := parseDuration(w.duration); ok && dd > 0 {
					s.armUpSub(us, dd)
				}
				if us.haveLast {
					// A renewal, or the NOTIFY overtook the response (Decision D25): the PI
					// is already known.
					s.answerWait(w, w.code, us.last, true)
				}
			}
		},
		onLost: func() {
			if !w.answered && w.code == 0 {
				s.observe(RelayTimeout{Method: m.Method, To: us.presentity.String(), Code: wire.StatusTimeout})
				s.answerWait(w, wire.StatusTimeout, nil, false)
				owe()
				forget()
			}
		},
	})
	if err != nil {
		// Decision D19: a domain that cannot be reached by name is not found.
		s.answerWait(w, wire.StatusResourceNotFound, nil, false)
		forget()
	}
}

func (s *Server) dropUpSub(us *upSub) {
	if s.bySubID[us.subID] == us {
		delete(s.bySubID, us.subID)
	}
	if us.key != "" && s.upstream[us.key] == us {
		delete(s.upstream, us.key)
	}
	s.cancelTimer(us.timer)
	for _, id := range sortedConnIDs(us.conns) {
		if c := s.conns[id]; c != nil {
			delete(c.subs, us.presentity.Key())
		}
	}
}

func (s *Server) unsubscribeRemote(c *conn, m *wire.Message, watcher, to addr.ID) {
	us := s.upstream[watcher.Key()+"\x00"+to.Key()]
	if us == nil || !us.active {
		s.fail(c, m, wire.StatusSubscriptionNotFound, "no such subscription")
		return
	}
	s.dropUpSub(us)
	fw := &wire.Message{Method: "UNSUBSCRIBE", Version: wire.VersionServer}
	fw.Add("From", watcher.String())
	fw.Add("To", to.String())
	fw.Add("AStrength", c.strength)
	done := false
	var timer engine.TimerID
	answer := func(code int) {
		if done {
			return
		}
		done = true
		s.cancelTimer(timer)
		s.respond(c, reply(m, code, "From", "To"))
	}
	timer = s.after(s.lim.RelayTimeout, func() {
		timer = 0
		if !done {
			s.observe(RelayTimeout{Method: "UNSUBSCRIBE", To: to.String(), Code: wire.StatusTimeout})
		}
		answer(wire.StatusTimeout)
	})
	if err := s.sendToDomain(to.DomainKey(), fw, &outReq{
		onResp: func(r *wire.Message) { answer(relayCode(r.Code)) },
		onLost: func() { answer(wire.StatusTimeout) },
	}); err != nil {
		answer(wire.StatusResourceNotFound)
	}
}

// dropUpstreamConn removes a closed connection from its upstream subscription; the last one
// gone unsubscribes upstream (Decision D13, D31).
func (s *Server) dropUpstreamConn(c *conn, watcher, to addr.ID) {
	us := s.upstream[watcher.Key()+"\x00"+to.Key()]
	if us == nil {
		return
	}
	delete(us.conns, c.id)
	if len(us.conns) > 0 || !us.active {
		return
	}
	s.dropUpSub(us)
	fw := &wire.Message{Method: "UNSUBSCRIBE", Version: wire.VersionServer}
	fw.Add("From", watcher.String())
	fw.Add("To", to.String())
	fw.Add("AStrength", c.strength)
	_ = s.sendToDomain(to.DomainKey(), fw, &outReq{})
}

// s2sNotify takes a NOTIFY for a local watcher: converts its CPIM-PIDF to application/presence
// (Decision D2) and answers waiting UA requests or relays it to the watcher's connections;
// Duration 0 becomes CANCELSUBSCRIPTION (§4.4).
func (s *Server) s2sNotify(c *conn, m *wire.Message, from, to addr.ID) {
	us := s.bySubID[m.Value("Subscription-ID")]
	if us == nil || !us.watcher.Equal(to) || !us.presentity.Equal(from) {
		s.fail(c, m, wire.StatusResourceNotFound, "no such subscription or watcher")
		return
	}
	ts, err := parseCPIMPIDF(m.Value("Content-Type"), m.Body)
	for i := 0; err == nil && i < len(ts); i++ {
		ts[i].XML, err = formatPrimTuple(from.String(), s.now.UTC(), ts[i])
	}
	if err != nil {
		s.fail(c, m, wire.StatusBadRequest, "presence body: "+err.Error())
		return
	}
	s.respond(c, reply(m, wire.StatusOK, "From", "To"))
	us.last, us.haveLast = ts, true
	answered := map[engine.ConnID]bool{}
	var still []*uaWait
	for _, w := range us.waiting {
		if w.answered {
			continue
		}
		if w.code == 0 && !us.fetch {
			still = append(still, w)
			continue
		}
		s.answerWait(w, max(w.code, wire.StatusOK), ts, true)
		answered[w.c.id] = true
	}
	us.waiting = still
	if us.fetch {
		s.dropUpSub(us)
		return
	}
	if m.Value("Duration") == "0" {
		for _, id := range sortedConnIDs(us.conns) {
			if lc := s.conns[id]; lc != nil {
				s.sendCancel(lc, from, to)
			}
		}
		s.dropUpSub(us)
		return
	}
	body, hs := notifyBody(ts)
	for _, id := range sortedConnIDs(us.conns) {
		lc := s.conns[id]
		if lc == nil || answered[id] {
			continue
		}
		nm := &wire.Message{Method: "NOTIFY", Version: wire.VersionPresence, Body: body}
		nm.Add("From", from.String())
		nm.Add("To", to.String())
		nm.Add("AStrength", weaker(orNone(m.Value("AStrength")), c.strength))
		for _, h := range hs {
			nm.Add(h[0], h[1])
		}
		if s.sendRequest(lc, nm, &outReq{}) {
			s.observe(NotifySent{To: lc.id.String(), Watcher: to.String(), Presentity: from.String(), Tuples: tupleIDs(ts), Duration: -1})
		}
	}
}

func orNone(v string) string {
	if v == "" {
		return "none"
	}
	return v
}

// relaySend forwards a UA's SEND to the inbox's domain and answers the UA with the next hop's
// answer, or 407 when it does not come in time (Decision D35). Exactly one answer.
func (s *Server) relaySend(c *conn, m *wire.Message, to addr.ID, done func(int)) {
	fw := &wire.Message{Method: "SEND", Version: wire.VersionServer, Body: m.Body}
	for _, h := range m.Headers {
		if h.Name != "AStrength" {
			fw.Add(h.Name, h.Value) // PRIM-A15-6, Decision D17
		}
	}
	// SS requires Date and Content-Type on SEND (§6.8); add them when the UA left them out
	// (adding, not modifying: Decision D17, D18).
	if fw.Count("Date") == 0 {
		fw.Add("Date", s.dateHeader())
	}
	if fw.Count("Content-Type") == 0 && len(fw.Body) > 0 {
		fw.Add("Content-Type", "text/plain; charset=UTF-8")
	}
	fw.Add("AStrength", uaStrength(m, c)) // PRIM-A9.1.7-1, PRIM-A9.1.7-3, PRIM-A9.1.7-4
	finished := false
	var timer engine.TimerID
	answer := func(code int) {
		if finished {
			return
		}
		finished = true
		s.cancelTimer(timer)
		done(code)
	}
	timer = s.after(s.lim.RelayTimeout, func() {
		timer = 0
		if !finished {
			s.observe(RelayTimeout{Method: "SEND", To: to.String(), Code: wire.StatusTimeout})
		}
		answer(wire.StatusTimeout)
	})
	err := s.sendToDomain(to.DomainKey(), fw, &outReq{
		onResp: func(r *wire.Message) {
			if !wire.Known(r.Code) || r.Code == wire.StatusAuthContinued {
				answer(wire.StatusInternalError) // an invalid answer from the next hop (cf. 502, PRIM-S8-4)
				return
			}
			answer(relayCode(r.Code))
		},
		onLost: func() { answer(wire.StatusTimeout) },
	})
	if err != nil {
		answer(wire.StatusResourceNotFound) // Decision D19
		return
	}
	s.observe(IMDelivered{To: "s2s:" + to.DomainKey(), From: m.Value("From"), Inbox: to.String(), MessageID: m.Value("Message-ID")})
}
