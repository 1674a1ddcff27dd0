package server

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/addr"
	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/pidf"
	"github.com/primlab/primlab/reference/wire"
)

// presentity is one local presentity's state at its home presence server (§4.1).
type presentity struct {
	local     string
	id        addr.ID
	classes   *classTable
	acl       *acl
	tuples    map[string]*tuple        // class "\x00" Tuple-ID
	subs      map[string]*subscription // watcher Key "\x00" Subscription-ID
	watchInfo map[engine.ConnID]bool   // connections after STARTWATCHERNOTIFY
}

// tuple holds the leased and permanent values of one (class, Tuple-ID) (§4.5, PRIM-A5.4-1).
type tuple struct {
	class, id  string
	leased     *tupleInfo
	perm       *tupleInfo
	leaseTimer engine.TimerID
}

func (t *tuple) visible() *tupleInfo {
	if t.leased != nil {
		return t.leased
	}
	return t.perm
}

// subscription is one watcher's subscription to a local presentity (§4.2, §4.3).
type subscription struct {
	watcher addr.ID
	subID   string                 // SS Subscription-ID; "" for local (I2) watchers
	remote  string                 // canonical peer domain of a remote watcher, "" if local
	conns   map[engine.ConnID]bool // local watcher's connections that subscribed (Decision D13)
	expires time.Time
	timer   engine.TimerID
	fresh   bool // placed (not renewed) by the last SUBSCRIBE: report to watcher information
}

func subKey(watcher addr.ID, subID string) string { return watcher.Key() + "\x00" + subID }

// presentityOf returns the local presentity id names, creating its state on first use, or nil
// when id is not a principal of this domain.
func (s *Server) presentityOf(id addr.ID) *presentity {
	if !s.hasAccount(id) {
		return nil
	}
	k := canonLocal(id.Local)
	p := s.presentities[k]
	if p == nil {
		p = &presentity{local: k, id: addr.ID{Scheme: addr.SchemePres, Local: k, Domain: s.domainKey},
			acl: defaultACL(pidf.PresentityACL, s.cfg.DenyByDefault), tuples: map[string]*tuple{},
			subs: map[string]*subscription{}, watchInfo: map[engine.ConnID]bool{}}
		s.presentities[k] = p
	}
	return p
}

// visible returns the tuples the watcher's class sees, sorted by Tuple-ID (PRIM-A5.3-3).
func (p *presentity) visible(watcher addr.ID) []tupleInfo {
	return p.visibleToClass(p.classes.classOf(watcher))
}

