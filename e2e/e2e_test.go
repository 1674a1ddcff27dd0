// Package e2e runs the primlab binary end to end over real loopback TCP: two `primlab serve`
// processes for two domains peered with each other, and `primlab client --driver` processes
// for their users, steered through the driver protocol (fixtures/driver-protocol.md). Every
// result checked below is a PRIM response that crossed a real socket.
package e2e

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/primlab/primlab/reference/wire"
)

// binary is the primlab binary built once for the package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "primlab-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "primlab")
	build := exec.Command("go", "build", "-o", binary, "github.com/primlab/primlab/cmd/primlab")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building primlab:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// step is the longest any single step may take before the test gives up (it only stops a
// broken run from hanging; nothing is timed).
const step = 30 * time.Second

// freePort returns a loopback address whose port was free a moment ago (both servers must
// know each other's server-server address before either starts).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serveProc is a running `primlab serve`.
type serveProc struct {
	cmd    *exec.Cmd
	client string // client listener address
	s2s    string
	stderr *syncBuffer
	out    *bufio.Scanner
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startServe(t *testing.T, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "-v"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Clean shutdown on SIGTERM: exit status 0.
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve %v after SIGTERM: %v", args, err)
			}
		case <-time.After(step):
			cmd.Process.Kill()
			<-done
			t.Errorf("serve %v did not stop on SIGTERM", args)
		}
		if t.Failed() {
			t.Logf("serve %v stderr:\n%s", args, p.stderr.String())
		}
	})
	p.out = bufio.NewScanner(stdout)
	lines := make(chan string)
	go func() {
		for p.out.Scan() {
			lines <- p.out.Text()
		}
		close(lines)
	}()
	deadline := time.After(step)
	for p.client == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve exited before listening: %s", p.stderr.String())
			}
			f := strings.Fields(l)
			if len(f) >= 3 && f[0] == "listening" {
				if f[1] == "client" {
					p.client = f[2]
				} else {
					p.s2s = f[2]
				}
			}
		case <-deadline:
			t.Fatalf("serve did not say where it listens: %s", p.stderr.String())
		}
	}
	go func() {
		for range lines {
		}
	}()
	return p
}

// driver is a running `primlab client --driver`.
type driver struct {
	t      *testing.T
	name   string
	stdin  io.WriteCloser
	lines  chan map[string]any
	events []map[string]any
	seq    int
	stderr *syncBuffer
}

func startDriver(t *testing.T, name string, args ...string) *driver {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"client", "--driver", "--seed", "7"}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	d := &driver{t: t, name: name, stdin: stdin, lines: make(chan map[string]any, 100), stderr: &syncBuffer{}}
	cmd.Stderr = d.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"type": "garbage", "text": sc.Text()}
			}
			d.lines <- m
		}
		close(d.lines)
	}()
	t.Cleanup(func() {
		stdin.Close() // the driver exits when its input ends
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil && !t.Failed() {
				t.Errorf("%s: client exited: %v\n%s", name, err, d.stderr.String())
			}
		case <-time.After(step):
			cmd.Process.Kill()
			t.Errorf("%s: client did not exit after stdin closed", name)
		}
	})
	if m := d.next(); m["type"] != "ready" {
		t.Fatalf("%s: first line %v, want ready", name, m)
	}
	return d
}

func (d *driver) next() map[string]any {
	d.t.Helper()
	select {
	case m, ok := <-d.lines:
		if !ok {
			d.t.Fatalf("%s: client output ended\n%s", d.name, d.stderr.String())
		}
		return m
	case <-time.After(step):
		d.t.Fatalf("%s: nothing from the client", d.name)
	}
	return nil
}

