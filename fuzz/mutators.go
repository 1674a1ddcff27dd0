package fuzz

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/server"
	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/scenario"
)

// A Mutator plants a known bug in the reference server by wrapping its engine: it rewrites,
// drops or adds the bytes going in and out. The fuzzers' own tests use mutators to show that
// each mode finds and shrinks such bugs; `primlab fuzz --mutant NAME` runs a mode against one.
type Mutator struct {
	Name string
	Doc  string
	// In rewrites a chunk of bytes arriving on a connection (nil: unchanged).
	In func(st *mutState, conn engine.ConnID, data []byte) []byte
	// Out rewrites one Write of the server; returning nil drops it.
	Out func(st *mutState, conn engine.ConnID, data []byte) []byte
	// Panic, if set, makes the engine panic on input it matches (a crash).
	Panic func(data []byte) bool
}

// mutState is a mutant's memory across events.
type mutState struct {
	count map[string]int
	reply map[engine.ConnID][]byte // bytes the mutant answers itself, per connection
}

// Mutators lists the planted bugs, by name.
var Mutators = map[string]Mutator{
	"drop-notify": {
		Name: "drop-notify",
		Doc:  "drops the second NOTIFY the server sends (PRIM-A10.1.4-2: every subscriber is notified)",
		Out: func(st *mutState, _ engine.ConnID, data []byte) []byte {
			if bytes.HasPrefix(data, []byte("NOTIFY ")) {
				st.count["notify"]++
				if st.count["notify"] == 2 {
					return nil
				}
			}
			return data
		},
	},
	"wrong-send-code": {
		Name: "wrong-send-code",
		Doc:  "answers 200 instead of 408 to a SEND nobody listens to (§5.2: 200 means delivered)",
		Out: func(st *mutState, _ engine.ConnID, data []byte) []byte {
			if bytes.HasPrefix(data, []byte("PRIM-IM/1.0 ")) && bytes.Contains(data, []byte(" 408 ")) && bytes.Contains(data, []byte("Message-ID:")) {
				return bytes.Replace(data, []byte(" 408 Inbox Is Closed"), []byte(" 200 OK"), 1)
			}
			return data
		},
	},
	"leak-acl": {
		Name: "leak-acl",
		Doc:  "answers SETACL on a presentity with 200 but keeps the old ACL: presence leaks to watchers the new ACL denies (PRIM-A10.1.5-1)",
		In: func(st *mutState, conn engine.ConnID, data []byte) []byte {
			if !bytes.HasPrefix(data, []byte("SETACL PRIM-PR/1.0 ")) {
				return data
			}
			d := wire.NewDecoder(wire.DefaultLimits())
			d.Feed(data)
			m, err := d.Next()
			if err != nil || m == nil || d.Buffered() != 0 {
				return data
			}
			resp := &wire.Message{Version: m.Version, ID: m.ID, Code: 200, Phrase: "OK"}
			resp.Add("From", m.Value("From"))
			st.reply[conn] = append(st.reply[conn], resp.Bytes()...)
			return nil
		},
	},
	"echo-wrong-id": {
		Name: "echo-wrong-id",
		Doc:  "answers every SEND with response id 9999 instead of the request's id (I2 §7: a response echoes its request's id)",
		Out: func(st *mutState, _ engine.ConnID, data []byte) []byte {
			if bytes.HasPrefix(data, []byte("PRIM-IM/1.0 ")) && bytes.Contains(data, []byte("\r\nMessage-ID:")) {
				sp := bytes.IndexByte(data, ' ')
				end := bytes.IndexByte(data[sp+1:], ' ')
				if end > 0 {
					return append(append(append([]byte(nil), data[:sp+1]...), "9999"...), data[sp+1+end:]...)
				}
			}
			return data
		},
	},
	"reply-to-dash": {
		Name: "reply-to-dash",
		Doc:  "answers PING (id \"-\") with 200 (Decision D6: a request with id \"-\" is never answered)",
		In: func(st *mutState, conn engine.ConnID, data []byte) []byte {
			if i := bytes.Index(data, []byte("PING PRIM-")); i >= 0 {
				line := data[i:]
				if j := bytes.Index(line, []byte("\r\n")); j > 0 {
					f := strings.Fields(string(line[:j]))
					if len(f) >= 3 && f[2] == "-" {
						st.reply[conn] = append(st.reply[conn], []byte(f[1]+" - 0 200 OK\r\n\r\n")...)
					}
				}
			}
			return data
		},
	},
	"crash-long-header": {
		Name:  "crash-long-header",
		Doc:   "panics on a header line longer than 300 octets (a crash: the server must stay up under hostile input)",
		Panic: func(data []byte) bool { return longLine(data, 300) },
	},
}

// MutatorNames lists the mutators, sorted.
func MutatorNames() []string {
	var out []string
	for n := range Mutators {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func longLine(data []byte, n int) bool {
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(l) > n {
			return true
		}
	}
	return false
}

// mutant is a server engine with a mutator around it.
type mutant struct {
	inner engine.Engine
	mut   Mutator
	st    mutState
	seen  map[engine.ConnID][]byte // recent input per connection, for Panic
}

// Factory returns a scenario.ServerFactory for the reference server, with the named mutator
// around it ("" for the plain reference).
func Factory(name string) (scenario.ServerFactory, error) {
	if name == "" {
		return func(cfg server.Config, rng *rand.Rand) engine.Engine { return server.New(cfg, rng) }, nil
	}
	m, ok := Mutators[name]
	if !ok {
		return nil, fmt.Errorf("fuzz: unknown mutator %q (have %s)", name, strings.Join(MutatorNames(), ", "))
	}
	return func(cfg server.Config, rng *rand.Rand) engine.Engine {
		return &mutant{inner: server.New(cfg, rng), mut: m, st: mutState{count: map[string]int{}, reply: map[engine.ConnID][]byte{}}, seen: map[engine.ConnID][]byte{}}
	}, nil
}

func (e *mutant) Handle(now time.Time, ev engine.Event) []engine.Action {
	var extra []engine.Action
	if b, ok := ev.(engine.Bytes); ok {
		data := b.Data
		if e.mut.Panic != nil {
			buf := append(e.seen[b.Conn], data...)
			if len(buf) > 4096 {
				buf = buf[len(buf)-4096:]
			}
			e.seen[b.Conn] = buf
			if e.mut.Panic(buf) {
				panic("mutant " + e.mut.Name + ": planted crash on input " + strconv.Quote(string(truncate(buf, 60))))
			}
		}
		if e.mut.In != nil {
			data = e.mut.In(&e.st, b.Conn, append([]byte(nil), data...))
		}
		ev = engine.Bytes{Conn: b.Conn, Data: data}
		if d := e.st.reply[b.Conn]; len(d) > 0 {
			extra = append(extra, engine.Write{Conn: b.Conn, Data: d})
			delete(e.st.reply, b.Conn)
		}
		if data == nil {
			return extra
		}
	}
	acts := e.inner.Handle(now, ev)
	if e.mut.Out == nil {
		return append(acts, extra...)
	}
	out := acts[:0:0]
	for _, a := range acts {
		if w, ok := a.(engine.Write); ok {
			d := e.mut.Out(&e.st, w.Conn, w.Data)
			if d == nil {
				continue
			}
			a = engine.Write{Conn: w.Conn, Data: d}
		}
		out = append(out, a)
	}
	return append(out, extra...)
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
