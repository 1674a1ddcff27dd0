package server

import (
	"net"
	"reflect"
	"strings"
	"testing"
)

// fakeDNS answers from tables and records every name asked.
type fakeDNS struct {
	srv   map[string][]*net.SRV // "_service._proto.name"
	hosts map[string][]string
	fail  map[string]error
	asked []string
}

func (f *fakeDNS) dns() DNS {
	return DNS{
		SRV: func(service, proto, name string) ([]*net.SRV, error) {
			q := "_" + service + "._" + proto + "." + name
			f.asked = append(f.asked, q)
			if err := f.fail[q]; err != nil {
				return nil, err
			}
			if recs, ok := f.srv[q]; ok {
				return recs, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: q, IsNotFound: true}
		},
		Host: func(host string) ([]string, error) {
			f.asked = append(f.asked, "A "+host)
			if hs, ok := f.hosts[host]; ok {
				return hs, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
	}
}

func srv(target string, port uint16) *net.SRV { return &net.SRV{Target: target, Port: port} }

// Decision D3, SS §4.3: servers look up _prim-pr._tcp and _prim-im._tcp (not the client names
// nor, unless asked, I2's), fall back to A with the configured port only when no SRV exists.
func TestSRVResolver(t *testing.T) {
	servfail := &net.DNSError{Err: "server misbehaving", Name: "_prim-pr._tcp.example.net", IsTemporary: true}
	cases := []struct {
		name      string
		dns       fakeDNS
		opt       SRVOptions
		want      []string
		wantErr   string
		wantAsked []string
	}{
		{
			name: "SS names, shared host listed once",
			dns: fakeDNS{srv: map[string][]*net.SRV{
				"_prim-pr._tcp.example.net": {srv("a.example.net.", 7200), srv("b.example.net.", 7200)},
				"_prim-im._tcp.example.net": {srv("b.example.net.", 7200), srv("im.example.net.", 7300)},
			}},
			opt:       SRVOptions{Port: 7100, I2Names: true},
			want:      []string{"a.example.net:7200", "b.example.net:7200", "im.example.net:7300"},
			wantAsked: []string{"_prim-pr._tcp.example.net", "_prim-im._tcp.example.net"},
		},
		{
			name:      "no SRV: A fallback with the configured port",
			dns:       fakeDNS{hosts: map[string][]string{"example.net": {"192.0.2.7", "2001:db8::7"}}},
			opt:       SRVOptions{Port: 7100},
			want:      []string{"192.0.2.7:7100", "[2001:db8::7]:7100"},
			wantAsked: []string{"_prim-pr._tcp.example.net", "_prim-im._tcp.example.net", "A example.net"},
		},
		{
			name:      "no SRV and no port: unreachable (no port was ever assigned)",
			dns:       fakeDNS{hosts: map[string][]string{"example.net": {"192.0.2.7"}}},
			wantErr:   "no SRV record (_prim-pr._tcp.example.net, _prim-im._tcp.example.net) and no port for the A fallback (Decision D3)",
			wantAsked: []string{"_prim-pr._tcp.example.net", "_prim-im._tcp.example.net"},
		},
		{
			name: "I2 names only as a fallback",
			dns: fakeDNS{srv: map[string][]*net.SRV{
				"_presence._tcp.example.net": {srv("old.example.net.", 7000)},
			}},
			opt:       SRVOptions{Port: 7100, I2Names: true},
			want:      []string{"old.example.net:7000"},
			wantAsked: []string{"_prim-pr._tcp.example.net", "_prim-im._tcp.example.net", "_presence._tcp.example.net", "_im._tcp.example.net"},
		},
		{
			name: `target "." means no service: A fallback`,
			dns: fakeDNS{
				srv:   map[string][]*net.SRV{"_prim-pr._tcp.example.net": {srv(".", 0)}},
				hosts: map[string][]string{"example.net": {"192.0.2.7"}},
			},
			opt:  SRVOptions{Port: 7100},
			want: []string{"192.0.2.7:7100"},
		},
		{
			name:    "a failing lookup is not hidden behind the A fallback",
			dns:     fakeDNS{fail: map[string]error{"_prim-pr._tcp.example.net": servfail}, hosts: map[string][]string{"example.net": {"192.0.2.7"}}},
			opt:     SRVOptions{Port: 7100},
			wantErr: "SRV _prim-pr._tcp.example.net: lookup _prim-pr._tcp.example.net: server misbehaving",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SRVResolver(tc.dns.dns(), tc.opt)("example.net")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("addresses %q, want %q", got, tc.want)
			}
			if tc.wantAsked != nil && !reflect.DeepEqual(tc.dns.asked, tc.wantAsked) {
				t.Errorf("asked %q, want %q", tc.dns.asked, tc.wantAsked)
			}
			for _, q := range tc.dns.asked {
				if strings.Contains(q, "-clients.") {
					t.Errorf("a server asked for a client SRV name %q (Decision D3)", q)
				}
			}
		})
	}
}

// The engine dials the SRV targets in order, moving to the next when a dial fails (§6.2).
func TestSRVResolverFailover(t *testing.T) {
	f := fakeDNS{srv: map[string][]*net.SRV{
		"_prim-im._tcp.example.net": {srv("im1.example.net.", 7300), srv("im2.example.net.", 7300)},
	}}
	h := newHarness(t)
	cfg := testConfig()
	cfg.Resolver = SRVResolver(f.dns(), SRVOptions{})
	h.reset(cfg)
	h.run("login c1 bob im", nil)
	out := h.run("send c1", []string{"SEND PRIM-IM/1.0 1", "From: im:bob@example.com", "To: im:yan@example.net",
		"Message-ID: m1", "Conversation-ID: c1", "Content-Type: text/plain", "", "hi"})
	if !contains(out, "dial s2s:example.net im1.example.net:7300") {
		t.Fatalf("first dial: got %q", out)
	}
	out = h.run("dialfail s2s:example.net", nil)
	if !contains(out, "dial s2s:example.net im2.example.net:7300") {
		t.Fatalf("after the first dial failed: got %q", out)
	}
	out = h.run("dialfail s2s:example.net", nil)
	if !contains(out, "c1 <- PRIM-IM/1.0 1 0 407 Timeout") {
		t.Fatalf("after the last dial failed: got %q, want a 407 (Decision D35)", out)
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
