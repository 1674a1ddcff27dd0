package addr

import (
	"errors"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestParseExamples(t *testing.T) {
	// §3.8 examples and the §2.6 case-insensitivity example (PRIM-A7.1-3).
	tests := []struct {
		in                    string
		scheme, local, domain string
	}{
		{"pres:joe@example.net", "pres", "joe", "example.net"},
		{"im:%22Jane%20Smith%22@domain.com", "im", "%22Jane%20Smith%22", "domain.com"},
		{"pres:Joe@Example.Net", "pres", "Joe", "Example.Net"},
		{"PRES:joe@example.net", "pres", "joe", "example.net"}, // D38: any case in, lower out
		{"im:a.b+c/d=e?f_g~h!i$j&k'l*m-n@x", "im", "a.b+c/d=e?f_g~h!i$j&k'l*m-n", "x"},
		{"im:%E2%98%83@xn--n3h.example", "im", "%E2%98%83", "xn--n3h.example"},
	}
	for _, tc := range tests {
		id, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if id.Scheme != tc.scheme || id.Local != tc.local || id.Domain != tc.domain {
			t.Errorf("Parse(%q) = %+v", tc.in, id)
		}
	}
}

func TestParseErrorsNameRuleAndPosition(t *testing.T) {
	tests := []struct {
		in   string
		rule Rule
		pos  int
		char rune
	}{
		{"im:Jane Smith@domain.com", RuleMustEscape, 7, ' '},    // PRIM-A7.1-1
		{"im:\"jane\"@domain.com", RuleMustEscape, 3, '"'},      // PRIM-A7.1-1
		{"im:jane@dom ain.com", RuleMustEscape, 11, ' '},        // PRIM-A7.1-1 in the domain
		{"im:j%C3%A9ros\u00e9@d.com", RuleMustEscape, 13, 'é'},  // raw UTF-8 must be escaped
		{"im:%6Aoe@example.net", RuleMustNotEscape, 3, 'j'},     // PRIM-A7.1-2
		{"pres:joe@exa%2Dmple.net", RuleMustNotEscape, 12, '-'}, // PRIM-A7.1-2 in the domain
		{"im:jo%4@x", RuleBadEscape, 5, '%'},
		{"im:jo%zz@x", RuleBadEscape, 5, '%'},
		{"mailto:joe@x", RuleScheme, 0, 0},
		{"joe@x", RuleScheme, 0, 0},
		{"pres:joe", RuleMissingAt, 8, 0},
		{"pres:@x", RuleEmpty, 5, 0},
		{"pres:joe@", RuleEmpty, 9, 0},
		{"pres:joe@a..b", RuleEmpty, 11, '.'}, // PRIM-A7.1-4
		{"pres:joe@.a", RuleEmpty, 9, '.'},
		{"pres:joe@a.", RuleEmpty, 11, 0},
		{"pres:joe@" + strings.Repeat("a", 64) + ".com", RuleDomain, 9, 'a'},
	}
	for _, tc := range tests {
		_, err := Parse(tc.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error = %v, want *SyntaxError", tc.in, err)
			continue
		}
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q): errors.Is(err, ErrSyntax) = false", tc.in)
		}
		if se.Rule != tc.rule || se.Pos != tc.pos || se.Char != tc.char {
			t.Errorf("Parse(%q) = rule %q pos %d char %q; want rule %q pos %d char %q (%v)",
				tc.in, se.Rule, se.Pos, se.Char, tc.rule, tc.pos, tc.char, err)
		}
	}
}

func TestLooseModeAcceptsEscapedUnreserved(t *testing.T) {
	// The server profile lacks PRIM-A7.1-2; Key still decodes the escape (Decision D38).
	id, err := ParseMode("im:%6Aoe@example.net", Loose)
	if err != nil {
		t.Fatal(err)
	}
	if !id.Equal(MustParse("im:joe@example.net")) {
		t.Errorf("%q should equal im:joe@example.net, keys %q", id, id.Key())
	}
	if _, err := ParseMode("im:jo e@example.net", Loose); err == nil {
		t.Error("Loose must still require escaping outside unreserved (PRIM-S3-1)")
	}
}

