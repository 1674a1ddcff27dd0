package cpim

import (
	"strings"
	"unicode/utf16"
)

// Escape renders text for a header value per RFC 3862 §3.2 (rfc-digest.md §6.3): the short
// forms \\ \b \t \n \r for backslash, BS, TAB, LF and CR; \uXXXX for the other control
// characters (U+0000-0007, 000B-000C, 000E-001F, 007F); nothing else.
func Escape(s string) string { return escapeQuoted(s, 0) }

// Quote renders text as a "-delimited string, escaping \" inside it as the generator rules
// require.
func Quote(s string) string { return `"` + escapeQuoted(s, '"') + `"` }

func escapeQuoted(s string, quote byte) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case quote != 0 && c == quote:
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			b.WriteString(`\u00`)
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

const upperHex = "0123456789ABCDEF"

// Unescape decodes the escapes of RFC 3862 §3.2 wherever they appear, as parsers SHOULD:
// \uXXXX (UCS-2; surrogate pairs are joined), \\ \" \' \b \t \n \r; an unknown \x is x; a lone
// trailing backslash is dropped.
func Unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 == len(s) {
			break // lone trailing backslash: ignored
		}
		i++
		switch e := s[i]; e {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'u':
			r, ok := hex4(s, i+1)
			if !ok {
				b.WriteByte('u') // unknown sequence: the character itself
				continue
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if r2, ok2 := hex4(s, i+3); ok2 && i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != '\uFFFD' {
						b.WriteRune(d)
						i += 6
						continue
					}
				}
				r = '\uFFFD'
			}
			b.WriteRune(r)
		default:
			b.WriteByte(e)
		}
	}
	return b.String()
}

func hex4(s string, at int) (rune, bool) {
	if at+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[at : at+4]) {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
