package scenario

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Model is an abstract model of one domain's presence and IM service, written from the
// digest rather than from the reference server: given a step it says what every user must
// observe. It covers the commands of a single-domain script (every command but partition,
// heal, crash and restart) with the reference policy choices: the default ACL of Decision D15,
// the duration window [60 s, 86400 s] of Decision D30 (201 when raised), and the lease rules of
// §4.5 with Decision D29.
//
// Time: every step lasts StepTime except advance; a lease or subscription of d seconds set
// during the step starting at T expires at T+d (plus the same link latency the request had), so
// it takes effect in the step that covers T+d, before that step's own operation when T+d is the
// step's start.
type Model struct {
	now    int64 // seconds since the start, at the current step's start
	seq    int   // orders timers that expire in the same second, and stored values
	users  map[string]*mUser
	order  []string // user keys in declaration order
	timers []mTimer
	domain string
}

type mUser struct {
	id        string
	loggedIn  bool
	listening bool

	table    map[string]string // class table: key (identifier, @domain, .) -> class
	classes  map[string]bool
	hasTable bool

	tuples   map[string]*mTuple // class "\x00" tuple id
	acl      map[string]map[string]bool
	inboxACL map[string]map[string]bool
	subs     map[string]*mSub // watcher key -> subscription to this presentity
}

type mTuple struct {
	class, id string
	leased    *mValue
	perm      *mValue
	leaseSeq  int // timer that ends the lease
}

type mValue struct {
	status, note string
	serial       int
}

type mSub struct{ seq int }

type mTimer struct {
	at   int64
	seq  int
	kind string // "lease" or "sub"
	pres string // presentity key
	key  string // tuple key or watcher key
}

// ErrModel is wrapped when a step is outside what the model covers.
var ErrModel = fmt.Errorf("scenario: step outside the model")

// NewModel starts a model for the users of a "users" step; they must share one domain.
func NewModel(users Step) (*Model, error) {
	if users.Cmd != "users" || len(users.Args) == 0 {
		return nil, fmt.Errorf("%w: the first step must be \"users\"", ErrModel)
	}
	m := &Model{users: map[string]*mUser{}}
	for _, u := range users.Args {
		d := domainOf(u)
		if m.domain == "" {
			m.domain = d
		}
		if d != m.domain {
			return nil, fmt.Errorf("%w: user %q is not in %q (the model plays one domain)", ErrModel, u, m.domain)
		}
		k := strings.ToLower(u)
		m.users[k] = &mUser{id: u, table: map[string]string{}, classes: map[string]bool{}, tuples: map[string]*mTuple{}, subs: map[string]*mSub{}}
		m.order = append(m.order, k)
	}
	return m, nil
}

