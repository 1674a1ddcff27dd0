package wire_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/primlab/primlab/reference/wire"
)

// msg builds a message from a start line and "Name: value" headers, with an optional body.
func msg(t *testing.T, start string, body string, headers ...string) *wire.Message {
	t.Helper()
	f := strings.Fields(start)
	m := &wire.Message{Body: []byte(body)}
	if strings.Contains(f[0], "/") {
		m.Version, m.ID = f[0], f[1]
		if _, err := fmtSscan(f[3], &m.Code); err != nil {
			t.Fatal(err)
		}
		m.Phrase = strings.Join(f[4:], " ")
	} else {
		m.Method, m.Version, m.ID = f[0], f[1], f[2]
	}
	for _, h := range headers {
		n, v, _ := strings.Cut(h, ": ")
		m.Add(n, v)
	}
	return m
}

func statements(vs []wire.Violation) []string {
	var s []string
	for _, v := range vs {
		s = append(s, v.Statement)
	}
	return s
}

var (
	loginHdrs   = []string{"From: pres:suga@prim.fujitsu.com", "Auth-State: init", "SASL-Mech: CRAM-MD5 PLAIN"}
	ssLoginHdrs = []string{"Domain: prim.fujitsu.com", "Auth-State: init", "SASL-Mech: CRAM-MD5,PLAIN"}
	sendHdrs    = []string{"From: im:bob@example.org", "To: im:alice@example.net", "Message-ID: m1",
		"Conversation-ID: c1", "Content-Type: text/plain"}
	ssSendHdrs = append([]string{"Date: Mon, 26 Feb 2001 09:52:08 +0900"}, sendHdrs...)
	publish    = []string{"From: pres:alice@example.net", "Tuple-ID: pc-im", "Content-Type: application/presence"}
)

func with(base []string, extra ...string) []string {
	return append(append([]string(nil), base...), extra...)
}

func without(base []string, name string) []string {
	var out []string
	for _, h := range base {
		if !strings.HasPrefix(h, name+": ") {
			out = append(out, h)
		}
	}
	return out
}

