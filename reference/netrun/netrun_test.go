package netrun

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reference/engine"
)

// textFact is what the test engines observe.
type textFact string

func (f textFact) Kind() string   { return "text" }
func (f textFact) String() string { return string(f) }

// echoServer answers each line with the line upper-cased; "STARTTLS" is answered "OK" and
// followed by a server-side TLS upgrade; "QUIT" closes the connection after "BYE".
type echoServer struct{ buf map[engine.ConnID][]byte }

func (e *echoServer) Handle(now time.Time, ev engine.Event) []engine.Action {
	switch ev := ev.(type) {
	case engine.Opened:
		return []engine.Action{engine.Observe{Fact: textFact(fmt.Sprintf("opened %s listener=%s", ev.Conn, ev.Listener))}}
	case engine.Secured:
		return []engine.Action{engine.Observe{Fact: textFact(fmt.Sprintf("secured %s err=%v cn=%s", ev.Conn, ev.Err, ev.PeerCN))}}
	case engine.Closed:
		return []engine.Action{engine.Observe{Fact: textFact(fmt.Sprintf("closed %s", ev.Conn))}}
	case engine.Bytes:
		e.buf[ev.Conn] = append(e.buf[ev.Conn], ev.Data...)
		var acts []engine.Action
		for {
			i := bytes.IndexByte(e.buf[ev.Conn], '\n')
			if i < 0 {
				return acts
			}
			line := string(e.buf[ev.Conn][:i])
			e.buf[ev.Conn] = e.buf[ev.Conn][i+1:]
			switch line {
			case "STARTTLS":
				acts = append(acts, engine.Write{Conn: ev.Conn, Data: []byte("OK\n")}, engine.StartTLS{Conn: ev.Conn})
			case "FLOOD":
				for range 64 {
					acts = append(acts, engine.Write{Conn: ev.Conn, Data: make([]byte, 1<<20)})
				}
			case "QUIT":
				acts = append(acts, engine.Write{Conn: ev.Conn, Data: []byte("BYE\n")}, engine.Close{Conn: ev.Conn})
			default:
				acts = append(acts, engine.Write{Conn: ev.Conn, Data: []byte(strings.ToUpper(line) + "\n")})
			}
		}
	}
	return nil
}

// lineClient dials on Call{addr}, optionally upgrades with STARTTLS, then sends the lines it
// is given by Call{[]string} and observes every line it receives.
type lineClient struct {
	tls   bool
	conn  engine.ConnID
	buf   []byte
	ready bool
}

type dialOp struct{ addr string }
type sendOp struct{ line string }
type timerOp struct{ after time.Duration }
type noteOp struct{ text string }

func (c *lineClient) Handle(now time.Time, ev engine.Event) []engine.Action {
	obs := func(s string) engine.Action { return engine.Observe{Fact: textFact(s)} }
	switch ev := ev.(type) {
	case engine.Call:
		switch op := ev.Op.(type) {
		case dialOp:
			return []engine.Action{engine.Dial{Tag: "t", Addr: op.addr}}
		case sendOp:
			return []engine.Action{engine.Write{Conn: c.conn, Data: []byte(op.line + "\n")}}
		case noteOp:
			return []engine.Action{obs("note " + op.text)}
		case timerOp:
			return []engine.Action{engine.SetTimer{ID: 1, At: now.Add(op.after)}, engine.SetTimer{ID: 2, At: now.Add(op.after)}, engine.CancelTimer{ID: 2}}
		}
	case engine.Timer:
		return []engine.Action{obs(fmt.Sprintf("timer %d", ev.ID))}
	case engine.DialFailed:
		return []engine.Action{obs("dial failed " + ev.Tag)}
	case engine.Opened:
		c.conn = ev.Conn
		if c.tls {
			return []engine.Action{engine.Write{Conn: ev.Conn, Data: []byte("STARTTLS\n")}}
		}
		return []engine.Action{obs("ready")}
	case engine.Secured:
		return []engine.Action{obs(fmt.Sprintf("secured err=%v cn=%s", ev.Err, ev.PeerCN))}
	case engine.Closed:
		return []engine.Action{obs(fmt.Sprintf("closed err=%v", ev.Err))}
	case engine.Bytes:
		c.buf = append(c.buf, ev.Data...)
		var acts []engine.Action
		for {
			i := bytes.IndexByte(c.buf, '\n')
			if i < 0 {
				return acts
			}
			line := string(c.buf[:i])
			c.buf = c.buf[i+1:]
			if line == "OK" && c.tls && !c.ready {
				c.ready = true
				acts = append(acts, engine.StartTLS{Conn: c.conn, Client: true})
				continue
			}
			acts = append(acts, obs("got "+line))
		}
	}
	return nil
}