// Step returns the observations step must produce, sorted, and moves the model past it.
func (m *Model) Step(st Step) ([]string, error) {
	var out []string
	length := int64(StepTime / time.Second)
	if st.Cmd == "advance" {
		if len(st.Args) != 1 {
			return nil, fmt.Errorf("%w: advance wants one duration", ErrScript)
		}
		d, err := time.ParseDuration(st.Args[0])
		if err != nil || d <= 0 || d%time.Second != 0 {
			return nil, fmt.Errorf("%w: advance %q: the model wants whole seconds", ErrModel, st.Args[0])
		}
		length = int64(d / time.Second)
	}
	// Timers due at the step's start fire before its operation (they were set by requests that
	// took the same path, earlier).
	m.fire(m.now, &out)
	if st.Cmd != "advance" {
		lines, err := m.op(st)
		if err != nil {
			return nil, err
		}
		out = append(out, lines...)
	}
	m.fire(m.now+length-1, &out)
	m.now += length
	sort.Strings(out)
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// fire runs every timer due at or before t, earliest first.
func (m *Model) fire(t int64, out *[]string) {
	for {
		best := -1
		for i, tm := range m.timers {
			if tm.at <= t && (best < 0 || tm.at < m.timers[best].at || (tm.at == m.timers[best].at && tm.seq < m.timers[best].seq)) {
				best = i
			}
		}
		if best < 0 {
			return
		}
		tm := m.timers[best]
		m.timers = append(m.timers[:best], m.timers[best+1:]...)
		p := m.users[tm.pres]
		switch tm.kind {
		case "lease":
			tp := p.tuples[tm.key]
			if tp == nil || tp.leased == nil || tp.leaseSeq != tm.seq {
				continue
			}
			// PRIM-A5.4-2: revert to the permanent value, or remove the tuple; notify.
			tp.leased = nil
			if tp.perm == nil {
				delete(p.tuples, tm.key)
			}
			*out = append(*out, m.notifyClass(tm.pres, tp.class)...)
		case "sub":
			if s := p.subs[tm.key]; s != nil && s.seq == tm.seq {
				delete(p.subs, tm.key) // PRIM-A10.1.2-2: implicit UNSUBSCRIBE, nothing observed
			}
		}
	}
}

func (m *Model) timer(kind, pres, key string, d int64) int {
	m.seq++
	m.timers = append(m.timers, mTimer{at: m.now + d, seq: m.seq, kind: kind, pres: pres, key: key})
	return m.seq
}

func (m *Model) user(name string) (*mUser, string, error) {
	k := strings.ToLower(name)
	u := m.users[k]
	if u == nil {
		return nil, "", fmt.Errorf("%w: unknown user %q", ErrModel, name)
	}
	return u, k, nil
}

// classOf finds w's class in p's table: identifier, then @domain, then ".", else the default
// class "" (PRIM-A5.3-1, Decision D39).
func (p *mUser) classOf(w string) string {
	w = strings.ToLower(w)
	if c, ok := p.table[w]; ok {
		return c
	}
	if c, ok := p.table["@"+domainOf(w)]; ok {
		return c
	}
	return p.table["."]
}

// permits evaluates an ACL, most specific entry first; nil means the default ACL (Decision
// D15: "." may fetch and subscribe, or send), and the owner may always.
func permits(acl map[string]map[string]bool, owner, requester, op string) bool {
	if strings.EqualFold(owner, requester) {
		return true
	}
	if acl == nil {
		return op == "fetch" || op == "subscribe" || op == "send"
	}
	r := strings.ToLower(requester)
	for _, k := range []string{r, "@" + domainOf(r), "."} {
		if ops, ok := acl[k]; ok {
			return ops[op]
		}
	}
	return false
}

func (p *mUser) visible(class string) []string {
	var out []string
	for _, t := range p.tuples {
		if t.class != class {
			continue
		}
		v := t.leased
		if v == nil {
			v = t.perm
		}
		if v == nil {
			continue
		}
		s := t.id + "=" + v.status
		if v.note != "" {
			s += ":" + strconv.Quote(v.note)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// viewKey identifies the stored values a class sees (what a NOTIFY would carry).
func (p *mUser) viewKey(class string) string {
	var ks []string
	for _, t := range p.tuples {
		if t.class != class {
			continue
		}
		v := t.leased
		if v == nil {
			v = t.perm
		}
		if v != nil {
			ks = append(ks, t.id+"#"+strconv.Itoa(v.serial))
		}
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}

func tuplesText(ts []string) string { return "tuples=[" + strings.Join(ts, " ") + "]" }

// notifyClass returns the NOTIFY lines for every subscriber of pres whose class is class.
func (m *Model) notifyClass(pres, class string) []string {
	p := m.users[pres]
	var out []string
	for wk := range p.subs {
		w := m.users[wk]
		if p.classOf(w.id) == class {
			out = append(out, w.id+": notify "+p.id+" "+tuplesText(p.visible(class)))
		}
	}
	return out
}

func (m *Model) op(st Step) ([]string, error) {
	if len(st.Args) == 0 {
		return nil, fmt.Errorf("%w: %s: which user?", ErrScript, st.Cmd)
	}
	u, uk, err := m.user(st.Args[0])
	if err != nil {
		return nil, err
	}
	pfx := u.id + ": "
	res := func(code int, extra ...string) []string {
		s := pfx + st.Cmd + " " + strconv.Itoa(code)
		for _, e := range extra {
			s += " " + e
		}
		return []string{s}
	}
	peer := func() (*mUser, string, error) {
		if len(st.Args) != 2 {
			return nil, "", fmt.Errorf("%w: %s wants a user and a peer", ErrScript, st.Cmd)
		}
		if m.users[strings.ToLower(st.Args[1])] == nil && domainOf(st.Args[1]) == m.domain {
			return nil, "", nil // no such account in the domain
		}
		return m.user(st.Args[1])
	}
	if st.Cmd == "login" {
		if u.loggedIn {
			return nil, fmt.Errorf("%w: login of a user already logged in", ErrModel)
		}
		u.loggedIn = true
		return res(200), nil
	}
	if !u.loggedIn {
		switch st.Cmd {
		case "logout":
			return []string{pfx + `logout error "not connected"`}, nil
		case "publish", "remove", "setclasstable", "setacl", "subscribe", "unsubscribe", "fetch", "listen", "silence", "send":
			return []string{pfx + st.Cmd + ` error "not connected"`}, nil
		}
	}
	switch st.Cmd {
	case "logout":
		// Decision D31: the connections' LISTENs and subscriptions end with them.
		u.loggedIn, u.listening = false, false
		for _, p := range m.users {
			delete(p.subs, uk)
		}
		return []string{pfx + "logout 0", pfx + "disconnected im", pfx + "disconnected pres"}, nil
	case "publish":
		return m.publish(u, uk, st, res)
	case "remove":
		tid, _ := st.Opt("tuple")
		class, ok := m.classArg(u, st)
		if !ok {
			return res(400), nil
		}
		k := class + "\x00" + tid
		if u.tuples[k] == nil {
			return res(403), nil
		}
		delete(u.tuples, k) // PRIM-A11.1.2-3: both values
		return append(res(200), m.notifyClass(uk, class)...), nil
	case "setclasstable":
		table := map[string]string{}
		names := map[string]bool{}
		for _, o := range st.Opts {
			names[o.Key] = true
			for _, w := range splitList(o.Value) {
				w = strings.ToLower(w)
				if _, dup := table[w]; dup {
					return nil, fmt.Errorf("%w: %q in two classes (Decision D39: 400)", ErrModel, w)
				}
				table[w] = o.Key
			}
		}
		before := map[string]string{}
		for wk := range u.subs {
			before[wk] = u.viewKey(u.classOf(m.users[wk].id))
		}
		u.table, u.classes, u.hasTable = table, names, true
		out := res(200)
		// The reference notifies a watcher whose view changed with the table.
		for wk := range u.subs {
			w := m.users[wk]
			c := u.classOf(w.id)
			if u.viewKey(c) != before[wk] {
				out = append(out, w.id+": notify "+u.id+" "+tuplesText(u.visible(c)))
			}
		}
		return out, nil
	case "setacl":
		acl := map[string]map[string]bool{}
		inbox := false
		for _, o := range st.Opts {
			if o.Key == "service" {
				inbox = o.Value == "im"
				continue
			}
			ops := map[string]bool{}
			for _, op := range splitList(o.Value) {
				if op != "none" {
					ops[op] = true
				}
			}
			acl[strings.ToLower(o.Key)] = ops
		}
		out := res(200)
		if inbox {
			u.inboxACL = acl
			return out, nil
		}
		u.acl = acl
		// PRIM-A10.1.5-1: watchers that lost subscribe rights are cancelled.
		for wk := range u.subs {
			w := m.users[wk]
			if !permits(u.acl, u.id, w.id, "subscribe") {
				out = append(out, w.id+": cancelled "+u.id)
				delete(u.subs, wk)
			}
		}
		return out, nil
	case "subscribe":
		p, pk, err := peer()
		if err != nil {
			return nil, err
		}
		if p == nil {
			return res(403), nil
		}
		d, err := seconds(st, "duration", 3600)
		if err != nil {
			return nil, err
		}
		if d == 0 || d > 86400 {
			return nil, fmt.Errorf("%w: subscribe duration %d", ErrModel, d)
		}
		if !permits(p.acl, p.id, u.id, "subscribe") {
			return res(402), nil
		}
		code := 200
		if d < 60 {
			d, code = 60, 201 // Decision D30, PRIM-A10.1.1-3
		}
		s := p.subs[uk]
		if s == nil {
			s = &mSub{}
			p.subs[uk] = s
		}
		s.seq = m.timer("sub", pk, uk, int64(d))
		return res(code, "duration="+strconv.Itoa(d), tuplesText(p.visible(p.classOf(u.id)))), nil
	case "unsubscribe":
		p, _, err := peer()
		if err != nil {
			return nil, err
		}
		if p == nil || p.subs[uk] == nil {
			return res(404), nil
		}
		delete(p.subs, uk)
		return res(200), nil
	case "fetch":
		p, _, err := peer()
		if err != nil {
			return nil, err
		}
		if p == nil {
			return res(403), nil
		}
		if !permits(p.acl, p.id, u.id, "fetch") {
			return res(402), nil
		}
		return res(200, tuplesText(p.visible(p.classOf(u.id)))), nil
	case "listen":
		u.listening = true
		return res(200), nil
	case "silence":
		if !u.listening {
			return res(408), nil // PRIM-A11.2.2-3
		}
		u.listening = false
		return res(200), nil
	case "send":
		r, _, err := peer()
		if err != nil {
			return nil, err
		}
		if r == nil {
			return res(408), nil // no such inbox: nobody can be listening
		}
		if !permits(r.inboxACL, r.id, u.id, "send") {
			return res(402), nil
		}
		if !r.listening {
			return res(408), nil
		}
		return append(res(200), r.id+": message from="+u.id+" body="+strconv.Quote(st.OptOr("body", "hello"))), nil
	}
	return nil, fmt.Errorf("%w: command %q", ErrModel, st.Cmd)
}

// classArg returns the Class of a publish or remove ("" = default class) and false when it
// names no class of the table (Decision D14: 400).
func (m *Model) classArg(u *mUser, st Step) (string, bool) {
	c, ok := st.Opt("class")
	if !ok || c == "" {
		return "", true
	}
	if strings.Contains(c, ",") {
		return "", false
	}
	return c, u.hasTable && u.classes[c]
}

func (m *Model) publish(u *mUser, uk string, st Step, res func(int, ...string) []string) ([]string, error) {
	tid, ok := st.Opt("tuple")
	if !ok {
		return nil, fmt.Errorf("%w: publish needs tuple=", ErrScript)
	}
	class, ok := m.classArg(u, st)
	if !ok {
		return res(400), nil
	}
	typ := st.OptOr("type", "permanent")
	d, err := seconds(st, "duration", 0)
	if err != nil {
		return nil, err
	}
	if (typ == "leased" || typ == "renew") && d <= 0 {
		return res(400), nil // Decision D29
	}
	k := class + "\x00" + tid
	t := u.tuples[k]
	if (typ == "renew" || typ == "revert") && (t == nil || t.leased == nil) {
		return res(403), nil // Decision D29
	}
	if t == nil {
		t = &mTuple{class: class, id: tid}
		u.tuples[k] = t
	}
	m.seq++
	v := &mValue{status: st.OptOr("status", "open"), note: st.OptOr("note", ""), serial: m.seq}
	notify := false
	switch typ {
	case "leased":
		t.leased = v
		t.leaseSeq = m.timer("lease", uk, k, int64(d))
		notify = true
	case "permanent":
		t.perm = v
		notify = t.leased == nil // PRIM-A11.1.1-5
	case "renew":
		t.leaseSeq = m.timer("lease", uk, k, int64(d))
	case "revert":
		t.leased = nil
		if t.perm == nil {
			delete(u.tuples, k)
		}
		notify = true
	default:
		return nil, fmt.Errorf("%w: PI-Type %q", ErrModel, typ)
	}
	out := res(200)
	if notify {
		out = append(out, m.notifyClass(uk, class)...)
	}
	return out, nil
}

// Expect fills in a script's expectations from the model (single-domain scripts only).
func Expect(sc *Script) (*Script, error) {
	if len(sc.Steps) == 0 {
		return nil, fmt.Errorf("%w: empty script", ErrModel)
	}
	m, err := NewModel(sc.Steps[0])
	if err != nil {
		return nil, err
	}
	out := &Script{Name: sc.Name, Header: sc.Header}
	for i, st := range sc.Steps {
		st.Expect = []string{}
		if i > 0 {
			if st.Expect, err = m.Step(st); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", sc.Name, st.Line, err)
			}
		} else {
			m.now += int64(StepTime / time.Second)
		}
		out.Steps = append(out.Steps, st)
	}
	return out, nil
}