// do sends one command and returns its result; events seen meanwhile are kept.
func (d *driver) do(cmd map[string]any) map[string]any {
	d.t.Helper()
	d.seq++
	id := fmt.Sprintf("%s-%d", d.name, d.seq)
	cmd["id"] = id
	b, _ := json.Marshal(cmd)
	if _, err := fmt.Fprintf(d.stdin, "%s\n", b); err != nil {
		d.t.Fatal(err)
	}
	for {
		m := d.next()
		if m["type"] == "result" && m["id"] == id {
			return m
		}
		d.events = append(d.events, m)
	}
}

// expect runs cmd and checks the result's code.
func (d *driver) expect(code int, cmd map[string]any) map[string]any {
	d.t.Helper()
	r := d.do(cmd)
	if got, _ := r["code"].(float64); int(got) != code || r["error"] != nil {
		d.t.Fatalf("%s: %v → %v, want code %d", d.name, cmd, r, code)
	}
	return r
}

// event returns the first kept or future event of type typ that satisfies ok.
func (d *driver) event(typ string, ok func(map[string]any) bool) map[string]any {
	d.t.Helper()
	for i, e := range d.events {
		if e["type"] == typ && ok(e) {
			d.events = append(d.events[:i], d.events[i+1:]...)
			return e
		}
	}
	for {
		m := d.next()
		if m["type"] == typ && ok(m) {
			return m
		}
		d.events = append(d.events, m)
	}
}

func tupleStatus(v any, id string) string {
	ts, _ := v.([]any)
	for _, t := range ts {
		m, _ := t.(map[string]any)
		if m["id"] == id {
			s, _ := m["status"].(string)
			return s
		}
	}
	return ""
}

// tap is a TCP proxy that records every byte between a client and its server, so the test can
// check the PRIM commands themselves.
type tap struct {
	addr    string
	mu      sync.Mutex
	streams []*tapStream
}

type tapStream struct {
	up, down []byte // client to server, server to client
}

func newTap(t *testing.T, target string) *tap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	tp := &tap{addr: ln.Addr().String()}
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			st := &tapStream{}
			tp.mu.Lock()
			tp.streams = append(tp.streams, st)
			tp.mu.Unlock()
			pump := func(dst, src net.Conn, rec *[]byte) {
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if n > 0 {
						tp.mu.Lock()
						*rec = append(*rec, buf[:n]...)
						tp.mu.Unlock()
						dst.Write(buf[:n])
					}
					if err != nil {
						dst.(*net.TCPConn).CloseWrite()
						return
					}
				}
			}
			go pump(out, in, &st.up)
			go pump(in, out, &st.down)
		}
	}()
	return tp
}

// commands decodes what went each way so far, as start lines with their headers.
func (tp *tap) commands(t *testing.T) (up, down []*wire.Message) {
	t.Helper()
	tp.mu.Lock()
	defer tp.mu.Unlock()
	decode := func(b []byte) []*wire.Message {
		d := wire.NewDecoder(wire.DefaultLimits())
		d.Feed(b)
		var out []*wire.Message
		for {
			m, err := d.Next()
			if err != nil {
				t.Fatalf("undecodable PRIM on the wire: %v", err)
			}
			if m == nil {
				return out
			}
			out = append(out, m)
		}
	}
	for _, st := range tp.streams {
		up = append(up, decode(st.up)...)
		down = append(down, decode(st.down)...)
	}
	return up, down
}

// find returns the first message with the start-line prefix whose headers all match.
func find(ms []*wire.Message, prefix string, headers ...string) *wire.Message {
	for _, m := range ms {
		if !strings.HasPrefix(m.StartLine(), prefix) {
			continue
		}
		ok := true
		for i := 0; i+1 < len(headers); i += 2 {
			if m.Value(headers[i]) != headers[i+1] {
				ok = false
			}
		}
		if ok {
			return m
		}
	}
	return nil
}

