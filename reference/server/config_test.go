package server

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	ok := testConfig()
	if err := ok.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	ok.Peers["example.net"] = "10.0.0.3:7100, 10.0.0.4:7100" // several addresses, tried in order (§6.2)
	if err := ok.Validate(); err != nil {
		t.Fatalf("config with a peer address list: %v", err)
	}
	cases := []struct {
		name  string
		edit  func(c *Config)
		wants []string // substrings the error must contain
	}{
		{"empty domain", func(c *Config) { c.Domain = "" }, []string{"Domain is empty"}},
		{"bad domain", func(c *Config) { c.Domain = "exa mple.com" }, []string{`Domain "exa mple.com"`}},
		{"user with domain", func(c *Config) { c.Accounts["eve@x"] = "pw" }, []string{`user "eve@x"`}},
		{"no listeners", func(c *Config) { c.Listeners = nil }, []string{"Listeners is empty"}},
		{"bad role", func(c *Config) { c.Listeners["x"] = "proxy" }, []string{`Listeners["x"]: role "proxy"`}},
		{"peer is self", func(c *Config) { c.Peers["EXAMPLE.com"] = "h:1" }, []string{`"EXAMPLE.com" is the server's own domain`}},
		{"peer address", func(c *Config) { c.Peers["example.net"] = "nohost" }, []string{`Peers["example.net"]`}},
		{"peer port", func(c *Config) { c.Peers["example.net"] = "h:99999" }, []string{`bad port "99999"`}},
		{"peer list, one bad", func(c *Config) { c.Peers["example.net"] = "10.0.0.3:7100, h:0" }, []string{`Peers["example.net"]: address "h:0": bad port "0"`}},
		{"peer list empty", func(c *Config) { c.Peers["example.net"] = " , " }, []string{`Peers["example.net"]: no address in " , "`}},
		{"empty secret", func(c *Config) { c.PeerSecrets["example.net"] = "" }, []string{`PeerSecrets["example.net"] is empty`}},
		{"min above max", func(c *Config) { c.Limits.MinDuration, c.Limits.MaxDuration = time.Hour, time.Minute }, []string{"MinDuration 1h0m0s above MaxDuration 1m0s"}},
		{"fractional", func(c *Config) { c.Limits.MinDuration = 1500 * time.Millisecond }, []string{"not a whole number of seconds"}},
		{"two problems", func(c *Config) { c.Domain = ""; c.Listeners = nil }, []string{"Domain is empty", "Listeners is empty"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			tc.edit(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate accepted a bad config")
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestDeterminism replays every script twice into fresh engines: the same events must give
// the same actions byte for byte (DESIGN.md: a seed fixes the whole run).
func TestDeterminism(t *testing.T) {
	for _, f := range []string{"testdata/s2s.txt", "testdata/im.txt", "testdata/leases.txt", "testdata/failover.txt"} {
		blocks, _ := parseScript(t, f)
		var runs [2][]string
		for i := range runs {
			h := newHarness(t)
			for _, b := range blocks {
				runs[i] = append(runs[i], h.run(b.cmd, b.input)...)
			}
		}
		if strings.Join(runs[0], "\n") != strings.Join(runs[1], "\n") {
			t.Errorf("%s: two runs differ", f)
		}
	}
}
