package sim

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// needTshark returns the tshark binary, skipping the test when it is missing (or failing it
// under CI=true, where the CI image must provide it).
func needTshark(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tshark is not installed; CI must provide it (apt-get install -y tshark)")
		}
		t.Skip("tshark not installed; install it (apt-get install -y tshark) to check captures and tools/wireshark/prim.lua")
	}
	return path
}

func dissectorPath(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "tools", "wireshark", "prim.lua")
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func tshark(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tshark %q: %v\n%s", args, err, stderr.String())
	}
	// tshark warns when run as root; anything else on stderr is a problem with the file.
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if line != "" && !strings.Contains(line, "Running as user") {
			t.Errorf("tshark %q wrote to stderr: %s", args, line)
		}
	}
	return stdout.String()
}

// captureExchange writes a capture of two PRIM connections: one segment carrying three
// requests, and a request whose body spans three segments (with the default MSS, 0). It returns the file and the
// bytes each direction of the first connection carried.
func captureExchange(t *testing.T, mss int) (file string, sent, received []byte) {
	var pcap bytes.Buffer
	w := newTestWorld(t, Config{MSS: mss, Pcap: &pcap, Link: &LinkConfig{Latency: 3 * time.Millisecond}})
	c := w.Connect("alice", "server:7000")
	var reqs string
	for i := 1; i <= 3; i++ {
		reqs += fmt.Sprintf("SUBSCRIBE PRIM-PR/1.0 000%d 0\r\nFrom: pres:alice@example.com\r\nTo: pres:u%d@example.com\r\nDuration: 3600\r\n\r\n", i, i)
	}
	c.WriteString(reqs)
	if !w.RunUntil(func() bool { return bytes.Count(c.Received(), []byte(" 200 OK")) == 3 }, time.Second) {
		t.Fatalf("responses: %q", c.Received())
	}
	body := strings.Repeat("0123456789", 300)
	c2 := w.Connect("alice", "server:7000")
	c2.WriteString(fmt.Sprintf("SEND PRIM-IM/1.0 77 %d\r\nTo: im:bob@example.com\r\nContent-Type: text/plain\r\n\r\n%s", len(body), body))
	if !w.RunUntil(func() bool { return bytes.Contains(c2.Received(), []byte("ok SEND")) }, time.Second) {
		t.Fatalf("SEND response: %q", c2.Received())
	}
	c.Close()
	c2.Close()
	w.RunUntilQuiet()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(t.TempDir(), "exchange.pcapng")
	if err := os.WriteFile(file, pcap.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return file, []byte(reqs), append([]byte(nil), c.Received()...)
}

// parseFollow reads `tshark -z follow,tcp,ascii,N` output into the bytes of each node.
func parseFollow(t *testing.T, out string) [2][]byte {
	var nodes [2][]byte
	i := strings.Index(out, "Node 1: ")
	if i < 0 {
		t.Fatalf("no follow header in %q", out)
	}
	rest := out[i:]
	rest = rest[strings.IndexByte(rest, '\n')+1:]
	for !strings.HasPrefix(rest, "====") && rest != "" {
		nl := strings.IndexByte(rest, '\n')
		head := rest[:nl]
		node := 0
		if strings.HasPrefix(head, "\t") {
			node = 1
		}
		n, err := strconv.Atoi(strings.TrimSpace(head))
		if err != nil {
			t.Fatalf("follow output: bad chunk header %q", head)
		}
		nodes[node] = append(nodes[node], rest[nl+1:nl+1+n]...)
		rest = rest[nl+1+n+1:]
	}
	return nodes
}

func TestTsharkReadsCaptureAndFollowsPRIMStream(t *testing.T) {
	bin := needTshark(t)
	file, sent, received := captureExchange(t, 0)
	list := tshark(t, bin, "-r", file)
	if n := strings.Count(list, "\n"); n < 20 {
		t.Errorf("tshark listed %d packets:\n%s", n, list)
	}
	verify := []string{"-r", file, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-Y"}
	// checksum status: 0 bad, 1 good, 2 unverified
	good := tshark(t, bin, append(verify, "tcp.checksum.status==1 && ip.checksum.status==1")...)
	if good != list {
		t.Errorf("not every packet has good IPv4 and TCP checksums:\n%s", good)
	}
	checks := tshark(t, bin, append(verify, "tcp.analysis.flags || _ws.malformed || _ws.expert.severity >= warning")...)
	if strings.TrimSpace(checks) != "" {
		t.Errorf("TCP analysis warnings on a run without faults:\n%s", checks)
	}
	nodes := parseFollow(t, tshark(t, bin, "-r", file, "-q", "-z", "follow,tcp,ascii,0"))
	if !bytes.Equal(nodes[0], sent) {
		t.Errorf("client->server stream:\n%q\nwant\n%q", nodes[0], sent)
	}
	if !bytes.Equal(nodes[1], received) {
		t.Errorf("server->client stream:\n%q\nwant\n%q", nodes[1], received)
	}
}

func TestDissectorDecodesPRIMFields(t *testing.T) {
	bin := needTshark(t)
	file, _, _ := captureExchange(t, 0)
	lua := "lua_script:" + dissectorPath(t)
	got := tshark(t, bin, "-X", lua, "-r", file, "-Y", "prim.method==SUBSCRIBE", "-T", "fields", "-e", "prim.method", "-e", "prim.id")
	// Three requests in one segment: one packet, three values per field.
	if want := "SUBSCRIBE,SUBSCRIBE,SUBSCRIBE\t0001,0002,0003\n"; got != want {
		t.Errorf("SUBSCRIBE fields %q, want %q", got, want)
	}
	got = tshark(t, bin, "-X", lua, "-r", file, "-Y", "prim.response==1", "-T", "fields",
		"-e", "prim.version", "-e", "prim.id", "-e", "prim.length", "-e", "prim.status", "-e", "prim.phrase")
	// Responses come one per segment here (the server writes each one alone).
	want := "PRIM-PR/1.0\t0001\t12\t200\tOK\nPRIM-PR/1.0\t0002\t12\t200\tOK\nPRIM-PR/1.0\t0003\t12\t200\tOK\nPRIM-IM/1.0\t77\t7\t200\tOK\n"
	if got != want {
		t.Errorf("response fields:\n%s\nwant\n%s", got, want)
	}
	// A body split over three segments is reassembled; headers come as name and value.
	got = tshark(t, bin, "-X", lua, "-r", file, "-Y", "prim.method==SEND", "-T", "fields",
		"-e", "prim.length", "-e", "prim.header", "-e", "prim.header.name", "-e", "prim.body")
	want = "3000\tTo: im:bob@example.com,Content-Type: text/plain\tTo,Content-Type\t" + strings.Repeat("0123456789", 300) + "\n"
	if got != want {
		t.Errorf("SEND fields:\n%.300q\nwant\n%.300q", got, want)
	}
	// Start lines and headers cut across 16-byte segments are reassembled too.
	small, _, _ := captureExchange(t, 16)
	got = tshark(t, bin, "-X", lua, "-r", small, "-Y", "prim.method==SUBSCRIBE", "-T", "fields", "-e", "prim.id", "-e", "prim.header.value")
	want = "0001\tpres:alice@example.com,pres:u1@example.com,3600\n" +
		"0002\tpres:alice@example.com,pres:u2@example.com,3600\n" +
		"0003\tpres:alice@example.com,pres:u3@example.com,3600\n"
	if got != want {
		t.Errorf("with MSS 16: %q, want %q", got, want)
	}
	// The port preference moves the dissector.
	got = tshark(t, bin, "-X", lua, "-o", "prim.tcp_ports:9999", "-r", file, "-Y", "prim")
	if strings.TrimSpace(got) != "" {
		t.Errorf("with prim.tcp_ports:9999 PRIM still decoded on 7000:\n%s", got)
	}
}
