package netrun

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"

	"github.com/primlab/primlab/reference/client"
	"github.com/primlab/primlab/reference/wire"
)

// readMessage reads one PRIM command from r with a wire.Decoder.
func readMessage(r io.Reader, d *wire.Decoder) (*wire.Message, error) {
	buf := make([]byte, 4096)
	for {
		if m, err := d.Next(); m != nil || err != nil {
			return m, err
		}
		n, err := r.Read(buf)
		if n > 0 {
			d.Feed(buf[:n])
			continue
		}
		if err != nil {
			return nil, err
		}
	}
}

// The reference user agent over a real socket: STARTTLS (the client waits for 200, then
// plays TLS client, Decision D32), then a two-step PLAIN LOGIN inside TLS, against a scripted
// server written directly on crypto/tls.
func TestPRIMClientStartTLSAndLogin(t *testing.T) {
	cert, leaf := certificate(t, "home.example")
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	seen := make(chan string, 10)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		d := wire.NewDecoder(wire.DefaultLimits())
		m, err := readMessage(nc, d)
		if err != nil {
			seen <- "error " + err.Error()
			return
		}
		seen <- m.StartLine()
		nc.Write((&wire.Message{Version: m.Version, ID: m.ID, Code: 200, Phrase: "OK"}).Bytes())
		tc := tls.Server(nc, &tls.Config{Certificates: []tls.Certificate{cert}})
		if err := tc.Handshake(); err != nil {
			seen <- "handshake " + err.Error()
			return
		}
		d = wire.NewDecoder(wire.DefaultLimits())
		for i := 0; i < 2; i++ {
			m, err := readMessage(tc, d)
			if err != nil {
				seen <- "error " + err.Error()
				return
			}
			seen <- fmt.Sprintf("%s %s %q", m.StartLine(), m.Value("Auth-State"), m.Body)
			code, phrase := 100, "Authentication Continued"
			if i == 1 {
				code, phrase = 200, "OK"
			}
			r := &wire.Message{Version: m.Version, ID: m.ID, Code: code, Phrase: phrase}
			r.Add("SASL-Mech", "PLAIN")
			tc.Write(r.Bytes())
		}
		io.Copy(io.Discard, tc)
	}()

	eng := client.New(client.Config{Server: ln.Addr().String(), StartTLS: true, Services: []client.Service{client.Presence}},
		rand.New(rand.NewPCG(1, 1)))
	cli := start(t, eng, Config{ClientTLS: &tls.Config{RootCAs: roots, ServerName: "home.example"}})
	cli.r.Call(client.Tagged{Tag: "l", Op: client.Login{ID: "alice@home.example", Password: "pw", Mech: "PLAIN"}})
	for _, want := range []string{
		"STARTTLS PRIM-PR/1.0 1 0",
		`LOGIN PRIM-PR/1.0 2 0 init ""`,
		`LOGIN PRIM-PR/1.0 3 22 continue "alice@home.example\r\npw"`,
	} {
		if got := <-seen; got != want {
			t.Fatalf("server saw %q, want %q", got, want)
		}
	}
	cli.expect(t, `result op=login tag=l id=3 code=200 phrase="OK"`)
	cli.r.Call(client.Logout{})
	cli.expect(t, "result op=logout id=- code=0")
	got := <-cli.facts
	if !strings.HasPrefix(got, "disconnected service=pres") {
		t.Fatalf("after logout: %q", got)
	}
}
