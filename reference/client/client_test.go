package client

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/wire"
)

// The tests drive the engine the way a shell would and compare a transcript of what it did.
// Transcripts are written with \n; wire text is converted to CRLF (the net/smtp test style).
// Each Write renders as "write cN" followed by the message, one header per line, and the body
// after an empty line; facts render as "fact <line>".

var t0 = time.Date(2001, 2, 26, 0, 52, 8, 0, time.UTC)

type rig struct {
	t *testing.T
	c *Client
}

func newRig(t *testing.T, cfg Config) *rig {
	t.Helper()
	if cfg.Server == "" {
		cfg.Server = "home.example:7000"
	}
	return &rig{t: t, c: New(cfg, rand.New(rand.NewPCG(1, 2)))}
}

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

func render(acts []engine.Action) string {
	var b strings.Builder
	for _, a := range acts {
		switch a := a.(type) {
		case engine.Write:
			fmt.Fprintf(&b, "write %s\n%s\n", a.Conn, strings.ReplaceAll(string(a.Data), "\r\n", "\n"))
		case engine.Dial:
			fmt.Fprintf(&b, "dial %s %s\n", a.Tag, a.Addr)
		case engine.Close:
			fmt.Fprintf(&b, "close %s abort=%v\n", a.Conn, a.Abort)
		case engine.StartTLS:
			fmt.Fprintf(&b, "starttls %s client=%v\n", a.Conn, a.Client)
		case engine.Observe:
			fmt.Fprintf(&b, "fact %s\n", a.Fact)
		default:
			fmt.Fprintf(&b, "%T\n", a)
		}
	}
	return b.String()
}

func (r *rig) step(ev engine.Event, want string) {
	r.t.Helper()
	got := render(r.c.Handle(t0, ev))
	if got != want {
		r.t.Fatalf("after %T:\n--- got ---\n%s--- want ---\n%s", ev, got, want)
	}
}

func (r *rig) call(op any, want string) { r.t.Helper(); r.step(engine.Call{Op: op}, want) }

func (r *rig) server(conn engine.ConnID, text, want string) {
	r.t.Helper()
	r.step(engine.Bytes{Conn: conn, Data: crlf(text)}, want)
}

// loggedIn brings a two-connection client to authenticated with PLAIN: c1 presence, c2 IM.
func loggedIn(t *testing.T, cfg Config) *rig {
	r := newRig(t, cfg)
	r.call(Login{ID: "alice@example.net", Password: "pw", Mech: "PLAIN"},
		"dial pres home.example:7000\ndial im home.example:7000\n")
	r.step(engine.Opened{Conn: 1, Tag: "pres"}, `write c1
LOGIN PRIM-PR/1.0 1 0
From: pres:alice@example.net
Auth-State: init
SASL-Mech: PLAIN


`)
	r.step(engine.Opened{Conn: 2, Tag: "im"}, `write c2
LOGIN PRIM-IM/1.0 2 0
From: im:alice@example.net
Auth-State: init
SASL-Mech: PLAIN


`)
	r.server(1, "PRIM-PR/1.0 1 0 100 Authentication Continued\nSASL-Mech: PLAIN\n\n", `write c1
LOGIN PRIM-PR/1.0 3 21
From: pres:alice@example.net
Auth-State: continue
SASL-Mech: PLAIN
Content-Type: text/plain

alice@example.net
pw
`)
	r.server(2, "PRIM-IM/1.0 2 0 100 Authentication Continued\nSASL-Mech: PLAIN\n\n", `write c2
LOGIN PRIM-IM/1.0 4 21
From: im:alice@example.net
Auth-State: continue
SASL-Mech: PLAIN
Content-Type: text/plain

alice@example.net
pw
`)
	r.server(1, "PRIM-PR/1.0 3 0 200 OK\n\n", "")
	r.server(2, "PRIM-IM/1.0 4 0 200 OK\n\n", "fact result op=login id=4 code=200 phrase=\"OK\"\n")
	return r
}

// PRIM-A10.3.1-1, -2, PRIM-A12.1-5, -9, -10, -16, Decision D10: two-step CRAM-MD5 with the
// RFC 2195 test vector (challenge and pass phrase), in PRIM's "user CRLF digest" layout.
func TestLoginCRAMMD5(t *testing.T) {
	r := newRig(t, Config{Services: []Service{Presence}})
	r.call(Tagged{Tag: "t1", Op: Login{ID: "pres:tim@example.net", Password: "tanstaaftanstaaf"}},
		"dial pres home.example:7000\n")
	r.step(engine.Opened{Conn: 1, Tag: "pres"}, `write c1
LOGIN PRIM-PR/1.0 1 0
From: pres:tim@example.net
Auth-State: init
SASL-Mech: CRAM-MD5 PLAIN


`)
	r.server(1, "PRIM-PR/1.0 1 42 100 Authentication Continued\nFrom: pres:tim@example.net\nAuth-State: init\nSASL-Mech: CRAM-MD5\n\n<1896.697170952@postoffice.reston.mci.net>", `write c1
LOGIN PRIM-PR/1.0 2 49
From: pres:tim@example.net
Auth-State: continue
SASL-Mech: CRAM-MD5
Content-Type: text/plain

tim@example.net
b913a602c7eda7a495b4e6e7334d3890
`)
	r.server(1, "PRIM-PR/1.0 2 0 200 OK\n\n", "fact result op=login tag=t1 id=2 code=200 phrase=\"OK\"\n")
}

