// Package addr parses, formats and compares PRIM identifiers: the pres: and im: URLs of
// prim-digest.md §2.6 and §3.8 (I2 §7.1 = SS §3), their domains, and the IP addresses of the
// Server-Address header (Decision D16).
//
// An ID keeps its local part and domain exactly as they appear on the wire, %-escapes included,
// so String reproduces the input byte for byte. Comparison goes through Key, the canonical form
// of Decision D38: scheme lower-cased, escapes of unreserved characters decoded, remaining
// escapes in upper-case hex, letters folded to lower case (PRIM-A7.1-3).
package addr

import (
	"errors"
	"fmt"
	"strings"
)

// Schemes of PRIM identifiers (§2.6). There is no prim: scheme.
const (
	SchemePres = "pres"
	SchemeIM   = "im"
)

// ID is one PRIM identifier, scheme:local@domain. Local and Domain are as written on the wire
// (%-escapes kept); Scheme is lower case ("pres" or "im"), or empty for an identifier written
// without scheme, as Class Tables and ACLs write them (§2.6, Decision D22).
type ID struct {
	Scheme string
	Local  string
	Domain string
}

// Rule names the grammar rule an identifier broke.
type Rule int

// The rules Parse checks, each with the statement it enforces.
const (
	RuleScheme        Rule = iota + 1 // scheme is not pres or im (§3.8 word-pres / word-im)
	RuleMissingAt                     // no "@" between local part and domain
	RuleEmpty                         // empty local part, domain or domain label
	RuleMustEscape                    // a character outside unreserved is not %-escaped (PRIM-A7.1-1, PRIM-S3-1)
	RuleMustNotEscape                 // an unreserved character is %-escaped (PRIM-A7.1-2, I2 only)
	RuleBadEscape                     // "%" not followed by two hex digits
	RuleDomain                        // not a valid domain name (PRIM-A7.1-4, PRIM-S3-2)
	RuleIP                            // not an ip4-address or ip6-address (§3.8, Decision D16)
)

var ruleNames = map[Rule]string{
	RuleScheme:        "scheme must be pres or im",
	RuleMissingAt:     `missing "@" between local part and domain`,
	RuleEmpty:         "empty part",
	RuleMustEscape:    "character outside unreserved must be %-escaped (PRIM-A7.1-1)",
	RuleMustNotEscape: "unreserved character must not be %-escaped (PRIM-A7.1-2)",
	RuleBadEscape:     `"%" must be followed by two hex digits`,
	RuleDomain:        "not a valid domain name (PRIM-A7.1-4)",
	RuleIP:            "not an IP address (Decision D16)",
}

func (r Rule) String() string {
	if s, ok := ruleNames[r]; ok {
		return s
	}
	return fmt.Sprintf("rule(%d)", int(r))
}

// SyntaxError reports which rule an identifier broke, where, and on which character.
type SyntaxError struct {
	Input string // the whole input
	Part  string // "scheme", "local-part", "domain", "ip"
	Pos   int    // byte offset into Input of the offending character (len(Input) if at the end)
	Char  rune   // the offending character, 0 when the problem is a missing or empty part
	Rule  Rule
}

func (e *SyntaxError) Error() string {
	if e.Char != 0 {
		return fmt.Sprintf("addr: %q: %s: %s: %q at offset %d", e.Input, e.Part, e.Rule, e.Char, e.Pos)
	}
	return fmt.Sprintf("addr: %q: %s: %s (offset %d)", e.Input, e.Part, e.Rule, e.Pos)
}

// ErrSyntax is matched by every *SyntaxError (errors.Is(err, addr.ErrSyntax)).
var ErrSyntax = errors.New("addr: syntax error")

