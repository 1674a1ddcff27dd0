package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Flags and the YAML file say the same things.
func TestServeFlagsAndYAMLAgree(t *testing.T) {
	yml := writeFile(t, "server.yaml", `domain: example.com
listen: 127.0.0.1:0
s2s_listen: 127.0.0.1:0
accounts:
  alice: apw
  bob: bpw
peers:
  example.org: 127.0.0.1:7101
peer_secrets:
  example.org: s3cret
accept_anonymous_peers: true
`)
	fromFile, err := parseServe([]string{"--config", yml}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	fromFlags, err := parseServe([]string{"--domain", "example.com", "--listen", "127.0.0.1:0", "--s2s-listen", "127.0.0.1:0",
		"--account", "alice:apw", "--account", "bob:bpw", "--peer", "example.org=127.0.0.1:7101",
		"--peer-secret", "example.org=s3cret", "--accept-anonymous-peers"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	a, _, errA := fromFile.build()
	b, _, errB := fromFlags.build()
	if errA != nil || errB != nil {
		t.Fatalf("build: %v / %v", errA, errB)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("file config %+v\nflag config %+v", a, b)
	}
	// Flags override the file and add accounts to it.
	over, err := parseServe([]string{"--config", yml, "--domain", "other.example", "--account", "carol:cpw"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if over.Domain != "other.example" || len(over.Accounts) != 3 || over.Accounts["alice"] != "apw" {
		t.Fatalf("override: %+v", over.serveFile)
	}
}

// Bad configuration exits 2 with an error naming each bad field (with its line for YAML).
func TestServeConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		yaml string
		want []string
	}{
		{name: "unknown field", yaml: "domain: example.com\nlisten: 127.0.0.1:0\nacounts:\n  alice: x\n",
			want: []string{"line 3: field acounts not found"}},
		{name: "wrong type", yaml: "domain: example.com\nlisten: [1, 2]\n",
			want: []string{"line 2", "cannot unmarshal"}},
		{name: "semantic errors with lines", yaml: "domain: example.com\nlisten: 127.0.0.1:0\naccounts:\n  alice: \"\"\npeers:\n  example.org: nohost\n",
			want: []string{":4: accounts.alice: empty password", ":6: peers.example.org: not host:port", "s2s_listen: peers are configured"}},
		{name: "missing domain and listen", args: []string{"--account", "a:b"},
			want: []string{"domain: missing", "listen: missing"}},
		{name: "bad account flag", args: []string{"--account", "nocolon"},
			want: []string{`--account "nocolon": want user:password`}},
		{name: "bad peer flag", args: []string{"--domain", "a.example", "--listen", "127.0.0.1:0", "--account", "a:b", "--peer", "b.example"},
			want: []string{`--peer "b.example": want domain=host:port`}},
		{name: "bad address in a failover list", yaml: "domain: example.com\nlisten: 127.0.0.1:0\ns2s_listen: 127.0.0.1:0\naccounts:\n  alice: x\npeers:\n  example.org: 127.0.0.1:7001,127.0.0.1:99999\n",
			want: []string{":7: peers.example.org:", `bad port "99999"`}},
		{name: "half TLS", args: []string{"--domain", "a.example", "--listen", "127.0.0.1:0", "--account", "a:b", "--tls-cert", "x.pem"},
			want: []string{"--tls-cert and --tls-key go together"}},
		{name: "unreadable TLS", args: []string{"--domain", "a.example", "--listen", "127.0.0.1:0", "--account", "a:b", "--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"},
			want: []string{"tls_cert:", "no such file"}},
		{name: "client roots without a certificate", args: []string{"--domain", "a.example", "--listen", "127.0.0.1:0", "--account", "a:b", "--tls-client-ca", os.DevNull},
			want: []string{`tls_client_ca: "`, "holds no PEM certificate"}},
		{name: "bad domain", args: []string{"--domain", "exa mple", "--listen", "127.0.0.1:0", "--account", "a:b"},
			want: []string{"Domain", `"exa mple"`}},
		{name: "extra argument", args: []string{"stray"}, want: []string{`unexpected argument "stray"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if c.yaml != "" {
				args = append([]string{"--config", writeFile(t, "s.yaml", c.yaml)}, args...)
			}
			var out, errOut bytes.Buffer
			if code := runServe(args, strings.NewReader(""), &out, &errOut); code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitUsage, errOut.String())
			}
			for _, w := range c.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut.String())
				}
			}
		})
	}
}

// The YAML example in `primlab serve -h` is a valid configuration file.
func TestServeHelpYAMLExampleParses(t *testing.T) {
	var lines []string
	for _, l := range strings.Split(serveYAMLHelp, "\n") {
		if strings.HasPrefix(l, "  ") {
			lines = append(lines, strings.TrimPrefix(l, "  "))
		}
	}
	cfg := &serveConfig{lines: map[string]int{}}
	if err := cfg.load(writeFile(t, "example.yaml", strings.Join(lines, "\n"))); err != nil {
		t.Fatal(err)
	}
	if cfg.Domain != "example.com" || cfg.Accounts["bob"] != "hunter2" || cfg.Peers["example.org"] != "192.0.2.7:7001" || cfg.Seed == nil {
		t.Fatalf("parsed %+v", cfg.serveFile)
	}
}

// In process: serve prints its addresses, accepts a connection and stops cleanly.
func TestServeRunsAndStops(t *testing.T) {
	ready := make(chan map[string]string, 1)
	stop := make(chan struct{})
	serveHook = func(ctx context.Context, addrs map[string]string) context.Context {
		ready <- addrs
		ctx, cancel := context.WithCancel(ctx)
		go func() { <-stop; cancel() }()
		return ctx
	}
	defer func() { serveHook = nil }()
	var out, errOut bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- runServe([]string{"--domain", "example.com", "--listen", "127.0.0.1:0", "--s2s-listen", "127.0.0.1:0", "--account", "alice:pw", "--seed", "1"},
			strings.NewReader(""), &out, &errOut)
	}()
	addrs := <-ready
	nc, err := net.Dial("tcp", addrs["client"])
	if err != nil {
		t.Fatal(err)
	}
	// Before LOGIN every other request gets 401 (I2 §12.1).
	fmt.Fprint(nc, "FETCH PRIM-PR/1.0 1 0\r\nFrom: pres:alice@example.com\r\nTo: pres:alice@example.com\r\n\r\n")
	line, err := bufio.NewReader(nc).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "PRIM-PR/1.0 1 0 401 ") {
		t.Fatalf("response %q, %v", line, err)
	}
	nc.Close()
	close(stop)
	if c := <-code; c != exitOK {
		t.Fatalf("exit %d: %s", c, errOut.String())
	}
	want := fmt.Sprintf("listening client %s domain=example.com\nlistening s2s %s domain=example.com\nstopped\n", addrs["client"], addrs["s2s"])
	if out.String() != want {
		t.Fatalf("stdout %q, want %q", out.String(), want)
	}
}
