package server

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// SRV service names a server looks up to reach another domain (prim-digest.md §2.4, §6.2,
// Decision D3): the server profile's (SS §4.3), and I2's older ones, which Decision D3 allows
// as a fallback.
const (
	SRVPresence   = "prim-pr" // _prim-pr._tcp.<domain>
	SRVIM         = "prim-im" // _prim-im._tcp.<domain>
	SRVPresenceI2 = "presence"
	SRVIMI2       = "im"
)

// DNS is the part of a DNS resolver SRVResolver needs. Both functions have the shape of
// net.Resolver's LookupSRV and LookupHost once a context is bound, so a shell passes those;
// tests pass tables.
type DNS struct {
	// SRV returns the records of _service._proto.name, ordered as RFC 2782 says (priority,
	// then weight), as net.LookupSRV does.
	SRV func(service, proto, name string) ([]*net.SRV, error)
	// Host returns the addresses of an A (or AAAA) lookup.
	Host func(host string) ([]string, error)
}

// SRVOptions tune SRVResolver.
type SRVOptions struct {
	// Port is the port for the A fallback. No port was ever assigned to PRIM (Decision D3), so
	// without one a domain with no SRV record cannot be reached.
	Port int
	// I2Names also tries I2's _presence._tcp and _im._tcp when the SS names have no record.
	I2Names bool
}

// SRVResolver returns a Config.Resolver that finds a peer domain's server-server addresses as
// SS §4.3 says (Decision D3): the targets of _prim-pr._tcp.<domain>, then those of
// _prim-im._tcp.<domain> not already listed (one connection serves both services when the
// records share a host and port, §2.4), in the order the lookups return them; optionally the
// same with I2's names; and only when no SRV record exists, the A records of the domain itself
// with opt.Port. A target "." (RFC 2782: service decidedly not available) is skipped.
//
// The lookups run inside Handle (Config.Resolver is synchronous): a shell that uses real DNS
// should cache the answers (the simulator and the tests inject tables).
func SRVResolver(dns DNS, opt SRVOptions) func(domain string) ([]string, error) {
	return func(domain string) ([]string, error) {
		names := []string{SRVPresence, SRVIM}
		if opt.I2Names {
			names = append(names, SRVPresenceI2, SRVIMI2)
		}
		var out, tried []string
		seen := map[string]bool{}
		var errs []error
		for i, svc := range names {
			if i == 2 && len(out) > 0 {
				break // the SS names answered: I2's are only a fallback
			}
			tried = append(tried, "_"+svc+"._tcp."+domain)
			if dns.SRV == nil {
				continue
			}
			recs, err := dns.SRV(svc, "tcp", domain)
			if err != nil {
				var de *net.DNSError
				if !errors.As(err, &de) || !de.IsNotFound {
					errs = append(errs, fmt.Errorf("SRV _%s._tcp.%s: %w", svc, domain, err))
				}
				continue
			}
			for _, r := range recs {
				host := strings.TrimSuffix(r.Target, ".")
				if host == "" {
					continue // "." : no such service at this domain
				}
				a := net.JoinHostPort(host, strconv.Itoa(int(r.Port)))
				if !seen[a] {
					seen[a] = true
					out = append(out, a)
				}
			}
		}
		if len(out) > 0 {
			return out, nil
		}
		if len(errs) > 0 {
			// A lookup failed for another reason than "no such record": falling back to A
			// would hide a DNS failure behind a guessed address.
			return nil, errors.Join(errs...)
		}
		if opt.Port <= 0 {
			return nil, fmt.Errorf("no SRV record (%s) and no port for the A fallback (Decision D3)", strings.Join(tried, ", "))
		}
		if dns.Host == nil {
			return nil, fmt.Errorf("no SRV record (%s) and no A lookup", strings.Join(tried, ", "))
		}
		hosts, err := dns.Host(domain)
		if err != nil {
			return nil, fmt.Errorf("no SRV record (%s); A %s: %w", strings.Join(tried, ", "), domain, err)
		}
		for _, h := range hosts {
			out = append(out, net.JoinHostPort(h, strconv.Itoa(opt.Port)))
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("no SRV record (%s) and no A record for %q", strings.Join(tried, ", "), domain)
		}
		return out, nil
	}
}
