package client

import (
	"fmt"
	"strings"

	"github.com/primlab/primlab/reference/addr"
)

// Identifiers a user types (the To of SUBSCRIBE, FETCH, SEND, the principal of LOGIN) are
// turned into the wire form of prim-digest.md §3.8 before anything goes out:
//
//   - a pres: or im: scheme is accepted in any case and written lower-case (Decision D38); no
//     scheme means the service's own (PRIM-A7.1-6); another scheme is refused;
//   - in the local part every octet outside unreserved is %-escaped in upper-case hex
//     (PRIM-A7.1-1), so "bob smith" goes out as "bob%20smith"; an escape the user already typed
//     is kept (upper-cased), unless it stands for an unreserved character, which is written
//     plainly (PRIM-A7.1-2); a "%" that starts no escape is itself escaped;
//   - in the domain only non-ASCII octets (an internationalised name) are escaped; an ASCII
//     character outside unreserved (a space, a parenthesis) can be in no domain name and is
//     refused (PRIM-A7.1-4);
//   - the last "@" separates the domain, so one identifier names exactly one address
//     (PRIM-A7.1-5); an earlier "@" belongs to the local part and is escaped.
//
// The result is checked with reference/addr's strict (client profile) parser; an identifier
// that still is not valid is refused locally, and the operation's Result says why.

// wireID returns the identifier typed by a user in wire form, scheme included; def is the
// scheme used when none was typed.
func wireID(def Service, typed string) (string, error) {
	id, err := typedID(string(def), typed)
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// principalID returns the principal typed by a user as local@domain in wire form, without
// scheme, as the client keeps it (the SASL user name of I2 §12.1 has none either).
func principalID(typed string) (string, error) {
	id, err := typedID(string(Presence), typed)
	if err != nil {
		return "", err
	}
	return id.Bare(), nil
}

func typedID(def, typed string) (addr.ID, error) {
	if typed == "" {
		return addr.ID{}, fmt.Errorf("empty identifier")
	}
	at := strings.LastIndexByte(typed, '@')
	if at < 0 {
		return addr.ID{}, fmt.Errorf("identifier %q: missing \"@\" between local part and domain (§3.8)", typed)
	}
	scheme, rest := def, typed
	if colon := strings.IndexByte(typed[:at], ':'); colon >= 0 && isSchemeToken(typed[:colon]) {
		scheme = strings.ToLower(typed[:colon])
		if scheme != addr.SchemePres && scheme != addr.SchemeIM {
			return addr.ID{}, fmt.Errorf("identifier %q: scheme %q is neither pres nor im (§2.6)", typed, typed[:colon])
		}
		rest = typed[colon+1:]
		at -= colon + 1
	}
	domain, err := escapeDomain(rest[at+1:])
	if err != nil {
		return addr.ID{}, fmt.Errorf("identifier %q: %w", typed, err)
	}
	id := addr.ID{Scheme: scheme, Local: escapeTyped(rest[:at]), Domain: domain}
	// The escaping above leaves only what it cannot mend: an empty part, an over-long label.
	if _, err := addr.Parse(id.String()); err != nil {
		return addr.ID{}, fmt.Errorf("identifier %q cannot be made valid: %w", typed, err)
	}
	return id, nil
}

// isSchemeToken reports whether s looks like a URL scheme (RFC 3986: ALPHA *( ALPHA / DIGIT /
// "+" / "-" / "." )), so that "sip:bob@x" is refused for its scheme rather than escaped.
func isSchemeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// escapeTyped escapes a typed local part as described above; it is idempotent on wire-form
// input. addr.Escape does the escaping; an escape already typed is decoded and escaped again,
// which keeps it (in upper-case hex) or, for an unreserved character, writes it plainly
// (PRIM-A7.1-2).
func escapeTyped(raw string) string {
	var b strings.Builder
	start := 0
	for i := 0; i < len(raw); i++ {
		if isEscape(raw, i) {
			b.WriteString(addr.Escape(raw[start:i]))                // PRIM-A7.1-1
			b.WriteString(addr.Escape(addr.Unescape(raw[i : i+3]))) // normalised escape
			i += 2
			start = i + 1
		}
	}
	b.WriteString(addr.Escape(raw[start:]))
	return b.String()
}

// escapeDomain escapes the non-ASCII octets of a typed domain (§3.8: domain-label is
// "IDN-friendly") and refuses ASCII that no domain name holds (PRIM-A7.1-4).
func escapeDomain(raw string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case isEscape(raw, i):
			b.WriteString(addr.Escape(addr.Unescape(raw[i : i+3])))
			i += 2
		case c >= 0x80 || addr.IsUnreserved(c):
			b.WriteString(addr.Escape(raw[i : i+1]))
		default:
			return "", fmt.Errorf("domain %q: %q cannot be part of a domain name (PRIM-A7.1-4)", raw, rune(c))
		}
	}
	return b.String(), nil
}

// isEscape reports whether s[i:] starts with "%" and two hex digits.
func isEscape(s string, i int) bool {
	return s[i] == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2])
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
