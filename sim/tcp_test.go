package sim

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reference/engine"
)

// newTestWorld makes a world with a client host "alice" (bare), an agent host "bob" and a
// PRIM-answering server "server" listening on 7000 ("client") and 7001 ("s2s").
func newTestWorld(t *testing.T, cfg Config) *World {
	t.Helper()
	w := New(cfg)
	w.MustAddHost(HostConfig{Name: "alice", IP: "10.0.0.1"})
	w.MustAddHost(HostConfig{Name: "bob", IP: "10.0.0.2", New: newAgent, CertCN: "bob.example"})
	w.MustAddHost(HostConfig{Name: "server", IP: "10.0.0.10", New: newPrimServer, CertCN: "server.example",
		Listen: map[string]uint16{"client": 7000, "s2s": 7001}})
	return w
}

func TestConnectRefusedByRST(t *testing.T) {
	w := newTestWorld(t, Config{Link: &LinkConfig{Latency: 5 * time.Millisecond}})
	c := w.Connect("alice", "server:9999")
	if !w.RunUntil(c.Closed, time.Second) {
		t.Fatal("connection to a closed port never failed")
	}
	if !errors.Is(c.Err(), ErrRefused) {
		t.Fatalf("Err = %v, want ErrRefused", c.Err())
	}
	// SYN out, RST back: one round trip.
	if got := w.Now(); got != 10*time.Millisecond {
		t.Errorf("refusal took %v, want one RTT (10ms)", got)
	}
}

func TestConnectUnknownHost(t *testing.T) {
	w := newTestWorld(t, Config{})
	c := w.Connect("alice", "nowhere:7000")
	if !errors.Is(c.Err(), ErrUnresolvable) || !c.Closed() {
		t.Fatalf("Err = %v, want ErrUnresolvable at once", c.Err())
	}
	bad := w.Connect("nobody", "server:7000")
	if !errors.Is(bad.Err(), ErrUnresolvable) {
		t.Fatalf("connect from unknown host: Err = %v", bad.Err())
	}
	// By address and by alias.
	if err := w.Alias("example.com", "server"); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"10.0.0.10:7000", "example.com:7000"} {
		c := w.Connect("alice", addr)
		if !w.RunUntil(c.Established, time.Second) {
			t.Errorf("connect to %s: not established, err %v", addr, c.Err())
		}
	}
}

func TestScriptedExchangeSegmentsAndOrders(t *testing.T) {
	w := newTestWorld(t, Config{MSS: 100, Link: &LinkConfig{Latency: 10 * time.Millisecond}})
	c := w.Connect("alice", "server:7000")
	body := strings.Repeat("x", 450)
	req := "SEND PRIM-IM/1.0 0001 450\r\nTo: im:bob@example.com\r\n\r\n" + body
	c.WriteString(req) // before the handshake completes: queued
	want := "PRIM-IM/1.0 0001 7 200 OK\r\nContent-Type: text/plain\r\n\r\nok SEND"
	if !w.RunUntil(func() bool { return len(c.Received()) >= len(want) }, time.Second) {
		t.Fatalf("no full response; got %q", c.Received())
	}
	if got := string(c.Received()); got != want {
		t.Fatalf("received %q, want %q", got, want)
	}
	// handshake (1 RTT) + request (1 way) + response (1 way) = 40ms on a 10ms link.
	if w.Now() != 40*time.Millisecond {
		t.Errorf("response at %v, want 40ms", w.Now())
	}
	srv := w.Host("server")
	if got := notes(srv); len(got) != 2 || got[1] != "request SEND PRIM-IM/1.0 0001 450" {
		t.Errorf("server facts %q", got)
	}
	c.Consume(5)
	if !strings.HasPrefix(string(c.Received()), "IM/1.0") {
		t.Errorf("after Consume(5): %q", c.Received())
	}
	if c.ReceivedTotal() != len(want) {
		t.Errorf("ReceivedTotal %d", c.ReceivedTotal())
	}
}