func TestValidateRequests(t *testing.T) {
	C, S := wire.ProfileClient, wire.ProfileServer
	cases := []struct {
		name    string
		p       wire.Profile
		start   string
		body    string
		headers []string
		want    []string
	}{
		{"valid client LOGIN", C, "LOGIN PRIM-PR/1.0 1", "", loginHdrs, nil},
		{"valid SS LOGIN, comma list (D21)", S, "LOGIN PRIM/1.0 1", "", ssLoginHdrs, nil},
		{"LOGIN without From", C, "LOGIN PRIM-PR/1.0 1", "", without(loginHdrs, "From"), []string{"PRIM-A10.3.1-2"}},
		{"LOGIN without SASL-Mech", C, "LOGIN PRIM-PR/1.0 1", "", without(loginHdrs, "SASL-Mech"), []string{"PRIM-A12.1-1"}},
		{"SS LOGIN without Domain", S, "LOGIN PRIM/1.0 1", "", without(ssLoginHdrs, "Domain"), []string{"PRIM-S7.3.1-2"}},
		{"continuing LOGIN with two mechanisms", C, "LOGIN PRIM-PR/1.0 1", "",
			[]string{"From: pres:a@b", "Auth-State: continue", "SASL-Mech: CRAM-MD5 PLAIN"}, []string{"PRIM-A12.1-10"}},
		{"bad Auth-State", C, "LOGIN PRIM-PR/1.0 1", "", with(without(loginHdrs, "Auth-State"), "Auth-State: start"), []string{"PRIM-A10.3.1-8"}},
		{"bad mechanism name", C, "LOGIN PRIM-PR/1.0 1", "", with(without(loginHdrs, "SASL-Mech"), "SASL-Mech: CRAM/MD5"), []string{"I2 §9.1.4"}},
		{"unknown version (D1)", C, "LOGIN PRIM-XX/1.0 1", "", loginHdrs, []string{"PRIM-A8.2.2-1"}},
		{"major version 2 (D1)", C, "LOGIN PRIM-PR/2.0 1", "", loginHdrs, []string{"PRIM-A8.2.2-4"}},
		{"SS version in client profile", C, "LOGIN PRIM/1.0 1", "", loginHdrs, []string{"PRIM-A8.2.2-1"}},
		{"SEND with presence version", C, "SEND PRIM-PR/1.0 1", "hi", sendHdrs, []string{"PRIM-A8.2-1"}},
		{"SEND with id - (D6)", C, "SEND PRIM-IM/1.0 -", "hi", sendHdrs, []string{"PRIM-A8.2.3-3"}},
		{"PING with a real id (D6)", C, "PING PRIM-PR/1.0 7", "", nil, []string{"PRIM-A8.2.3-3"}},
		{"PING with a body", C, "PING PRIM-PR/1.0 -", "x", nil, []string{"PRIM-A9.2.1-1"}},
		{"STARTTLS with a body", S, "STARTTLS PRIM/1.0 1", "x", []string{"Content-Type: text/plain"}, []string{"PRIM-S7.3.2-4"}},
		{"SEND without a body", C, "SEND PRIM-IM/1.0 1", "", sendHdrs, []string{"I2 §10.2.1"}},
		{"SEND without Content-Type", C, "SEND PRIM-IM/1.0 1", "hi", without(sendHdrs, "Content-Type"), []string{"PRIM-A15-1"}},
		{"SEND without Message-ID", C, "SEND PRIM-IM/1.0 1", "hi", without(sendHdrs, "Message-ID"), []string{"PRIM-A9.4.1-1"}},
		{"Message-ID like an address (D9)", C, "SEND PRIM-IM/1.0 1", "hi", with(without(sendHdrs, "Message-ID"), "Message-ID: 20010226a@example.org"), nil},
		{"Content-Transfer-Encoding", C, "SEND PRIM-IM/1.0 1", "hi", with(sendHdrs, "Content-Transfer-Encoding: 8bit"), []string{"PRIM-A9.2.1-3"}},
		{"SS SEND without Date", S, "SEND PRIM/1.0 1", "hi", sendHdrs, []string{"SS §6.1.9"}},
		{"SS SEND with a pres: From", S, "SEND PRIM/1.0 1", "hi", with(without(ssSendHdrs, "From"), "From: pres:bob@example.org"), []string{"PRIM-S6.1.1-1"}},
		{"SS SEND with a pres: To", S, "SEND PRIM/1.0 1", "hi", with(without(ssSendHdrs, "To"), "To: pres:alice@example.net"), []string{"PRIM-S6.1.2-1"}},
		{"SS body without Content-Type", S, "SUBSCRIBE PRIM/1.0 1", "x",
			[]string{"From: pres:a@b", "To: pres:c@d", "Duration: 60", "Subscription-ID: s1", "Date: 5 Sep 2000 10:00 +0000"},
			[]string{"PRIM-S6.2.1-2"}},
		{"SS SUBSCRIBE without Subscription-ID", S, "SUBSCRIBE PRIM/1.0 1", "",
			[]string{"From: pres:a@b", "To: pres:c@d", "Duration: 60", "Date: Tue, 5 Sep 2000 10:00:00 -0500"},
			[]string{"PRIM-S6.3.2-1"}},
		{"Date with a named zone", S, "SUBSCRIBE PRIM/1.0 1", "",
			[]string{"From: pres:a@b", "To: pres:c@d", "Duration: 60", "Subscription-ID: s1", "Date: Tue, 5 Sep 2000 10:00:00 GMT"},
			[]string{"SS §6.1.9"}},
		{"ISO 8601 Date and lower-case names accepted (D24, PRIM-A14.5-2)", S, "SUBSCRIBE PRIM/1.0 1", "",
			[]string{"From: pres:a@b", "To: pres:c@d", "Duration: 0", "Subscription-ID: s1", "Date: 2001-06-01T08:35:44+09:00"}, nil},
		{"Duration not digits", C, "SUBSCRIBE PRIM-PR/1.0 1", "", []string{"From: pres:a@b", "To: pres:c@d", "Duration: 1h"}, []string{"I2 §9.3.3"}},
		{"SUBSCRIBE without Duration (D30)", C, "SUBSCRIBE PRIM-PR/1.0 1", "", []string{"From: pres:a@b", "To: pres:c@d"}, []string{"I2 §10.1.1"}},
		{"From without scheme", C, "FETCH PRIM-PR/1.0 1", "", []string{"From: a@b", "To: pres:c@d"}, []string{"PRIM-A7.1-1"}},
		{"escaped unreserved character", C, "FETCH PRIM-PR/1.0 1", "", []string{"From: pres:%61lice@b", "To: pres:c@d"}, []string{"PRIM-A7.1-1"}},
		{"escaped space in local part", C, "FETCH PRIM-PR/1.0 1", "", []string{"From: pres:%22Jane%20Smith%22@domain.com", "To: pres:c@d"}, nil},
		{"upper-case scheme (D38)", C, "FETCH PRIM-PR/1.0 1", "", []string{"From: PRES:joe@Example.Net", "To: pres:c@d"}, nil},
		{"valid leased PUBLISH", C, "PUBLISH PRIM-PR/1.0 1", "<x/>", with(publish, "PI-Type: leased", "Duration: 60", "Class: a b c"), nil},
		{"leased PUBLISH without Duration (D29)", C, "PUBLISH PRIM-PR/1.0 1", "<x/>", with(publish, "PI-Type: leased"), []string{"I2 §11.1.1"}},
		{"permanent PUBLISH with Duration", C, "PUBLISH PRIM-PR/1.0 1", "<x/>", with(publish, "PI-Type: permanent", "Duration: 60"), []string{"PRIM-A11.1.1-8"}},
		{"revert PUBLISH without body (D29)", C, "PUBLISH PRIM-PR/1.0 1", "", with(publish, "PI-Type: revert"), nil},
		{"PUBLISH without a body", C, "PUBLISH PRIM-PR/1.0 1", "", with(publish, "PI-Type: permanent"), []string{"PRIM-A11.1.1-1"}},
		{"bad PI-Type", C, "PUBLISH PRIM-PR/1.0 1", "<x/>", with(publish, "PI-Type: temporary"), []string{"I2 §9.3.4"}},
		{"Tuple-ID with : and @ (D22)", C, "REMOVE PRIM-PR/1.0 1", "", []string{"From: pres:a@b", "Tuple-ID: tel:+1-800-IGOTYOU"}, nil},
		{"WATCHERNOTIFY with a bad Watcher-Type (D27)", C, "WATCHERNOTIFY PRIM-PR/1.0 1", "",
			[]string{"From: pres:w@x", "To: pres:p@q", "Watcher-Type: unsubscribe"}, []string{"I2 §9.3.5"}},
		{"bad AStrength", C, "CANCELSUBSCRIPTION PRIM-PR/1.0 -", "", []string{"From: pres:a@b", "To: pres:c@d", "AStrength: high"}, []string{"I2 §9.1.7"}},
		{"VERIFYSERVER plain dotted quad (D16)", S, "VERIFYSERVER PRIM/1.0 v1", "", []string{"Server-Address: 192.0.2.7"}, nil},
		{"VERIFYSERVER IPv6", S, "VERIFYSERVER PRIM/1.0 v1", "", []string{"Server-Address: 2001:db8::7"}, nil},
		{"VERIFYSERVER bad address", S, "VERIFYSERVER PRIM/1.0 v1", "", []string{"Server-Address: 300.1.1.1"}, []string{"SS §6.1.7"}},
		{"Control method on S->S", S, "PUBLISH PRIM/1.0 1", "<x/>", publish, []string{"PRIM-A8.4-1"}},
		{"I2-only Base method on S->S (D8)", S, "FETCH PRIM/1.0 1", "", []string{"From: pres:a@b", "To: pres:c@d"}, []string{"SS §5.2.1"}},
		{"unknown method (D8)", C, "JUMP PRIM-PR/1.0 1", "", nil, []string{"PRIM-A8.2-1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := msg(t, c.start+" 0", c.body, c.headers...)
			if got := statements(wire.Validate(m, c.p)); !reflect.DeepEqual(got, c.want) {
				t.Errorf("violations %v, want %v\n%v", got, c.want, wire.Validate(m, c.p))
			}
		})
	}
}

