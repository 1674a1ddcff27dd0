package sasl

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"regexp"
	"testing"
)

// The §9.1 E1 exchange (I2 §12.1): the digest in the draft verifies with the pass phrase of the
// PLAIN example E2, "hi there!".
const (
	e1Challenge = "<20010226095208.1018677043.foo1.bar.fujitsu.com>"
	e1Body      = "suga@prim.fujitsu.com\r\n106d12b16fc323dc2f3d19b587f8d0ff"
	e2Body      = "suga@prim.fujitsu.com\r\nhi there!"
)

func TestCRAMMD5DigestVectors(t *testing.T) {
	tests := []struct{ pass, challenge, digest string }{
		// RFC 2195 §2 example.
		{"tanstaaftanstaaf", "<1896.697170952@postoffice.reston.mci.net>", "b913a602c7eda7a495b4e6e7334d3890"},
		// prim-digest.md §9.1 E1 with the E2 pass phrase (PRIM-A12.1-16, Decision D10(d)).
		{"hi there!", e1Challenge, "106d12b16fc323dc2f3d19b587f8d0ff"},
	}
	for _, tc := range tests {
		if got := CRAMMD5Digest(tc.pass, []byte(tc.challenge)); got != tc.digest {
			t.Errorf("CRAMMD5Digest(%q, %q) = %s, want %s", tc.pass, tc.challenge, got, tc.digest)
		}
	}
}

// e1Server is a CRAM-MD5 server whose challenge is the one of E1.
func e1Server(creds Credentials) *cramServer {
	return &cramServer{creds: creds, challenge: []byte(e1Challenge), st: stepContinue}
}

func TestCRAMMD5ServerVerifiesE1(t *testing.T) {
	s := e1Server(Passwords{"suga@prim.fujitsu.com": "hi there!"})
	ch, done, err := s.Step([]byte(e1Body))
	if err != nil || !done || ch != nil {
		t.Fatalf("Step(E1 body) = %q, %v, %v; want success", ch, done, err)
	}
	if s.Identity() != "suga@prim.fujitsu.com" {
		t.Errorf("Identity = %q", s.Identity())
	}
	// Upper-case hex is accepted too.
	s = e1Server(Passwords{"suga@prim.fujitsu.com": "hi there!"})
	if _, _, err := s.Step([]byte("suga@prim.fujitsu.com\r\n106D12B16FC323DC2F3D19B587F8D0FF")); err != nil {
		t.Errorf("upper-case digest: %v", err)
	}
	s = e1Server(Passwords{"suga@prim.fujitsu.com": "hi there!"})
	if _, _, err := s.Step(nil); !errors.Is(err, ErrAuthFailed) {
		t.Errorf("empty continue body: %v, want ErrAuthFailed", err)
	}
}

func TestCRAMMD5ServerRejects(t *testing.T) {
	creds := Passwords{"suga@prim.fujitsu.com": "hi there!"}
	for name, body := range map[string]string{
		"wrong password":  "suga@prim.fujitsu.com\r\n" + CRAMMD5Digest("wrong", []byte(e1Challenge)),
		"unknown user":    "nobody@prim.fujitsu.com\r\n106d12b16fc323dc2f3d19b587f8d0ff",
		"RFC 2195 layout": "suga@prim.fujitsu.com 106d12b16fc323dc2f3d19b587f8d0ff", // D10(d): PRIM uses CRLF
		"short digest":    "suga@prim.fujitsu.com\r\n106d12b1",
		"three lines":     "suga@prim.fujitsu.com\r\n106d12b16fc323dc2f3d19b587f8d0ff\r\nx",
	} {
		s := e1Server(creds)
		_, done, err := s.Step([]byte(body))
		if !done || !errors.Is(err, ErrAuthFailed) {
			t.Errorf("%s: done=%v err=%v; want done and ErrAuthFailed", name, done, err)
		}
		if s.Identity() != "" {
			t.Errorf("%s: Identity %q after failure", name, s.Identity())
		}
	}
}