// Two domains, peered both ways; users on each; presence and IM across the domains; an ACL
// that denies; a bad password.
func TestTwoDomains(t *testing.T) {
	aS2S, bS2S := freePort(t), freePort(t)
	a := startServe(t, "--domain", "a.example", "--listen", "127.0.0.1:0", "--s2s-listen", aS2S,
		"--account", "alice:apw", "--account", "amy:amypw",
		"--peer", "b.example="+bS2S, "--peer-secret", "b.example=s3cret")
	// Domain b is configured by a YAML file, domain a by flags: they say the same things.
	bConf := filepath.Join(t.TempDir(), "b.yaml")
	yml := fmt.Sprintf("domain: b.example\nlisten: 127.0.0.1:0\ns2s_listen: %s\naccounts:\n  bob: bpw\n"+
		"peers:\n  a.example: %s\npeer_secrets:\n  a.example: s3cret\n", bS2S, aS2S)
	if err := os.WriteFile(bConf, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startServe(t, "--config", bConf)

	alice := startDriver(t, "alice", "--server", a.client)
	bobTap := newTap(t, b.client) // everything bob's client and his server say to each other
	bob := startDriver(t, "bob", "--server", bobTap.addr)
	alice.expect(200, map[string]any{"cmd": "login", "user": "alice@a.example", "password": "apw"})
	bob.expect(200, map[string]any{"cmd": "login", "user": "pres:bob@b.example", "password": "bpw", "mech": "PLAIN"})

	// Presence across domains: publish, subscribe (the 200/201 body carries the presence,
	// Decision D25), then a change is notified.
	alice.expect(200, map[string]any{"cmd": "publish", "tuple": "pc", "status": "open", "note": "at my desk"})
	sub := bob.do(map[string]any{"cmd": "subscribe", "to": "alice@a.example", "duration": 600})
	if c, _ := sub["code"].(float64); c != 200 && c != 201 {
		t.Fatalf("bob subscribe: %v", sub)
	}
	if got := tupleStatus(sub["tuples"], "pc"); got != "open" {
		// Some servers deliver the first presence in a NOTIFY instead; accept that too.
		n := bob.event("notify", func(e map[string]any) bool { return e["from"] == "pres:alice@a.example" })
		if got := tupleStatus(n["tuples"], "pc"); got != "open" {
			t.Fatalf("bob's view of alice after subscribe: %v / %v", sub, n)
		}
	}
	alice.expect(200, map[string]any{"cmd": "publish", "tuple": "pc", "status": "closed", "note": "gone home"})
	n := bob.event("notify", func(e map[string]any) bool {
		return e["from"] == "pres:alice@a.example" && tupleStatus(e["tuples"], "pc") == "closed"
	})
	if n["to"] != "pres:bob@b.example" {
		t.Fatalf("notify to %v", n["to"])
	}

	// IM across domains: closed inbox first (408), then delivered (200) with the ids kept.
	r := bob.do(map[string]any{"cmd": "send", "to": "alice@a.example", "body": "anyone there?"})
	if c, _ := r["code"].(float64); c != 408 {
		t.Fatalf("send to a closed inbox: %v, want 408", r)
	}
	alice.expect(200, map[string]any{"cmd": "listen"})
	r = bob.expect(200, map[string]any{"cmd": "send", "to": "alice@a.example", "body": "hello from b"})
	m := alice.event("message", func(e map[string]any) bool { return e["body"] == "hello from b" })
	if m["from"] != "im:bob@b.example" || m["message_id"] != r["message_id"] || m["conversation_id"] != r["conversation_id"] {
		t.Fatalf("message %v does not match the send result %v", m, r)
	}
	// A reply in the same conversation (PRIM-A9.4.2-1) goes the other way.
	bob.expect(200, map[string]any{"cmd": "listen"})
	alice.expect(200, map[string]any{"cmd": "send", "to": "bob@b.example", "body": "hi bob", "conversation_id": m["conversation_id"]})
	back := bob.event("message", func(e map[string]any) bool { return e["body"] == "hi bob" })
	if back["conversation_id"] != m["conversation_id"] {
		t.Fatalf("reply conversation %v, want %v", back["conversation_id"], m["conversation_id"])
	}

	// ACL denial across domains: alice lets only her own domain see her.
	alice.expect(200, map[string]any{"cmd": "setacl", "entries": []any{
		map[string]any{"targets": []string{"@a.example"}, "allow": []string{"fetch", "subscribe"}},
	}})
	// Bob lost the right to subscribe: his subscription is revoked (I2 §4.4: CANCELSUBSCRIPTION,
	// relayed from the SS NOTIFY with Duration 0).
	bob.event("cancelled", func(e map[string]any) bool {
		return e["from"] == "pres:alice@a.example" && e["to"] == "pres:bob@b.example"
	})
	if r := bob.do(map[string]any{"cmd": "fetch", "to": "alice@a.example"}); r["code"] != float64(402) {
		t.Fatalf("bob fetch after ACL: %v, want 402 Forbidden", r)
	}
	if r := bob.do(map[string]any{"cmd": "subscribe", "to": "alice@a.example", "duration": 600}); r["code"] != float64(402) {
		t.Fatalf("bob subscribe after ACL: %v, want 402 Forbidden", r)
	}
	amy := startDriver(t, "amy", "--server", a.client)
	amy.expect(200, map[string]any{"cmd": "login", "user": "amy@a.example", "password": "amypw"})
	if r := amy.expect(200, map[string]any{"cmd": "fetch", "to": "alice@a.example"}); tupleStatus(r["tuples"], "pc") != "closed" {
		t.Fatalf("amy fetch: %v", r)
	}

	// A wrong pass phrase: 406, and the connection is dropped (PRIM-A12.1-15).
	eve := startDriver(t, "eve", "--server", b.client)
	if r := eve.do(map[string]any{"cmd": "login", "user": "bob@b.example", "password": "guess", "mech": "PLAIN"}); r["code"] != float64(406) {
		t.Fatalf("bad password: %v, want 406", r)
	}
	bob.expect(0, map[string]any{"cmd": "logout"})
	for _, svc := range []string{"pres", "im"} { // both connections are closed, LOGOUT recorded
		bob.event("disconnected", func(e map[string]any) bool { return e["service"] == svc })
	}

	// The same story on bob's wire.
	up, down := bobTap.commands(t)
	subCmd := find(up, "SUBSCRIBE PRIM-PR/1.0 ", "From", "pres:bob@b.example", "To", "pres:alice@a.example", "Duration", "600")
	if subCmd == nil {
		t.Fatalf("no SUBSCRIBE from bob on the wire: %v", startLines(up))
	}
	if find(down, "PRIM-PR/1.0 "+subCmd.ID+" ") == nil {
		t.Errorf("no response to SUBSCRIBE %s", subCmd.ID)
	}
	notify := find(down, "NOTIFY PRIM-PR/1.0 ", "From", "pres:alice@a.example", "To", "pres:bob@b.example")
	if notify == nil || !strings.HasPrefix(notify.Value("Content-Type"), "application/presence") && !strings.HasPrefix(notify.Value("Content-Type"), "multipart/mixed") {
		t.Fatalf("NOTIFY to bob on the wire: %v", notify)
	}
	if find(up, "PRIM-PR/1.0 "+notify.ID+" 0 200 ") == nil {
		t.Errorf("bob's client did not answer NOTIFY %s with 200", notify.ID)
	}
	if find(down, "CANCELSUBSCRIPTION PRIM-PR/1.0 - ", "From", "pres:alice@a.example") == nil {
		t.Errorf("no CANCELSUBSCRIPTION to bob on the wire: %v", startLines(down))
	}
	send := find(up, "SEND PRIM-IM/1.0 ", "To", "im:alice@a.example", "Message-ID", r["message_id"].(string))
	if send == nil || send.Value("Content-Type") == "" || send.Value("Conversation-ID") == "" {
		t.Fatalf("SEND from bob on the wire: %v", send)
	}
	if find(down, "PRIM-IM/1.0 "+send.ID+" 0 200 OK", "Message-ID", send.Value("Message-ID")) == nil {
		t.Errorf("SEND %s not answered 200 echoing its Message-ID: %v", send.ID, startLines(down))
	}
	if find(up, "LOGOUT PRIM-PR/1.0 - 0") == nil || find(up, "LOGOUT PRIM-IM/1.0 - 0") == nil {
		t.Errorf("no LOGOUT on each connection: %v", startLines(up))
	}
}

func startLines(ms []*wire.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.StartLine()
	}
	return out
}

