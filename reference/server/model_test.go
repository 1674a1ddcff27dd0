package server

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"sort"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/wire"
)

// TestPresenceModel drives the engine with random publish / remove / setacl / setclasstable /
// subscribe / unsubscribe / reconnect / time-advance sequences for four users and checks it against a
// small model after every step. Invariants (RFC 2779 5.1.x; PRIM-A5.3-3, PRIM-A10.1.4-4,
// PRIM-A10.1.5-1, PRIM-A13.2.1-4, PRIM-A5.4-2, PRIM-A10.1.2-2):
//   - the set of live subscriptions equals the model's;
//   - every subscribed watcher's last presence (SUBSCRIBE answer or NOTIFY) is exactly the
//     tuples its class may see, with their current leased-or-permanent values;
//   - nobody without an active subscription, so nobody outside the ACL, receives a NOTIFY.
func TestPresenceModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		m := newModelRun(rt)
		rt.Repeat(map[string]func(*rapid.T){
			"publish":       m.publish,
			"remove":        m.remove,
			"setacl":        m.setACL,
			"setclasstable": m.setClassTable,
			"subscribe":     m.subscribe,
			"unsubscribe":   m.unsubscribe,
			"advance":       m.advance,
			"reconnect":     m.reconnect,
			"":              m.check,
		})
	})
}

var modelUsers = []string{"alice", "bob", "carol", "dave"}

type mTuple struct {
	leased, perm string // version notes; "" = none
	leaseExp     time.Time
}

type mState struct {
	hasTable bool
	classOf  map[string]string // watcher -> "A"/"B"; absent = default ""
	allowed  map[string]bool   // watchers with subscribe rights (owner always)
	tuples   map[[2]string]*mTuple
	subs     map[string]time.Time // watcher -> expiry
}

type modelRun struct {
	h      *harness
	st     map[string]*mState
	conns  map[string]engine.ConnID
	view   map[[2]string]map[string]string // (watcher, presentity) -> tuple id -> note
	active map[[2]string]bool              // from the engine's facts
	ver    int
	nextID int
	errs   []string

	nextConn int
}

func newModelRun(t *rapid.T) *modelRun {
	cfg := testConfig()
	cfg.Limits = Limits{MaxSubscriptionsPerPresentity: 100, MaxSubscriptionsPerWatcher: 100}
	h := &harness{t: t}
	h.reset(cfg)
	h.s = New(cfg, rand.New(rand.NewPCG(3, 4)))
	m := &modelRun{h: h, st: map[string]*mState{}, conns: map[string]engine.ConnID{},
		view: map[[2]string]map[string]string{}, active: map[[2]string]bool{}}
	for i, u := range modelUsers {
		m.st[u] = &mState{classOf: map[string]string{}, allowed: map[string]bool{}, tuples: map[[2]string]*mTuple{}, subs: map[string]time.Time{}}
		for _, w := range modelUsers {
			m.st[u].allowed[w] = true // Decision D15 default: "." may fetch and subscribe
		}
		id := engine.ConnID(i + 1)
		m.conns[u] = id
		m.feed(engine.Opened{Conn: id, Listener: "client", Local: "192.0.2.1:7000"})
		code := m.request(u, "LOGIN", []string{"From: pres:" + u + "@example.com", "Auth-State: init", "SASL-Mech: PLAIN"}, u+"\r\n"+u+"pw")
		if code != 200 {
			t.Fatalf("login %s: %d", u, code)
		}
	}
	return m
}

// feed hands an event to the engine and processes what comes back: answers NOTIFYs with 200,
// records views and subscription facts, and returns the responses by request id.
func (m *modelRun) feed(ev engine.Event) map[string]*wire.Message {
	acts := m.h.s.Handle(m.h.now, ev)
	resps := map[string]*wire.Message{}
	for _, a := range acts {
		switch a := a.(type) {
		case engine.SetTimer:
			m.h.timers[a.ID] = a.At
		case engine.CancelTimer:
			delete(m.h.timers, a.ID)
		case engine.Observe:
			switch f := a.Fact.(type) {
			case SubscriptionPlaced:
				m.active[[2]string{user(f.Watcher), user(f.Presentity)}] = true
			case SubscriptionExpired:
				delete(m.active, [2]string{user(f.Watcher), user(f.Presentity)})
			case SubscriptionRemoved:
				delete(m.active, [2]string{user(f.Watcher), user(f.Presentity)})
			}
		case engine.Write:
			d := wire.NewDecoder(wire.DefaultLimits())
			d.Feed(a.Data)
			msg, err := d.Next()
			if err != nil || msg == nil {
				m.errs = append(m.errs, fmt.Sprintf("undecodable write %q: %v", a.Data, err))
				continue
			}
			watcher := m.userOf(a.Conn)
			switch msg.Method {
			case "":
				resps[msg.ID] = msg
			case "NOTIFY":
				key := [2]string{watcher, user(msg.Value("From"))}
				if !m.active[key] {
					m.errs = append(m.errs, fmt.Sprintf("NOTIFY to %s for %s without an active subscription", key[0], key[1]))
				}
				m.view[key] = m.parseView(msg)
				r := &wire.Message{Version: msg.Version, ID: msg.ID, Code: 200, Phrase: "OK"}
				m.h.s.Handle(m.h.now, engine.Bytes{Conn: a.Conn, Data: r.Bytes()})
			case "CANCELSUBSCRIPTION":
				delete(m.view, [2]string{watcher, user(msg.Value("From"))})
			default:
				m.errs = append(m.errs, fmt.Sprintf("unexpected request %s", msg.StartLine()))
			}
		}
	}
	return resps
}