func TestCRAMMD5ChallengeDeterministic(t *testing.T) {
	mk := func() []byte {
		s := NewCRAMMD5Server(Passwords{}, rand.New(rand.NewPCG(1, 2)), "prim.example.net")
		ch, done, err := s.Step(nil)
		if err != nil || done {
			t.Fatalf("init Step: %v %v", done, err)
		}
		return ch
	}
	a, b := mk(), mk()
	if !bytes.Equal(a, b) {
		t.Errorf("same seed, different challenges: %q %q", a, b)
	}
	if !regexp.MustCompile(`^<\d+\.\d+@prim\.example\.net>$`).Match(a) {
		t.Errorf("challenge %q is not <digits.digits@host> (RFC 2195)", a)
	}
	other := NewCRAMMD5Server(Passwords{}, rand.New(rand.NewPCG(3, 4)), "prim.example.net")
	c, _, _ := other.Step(nil)
	if bytes.Equal(a, c) {
		t.Errorf("different seeds gave the same challenge %q", a)
	}
}

// run drives a client against a server as LOGIN init / 100 / LOGIN continue / 200 would.
func run(t *testing.T, c Client, s Server) error {
	t.Helper()
	var challenge []byte
	for i := 0; i < 4; i++ {
		resp, cdone, err := c.Step(challenge)
		if err != nil {
			return err
		}
		ch, sdone, err := s.Step(resp)
		if sdone {
			return err
		}
		if cdone {
			t.Fatalf("client finished but server wants more (round %d)", i)
		}
		challenge = ch
	}
	t.Fatal("exchange did not finish in 4 rounds")
	return nil
}

func TestClientServerPairs(t *testing.T) {
	creds := Passwords{"suga@prim.fujitsu.com": "hi there!", "prim.fujitsu.com": "domain secret"}
	rnd := rand.New(rand.NewPCG(7, 7))
	tests := []struct {
		name     string
		client   Client
		server   Server
		ok       bool
		identity string
	}{
		{"PLAIN", NewPlainClient("suga@prim.fujitsu.com", "hi there!"), NewPlainServer(creds), true, "suga@prim.fujitsu.com"},
		{"PLAIN wrong", NewPlainClient("suga@prim.fujitsu.com", "nope"), NewPlainServer(creds), false, ""},
		{"CRAM-MD5", NewCRAMMD5Client("suga@prim.fujitsu.com", "hi there!"), NewCRAMMD5Server(creds, rnd, "h"), true, "suga@prim.fujitsu.com"},
		{"CRAM-MD5 S->S", NewCRAMMD5Client("prim.fujitsu.com", "domain secret"), NewCRAMMD5Server(creds, rnd, "h"), true, "prim.fujitsu.com"}, // §9.1 E4
		{"CRAM-MD5 wrong", NewCRAMMD5Client("suga@prim.fujitsu.com", "x"), NewCRAMMD5Server(creds, rnd, "h"), false, ""},
		{"EXTERNAL", NewExternalClient(), NewExternalServer("suga@prim.fujitsu.com"), true, "suga@prim.fujitsu.com"},
		{"EXTERNAL no cert", NewExternalClient(), NewExternalServer(""), false, ""},
		{"ANONYMOUS", NewAnonymousClient("relay test"), NewAnonymousServer(), true, AnonymousIdentity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(t, tc.client, tc.server)
			if tc.ok && err != nil {
				t.Fatalf("want success, got %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrAuthFailed) {
				t.Fatalf("want ErrAuthFailed, got %v", err)
			}
			if got := tc.server.Identity(); got != tc.identity {
				t.Errorf("Identity = %q, want %q", got, tc.identity)
			}
		})
	}
}