// writeCert writes a self-signed certificate and key for 127.0.0.1 and returns the paths.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	return writeCertFor(t, dir, "tls.example", x509.ExtKeyUsageServerAuth)
}

// writeCertFor writes a self-signed certificate with common name cn for usage.
func writeCertFor(t *testing.T, dir, cn string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(7),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{usage},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{cn},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, cn+".pem"), filepath.Join(dir, cn+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// STARTTLS with a certificate made here: the client verifies it against --ca, logs in with
// PLAIN inside TLS (PRIM-A10.3.2-4 allows PLAIN once encrypted) and works normally; a client
// that does not trust the certificate gets no session.
func TestStartTLS(t *testing.T) {
	certFile, keyFile := writeCert(t, t.TempDir())
	s := startServe(t, "--domain", "tls.example", "--listen", "127.0.0.1:0", "--account", "tess:tpw",
		"--tls-cert", certFile, "--tls-key", keyFile)
	tess := startDriver(t, "tess", "--server", s.client, "--starttls", "--ca", certFile)
	tess.expect(200, map[string]any{"cmd": "login", "user": "tess@tls.example", "password": "tpw", "mech": "PLAIN"})
	tess.expect(200, map[string]any{"cmd": "publish", "tuple": "t", "status": "open"})
	if r := tess.expect(200, map[string]any{"cmd": "fetch", "to": "tess@tls.example"}); tupleStatus(r["tuples"], "t") != "open" {
		t.Fatalf("fetch over TLS: %v", r)
	}

	other := t.TempDir()
	otherCert, _ := writeCert(t, other)
	mallory := startDriver(t, "mallory", "--server", s.client, "--starttls", "--ca", otherCert)
	r := mallory.do(map[string]any{"cmd": "login", "user": "tess@tls.example", "password": "tpw", "mech": "PLAIN"})
	if e, _ := r["error"].(string); !strings.Contains(e, "TLS handshake") {
		t.Fatalf("login with an untrusted server certificate: %v", r)
	}
}

// SASL EXTERNAL after STARTTLS with a client certificate the server verifies
// (PRIM-A10.3.2-3): the certificate names the user, the LOGIN body is empty.
func TestStartTLSExternal(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeCert(t, dir)
	userCert, userKey := writeCertFor(t, dir, "tess", x509.ExtKeyUsageClientAuth)
	s := startServe(t, "--domain", "tls.example", "--listen", "127.0.0.1:0", "--account", "tess:tpw",
		"--tls-cert", certFile, "--tls-key", keyFile, "--tls-client-ca", userCert)
	tess := startDriver(t, "tess", "--server", s.client, "--starttls", "--ca", certFile, "--cert", userCert, "--key", userKey)
	tess.expect(200, map[string]any{"cmd": "login", "user": "tess@tls.example", "mech": "EXTERNAL"})
	tess.expect(200, map[string]any{"cmd": "listen"})

	// Without a certificate the TLS layer vouches for nobody: EXTERNAL gets 406.
	anon := startDriver(t, "anon", "--server", s.client, "--starttls", "--ca", certFile)
	if r := anon.do(map[string]any{"cmd": "login", "user": "tess@tls.example", "mech": "EXTERNAL"}); r["code"] != float64(406) {
		t.Fatalf("EXTERNAL without a client certificate: %v", r)
	}
}
