package scenario

import (
	"path/filepath"
	"testing"
)

// TestModelAgreesWithFixtures checks the abstract model against the single-domain fixture
// scenarios, whose expectations are what the reference observed (and were reviewed against
// the digest): the model and the reference must agree line for line.
func TestModelAgreesWithFixtures(t *testing.T) {
	for _, name := range []string{"acl-revocation.txt", "im-delivery.txt", "lease-expiry.txt", "subscription-expiry.txt"} {
		t.Run(name, func(t *testing.T) {
			sc, err := Load(filepath.Join("../fixtures/scenarios", name))
			if err != nil {
				t.Fatal(err)
			}
			want, err := Expect(sc)
			if err != nil {
				t.Fatal(err)
			}
			for i, st := range sc.Steps {
				if !equalLines(st.Expect, want.Steps[i].Expect) {
					t.Errorf("%s:%d %s\nfixture: %q\nmodel:   %q", name, st.Line, st.CommandLine(), st.Expect, want.Steps[i].Expect)
				}
			}
		})
	}
}
