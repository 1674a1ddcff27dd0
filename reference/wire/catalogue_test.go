package wire_test

import (
	"reflect"
	"testing"

	"github.com/primlab/primlab/reference/wire"
)

// §3.11 with Decision D4: the Appendix A phrases, 503 for Version Not Supported.
func TestStatusCodes(t *testing.T) {
	for code, phrase := range map[int]string{
		100: "Authentication Continued", 101: "Unknown Delivery Status", 201: "Duration Adjusted",
		406: "Authentication Failed", 408: "Inbox Is Closed", 410: "Astrength Too Weak",
		500: "Internal Server Error", 501: "Not Implemented", 503: "Version Not Supported",
		505: "Too Many Subscriptions",
	} {
		if got := wire.Phrase(code); got != phrase {
			t.Errorf("Phrase(%d) = %q, want %q", code, got, phrase)
		}
	}
	for _, code := range []int{0, 102, 202, 405, 411, 506, 600} {
		if wire.Known(code) || wire.Phrase(code) != "" {
			t.Errorf("code %d must be unknown", code)
		}
	}
	if len(wire.Codes()) != 21 {
		t.Errorf("§3.11 defines 21 codes, Codes() has %d", len(wire.Codes()))
	}
	for _, c := range wire.Codes() {
		if !wire.Known(c) || wire.ServerOnly(c) != (c == 502 || c == 504) {
			t.Errorf("code %d: Known %v ServerOnly %v", c, wire.Known(c), wire.ServerOnly(c))
		}
		if wire.KnownIn(wire.ProfileClient, c) == wire.ServerOnly(c) || !wire.KnownIn(wire.ProfileServer, c) {
			t.Errorf("code %d: wrong profile membership", c)
		}
	}
	if wire.StatusVersionNotSupported != 503 || wire.StatusTooManySubscriptions != 505 {
		t.Error("Decision D4: 503 is Version Not Supported, 505 Too Many Subscriptions")
	}
}

