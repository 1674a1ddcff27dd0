package wire_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/primlab/primlab/reference/wire"
)

// profileOf maps a fixture's direction suffix to the profile that checks it
// (fixtures/examples/README.md).
func profileOf(name string) wire.Profile {
	switch {
	case strings.HasSuffix(name, ".out.prim"), strings.HasSuffix(name, ".in.prim"):
		return wire.ProfileServer
	default:
		return wire.ProfileClient
	}
}

// TestExamplesRoundTrip: every example of digest §9 decodes without error and re-encodes to
// the same bytes (PRIM-A8.1-3, PRIM-A8.2.4-1: no CRLF after a body).
func TestExamplesRoundTrip(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "fixtures", "examples", "prim")
	files, err := filepath.Glob(filepath.Join(dir, "*.prim"))
	if err != nil || len(files) < 20 {
		t.Fatalf("want the §9 example files, got %d (%v)", len(files), err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := decodeAll(data, wire.DefaultLimits())
			if len(got.errs) > 0 || got.rest != 0 || len(got.msgs) == 0 {
				t.Fatalf("decode: %d messages, errors %v, %d octets left", len(got.msgs), got.errs, got.rest)
			}
			if enc := encodeAll(got.msgs); !bytes.Equal(enc, data) {
				t.Fatalf("re-encoding differs:\n got %q\nwant %q", enc, data)
			}
		})
	}
}

// draftDefects lists the example files whose every command breaks exactly these statements:
// E5 uses I1's PP/1.0, which neither profile accepts (Decision D1); SS's own 100 response
// carries a challenge body without the Content-Type SS §6.2.1 requires (PRIM-S6.2.1-2), a
// defect of the draft's example that a strict server-profile check reports.
var draftDefects = map[string]string{
	"E5-i1-login.c2s.prim":          "PRIM-A8.2.2-1",
	"E5-i1-login.s2c.prim":          "PRIM-A8.2.2-1",
	"E4-s2s-login-cram-md5.in.prim": "PRIM-S6.2.1-2",
}

// TestExamplesValidate: the examples conform to the profile of their direction, except the
// draft defects above, which are reported with exactly their statement.
func TestExamplesValidate(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "fixtures", "examples", "prim")
	files, _ := filepath.Glob(filepath.Join(dir, "*.prim"))
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, _ := os.ReadFile(f)
			p := profileOf(name)
			for _, m := range decodeAll(data, wire.DefaultLimits()).msgs {
				vs := wire.Validate(m, p)
				if want, defective := draftDefects[name]; defective {
					if len(vs) != 1 || vs[0].Statement != want {
						t.Errorf("%s: want exactly %s, got %v", m.StartLine(), want, vs)
					}
					continue
				}
				if len(vs) != 0 {
					t.Errorf("%s (%s profile): %v", m.StartLine(), p, vs)
				}
			}
		})
	}
}

// TestExampleResponsesMatchRequests checks each example response against its request's method.
func TestExampleResponsesMatchRequests(t *testing.T) {
	pairs := []struct{ req, resp, method string }{
		{"E1-login-cram-md5.c2s.prim", "E1-login-cram-md5.s2c.prim", "LOGIN"},
		{"E4-s2s-login-cram-md5.out.prim", "E4-s2s-login-cram-md5.in.prim", "LOGIN"},
		{"C1-publish-leased.c2s.prim", "C1-publish-leased.s2c.prim", "PUBLISH"},
		{"C2-remote-subscribe.s2s-out.prim", "C2-remote-subscribe.s2s-in.prim", "SUBSCRIBE"},
		{"C4-send-inbox-closed.c2s.prim", "C4-send-inbox-closed.s2c.prim", "SEND"},
	}
	for _, pr := range pairs {
		resp := decodeAll(readFixture(t, "fixtures/examples/prim/"+pr.resp), wire.DefaultLimits()).msgs
		req := decodeAll(readFixture(t, "fixtures/examples/prim/"+pr.req), wire.DefaultLimits()).msgs
		if resp[0].ID != req[0].ID {
			t.Errorf("%s: response id %q does not answer request id %q", pr.resp, resp[0].ID, req[0].ID)
		}
		vs := wire.ValidateResponse(resp[0], profileOf(pr.resp), pr.method)
		if want, defective := draftDefects[pr.resp]; defective {
			if len(vs) != 1 || vs[0].Statement != want {
				t.Errorf("%s: want exactly %s, got %v", pr.resp, want, vs)
			}
		} else if len(vs) != 0 {
			t.Errorf("%s: %v", pr.resp, vs)
		}
	}
	// C3: the SS SUBSCRIBE response and the NOTIFY response travel in opposite directions.
	in := decodeAll(readFixture(t, "fixtures/examples/prim/C3-ss-subscribe-notify.in.prim"), wire.DefaultLimits()).msgs
	out := decodeAll(readFixture(t, "fixtures/examples/prim/C3-ss-subscribe-notify.out.prim"), wire.DefaultLimits()).msgs
	if vs := wire.ValidateResponse(in[0], wire.ProfileServer, "SUBSCRIBE"); len(vs) != 0 {
		t.Errorf("C3 SUBSCRIBE response: %v", vs)
	}
	if vs := wire.ValidateResponse(out[1], wire.ProfileServer, "NOTIFY"); len(vs) != 0 {
		t.Errorf("C3 NOTIFY response: %v", vs)
	}
}

