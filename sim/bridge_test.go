package sim

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// startPrimish starts a loopback TCP server that answers each PRIM request with a response
// that echoes its method in the body. It stops with the test.
func startPrimish(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func(nc net.Conn) {
				defer nc.Close()
				var buf []byte
				chunk := make([]byte, 4096)
				for {
					n, err := nc.Read(chunk)
					buf = append(buf, chunk[:n]...)
					for {
						start, rest, ok := splitMessage(buf)
						if !ok {
							break
						}
						buf = rest
						f := strings.Fields(start)
						body := "external " + f[0]
						fmt.Fprintf(nc, "%s %s %d 200 OK\r\n\r\n%s", f[1], f[2], len(body), body)
					}
					if err != nil {
						return
					}
				}
			}(nc)
		}
	}()
	return ln.Addr().String()
}

const twoRequests = "LOGIN PRIM-PR/1.0 1 0\r\nFrom: pres:alice@example.com\r\n\r\nFETCH PRIM-PR/1.0 2 0\r\nTo: pres:bob@example.com\r\n\r\n"

// talkToBridge runs alice's side of the exchange with the bridge host "ext" and returns what
// she received.
func talkToBridge(t *testing.T, w *World, request string) []byte {
	t.Helper()
	c := w.Connect("alice", "ext:7000")
	c.WriteString(request)
	if !w.RunUntil(func() bool { return bytes.Count(c.Received(), []byte("200 OK")) == 2 }, 20*time.Second) {
		t.Fatalf("answers from the external server: %q (err %v)", c.Received(), c.Err())
	}
	got := append([]byte(nil), c.Received()...)
	c.Close()
	if !w.RunUntil(c.EOF, 20*time.Second) {
		t.Fatalf("bridged connection did not close: %v", c.Err())
	}
	return got
}

func TestBridgeRecordsExternalServerAndReplaysWithoutIt(t *testing.T) {
	addr := startPrimish(t)
	var rec bytes.Buffer
	w := New(Config{})
	w.MustAddHost(HostConfig{Name: "alice", IP: "10.0.0.1"})
	b, err := w.AddBridge(BridgeConfig{Name: "ext", IP: "10.0.0.99", Dial: map[uint16]string{7000: addr}, Record: &rec})
	if err != nil {
		t.Fatal(err)
	}
	live := talkToBridge(t, w, twoRequests)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(live, []byte("external LOGIN")) || !bytes.Contains(live, []byte("external FETCH")) {
		t.Fatalf("live answers %q", live)
	}
	events, err := ParseRecording(bytes.NewReader(rec.Bytes()))
	if err != nil {
		t.Fatalf("%v\n%s", err, rec.String())
	}
	var in, out []byte
	var kinds []string
	for _, ev := range events {
		kinds = append(kinds, string(ev.Kind))
		switch ev.Kind {
		case RecIn:
			in = append(in, ev.Data...)
		case RecOut:
			out = append(out, ev.Data...)
		}
	}
	if string(out) != twoRequests || !bytes.Equal(in, live) {
		t.Fatalf("recording holds out %q in %q; want every byte each way", out, in)
	}
	// Bytes may reach the bridge before its real dial completes: "out" may precede "dialed".
	if k := strings.Join(kinds, " "); kinds[0] != "connect" || !strings.Contains(k, "dialed") || kinds[len(kinds)-1] != "close" {
		t.Errorf("recorded kinds %v", kinds)
	}

	// Replay: no external server, same answers.
	w2 := New(Config{})
	w2.MustAddHost(HostConfig{Name: "alice", IP: "10.0.0.1"})
	rb, err := w2.AddReplay(BridgeConfig{Name: "ext", IP: "10.0.0.99", Dial: map[uint16]string{7000: "unused"}}, events)
	if err != nil {
		t.Fatal(err)
	}
	replayed := talkToBridge(t, w2, twoRequests)
	if !bytes.Equal(replayed, live) {
		t.Errorf("replay gave %q, live run %q", replayed, live)
	}
	if err := rb.Divergence(); err != nil {
		t.Errorf("faithful replay diverged: %v", err)
	}

	// A world that sends something else is caught.
	w3 := New(Config{})
	w3.MustAddHost(HostConfig{Name: "alice", IP: "10.0.0.1"})
	rb3, _ := w3.AddReplay(BridgeConfig{Name: "ext", IP: "10.0.0.99", Dial: map[uint16]string{7000: "unused"}}, events)
	talkToBridge(t, w3, strings.Replace(twoRequests, "FETCH", "FETCX", 1))
	if err := rb3.Divergence(); err == nil || !strings.Contains(err.Error(), "FETCX") {
		t.Errorf("divergent replay: Divergence() = %v", err)
	}
}