func TestMethodSets(t *testing.T) {
	// §3.9.1: the I2 method set and the SS subset.
	client := []string{"CANCELSUBSCRIPTION", "FETCH", "GETACL", "GETCLASSTABLE", "LISTEN", "LOGIN", "LOGOUT",
		"NOTIFY", "PING", "PUBLISH", "REMOVE", "SEND", "SETACL", "SETCLASSTABLE", "SILENCE", "STARTTLS",
		"STARTWATCHERNOTIFY", "STOPWATCHERNOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "VERIFYSERVER", "WATCHERNOTIFY"}
	server := []string{"LOGIN", "LOGOUT", "NOTIFY", "PING", "SEND", "STARTTLS", "SUBSCRIBE", "UNSUBSCRIBE", "VERIFYSERVER"}
	if got := wire.Methods(wire.ProfileClient); !reflect.DeepEqual(got, client) {
		t.Errorf("client methods %v", got)
	}
	if got := wire.Methods(wire.ProfileServer); !reflect.DeepEqual(got, server) {
		t.Errorf("server methods %v", got)
	}
	if _, ok := wire.LookupMethod(wire.ProfileClient, "login"); ok {
		t.Error("method names are case-sensitive")
	}
	for _, p := range []wire.Profile{wire.ProfileClient, wire.ProfileServer} {
		for _, name := range wire.Methods(p) {
			s, _ := wire.LookupMethod(p, name)
			noResp := name == "LOGOUT" || name == "PING" || name == "CANCELSUBSCRIPTION"
			if s.Response == noResp {
				t.Errorf("%s %s: Response = %v", p, name, s.Response)
			}
			// PRIM-A8.4-1: Control commands never cross server-server links.
			if s.Class == wire.ClassControl && (p == wire.ProfileServer || s.Goes(wire.ServerToServer)) {
				t.Errorf("%s %s: a Control method on a server-server link", p, name)
			}
			// PRIM-A8.3-3: 401 never answers LOGIN; 402 never answers LOGIN, STARTTLS, PING.
			if s.MayReturn(401) == (name == "LOGIN") && s.Response {
				t.Errorf("%s %s: MayReturn(401) = %v", p, name, s.MayReturn(401))
			}
			if s.MayReturn(402) && (name == "LOGIN" || name == "STARTTLS") {
				t.Errorf("%s %s may not return 402", p, name)
			}
			if p == wire.ProfileClient && (s.MayReturn(502) || s.MayReturn(504)) {
				t.Errorf("client %s: 502/504 are SS only", name)
			}
		}
	}
}

// The request-body column of §3.9.1.
func TestMethodBodies(t *testing.T) {
	want := map[string]wire.BodyRule{
		"SUBSCRIBE": wire.BodyForbidden, "UNSUBSCRIBE": wire.BodyForbidden, "FETCH": wire.BodyForbidden,
		"NOTIFY": wire.BodyRequired, "CANCELSUBSCRIPTION": wire.BodyForbidden, "PUBLISH": wire.BodyRequired,
		"REMOVE": wire.BodyForbidden, "SETCLASSTABLE": wire.BodyRequired, "GETCLASSTABLE": wire.BodyForbidden,
		"STARTWATCHERNOTIFY": wire.BodyForbidden, "STOPWATCHERNOTIFY": wire.BodyForbidden,
		"WATCHERNOTIFY": wire.BodyForbidden, "SEND": wire.BodyRequired, "LISTEN": wire.BodyForbidden,
		"SILENCE": wire.BodyForbidden, "LOGIN": wire.BodyOptional, "LOGOUT": wire.BodyForbidden,
		"STARTTLS": wire.BodyForbidden, "PING": wire.BodyForbidden, "VERIFYSERVER": wire.BodyForbidden,
		"SETACL": wire.BodyRequired, "GETACL": wire.BodyForbidden,
	}
	for name, rule := range want {
		s, ok := wire.LookupMethod(wire.ProfileClient, name)
		if !ok || s.RequestBody != rule {
			t.Errorf("client %s: body %v, want %v", name, s.RequestBody, rule)
		}
	}
	// PRIM-S7.1.1-1: in SS a SUBSCRIBE may carry a body.
	if s, _ := wire.LookupMethod(wire.ProfileServer, "SUBSCRIBE"); s.RequestBody != wire.BodyOptional {
		t.Errorf("SS SUBSCRIBE body %v", s.RequestBody)
	}
	// Decision D25: I2 SUBSCRIBE 200 and 201 carry presence; SS never.
	ci, _ := wire.LookupMethod(wire.ProfileClient, "SUBSCRIBE")
	ss, _ := wire.LookupMethod(wire.ProfileServer, "SUBSCRIBE")
	if !ci.BodyAllowedIn(200) || !ci.BodyAllowedIn(201) || ci.BodyAllowedIn(402) || ss.BodyAllowedIn(200) {
		t.Error("SUBSCRIBE response bodies do not follow Decision D25")
	}
}

func TestVersions(t *testing.T) {
	for _, c := range []struct {
		p       wire.Profile
		method  string
		version string
	}{
		{wire.ProfileClient, "SUBSCRIBE", "PRIM-PR/1.0"}, {wire.ProfileClient, "SEND", "PRIM-IM/1.0"},
		{wire.ProfileClient, "LISTEN", "PRIM-IM/1.0"}, {wire.ProfileClient, "LOGIN", "PRIM-PR/1.0"},
		{wire.ProfileServer, "SEND", "PRIM/1.0"}, {wire.ProfileServer, "NOTIFY", "PRIM/1.0"},
	} {
		if got := wire.VersionFor(c.p, c.method); got != c.version {
			t.Errorf("VersionFor(%s, %s) = %q, want %q", c.p, c.method, got, c.version)
		}
	}
	// §3.3: presence methods need PRIM-PR, IM methods PRIM-IM, general methods either.
	for _, c := range []struct {
		p               wire.Profile
		version, method string
		ok              bool
	}{
		{wire.ProfileClient, "PRIM-PR/1.0", "NOTIFY", true},
		{wire.ProfileClient, "PRIM-IM/1.0", "NOTIFY", false},
		{wire.ProfileClient, "PRIM-PR/1.0", "SEND", false},
		{wire.ProfileClient, "PRIM-IM/1.0", "LOGIN", true},
		{wire.ProfileClient, "PRIM-IM/2.3", "SILENCE", true},
		{wire.ProfileClient, "PRIM/1.0", "LOGIN", false},
		{wire.ProfileServer, "PRIM/1.0", "SEND", true},
		{wire.ProfileServer, "PRIM-PR/1.0", "SUBSCRIBE", false},
		{wire.ProfileClient, "PP/1.0", "LOGIN", false},
	} {
		if got := wire.VersionMatches(c.p, c.version, c.method); got != c.ok {
			t.Errorf("VersionMatches(%s, %q, %s) = %v", c.p, c.version, c.method, got)
		}
	}
	if svc, p, ok := wire.ServiceOf("PRIM-IM/1.0"); !ok || svc != wire.ServiceIM || p != wire.ProfileClient {
		t.Errorf("ServiceOf(PRIM-IM/1.0) = %v %v %v", svc, p, ok)
	}
	if _, _, ok := wire.ServiceOf("IMP/1.0"); ok {
		t.Error("the historical IMP/1.0 belongs to no profile")
	}
	if wire.MajorVersion("PRIM/12.0") != 12 || wire.MajorVersion("PRIM") != -1 {
		t.Error("MajorVersion")
	}
}

// PRIM-A18-6: classes follow HTTP/1.1.
func TestCodeClass(t *testing.T) {
	for code, class := range map[int]int{100: 1, 101: 1, 200: 2, 201: 2, 300: 3, 400: 4, 410: 4, 500: 5, 505: 5} {
		if got := wire.CodeClass(code); got != class {
			t.Errorf("CodeClass(%d) = %d, want %d", code, got, class)
		}
	}
}
