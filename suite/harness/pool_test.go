package harness

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// guard only keeps a broken test from hanging; nothing is timed.
const guard = 10 * time.Second

// tcpCaseH starts a case against an external target the way runCase does, without ginkgo.
func tcpCaseH(t *testing.T, cfg Config, id string) *H {
	t.Helper()
	tr := newTCPTransport(cfg)
	if tr.lnErr != nil {
		t.Fatal(tr.lnErr)
	}
	h := &H{cfg: cfg, tr: tr, peers: map[string]int{},
		meta: reports.CaseMeta{ID: id, Role: RoleS2S, Profile: ProfileServer}}
	h.adoptInbound(tr)
	return h
}

// fakeTarget is the external server's side of a connection it opened to the suite's
// server-server listener.
type fakeTarget struct {
	t   *testing.T
	nc  net.Conn
	dec *wire.Decoder
}

func dialSuite(t *testing.T, addr string) *fakeTarget {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &fakeTarget{t: t, nc: nc, dec: wire.NewDecoder(wire.DefaultLimits())}
}

func (f *fakeTarget) send(m *wire.Message) {
	f.t.Helper()
	if _, err := f.nc.Write(m.Bytes()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakeTarget) notify(id, to string) *wire.Message {
	m := &wire.Message{Method: "NOTIFY", Version: wire.VersionServer, ID: id}
	m.Add("From", "pres:alice@example.com")
	m.Add("To", to)
	f.send(m)
	return m
}

// next reads the next message the suite sent.
func (f *fakeTarget) next() *wire.Message {
	f.t.Helper()
	f.nc.SetReadDeadline(time.Now().Add(guard))
	buf := make([]byte, 4096)
	for {
		m, err := f.dec.Next()
		if err != nil {
			f.t.Fatal(err)
		}
		if m != nil {
			return m
		}
		n, err := f.nc.Read(buf)
		if err != nil {
			f.t.Fatalf("reading what the suite sent: %v", err)
		}
		f.dec.Feed(buf[:n])
	}
}

func (f *fakeTarget) expectResponse(id string, code int) {
	f.t.Helper()
	m := f.next()
	if m.IsRequest() || m.ID != id || m.Code != code {
		f.t.Fatalf("suite sent %q, want a %d response to %s", m.StartLine(), code, id)
	}
}

// Against an external target the suite's server-server listener and the connections the
// target opened on it outlive a case (problem: the target sent the next case's NOTIFY into a
// connection the last case had closed, and the next case saw an error). The ending case
// answers what it left unanswered; the next case adopts the connection and sees its requests.
func TestInboundConnectionsOutliveACase(t *testing.T) {
	t.Cleanup(closeInbound)
	cfg := Config{Target: "127.0.0.1:1", S2SListen: "127.0.0.1:0", Domain: "example.com",
		PeerDomain: "remote.example", PeerSecret: "s"}.withDefaults()

	h1 := tcpCaseH(t, cfg, "prim/s2s/99/1")
	pool := h1.tr.(*tcpTransport).pool
	target := dialSuite(t, pool.ln.Addr().String())
	login := &wire.Message{Method: "LOGIN", Version: wire.VersionServer, ID: "0001"}
	login.Add("Domain", "example.com")
	login.Add("Auth-State", "init")
	login.Add("SASL-Mech", "PLAIN")
	target.send(login)
	target.notify("0002", "pres:old@remote.example") // a leftover of an earlier case
	target.notify("0003", "pres:w1@remote.example")

	n, on := h1.ExpectS2SRequest("NOTIFY", nil, HaveHeader("To", "pres:w1@remote.example"))
	if got := h1.NewInbound(); len(got) != 1 || got[0] != on {
		t.Errorf("NewInbound in the case the target connected: %d connections", len(got))
	}
	if n.ID != "0003" || on.Name() != "inbound#1" {
		t.Fatalf("took NOTIFY %s on %s, want 0003 on inbound#1 (the first NOTIFY does not match)", n.ID, on.Name())
	}
	on.Respond(n, wire.StatusOK)
	target.expectResponse("0001", wire.StatusAuthContinued)
	target.expectResponse("0002", wire.StatusOK) // skipped, but answered
	target.expectResponse("0003", wire.StatusOK)

	// A request the case leaves unanswered is answered when it ends.
	target.notify("0004", "pres:w2@remote.example")
	h1.tr.Wait(func() bool { on.pump(); return len(on.backlog) > 0 }, guard)
	h1.keepInbound()
	if err := h1.tr.Close(); err != nil {
		t.Fatal(err)
	}
	target.expectResponse("0004", wire.StatusOK)

	// The next case: same listener, same connection.
	h2 := tcpCaseH(t, cfg, "prim/s2s/99/2")
	if h2.tr.(*tcpTransport).pool != pool {
		t.Fatal("the next case opened another listener")
	}
	if len(h2.inbound) != 1 || h2.inbound[0].Name() != "inbound#1" {
		t.Fatalf("next case adopted %d connections, want 1 named inbound#1", len(h2.inbound))
	}
	if n := len(h2.NewInbound()); n != 0 {
		t.Errorf("NewInbound lists %d connections; the adopted one was opened in an earlier case", n)
	}
	target.notify("0005", "pres:w3@remote.example")
	n, on = h2.ExpectS2SRequest("NOTIFY", nil, HaveHeader("To", "pres:w3@remote.example"))
	if n.ID != "0005" || on != h2.inbound[0] {
		t.Fatalf("took NOTIFY %s on %s", n.ID, on.Name())
	}
	on.Respond(n, wire.StatusOK)
	target.expectResponse("0005", wire.StatusOK)
	if tr := h2.Transcript().String(); !strings.Contains(tr, "in an earlier case") || !strings.Contains(tr, "pres:w3@remote.example") {
		t.Errorf("the next case's transcript does not show the adopted connection:\n%s", tr)
	}
	h2.keepInbound()
	h2.tr.Close()

	// A connection the target closed is not handed on.
	target.nc.Close()
	h3 := tcpCaseH(t, cfg, "prim/s2s/99/3")
	h3.tr.Wait(func() bool { h3.pollInbound(); return h3.inbound[0].ended() }, guard)
	h3.keepInbound()
	h3.tr.Close()
	if h4 := tcpCaseH(t, cfg, "prim/s2s/99/4"); len(h4.inbound) != 0 {
		t.Errorf("a closed connection was handed to the next case")
	}
}

// simH is a case against the reference server in the simulator, without ginkgo.
func simH(t *testing.T, id string) *H {
	t.Helper()
	cfg := Config{}.withDefaults()
	tr, err := newSimTransport(cfg, caseSeed(3, id))
	if err != nil {
		t.Fatal(err)
	}
	return &H{cfg: cfg, tr: tr, peers: map[string]int{},
		meta: reports.CaseMeta{ID: id, Role: RoleS2S, Profile: ProfileServer}}
}

// subscribeRemote has a logged-in local user subscribe to a presentity of the peer domain;
// the reference server relays it over a server-server connection it opens to the suite.
func subscribeRemote(h *H, ua *Peer, presentity string) {
	req := ua.Request("SUBSCRIBE", "From", ua.Pres(), "To", presentity, "Duration", "600")
	ua.Send(req)
}

// h.Wait adopts the connection the target opens meanwhile and answers its LOGIN, so the
// request the target sends after logging in is there when the wait ends (before, a negative
// check after h.Wait passed vacuously: the target's connection hung at LOGIN).
func TestWaitServesLoginOnConnectionsTheTargetOpens(t *testing.T) {
	h := simH(t, "prim/s2s/99/5")
	ua := h.LoggedIn("alice")
	subscribeRemote(h, ua, "pres:far@remote.example")
	h.Wait(2 * time.Second)
	if len(h.inbound) != 1 {
		t.Fatalf("after the wait the suite holds %d inbound connections, want 1\n%s", len(h.inbound), h.Transcript())
	}
	var got []string
	for _, m := range h.inbound[0].backlog {
		got = append(got, m.Method+" "+m.Value("To"))
	}
	if len(got) == 0 || got[0] != "SUBSCRIBE pres:far@remote.example" {
		t.Fatalf("requests waiting after the wait: %q, want the relayed SUBSCRIBE\n%s", got, h.Transcript())
	}
}

// ExpectS2SRequest selects with its matchers: a request of the method that does not match is
// answered 200 and skipped, not taken (and failed on).
func TestExpectS2SRequestSkipsRequestsThatDoNotMatch(t *testing.T) {
	h := simH(t, "prim/s2s/99/6")
	ua := h.LoggedIn("alice")
	subscribeRemote(h, ua, "pres:first@remote.example")
	subscribeRemote(h, ua, "pres:second@remote.example")
	m, on := h.ExpectS2SRequest("SUBSCRIBE", nil, HaveHeader("To", "pres:second@remote.example"))
	if m.Value("To") != "pres:second@remote.example" {
		t.Fatalf("took SUBSCRIBE to %q", m.Value("To"))
	}
	if len(on.backlog) != 0 {
		t.Errorf("the skipped SUBSCRIBE is still waiting: %d messages", len(on.backlog))
	}
	tr := h.Transcript().String()
	if !strings.Contains(tr, "skipped (does not match") || !strings.Contains(tr, "pres:first@remote.example") {
		t.Errorf("the transcript does not show the skipped request:\n%s", tr)
	}
}