type running struct {
	r     *Runner
	facts chan string
	stop  context.CancelFunc
	ended chan error
}

func start(t *testing.T, eng engine.Engine, cfg Config) *running {
	t.Helper()
	facts := make(chan string, 100)
	cfg.OnFact = func(f engine.Fact) { facts <- f.String() }
	r, err := New(eng, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan error, 1)
	go func() { ended <- r.Run(ctx) }()
	rn := &running{r: r, facts: facts, stop: cancel, ended: ended}
	t.Cleanup(func() {
		cancel()
		<-ended
	})
	return rn
}

// expect waits for the next fact; the deadline only stops a broken test from hanging.
func (rn *running) expect(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-rn.facts:
		if got != want {
			t.Fatalf("fact %q, want %q", got, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no fact, want %q", want)
	}
}

func TestEchoOverLoopback(t *testing.T) {
	srv := start(t, &echoServer{buf: map[engine.ConnID][]byte{}}, Config{Listeners: map[string]string{"client": "127.0.0.1:0"}})
	addr := srv.r.Addr("client")
	if addr == "" || strings.HasSuffix(addr, ":0") {
		t.Fatalf("listener address %q", addr)
	}
	cli := start(t, &lineClient{}, Config{})
	if err := cli.r.Call(dialOp{addr}); err != nil {
		t.Fatal(err)
	}
	cli.expect(t, "ready")
	srv.expect(t, "opened c1 listener=client")
	for _, l := range []string{"hello", "prim"} {
		cli.r.Call(sendOp{l})
	}
	cli.expect(t, "got HELLO")
	cli.expect(t, "got PRIM")
	// Close after the written bytes (FIN): the client still reads BYE, then sees an orderly close.
	cli.r.Call(sendOp{"QUIT"})
	cli.expect(t, "got BYE")
	cli.expect(t, "closed err=<nil>")
	srv.expect(t, "closed c1")
}

func TestDialFailedAndTimers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	cli := start(t, &lineClient{}, Config{})
	cli.r.Call(dialOp{dead})
	cli.expect(t, "dial failed t")
	// Timer 2 was cancelled in the same turn; only timer 1 fires.
	cli.r.Call(timerOp{after: time.Millisecond})
	cli.expect(t, "timer 1")
	select {
	case f := <-cli.facts:
		t.Fatalf("unexpected fact %q", f)
	default:
	}
}

// Flush returns once every earlier Call has been handled, in order.
func TestCallOrderAndFlush(t *testing.T) {
	cli := start(t, &lineClient{}, Config{})
	for i := range 20 {
		cli.r.Call(noteOp{fmt.Sprint(i)})
	}
	if err := cli.r.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		select {
		case f := <-cli.facts:
			if f != fmt.Sprintf("note %d", i) {
				t.Fatalf("fact %q, want note %d", f, i)
			}
		default:
			t.Fatalf("after Flush, note %d not handled yet", i)
		}
	}
}

func TestShutdown(t *testing.T) {
	srv := start(t, &echoServer{buf: map[engine.ConnID][]byte{}}, Config{Listeners: map[string]string{"client": "127.0.0.1:0"}})
	cli := start(t, &lineClient{}, Config{})
	cli.r.Call(dialOp{srv.r.Addr("client")})
	cli.expect(t, "ready")
	srv.stop()
	if err := <-srv.ended; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	srv.ended <- nil // for Cleanup
	if err := srv.r.Call(sendOp{"x"}); !errors.Is(err, ErrStopped) {
		t.Fatalf("Call after stop: %v, want ErrStopped", err)
	}
	// The server's shutdown closed the connection: the client is told.
	if f := <-cli.facts; !strings.HasPrefix(f, "closed err=") {
		t.Fatalf("client fact %q, want closed", f)
	}
	if _, err := net.Dial("tcp", srv.r.Addr("client")); err == nil {
		t.Fatal("listener still accepts after shutdown")
	}
}

