package sasl

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
)

// ServerConfig is what server mechanisms may need; each uses only its part.
type ServerConfig struct {
	Credentials  Credentials // PLAIN, CRAM-MD5
	Rand         *rand.Rand  // CRAM-MD5 challenge
	Host         string      // CRAM-MD5 challenge host name
	PeerIdentity string      // EXTERNAL: identity from the TLS peer certificate ("" = none)
}

// NewServer returns the server side of mech (case-insensitive).
func NewServer(mech string, cfg ServerConfig) (Server, error) {
	switch strings.ToUpper(mech) {
	case Plain:
		return NewPlainServer(cfg.Credentials), nil
	case CRAMMD5:
		return NewCRAMMD5Server(cfg.Credentials, cfg.Rand, cfg.Host), nil
	case Anonymous:
		return NewAnonymousServer(), nil
	case External:
		return NewExternalServer(cfg.PeerIdentity), nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownMechanism, mech)
}

// step tracks where an exchange is.
type step int

const (
	stepInit step = iota
	stepContinue
	stepDone
)

func outOfOrder(mech string) error {
	return fmt.Errorf("%w: %s: step after the exchange ended", ErrProtocol, mech)
}

// ---- PLAIN ----

type plainServer struct {
	creds    Credentials
	st       step
	identity string
}

// NewPlainServer returns a PLAIN server. It accepts exactly the PRIM body
// `user CRLF password` (PRIM-A12.1-17, Decision D10(d)), plus one trailing CRLF; not RFC 4616's
// NUL-separated form. The data may come in the init LOGIN (one step, Decision D10(a)) or, after
// a 100 with an empty body, in the continue LOGIN (two steps, the flow clients should use).
func NewPlainServer(creds Credentials) Server { return &plainServer{creds: creds} }

func (s *plainServer) Step(resp []byte) ([]byte, bool, error) {
	switch s.st {
	case stepInit:
		if len(resp) == 0 {
			s.st = stepContinue
			return nil, false, nil
		}
	case stepDone:
		return nil, true, outOfOrder(Plain)
	}
	s.st = stepDone
	user, pass, err := splitUserLine(resp)
	if err != nil {
		return nil, true, err
	}
	want, ok := lookup(s.creds, user)
	if !ok {
		return nil, true, failf("PLAIN: unknown user %q", user)
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(pass)) != 1 {
		return nil, true, failf("PLAIN: wrong password for %q", user)
	}
	s.identity = user
	return nil, true, nil
}

func (s *plainServer) Identity() string { return s.identity }

func lookup(c Credentials, user string) (string, bool) {
	if c == nil {
		return "", false
	}
	return c.Password(user)
}

type plainClient struct {
	user, pass string
	st         step
}

// NewPlainClient returns a PLAIN client that uses the two-step flow: an empty init body, then
// `user CRLF password` in the continue LOGIN (Decision D10(a), PRIM-A12.1-17).
func NewPlainClient(user, password string) Client { return &plainClient{user: user, pass: password} }

func (c *plainClient) Step(challenge []byte) ([]byte, bool, error) {
	switch c.st {
	case stepInit:
		c.st = stepContinue
		return nil, false, nil
	case stepContinue:
		if strings.ContainsAny(c.user, "\r\n") || strings.ContainsAny(c.pass, "\r\n") {
			return nil, true, fmt.Errorf("sasl: PLAIN: user or password contains CR or LF")
		}
		c.st = stepDone
		return []byte(c.user + "\r\n" + c.pass), true, nil
	}
	return nil, true, outOfOrder(Plain)
}

// ---- CRAM-MD5 ----

// CRAMMD5Digest returns the lower-case hex HMAC-MD5 of challenge keyed with password
// (RFC 2195, RFC 2104; PRIM-A12.1-16).
func CRAMMD5Digest(password string, challenge []byte) string {
	m := hmac.New(md5.New, []byte(password))
	m.Write(challenge)
	return hex.EncodeToString(m.Sum(nil))
}

// NewChallenge returns an RFC 2195 style challenge `<digits.digits@host>` drawn from rnd.
func NewChallenge(rnd *rand.Rand, host string) []byte {
	if host == "" {
		host = "localhost"
	}
	return fmt.Appendf(nil, "<%d.%d@%s>", rnd.Uint32(), rnd.Uint64(), host)
}

type cramServer struct {
	creds     Credentials
	rnd       *rand.Rand
	host      string
	challenge []byte
	st        step
	identity  string
}

// NewCRAMMD5Server returns a CRAM-MD5 server. Its first Step returns a challenge drawn from rnd
// for host (PRIM-A12.1-8); the second checks `user CRLF hex-digest` (PRIM-A12.1-16, Decision
// D10(d)); the digest is compared case-insensitively. A non-empty init body is an error: the
// client cannot answer a challenge it has not seen.
func NewCRAMMD5Server(creds Credentials, rnd *rand.Rand, host string) Server {
	return &cramServer{creds: creds, rnd: rnd, host: host}
}

func (s *cramServer) Challenge() []byte { return s.challenge }