func TestFINBothWays(t *testing.T) {
	w := newTestWorld(t, Config{})
	c := w.Connect("alice", "server:7000")
	c.WriteString("LOGOUT PRIM-PR/1.0 - 0\r\n\r\n") // the test server closes after LOGOUT
	if !w.RunUntil(c.EOF, time.Second) {
		t.Fatal("server never closed")
	}
	if c.Err() != nil {
		t.Fatalf("orderly close gave Err %v", c.Err())
	}
	facts := notes(w.Host("server"))
	if last := facts[len(facts)-1]; !strings.Contains(last, "closed") || !strings.Contains(last, "closed locally") {
		t.Errorf("server's last fact %q, want its own close reported", last)
	}
	c.Close()
	w.RunUntilQuiet()
}

func TestEngineSeesPeerFINAsOrderlyClose(t *testing.T) {
	w := newTestWorld(t, Config{})
	c := w.Connect("alice", "server:7000")
	w.RunUntil(c.Established, time.Second)
	c.Close()
	if !w.RunUntil(c.EOF, time.Second) {
		t.Fatal("engine side did not close after the client's FIN")
	}
	facts := notes(w.Host("server"))
	if last := facts[len(facts)-1]; last != "closed <nil>" {
		t.Errorf("server's last fact %q, want %q", last, "closed <nil>")
	}
}

func TestEngineDialWriteTimersAndTLS(t *testing.T) {
	w := newTestWorld(t, Config{Link: &LinkConfig{Latency: time.Millisecond}})
	bob := w.Host("bob")
	bob.Call(dialOp{tag: "home", addr: "server:7000", send: []byte("STARTTLS PRIM-PR/1.0 7 0\r\n\r\n")})
	bob.Call(dialOp{tag: "nope", addr: "server:1"})
	bob.Call(dialOp{tag: "dns", addr: "no.such.host:1"})
	start := w.Time()
	bob.Call(timerOp{id: 1, at: start.Add(500 * time.Millisecond)})
	bob.Call(timerOp{id: 2, at: start.Add(300 * time.Millisecond)})
	bob.Call(timerOp{id: 2, at: start.Add(700 * time.Millisecond)}) // moved
	bob.Call(timerOp{id: 3, at: start.Add(100 * time.Millisecond)})
	bob.Call(cancelOp{id: 3})
	// STARTTLS: the server answers and starts its handshake; the client starts its own once
	// the response is in (I2 §10.2.1).
	if !w.RunUntil(func() bool { return len(bob.Facts()) >= 4 }, time.Second) {
		t.Fatalf("no STARTTLS response: %q", notes(bob))
	}
	bob.Call(tlsOp{tag: "home"})
	w.RunFor(time.Second)
	got := strings.Join(notes(bob), "\n")
	want := strings.Join([]string{
		`dial-failed dns unresolvable`,
		`opened home 10.0.0.2:49152->10.0.0.10:7000`,
		`dial-failed nope refused`,
		`got home 64`,
		`secured home peer="server.example"`,
		`timer 1 at 00:00:00.500`,
		`timer 2 at 00:00:00.700`,
	}, "\n")
	if got != want {
		t.Errorf("bob's facts:\n%s\nwant:\n%s", got, want)
	}
	srv := strings.Join(notes(w.Host("server")), "\n")
	if !strings.Contains(srv, `secured peer="bob.example" err=<nil>`) {
		t.Errorf("server facts lack the secured connection:\n%s", srv)
	}
	// Facts carry their virtual time.
	for _, o := range bob.Facts() {
		if o.Fact.String() == "timer 1 at 00:00:00.500" && o.At != 500*time.Millisecond {
			t.Errorf("timer 1 observed at %v", o.At)
		}
	}
}

func TestScriptedListenerIsAFakeServer(t *testing.T) {
	w := newTestWorld(t, Config{})
	l, err := w.Listen("alice", 5222)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Listen("alice", 5222); err == nil {
		t.Error("second listener on the same port accepted")
	}
	bob := w.Host("bob")
	bob.Call(dialOp{tag: "x", addr: "alice:5222", send: []byte("PING PRIM-PR/1.0 - 0\r\n\r\n")})
	if !w.RunUntil(func() bool { return l.Pending() > 0 }, time.Second) {
		t.Fatal("nothing accepted")
	}
	c := l.Accept()
	if !w.RunUntil(func() bool { return len(c.Received()) >= 24 }, time.Second) {
		t.Fatalf("received %q", c.Received())
	}
	if string(c.Received()) != "PING PRIM-PR/1.0 - 0\r\n\r\n" {
		t.Errorf("received %q", c.Received())
	}
	c.WriteString("hello")
	c.Close()
	if !w.RunUntil(func() bool { return len(bob.Facts()) >= 3 }, time.Second) {
		t.Fatalf("bob facts %q", notes(bob))
	}
	if got := notes(bob)[1:]; got[0] != "got x 5" || got[1] != "closed x eof" {
		t.Errorf("bob facts %q", got)
	}
	l.Close()
	bob.Call(dialOp{tag: "y", addr: "alice:5222"})
	w.RunFor(time.Second)
	if got := notes(bob); got[len(got)-1] != "dial-failed y refused" {
		t.Errorf("after Listener.Close: %q", got)
	}
}

