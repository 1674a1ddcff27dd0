package sim

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// scenario runs a small PRIM-ish exchange with every kind of randomness and fault the world
// has: jitter, loss, duplication, reordering, a partition that heals, a crash and a restart,
// a simulated STARTTLS. It returns the world after the run.
func scenario(t testing.TB, seed uint64, trace, pcap *bytes.Buffer) *World {
	cfg := Config{Seed: seed, MSS: 64, UserTimeout: 4 * time.Second, ConnectTimeout: 4 * time.Second,
		Link: &LinkConfig{Latency: 2 * time.Millisecond, Jitter: 3 * time.Millisecond}}
	if trace != nil {
		cfg.Trace = trace
	}
	if pcap != nil {
		cfg.Pcap = pcap
	}
	w := New(cfg)
	w.MustAddHost(HostConfig{Name: "alice", IP: "10.0.0.1"})
	bob := w.MustAddHost(HostConfig{Name: "bob", IP: "10.0.0.2", New: newAgent})
	srv := w.MustAddHost(HostConfig{Name: "server", IP: "10.0.0.10", New: newPrimServer, CertCN: "server.example",
		Listen: map[string]uint16{"client": 7000}})
	if err := w.SetLink("bob", "server", LinkConfig{Latency: 5 * time.Millisecond, Jitter: 2 * time.Millisecond,
		Loss: 0.2, Duplicate: 0.1, Reorder: 0.1}); err != nil {
		t.Fatal(err)
	}
	c := w.Connect("alice", "server:7000")
	c.WriteString("LOGIN PRIM-PR/1.0 0224 0\r\nFrom: pres:alice@example.com\r\nAuth-State: init\r\nSASL-Mech: PLAIN\r\n\r\n")
	c.WriteString("SUBSCRIBE PRIM-PR/1.0 0225 0\r\nFrom: pres:alice@example.com\r\nTo: pres:bob@example.com\r\n\r\n")
	c.WriteString("STARTTLS PRIM-PR/1.0 0226 0\r\n\r\n")
	w.RunUntil(func() bool { return len(c.Received()) > 150 }, 2*time.Second)
	c.StartTLS()
	c.WriteString("SUBSCRIBE PRIM-PR/1.0 0227 0\r\nTo: pres:carol@example.com\r\n\r\n")
	bob.Call(dialOp{tag: "im", addr: "server:7000",
		send: []byte("SEND PRIM-IM/1.0 1 12\r\nTo: im:alice@example.com\r\nContent-Type: text/plain\r\n\r\nhello, alice")})
	w.RunFor(500 * time.Millisecond)
	w.Partition([]string{"alice"}, []string{"server"})
	c.WriteString("PING PRIM-PR/1.0 - 0\r\n\r\n")
	w.After(time.Second, func() { w.Heal([]string{"alice"}, []string{"server"}) })
	w.RunFor(2 * time.Second)
	srv.Crash()
	bob.Call(writeOp{tag: "im", data: []byte("PING PRIM-IM/1.0 - 0\r\n\r\n")})
	w.RunFor(time.Second)
	srv.Restart()
	w.RunFor(3 * time.Second)
	c2 := w.Connect("alice", "server:7000")
	c2.WriteString("LOGOUT PRIM-PR/1.0 - 0\r\n\r\n")
	w.RunUntilQuiet()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestSameSeedSameTraceAndCapture(t *testing.T) {
	var t1, t2, p1, p2 bytes.Buffer
	scenario(t, 42, &t1, &p1)
	scenario(t, 42, &t2, &p2)
	if t1.Len() == 0 || p1.Len() == 0 {
		t.Fatal("empty trace or capture")
	}
	if !bytes.Equal(t1.Bytes(), t2.Bytes()) {
		t.Error("same seed, different traces")
	}
	if !bytes.Equal(p1.Bytes(), p2.Bytes()) {
		t.Error("same seed, different captures")
	}
	var t3, p3 bytes.Buffer
	scenario(t, 43, &t3, &p3)
	if bytes.Equal(t1.Bytes(), t3.Bytes()) {
		t.Error("different seeds, same trace: jitter and loss ignore the seed")
	}
	if bytes.Equal(p1.Bytes(), p3.Bytes()) {
		t.Error("different seeds, same capture")
	}
}

func TestTracingDoesNotChangeTheRun(t *testing.T) {
	var trace bytes.Buffer
	a := scenario(t, 5, &trace, nil)
	b := scenario(t, 5, nil, nil)
	fa, fb := a.Host("server").Facts(), b.Host("server").Facts()
	if len(fa) != len(fb) || a.Now() != b.Now() {
		t.Fatalf("with trace: %d facts, end %v; without: %d facts, end %v", len(fa), a.Now(), len(fb), b.Now())
	}
	for i := range fa {
		if fa[i].String() != fb[i].String() {
			t.Errorf("fact %d: %q vs %q", i, fa[i], fb[i])
		}
	}
}

// TestGoldenTrace pins the trace format and the scenario's behaviour. If it fails, run
// `go test ./sim -run TestGoldenTrace -rewrite` and inspect the diff; only keep the change if
// you understand what caused it.
func TestGoldenTrace(t *testing.T) {
	var trace bytes.Buffer
	scenario(t, 1, &trace, nil)
	path := filepath.Join("testdata", "scenario.trace")
	if *rewrite {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, trace.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -rewrite to create it)", err)
	}
	if !bytes.Equal(trace.Bytes(), want) {
		t.Errorf("trace differs from %s (run with -rewrite to accept):\n%s", path, firstDiff(trace.String(), string(want)))
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	gl, wl := bytes.Split([]byte(got), []byte("\n")), bytes.Split([]byte(want), []byte("\n"))
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w []byte
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if !bytes.Equal(g, w) {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + string(g) + "\nwant: " + string(w)
		}
	}
	return "(no difference)"
}