func (p *presentity) visibleToClass(class string) []tupleInfo {
	var out []tupleInfo
	for _, k := range sortedKeys(p.tuples) {
		t := p.tuples[k]
		if t.class != class {
			continue
		}
		if v := t.visible(); v != nil {
			out = append(out, *v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// owns reports whether the connection's principal owns resource id (Decision D15: scheme
// ignored).
func (s *Server) owns(c *conn, id addr.ID) bool {
	return c.user != "" && s.isLocal(id) && canonLocal(id.Local) == c.user
}

func (s *Server) principal(c *conn, scheme string) addr.ID {
	return addr.ID{Scheme: scheme, Local: c.user, Domain: s.domainKey}
}

// clientRequest dispatches an authenticated client-link request.
func (s *Server) clientRequest(c *conn, m *wire.Message, svc wire.Service) {
	from, err := addr.Parse(m.Value("From"))
	if err != nil {
		s.fail(c, m, wire.StatusBadRequest, fmt.Sprintf("From: %v", err))
		return
	}
	var to addr.ID
	if v, ok := m.Get("To"); ok {
		if to, err = addr.Parse(v); err != nil {
			s.fail(c, m, wire.StatusBadRequest, fmt.Sprintf("To: %v", err))
			return
		}
	}
	switch m.Method {
	case "SUBSCRIBE", "UNSUBSCRIBE", "FETCH", "SEND":
		// PRIM-A4.1-2, Decision D37: the requester is the connection's principal.
		want := addr.SchemePres
		if m.Method == "SEND" {
			want = addr.SchemeIM
		}
		if from.Scheme != want || !s.owns(c, from) {
			s.fail(c, m, wire.StatusForbidden, fmt.Sprintf("From %q is not this connection's principal", m.Value("From")))
			return
		}
		if (m.Method == "SEND") != (to.Scheme == addr.SchemeIM) {
			s.fail(c, m, wire.StatusBadRequest, fmt.Sprintf("To %q has the wrong scheme for %s", m.Value("To"), m.Method))
			return
		}
	case "SETACL", "GETACL":
	default:
		want := addr.SchemePres
		if svc == wire.ServiceIM {
			want = addr.SchemeIM
		}
		if from.Scheme != want {
			s.fail(c, m, wire.StatusBadRequest, fmt.Sprintf("From %q: %s needs a %s: identifier", m.Value("From"), m.Method, want))
			return
		}
	}
	switch m.Method {
	case "PUBLISH":
		s.publish(c, m, from)
	case "REMOVE":
		s.remove(c, m, from)
	case "SETCLASSTABLE", "GETCLASSTABLE", "STARTWATCHERNOTIFY", "STOPWATCHERNOTIFY":
		s.ownerPresence(c, m, from)
	case "SETACL", "GETACL":
		s.aclRequest(c, m, from)
	case "SUBSCRIBE":
		if s.isLocal(to) {
			s.subscribeLocal(c, m, from, to)
		} else {
			s.subscribeRemote(c, m, from, to)
		}
	case "UNSUBSCRIBE":
		if s.isLocal(to) {
			s.unsubscribeLocal(c, m, from, to)
		} else {
			s.unsubscribeRemote(c, m, from, to)
		}
	case "FETCH":
		if s.isLocal(to) {
			s.fetchLocal(c, m, from, to)
		} else {
			s.fetchRemote(c, m, from, to)
		}
	case "LISTEN", "SILENCE":
		s.listen(c, m, from)
	case "SEND":
		s.sendFromClient(c, m, from, to)
	default:
		// NOTIFY, CANCELSUBSCRIPTION, WATCHERNOTIFY go server to client only.
		s.fail(c, m, wire.StatusNotImplemented, fmt.Sprintf("%s is not accepted from a user agent", m.Method))
	}
}

// ---- PUBLISH / REMOVE (§4.5, I2 §11.1.1-11.1.2) ----

// classesOf reads the Class header (Decision D14: optional, any number of SP-separated
// names, each already in the Class Table; absent = default class "").
func classesOf(p *presentity, m *wire.Message) ([]string, error) {
	v, ok := m.Get("Class")
	if !ok {
		return []string{""}, nil
	}
	names := strings.Fields(v)
	if len(names) == 0 {
		return nil, fmt.Errorf("empty Class header")
	}
	for _, n := range names {
		if p.classes == nil || !p.classes.has(n) {
			return nil, fmt.Errorf("class %q is not in the Class Table (PRIM-A11.1.1-3, Decision D14)", n)
		}
	}
	sort.Strings(names)
	return names, nil
}

func positiveSeconds(v string) (time.Duration, bool) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > 1<<31 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

func (s *Server) publish(c *conn, m *wire.Message, from addr.ID) {
	p := s.presentityOf(from)
	if p == nil {
		s.fail(c, m, wire.StatusResourceNotFound, "no such presentity")
		return
	}
	if !p.acl.permits(from, s.principal(c, addr.SchemePres), pidf.Publish) {
		s.fail(c, m, wire.StatusForbidden, "publish not allowed")
		return
	}
	classes, err := classesOf(p, m)
	if err != nil {
		s.fail(c, m, wire.StatusBadRequest, err.Error())
		return
	}
	tid := m.Value("Tuple-ID")
	piType := m.Value("PI-Type")
	var dur time.Duration
	if piType == "leased" || piType == "renew" {
		d, ok := positiveSeconds(m.Value("Duration"))
		if !ok {
			// Decision D29: leased/renew without a positive Duration → 400.
			s.fail(c, m, wire.StatusBadRequest, fmt.Sprintf("PI-Type %q needs a positive Duration, got %q", piType, m.Value("Duration")))
			return
		}
		dur = d
	}
	var info tupleInfo
	if piType == "leased" || piType == "permanent" {
		if info, err = parsePrimTuple(tid, m.Body); err != nil {
			s.fail(c, m, wire.StatusBadRequest, "invalid presence document: "+err.Error()) // PRIM-A11.1.1-1
			return
		}
	}
	if piType == "renew" || piType == "revert" {
		for _, cl := range classes {
			if t := p.tuples[cl+"\x00"+tid]; t == nil || t.leased == nil {
				// Decision D29: renew/revert without a lease → 403.
				s.fail(c, m, wire.StatusResourceNotFound, fmt.Sprintf("no leased value for tuple %q in class %q", tid, cl))
				return
			}
		}
	}
	notify := map[string]bool{}
	for _, cl := range classes {
		k := cl + "\x00" + tid
		t := p.tuples[k]
		if t == nil {
			t = &tuple{class: cl, id: tid}
			p.tuples[k] = t
		}
		switch piType {
		case "leased":
			v := info
			t.leased = &v
			s.armLease(p, t, dur)
			notify[cl] = true
		case "permanent":
			v := info
			t.perm = &v
			if t.leased == nil {
				notify[cl] = true // exempt while a lease is valid (PRIM-A11.1.1-5)
			}
		case "renew":
			s.armLease(p, t, dur) // no notification (PRIM-A11.1.1-5)
		case "revert":
			s.cancelTimer(t.leaseTimer)
			t.leased, t.leaseTimer = nil, 0
			if t.perm == nil {
				delete(p.tuples, k)
			}
			notify[cl] = true // Decision D29
		}
	}
	s.respond(c, reply(m, wire.StatusOK, "From", "PI-Type", "Duration", "Tuple-ID", "Class"))
	s.notifyClasses(p, notify)
}

func (s *Server) armLease(p *presentity, t *tuple, d time.Duration) {
	s.cancelTimer(t.leaseTimer)
	t.leaseTimer = s.after(d, func() {
		// PRIM-A5.4-2, PRIM-A11.1.1-9/10: revert to the permanent value or remove the tuple,
		// and notify (PRIM-A10.1.4-3).
		t.leased, t.leaseTimer = nil, 0
		if t.perm == nil {
			delete(p.tuples, t.class+"\x00"+t.id)
		}
		s.observe(LeaseExpired{Presentity: p.id.String(), Class: t.class, TupleID: t.id, Reverted: t.perm != nil})
		s.notifyClasses(p, map[string]bool{t.class: true})
	})
}

func (s *Server) remove(c *conn, m *wire.Message, from addr.ID) {
	p := s.presentityOf(from)
	if p == nil {
		s.fail(c, m, wire.StatusResourceNotFound, "no such presentity")
		return
	}
	if !p.acl.permits(from, s.principal(c, addr.SchemePres), pidf.Remove) {
		s.fail(c, m, wire.StatusForbidden, "remove not allowed")
		return
	}
	classes, err := classesOf(p, m)
	if err != nil {
		s.fail(c, m, wire.StatusBadRequest, err.Error())
		return
	}
	tid := m.Value("Tuple-ID")
	for _, cl := range classes {
		if p.tuples[cl+"\x00"+tid] == nil {
			s.fail(c, m, wire.StatusResourceNotFound, fmt.Sprintf("no tuple %q in class %q", tid, cl))
			return
		}
	}
	notify := map[string]bool{}
	for _, cl := range classes {
		k := cl + "\x00" + tid
		s.cancelTimer(p.tuples[k].leaseTimer)
		delete(p.tuples, k) // PRIM-A11.1.2-3: both values
		notify[cl] = true
	}
	s.respond(c, reply(m, wire.StatusOK, "From", "Tuple-ID", "Class"))
	s.notifyClasses(p, notify)
}

// ---- notifications (§4.6) ----

// notifyClasses sends every subscriber whose class is in classes one NOTIFY with its whole
// visible PI (PRIM-A10.1.4-2, PRIM-A10.1.4-4).
func (s *Server) notifyClasses(p *presentity, classes map[string]bool) {
	for _, k := range sortedKeys(p.subs) {
		sub := p.subs[k]
		if classes[p.classes.classOf(sub.watcher)] {
			s.notify(p, sub)
		}
	}
}

func tupleIDs(ts []tupleInfo) []string {
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return ids
}

// notify sends one NOTIFY to sub's watcher: to each subscribed connection of a local watcher
// (application/presence, Decision D13), or to the watcher's domain (CPIM-PIDF, Decision D2).
func (s *Server) notify(p *presentity, sub *subscription) {
	ts := p.visible(sub.watcher)
	if sub.remote != "" {
		s.notifyRemote(p, sub, ts, int((sub.expires.Sub(s.now)+time.Second-1)/time.Second))
		return
	}
	body, hs := notifyBody(ts)
	for _, id := range sortedConnIDs(sub.conns) {
		c := s.conns[id]
		if c == nil {
			continue
		}
		m := &wire.Message{Method: "NOTIFY", Version: wire.VersionPresence, Body: body}
		m.Add("From", p.id.String())
		m.Add("To", sub.watcher.String())
		for _, h := range hs {
			m.Add(h[0], h[1])
		}
		key := subKey(sub.watcher, sub.subID)
		if s.sendRequest(c, m, &outReq{onResp: func(r *wire.Message) {
			if r.Code == wire.StatusResourceNotFound {
				// Decision D26: 403 (no such watcher) drops the subscription.
				if cur := p.subs[key]; cur == sub {
					s.removeSub(p, key, "notify-403")
				}
			}
		}}) {
			s.observe(NotifySent{To: c.id.String(), Watcher: sub.watcher.String(), Presentity: p.id.String(), Tuples: tupleIDs(ts), Duration: -1})
		}
	}
}

// removeSub forgets a subscription and its bookkeeping.
func (s *Server) removeSub(p *presentity, key, reason string) {
	sub := p.subs[key]
	if sub == nil {
		return
	}
	s.cancelTimer(sub.timer)
	delete(p.subs, key)
	s.watcherCount[sub.watcher.Key()]--
	if s.watcherCount[sub.watcher.Key()] <= 0 {
		delete(s.watcherCount, sub.watcher.Key())
	}
	for _, id := range sortedConnIDs(sub.conns) {
		if c := s.conns[id]; c != nil {
			delete(c.subs, p.id.Key())
		}
	}
	if reason == "expired" {
		s.observe(SubscriptionExpired{Watcher: sub.watcher.String(), Presentity: p.id.String(), SubID: sub.subID})
	} else {
		s.observe(SubscriptionRemoved{Watcher: sub.watcher.String(), Presentity: p.id.String(), SubID: sub.subID, Reason: reason})
	}
}

// cancelSub revokes a subscription towards its watcher: CANCELSUBSCRIPTION to a local
// watcher's connections (PRIM-A10.1.5-1, id "-"), NOTIFY Duration 0 to a remote one
// (PRIM-S7.1.3-6).
func (s *Server) cancelSub(p *presentity, key string) {
	sub := p.subs[key]
	if sub.remote != "" {
		s.notifyRemote(p, sub, nil, 0)
	} else {
		for _, id := range sortedConnIDs(sub.conns) {
			c := s.conns[id]
			if c == nil {
				continue
			}
			m := &wire.Message{Method: "CANCELSUBSCRIPTION", Version: wire.VersionPresence}
			m.Add("From", p.id.String())
			m.Add("To", sub.watcher.String())
			s.sendRequest(c, m, nil)
			s.observe(CancelSent{To: c.id.String(), Watcher: sub.watcher.String(), Presentity: p.id.String()})
		}
	}
	s.removeSub(p, key, "acl")
}

// ---- subscriptions (§4.2, I2 §10.1) ----

// clampDuration applies Decision D30's [min, max] window; adjusted reports a change (201).
func (s *Server) clampDuration(d time.Duration) (time.Duration, bool) {
	switch {
	case d < s.lim.MinDuration:
		return s.lim.MinDuration, true
	case d > s.lim.MaxDuration:
		return s.lim.MaxDuration, true
	}
	return d, false
}

func parseDuration(v string) (time.Duration, bool) {
	if v == "" || len(v) > 10 {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// mayWatch checks a watcher's right (fetch or subscribe) on p; the owner may always
// (Decision D15).
func (s *Server) mayWatch(p *presentity, watcher addr.ID, op pidf.Right) bool {
	return p.acl.permits(p.id, watcher, op)
}

// place creates or renews a subscription and returns the code (200/201/505) and duration.
func (s *Server) place(p *presentity, watcher addr.ID, subID, remote string, d time.Duration) (int, time.Duration, *subscription) {
	d, adjusted := s.clampDuration(d)
	key := subKey(watcher, subID)
	sub := p.subs[key]
	renewed := sub != nil
	if sub == nil {
		if len(p.subs) >= s.lim.MaxSubscriptionsPerPresentity || s.watcherCount[watcher.Key()] >= s.lim.MaxSubscriptionsPerWatcher {
			return wire.StatusTooManySubscriptions, 0, nil
		}
		sub = &subscription{watcher: watcher, subID: subID, remote: remote, conns: map[engine.ConnID]bool{}}
		p.subs[key] = sub
		s.watcherCount[watcher.Key()]++
	}
	// PRIM-A10.1.1-4, PRIM-S7.1.1-7: a renewal resets the duration.
	sub.expires = s.now.Add(d)
	s.cancelTimer(sub.timer)
	sub.timer = s.after(d, func() {
		sub.timer = 0
		s.removeSub(p, key, "expired") // PRIM-A10.1.2-2: implicit UNSUBSCRIBE
	})
	s.observe(SubscriptionPlaced{Watcher: watcher.String(), Presentity: p.id.String(), SubID: subID, Duration: d, Renewed: renewed})
	sub.fresh = !renewed
	code := wire.StatusOK
	if adjusted {
		code = wire.StatusDurationAdjusted // PRIM-A10.1.1-3
	}
	return code, d, sub
}

// watcherNotify tells connections registered with STARTWATCHERNOTIFY about a subscription or
// fetch (PRIM-A11.1.5-1, PRIM-A11.1.7-1; Decision D27: not for unsubscribe or expiry).
func (s *Server) watcherNotify(p *presentity, watcher addr.ID, typ string) {
	for _, id := range sortedConnIDs(p.watchInfo) {
		c := s.conns[id]
		if c == nil {
			continue
		}
		m := &wire.Message{Method: "WATCHERNOTIFY", Version: wire.VersionPresence}
		m.Add("From", watcher.String())
		m.Add("To", p.id.String())
		m.Add("Watcher-Type", typ)
		if s.sendRequest(c, m, &outReq{}) {
			s.observe(WatcherNotifySent{Conn: c.id, Watcher: watcher.String(), Presentity: p.id.String(), WatcherType: typ})
		}
	}
}

func withBody(resp *wire.Message, ts []tupleInfo) *wire.Message {
	body, hs := clientBody(ts)
	for _, h := range hs {
		resp.Add(h[0], h[1])
	}
	resp.Body = body
	return resp
}

func (s *Server) subscribeLocal(c *conn, m *wire.Message, watcher, to addr.ID) {
	p := s.presentityOf(to)
	if p == nil {
		s.fail(c, m, wire.StatusResourceNotFound, "no such presentity")
		return
	}
	if !s.mayWatch(p, watcher, pidf.Subscribe) {
		s.fail(c, m, wire.StatusForbidden, "subscribe not allowed by the ACL")
		return
	}
	d, ok := parseDuration(m.Value("Duration"))
	if !ok {
		s.fail(c, m, wire.StatusBadRequest, fmt.Sprintf("Duration %q", m.Value("Duration"))) // Decision D30
		return
	}
	if d == 0 {
		// Decision D30: Duration 0 acts as in SS: end an existing subscription, else fetch.
		key := subKey(watcher, "")
		resp := reply(m, wire.StatusOK, "From", "To", "Duration")
		if p.subs[key] != nil {
			s.removeSub(p, key, "duration-0")
			s.respond(c, resp)
			return
		}
		s.respond(c, withBody(resp, p.visible(watcher)))
		s.watcherNotify(p, watcher, "fetch")
		return
	}
	code, d, sub := s.place(p, watcher, "", "", d)
	if sub == nil {
		s.fail(c, m, code, "subscription limit reached")
		return
	}
	sub.conns[c.id] = true
	put(&c.subs, p.id.Key(), true)
	resp := reply(m, code, "From", "To")
	resp.Add("Duration", seconds(d))
	// PRIM-A10.1.1-2, Decision D25: 200 and 201 carry the watcher-visible PI.
	s.respond(c, withBody(resp, p.visible(watcher)))
	if sub.fresh {
		s.watcherNotify(p, watcher, "subscribe")
	}
}

func (s *Server) unsubscribeLocal(c *conn, m *wire.Message, watcher, to addr.ID) {
	p := s.presentityOf(to)
	key := subKey(watcher, "")
	if p == nil || p.subs[key] == nil {
		s.fail(c, m, wire.StatusSubscriptionNotFound, "no such subscription")
		return
	}
	s.removeSub(p, key, "unsubscribe")
	s.respond(c, reply(m, wire.StatusOK, "From", "To"))
}

func (s *Server) fetchLocal(c *conn, m *wire.Message, watcher, to addr.ID) {
	p := s.presentityOf(to)
	if p == nil {
		s.fail(c, m, wire.StatusResourceNotFound, "no such presentity")
		return
	}
	if !s.mayWatch(p, watcher, pidf.Fetch) {
		s.fail(c, m, wire.StatusForbidden, "fetch not allowed by the ACL")
		return
	}
	s.respond(c, withBody(reply(m, wire.StatusOK, "From", "To"), p.visible(watcher))) // PRIM-A10.1.3-1
	s.watcherNotify(p, watcher, "fetch")
}

// dropConnSubscription ends connection c's part in its subscription to presentity presKey
// (Decision D31): the subscription goes when its last connection goes.
func (s *Server) dropConnSubscription(c *conn, presKey string) {
	id, err := addr.ParseMode(presKey, addr.Loose)
	if err != nil {
		return
	}
	watcher := s.principal(c, addr.SchemePres)
	if !s.isLocal(id) {
		s.dropUpstreamConn(c, watcher, id)
		return
	}
	p := s.presentityOf(id)
	if p == nil {
		return
	}
	key := subKey(watcher, "")
	if sub := p.subs[key]; sub != nil {
		delete(sub.conns, c.id)
		if len(sub.conns) == 0 {
			s.removeSub(p, key, "connection")
		}
	}
}

// ---- owner-only presence control (Class Table, watcher information) ----

func (s *Server) ownerPresence(c *conn, m *wire.Message, from addr.ID) {
	p := s.presentityOf(from)
	if p == nil {
		s.fail(c, m, wire.StatusResourceNotFound, "no such presentity")
		return
	}
	if !s.owns(c, from) {
		s.fail(c, m, wire.StatusForbidden, "not the owner") // Decision D15: ownership, not ACL
		return
	}
	switch m.Method {
	case "SETCLASSTABLE":
		ct, err := parseClassTable(m.Body)
		if err != nil {
			s.fail(c, m, wire.StatusBadRequest, "invalid classtable: "+err.Error()) // PRIM-A11.1.3-3
			return
		}
		before := map[string]string{}
		for _, k := range sortedKeys(p.subs) {
			before[k] = viewKey(p.visible(p.subs[k].watcher))
		}
		p.classes = ct
		s.respond(c, reply(m, wire.StatusOK, "From"))
		// Implementation choice: a watcher whose view changed with the table is notified, so
		// that its last NOTIFY always shows what its class allows (RFC 2779 5.1.x).
		for _, k := range sortedKeys(p.subs) {
			if viewKey(p.visible(p.subs[k].watcher)) != before[k] {
				s.notify(p, p.subs[k])
			}
		}
	case "GETCLASSTABLE":
		resp := reply(m, wire.StatusOK, "From")
		resp.Add("Content-Type", "text/xml")
		if p.classes != nil {
			resp.Body = p.classes.raw
		} else {
			resp.Body = pidf.FormatClassTable(pidf.ClassTable{})
		}
		s.respond(c, resp)
	case "STARTWATCHERNOTIFY":
		p.watchInfo[c.id] = true
		put(&c.watchInfo, p.local, true)
		seen := map[string]bool{}
		var ids []string
		for _, k := range sortedKeys(p.subs) {
			w := p.subs[k].watcher.String()
			if !seen[w] {
				seen[w] = true
				ids = append(ids, w)
			}
		}
		sort.Strings(ids)
		resp := reply(m, wire.StatusOK, "From")
		resp.Add("Content-Type", "text/xml")
		resp.Body = pidf.FormatSubscribers(ids) // PRIM-A11.1.5-2
		s.respond(c, resp)
	case "STOPWATCHERNOTIFY":
		delete(p.watchInfo, c.id)
		delete(c.watchInfo, p.local)
		s.respond(c, reply(m, wire.StatusOK, "From"))
	}
}

func viewKey(ts []tupleInfo) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteString(t.ID)
		b.WriteByte(0)
		b.Write(t.XML)
		b.WriteByte(0)
	}
	return b.String()
}

// aclRequest handles SETACL and GETACL on a presentity (pres: From) or an inbox (im: From).
func (s *Server) aclRequest(c *conn, m *wire.Message, from addr.ID) {
	if !s.hasAccount(from) {
		s.fail(c, m, wire.StatusResourceNotFound, "no such resource")
		return
	}
	if !s.owns(c, from) {
		s.fail(c, m, wire.StatusForbidden, "not the owner")
		return
	}
	var cur **acl
	kind := pidf.PresentityACL
	var p *presentity
	if from.Scheme == addr.SchemePres {
		p = s.presentityOf(from)
		cur = &p.acl
	} else {
		ib := s.inboxOf(from)
		cur = &ib.acl
		kind = pidf.InboxACL
	}
	if m.Method == "GETACL" {
		resp := reply(m, wire.StatusOK, "From")
		resp.Add("Content-Type", "text/xml")
		resp.Body = (*cur).raw
		s.respond(c, resp)
		return
	}
	a, err := parseACL(m.Body, kind)
	if err != nil {
		s.fail(c, m, wire.StatusBadRequest, "invalid ACL: "+err.Error()) // PRIM-A11.3.1-3
		return
	}
	*cur = a
	s.respond(c, reply(m, wire.StatusOK, "From"))
	if p != nil {
		// PRIM-A10.1.5-1: watchers that lost subscribe rights are cancelled.
		for _, k := range sortedKeys(p.subs) {
			if !s.mayWatch(p, p.subs[k].watcher, pidf.Subscribe) {
				s.cancelSub(p, k)
			}
		}
	}
}
