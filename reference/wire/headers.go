package wire

import (
	"mime"
	"strings"

	"github.com/primlab/primlab/reference/addr"
)

// headerCheck is the value grammar of one well-known header (prim-digest.md §3.7.2) and the
// statements (client, server profile) a bad value breaks.
type headerCheck struct {
	client, server, decision string
	check                    func(v string) string // "" when v is valid, else what is wrong
}

var headerChecks = map[string]headerCheck{
	"From":     {"PRIM-A7.1-1", "PRIM-S3-1", "D44", func(v string) string { return checkID(v, "pres", "im") }},
	"To":       {"PRIM-A7.1-1", "PRIM-S3-1", "D44", func(v string) string { return checkID(v, "pres", "im") }},
	"Reply-To": {"PRIM-A7.1-1", "PRIM-S3-1", "D44", func(v string) string { return checkID(v, "im") }},
	"Domain":   {"PRIM-A7.1-4", "PRIM-S6.1.3-1", "", checkDomain},
	"Auth-State": {"PRIM-A10.3.1-8", "PRIM-S7.3.1-6", "D10",
		oneOf("init", "continue", "abort")},
	"SASL-Mech":          {"I2 §9.1.4", "SS §6.1.5", "D21", checkMechs},
	"Redirect":           {"PRIM-A9.1.5-1", "PRIM-S6.1.6-1", "D16", checkRedirect},
	"Server-Address":     {"PRIM-A9.1.6-1", "SS §6.1.7", "D16", checkIP},
	"AStrength":          {"I2 §9.1.7", "SS §6.1.8", "D44", oneOf("strong", "medium", "weak", "none")},
	"Max-Content-Length": {"I2 §9.1.8", "I2 §9.1.8", "D28", checkDigits},
	"Date":               {"I2 §14.5", "SS §6.1.9", "D24", checkDate},
	"Content-Type":       {"I2 §9.2.1", "SS §6.2.1", "D44", checkMediaType},
	"Class":              {"I2 §9.3.1", "I2 §9.3.1", "D14", checkClasses},
	"Tuple-ID":           {"I2 §9.3.2", "I2 §9.3.2", "D22", checkTupleID},
	"Duration":           {"I2 §9.3.3", "SS §6.3.1", "D44", checkDigits},
	"PI-Type":            {"I2 §9.3.4", "I2 §9.3.4", "D44", oneOf("leased", "permanent", "renew", "revert")},
	"Watcher-Type":       {"I2 §9.3.5", "I2 §9.3.5", "D27", oneOf("fetch", "subscribe")},
	"Subscription-ID":    {"SS §6.3.2", "SS §6.3.2", "D44", checkToken},
	"Message-ID":         {"I2 §9.4.1", "SS §6.4.1", "D9", checkMessageID},
	"Conversation-ID":    {"I2 §9.4.2", "SS §6.4.2", "D44", checkToken},
}

func oneOf(values ...string) func(string) string {
	return func(v string) string {
		for _, x := range values {
			if v == x {
				return ""
			}
		}
		return "not one of " + strings.Join(values, ", ")
	}
}

func checkDigits(v string) string {
	if !allDigits([]byte(v)) {
		return "not 1*DIGIT"
	}
	return ""
}

// isUnreserved reports the identifier grammar's unreserved characters (§3.8).
func isUnreserved(c byte) bool { return addr.IsUnreserved(c) }

func isHex(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

// checkEscaped checks 1*(unreserved / escaped), plus any byte in extra; it also reports an
// escaped unreserved character (PRIM-A7.1-2).
func checkEscaped(s, what, extra string) string {
	if s == "" {
		return "empty " + what
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "bad %-escape in " + what
			}
			if d := unhex(s[i+1])<<4 | unhex(s[i+2]); isUnreserved(d) {
				return "unreserved character " + string(rune(d)) + " is %-escaped in " + what + " (PRIM-A7.1-2)"
			}
			i += 2
		case isUnreserved(c) || strings.IndexByte(extra, c) >= 0:
		default:
			return "character " + quoteByte(c) + " must be %-escaped in " + what
		}
	}
	return ""
}

func quoteByte(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return "0x" + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])
	}
	return "'" + string(rune(c)) + "'"
}

// checkID checks a pres:/im: identifier with reference/addr (§3.8, PRIM-A7.1-1, PRIM-A7.1-2;
// the scheme matches case-insensitively, Decision D38) and that its scheme is one of schemes.
func checkID(v string, schemes ...string) string {
	id, err := addr.Parse(v)
	if err != nil {
		return err.Error()
	}
	for _, s := range schemes {
		if id.Scheme == s {
			return ""
		}
	}
	return "scheme " + id.Scheme + ": is not " + strings.Join(schemes, ": or ") + ":"
}

// checkDomain checks a domain with reference/addr (PRIM-A7.1-4, PRIM-S6.1.3-1).
func checkDomain(v string) string {
	if _, err := addr.ParseDomain(v); err != nil {
		return err.Error()
	}
	return ""
}