func (s *cramServer) Step(resp []byte) ([]byte, bool, error) {
	switch s.st {
	case stepInit:
		if len(resp) != 0 {
			s.st = stepDone
			return nil, true, failf("CRAM-MD5: data %q before the challenge", resp)
		}
		if s.rnd == nil {
			s.st = stepDone
			return nil, true, fmt.Errorf("%w: CRAM-MD5 server has no random source", ErrProtocol)
		}
		s.challenge = NewChallenge(s.rnd, s.host)
		s.st = stepContinue
		return s.challenge, false, nil
	case stepDone:
		return nil, true, outOfOrder(CRAMMD5)
	}
	s.st = stepDone
	user, digest, err := splitUserLine(resp)
	if err != nil {
		return nil, true, err
	}
	if len(digest) != 32 {
		return nil, true, failf("CRAM-MD5: digest %q is not 32 hex digits", digest)
	}
	pass, ok := lookup(s.creds, user)
	if !ok {
		return nil, true, failf("CRAM-MD5: unknown user %q", user)
	}
	want := CRAMMD5Digest(pass, s.challenge)
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(digest))) != 1 {
		return nil, true, failf("CRAM-MD5: wrong digest for %q", user)
	}
	s.identity = user
	return nil, true, nil
}

func (s *cramServer) Identity() string { return s.identity }

type cramClient struct {
	user, pass string
	st         step
}

// NewCRAMMD5Client returns a CRAM-MD5 client: empty init body, then `user CRLF digest` of the
// challenge the 100 response carried (PRIM-A12.1-16).
func NewCRAMMD5Client(user, password string) Client { return &cramClient{user: user, pass: password} }

func (c *cramClient) Step(challenge []byte) ([]byte, bool, error) {
	switch c.st {
	case stepInit:
		c.st = stepContinue
		return nil, false, nil
	case stepContinue:
		c.st = stepDone
		if len(challenge) == 0 {
			return nil, true, fmt.Errorf("%w: CRAM-MD5: empty challenge", ErrProtocol)
		}
		if strings.ContainsAny(c.user, "\r\n") {
			return nil, true, fmt.Errorf("sasl: CRAM-MD5: user name contains CR or LF")
		}
		return []byte(c.user + "\r\n" + CRAMMD5Digest(c.pass, challenge)), true, nil
	}
	return nil, true, outOfOrder(CRAMMD5)
}

// ---- ANONYMOUS ----

// AnonymousIdentity is what Identity returns after an ANONYMOUS exchange.
const AnonymousIdentity = "anonymous"

type anonServer struct {
	st    step
	trace string
}

// NewAnonymousServer returns an ANONYMOUS server (RFC 4505; PRIM uses it between domains
// without TLS or shared secret, PRIM-A12.2-5, and the receiver verifies the domain by DNS,
// PRIM-A12.2-6 — outside this package). Trace text may come in the init or the continue body;
// an empty init body gets a 100 with an empty challenge first.
func NewAnonymousServer() Server { return &anonServer{} }

// Trace returns the trace text the client sent, if any.
func (s *anonServer) Trace() string { return s.trace }

func (s *anonServer) Step(resp []byte) ([]byte, bool, error) {
	switch s.st {
	case stepInit:
		if len(resp) == 0 {
			s.st = stepContinue
			return nil, false, nil
		}
	case stepDone:
		return nil, true, outOfOrder(Anonymous)
	}
	s.st = stepDone
	if strings.ContainsAny(string(resp), "\x00\r\n") || len(resp) > 255 {
		return nil, true, failf("ANONYMOUS: bad trace %q", resp)
	}
	s.trace = string(resp)
	return nil, true, nil
}

func (s *anonServer) Identity() string {
	if s.st == stepDone {
		return AnonymousIdentity
	}
	return ""
}

type anonClient struct {
	trace string
	st    step
}

// NewAnonymousClient returns an ANONYMOUS client sending trace in the continue LOGIN.
func NewAnonymousClient(trace string) Client { return &anonClient{trace: trace} }

func (c *anonClient) Step([]byte) ([]byte, bool, error) {
	switch c.st {
	case stepInit:
		c.st = stepContinue
		return nil, false, nil
	case stepContinue:
		c.st = stepDone
		return []byte(c.trace), true, nil
	}
	return nil, true, outOfOrder(Anonymous)
}

// ---- EXTERNAL ----

type externalServer struct {
	peer     string
	st       step
	identity string
}

// NewExternalServer returns an EXTERNAL server; peer is the identity the TLS layer established
// from the client certificate (engine.Secured.PeerCN), "" when there was none
// (PRIM-A10.3.2-3). The LOGIN body is empty (PRIM-A12.1-18); a non-empty body is taken as an
// authorisation identity and must equal peer (RFC 4422 Appendix A). An empty init body gets a
// 100 first, so the two-step flow of §9.1 E3 works.
func NewExternalServer(peer string) Server { return &externalServer{peer: peer} }

func (s *externalServer) Step(resp []byte) ([]byte, bool, error) {
	switch s.st {
	case stepInit:
		if len(resp) == 0 {
			s.st = stepContinue
			return nil, false, nil
		}
	case stepDone:
		return nil, true, outOfOrder(External)
	}
	s.st = stepDone
	if s.peer == "" {
		return nil, true, failf("EXTERNAL: no identity from the TLS layer")
	}
	if len(resp) != 0 && string(resp) != s.peer {
		return nil, true, failf("EXTERNAL: authorisation identity %q is not the certificate's %q", resp, s.peer)
	}
	s.identity = s.peer
	return nil, true, nil
}

func (s *externalServer) Identity() string { return s.identity }

type externalClient struct{ st step }

// NewExternalClient returns an EXTERNAL client: empty init body, empty continue body.
func NewExternalClient() Client { return &externalClient{} }

func (c *externalClient) Step([]byte) ([]byte, bool, error) {
	switch c.st {
	case stepInit:
		c.st = stepContinue
		return nil, false, nil
	case stepContinue:
		c.st = stepDone
		return nil, true, nil
	}
	return nil, true, outOfOrder(External)
}