func TestLossIsRetransmissionDelayNeverMissingBytes(t *testing.T) {
	var trace bytes.Buffer
	w := newTestWorld(t, Config{Seed: 7, MSS: 500, Trace: &trace,
		Link: &LinkConfig{Latency: 5 * time.Millisecond, Loss: 0.3, Duplicate: 0.2, Reorder: 0.2}})
	l, _ := w.Listen("alice", 6000)
	payload := make([]byte, 50_000)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	w.Host("bob").Call(dialOp{tag: "bulk", addr: "alice:6000", send: payload})
	if !w.RunUntil(func() bool { return l.Pending() > 0 }, 30*time.Second) {
		t.Fatal("not accepted")
	}
	c := l.Accept()
	if !w.RunUntil(func() bool { return len(c.Received()) >= len(payload) }, 60*time.Second) {
		t.Fatalf("only %d of %d bytes arrived", len(c.Received()), len(payload))
	}
	if !bytes.Equal(c.Received(), payload) {
		t.Fatal("bytes arrived altered or out of order")
	}
	for _, word := range []string{" lost ", " retransmit "} {
		if !strings.Contains(trace.String(), word) {
			t.Errorf("trace shows no %q line with 30%% loss", strings.TrimSpace(word))
		}
	}
}

func TestPartitionTimesOutThenHeals(t *testing.T) {
	w := newTestWorld(t, Config{UserTimeout: 5 * time.Second, ConnectTimeout: 3 * time.Second})
	c := w.Connect("alice", "server:7000")
	w.RunUntil(c.Established, time.Second)
	if err := w.Partition([]string{"alice"}, []string{"server"}); err != nil {
		t.Fatal(err)
	}
	c.WriteString("PING PRIM-PR/1.0 - 0\r\n\r\n")
	at := w.Now()
	if !w.RunUntil(c.Closed, time.Minute) {
		t.Fatal("a write across a partition never timed out")
	}
	if !errors.Is(c.Err(), ErrTimeout) {
		t.Fatalf("Err = %v, want ErrTimeout", c.Err())
	}
	if d := w.Now() - at; d > 5*time.Second || d < 2*time.Second {
		t.Errorf("timed out after %v, want within UserTimeout (5s) and after a few retries", d)
	}
	c2 := w.Connect("alice", "server:7000")
	if !w.RunUntil(c2.Closed, time.Minute) || !errors.Is(c2.Err(), ErrTimeout) {
		t.Fatalf("connect across a partition: Err = %v, want ErrTimeout", c2.Err())
	}
	// Healed while retransmitting: the bytes get through late.
	c3 := w.Connect("alice", "server:7000")
	w.After(time.Second, func() { w.HealAll() })
	if !w.RunUntil(c3.Established, 5*time.Second) {
		t.Fatalf("connect after heal: %v", c3.Err())
	}
}