func TestKeyAndEqual(t *testing.T) {
	eq := [][2]string{
		{"pres:Joe@Example.Net", "pres:joe@ExAmPle.NET"}, // §2.6, PRIM-A7.1-3
		{"im:%22jane%22@d.com", "im:%22JANE%22@D.COM"},
		{"im:a%2fb@x", "im:a/b@x"}, // escaped unreserved decodes (D38); "/" is unreserved
		{"im:a%c3%a9@x", "im:a%C3%A9@x"},
	}
	for _, p := range eq {
		a, err1 := ParseMode(p[0], Loose)
		b, err2 := ParseMode(p[1], Loose)
		if err1 != nil || err2 != nil {
			t.Fatalf("parse %q/%q: %v %v", p[0], p[1], err1, err2)
		}
		if !a.Equal(b) || a.Key() != b.Key() {
			t.Errorf("%q vs %q: want equal, keys %q %q", p[0], p[1], a.Key(), b.Key())
		}
	}
	ne := [][2]string{
		{"pres:joe@example.net", "im:joe@example.net"}, // scheme matters for Equal
		{"pres:joe@example.net", "pres:joe@example.com"},
		{"im:%20@x", "im:%2C@x"},
	}
	for _, p := range ne {
		if MustParse(p[0]).Equal(MustParse(p[1])) {
			t.Errorf("%q and %q must differ", p[0], p[1])
		}
	}
	// Decisions D15/D37: same principal across schemes.
	if !MustParse("pres:Joe@example.net").SamePrincipal(MustParse("im:joe@EXAMPLE.net")) {
		t.Error("pres:/im: forms of one principal must share BareKey")
	}
}

func TestBareWithSchemeAndUserInput(t *testing.T) {
	id := MustParse("pres:joe@example.net")
	if got := id.Bare(); got != "joe@example.net" {
		t.Errorf("Bare = %q", got)
	}
	if got := id.WithScheme("IM").String(); got != "im:joe@example.net" {
		t.Errorf("WithScheme = %q", got)
	}
	// PRIM-A7.1-6: identifiers typed without scheme are accepted.
	u, err := ParseUser("joe@example.net", SchemePres)
	if err != nil || u != id {
		t.Errorf("ParseUser = %+v, %v", u, err)
	}
	u, err = ParseUser("im:joe@example.net", SchemePres)
	if err != nil || u.Scheme != SchemeIM {
		t.Errorf("ParseUser with scheme = %+v, %v", u, err)
	}
	b, err := ParseBare("wife@example.com")
	if err != nil || b.Scheme != "" || b.String() != "wife@example.com" {
		t.Errorf("ParseBare = %+v, %v", b, err)
	}
}

func TestNewEscapes(t *testing.T) {
	id, err := New("im", `"Jane Smith"`, "domain.com")
	if err != nil {
		t.Fatal(err)
	}
	if got := id.String(); got != "im:%22Jane%20Smith%22@domain.com" {
		t.Errorf("New = %q", got)
	}
	if Unescape(id.Local) != `"Jane Smith"` {
		t.Errorf("Unescape(%q) = %q", id.Local, Unescape(id.Local))
	}
}

