package mutants

import (
	"errors"
	"sort"
	"time"

	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/server"
	"github.com/primlab/primlab/reference/wire"
)

// hooks are the places a mutant may break the engine. Every field is optional.
type hooks struct {
	// event sees each event before the engine; returning false swallows it.
	event func(w *wrapper, ev engine.Event) bool
	// message rewrites one message the engine writes on c (req is the request it answers,
	// for a response, when the wrapper saw it) and returns what to write instead.
	message func(w *wrapper, c *conn, m, req *wire.Message) []*wire.Message
	// encode renders one message (default: wire.Append).
	encode func(b []byte, m *wire.Message) []byte
	// actions post-processes the whole list of actions of one Handle call, after message
	// rewriting and injected writes.
	actions func(w *wrapper, acts []engine.Action) []engine.Action
	// incoming rewrites one message the engine receives on c and returns what it receives
	// instead (see rewriteIn for when a rewrite can take effect).
	incoming func(w *wrapper, c *conn, m *wire.Message) []*wire.Message
	// raw rewrites the octets of one Bytes event before anything else sees them (atBoundary:
	// nothing of a command is pending, so data starts where a start line is expected). It
	// returns what the engine receives instead; nil swallows the event, and then only the
	// actions the hook queued with w.inject (a Close, say) are taken.
	raw func(w *wrapper, c *conn, data []byte, atBoundary bool) []byte
}

// conn is what the wrapper tracks about one connection of the engine.
type conn struct {
	id       engine.ConnID
	listener string // accepting listener ("client", "s2s"); "" for a connection the engine dialled
	in, out  *wire.Decoder
	inBad    bool
	outBad   bool
	asked    map[string]*wire.Message // requests received, by id, until answered
}

// s2s reports whether the connection is a server-server link.
func (c *conn) s2s() bool { return c.listener != "client" }

// wireLimits are far above anything the engine accepts or writes: the wrapper must read
// whatever the engine does (a 200-character request id it echoes, say), never judge it.
func wireLimits() wire.Limits {
	return wire.Limits{MaxStartLine: 64 << 10, MaxHeaderLine: 64 << 10, MaxHeaders: 4096, MaxBody: 64 << 20, MaxIDLen: 64 << 10}
}

// decode feeds data to d and returns the complete commands it now holds. bad is set when the
// stream stops being PRIM (a fatal framing error, or any error when strict): the wrapper then
// stops looking at it. Input is read leniently (the engine answers malformed input; the
// wrapper only tracks requests); output strictly, so that bytes it cannot read are passed on
// untouched rather than dropped.
func decode(d *wire.Decoder, data []byte, bad *bool, strict bool) []*wire.Message {
	if *bad {
		return nil
	}
	d.Feed(data)
	var out []*wire.Message
	for {
		m, err := d.Next()
		if err != nil {
			var we *wire.Error
			if errors.As(err, &we) && !we.Fatal && !strict {
				continue
			}
			*bad = true
			return out
		}
		if m == nil {
			return out
		}
		out = append(out, m)
	}
}

// wrapper is a mutated engine: the real one plus the hooks of one mutant.
type wrapper struct {
	inner  engine.Engine
	h      hooks
	domain string // the engine's Service Domain, when it is a reference server
	conns  map[engine.ConnID]*conn

	// The Handle call in progress.
	now    time.Time
	ev     engine.Event
	in     []*wire.Message // complete messages the event carried
	inConn *conn
	inject []engine.Action
}

func newWrapper(inner engine.Engine, h hooks) *wrapper {
	w := &wrapper{inner: inner, h: h, conns: map[engine.ConnID]*conn{}}
	if s, ok := inner.(*server.Server); ok {
		w.domain = s.Config().Domain
	}
	return w
}

