package client

import (
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/primlab/primlab/reference/addr"
	"github.com/primlab/primlab/reference/engine"
)

// Identifiers a user types are put in the wire form of prim-digest.md §3.8 (PRIM-A7.1-1,
// PRIM-A7.1-2, PRIM-A7.1-6, Decision D38), or refused with a reason.
func TestTypedIdentifiers(t *testing.T) {
	for _, tc := range []struct {
		typed string
		want  string // wire form; empty: refused
		err   string // part of the refusal
	}{
		{typed: "bob@example.com", want: "pres:bob@example.com"},                                  // PRIM-A7.1-6
		{typed: "pres:bob smith@example.com", want: "pres:bob%20smith@example.com"},               // PRIM-A7.1-1
		{typed: `im:"Jane Smith"@domain.com`, want: "im:%22Jane%20Smith%22@domain.com"},           // §3.8 example
		{typed: "PRES:Bob@Example.COM", want: "pres:Bob@Example.COM"},                             // D38: scheme lower-case on output
		{typed: "Im:bob@example.com", want: "im:bob@example.com"},                                 // the typed scheme wins
		{typed: "bob%20smith@example.com", want: "pres:bob%20smith@example.com"},                  // typed escapes kept
		{typed: "bob%2fsmith%2e@example.com", want: "pres:bob/smith.@example.com"},                // PRIM-A7.1-2
		{typed: "bob%7csmith@example.com", want: "pres:bob%7Csmith@example.com"},                  // upper-case hex
		{typed: "50%@example.com", want: "pres:50%25@example.com"},                                // "%" starting no escape
		{typed: "a@b@example.com", want: "pres:a%40b@example.com"},                                // PRIM-A7.1-5: one address
		{typed: "o'neil(w)*@example.com", want: "pres:o'neil%28w%29*@example.com"},                // ( ) are not unreserved in §3.8
		{typed: "a!$&'*.+-/=?_~z@example.com", want: "pres:a!$&'*.+-/=?_~z@example.com"},          // all of unreserved, as is
		{typed: "josé@example.com", want: "pres:jos%C3%A9@example.com"},                           // UTF-8 octets escaped
		{typed: "bob@bücher.example", want: "pres:bob@b%C3%BCcher.example"},                       // IDN-friendly domain-label
		{typed: "bob@exa%4dple.com", want: "pres:bob@exaMple.com"},                                // PRIM-A7.1-2 in the domain
		{typed: "", err: "empty identifier"},                                                      //
		{typed: "bob", err: `missing "@"`},                                                        //
		{typed: "sip:bob@example.com", err: `scheme "sip" is neither pres nor im`},                //
		{typed: "a:b@example.com", err: `scheme "a" is neither pres nor im`},                      //
		{typed: "bob@exa mple.com", err: `' ' cannot be part of a domain name (PRIM-A7.1-4)`},     //
		{typed: "bob@(example).com", err: `'(' cannot be part of a domain name (PRIM-A7.1-4)`},    //
		{typed: "@example.com", err: "cannot be made valid"},                                      // empty local part
		{typed: "pres:@example.com", err: "cannot be made valid"},                                 //
		{typed: "bob@", err: "cannot be made valid"},                                              // empty domain
		{typed: "bob@example..com", err: "cannot be made valid"},                                  // empty label
		{typed: "bob@" + strings.Repeat("a", 64) + ".com", err: "not a valid domain name"},        // label over 63 octets
		{typed: "pres:bob@example.com:7000", err: `':' cannot be part of a domain name`},          //
		{typed: "bob smith@example.com\r\nX-Injected: 1", err: "cannot be part of a domain name"}, // no header injection
	} {
		got, err := wireID(Presence, tc.typed)
		switch {
		case tc.want != "" && err != nil:
			t.Errorf("wireID(%q): %v, want %q", tc.typed, err, tc.want)
		case tc.want != "" && got != tc.want:
			t.Errorf("wireID(%q) = %q, want %q", tc.typed, got, tc.want)
		case tc.want == "" && err == nil:
			t.Errorf("wireID(%q) = %q, want a refusal containing %q", tc.typed, got, tc.err)
		case tc.want == "" && !strings.Contains(err.Error(), tc.err):
			t.Errorf("wireID(%q): %v, want an error containing %q", tc.typed, err, tc.err)
		}
	}
	if got, err := principalID("PRES:bob smith@example.com"); err != nil || got != "bob%20smith@example.com" {
		t.Errorf("principalID: %q, %v; want bob%%20smith@example.com", got, err)
	}
}