// Is makes errors.Is(err, ErrSyntax) true for a *SyntaxError.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// IsUnreserved reports whether c is in the unreserved set of §3.8.
func IsUnreserved(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '$', '&', '\'', '*', '.', '+', '-', '/', '=', '?', '_', '~':
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// Mode chooses how strictly escapes are checked.
type Mode int

const (
	// Strict is the client profile (I2): unreserved characters MUST NOT be escaped (PRIM-A7.1-2).
	Strict Mode = iota
	// Loose is the server profile (SS), which lacks that rule: escaped unreserved characters are
	// accepted (and decoded by Key).
	Loose
)

// Parse parses a pres: or im: identifier under the client profile's rules (Strict). The scheme
// is accepted in any case and stored lower-case (Decision D38).
func Parse(s string) (ID, error) { return ParseMode(s, Strict) }

// ParseMode parses a pres: or im: identifier with the given escape rules.
func ParseMode(s string, mode Mode) (ID, error) {
	colon := strings.IndexByte(s, ':')
	if colon < 0 {
		return ID{}, &SyntaxError{Input: s, Part: "scheme", Pos: 0, Rule: RuleScheme}
	}
	scheme := strings.ToLower(s[:colon])
	if scheme != SchemePres && scheme != SchemeIM {
		return ID{}, &SyntaxError{Input: s, Part: "scheme", Pos: 0, Rule: RuleScheme}
	}
	id, err := parseBare(s, colon+1, mode)
	if err != nil {
		return ID{}, err
	}
	id.Scheme = scheme
	return id, nil
}

// ParseBare parses "local@domain" written without scheme, as Class Table and ACL entries and
// user input are (PRIM-A7.1-6, Decision D22). The result has an empty Scheme.
func ParseBare(s string) (ID, error) { return parseBare(s, 0, Strict) }

// ParseUser parses an identifier a user typed, with or without scheme; a missing scheme is
// filled with defaultScheme (PRIM-A7.1-6, PRIM-S3-3).
func ParseUser(s, defaultScheme string) (ID, error) {
	if i := strings.IndexByte(s, ':'); i >= 0 && i < strings.IndexByte(s+"@", '@') {
		return Parse(s)
	}
	id, err := ParseBare(s)
	if err != nil {
		return ID{}, err
	}
	id.Scheme = strings.ToLower(defaultScheme)
	return id, nil
}

func parseBare(s string, start int, mode Mode) (ID, error) {
	rest := s[start:]
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		// Report the first bad character if there is one; it is more useful than "no @".
		if err := checkChars(s, start, len(s), "local-part", mode); err != nil {
			return ID{}, err
		}
		return ID{}, &SyntaxError{Input: s, Part: "local-part", Pos: len(s), Rule: RuleMissingAt}
	}
	at += start
	if at == start {
		return ID{}, &SyntaxError{Input: s, Part: "local-part", Pos: at, Rule: RuleEmpty}
	}
	if err := checkChars(s, start, at, "local-part", mode); err != nil {
		return ID{}, err
	}
	if err := checkDomain(s, at+1, len(s), mode); err != nil {
		return ID{}, err
	}
	return ID{Local: s[start:at], Domain: s[at+1:]}, nil
}

// checkChars checks s[from:to] against 1*(unreserved / escaped).
func checkChars(s string, from, to int, part string, mode Mode) error {
	for i := from; i < to; i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= to || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return &SyntaxError{Input: s, Part: part, Pos: i, Char: '%', Rule: RuleBadEscape}
			}
			if mode == Strict {
				if d := unhex(s[i+1])<<4 | unhex(s[i+2]); IsUnreserved(d) {
					return &SyntaxError{Input: s, Part: part, Pos: i, Char: rune(d), Rule: RuleMustNotEscape}
				}
			}
			i += 2
			continue
		}
		if !IsUnreserved(c) {
			return &SyntaxError{Input: s, Part: part, Pos: i, Char: charAt(s, i), Rule: RuleMustEscape}
		}
	}
	return nil
}

func charAt(s string, i int) rune {
	for _, r := range s[i:] {
		return r
	}
	return 0
}

// Longest domain name and label, in octets after decoding (RFC 1035 §2.3.4).
const (
	maxDomain = 253
	maxLabel  = 63
)

func checkDomain(s string, from, to int, mode Mode) error {
	if from == to {
		return &SyntaxError{Input: s, Part: "domain", Pos: from, Rule: RuleEmpty}
	}
	if err := checkChars(s, from, to, "domain", mode); err != nil {
		return err
	}
	// domain = 1*domain-label *("." 1*domain-label): no empty label, so no leading, trailing
	// or doubled dot (PRIM-A7.1-4: must still be a valid domain name).
	labelStart, total := from, 0
	for i := from; i <= to; i++ {
		if i < to && s[i] != '.' {
			continue
		}
		if i == labelStart {
			e := &SyntaxError{Input: s, Part: "domain", Pos: i, Rule: RuleEmpty}
			if i < to {
				e.Char = '.'
			}
			return e
		}
		n := len(Unescape(s[labelStart:i]))
		if n > maxLabel {
			return &SyntaxError{Input: s, Part: "domain", Pos: labelStart, Char: charAt(s, labelStart), Rule: RuleDomain}
		}
		total += n + 1
		labelStart = i + 1
	}
	if total-1 > maxDomain {
		return &SyntaxError{Input: s, Part: "domain", Pos: from, Char: charAt(s, from), Rule: RuleDomain}
	}
	return nil
}