func TestValidateResponses(t *testing.T) {
	C, S := wire.ProfileClient, wire.ProfileServer
	cases := []struct {
		name    string
		p       wire.Profile
		method  string
		start   string
		body    string
		headers []string
		want    []string
	}{
		{"LOGIN 100 with challenge", C, "LOGIN", "PRIM-PR/1.0 1 0 100 Authentication Continued", "<c>", []string{"SASL-Mech: CRAM-MD5"}, nil},
		{"LOGIN 100 without SASL-Mech", C, "LOGIN", "PRIM-PR/1.0 1 0 100 Authentication Continued", "<c>", nil, []string{"PRIM-A12.1-1"}},
		{"401 to LOGIN", C, "LOGIN", "PRIM-PR/1.0 1 0 401 Unauthorized", "", nil, []string{"PRIM-A8.3-3"}},
		{"response with id -", C, "FETCH", "PRIM-PR/1.0 - 0 403 Resource Not Found", "", nil, []string{"PRIM-A8.3-2"}},
		{"unknown code 405", C, "FETCH", "PRIM-PR/1.0 1 0 405 Method Not Allowed", "", nil, []string{"I2 §8.3"}},
		{"502 in the client profile", C, "SEND", "PRIM-IM/1.0 1 0 502 Bad Gateway", "", nil, []string{"I2 §8.3"}},
		{"502 in the server profile", S, "SEND", "PRIM/1.0 1 0 502 Bad Gateway", "", nil, nil},
		{"300 without Redirect", C, "FETCH", "PRIM-PR/1.0 1 0 300 Redirect", "", nil, []string{"PRIM-A9.1.5-1"}},
		{"300 with Redirect", C, "FETCH", "PRIM-PR/1.0 1 0 300 Redirect", "", []string{"Redirect: prim2.example.net 7777"}, nil},
		{"UNSUBSCRIBE 200 with a body", C, "UNSUBSCRIBE", "PRIM-PR/1.0 1 0 200 OK", "x",
			[]string{"From: pres:a@b", "To: pres:c@d"}, []string{"PRIM-A10.1.2-1"}},
		{"SS SUBSCRIBE 200 with a body (D25)", S, "SUBSCRIBE", "PRIM/1.0 1 0 200 OK", "x",
			[]string{"From: pres:a@b", "To: pres:c@d", "Duration: 60", "Subscription-ID: s", "Content-Type: text/plain"}, []string{"PRIM-S7.1.1-9"}},
		{"SS SUBSCRIBE 200 without Subscription-ID", S, "SUBSCRIBE", "PRIM/1.0 1 0 200 OK", "",
			[]string{"From: pres:a@b", "To: pres:c@d", "Duration: 60"}, []string{"PRIM-S6.3.2-1"}},
		{"a response to PING", C, "PING", "PRIM-PR/1.0 1 0 200 OK", "", nil, []string{"PRIM-A8.2.3-4"}},
		{"SEND answered in PRIM-PR (D34)", C, "SEND", "PRIM-PR/1.0 1 0 408 Inbox Is Closed", "", nil, []string{"PRIM-A8.2.2-1"}},
		{"phrase differs from the table (D4)", C, "SEND", "PRIM-IM/1.0 1 0 408 Closed", "", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := msg(t, c.start, c.body, c.headers...)
			if got := statements(wire.ValidateResponse(m, c.p, c.method)); !reflect.DeepEqual(got, c.want) {
				t.Errorf("violations %v, want %v\n%v", got, c.want, wire.ValidateResponse(m, c.p, c.method))
			}
		})
	}
}

