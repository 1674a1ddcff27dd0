// Package sasl implements the SASL mechanisms PRIM's LOGIN carries (prim-digest.md §7.1, §7.2,
// §6.4): PLAIN, CRAM-MD5, ANONYMOUS and EXTERNAL, as step functions for the server and the
// client side. The body formats are PRIM's own, not the SASL RFCs' (Decision D10(d)):
//
//	PLAIN     user CRLF password               (PRIM-A12.1-17; RFC 4616 uses NUL separators)
//	CRAM-MD5  user CRLF lower-hex HMAC-MD5     (PRIM-A12.1-16; RFC 2195 uses a space)
//	EXTERNAL  empty body                       (PRIM-A12.1-18)
//	ANONYMOUS optional trace text              (PRIM-A12.2-5, RFC 4505)
//
// Each LOGIN body is handed to Step in order: the first call gets the body of the
// `Auth-State: init` LOGIN (usually empty), the next the body of each `Auth-State: continue`
// LOGIN. A Step that returns done=false wants a 100 Authentication Continued whose body is the
// returned challenge; done=true with a nil error means 200 OK, a non-nil error means 406
// (PRIM-A12.1-12, PRIM-A12.1-14). Nothing here reads the clock or a socket; CRAM-MD5 draws its
// challenge from the *rand.Rand it is given.
package sasl

import (
	"errors"
	"fmt"
	"strings"
)

// Mechanism names as they appear in SASL-Mech (§3.7.2).
const (
	Plain     = "PLAIN"
	CRAMMD5   = "CRAM-MD5"
	Anonymous = "ANONYMOUS"
	External  = "EXTERNAL"
)

// Mechanisms lists the mechanisms this package implements, in the reference implementation's
// order of preference (strongest first). PLAIN is mandatory to implement (PRIM-A12.1-2);
// CRAM-MD5 and EXTERNAL are recommended (PRIM-A12.1-3); ANONYMOUS serves server-server links
// (PRIM-A12.2-5).
var Mechanisms = []string{External, CRAMMD5, Plain, Anonymous}

// Server is the server side of one authentication exchange.
type Server interface {
	// Step consumes the next LOGIN body and returns the challenge for a 100 response
	// (done=false), or done=true when the exchange is over: err == nil is success.
	Step(response []byte) (challenge []byte, done bool, err error)
	// Identity is the authenticated user name (or domain on server-server links), valid after
	// a successful final Step; "" before.
	Identity() string
}

// Client is the client side of one authentication exchange.
type Client interface {
	// Step consumes the body of the server's last response (nil for the first call) and returns
	// the body of the next LOGIN. done=true means this is the last LOGIN the client sends.
	Step(challenge []byte) (response []byte, done bool, err error)
}

// Credentials looks up the shared secret of a user (or of a peer domain for server-server
// CRAM-MD5). ok=false means the user is unknown.
type Credentials interface {
	Password(user string) (password string, ok bool)
}

// Passwords is a Credentials backed by a map.
type Passwords map[string]string

// Password implements Credentials.
func (p Passwords) Password(user string) (string, bool) {
	pw, ok := p[user]
	return pw, ok
}

// ErrAuthFailed is wrapped by every authentication failure (the 406 case). The wrapping error
// says why, for logs; it must not be sent to the peer.
var ErrAuthFailed = errors.New("sasl: authentication failed")

// ErrProtocol is wrapped when a step is called out of order or after the exchange ended.
var ErrProtocol = errors.New("sasl: protocol error")

// ErrUnknownMechanism is returned by NewServer for a mechanism this package does not know.
var ErrUnknownMechanism = errors.New("sasl: unknown mechanism")

func failf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrAuthFailed}, args...)...)
}

// ParseMechList splits a SASL-Mech value. Decision D21: SP, comma, or comma+SP separate
// mechanisms. Mechanism names are 1*20(ALPHA / DIGIT / "-" / "_") (§3.7.2); a name that is
// not is an error naming it.
func ParseMechList(v string) ([]string, error) {
	fields := strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
	if len(fields) == 0 {
		return nil, fmt.Errorf("sasl: SASL-Mech %q: no mechanism", v)
	}
	for _, f := range fields {
		if !validMechName(f) {
			return nil, fmt.Errorf("sasl: SASL-Mech %q: bad mechanism name %q", v, f)
		}
	}
	return fields, nil
}

// FormatMechList joins mechanisms with single spaces (Decision D21: emit SP-separated).
func FormatMechList(mechs []string) string { return strings.Join(mechs, " ") }

func validMechName(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Select returns the first mechanism of the client's list (decreasing preference,
// PRIM-A12.1-5) that the server offers, comparing names case-insensitively, or "" if none.
func Select(clientPrefs, offered []string) string {
	for _, c := range clientPrefs {
		for _, o := range offered {
			if strings.EqualFold(c, o) {
				return o
			}
		}
	}
	return ""
}

// splitUserLine splits a PRIM LOGIN body "user CRLF rest" (Decision D10(d)). One trailing CRLF
// after rest is tolerated; rest must not contain CR or LF otherwise.
func splitUserLine(body []byte) (user, rest string, err error) {
	s := string(body)
	i := strings.Index(s, "\r\n")
	if i < 0 {
		return "", "", failf("body %q has no CRLF between user name and data (Decision D10)", s)
	}
	user, rest = s[:i], s[i+2:]
	rest = strings.TrimSuffix(rest, "\r\n")
	if user == "" {
		return "", "", failf("empty user name")
	}
	if strings.ContainsAny(user, "\r\n\x00") || strings.ContainsAny(rest, "\r\n") {
		return "", "", failf("body %q has more than two lines", s)
	}
	return user, rest, nil
}
