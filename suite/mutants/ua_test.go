package mutants

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reference/client"
	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/wire"
)

// uaRig drives a (possibly wrapped) reference user agent by hand: the test plays the server
// on one presence connection, c1.
type uaRig struct {
	t   *testing.T
	e   engine.Engine
	now time.Time
}

func newUA(t *testing.T, wrap func(engine.Engine) engine.Engine) *uaRig {
	t.Helper()
	var e engine.Engine = client.New(client.Config{Server: "home:7000", Services: []client.Service{client.Presence}},
		rand.New(rand.NewPCG(1, 2)))
	if wrap != nil {
		e = wrap(e)
	}
	return &uaRig{t: t, e: e, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// handle runs one event and returns what the user agent wrote, the facts it observed and
// whether it closed c1.
func (r *uaRig) handle(ev engine.Event) (written []byte, facts []engine.Fact, closed bool) {
	for _, a := range r.e.Handle(r.now, ev) {
		switch a := a.(type) {
		case engine.Write:
			written = append(written, a.Data...)
		case engine.Observe:
			facts = append(facts, a.Fact)
		case engine.Close:
			closed = true
		}
	}
	return written, facts, closed
}

func (r *uaRig) call(op any) []*wire.Message {
	w, _, _ := r.handle(engine.Call{Op: op})
	return decodeAll(r.t, w)
}

func (r *uaRig) server(s string) []*wire.Message {
	w, _, _ := r.handle(engine.Bytes{Conn: 1, Data: []byte(s)})
	return decodeAll(r.t, w)
}

// login opens c1 and has the user agent log in with PLAIN; it returns the LOGIN requests.
func (r *uaRig) login() (init, cont *wire.Message) {
	r.t.Helper()
	r.handle(engine.Call{Op: client.Login{ID: "alice@example.com", Password: "pw", Mech: "PLAIN"}})
	w, _, _ := r.handle(engine.Opened{Conn: 1, Tag: string(client.Presence), Local: "10.0.1.1:4000", Remote: "10.0.0.1:7000"})
	ms := decodeAll(r.t, w)
	if len(ms) != 1 || ms[0].Method != "LOGIN" {
		r.t.Fatalf("user agent opened with %q, want one LOGIN", w)
	}
	init = ms[0]
	ms = r.server("PRIM-PR/1.0 " + init.ID + " 0 100 Authentication Continued\r\nSASL-Mech: PLAIN\r\nAuth-State: continue\r\n\r\n")
	if len(ms) != 1 || ms[0].Method != "LOGIN" {
		r.t.Fatalf("user agent continued with %v, want one LOGIN", ms)
	}
	cont = ms[0]
	r.server("PRIM-PR/1.0 " + cont.ID + " 0 200 OK\r\n\r\n")
	return init, cont
}

func ua(t *testing.T, name string) func(engine.Engine) engine.Engine {
	t.Helper()
	return mustLookup(t, name).Wrap
}

// The reuse mutant puts two outstanding FETCHes under one wire id and still hands the engine
// each answer under its own id, in order: the user agent keeps working, only the wire is wrong.
func TestReuseOutstandingIDMapsAnswersBack(t *testing.T) {
	r := newUA(t, ua(t, "ua-reuse-outstanding-id"))
	r.login()
	a := r.call(client.Tagged{Tag: "a", Op: client.Fetch{To: "bob@example.com"}})
	b := r.call(client.Tagged{Tag: "b", Op: client.Fetch{To: "carol@example.com"}})
	if len(a) != 1 || len(b) != 1 || a[0].ID != b[0].ID {
		t.Fatalf("FETCHes %v and %v: want the same wire id", a, b)
	}
	var got []string
	for i := 0; i < 2; i++ {
		_, facts, _ := r.handle(engine.Bytes{Conn: 1, Data: []byte("PRIM-PR/1.0 " + a[0].ID + " 0 403 Resource Not Found\r\n\r\n")})
		for _, f := range facts {
			if res, ok := f.(client.Result); ok {
				got = append(got, res.Tag)
			}
		}
	}
	if strings.Join(got, ",") != "a,b" {
		t.Fatalf("results for tags %v, want a then b", got)
	}
}

// The clean user agent refuses to go on after 406 (PRIM-A12.1-15); the mutant, fed a 200
// in its place, sends the next request.
func TestKeepsSendingAfter406(t *testing.T) {
	for _, tc := range []struct {
		wrap func(engine.Engine) engine.Engine
		want int
	}{{nil, 0}, {ua(t, "ua-keeps-sending-after-406"), 1}} {
		r := newUA(t, tc.wrap)
		r.handle(engine.Call{Op: client.Login{ID: "alice@example.com", Password: "pw", Mech: "PLAIN"}})
		w, _, _ := r.handle(engine.Opened{Conn: 1, Tag: string(client.Presence)})
		init := decodeAll(t, w)[0]
		r.server("PRIM-PR/1.0 " + init.ID + " 0 406 Authentication Failed\r\n\r\n")
		if got := r.call(client.Fetch{To: "bob@example.com"}); len(got) != tc.want {
			t.Errorf("wrapped=%v: %d requests after 406, want %d", tc.wrap != nil, len(got), tc.want)
		}
	}
}

// A command cut across two Bytes events reaches the engine byte for byte, even under a
// mutant that rewrites what the user agent receives.
func TestIncomingRewriteLeavesSegmentedCommandsAlone(t *testing.T) {
	r := newUA(t, ua(t, "ua-ignores-redirect"))
	r.login()
	fetch := r.call(client.Fetch{To: "bob@example.com"})[0]
	resp := "PRIM-PR/1.0 " + fetch.ID + " 0 300 Redirect\r\nRedirect: alt 7000\r\n\r\n"
	r.server(resp[:10])
	// The whole 300 never passed the hook, so the engine follows it: it dials the Redirect.
	dialled := false
	for _, a := range r.e.Handle(r.now, engine.Bytes{Conn: 1, Data: []byte(resp[10:])}) {
		if d, ok := a.(engine.Dial); ok && d.Addr == "alt:7000" {
			dialled = true
		}
	}
	if !dialled {
		t.Fatal("a 300 cut in two segments did not reach the engine intact: no dial to alt:7000")
	}
	r2 := newUA(t, ua(t, "ua-ignores-redirect"))
	r2.login()
	fetch = r2.call(client.Tagged{Tag: "f", Op: client.Fetch{To: "bob@example.com"}})[0]
	_, facts, _ := r2.handle(engine.Bytes{Conn: 1, Data: []byte("PRIM-PR/1.0 " + fetch.ID + " 0 300 Redirect\r\nRedirect: alt 7000\r\n\r\n")})
	var res *client.Result
	for _, f := range facts {
		if x, ok := f.(client.Result); ok {
			res = &x
		}
	}
	if res == nil || res.Code != wire.StatusRedirect {
		t.Fatalf("facts %v: want the 300 reported as the fetch's result", facts)
	}
}

func TestPingLogoutWithID(t *testing.T) {
	r := newUA(t, ua(t, "ua-ping-logout-with-id"))
	r.login()
	if ms := r.call(client.Ping{}); len(ms) != 1 || ms[0].ID == wire.NoResponse || !requestIDPattern(ms[0].ID) {
		t.Fatalf("PING %v: want a real request id", ms)
	}
}

func requestIDPattern(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func TestTwoSpacesAfterColonTouchesHeadersOnly(t *testing.T) {
	m := &wire.Message{Method: "SEND", Version: wire.VersionIM, ID: "7", Headers: []wire.Header{{Name: "From", Value: "im:a@b"}},
		Body: []byte("x: y\r\n")}
	got := string(twoSpacesAfterColon(nil, m))
	want := "SEND PRIM-IM/1.0 7 6\r\nFrom:  im:a@b\r\n\r\nx: y\r\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestWrongCRAMDigestChangesOneDigit(t *testing.T) {
	for in, want := range map[string]string{"ab0": "ab1", "ff": "fe", "9": "8"} {
		if got := flipLastHex(in); got != want {
			t.Errorf("flipLastHex(%q) = %q, want %q", in, got, want)
		}
	}
}

// The reorder control keeps I2's category order (Decision D36) and only permutes within it.
func TestReorderWithinCategoryKeepsCategories(t *testing.T) {
	r := newUA(t, ua(t, "ua-reorder-headers-within-category"))
	init, _ := r.login()
	var names []string
	for _, h := range init.Headers {
		names = append(names, h.Name)
	}
	if strings.Join(names, " ") != "SASL-Mech From Auth-State" {
		t.Fatalf("LOGIN headers %v, want the general headers in reverse name order", names)
	}
	pub := r.call(client.Publish{TupleID: "desk", Status: "open"})[0]
	last := -1
	for _, h := range pub.Headers {
		c := headerCategory(h.Name)
		if c < last {
			t.Fatalf("PUBLISH headers %v leave I2's category order", pub.Headers)
		}
		last = c
	}
}

// Controls of the user agent change nothing the server reads: the same commands arrive.
func TestUAControlsKeepTheCommands(t *testing.T) {
	plain := newUA(t, nil)
	pi, pc := plain.login()
	for _, name := range []string{"ua-identity", "ua-split-writes"} {
		r := newUA(t, ua(t, name))
		i, c := r.login()
		if !bytes.Equal(i.Bytes(), pi.Bytes()) || !bytes.Equal(c.Bytes(), pc.Bytes()) {
			t.Errorf("%s: LOGINs %q %q, the engine alone %q %q", name, i.Bytes(), c.Bytes(), pi.Bytes(), pc.Bytes())
		}
	}
}
