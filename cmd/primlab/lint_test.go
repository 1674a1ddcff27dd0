package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func fixture(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "fixtures", "examples", "prim", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLintCleanFileExitsZero(t *testing.T) {
	code, out, errs := runCmd(t, "", "lint", fixture(t, "E1-login-cram-md5.c2s.prim"))
	if code != exitOK || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if !strings.Contains(errs, "2 commands, 0 findings (client profile)") {
		t.Errorf("summary %q", errs)
	}
	code, _, _ = runCmd(t, "", "lint", "--profile", "server", fixture(t, "C3-ss-subscribe-notify.in.prim"))
	if code != exitOK {
		t.Errorf("SS example under the server profile: exit %d", code)
	}
}

func TestLintTempFileAndStdin(t *testing.T) {
	bad := "LOGIN PRIM-PR/1.0 0224 0\r\nAuth-State: init\r\nSASL-Mech: CRAM-MD5 PLAIN\r\n\r\n"
	want := "offset 0: LOGIN 0224: PRIM-A10.3.1-2: missing required header \"From\"\n"
	path := filepath.Join(t.TempDir(), "bad.prim")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		stdin string
		args  []string
	}{
		"file":        {"", []string{"lint", path}},
		"stdin":       {bad, []string{"lint"}},
		"stdin as -":  {bad, []string{"lint", "-"}},
		"flags first": {"", []string{"lint", "--profile", "client", path}},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, _ := runCmd(t, c.stdin, c.args...)
			if code != exitFail || out != want {
				t.Errorf("exit %d, stdout %q; want 1, %q", code, out, want)
			}
		})
	}
}

func TestLintJSON(t *testing.T) {
	in := "PING PRIM-PR/1.0 - 0\r\n\r\n\r\nSEND PRIM-PR/1.0 - 2\r\nFrom: im:a@b\r\n\r\nhi"
	code, out, _ := runCmd(t, in, "lint", "--json")
	if code != exitFail {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var statements []string
	for _, l := range lines {
		var f lintFinding
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		if f.Offset != 26 || f.StartLine != "SEND -" || f.Kind != "violation" {
			t.Errorf("finding %+v: want offset 26 (after the skipped empty line), start line \"SEND -\"", f)
		}
		statements = append(statements, f.Statement)
	}
	// Wrong service version, "-" on a response-bearing method, To, Message-ID,
	// Conversation-ID and Content-Type missing.
	want := "PRIM-A8.2-1 PRIM-A8.2.3-3 I2 §10.2.1 PRIM-A9.4.1-1 I2 §9.4.2 PRIM-A15-1"
	if got := strings.Join(statements, " "); got != want {
		t.Errorf("statements %q\nwant       %q", got, want)
	}
}

func TestLintProfiles(t *testing.T) {
	code, out, _ := runCmd(t, "", "lint", "--profile", "server", fixture(t, "C6-listen.c2s.prim"))
	if code != exitFail || !strings.Contains(out, "PRIM-A8.4-1") {
		t.Errorf("LISTEN under the server profile: exit %d, %q", code, out)
	}
}

// A response is checked against the method of the request with its id in the same stream.
func TestLintPairsResponses(t *testing.T) {
	in := "UNSUBSCRIBE PRIM-PR/1.0 9 0\r\nFrom: pres:a@b\r\nTo: pres:c@d\r\n\r\n" +
		"PRIM-PR/1.0 9 2 200 OK\r\nFrom: pres:a@b\r\nTo: pres:c@d\r\n\r\nhi"
	code, out, _ := runCmd(t, in, "lint")
	want := "offset 61: response 9 200: PRIM-A10.1.2-1: a 200 response to UNSUBSCRIBE must not carry a body (got 2 octets) (Decision D44)\n"
	if code != exitFail || out != want {
		t.Errorf("exit %d, stdout %q\nwant %q", code, out, want)
	}
}

func TestLintFramingErrors(t *testing.T) {
	code, out, _ := runCmd(t, "", "lint", filepath.Join("..", "..", "fixtures", "examples", "prim", "defective", "bare-lf-in-header.c2s.prim"))
	if code != exitFail || !strings.HasPrefix(out, "offset 58: LOGIN 0224: PRIM-A8.1.1-2: bad header line") {
		t.Errorf("exit %d, stdout %q", code, out)
	}
	code, out, _ = runCmd(t, "SEND PRIM-IM/1.0 1 10\r\n\r\nshort", "lint")
	if code != exitFail || !strings.Contains(out, "input ends inside a command") {
		t.Errorf("truncated input: exit %d, stdout %q", code, out)
	}
}

func TestLintUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"unknown flag":    {"lint", "--bogus"},
		"unknown profile": {"lint", "--profile", "peer"},
		"missing file":    {"lint", filepath.Join(t.TempDir(), "nope.prim")},
		"two files":       {"lint", "a", "b"},
	} {
		t.Run(name, func(t *testing.T) {
			if code, _, errs := runCmd(t, "", args...); code != exitUsage || errs == "" {
				t.Errorf("exit %d (stderr %q), want 2 with a message", code, errs)
			}
		})
	}
	var out, errb bytes.Buffer
	code := run([]string{"lint"}, iotest.ErrReader(errors.New("disk on fire")), &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "disk on fire") {
		t.Errorf("unreadable input: exit %d, stderr %q", code, errb.String())
	}
}

func TestLintHop(t *testing.T) {
	f := fixture(t, "C2-remote-subscribe.c2s.prim") // a C->S SUBSCRIBE has no AStrength
	if code, out, _ := runCmd(t, "", "lint", "--hop", "c2s", f); code != exitOK {
		t.Errorf("C->S: exit %d, %q", code, out)
	}
	code, out, _ := runCmd(t, "", "lint", "--hop", "s2s", f)
	if code != exitFail || !strings.Contains(out, `PRIM-A9.1.7-1: missing required header "AStrength" on a server-server hop`) {
		t.Errorf("S->S: exit %d, %q", code, out)
	}
	if code, _, _ := runCmd(t, "", "lint", "--hop", "sideways", f); code != exitUsage {
		t.Errorf("bad hop: exit %d", code)
	}
}