// A peer that never reads is reset once too much waits for it; others are served meanwhile.
func TestPeerThatDoesNotRead(t *testing.T) {
	srv := start(t, &echoServer{buf: map[engine.ConnID][]byte{}}, Config{
		Listeners: map[string]string{"client": "127.0.0.1:0"}, MaxQueued: 256 << 10})
	stuck, err := net.Dial("tcp", srv.r.Addr("client"))
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	srv.expect(t, "opened c1 listener=client")
	if _, err := stuck.Write([]byte("FLOOD\n")); err != nil {
		t.Fatal(err)
	}
	srv.expect(t, "closed c1")
	cli := start(t, &lineClient{}, Config{})
	cli.r.Call(dialOp{srv.r.Addr("client")})
	cli.expect(t, "ready")
	cli.r.Call(sendOp{"still here"})
	cli.expect(t, "got STILL HERE")
}

// certificate makes a self-signed certificate for 127.0.0.1 with the given common name.
func certificate(t *testing.T, cn string) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{cn},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// STARTTLS: the server engine answers OK and upgrades in the same turn; the client upgrades on
// reading OK; the certificate is verified against a root pool; the server learns the client
// certificate's CN (what SASL EXTERNAL uses).
func TestStartTLS(t *testing.T) {
	srvCert, srvLeaf := certificate(t, "server.example")
	cliCert, cliLeaf := certificate(t, "alice.example")
	roots := x509.NewCertPool()
	roots.AddCert(srvLeaf)
	clientRoots := x509.NewCertPool()
	clientRoots.AddCert(cliLeaf)
	srv := start(t, &echoServer{buf: map[engine.ConnID][]byte{}}, Config{
		Listeners: map[string]string{"client": "127.0.0.1:0"},
		TLS:       &tls.Config{Certificates: []tls.Certificate{srvCert}, ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: clientRoots},
	})
	cli := start(t, &lineClient{tls: true}, Config{ClientTLS: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cliCert}}})
	cli.r.Call(dialOp{srv.r.Addr("client")})
	srv.expect(t, "opened c1 listener=client")
	srv.expect(t, "secured c1 err=<nil> cn=alice.example")
	cli.expect(t, "secured err=<nil> cn=server.example")
	cli.r.Call(sendOp{"inside tls"})
	cli.expect(t, "got INSIDE TLS")

	// A client certificate that is presented but not verified names nobody (PeerCN feeds
	// SASL EXTERNAL).
	lax := start(t, &echoServer{buf: map[engine.ConnID][]byte{}}, Config{
		Listeners: map[string]string{"client": "127.0.0.1:0"},
		TLS:       &tls.Config{Certificates: []tls.Certificate{srvCert}, ClientAuth: tls.RequestClientCert},
	})
	cli2 := start(t, &lineClient{tls: true}, Config{ClientTLS: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cliCert}}})
	cli2.r.Call(dialOp{lax.r.Addr("client")})
	lax.expect(t, "opened c1 listener=client")
	lax.expect(t, "secured c1 err=<nil> cn=")
	cli2.expect(t, "secured err=<nil> cn=server.example")

	// A client that does not trust the server's certificate fails the handshake.
	bad := start(t, &lineClient{tls: true}, Config{ClientTLS: &tls.Config{RootCAs: x509.NewCertPool()}})
	bad.r.Call(dialOp{srv.r.Addr("client")})
	got := <-bad.facts
	if !strings.HasPrefix(got, "secured err=TLS handshake: ") {
		t.Fatalf("untrusted server: %q", got)
	}
	bad.expect(t, "closed err=TLS handshake failed")
}
