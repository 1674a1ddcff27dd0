package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reference/wire"
)

// fakeHome is a scripted PRIM home server on loopback: it accepts LOGIN at once (one step,
// Decision D10(a)), answers SUBSCRIBE with 200 and then pushes a NOTIFY, and pushes a SEND on
// the IM connection after LISTEN. It records the responses the client sends back.
func fakeHome(t *testing.T) (addr string, answers chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	answers = make(chan string, 20)
	serve := func(nc net.Conn) {
		defer nc.Close()
		d := wire.NewDecoder(wire.DefaultLimits())
		buf := make([]byte, 4096)
		for {
			m, err := d.Next()
			if err != nil {
				return
			}
			if m == nil {
				n, err := nc.Read(buf)
				if err != nil {
					return
				}
				d.Feed(buf[:n])
				continue
			}
			if !m.IsRequest() {
				answers <- m.StartLine()
				continue
			}
			reply := func(code int, phrase string, h ...wire.Header) {
				nc.Write((&wire.Message{Version: m.Version, ID: m.ID, Code: code, Phrase: phrase, Headers: h}).Bytes())
			}
			switch m.Method {
			case "LOGIN":
				reply(200, "OK")
			case "SUBSCRIBE":
				reply(200, "OK", wire.Header{Name: "Duration", Value: m.Value("Duration")})
				doc := `<presence identifier="pres:bob@example.org" date="Mon, 26 Feb 2001 09:52:08 +0900"><contact address="im:bob@example.org"><display-name>IM</display-name><status value="open"/></contact></presence>`
				n := &wire.Message{Method: "NOTIFY", Version: m.Version, ID: "n1", Body: []byte(doc)}
				n.Add("From", m.Value("To"))
				n.Add("To", m.Value("From"))
				n.Add("Content-Type", "application/presence")
				n.Add("Tuple-ID", "pc")
				nc.Write(n.Bytes())
			case "LISTEN":
				reply(200, "OK")
				s := &wire.Message{Method: "SEND", Version: m.Version, ID: "s1", Body: []byte("hello")}
				s.Add("From", "im:bob@example.org")
				s.Add("To", m.Value("From"))
				s.Add("Message-ID", "m1")
				s.Add("Conversation-ID", "c1")
				s.Add("Content-Type", "text/plain")
				nc.Write(s.Bytes())
			case "LOGOUT":
				return
			default:
				reply(501, "Not Implemented")
			}
		}
	}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(nc)
		}
	}()
	return ln.Addr().String(), answers
}

// The driver protocol end to end over loopback against a scripted server: one result line per
// command, asynchronous notify and message events, and the client's own answers on the wire.
func TestDriverAgainstScriptedServer(t *testing.T) {
	addr, answers := fakeHome(t)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		exit <- runClient([]string{"--driver", "--server", addr, "--seed", "3"}, inR, outW, io.Discard)
		outW.Close()
	}()
	lines := make(chan map[string]any, 20)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"garbage": sc.Text()}
			}
			lines <- m
		}
		close(lines)
	}()
	next := func() map[string]any {
		t.Helper()
		select {
		case m := <-lines:
			return m
		case <-time.After(20 * time.Second):
			t.Fatal("no output from the driver")
		}
		return nil
	}
	send := func(line string) { fmt.Fprintln(inW, line) }

	if m := next(); m["type"] != "ready" || m["protocol"] != float64(1) {
		t.Fatalf("first line %v", m)
	}
	send(`{"id":"1","cmd":"login","user":"alice@example.net","password":"pw"}`)
	if m := next(); m["type"] != "result" || m["id"] != "1" || m["code"] != float64(200) {
		t.Fatalf("login: %v", m)
	}
	send(`{"id":"2","cmd":"subscribe","to":"bob@example.org","duration":60}`)
	got := map[string]map[string]any{}
	for len(got) < 2 {
		m := next()
		got[m["type"].(string)] = m
	}
	if r := got["result"]; r["id"] != "2" || r["code"] != float64(200) || r["duration"] != "60" {
		t.Fatalf("subscribe result %v", r)
	}
	if n := got["notify"]; n["from"] != "pres:bob@example.org" || n["to"] != "pres:alice@example.net" ||
		!strings.Contains(fmt.Sprint(n["tuples"]), "status:open") {
		t.Fatalf("notify event %v", n)
	}
	if a := <-answers; a != "PRIM-PR/1.0 n1 0 200 OK" {
		t.Fatalf("client answered NOTIFY with %q", a)
	}
	send(`{"id":"3","cmd":"listen"}`)
	got = map[string]map[string]any{}
	for len(got) < 2 {
		m := next()
		got[m["type"].(string)] = m
	}
	if m := got["message"]; m["body"] != "hello" || m["reply"] != float64(200) || m["conversation_id"] != "c1" {
		t.Fatalf("message event %v", m)
	}
	if a := <-answers; a != "PRIM-IM/1.0 s1 0 200 OK" {
		t.Fatalf("client answered SEND with %q", a)
	}
	send(`{"id":"4","cmd":"nonsense"}`)
	if m := next(); m["id"] != "4" || m["error"] != `unknown cmd "nonsense"` {
		t.Fatalf("bad command: %v", m)
	}
	send(`{"id":"5","cmd":"logout"}`)
	if m := next(); m["id"] != "5" || m["code"] != float64(0) || m["error"] != nil {
		t.Fatalf("logout: %v", m)
	}
	inW.Close()
	if code := <-exit; code != exitOK {
		t.Fatalf("exit %d", code)
	}
}
