package sim

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/engine"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden files in testdata")

// note is the fact the test engines observe: one line of text.
type note string

func (n note) Kind() string   { return "note" }
func (n note) String() string { return string(n) }

func observe(format string, args ...any) engine.Action {
	return engine.Observe{Fact: note(fmt.Sprintf(format, args...))}
}

// notes returns the facts of h as strings.
func notes(h *Host) []string {
	var out []string
	for _, o := range h.Facts() {
		out = append(out, o.Fact.String())
	}
	return out
}

// primServer answers every PRIM request it receives with "200 OK" (prim-digest.md §3.3):
// enough protocol to exercise traces, captures and the dissector. On a "STARTTLS" request
// it answers, then asks for TLS (I2 §10.2.1 order: response first, then the handshake).
type primServer struct {
	bufs   map[engine.ConnID][]byte
	closes bool // close the connection after answering a LOGOUT
}

func newPrimServer(*rand.Rand) engine.Engine { return &primServer{bufs: map[engine.ConnID][]byte{}} }

func (s *primServer) Handle(now time.Time, ev engine.Event) []engine.Action {
	switch ev := ev.(type) {
	case engine.Opened:
		return []engine.Action{observe("accepted on %s from %s", ev.Listener, ev.Remote)}
	case engine.Bytes:
		buf := append(s.bufs[ev.Conn], ev.Data...)
		var acts []engine.Action
		for {
			start, rest, ok := splitMessage(buf)
			if !ok {
				break
			}
			buf = rest
			f := strings.Fields(start)
			if len(f) < 4 {
				continue
			}
			acts = append(acts, observe("request %s", start))
			if f[2] == "-" {
				if f[0] == "LOGOUT" {
					acts = append(acts, engine.Close{Conn: ev.Conn})
				}
				continue
			}
			body := "ok " + f[0]
			resp := fmt.Sprintf("%s %s %d 200 OK\r\nContent-Type: text/plain\r\n\r\n%s", f[1], f[2], len(body), body)
			acts = append(acts, engine.Write{Conn: ev.Conn, Data: []byte(resp)})
			if f[0] == "STARTTLS" {
				acts = append(acts, engine.StartTLS{Conn: ev.Conn})
			}
		}
		s.bufs[ev.Conn] = buf
		return acts
	case engine.Secured:
		return []engine.Action{observe("secured peer=%q err=%v", ev.PeerCN, ev.Err)}
	case engine.Closed:
		delete(s.bufs, ev.Conn)
		return []engine.Action{observe("closed %v", ev.Err)}
	}
	return nil
}

// splitMessage cuts one PRIM message off the front of buf: start line, headers, body of the
// start line's length. ok is false when buf holds no complete message.
func splitMessage(buf []byte) (start string, rest []byte, ok bool) {
	for bytes.HasPrefix(buf, []byte("\r\n")) {
		buf = buf[2:]
	}
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		return "", buf, false
	}
	line, _, _ := strings.Cut(string(buf[:end]), "\r\n")
	n := int(contentLength([]byte(line)))
	if len(buf) < end+4+n {
		return "", buf, false
	}
	return line, buf[end+4+n:], true
}

// agent is a test engine driven by Call ops: it dials, writes, sets timers and notes what
// happens to it.
type agent struct {
	conns   map[string]engine.ConnID // tag -> conn
	got     map[engine.ConnID]int
	pending map[string][]byte // bytes to send once a dial opens
}

func newAgent(*rand.Rand) engine.Engine {
	return &agent{conns: map[string]engine.ConnID{}, got: map[engine.ConnID]int{}}
}

type (
	dialOp struct {
		tag, addr string
		send      []byte
	}
	writeOp struct {
		tag  string
		data []byte
	}
	closeOp struct {
		tag   string
		abort bool
	}
	tlsOp   struct{ tag string }
	timerOp struct {
		id engine.TimerID
		at time.Time
	}
	cancelOp struct{ id engine.TimerID }
)

func (a *agent) tagOf(c engine.ConnID) string {
	for tag, id := range a.conns {
		if id == c {
			return tag
		}
	}
	return "?"
}

func (a *agent) Handle(now time.Time, ev engine.Event) []engine.Action {
	switch ev := ev.(type) {
	case engine.Call:
		switch op := ev.Op.(type) {
		case dialOp:
			a.pendingSend(op.tag, op.send)
			return []engine.Action{engine.Dial{Tag: op.tag, Addr: op.addr}}
		case writeOp:
			return []engine.Action{engine.Write{Conn: a.conns[op.tag], Data: op.data}}
		case closeOp:
			return []engine.Action{engine.Close{Conn: a.conns[op.tag], Abort: op.abort}}
		case tlsOp:
			return []engine.Action{engine.StartTLS{Conn: a.conns[op.tag], Client: true}}
		case timerOp:
			return []engine.Action{engine.SetTimer{ID: op.id, At: op.at}}
		case cancelOp:
			return []engine.Action{engine.CancelTimer{ID: op.id}}
		}
	case engine.Opened:
		a.conns[ev.Tag] = ev.Conn
		acts := []engine.Action{observe("opened %s %s->%s", ev.Tag, ev.Local, ev.Remote)}
		if p := a.pending[ev.Tag]; p != nil {
			acts = append(acts, engine.Write{Conn: ev.Conn, Data: p})
			delete(a.pending, ev.Tag)
		}
		return acts
	case engine.DialFailed:
		kind := "other"
		switch {
		case errors.Is(ev.Err, ErrRefused):
			kind = "refused"
		case errors.Is(ev.Err, ErrTimeout):
			kind = "timeout"
		case errors.Is(ev.Err, ErrUnresolvable):
			kind = "unresolvable"
		}
		return []engine.Action{observe("dial-failed %s %s", ev.Tag, kind)}
	case engine.Bytes:
		a.got[ev.Conn] += len(ev.Data)
		return []engine.Action{observe("got %s %d", a.tagOf(ev.Conn), a.got[ev.Conn])}
	case engine.Closed:
		kind := "eof"
		switch {
		case ev.Err == nil:
		case errors.Is(ev.Err, ErrReset):
			kind = "reset"
		case errors.Is(ev.Err, ErrTimeout):
			kind = "timeout"
		case errors.Is(ev.Err, ErrClosedLocally):
			kind = "local"
		case errors.Is(ev.Err, ErrAborted):
			kind = "aborted"
		}
		return []engine.Action{observe("closed %s %s", a.tagOf(ev.Conn), kind)}
	case engine.Secured:
		if ev.Err != nil {
			return []engine.Action{observe("secured %s peer=%q err=TLS", a.tagOf(ev.Conn), ev.PeerCN)}
		}
		return []engine.Action{observe("secured %s peer=%q", a.tagOf(ev.Conn), ev.PeerCN)}
	case engine.Timer:
		return []engine.Action{observe("timer %d at %s", ev.ID, now.Format("15:04:05.000"))}
	}
	return nil
}

func (a *agent) pendingSend(tag string, b []byte) {
	if a.pending == nil {
		a.pending = map[string][]byte{}
	}
	if b != nil {
		a.pending[tag] = b
	}
}