// TestDefectiveExamples asserts the verdicts listed in fixtures/examples/README.md.
func TestDefectiveExamples(t *testing.T) {
	lim := wire.DefaultLimits()
	read := func(name string) decoded {
		return decodeAll(readFixture(t, "fixtures/examples/prim/defective/"+name), lim)
	}
	firstStatements := func(m *wire.Message, p wire.Profile) []string {
		var s []string
		for _, v := range wire.Validate(m, p) {
			s = append(s, v.Statement)
		}
		return s
	}

	t.Run("bare LF inside a header line", func(t *testing.T) {
		got := read("bare-lf-in-header.c2s.prim")
		if len(got.errs) != 1 || !errors.Is(got.errs[0], wire.ErrBadHeaderLine) || got.errs[0].Fatal {
			t.Fatalf("want one non-fatal bad header line, got %v", got.errs)
		}
		if e := got.errs[0]; e.Statement != "PRIM-A8.1.1-2" || e.ID != "0224" || e.Method != "LOGIN" || e.Version != "PRIM-PR/1.0" {
			t.Errorf("error lacks the statement or the start line fields a 400 needs: %+v", e)
		}
		if len(got.msgs) != 1 || got.msgs[0].Method != "PING" {
			t.Errorf("decoding must go on with the PING after the bad command, got %v", got.msgs)
		}
	})
	t.Run("folded header", func(t *testing.T) {
		got := read("folded-header.c2s.prim")
		if len(got.errs) != 1 || !errors.Is(got.errs[0], wire.ErrBadHeaderLine) {
			t.Fatalf("want a bad header line, got %v", got.errs)
		}
	})
	t.Run("Content-Length header is ignored (D18)", func(t *testing.T) {
		got := read("content-length-header.c2s.prim")
		if len(got.errs) != 0 || len(got.msgs) != 1 || string(got.msgs[0].Body) != "Hello Alice" {
			t.Fatalf("want the SEND framed by its start line, got %v %v", got.msgs, got.errs)
		}
		if vs := wire.Validate(got.msgs[0], wire.ProfileClient); len(vs) != 0 {
			t.Errorf("an unknown header is no violation: %v", vs)
		}
	})
	t.Run("CRLF after a body is skipped (PRIM-A8.1-4)", func(t *testing.T) {
		got := read("trailing-crlf.c2s.prim")
		if len(got.errs) != 0 || len(got.msgs) != 2 || got.msgs[1].Method != "PING" {
			t.Fatalf("want LOGIN then PING, got %v %v", got.msgs, got.errs)
		}
	})
	for _, c := range []struct {
		file string
		p    wire.Profile
		want string
	}{
		{"response-dash-id.s2c.prim", wire.ProfileClient, "PRIM-A8.3-2"},
		{"starttls-with-body.c2s.prim", wire.ProfileClient, "PRIM-A10.3.2-5"},
		{"content-transfer-encoding.c2s.prim", wire.ProfileClient, "PRIM-A9.2.1-3"},
		{"login-without-from.c2s.prim", wire.ProfileClient, "PRIM-A10.3.1-2"},
		{"send-with-presence-version.c2s.prim", wire.ProfileClient, "PRIM-A8.2-1"},
	} {
		t.Run(c.file, func(t *testing.T) {
			got := read(c.file)
			if len(got.errs) != 0 || len(got.msgs) != 1 {
				t.Fatalf("want one well-framed command, got %v %v", got.msgs, got.errs)
			}
			if s := firstStatements(got.msgs[0], c.p); len(s) != 1 || s[0] != c.want {
				t.Errorf("violations %v, want exactly [%s]", s, c.want)
			}
		})
	}
	t.Run("huge content-length is fatal", func(t *testing.T) {
		got := read("huge-content-length.c2s.prim")
		if len(got.errs) != 1 || !errors.Is(got.errs[0], wire.ErrBodyTooLarge) || !got.errs[0].Fatal {
			t.Fatalf("want a fatal body-too-large error, got %v", got.errs)
		}
		if got.errs[0].ID != "5" || got.errs[0].Method != "SEND" {
			t.Errorf("the error should still carry the id and method: %+v", got.errs[0])
		}
	})
}

// The server-server examples carry what a server-server hop needs (AStrength on I2 relayed
// requests, Domain on LOGIN), and each client-link example travels a direction its method may take.
func TestExamplesOnTheirHop(t *testing.T) {
	hops := map[string]wire.Direction{
		"E1-login-cram-md5.c2s.prim": wire.ClientToServer, "C1-publish-leased.c2s.prim": wire.ClientToServer,
		"C2-remote-subscribe.c2s.prim": wire.ClientToServer, "C2-remote-subscribe.s2s-out.prim": wire.ServerToServer,
		"C4-send-inbox-closed.c2s.prim": wire.ClientToServer, "C5-no-response.s2c.prim": wire.ServerToClient,
		"C5-no-response.c2s.prim": wire.ClientToServer, "C6-listen.c2s.prim": wire.ClientToServer,
		"E4-s2s-login-cram-md5.out.prim": wire.ServerToServer, "C3-ss-subscribe-notify.in.prim": wire.ServerToServer,
		"C6-verifyserver.out.prim": wire.ServerToServer,
	}
	for name, d := range hops {
		for _, m := range decodeAll(readFixture(t, "fixtures/examples/prim/"+name), wire.DefaultLimits()).msgs {
			if vs := wire.ValidateHop(m, profileOf(name), d); len(vs) != 0 {
				t.Errorf("%s %s on %s: %v", name, m.StartLine(), d, vs)
			}
		}
	}
}
