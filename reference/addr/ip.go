package addr

import (
	"net/netip"
	"strings"
)

// ParseIP parses the value of a Server-Address header (§3.7.2): an ip6-address, or an
// ip4-address with or without the "::" prefix the grammar prints (Decision D16: accept both).
// Zones ("%eth0") are not part of the grammar and are rejected.
func ParseIP(s string) (netip.Addr, error) {
	v := s
	if strings.HasPrefix(v, "::") && strings.Count(v, ".") == 3 && strings.Count(v, ":") == 2 {
		v = v[2:] // "::a.b.c.d" as the grammar prints it (IPv4-compatible notation)
	}
	a, err := netip.ParseAddr(v)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, &SyntaxError{Input: s, Part: "ip", Pos: 0, Rule: RuleIP}
	}
	return a.Unmap(), nil
}

// FormatIP renders an address for a Server-Address or Redirect header: plain dotted quad for
// IPv4 (Decision D16: emit plain), RFC 5952 text for IPv6.
func FormatIP(a netip.Addr) string { return a.Unmap().String() }
