package client_test

import (
	"flag"
	"os"
	"regexp"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/suite/client"
)

var execFlag = flag.String("client-exec", "", "run the cases against this user agent command (driver protocol; {addr} = the home listener) instead of the reference user agent in the simulator")

// TestClientConformance runs every client-role case against the reference user agent in the
// simulator (the default target).
func TestClientConformance(t *testing.T) {
	if *execFlag != "" {
		if err := client.Configure(client.Config{Exec: *execFlag}); err != nil {
			t.Fatal(err)
		}
		// Real time against a real process: shorter quiet periods keep the run short.
		if err := harness.Configure(harness.Config{Timeout: 3 * time.Second, Quiet: 500 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "client-role conformance against the reference user agent")
}

// TestCitedIDsExist checks that every statement and RFC 2779 id a client-role case cites is in
// the requirement catalogues (fixtures/requirements).
func TestCitedIDsExist(t *testing.T) {
	ids := map[string]bool{}
	for _, f := range []string{"../../fixtures/requirements/prim-statements.yaml", "../../fixtures/requirements/rfc2779.yaml"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`(?m)^\s*- id: "([^"]+)"`).FindAllSubmatch(data, -1) {
			ids[string(m[1])] = true
		}
	}
	cases := harness.Registered()
	if len(cases) == 0 {
		t.Fatal("no client-role case registered")
	}
	for _, c := range cases {
		for _, s := range append(append([]string{}, c.Statements...), c.RFC2779...) {
			if !ids[s] {
				t.Errorf("case %s cites %q, which is in no catalogue", c.ID, s)
			}
		}
	}
}