// PRIM-A12.1-15: after 406 the UA sends nothing more on the connection.
func TestLoginFailedStopsRequests(t *testing.T) {
	r := newRig(t, Config{Services: []Service{Presence}, Mechs: "PLAIN"})
	r.call(Login{ID: "bob@example.org", Password: "bad"}, "dial pres home.example:7000\n")
	r.step(engine.Opened{Conn: 1, Tag: "pres"}, "write c1\nLOGIN PRIM-PR/1.0 1 0\nFrom: pres:bob@example.org\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
	r.server(1, "PRIM-PR/1.0 1 0 100 Authentication Continued\nSASL-Mech: PLAIN\n\n",
		"write c1\nLOGIN PRIM-PR/1.0 2 20\nFrom: pres:bob@example.org\nAuth-State: continue\nSASL-Mech: PLAIN\nContent-Type: text/plain\n\nbob@example.org\nbad\n")
	r.server(1, "PRIM-PR/1.0 2 0 406 Authentication Failed\n\n",
		"fact result op=login id=2 code=406 phrase=\"Authentication Failed\"\nclose c1 abort=false\n")
	r.call(Fetch{To: "alice@example.net"},
		"fact result op=fetch code=0 err=\"authentication failed: no further requests on this connection (PRIM-A12.1-15)\"\n")
	r.step(engine.Closed{Conn: 1}, "fact disconnected service=pres\n")
}

// 300 Redirect to LOGIN: reconnect to the Redirect address and log in there (I2 §9.1.5).
func TestLoginRedirect(t *testing.T) {
	r := newRig(t, Config{Services: []Service{Presence}, Mechs: "PLAIN"})
	r.call(Login{ID: "bob@example.org", Password: "pw"}, "dial pres home.example:7000\n")
	r.step(engine.Opened{Conn: 1, Tag: "pres"}, "write c1\nLOGIN PRIM-PR/1.0 1 0\nFrom: pres:bob@example.org\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
	r.server(1, "PRIM-PR/1.0 1 0 300 Redirect\nRedirect: other.example 7100\n\n",
		"close c1 abort=false\ndial pres@other.example:7100 other.example:7100\n")
	r.step(engine.Closed{Conn: 1}, "") // closed on purpose: no disconnected fact
	r.step(engine.Opened{Conn: 2, Tag: "pres@other.example:7100"},
		"write c2\nLOGIN PRIM-PR/1.0 2 0\nFrom: pres:bob@example.org\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
	r.server(2, "PRIM-PR/1.0 2 0 200 OK\n\n", "fact result op=login id=2 code=200 phrase=\"OK\"\n")
}

// Requests are pipelined and responses may come back in any order (prim-digest.md §3.5);
// Decision D25: the SUBSCRIBE 200/201 body carries the presence.
func TestPipelinedResponsesOutOfOrder(t *testing.T) {
	r := loggedIn(t, Config{})
	r.call(Tagged{Tag: "s", Op: Subscribe{To: "bob@example.org", Duration: 3600}},
		"write c1\nSUBSCRIBE PRIM-PR/1.0 5 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\nDuration: 3600\n\n\n")
	r.call(Tagged{Tag: "f", Op: Fetch{To: "pres:carol@example.org"}},
		"write c1\nFETCH PRIM-PR/1.0 6 0\nFrom: pres:alice@example.net\nTo: pres:carol@example.org\n\n\n")
	body := "<presence identifier=\"pres:carol@example.org\" date=\"Mon, 26 Feb 2001 09:52:08 +0900\">\n<contact address=\"im:carol@example.org\"><display-name>IM</display-name><status value=\"closed\"/><note>away</note></contact>\n</presence>"
	r.server(1, fmt.Sprintf("PRIM-PR/1.0 6 %d 200 OK\nFrom: pres:alice@example.net\nTo: pres:carol@example.org\nContent-Type: application/presence\nTuple-ID: pc\n\n%s", len(crlf(body)), body),
		"fact result op=fetch tag=f id=6 code=200 phrase=\"OK\" tuples=[pc=closed<im:carol@example.org> \"away\"]\n")
	multi := "--b1\nContent-Type: application/presence\nTuple-ID: pc-im\n\n<presence identifier=\"pres:bob@example.org\" date=\"Mon, 26 Feb 2001 09:52:08 +0900\">\n<contact address=\"im:bob@example.org\"><display-name>IM</display-name><status value=\"open\"/></contact>\n</presence>\n--b1--"
	r.server(1, fmt.Sprintf("PRIM-PR/1.0 5 %d 201 Duration Adjusted\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\nDuration: 1800\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n%s", len(crlf(multi)), multi),
		"fact result op=subscribe tag=s id=5 code=201 phrase=\"Duration Adjusted\" duration=1800 tuples=[pc-im=open<im:bob@example.org>]\n")
	// A response with an id nobody used is reported, not matched (prim-digest.md §3.12 step 6).
	r.server(1, "PRIM-PR/1.0 99 0 200 OK\n\n",
		"fact protocol-error service=pres err=\"response \\\"PRIM-PR/1.0 99 0 200 OK\\\" matches no outstanding request\"\n")
}

// The server's NOTIFY gets 200 echoing From and To; an unreadable body gets 400 (I2 §10.1.4).
func TestNotify(t *testing.T) {
	r := loggedIn(t, Config{})
	doc := "<presence identifier=\"pres:bob@example.org\" date=\"Mon, 26 Feb 2001 09:52:08 +0900\"><contact address=\"im:bob@example.org\"><display-name>IM</display-name><status value=\"open\" details=\"deferred\"/></contact></presence>"
	r.server(1, fmt.Sprintf("NOTIFY PRIM-PR/1.0 n7 %d\nFrom: pres:bob@example.org\nTo: pres:alice@example.net\nContent-Type: application/presence\nTuple-ID: pc-im\n\n%s", len(doc), doc),
		"write c1\nPRIM-PR/1.0 n7 0 200 OK\nFrom: pres:bob@example.org\nTo: pres:alice@example.net\n\n\n"+
			"fact notify from=pres:bob@example.org to=pres:alice@example.net tuples=[pc-im=open/deferred<im:bob@example.org>]\n")
	r.server(1, "NOTIFY PRIM-PR/1.0 n8 5\nFrom: pres:bob@example.org\nTo: pres:alice@example.net\nContent-Type: application/presence\n\n<pres",
		"write c1\nPRIM-PR/1.0 n8 0 400 Bad Request\nFrom: pres:bob@example.org\nTo: pres:alice@example.net\n\n\n"+
			"fact notify from=pres:bob@example.org to=pres:alice@example.net tuples=[] err=\"pidf: invalid document: application/presence: not well-formed XML: XML syntax error on line 1: unexpected EOF\"\n")
	// PRIM-A14.4.4-1: a status other than open or closed is not valid presence either.
	bad := strings.Replace(doc, `value="open"`, `value="busy"`, 1)
	r.server(1, fmt.Sprintf("NOTIFY PRIM-PR/1.0 n9 %d\nFrom: pres:bob@example.org\nTo: pres:alice@example.net\nContent-Type: application/presence\nTuple-ID: pc-im\n\n%s", len(bad), bad),
		"write c1\nPRIM-PR/1.0 n9 0 400 Bad Request\nFrom: pres:bob@example.org\nTo: pres:alice@example.net\n\n\n"+
			"fact notify from=pres:bob@example.org to=pres:alice@example.net tuples=[] err=\"pidf: invalid document: application/presence: status value \\\"busy\\\" is not open or closed (PRIM-A14.4.4-1)\"\n")
	// PRIM-A14.2-2: every part of a multipart body names its tuple.
	multi := "--b\nContent-Type: application/presence\n\n" + doc + "\n--b--"
	r.server(1, fmt.Sprintf("NOTIFY PRIM-PR/1.0 n10 %d\nFrom: pres:bob@example.org\nTo: pres:alice@example.net\nContent-Type: multipart/mixed; boundary=b\n\n%s", len(crlf(multi)), multi),
		"write c1\nPRIM-PR/1.0 n10 0 400 Bad Request\nFrom: pres:bob@example.org\nTo: pres:alice@example.net\n\n\n"+
			"fact notify from=pres:bob@example.org to=pres:alice@example.net tuples=[] err=\"pidf: invalid document: part 0 has no Tuple-ID header (PRIM-A14.2-2)\"\n")
}

// Requests without responses (Decision D6): CANCELSUBSCRIPTION, PING and LOGOUT are never
// answered, whatever their id; an unknown method gets 501 (Decision D8).
func TestServerRequestsWithoutResponse(t *testing.T) {
	r := loggedIn(t, Config{})
	r.server(1, "CANCELSUBSCRIPTION PRIM-PR/1.0 - 0\nFrom: pres:bob@example.org\nTo: pres:alice@example.net\nAStrength: strong\n\n",
		"fact cancelled from=pres:bob@example.org to=pres:alice@example.net\n")
	r.server(1, "CANCELSUBSCRIPTION PRIM-PR/1.0 12 0\nFrom: pres:bob@example.org\nTo: pres:alice@example.net\n\n",
		"fact cancelled from=pres:bob@example.org to=pres:alice@example.net\n")
	r.server(1, "PING PRIM-PR/1.0 - 0\n\n", "")
	r.server(1, "PING PRIM-PR/1.0 13 0\n\n", "")
	r.server(1, "FROBNICATE PRIM-PR/1.0 14 0\n\n", "write c1\nPRIM-PR/1.0 14 0 501 Not Implemented\n\n\n")
	r.server(1, "FROBNICATE PRIM-PR/1.0 - 0\n\n", "")
	r.server(1, "WATCHERNOTIFY PRIM-PR/1.0 w1 0\nFrom: pres:carol@example.org\nTo: pres:alice@example.net\nWatcher-Type: subscribe\n\n",
		"write c1\nPRIM-PR/1.0 w1 0 200 OK\nFrom: pres:carol@example.org\nTo: pres:alice@example.net\n\n\nfact watcher from=pres:carol@example.org to=pres:alice@example.net type=subscribe\n")
}

// A SEND is accepted with 200 only while the client listens (PRIM-A11.2.1-1); otherwise the
// inbox is closed on this connection (408). Config.InboxCode hides an open inbox
// (PRIM-A10.2.1-3).
func TestIncomingSend(t *testing.T) {
	send := "SEND PRIM-IM/1.0 s1 5\nFrom: im:bob@example.org\nTo: im:alice@example.net\nMessage-ID: m1\nConversation-ID: c1\nContent-Type: text/plain\n\nHello"
	echo := "From: im:bob@example.org\nTo: im:alice@example.net\nMessage-ID: m1\nConversation-ID: c1\n\n\n"
	r := loggedIn(t, Config{})
	r.server(2, send, "write c2\nPRIM-IM/1.0 s1 0 408 Inbox Is Closed\n"+echo+
		"fact message from=im:bob@example.org to=im:alice@example.net message-id=m1 conversation-id=c1 content-type=\"text/plain\" body=\"Hello\" reply=408\n")
	r.call(Listen{}, "write c2\nLISTEN PRIM-IM/1.0 5 0\nFrom: im:alice@example.net\n\n\n")
	r.server(2, "PRIM-IM/1.0 5 0 200 OK\nFrom: im:alice@example.net\n\n", "fact result op=listen id=5 code=200 phrase=\"OK\"\n")
	r.server(2, send, "write c2\nPRIM-IM/1.0 s1 0 200 OK\n"+echo+
		"fact message from=im:bob@example.org to=im:alice@example.net message-id=m1 conversation-id=c1 content-type=\"text/plain\" body=\"Hello\" reply=200\n")
	r.call(Silence{}, "write c2\nSILENCE PRIM-IM/1.0 6 0\nFrom: im:alice@example.net\n\n\n")
	r.server(2, "PRIM-IM/1.0 6 0 200 OK\n\n", "fact result op=silence id=6 code=200 phrase=\"OK\"\n")
	r.server(2, send, "write c2\nPRIM-IM/1.0 s1 0 408 Inbox Is Closed\n"+echo+
		"fact message from=im:bob@example.org to=im:alice@example.net message-id=m1 conversation-id=c1 content-type=\"text/plain\" body=\"Hello\" reply=408\n")

	hide := loggedIn(t, Config{InboxCode: 408})
	hide.call(Listen{}, "write c2\nLISTEN PRIM-IM/1.0 5 0\nFrom: im:alice@example.net\n\n\n")
	hide.server(2, "PRIM-IM/1.0 5 0 200 OK\n\n", "fact result op=listen id=5 code=200 phrase=\"OK\"\n")
	hide.server(2, send, "write c2\nPRIM-IM/1.0 s1 0 408 Inbox Is Closed\n"+echo+
		"fact message from=im:bob@example.org to=im:alice@example.net message-id=m1 conversation-id=c1 content-type=\"text/plain\" body=\"Hello\" reply=408\n")
}

// PRIM-A15-1, PRIM-A9.4.1-1, PRIM-A9.4.2-1: SEND always carries Content-Type, a fresh
// Message-ID, and the given Conversation-ID (a reply) or a fresh one; the result repeats them.
func TestSend(t *testing.T) {
	r := loggedIn(t, Config{})
	acts := r.c.Handle(t0, engine.Call{Op: Send{To: "bob@example.org", Body: []byte("hi")}})
	w := acts[0].(engine.Write)
	m, err := decodeOne(w.Data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Method != "SEND" || m.Version != "PRIM-IM/1.0" || m.Value("To") != "im:bob@example.org" ||
		m.Value("Content-Type") != "text/plain; charset=UTF-8" || string(m.Body) != "hi" {
		t.Fatalf("unexpected SEND %q", w.Data)
	}
	mid, cid := m.Value("Message-ID"), m.Value("Conversation-ID")
	if !strings.HasSuffix(mid, "@example.net") || len(cid) != 16 {
		t.Fatalf("Message-ID %q / Conversation-ID %q not minted", mid, cid)
	}
	acts = r.c.Handle(t0, engine.Call{Op: Send{To: "bob@example.org", Body: []byte("again"), ConversationID: cid}})
	m2, _ := decodeOne(acts[0].(engine.Write).Data)
	if m2.Value("Conversation-ID") != cid || m2.Value("Message-ID") == mid {
		t.Fatalf("reply: Conversation-ID %q (want %q), Message-ID %q must differ from %q",
			m2.Value("Conversation-ID"), cid, m2.Value("Message-ID"), mid)
	}
	r.server(2, fmt.Sprintf("PRIM-IM/1.0 %s 0 408 Inbox Is Closed\n\n", m.ID),
		fmt.Sprintf("fact result op=send id=%s code=408 phrase=\"Inbox Is Closed\" message-id=%s conversation-id=%s\n", m.ID, mid, cid))
}

// PUBLISH carries one application/presence tuple dated by the shell's clock
// (PRIM-A11.1.1-1, Decision D23, D24); Duration only with leased/renew (PRIM-A11.1.1-8).
func TestPublish(t *testing.T) {
	r := loggedIn(t, Config{})
	r.call(Publish{TupleID: "pc-im", PIType: "leased", Duration: 600, Status: "open", Note: "at <work>"}, `write c1
PUBLISH PRIM-PR/1.0 5 230
From: pres:alice@example.net
PI-Type: leased
Duration: 600
Tuple-ID: pc-im
Content-Type: application/presence

<presence identifier="pres:alice@example.net" date="Mon, 26 Feb 2001 00:52:08 +0000"><contact address="im:alice@example.net"><display-name>pc-im</display-name><status value="open"/><note>at &lt;work&gt;</note></contact></presence>
`)
	r.call(Publish{TupleID: "t2", Duration: 600, Class: []string{"friends", "family"}, Status: "closed"}, `write c1
PUBLISH PRIM-PR/1.0 6 201
From: pres:alice@example.net
PI-Type: permanent
Tuple-ID: t2
Class: friends family
Content-Type: application/presence

<presence identifier="pres:alice@example.net" date="Mon, 26 Feb 2001 00:52:08 +0000"><contact address="im:alice@example.net"><display-name>t2</display-name><status value="closed"/></contact></presence>
`)
	r.server(1, "PRIM-PR/1.0 6 0 400 Bad Request\n\nPRIM-PR/1.0 5 0 200 OK\n\n",
		"fact result op=publish id=6 code=400 phrase=\"Bad Request\"\nfact result op=publish id=5 code=200 phrase=\"OK\"\n")
	// PRIM-A14.4.7-1: a preference is an unsigned decimal below 2^32, written as <preference>;
	// anything else, or a status other than open or closed (PRIM-A14.4.4-1), is refused before
	// it reaches the wire (Publish.Body sends such a document on purpose).
	r.call(Publish{TupleID: "t3", Status: "closed", Detail: "deferred", Preference: "2", Contact: "tel:+1-800-555-0100"}, `write c1
PUBLISH PRIM-PR/1.0 7 241
From: pres:alice@example.net
PI-Type: permanent
Tuple-ID: t3
Content-Type: application/presence

<presence identifier="pres:alice@example.net" date="Mon, 26 Feb 2001 00:52:08 +0000"><contact address="tel:+1-800-555-0100"><display-name>t3</display-name><status value="closed" detail="deferred"/><preference value="2"/></contact></presence>
`)
	r.call(Publish{TupleID: "t4", Preference: "first"},
		"fact result op=publish code=0 err=\"preference \\\"first\\\" is not an unsigned decimal below 2^32 (PRIM-A14.4.7-1)\"\n")
	r.call(Publish{TupleID: "t5", Status: "busy"},
		"fact result op=publish code=0 err=\"pidf: FormatPrim: tuple \\\"t5\\\" status \\\"busy\\\" is not open or closed\"\n")
}

// Control commands: class table, ACL and watcher information round trips.
func TestControlCommands(t *testing.T) {
	r := loggedIn(t, Config{})
	r.call(SetClassTable{Classes: []Class{{Name: "important_people", Watchers: []string{"wife@example.com", "@workdomain.com"}}}}, `write c1
SETCLASSTABLE PRIM-PR/1.0 5 133
From: pres:alice@example.net
Content-Type: text/xml

<classtable><class name="important_people"><watcher>wife@example.com</watcher><watcher>@workdomain.com</watcher></class></classtable>
`)
	r.call(SetACL{Service: IM, Entries: []ACLEntry{{Targets: []string{"@badguys.com"}}, {Targets: []string{"."}, Allow: []string{"send"}}}}, `write c2
SETACL PRIM-IM/1.0 6 163
From: im:alice@example.net
Content-Type: text/xml

<acl><entry><target><address>@badguys.com</address></target><allow></allow></entry><entry><target><address>.</address></target><allow><send/></allow></entry></acl>
`)
	r.call(SetACL{Entries: []ACLEntry{{Targets: []string{"."}, Allow: []string{"sned"}}}},
		"fact result op=setacl code=0 err=\"unknown ACL operation \\\"sned\\\" (I2 §13.2)\"\n")
	r.call(GetACL{}, "write c1\nGETACL PRIM-PR/1.0 7 0\nFrom: pres:alice@example.net\n\n\n")
	acl := "<acl><entry><target><address>secretary@mycompany.com</address></target><allow><fetch/><subscribe/></allow></entry></acl>"
	r.server(1, fmt.Sprintf("PRIM-PR/1.0 7 %d 200 OK\n\n%s", len(acl), acl),
		"fact result op=getacl id=7 code=200 phrase=\"OK\" acl=[secretary@mycompany.com:fetch,subscribe]\n")
	r.call(StartWatcherNotify{}, "write c1\nSTARTWATCHERNOTIFY PRIM-PR/1.0 8 0\nFrom: pres:alice@example.net\n\n\n")
	subs := "<subscribers><subscriber>pres:zed@example.org</subscriber><subscriber>pres:bob@example.org</subscriber></subscribers>"
	r.server(1, fmt.Sprintf("PRIM-PR/1.0 8 %d 200 OK\n\n%s", len(subs), subs),
		"fact result op=startwatchernotify id=8 code=200 phrase=\"OK\" watchers=[pres:bob@example.org pres:zed@example.org]\n")
}

// A lost connection fails what was outstanding on it, in request order, and says so.
func TestClosedFailsPending(t *testing.T) {
	r := loggedIn(t, Config{})
	r.call(Fetch{To: "bob@example.org"}, "write c1\nFETCH PRIM-PR/1.0 5 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n\n")
	r.call(GetClassTable{}, "write c1\nGETCLASSTABLE PRIM-PR/1.0 6 0\nFrom: pres:alice@example.net\n\n\n")
	r.step(engine.Closed{Conn: 1, Err: errors.New("connection reset")},
		"fact disconnected service=pres err=\"connection reset\"\n"+
			"fact result op=fetch id=5 code=0 err=\"connection closed before the response\"\n"+
			"fact result op=getclasstable id=6 code=0 err=\"connection closed before the response\"\n")
	r.call(Fetch{To: "bob@example.org"}, "fact result op=fetch code=0 err=\"not connected\"\n")
}

// Logout: LOGOUT with "-" on each connection, then the client closes (Decision D31).
func TestLogout(t *testing.T) {
	r := loggedIn(t, Config{})
	r.call(Tagged{Tag: "x", Op: Logout{}},
		"write c1\nLOGOUT PRIM-PR/1.0 - 0\n\n\nwrite c2\nLOGOUT PRIM-IM/1.0 - 0\n\n\nclose c1 abort=false\nclose c2 abort=false\nfact result op=logout tag=x id=- code=0\n")
}

// STARTTLS first, once per connection (I2 §10.3.2, PRIM-A4.3-4); the STARTTLS sender is the
// TLS client (Decision D32); on a shared connection LOGIN runs once per service (PRIM-A4.3-2).
func TestStartTLSSharedConnection(t *testing.T) {
	r := newRig(t, Config{Shared: true, StartTLS: true, Mechs: "EXTERNAL"})
	r.call(Tagged{Tag: "c", Op: Connect{}}, "dial shared home.example:7000\n")
	r.step(engine.Opened{Conn: 1, Tag: "shared"}, "write c1\nSTARTTLS PRIM-PR/1.0 1 0\n\n\n")
	r.server(1, "PRIM-PR/1.0 1 0 200 OK\n\n", "starttls c1 client=true\n")
	r.step(engine.Secured{Conn: 1}, "fact result op=connect tag=c code=0\n")
	// One SASL exchange at a time on the shared connection: IM's LOGIN waits for presence's.
	r.call(Login{ID: "alice@example.net"}, "write c1\nLOGIN PRIM-PR/1.0 2 0\nFrom: pres:alice@example.net\nAuth-State: init\nSASL-Mech: EXTERNAL\n\n\n")
	r.server(1, "PRIM-PR/1.0 2 0 100 Authentication Continued\nSASL-Mech: EXTERNAL\n\n",
		"write c1\nLOGIN PRIM-PR/1.0 3 0\nFrom: pres:alice@example.net\nAuth-State: continue\nSASL-Mech: EXTERNAL\n\n\n")
	r.server(1, "PRIM-PR/1.0 3 0 200 OK\n\n",
		"write c1\nLOGIN PRIM-IM/1.0 4 0\nFrom: im:alice@example.net\nAuth-State: init\nSASL-Mech: EXTERNAL\n\n\n")
	r.server(1, "PRIM-IM/1.0 4 0 200 OK\n\n", "fact result op=login id=4 code=200 phrase=\"OK\"\n")

	// A 406 for the first service ends the shared connection's logins (PRIM-A12.1-15).
	f := newRig(t, Config{Shared: true, Mechs: "PLAIN"})
	f.call(Login{ID: "alice@example.net", Password: "x"}, "dial shared home.example:7000\n")
	f.step(engine.Opened{Conn: 1, Tag: "shared"}, "write c1\nLOGIN PRIM-PR/1.0 1 0\nFrom: pres:alice@example.net\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
	f.server(1, "PRIM-PR/1.0 1 0 406 Authentication Failed\n\n",
		"close c1 abort=false\nfact result op=login id=1 code=406 phrase=\"Authentication Failed\"\n")

	refused := newRig(t, Config{StartTLS: true, Services: []Service{Presence}})
	refused.call(Connect{}, "dial pres home.example:7000\n")
	refused.step(engine.Opened{Conn: 1, Tag: "pres"}, "write c1\nSTARTTLS PRIM-PR/1.0 1 0\n\n\n")
	refused.server(1, "PRIM-PR/1.0 1 0 501 Not Implemented\n\n",
		"fact result op=connect code=501 phrase=\"Not Implemented\" err=\"STARTTLS refused\"\nclose c1 abort=false\n")
}

// Dial failures end Connect and Login with a local error.
func TestDialFailed(t *testing.T) {
	r := newRig(t, Config{Services: []Service{Presence}})
	r.call(Login{ID: "alice@example.net", Password: "pw"}, "dial pres home.example:7000\n")
	r.step(engine.DialFailed{Tag: "pres", Err: errors.New("connection refused")},
		"fact result op=login code=0 err=\"dial home.example:7000: connection refused\"\n")
}

func decodeOne(b []byte) (*wire.Message, error) {
	d := wire.NewDecoder(wire.DefaultLimits())
	d.Feed(b)
	m, err := d.Next()
	if err == nil && m == nil {
		err = errors.New("incomplete message")
	}
	return m, err
}

// A command the client cannot read is reported; a request with an id gets 400, and the stream
// goes on with the next command (prim-digest.md §3.12).
func TestUnreadableServerCommand(t *testing.T) {
	r := loggedIn(t, Config{})
	acts := r.c.Handle(t0, engine.Bytes{Conn: 1, Data: crlf("NOTIFY PRIM-PR/1.0 n9 0\nNo-Separator\n\nPING PRIM-PR/1.0 - 0\n\nCANCELSUBSCRIPTION PRIM-PR/1.0 - 0\nFrom: pres:b@x\nTo: pres:alice@example.net\n\n")})
	got := render(acts)
	if !strings.HasPrefix(got, "fact protocol-error service=pres err=") ||
		!strings.Contains(got, "write c1\nPRIM-PR/1.0 n9 0 400 Bad Request\n\n\n") ||
		!strings.HasSuffix(got, "fact cancelled from=pres:b@x to=pres:alice@example.net\n") {
		t.Fatalf("got:\n%s", got)
	}
}

// Every operation ends in exactly one result, also when it cannot start.
func TestOneResultPerOperation(t *testing.T) {
	r := newRig(t, Config{Services: []Service{Presence}, Mechs: "PLAIN"})
	r.c.cfg.Server = ""
	r.call(Tagged{Tag: "a", Op: Login{ID: "alice@example.net"}}, "fact result op=login tag=a code=0 err=\"not connected and no server address\"\n")
	r.c.cfg.Server = "home.example:7000"
	r.call(Tagged{Tag: "b", Op: Login{ID: "alice@example.net"}}, "dial pres home.example:7000\n")
	r.call(Tagged{Tag: "c", Op: Login{ID: "alice@example.net"}}, "fact result op=login tag=c code=0 err=\"login already in progress\"\n")
	r.call(Tagged{Tag: "d", Op: Listen{}}, "fact result op=listen tag=d code=0 err=\"service \\\"im\\\" not configured\"\n")
	r.call(Tagged{Tag: "e", Op: 42}, "fact result op=unknown tag=e code=0 err=\"unknown operation int\"\n")
	r.step(engine.Closed{Conn: 9}, "") // unknown connection: ignored
	r.step(engine.DialFailed{Tag: "pres", Err: errors.New("refused")}, "fact result op=login tag=b code=0 err=\"dial home.example:7000: refused\"\n")
}

// Requests made while connecting or logging in wait for LOGIN to finish (a UA does not
// pipeline past LOGIN, prim-digest.md §3.5); they go out after 200, or fail after 406.
func TestRequestsHeldDuringLogin(t *testing.T) {
	r := newRig(t, Config{Services: []Service{Presence}, Mechs: "PLAIN"})
	r.call(Tagged{Tag: "l", Op: Login{ID: "alice@example.net", Password: "pw"}}, "dial pres home.example:7000\n")
	r.call(Tagged{Tag: "f", Op: Fetch{To: "bob@example.org"}}, "")
	r.step(engine.Opened{Conn: 1, Tag: "pres"}, "write c1\nLOGIN PRIM-PR/1.0 1 0\nFrom: pres:alice@example.net\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
	r.call(Tagged{Tag: "g", Op: GetACL{}}, "")
	r.server(1, "PRIM-PR/1.0 1 0 200 OK\n\n", "fact result op=login tag=l id=1 code=200 phrase=\"OK\"\n"+
		"write c1\nFETCH PRIM-PR/1.0 2 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n\n"+
		"write c1\nGETACL PRIM-PR/1.0 3 0\nFrom: pres:alice@example.net\n\n\n")

	f := newRig(t, Config{Services: []Service{Presence}, Mechs: "PLAIN"})
	f.call(Login{ID: "alice@example.net", Password: "pw"}, "dial pres home.example:7000\n")
	f.step(engine.Opened{Conn: 1, Tag: "pres"}, "write c1\nLOGIN PRIM-PR/1.0 1 0\nFrom: pres:alice@example.net\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
	f.call(Tagged{Tag: "f", Op: Fetch{To: "bob@example.org"}}, "")
	f.server(1, "PRIM-PR/1.0 1 0 406 Authentication Failed\n\n", "fact result op=login id=1 code=406 phrase=\"Authentication Failed\"\n"+
		"fact result op=fetch tag=f code=0 err=\"not sent: login ended with 406 Authentication Failed\"\n"+
		"close c1 abort=false\n")
}

// A Logout given while logging in waits for the login and the requests made before it.
func TestLogoutHeldDuringLogin(t *testing.T) {
	r := newRig(t, Config{Services: []Service{Presence}, Mechs: "PLAIN"})
	r.call(Login{ID: "alice@example.net", Password: "pw"}, "dial pres home.example:7000\n")
	r.call(Tagged{Tag: "f", Op: Fetch{To: "bob@example.org"}}, "")
	r.call(Tagged{Tag: "x", Op: Logout{}}, "")
	r.step(engine.Opened{Conn: 1, Tag: "pres"}, "write c1\nLOGIN PRIM-PR/1.0 1 0\nFrom: pres:alice@example.net\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
	r.server(1, "PRIM-PR/1.0 1 0 200 OK\n\n", "fact result op=login id=1 code=200 phrase=\"OK\"\n"+
		"write c1\nFETCH PRIM-PR/1.0 2 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n\n"+
		"write c1\nLOGOUT PRIM-PR/1.0 - 0\n\n\nclose c1 abort=false\nfact result op=logout tag=x id=- code=0\n")
}

// 300 Redirect to an operation: reconnect to the Redirect address, log in again and reissue the
// request there (I2 §9.1.5); the caller sees one result, from the new server.
func TestOperationRedirect(t *testing.T) {
	r := newRig(t, Config{Services: []Service{Presence}, Mechs: "PLAIN"})
	r.call(Login{ID: "alice@example.net", Password: "pw"}, "dial pres home.example:7000\n")
	r.step(engine.Opened{Conn: 1, Tag: "pres"}, "write c1\nLOGIN PRIM-PR/1.0 1 0\nFrom: pres:alice@example.net\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
	r.server(1, "PRIM-PR/1.0 1 0 200 OK\n\n", "fact result op=login id=1 code=200 phrase=\"OK\"\n")
	r.call(Tagged{Tag: "f", Op: Fetch{To: "bob@example.org"}}, "write c1\nFETCH PRIM-PR/1.0 2 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n\n")
	r.server(1, "PRIM-PR/1.0 2 0 300 Redirect\nRedirect: 192.0.2.9 7200\n\n", "close c1 abort=false\ndial pres@192.0.2.9:7200 192.0.2.9:7200\n")
	r.step(engine.Closed{Conn: 1}, "")
	r.step(engine.Opened{Conn: 2, Tag: "pres@192.0.2.9:7200"}, "write c2\nLOGIN PRIM-PR/1.0 3 0\nFrom: pres:alice@example.net\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
	r.server(2, "PRIM-PR/1.0 3 0 100 Authentication Continued\nSASL-Mech: PLAIN\n\n",
		"write c2\nLOGIN PRIM-PR/1.0 4 21\nFrom: pres:alice@example.net\nAuth-State: continue\nSASL-Mech: PLAIN\nContent-Type: text/plain\n\nalice@example.net\npw\n")
	r.server(2, "PRIM-PR/1.0 4 0 200 OK\n\n", "write c2\nFETCH PRIM-PR/1.0 5 0\nFrom: pres:alice@example.net\nTo: pres:bob@example.org\n\n\n")
	r.server(2, "PRIM-PR/1.0 5 0 403 Resource Not Found\n\n", "fact result op=fetch tag=f id=5 code=403 phrase=\"Resource Not Found\"\n")
	// A 300 without a usable Redirect header is the result.
	r.call(Tagged{Tag: "g", Op: GetACL{}}, "write c2\nGETACL PRIM-PR/1.0 6 0\nFrom: pres:alice@example.net\n\n\n")
	r.server(2, "PRIM-PR/1.0 6 0 300 Redirect\n\n", "fact result op=getacl tag=g id=6 code=300 phrase=\"Redirect\"\n")
}

// A server that sends more than the declared Max-Content-Length is reported (PRIM-A9.1.8-1,
// Decision D28); the command is still handled.
func TestMaxContentLengthDeclaredAndChecked(t *testing.T) {
	r := newRig(t, Config{Services: []Service{IM}, Mechs: "PLAIN", MaxContentLength: 4})
	r.call(Login{ID: "alice@example.net", Password: "pw"}, "dial im home.example:7000\n")
	r.step(engine.Opened{Conn: 1, Tag: "im"}, "write c1\nLOGIN PRIM-IM/1.0 1 0\nFrom: im:alice@example.net\nAuth-State: init\nSASL-Mech: PLAIN\nMax-Content-Length: 4\n\n\n")
	r.server(1, "PRIM-IM/1.0 1 0 200 OK\n\n", "fact result op=login id=1 code=200 phrase=\"OK\"\n")
	r.server(1, "SEND PRIM-IM/1.0 s1 5\nFrom: im:bob@example.org\nTo: im:alice@example.net\nMessage-ID: m1\nConversation-ID: c1\n\nhello",
		"fact protocol-error service=im err=\"\\\"SEND PRIM-IM/1.0 s1 5\\\" carries 5 octets, over the Max-Content-Length 4 declared at LOGIN (PRIM-A9.1.8-1)\"\n"+
			"write c1\nPRIM-IM/1.0 s1 0 408 Inbox Is Closed\nFrom: im:bob@example.org\nTo: im:alice@example.net\nMessage-ID: m1\nConversation-ID: c1\n\n\n"+
			"fact message from=im:bob@example.org to=im:alice@example.net message-id=m1 conversation-id=c1 body=\"hello\" reply=408\n")
}

// With PingInterval the client PINGs every authenticated connection on the shell's clock
// (Decision D45); PING has no response.
func TestKeepalivePing(t *testing.T) {
	r := newRig(t, Config{Services: []Service{Presence}, Mechs: "PLAIN", PingInterval: 5 * time.Minute})
	r.call(Login{ID: "alice@example.net", Password: "pw"}, "dial pres home.example:7000\n")
	r.step(engine.Opened{Conn: 1, Tag: "pres"}, "write c1\nLOGIN PRIM-PR/1.0 1 0\nFrom: pres:alice@example.net\nAuth-State: init\nSASL-Mech: PLAIN\n\n\n")
	acts := r.c.Handle(t0, engine.Bytes{Conn: 1, Data: crlf("PRIM-PR/1.0 1 0 200 OK\n\n")})
	var set *engine.SetTimer
	for _, a := range acts {
		if st, ok := a.(engine.SetTimer); ok {
			set = &st
		}
	}
	if set == nil || !set.At.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("after login: %s", render(acts))
	}
	acts = r.c.Handle(set.At, engine.Timer{ID: set.ID})
	if len(acts) != 2 || render(acts[:1]) != "write c1\nPING PRIM-PR/1.0 - 0\n\n\n" {
		t.Fatalf("on the timer: %s", render(acts))
	}
	if st, ok := acts[1].(engine.SetTimer); !ok || !st.At.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("next round: %#v", acts[1])
	}
	r.step(engine.Closed{Conn: 1}, "fact disconnected service=pres\n")
	if acts := r.c.Handle(t0.Add(10*time.Minute), engine.Timer{ID: set.ID}); len(acts) != 0 {
		t.Fatalf("PING after the connection closed: %s", render(acts))
	}
}
