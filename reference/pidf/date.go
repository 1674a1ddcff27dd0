package pidf

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

var monthNames = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
var dayNames = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseDate parses the date-time of prim-digest.md §4.9 (I2 §14.5; the Date header and the
// presence date attribute): `[day ","] D Mon YYYY HH:MM[:SS] ±HHMM` with single spaces (Decision
// D24). Zones are numeric only (PRIM-A14.5-1); day and month names match case-insensitively
// (PRIM-A14.5-2). A day name that disagrees with the date is accepted (the drafts' own example,
// "Thu, 5 Sep 2000", was a Tuesday; Decision D40), as long as it is a day name.
func ParseDate(s string) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("%w: date %q: %s", ErrSyntax, s, why)
	}
	rest := s
	if i := strings.IndexByte(rest, ','); i >= 0 {
		if !isName(rest[:i], dayNames[:]) {
			return bad(fmt.Sprintf("%q is not a day name", rest[:i]))
		}
		rest = strings.TrimPrefix(rest[i+1:], " ")
	}
	f := strings.Split(rest, " ")
	if len(f) != 5 {
		return bad("want D Mon YYYY HH:MM[:SS] ±HHMM separated by single spaces")
	}
	day, err := digits(f[0], 1, 2)
	if err != nil || day < 1 || day > 31 {
		return bad(fmt.Sprintf("day %q", f[0]))
	}
	mon := nameIndex(f[1], monthNames[:])
	if mon < 0 {
		return bad(fmt.Sprintf("month %q", f[1]))
	}
	year, err := digits(f[2], 4, 4)
	if err != nil {
		return bad(fmt.Sprintf("year %q", f[2]))
	}
	hms := strings.Split(f[3], ":")
	if len(hms) != 2 && len(hms) != 3 {
		return bad(fmt.Sprintf("time %q", f[3]))
	}
	var clock [3]int
	for i, p := range hms {
		if clock[i], err = digits(p, 2, 2); err != nil {
			return bad(fmt.Sprintf("time %q", f[3]))
		}
	}
	if clock[0] > 23 || clock[1] > 59 || clock[2] > 60 {
		return bad(fmt.Sprintf("time %q out of range", f[3]))
	}
	z := f[4]
	if len(z) != 5 || z[0] != '+' && z[0] != '-' {
		return bad(fmt.Sprintf("zone %q is not ±HHMM (numeric zones only, PRIM-A14.5-1)", z))
	}
	zh, err1 := digits(z[1:3], 2, 2)
	zm, err2 := digits(z[3:5], 2, 2)
	if err1 != nil || err2 != nil || zm > 59 {
		return bad(fmt.Sprintf("zone %q", z))
	}
	off := zh*3600 + zm*60
	if z[0] == '-' {
		off = -off
	}
	t := time.Date(year, time.Month(mon+1), day, clock[0], clock[1], clock[2], 0, time.FixedZone("", off))
	if t.Day() != day {
		return bad("no such day in that month")
	}
	return t, nil
}

// FormatDate renders t in the §4.9 form with day name and seconds, in t's own zone offset:
// "Tue, 5 Sep 2000 15:45:45 -0500".
func FormatDate(t time.Time) string { return t.Format("Mon, 2 Jan 2006 15:04:05 -0700") }

// ParseISO8601 parses the ISO 8601 profile used inside CPIM objects and CPIM-PIDF/PIDF
// timestamps (RFC 3339; Decision D24). Lower-case "t"/"z" are accepted.
func ParseISO8601(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: timestamp %q is not RFC 3339: %w", ErrSyntax, s, err)
	}
	return t, nil
}

// FormatISO8601 renders t as RFC 3339 with upper-case T and Z (RFC 3863 §4.1.7), in t's zone.
func FormatISO8601(t time.Time) string { return t.Format(time.RFC3339Nano) }

// ParseAnyDate accepts either form (Decision D24: accept both on input).
func ParseAnyDate(s string) (time.Time, error) {
	if t, err := ParseDate(s); err == nil {
		return t, nil
	}
	if t, err := ParseISO8601(s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: date %q is neither RFC 822/1123 with numeric zone nor ISO 8601", ErrSyntax, s)
}

func digits(s string, min, max int) (int, error) {
	if len(s) < min || len(s) > max {
		return 0, fmt.Errorf("length")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("digit")
		}
	}
	return strconv.Atoi(s)
}

func nameIndex(s string, names []string) int {
	for i, n := range names {
		if asciiEqualFold(s, n) { // ASCII folding only (PRIM-A14.5-2)
			return i
		}
	}
	return -1
}

func isName(s string, names []string) bool { return nameIndex(s, names) >= 0 }

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