// Whatever a user types, what the client accepts parses under the client profile's strict
// grammar (§3.8) and is a fixed point: sending it again sends it unchanged. Without "%" in the
// local part (and no "@" after it), unescaping gives back exactly what was typed.
func TestTypedIdentifierProperties(t *testing.T) {
	chars := []rune("ab.-_~!$&'*+/=?% \"()<>,;:@[]\\\x00\x7féü中")
	part := rapid.SliceOfN(rapid.SampledFrom(chars), 0, 12)
	rapid.Check(t, func(t *rapid.T) {
		scheme := rapid.SampledFrom([]string{"", "pres:", "im:", "PRES:", "Im:"}).Draw(t, "scheme")
		local := string(part.Draw(t, "local"))
		domain := string(part.Draw(t, "domain"))
		typed := scheme + local + "@" + domain
		got, err := wireID(IM, typed)
		if err != nil {
			return
		}
		id, perr := addr.Parse(got)
		if perr != nil {
			t.Fatalf("wireID(%q) = %q, which does not parse: %v", typed, got, perr)
		}
		if again, err := wireID(IM, got); err != nil || again != got {
			t.Fatalf("wireID(%q) = %q, but wireID(%q) = %q, %v", typed, got, got, again, err)
		}
		if scheme == "" && id.Scheme != "im" {
			t.Fatalf("wireID(%q) = %q: want the default scheme im", typed, got)
		}
		if !strings.Contains(local, "%") && !strings.Contains(domain, "@") && addr.Unescape(id.Local) != local {
			t.Fatalf("wireID(%q) = %q: local part %q does not unescape to %q", typed, got, id.Local, local)
		}
	})
}

// On the engine: what the user types is escaped in SUBSCRIBE, FETCH, UNSUBSCRIBE, SEND and
// LOGIN; an identifier that cannot be made valid is refused locally with nothing sent.
func TestEngineEscapesTypedIdentifiers(t *testing.T) {
	r := loggedIn(t, Config{})
	r.call(Tagged{Tag: "s", Op: Subscribe{To: "pres:bob smith@example.org", Duration: 60}},
		"write c1\nSUBSCRIBE PRIM-PR/1.0 5 0\nFrom: pres:alice@example.net\nTo: pres:bob%20smith@example.org\nDuration: 60\n\n\n")
	r.call(Tagged{Tag: "u", Op: Unsubscribe{To: "bob smith@example.org"}},
		"write c1\nUNSUBSCRIBE PRIM-PR/1.0 6 0\nFrom: pres:alice@example.net\nTo: pres:bob%20smith@example.org\n\n\n")
	r.call(Tagged{Tag: "f", Op: Fetch{To: "bob smith@exa mple.org"}},
		"fact result op=fetch tag=f code=0 err=\"refused: identifier \\\"bob smith@exa mple.org\\\": domain \\\"exa mple.org\\\": ' ' cannot be part of a domain name (PRIM-A7.1-4)\"\n")
	r.call(Tagged{Tag: "m", Op: Send{To: `"Jane Smith"@example.org`, ReplyTo: "im:jane (home)@example.org", Body: []byte("hi"),
		MessageID: "m1@example.net", ConversationID: "c1"}},
		"write c2\nSEND PRIM-IM/1.0 7 2\nFrom: im:alice@example.net\nTo: im:%22Jane%20Smith%22@example.org\nMessage-ID: m1@example.net\nConversation-ID: c1\n"+
			"Reply-To: im:jane%20%28home%29@example.org\nContent-Type: text/plain; charset=UTF-8\n\nhi\n")
	r.call(Tagged{Tag: "n", Op: Send{To: "jane@example.org", ReplyTo: "nobody", Body: []byte("hi")}},
		"fact result op=send tag=n code=0 err=\"refused: identifier \\\"nobody\\\": missing \\\"@\\\" between local part and domain (§3.8)\"\n")

	// The principal is escaped too: in From and in the SASL user name.
	p := newRig(t, Config{Services: []Service{Presence}, Mechs: "PLAIN"})
	p.call(Tagged{Tag: "x", Op: Login{ID: "sip:alice@example.net"}},
		"fact result op=login tag=x code=0 err=\"refused: identifier \\\"sip:alice@example.net\\\": scheme \\\"sip\\\" is neither pres nor im (§2.6)\"\n")
	p.call(Login{ID: "PRES:Alice Liddell@example.net", Password: "pw"}, "dial pres home.example:7000\n")
	p.step(engine.Opened{Conn: 1, Tag: "pres"},
		"write c1\nLOGIN PRIM-PR/1.0 1 0\nFrom: pres:Alice%20Liddell@example.net\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
	p.server(1, "PRIM-PR/1.0 1 0 100 Authentication Continued\nSASL-Mech: PLAIN\n\n",
		"write c1\nLOGIN PRIM-PR/1.0 2 31\nFrom: pres:Alice%20Liddell@example.net\nAuth-State: continue\nSASL-Mech: PLAIN\nContent-Type: text/plain\n\nAlice%20Liddell@example.net\npw\n")

	// A Config.ID that cannot be made valid is reported when the user logs in without one.
	q := newRig(t, Config{Services: []Service{Presence}, ID: "alice"})
	q.call(Tagged{Tag: "l", Op: Login{Password: "pw"}},
		"fact result op=login tag=l code=0 err=\"no principal: Config.ID refused: identifier \\\"alice\\\": missing \\\"@\\\" between local part and domain (§3.8)\"\n")
}