func fmtSscan(s string, n *int) (int, error) { return fmt.Sscan(s, n) }

func TestValidateHop(t *testing.T) {
	C, S := wire.ProfileClient, wire.ProfileServer
	cases := []struct {
		name    string
		p       wire.Profile
		d       wire.Direction
		start   string
		body    string
		headers []string
		want    []string
	}{
		{"I2 S->S SUBSCRIBE without AStrength", C, wire.ServerToServer, "SUBSCRIBE PRIM-PR/1.0 a9", "",
			[]string{"From: pres:bob@example.org", "To: pres:alice@example.net", "Duration: 3600"}, []string{"PRIM-A9.1.7-1"}},
		{"C->S SUBSCRIBE needs no AStrength", C, wire.ClientToServer, "SUBSCRIBE PRIM-PR/1.0 3", "",
			[]string{"From: pres:bob@example.org", "To: pres:alice@example.net", "Duration: 3600"}, nil},
		{"I2 S->S LOGIN names a Domain, not a From", C, wire.ServerToServer, "LOGIN PRIM-PR/1.0 1", "",
			[]string{"Domain: example.org", "Auth-State: init", "SASL-Mech: ANONYMOUS"}, nil},
		{"I2 S->S LOGIN without Domain", C, wire.ServerToServer, "LOGIN PRIM-PR/1.0 1", "",
			[]string{"Auth-State: init", "SASL-Mech: ANONYMOUS"}, []string{"PRIM-A10.3.1-4"}},
		{"Control command on S->S", C, wire.ServerToServer, "LISTEN PRIM-IM/1.0 8", "",
			[]string{"From: im:alice@example.net"}, []string{"PRIM-A8.4-1"}},
		{"VERIFYSERVER from a client", C, wire.ClientToServer, "VERIFYSERVER PRIM-PR/1.0 1", "",
			[]string{"Server-Address: 192.0.2.7"}, []string{"PRIM-A8.4-2"}},
		{"NOTIFY from a client", C, wire.ClientToServer, "NOTIFY PRIM-PR/1.0 1", "<p/>",
			[]string{"From: pres:a@b", "To: pres:c@d", "Content-Type: application/presence"}, []string{"PRIM-A10.1.4-1"}},
		{"SS SEND", S, wire.ServerToServer, "SEND PRIM/1.0 1", "hi", ssSendHdrs, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := msg(t, c.start+" 0", c.body, c.headers...)
			if got := statements(wire.ValidateHop(m, c.p, c.d)); !reflect.DeepEqual(got, c.want) {
				t.Errorf("violations %v, want %v", got, c.want)
			}
		})
	}
}