func user(id string) string {
	_, rest, _ := strings.Cut(id, ":")
	u, _, _ := strings.Cut(rest, "@")
	return u
}

func (m *modelRun) userOf(c engine.ConnID) string {
	for u, id := range m.conns {
		if id == c {
			return u
		}
	}
	return "?"
}

func (m *modelRun) parseView(msg *wire.Message) map[string]string {
	out := map[string]string{}
	if len(msg.Body) == 0 {
		return out
	}
	add := func(id string, b []byte) {
		ti, err := parsePrimTuple(id, b)
		if err != nil {
			m.errs = append(m.errs, fmt.Sprintf("bad tuple %q: %v", b, err))
			return
		}
		out[id] = ti.Note
	}
	mt, params, err := mime.ParseMediaType(msg.Value("Content-Type"))
	if err != nil {
		m.errs = append(m.errs, fmt.Sprintf("content type %q", msg.Value("Content-Type")))
		return out
	}
	if mt == "application/presence" {
		add(msg.Value("Tuple-ID"), msg.Body)
		return out
	}
	r := multipart.NewReader(bytes.NewReader(msg.Body), params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			m.errs = append(m.errs, fmt.Sprintf("multipart: %v", err))
			break
		}
		b, _ := io.ReadAll(p)
		add(p.Header.Get("Tuple-Id"), b)
	}
	return out
}

// request sends one request from user u and returns the response code.
func (m *modelRun) request(u, method string, headers []string, body string) int {
	m.nextID++
	id := fmt.Sprintf("r%d", m.nextID)
	v := wire.VersionPresence
	req := &wire.Message{Method: method, Version: v, ID: id, Body: []byte(body)}
	for _, h := range headers {
		n, val, _ := strings.Cut(h, ": ")
		req.Add(n, val)
	}
	resps := m.feed(engine.Bytes{Conn: m.conns[u], Data: req.Bytes()})
	r := resps[id]
	if r == nil {
		m.errs = append(m.errs, fmt.Sprintf("no response to %s", req.StartLine()))
		return 0
	}
	if method == "SUBSCRIBE" && (r.Code == 200 || r.Code == 201) {
		m.view[[2]string{u, user(req.Value("To"))}] = m.parseView(r)
	}
	return r.Code
}

func (m *modelRun) expect(t *rapid.T, what string, got, want int) {
	if got != want {
		t.Fatalf("%s: got %d, want %d", what, got, want)
	}
}

