package server_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	_ "github.com/primlab/primlab/suite/server"
)

// TestServerConformance runs every server-role case against the reference server in the
// simulator (the harness's default target).
func TestServerConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "server-role conformance against the reference server")
}
