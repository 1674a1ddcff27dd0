package s2s_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	_ "github.com/primlab/primlab/suite/s2s"
)

// TestS2SConformance runs every s2s-role case against the reference server in the
// simulator (the harness's default target).
func TestS2SConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "s2s-role conformance against the reference server")
}