func (m *modelRun) publish(t *rapid.T) {
	u := rapid.SampledFrom(modelUsers).Draw(t, "owner")
	cl := rapid.SampledFrom([]string{"", "A", "B"}).Draw(t, "class")
	tid := rapid.SampledFrom([]string{"t1", "t2"}).Draw(t, "tuple")
	typ := rapid.SampledFrom([]string{"permanent", "leased", "renew", "revert"}).Draw(t, "type")
	d := rapid.IntRange(30, 300).Draw(t, "duration")
	m.ver++
	note := fmt.Sprintf("v%d", m.ver)
	hs := []string{"From: pres:" + u + "@example.com", "PI-Type: " + typ, "Tuple-ID: " + tid}
	if cl != "" {
		hs = append(hs, "Class: "+cl)
	}
	if typ == "leased" || typ == "renew" {
		hs = append(hs, fmt.Sprintf("Duration: %d", d))
	}
	body := ""
	if typ == "leased" || typ == "permanent" {
		hs = append(hs, "Content-Type: application/presence")
		body = fmt.Sprintf(`<presence identifier="pres:%s@example.com" date="1 Jan 2026 00:00 +0000"><contact address="im:%s@example.com"><display-name>x</display-name><status value="open"/><note>%s</note></contact></presence>`, u, u, note)
	}
	code := m.request(u, "PUBLISH", hs, body)
	st := m.st[u]
	if cl != "" && !st.hasTable {
		m.expect(t, "PUBLISH to an unknown class", code, 400)
		return
	}
	k := [2]string{cl, tid}
	tp := st.tuples[k]
	switch typ {
	case "permanent":
		if tp == nil {
			tp = &mTuple{}
			st.tuples[k] = tp
		}
		tp.perm = note
	case "leased":
		if tp == nil {
			tp = &mTuple{}
			st.tuples[k] = tp
		}
		tp.leased, tp.leaseExp = note, m.h.now.Add(time.Duration(d)*time.Second)
	case "renew", "revert":
		if tp == nil || tp.leased == "" {
			m.expect(t, "PUBLISH "+typ+" without a lease", code, 403)
			return
		}
		if typ == "renew" {
			tp.leaseExp = m.h.now.Add(time.Duration(d) * time.Second)
		} else {
			tp.leased = ""
			if tp.perm == "" {
				delete(st.tuples, k)
			}
		}
	}
	m.expect(t, "PUBLISH", code, 200)
}

func (m *modelRun) remove(t *rapid.T) {
	u := rapid.SampledFrom(modelUsers).Draw(t, "owner")
	cl := rapid.SampledFrom([]string{"", "A", "B"}).Draw(t, "class")
	tid := rapid.SampledFrom([]string{"t1", "t2"}).Draw(t, "tuple")
	hs := []string{"From: pres:" + u + "@example.com", "Tuple-ID: " + tid}
	if cl != "" {
		hs = append(hs, "Class: "+cl)
	}
	code := m.request(u, "REMOVE", hs, "")
	st := m.st[u]
	if cl != "" && !st.hasTable {
		m.expect(t, "REMOVE in an unknown class", code, 400)
		return
	}
	if st.tuples[[2]string{cl, tid}] == nil {
		m.expect(t, "REMOVE of an absent tuple", code, 403)
		return
	}
	delete(st.tuples, [2]string{cl, tid})
	m.expect(t, "REMOVE", code, 200)
}

func (m *modelRun) setACL(t *rapid.T) {
	u := rapid.SampledFrom(modelUsers).Draw(t, "owner")
	var b strings.Builder
	b.WriteString("<acl>")
	allowed := map[string]bool{u: true}
	for _, w := range modelUsers {
		if w != u && rapid.Bool().Draw(t, "allow-"+w) {
			allowed[w] = true
			fmt.Fprintf(&b, "<entry><target><address>%s@example.com</address></target><allow><fetch/><subscribe/></allow></entry>", w)
		}
	}
	b.WriteString("</acl>")
	code := m.request(u, "SETACL", []string{"From: pres:" + u + "@example.com", "Content-Type: text/xml"}, b.String())
	m.expect(t, "SETACL", code, 200)
	st := m.st[u]
	st.allowed = allowed
	for w := range st.subs {
		if !allowed[w] {
			delete(st.subs, w) // PRIM-A10.1.5-1
		}
	}
}

func (m *modelRun) setClassTable(t *rapid.T) {
	u := rapid.SampledFrom(modelUsers).Draw(t, "owner")
	members := map[string][]string{}
	classOf := map[string]string{}
	for _, w := range modelUsers {
		if w == u {
			continue
		}
		c := rapid.SampledFrom([]string{"", "A", "B"}).Draw(t, "class-"+w)
		if c != "" {
			classOf[w] = c
			members[c] = append(members[c], w)
		}
	}
	var b strings.Builder
	b.WriteString("<classtable>")
	for _, c := range []string{"A", "B"} {
		fmt.Fprintf(&b, `<class name="%s">`, c)
		for _, w := range members[c] {
			fmt.Fprintf(&b, "<watcher>%s@example.com</watcher>", w)
		}
		b.WriteString("</class>")
	}
	b.WriteString("</classtable>")
	code := m.request(u, "SETCLASSTABLE", []string{"From: pres:" + u + "@example.com", "Content-Type: text/xml"}, b.String())
	m.expect(t, "SETCLASSTABLE", code, 200)
	m.st[u].hasTable = true
	m.st[u].classOf = classOf
}