func TestParseDomain(t *testing.T) {
	for _, ok := range []string{"example.com", "a", "xn--n3h.example", "EXAMPLE.COM"} {
		if _, err := ParseDomain(ok); err != nil {
			t.Errorf("ParseDomain(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "a..b", "a b", "a.", strings.Repeat("a.", 127) + "aa"} {
		if _, err := ParseDomain(bad); err == nil {
			t.Errorf("ParseDomain(%q) accepted", bad)
		}
	}
}

func TestParseIP(t *testing.T) {
	// Decision D16: dotted quad with and without "::", IPv6; emit plain dotted quad.
	tests := []struct{ in, out string }{
		{"::192.0.2.1", "192.0.2.1"},
		{"192.0.2.1", "192.0.2.1"},
		{"2001:db8::1", "2001:db8::1"},
		{"::", "::"},
		{"::1", "::1"},
	}
	for _, tc := range tests {
		a, err := ParseIP(tc.in)
		if err != nil {
			t.Errorf("ParseIP(%q): %v", tc.in, err)
			continue
		}
		if got := FormatIP(a); got != tc.out {
			t.Errorf("FormatIP(ParseIP(%q)) = %q, want %q", tc.in, got, tc.out)
		}
	}
	for _, bad := range []string{"", "example.com", "1.2.3", "::1.2.3.4.5", "fe80::1%eth0", "256.1.1.1"} {
		if _, err := ParseIP(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseIP(%q) error = %v, want ErrSyntax", bad, err)
		}
	}
}

// genPart generates a valid local part or domain label as written on the wire: unreserved
// characters and escapes of reserved octets (never of unreserved ones).
func genPart(t *rapid.T, label string, dots bool) string {
	unres := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!$&'*+-/=?_~"
	if dots {
		unres += "."
	}
	n := rapid.IntRange(1, 12).Draw(t, label+"-len")
	var b strings.Builder
	for i := 0; i < n; i++ {
		if rapid.IntRange(0, 5).Draw(t, label+"-esc") == 0 {
			c := rapid.ByteRange(0, 255).Filter(func(c byte) bool { return !IsUnreserved(c) }).Draw(t, label+"-byte")
			hex := "0123456789ABCDEF"
			if rapid.Bool().Draw(t, label+"-lowerhex") {
				hex = "0123456789abcdef"
			}
			b.WriteString("%" + string(hex[c>>4]) + string(hex[c&15]))
			continue
		}
		b.WriteByte(unres[rapid.IntRange(0, len(unres)-1).Draw(t, label+"-char")])
	}
	return b.String()
}

func genID(t *rapid.T) string {
	scheme := rapid.SampledFrom([]string{"pres", "im"}).Draw(t, "scheme")
	local := genPart(t, "local", true)
	labels := rapid.IntRange(1, 4).Draw(t, "labels")
	parts := make([]string, labels)
	for i := range parts {
		parts[i] = genPart(t, "label", false)
	}
	return scheme + ":" + local + "@" + strings.Join(parts, ".")
}

func TestPropertyRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genID(t)
		id, err := Parse(s)
		if err != nil {
			// A generated local part may contain "@"-free text only, so Parse must accept.
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if got := id.String(); got != s {
			t.Fatalf("String(Parse(%q)) = %q", s, got)
		}
	})
}

func TestPropertyEqualIgnoresCase(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genID(t)
		id := MustParse(s)
		// Flip the case of random letters of the local part and domain (not of the %-escape
		// hex digits, which Key normalises separately, nor of the scheme).
		colon := strings.IndexByte(s, ':')
		b := []byte(s)
		for i := colon + 1; i < len(b); i++ {
			if rapid.Bool().Draw(t, "flip") {
				switch c := b[i]; {
				case 'a' <= c && c <= 'z':
					b[i] = c - 32
				case 'A' <= c && c <= 'Z':
					b[i] = c + 32
				}
			}
		}
		other, err := Parse(string(b))
		if err != nil {
			t.Fatalf("Parse(%q): %v", b, err)
		}
		if !id.Equal(other) || id.Key() != other.Key() {
			t.Fatalf("%q and %q must be Equal (PRIM-A7.1-3); keys %q %q", s, b, id.Key(), other.Key())
		}
		if id.WithScheme(map[string]string{"pres": "im", "im": "pres"}[id.Scheme]).Equal(id) {
			t.Fatalf("changing the scheme must break Equal")
		}
	})
}
