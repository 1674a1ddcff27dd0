package workload

import (
	"strconv"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/client"
	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/sim/metrics"
)

// pool is the engine of a domain's access host: it runs the client engines (reference/client)
// of all the domain's users side by side, so that a federation of thousands of users needs two
// simulated hosts per domain rather than one per user. Every user keeps its own TCP connection
// to the home server; the pool only multiplexes engine events:
//
//   - connection ids are the host's, unique for the host's life, so they pass through
//     unchanged; the pool remembers which user owns each;
//   - Dial tags are prefixed with the user index ("17|shared") and stripped on the way back;
//   - timer ids are user<<timerBits | the client's own id;
//   - Call events carry a userOp naming the user;
//   - facts come out wrapped in a UserFact naming the user.
//
// Because all of a domain's users share the access host, the access link's bandwidth is the
// domain's aggregate access capacity.
type pool struct {
	base    int32 // global index of users[0]
	users   []*client.Client
	owner   map[engine.ConnID]int32 // conn -> local user index
	traffic *traffic
	out     []engine.Action
	// newClient builds local user u's engine on its first event: a user who has not logged in
	// yet costs a nil pointer, which matters at a million users.
	newClient func(u int32) *client.Client
}

const timerBits = 8

// userOp is a client operation for one user of the pool (global user index).
type userOp struct {
	user int32
	op   any
}

// UserFact is a fact a user's client engine observed; User is the global user index.
type UserFact struct {
	User int32
	Fact engine.Fact
}

// Kind implements engine.Fact.
func (f UserFact) Kind() string { return f.Fact.Kind() }

// String implements engine.Fact.
func (f UserFact) String() string { return "u" + strconv.Itoa(int(f.User)) + " " + f.Fact.String() }

func (p *pool) Handle(now time.Time, ev engine.Event) []engine.Action {
	p.traffic.events++
	p.out = nil
	switch e := ev.(type) {
	case engine.Opened:
		u, tag, ok := splitTag(e.Tag)
		if !ok {
			// The access host listens on nothing; refuse anything unexpected.
			p.out = append(p.out, engine.Close{Conn: e.Conn, Abort: true})
			break
		}
		p.owner[e.Conn] = u
		e.Tag = tag
		p.forward(u, now, e)
	case engine.DialFailed:
		if u, tag, ok := splitTag(e.Tag); ok {
			e.Tag = tag
			p.forward(u, now, e)
		}
	case engine.Bytes:
		if u, ok := p.owner[e.Conn]; ok {
			p.forward(u, now, e)
		}
	case engine.Secured:
		if u, ok := p.owner[e.Conn]; ok {
			p.forward(u, now, e)
		}
	case engine.Closed:
		if u, ok := p.owner[e.Conn]; ok {
			delete(p.owner, e.Conn)
			p.forward(u, now, e)
		}
	case engine.Timer:
		u := int32(uint64(e.ID) >> timerBits)
		if int(u) < len(p.users) {
			p.forward(u, now, engine.Timer{ID: e.ID & (1<<timerBits - 1)})
		}
	case engine.Call:
		if op, ok := e.Op.(userOp); ok {
			if u := op.user - p.base; u >= 0 && int(u) < len(p.users) {
				p.forward(u, now, engine.Call{Op: op.op})
			}
		}
	}
	out := p.out
	p.out = nil
	return out
}

// forward hands ev to local user u and translates the actions back into host terms.
func (p *pool) forward(u int32, now time.Time, ev engine.Event) {
	c := p.users[u]
	if c == nil {
		c = p.newClient(u)
		p.users[u] = c
	}
	for _, a := range c.Handle(now, ev) {
		switch a := a.(type) {
		case engine.Write:
			p.traffic.message(metrics.ClientServer, now, len(a.Data))
			p.out = append(p.out, a)
		case engine.Dial:
			a.Tag = strconv.Itoa(int(u)) + "|" + a.Tag
			p.out = append(p.out, a)
		case engine.Close:
			p.out = append(p.out, a)
		case engine.StartTLS:
			p.out = append(p.out, a)
		case engine.SetTimer:
			a.ID = engine.TimerID(uint64(u)<<timerBits | uint64(a.ID))
			p.out = append(p.out, a)
		case engine.CancelTimer:
			a.ID = engine.TimerID(uint64(u)<<timerBits | uint64(a.ID))
			p.out = append(p.out, a)
		case engine.Observe:
			p.out = append(p.out, engine.Observe{Fact: UserFact{User: p.base + u, Fact: a.Fact}})
		default:
			p.out = append(p.out, a)
		}
	}
}

func splitTag(tag string) (int32, string, bool) {
	i := strings.IndexByte(tag, '|')
	if i <= 0 {
		return 0, "", false
	}
	n, err := strconv.Atoi(tag[:i])
	if err != nil {
		return 0, "", false
	}
	return int32(n), tag[i+1:], true
}

// serverShell wraps a domain's server engine (reference/server) to count the PRIM messages it
// writes, by link class: connections accepted on the "client" listener are client-server,
// those on "s2s" and those it dialled (always to peers) are server-server.
type serverShell struct {
	eng     engine.Engine
	class   map[engine.ConnID]string
	traffic *traffic
}

func (s *serverShell) Handle(now time.Time, ev engine.Event) []engine.Action {
	s.traffic.events++
	switch e := ev.(type) {
	case engine.Opened:
		if e.Listener == listenerClient {
			s.class[e.Conn] = metrics.ClientServer
		} else {
			s.class[e.Conn] = metrics.ServerServer
		}
	case engine.Closed:
		defer delete(s.class, e.Conn)
	}
	acts := s.eng.Handle(now, ev)
	for _, a := range acts {
		if w, ok := a.(engine.Write); ok {
			s.traffic.message(s.class[w.Conn], now, len(w.Data))
		}
	}
	return acts
}

// traffic feeds message counts into the recorder with virtual times.
type traffic struct {
	start  time.Time
	rec    *metrics.Recorder
	events int64
}

func (t *traffic) message(class string, now time.Time, n int) {
	if class == "" {
		class = metrics.ServerServer
	}
	t.rec.Message(class, now.Sub(t.start), n)
}