// checkMechs applies Decision D21: mechanisms of 1-20 characters (ALPHA / DIGIT / "-" / "_")
// separated by SP, "," or ", ".
func checkMechs(v string) string {
	mechs := splitMechs(v)
	if len(mechs) == 0 {
		return "no mechanism"
	}
	for _, m := range mechs {
		if len(m) == 0 || len(m) > 20 {
			return "a mechanism name must have 1 to 20 characters"
		}
		for i := 0; i < len(m); i++ {
			if c := m[i]; !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' {
				return "mechanism " + m + " contains " + quoteByte(c)
			}
		}
	}
	return ""
}

// splitMechs splits a SASL-Mech value at SP, "," or ", " (Decision D21).
func splitMechs(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(strings.ReplaceAll(strings.ReplaceAll(v, ", ", " "), ",", " "), " ")
}

// checkIP accepts ip4-address with or without the printed "::" prefix (Decision D16) and
// ip6-address, with reference/addr.
func checkIP(v string) string {
	if _, err := addr.ParseIP(v); err != nil {
		return err.Error()
	}
	return ""
}

// checkRedirect checks address SP port, address = domain / ip4-address / ip6-address.
func checkRedirect(v string) string {
	addr, port, ok := strings.Cut(v, " ")
	if !ok {
		return "not ADDRESS SP PORT"
	}
	if !allDigits([]byte(port)) {
		return "port is not 1*DIGIT"
	}
	if checkIP(addr) == "" || checkDomain(addr) == "" {
		return ""
	}
	return "address is neither a domain nor an IP address"
}

// checkClasses accepts class *(SP class), class = 1*(unreserved / escaped) (Decision D14: any
// number of classes, where the grammar allows two).
func checkClasses(v string) string {
	for _, c := range strings.Split(v, " ") {
		if d := checkEscaped(c, "class", ""); d != "" {
			return d
		}
	}
	return ""
}

// checkTupleID accepts any visible US-ASCII except SP (Decision D22 widens the grammar so the
// drafts' own examples, im:foo@bar.com and tel:+1-800-IGOTYOU, are valid).
func checkTupleID(v string) string {
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] >= 0x7f {
			return "character " + quoteByte(v[i]) + " outside visible US-ASCII"
		}
	}
	return ""
}

func checkToken(v string) string { return checkEscaped(v, "value", "") }

// checkMessageID applies Decision D9: 1*(unreserved / escaped / "@" / ":").
func checkMessageID(v string) string { return checkEscaped(v, "Message-ID", "@:") }

func checkMediaType(v string) string {
	if _, _, err := mime.ParseMediaType(v); err != nil {
		return "not a MIME type: " + err.Error()
	}
	return ""
}

var (
	days   = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
	months = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// checkDate accepts the PRIM date-time of §4.9 with single spaces, `[Day, ]D Mon YYYY
// HH:MM[:SS] +HHMM`, day and month names in any case (PRIM-A14.5-2), numeric zones only
// (PRIM-A14.5-1); and, on input, ISO 8601 `YYYY-MM-DDTHH:MM:SS(Z|+HH:MM)` (Decision D24).
func checkDate(v string) string {
	if isISODate(v) {
		return ""
	}
	f := strings.Split(v, " ")
	if len(f) > 0 && strings.HasSuffix(f[0], ",") {
		if !foldIn(strings.TrimSuffix(f[0], ","), days) {
			return "bad day name"
		}
		f = f[1:]
	}
	if len(f) != 5 {
		return "not [Day, ]D Mon YYYY HH:MM[:SS] +HHMM"
	}
	if len(f[0]) < 1 || len(f[0]) > 2 || !allDigits([]byte(f[0])) {
		return "bad day of month"
	}
	if !foldIn(f[1], months) {
		return "bad month name"
	}
	if len(f[2]) != 4 || !allDigits([]byte(f[2])) {
		return "bad year"
	}
	t := strings.Split(f[3], ":")
	if len(t) < 2 || len(t) > 3 {
		return "bad time"
	}
	for _, x := range t {
		if len(x) != 2 || !allDigits([]byte(x)) {
			return "bad time"
		}
	}
	z := f[4]
	if len(z) != 5 || (z[0] != '+' && z[0] != '-') || !allDigits([]byte(z[1:])) {
		return "time zone " + z + " is not numeric +HHMM/-HHMM (PRIM-A14.5-1)"
	}
	return ""
}

func foldIn(s string, set []string) bool {
	for _, x := range set {
		if strings.EqualFold(s, x) {
			return true
		}
	}
	return false
}

func isISODate(v string) bool {
	// 2001-06-01T08:35:44+09:00, 2001-06-01T08:35:44Z, optional fraction after seconds.
	if len(v) < 20 || v[4] != '-' || v[7] != '-' || (v[10] != 'T' && v[10] != 't') || v[13] != ':' || v[16] != ':' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		if !isDigit(v[i]) {
			return false
		}
	}
	rest := v[19:]
	if rest[0] == '.' {
		j := 1
		for j < len(rest) && isDigit(rest[j]) {
			j++
		}
		if j == 1 {
			return false
		}
		rest = rest[j:]
	}
	if rest == "Z" || rest == "z" {
		return true
	}
	return len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && isDigit(rest[1]) && isDigit(rest[2]) &&
		rest[3] == ':' && isDigit(rest[4]) && isDigit(rest[5])
}