func (m *modelRun) subscribe(t *rapid.T) {
	w := rapid.SampledFrom(modelUsers).Draw(t, "watcher")
	p := rapid.SampledFrom(modelUsers).Draw(t, "presentity")
	d := rapid.IntRange(1, 600).Draw(t, "duration")
	code := m.request(w, "SUBSCRIBE", []string{"From: pres:" + w + "@example.com", "To: pres:" + p + "@example.com", fmt.Sprintf("Duration: %d", d)}, "")
	st := m.st[p]
	if !st.allowed[w] {
		m.expect(t, "SUBSCRIBE denied by the ACL", code, 402)
		return
	}
	want := 200
	if d < 60 {
		d, want = 60, 201 // Decision D30 clamp
	}
	m.expect(t, "SUBSCRIBE", code, want)
	st.subs[w] = m.h.now.Add(time.Duration(d) * time.Second)
}

func (m *modelRun) unsubscribe(t *rapid.T) {
	w := rapid.SampledFrom(modelUsers).Draw(t, "watcher")
	p := rapid.SampledFrom(modelUsers).Draw(t, "presentity")
	code := m.request(w, "UNSUBSCRIBE", []string{"From: pres:" + w + "@example.com", "To: pres:" + p + "@example.com"}, "")
	if _, ok := m.st[p].subs[w]; !ok {
		m.expect(t, "UNSUBSCRIBE without subscription", code, 404)
		return
	}
	m.expect(t, "UNSUBSCRIBE", code, 200)
	delete(m.st[p].subs, w)
	delete(m.view, [2]string{w, p})
}

// reconnect closes a user's connection and logs in on a new one: Decision D31 ends the
// subscriptions that connection held; presence stays.
func (m *modelRun) reconnect(t *rapid.T) {
	u := rapid.SampledFrom(modelUsers).Draw(t, "user")
	m.feed(engine.Closed{Conn: m.conns[u]})
	for _, p := range modelUsers {
		delete(m.st[p].subs, u)
		delete(m.view, [2]string{u, p})
	}
	m.nextConn++
	m.conns[u] = engine.ConnID(100 + m.nextConn)
	m.feed(engine.Opened{Conn: m.conns[u], Listener: "client", Local: "192.0.2.1:7000"})
	code := m.request(u, "LOGIN", []string{"From: pres:" + u + "@example.com", "Auth-State: init", "SASL-Mech: PLAIN"}, u+"\r\n"+u+"pw")
	m.expect(t, "LOGIN after reconnect", code, 200)
}

func (m *modelRun) advance(t *rapid.T) {
	d := time.Duration(rapid.IntRange(1, 400).Draw(t, "seconds")) * time.Second
	end := m.h.now.Add(d)
	for {
		var ids []engine.TimerID
		for id, at := range m.h.timers {
			if !at.After(end) {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			break
		}
		sort.Slice(ids, func(i, j int) bool {
			a, b := m.h.timers[ids[i]], m.h.timers[ids[j]]
			if !a.Equal(b) {
				return a.Before(b)
			}
			return ids[i] < ids[j]
		})
		id := ids[0]
		m.h.now = m.h.timers[id]
		delete(m.h.timers, id)
		m.feed(engine.Timer{ID: id})
	}
	m.h.now = end
	for _, st := range m.st {
		for k, tp := range st.tuples {
			if tp.leased != "" && !tp.leaseExp.After(end) {
				tp.leased = ""
				if tp.perm == "" {
					delete(st.tuples, k)
				}
			}
		}
		for w, exp := range st.subs {
			if !exp.After(end) {
				delete(st.subs, w)
			}
		}
	}
}

// visible is what watcher w of presentity p may see: p's tuples of w's class.
func (m *modelRun) visible(w, p string) map[string]string {
	st := m.st[p]
	cl := st.classOf[w]
	out := map[string]string{}
	for k, tp := range st.tuples {
		if k[0] != cl {
			continue
		}
		if tp.leased != "" {
			out[k[1]] = tp.leased
		} else if tp.perm != "" {
			out[k[1]] = tp.perm
		}
	}
	return out
}

func (m *modelRun) check(t *rapid.T) {
	if len(m.errs) > 0 {
		t.Fatalf("engine misbehaved: %s", strings.Join(m.errs, "; "))
	}
	for _, p := range modelUsers {
		for _, w := range modelUsers {
			key := [2]string{w, p}
			_, sub := m.st[p].subs[w]
			if sub != m.active[key] {
				t.Fatalf("subscription %s -> %s: model %t, engine %t", w, p, sub, m.active[key])
			}
			if !sub {
				continue
			}
			want, got := m.visible(w, p), m.view[key]
			if fmt.Sprint(want) != fmt.Sprint(got) {
				t.Fatalf("%s's view of %s: got %v, want %v (class %q)", w, p, got, want, m.st[p].classOf[w])
			}
		}
	}
}