func TestCrashLosesStateAndPeersSeeReset(t *testing.T) {
	builds := 0
	w := New(Config{UserTimeout: 20 * time.Second})
	w.MustAddHost(HostConfig{Name: "alice", IP: "10.0.0.1"})
	srv := w.MustAddHost(HostConfig{Name: "server", IP: "10.0.0.10", Listen: map[string]uint16{"client": 7000},
		New: func(r *rand.Rand) engine.Engine { builds++; return newPrimServer(r) }})
	c := w.Connect("alice", "server:7000")
	w.RunUntil(c.Established, time.Second)
	srv.Crash()
	if srv.Up() || srv.Engine() != nil {
		t.Fatal("crashed host still up")
	}
	// While it is down, a new connection gets no answer at all...
	c2 := w.Connect("alice", "server:7000")
	c.WriteString("PING PRIM-PR/1.0 1 0\r\n\r\n")
	w.RunFor(2 * time.Second)
	if c.Closed() || c2.Closed() {
		t.Fatalf("peers of a down host noticed within 2s: %v / %v", c.Err(), c2.Err())
	}
	// ...and once it is back, the old connection is unknown: the retransmission gets RST.
	srv.Restart()
	if builds != 2 {
		t.Fatalf("engine built %d times, want 2 (fresh engine on restart)", builds)
	}
	if !w.RunUntil(c.Closed, 30*time.Second) || !errors.Is(c.Err(), ErrReset) {
		t.Fatalf("old connection: Err = %v, want ErrReset", c.Err())
	}
	if !w.RunUntil(c2.Established, 30*time.Second) {
		t.Fatalf("SYN retried after restart did not connect: %v", c2.Err())
	}
}

func TestBandwidthDelaysBulkData(t *testing.T) {
	w := New(Config{MSS: 1000, Link: &LinkConfig{Latency: time.Millisecond, Bandwidth: 100_000}})
	w.MustAddHost(HostConfig{Name: "a", IP: "10.0.0.1"})
	w.MustAddHost(HostConfig{Name: "b", IP: "10.0.0.2"})
	l, _ := w.Listen("b", 1)
	c := w.Connect("a", "b:1")
	w.RunUntil(func() bool { return l.Pending() > 0 }, time.Second)
	s := l.Accept()
	t0 := w.Now()
	c.Write(make([]byte, 100_000))
	w.RunUntil(func() bool { return len(s.Received()) == 100_000 }, time.Minute)
	// 100 segments of 1054 bytes on the wire at 100 kB/s: just over a second.
	if d := w.Now() - t0; d < time.Second || d > 1100*time.Millisecond {
		t.Errorf("100 kB at 100 kB/s took %v", d)
	}
}

func TestTLSNeedsBothEnds(t *testing.T) {
	w := newTestWorld(t, Config{ConnectTimeout: 3 * time.Second})
	// The test server only starts TLS after a STARTTLS request; without one it never does.
	c := w.Connect("alice", "server:7000")
	w.RunUntil(c.Established, time.Second)
	c.StartTLS()
	if !w.RunUntil(func() bool { return c.TLSErr() != nil }, 10*time.Second) {
		t.Fatal("one-sided StartTLS never failed")
	}
	if !errors.Is(c.TLSErr(), ErrTLSTimeout) || c.Secured() {
		t.Errorf("TLSErr = %v, Secured = %v", c.TLSErr(), c.Secured())
	}
	// An engine whose peer (a script) never joins gets Secured with an error.
	l, _ := w.Listen("alice", 5000)
	bob := w.Host("bob")
	bob.Call(dialOp{tag: "t", addr: "alice:5000"})
	w.RunUntil(func() bool { return l.Pending() > 0 }, time.Second)
	bob.Call(tlsOp{tag: "t"})
	w.RunFor(5 * time.Second)
	if got := notes(bob); got[len(got)-1] != `secured t peer="" err=TLS` {
		t.Errorf("bob's facts %q", got)
	}
}

func TestFloodingPeerFillsScriptBuffer(t *testing.T) {
	w := newTestWorld(t, Config{MaxReceive: 10_000})
	l, _ := w.Listen("alice", 6000)
	bob := w.Host("bob")
	bob.Call(dialOp{tag: "flood", addr: "alice:6000", send: make([]byte, 50_000)})
	w.RunUntil(func() bool { return l.Pending() > 0 }, time.Second)
	c := l.Accept()
	if !w.RunUntil(c.Closed, time.Second) || !errors.Is(c.Err(), ErrBufferFull) {
		t.Fatalf("Err = %v, want ErrBufferFull", c.Err())
	}
	if len(c.Received()) > 10_000 {
		t.Errorf("holds %d bytes, more than MaxReceive", len(c.Received()))
	}
	w.RunFor(time.Second)
	if got := notes(bob); got[len(got)-1] != "closed flood reset" {
		t.Errorf("flooder's facts %q, want its connection reset", got)
	}
}