func TestBridgeRefusedDialResetsSimulatedConnection(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close() // nothing listens there now
	w := New(Config{})
	w.MustAddHost(HostConfig{Name: "alice", IP: "10.0.0.1"})
	b, err := w.AddBridge(BridgeConfig{Name: "ext", IP: "10.0.0.99", Dial: map[uint16]string{7000: dead}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c := w.Connect("alice", "ext:7000")
	if !w.RunUntil(c.Closed, 20*time.Second) || !errors.Is(c.Err(), ErrReset) {
		t.Fatalf("Err = %v, want ErrReset after the real dial failed", c.Err())
	}
}

func TestBridgeAcceptsExternalClient(t *testing.T) {
	w := New(Config{})
	srv := w.MustAddHost(HostConfig{Name: "server", IP: "10.0.0.10", New: newPrimServer, Listen: map[string]uint16{"client": 7000}})
	var rec bytes.Buffer
	b, err := w.AddBridge(BridgeConfig{Name: "ext", IP: "10.0.0.99", Record: &rec,
		Accept: []BridgeAccept{{Listen: "127.0.0.1:0", Target: "server:7000"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var done atomic.Bool
	var answer atomic.Value
	go func() {
		defer done.Store(true)
		nc, err := net.Dial("tcp", b.Addrs()[0].String())
		if err != nil {
			answer.Store("dial: " + err.Error())
			return
		}
		defer nc.Close()
		io.WriteString(nc, "LOGIN PRIM-PR/1.0 0224 0\r\nFrom: pres:ext@example.com\r\n\r\n")
		r := bufio.NewReader(nc)
		var got []byte
		for !bytes.HasSuffix(got, []byte("ok LOGIN")) {
			c, err := r.ReadByte()
			if err != nil {
				break
			}
			got = append(got, c)
		}
		answer.Store(string(got))
	}()
	if !w.RunUntil(done.Load, 30*time.Second) {
		t.Fatal("the external client never finished")
	}
	want := "PRIM-PR/1.0 0224 8 200 OK\r\nContent-Type: text/plain\r\n\r\nok LOGIN"
	if got, _ := answer.Load().(string); got != want {
		t.Errorf("external client read %q, want %q", got, want)
	}
	if !w.RunUntil(func() bool { return len(srv.Facts()) >= 3 }, 30*time.Second) {
		t.Fatalf("server facts %q", notes(srv))
	}
	if got := notes(srv); got[1] != "request LOGIN PRIM-PR/1.0 0224 0" || got[2] != "closed <nil>" {
		t.Errorf("server facts %q", got)
	}
	if !strings.Contains(rec.String(), " accept 1 0\n") || !strings.Contains(rec.String(), " eof 1\n") {
		t.Errorf("recording lacks the accept or the eof:\n%s", rec.String())
	}

	// Replayed without the external client, the server sees the same exchange.
	events, err := ParseRecording(strings.NewReader(rec.String()))
	if err != nil {
		t.Fatal(err)
	}
	w2 := New(Config{})
	srv2 := w2.MustAddHost(HostConfig{Name: "server", IP: "10.0.0.10", New: newPrimServer, Listen: map[string]uint16{"client": 7000}})
	rb, err := w2.AddReplay(BridgeConfig{Name: "ext", IP: "10.0.0.99",
		Accept: []BridgeAccept{{Listen: "unused", Target: "server:7000"}}}, events)
	if err != nil {
		t.Fatal(err)
	}
	w2.RunUntilQuiet()
	if a, b := strings.Join(notes(srv), "\n"), strings.Join(notes(srv2), "\n"); a != b {
		t.Errorf("server facts live:\n%s\nreplayed:\n%s", a, b)
	}
	if err := rb.Divergence(); err != nil {
		t.Errorf("replay diverged: %v", err)
	}
}

func TestParseRecordingRejectsBadLines(t *testing.T) {
	for _, bad := range []string{
		"",
		"not a recording\n",
		recordingMagic + "\n10 in 1 unquoted\n",
		recordingMagic + "\n10 teleport 1\n",
		recordingMagic + "\n-5 eof 1\n",
		recordingMagic + "\n10 eof 0\n",
		recordingMagic + "\n10 accept 1\n",
	} {
		if _, err := ParseRecording(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseRecording(%q) accepted it", bad)
		}
	}
	good := recordingMagic + "\n# comment\n\n5 accept 1 0\n6 in 1 \"a\\r\\n\\x00\"\n7 eof 1\n"
	evs, err := ParseRecording(strings.NewReader(good))
	if err != nil || len(evs) != 3 || string(evs[1].Data) != "a\r\n\x00" || evs[1].At != 6 {
		t.Errorf("ParseRecording(good) = %+v, %v", evs, err)
	}
	var b []byte
	for _, ev := range evs {
		b = ev.appendTo(b)
	}
	if string(b) != "5 accept 1 0\n6 in 1 \"a\\r\\n\\x00\"\n7 eof 1\n" {
		t.Errorf("re-encoded %q", b)
	}
}