// Handle implements engine.Engine.
func (w *wrapper) Handle(now time.Time, ev engine.Event) []engine.Action {
	w.now, w.ev, w.in, w.inConn, w.inject = now, ev, nil, nil, nil
	var closed *conn
	switch e := ev.(type) {
	case engine.Opened:
		w.conns[e.Conn] = &conn{id: e.Conn, listener: e.Listener, in: wire.NewDecoder(wireLimits()),
			out: wire.NewDecoder(wireLimits()), asked: map[string]*wire.Message{}}
	case engine.Bytes:
		if c := w.conns[e.Conn]; c != nil {
			w.inConn = c
			if w.h.raw != nil && !c.inBad {
				data := w.h.raw(w, c, e.Data, c.in.Buffered() == 0)
				if data == nil {
					acts := w.inject
					w.inject = nil
					return acts
				}
				e = engine.Bytes{Conn: e.Conn, Data: data}
				ev = e
			}
			if w.h.incoming != nil {
				ev = w.rewriteIn(c, e)
			} else {
				w.in = decode(c.in, e.Data, &c.inBad, false)
			}
			for _, m := range w.in {
				if m.IsRequest() && m.ID != wire.NoResponse {
					c.asked[m.ID] = m
				}
			}
		}
	case engine.Closed:
		closed = w.conns[e.Conn]
	}
	if w.h.event != nil && !w.h.event(w, ev) {
		return nil
	}
	acts := w.inner.Handle(now, ev)
	if closed != nil {
		delete(w.conns, closed.id)
	}
	if w.h.message != nil || w.h.encode != nil {
		acts = w.rewrite(acts)
	}
	acts = append(acts, w.inject...)
	w.inject = nil
	if w.h.actions != nil {
		acts = w.h.actions(w, acts)
	}
	return acts
}

// rewriteIn passes the messages a Bytes event completes through the incoming hook and returns
// the event the engine gets instead. The rewrite takes effect only when the event holds whole,
// well-formed commands (nothing of them reached the engine before, nothing is left over, no
// decoding error): the original bytes go through otherwise, so a segmented or malformed
// command reaches the engine exactly as sent. Servers (the suite) write each command in one
// piece, so the commands a mutant rewrites (LOGIN answers, error responses) qualify.
func (w *wrapper) rewriteIn(c *conn, e engine.Bytes) engine.Event {
	if c.inBad {
		return e
	}
	whole := c.in.Buffered() == 0
	c.in.Feed(e.Data)
	var in []*wire.Message
	for {
		m, err := c.in.Next()
		if err != nil {
			var we *wire.Error
			if errors.As(err, &we) && !we.Fatal {
				whole = false
				continue
			}
			c.inBad = true
			whole = false
			break
		}
		if m == nil {
			break
		}
		in = append(in, m)
	}
	whole = whole && c.in.Buffered() == 0
	var data []byte
	changed := false
	for _, m := range in {
		before := m.Bytes()
		repl := w.h.incoming(w, c, m)
		var after []byte
		for _, r := range repl {
			after = wire.Append(after, r)
		}
		if string(after) != string(before) {
			changed = true
		}
		data = append(data, after...)
		if whole {
			w.in = append(w.in, repl...)
		} else {
			w.in = append(w.in, m)
		}
	}
	if !changed || !whole {
		return e
	}
	return engine.Bytes{Conn: e.Conn, Data: data}
}

// rewrite decodes every Write, passes each message through the mutant and re-encodes it.
func (w *wrapper) rewrite(acts []engine.Action) []engine.Action {
	out := make([]engine.Action, 0, len(acts))
	for _, a := range acts {
		wr, ok := a.(engine.Write)
		c := w.conns[wr.Conn]
		if !ok || c == nil || c.outBad {
			out = append(out, a)
			continue
		}
		msgs := decode(c.out, wr.Data, &c.outBad, true)
		if c.outBad {
			out = append(out, a) // not PRIM (cannot happen with the reference): pass it on
			continue
		}
		var data []byte
		for _, m := range msgs {
			var req *wire.Message
			if !m.IsRequest() {
				req = c.asked[m.ID]
				delete(c.asked, m.ID)
			}
			repl := []*wire.Message{m}
			if w.h.message != nil {
				repl = w.h.message(w, c, m, req)
			}
			for _, r := range repl {
				data = w.encode(data, r)
			}
		}
		if len(data) > 0 {
			out = append(out, engine.Write{Conn: wr.Conn, Data: data})
		}
	}
	return out
}

func (w *wrapper) encode(b []byte, m *wire.Message) []byte {
	if w.h.encode != nil {
		return w.h.encode(b, m)
	}
	return wire.Append(b, m)
}

// write queues an extra message on c, after the engine's own actions.
func (w *wrapper) write(c *conn, m *wire.Message) {
	w.inject = append(w.inject, engine.Write{Conn: c.id, Data: w.encode(nil, m)})
}

// sortedConns returns the tracked connections in ID order (deterministic iteration).
func (w *wrapper) sortedConns() []*conn {
	out := make([]*conn, 0, len(w.conns))
	for _, c := range w.conns {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// clone copies a message deeply enough to change its headers and id.
func clone(m *wire.Message) *wire.Message {
	c := *m
	c.Headers = append([]wire.Header(nil), m.Headers...)
	c.Body = append([]byte(nil), m.Body...)
	return &c
}