// ParseDomain checks a bare domain (the Domain header of SS LOGIN, the part after "@" of an
// ACL or Class Table entry) and returns it unchanged.
func ParseDomain(s string) (string, error) {
	if err := checkDomain(s, 0, len(s), Strict); err != nil {
		return "", err
	}
	return s, nil
}

// String returns the identifier as written: scheme ":" local "@" domain, or local "@" domain
// when Scheme is empty.
func (id ID) String() string {
	if id.Scheme == "" {
		return id.Bare()
	}
	return id.Scheme + ":" + id.Local + "@" + id.Domain
}

// Bare returns "local@domain" without scheme, as Class Tables and ACLs write identifiers and as
// user agents display them (PRIM-A7.1-7).
func (id ID) Bare() string { return id.Local + "@" + id.Domain }

// WithScheme returns the identifier with another scheme ("pres" or "im").
func (id ID) WithScheme(scheme string) ID {
	id.Scheme = strings.ToLower(scheme)
	return id
}

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// Key returns the canonical form used for map keys and comparison (PRIM-A7.1-3, Decision D38):
// lower-case scheme, escapes of unreserved characters decoded, the remaining escapes in
// upper-case hex, ASCII letters folded to lower case.
func (id ID) Key() string {
	if id.Scheme == "" {
		return id.BareKey()
	}
	return strings.ToLower(id.Scheme) + ":" + id.BareKey()
}

// BareKey is Key without the scheme: identifiers that differ only in scheme share it. Class
// Table and ACL matching and the principal check of Decisions D15 and D37 compare with it.
func (id ID) BareKey() string {
	return canonical(id.Local) + "@" + canonical(id.Domain)
}

// Equal reports whether a and b name the same identifier: same scheme, and local part and
// domain equal case-insensitively after escape normalisation (PRIM-A7.1-3, Decision D38).
func (id ID) Equal(other ID) bool { return id.Key() == other.Key() }

// SamePrincipal reports whether a and b are equal ignoring the scheme (Decisions D15, D37).
func (id ID) SamePrincipal(other ID) bool { return id.BareKey() == other.BareKey() }

// DomainKey returns the canonical form of the domain, for comparing domains.
func (id ID) DomainKey() string { return canonical(id.Domain) }

// CanonicalDomain returns the canonical form of a domain as written (see Key).
func CanonicalDomain(d string) string { return canonical(d) }

const upperHex = "0123456789ABCDEF"

func canonical(s string) string {
	// Fast path, the common case on hot paths (map keys, comparisons): nothing to fold or
	// normalise, so the string is already canonical and needs no copy.
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '%' || ('A' <= c && c <= 'Z') {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			d := unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
			if IsUnreserved(d) {
				b.WriteByte(lower(d))
				continue
			}
			d = lower(d)
			b.WriteByte('%')
			b.WriteByte(upperHex[d>>4])
			b.WriteByte(upperHex[d&15])
			continue
		}
		b.WriteByte(lower(c))
	}
	return b.String()
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Escape returns raw text (e.g. a local part "Jane Smith") with every octet outside unreserved
// %-escaped in upper-case hex, and nothing else escaped (PRIM-A7.1-1, PRIM-A7.1-2).
func Escape(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if IsUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
	return b.String()
}

// Unescape decodes %-escapes; a "%" not followed by two hex digits is kept as is.
func Unescape(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// New builds an identifier from raw (unescaped) parts, escaping them as §3.8 requires.
func New(scheme, rawLocal, rawDomain string) (ID, error) {
	id := ID{Scheme: strings.ToLower(scheme), Local: Escape(rawLocal), Domain: Escape(rawDomain)}
	if _, err := ParseMode(id.String(), Strict); err != nil {
		return ID{}, err
	}
	return id, nil
}

// MustParse is Parse for constants in tests and tables; it panics on error.
func MustParse(s string) ID {
	id, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return id
}