func TestPlainBodies(t *testing.T) {
	creds := Passwords{"suga@prim.fujitsu.com": "hi there!"}
	// Decision D10(d): exactly `user CRLF password`, one trailing CRLF tolerated; the E2 body.
	for _, body := range []string{e2Body, e2Body + "\r\n"} {
		s := NewPlainServer(creds)
		if ch, done, err := s.Step(nil); ch != nil || done || err != nil {
			t.Fatalf("init Step = %q %v %v, want a 100 with empty body", ch, done, err)
		}
		if _, done, err := s.Step([]byte(body)); !done || err != nil {
			t.Errorf("PLAIN %q: done=%v err=%v", body, done, err)
		}
	}
	// Decision D10(a): one step, data in the init LOGIN.
	s := NewPlainServer(creds)
	if _, done, err := s.Step([]byte(e2Body)); !done || err != nil || s.Identity() == "" {
		t.Errorf("one-step PLAIN: done=%v err=%v id=%q", done, err, s.Identity())
	}
	for _, bad := range []string{
		"\x00suga@prim.fujitsu.com\x00hi there!", // RFC 4616 form: not PRIM's
		"suga@prim.fujitsu.com\nhi there!",       // bare LF
		"\r\nhi there!",                          // empty user
	} {
		s := NewPlainServer(creds)
		s.Step(nil)
		if _, _, err := s.Step([]byte(bad)); !errors.Is(err, ErrAuthFailed) {
			t.Errorf("PLAIN %q accepted (err %v)", bad, err)
		}
	}
	// The client writes the E2 body.
	c := NewPlainClient("suga@prim.fujitsu.com", "hi there!")
	c.Step(nil)
	if body, done, _ := c.Step(nil); string(body) != e2Body || !done {
		t.Errorf("client body %q done=%v", body, done)
	}
}

func TestStepAfterDoneIsProtocolError(t *testing.T) {
	s := NewPlainServer(Passwords{"u": "p"})
	s.Step([]byte("u\r\np"))
	if _, done, err := s.Step(nil); !done || !errors.Is(err, ErrProtocol) {
		t.Errorf("step after done: %v %v", done, err)
	}
}

func TestCRAMMD5RejectsDataBeforeChallenge(t *testing.T) {
	s := NewCRAMMD5Server(Passwords{"u": "p"}, rand.New(rand.NewPCG(1, 1)), "h")
	if _, done, err := s.Step([]byte(e1Body)); !done || !errors.Is(err, ErrAuthFailed) {
		t.Errorf("data in init: %v %v", done, err)
	}
}

func TestExternalAuthzid(t *testing.T) {
	s := NewExternalServer("peer.example.net")
	if _, done, err := s.Step([]byte("peer.example.net")); !done || err != nil {
		t.Errorf("matching authzid: %v %v", done, err)
	}
	s = NewExternalServer("peer.example.net")
	if _, _, err := s.Step([]byte("other.example.net")); !errors.Is(err, ErrAuthFailed) {
		t.Errorf("foreign authzid accepted: %v", err)
	}
}

func TestMechList(t *testing.T) {
	// Decision D21: SP (E1), comma (E4) and comma+SP separate mechanisms.
	for _, v := range []string{"CRAM-MD5 PLAIN", "CRAM-MD5,PLAIN", "CRAM-MD5, PLAIN"} {
		got, err := ParseMechList(v)
		if err != nil || len(got) != 2 || got[0] != "CRAM-MD5" || got[1] != "PLAIN" {
			t.Errorf("ParseMechList(%q) = %q, %v", v, got, err)
		}
	}
	for _, bad := range []string{"", " ", "CRAM MD5!", "ABCDEFGHIJKLMNOPQRSTU"} {
		if _, err := ParseMechList(bad); err == nil {
			t.Errorf("ParseMechList(%q) accepted", bad)
		}
	}
	if got := FormatMechList([]string{"CRAM-MD5", "PLAIN"}); got != "CRAM-MD5 PLAIN" {
		t.Errorf("FormatMechList = %q", got)
	}
	if got := Select([]string{"DIGEST-MD5", "cram-md5", "PLAIN"}, Mechanisms); got != CRAMMD5 {
		t.Errorf("Select = %q", got)
	}
	if got := Select([]string{"GSSAPI"}, Mechanisms); got != "" {
		t.Errorf("Select = %q, want none", got)
	}
	for _, m := range Mechanisms {
		if _, err := NewServer(m, ServerConfig{Rand: rand.New(rand.NewPCG(1, 1))}); err != nil {
			t.Errorf("NewServer(%q): %v", m, err)
		}
	}
	if _, err := NewServer("GSSAPI", ServerConfig{}); !errors.Is(err, ErrUnknownMechanism) {
		t.Errorf("NewServer(GSSAPI): %v", err)
	}
}
