package server

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/wire"
)

// fedNet wires two Server engines and some user agents together in memory: every Write is
// delivered, in order, as Bytes to the other end; Dial opens a connection pair. It plays the
// user agents itself, answering NOTIFY and SEND with 200.
type fedNet struct {
	t       *testing.T
	now     time.Time
	servers map[string]*Server               // by domain
	peer    map[string]map[engine.ConnID]end // domain -> local conn -> other end
	ua      map[string]*uaEnd                // by name
	nextID  engine.ConnID
	queue   []delivery
}

type end struct {
	domain string // "" for a user agent
	conn   engine.ConnID
	ua     string
}

type uaEnd struct {
	domain string
	conn   engine.ConnID
	got    []*wire.Message
	dec    *wire.Decoder
}

type delivery struct {
	to   end
	data []byte
}

func newFedNet(t *testing.T) *fedNet {
	n := &fedNet{t: t, now: epoch, servers: map[string]*Server{}, peer: map[string]map[engine.ConnID]end{}, ua: map[string]*uaEnd{}}
	mk := func(domain, other, addr string, users ...string) {
		acc := map[string]string{}
		for _, u := range users {
			acc[u] = u + "pw"
		}
		cfg := Config{Domain: domain, Accounts: acc, Listeners: map[string]string{"client": RoleClient, "s2s": RoleS2S},
			Peers: map[string]string{other: addr}, PeerSecrets: map[string]string{other: "shared"}}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		n.servers[domain] = New(cfg, rand.New(rand.NewPCG(7, uint64(len(domain)))))
		n.peer[domain] = map[engine.ConnID]end{}
	}
	mk("example.com", "example.org", "10.0.0.2:7100", "alice")
	mk("example.org", "example.com", "10.0.0.1:7100", "zoe")
	return n
}

func (n *fedNet) conn() engine.ConnID { n.nextID++; return n.nextID }

func (n *fedNet) handle(domain string, ev engine.Event) {
	for _, a := range n.servers[domain].Handle(n.now, ev) {
		switch a := a.(type) {
		case engine.Write:
			n.queue = append(n.queue, delivery{to: n.peer[domain][a.Conn], data: a.Data})
		case engine.Dial:
			other := "example.org"
			if domain == "example.org" {
				other = "example.com"
			}
			mine, theirs := n.conn(), n.conn()
			n.peer[domain][mine] = end{domain: other, conn: theirs}
			n.peer[other][theirs] = end{domain: domain, conn: mine}
			n.handle(other, engine.Opened{Conn: theirs, Listener: "s2s", Local: "10.0.0.9:7100", Remote: "10.0.0.8:5000"})
			n.handle(domain, engine.Opened{Conn: mine, Tag: a.Tag, Local: "10.0.0.8:5000", Remote: a.Addr})
		case engine.Close:
			// Not exercised here.
		}
	}
}

// run delivers queued bytes until the network is quiet.
func (n *fedNet) run() {
	for len(n.queue) > 0 {
		d := n.queue[0]
		n.queue = n.queue[1:]
		if d.to.ua != "" {
			u := n.ua[d.to.ua]
			u.dec.Feed(d.data)
			for {
				m, err := u.dec.Next()
				if err != nil {
					n.t.Fatalf("%s: %v", d.to.ua, err)
				}
				if m == nil {
					break
				}
				u.got = append(u.got, m)
				if m.IsRequest() && m.ID != wire.NoResponse {
					r := &wire.Message{Version: m.Version, ID: m.ID, Code: 200, Phrase: "OK"}
					n.handle(u.domain, engine.Bytes{Conn: u.conn, Data: r.Bytes()})
				}
			}
			continue
		}
		n.handle(d.to.domain, engine.Bytes{Conn: d.to.conn, Data: d.data})
	}
}

func (n *fedNet) login(name, domain string) {
	c := n.conn()
	n.ua[name] = &uaEnd{domain: domain, conn: c, dec: wire.NewDecoder(wire.DefaultLimits())}
	n.peer[domain][c] = end{ua: name}
	n.handle(domain, engine.Opened{Conn: c, Listener: "client", Local: "10.0.0.9:7000", Remote: "192.0.2.50:4000"})
	for _, v := range []string{"PRIM-PR/1.0", "PRIM-IM/1.0"} {
		scheme := map[string]string{"PRIM-PR/1.0": "pres", "PRIM-IM/1.0": "im"}[v]
		n.send(name, "LOGIN "+v+" l"+scheme, "From: "+scheme+":"+name+"@"+domain, "Auth-State: init", "SASL-Mech: PLAIN", "", name, name+"pw")
		if r := n.last(name); r.Code != 200 {
			n.t.Fatalf("login %s: %s", name, r.StartLine())
		}
	}
}

func (n *fedNet) send(name string, lines ...string) {
	u := n.ua[name]
	n.handle(u.domain, engine.Bytes{Conn: u.conn, Data: buildMessage(n.t, true, lines)})
	n.run()
}

func (n *fedNet) last(name string) *wire.Message {
	got := n.ua[name].got
	if len(got) == 0 {
		n.t.Fatalf("%s received nothing", name)
	}
	return got[len(got)-1]
}

func (n *fedNet) find(name, start string) *wire.Message {
	for i := len(n.ua[name].got) - 1; i >= 0; i-- {
		if m := n.ua[name].got[i]; strings.HasPrefix(m.StartLine(), start) {
			return m
		}
	}
	n.t.Fatalf("%s never received %q", name, start)
	return nil
}

const zoeTuple = `<presence identifier="pres:zoe@example.org" date="1 Jan 2026 00:00 +0000"><contact address="im:zoe@example.org"><display-name>IM</display-name><status value="%s"/><note>%s</note></contact></presence>`

// TestFederation runs two reference servers against each other: a subscription, a presence
// change, an IM and a revocation all cross the server-server link (SS profile) and come back
// converted for the client profile (Decision D2), with the relay rules of §5.2 and §6.
func TestFederation(t *testing.T) {
	n := newFedNet(t)
	n.login("alice", "example.com")
	n.login("zoe", "example.org")
	n.send("zoe", "PUBLISH PRIM-PR/1.0 1", "From: pres:zoe@example.org", "PI-Type: permanent", "Tuple-ID: im",
		"Content-Type: application/presence", "", fmt.Sprintf(zoeTuple, "open", "here"))

	// PRIM-S7.1.1-3, Decision D25: alice's 200 carries zoe's PI, carried as CPIM-PIDF between
	// the servers and converted back to application/presence.
	n.send("alice", "SUBSCRIBE PRIM-PR/1.0 s1", "From: pres:alice@example.com", "To: pres:zoe@example.org", "Duration: 600")
	r := n.find("alice", "PRIM-PR/1.0 s1 ")
	if r.Code != 200 || !strings.Contains(string(r.Body), `<status value="open"/>`) || !strings.Contains(string(r.Body), "<note>here</note>") {
		t.Fatalf("SUBSCRIBE answer: %s\n%s", r.StartLine(), r.Body)
	}
	if r.Value("Tuple-ID") != "im" {
		t.Errorf("Tuple-ID %q, want %q", r.Value("Tuple-ID"), "im")
	}

	// PRIM-S7.1.3-1: a change reaches alice as a NOTIFY.
	n.send("zoe", "PUBLISH PRIM-PR/1.0 2", "From: pres:zoe@example.org", "PI-Type: permanent", "Tuple-ID: im",
		"Content-Type: application/presence", "", fmt.Sprintf(zoeTuple, "closed", "gone"))
	nt := n.last("alice")
	if nt.Method != "NOTIFY" || nt.Value("From") != "pres:zoe@example.org" || !strings.Contains(string(nt.Body), `<status value="closed"/>`) {
		t.Fatalf("NOTIFY: %s\n%s", nt.StartLine(), nt.Body)
	}

	// §5.2: zoe's SEND reaches alice's listening connection with its end-to-end headers
	// unchanged; alice's 200 travels back to zoe as the delivery receipt.
	n.send("alice", "LISTEN PRIM-IM/1.0 l1", "From: im:alice@example.com")
	n.send("zoe", "SEND PRIM-IM/1.0 m1", "From: im:zoe@example.org", "To: im:alice@example.com", "Message-ID: zm1",
		"Conversation-ID: zc1", "Content-Type: text/plain", "X-Trace: kept", "", "hello alice")
	in := n.find("alice", "SEND ")
	if string(in.Body) != "hello alice" || in.Value("X-Trace") != "kept" || in.Value("Message-ID") != "zm1" {
		t.Fatalf("delivered SEND: %s %v %q", in.StartLine(), in.Headers, in.Body)
	}
	// AStrength: zoe's PLAIN in the clear is weak; the CRAM-MD5 link is medium; weakest wins.
	if got := in.Value("AStrength"); got != "weak" {
		t.Errorf("AStrength %q, want weak (PRIM-A9.1.7-4)", got)
	}
	if r := n.find("zoe", "PRIM-IM/1.0 m1 "); r.Code != 200 || r.Value("Conversation-ID") != "zc1" {
		t.Fatalf("SEND receipt: %s", r.StartLine())
	}

	// PRIM-A10.1.5-1 / PRIM-S7.1.3-6: zoe revokes; alice gets CANCELSUBSCRIPTION, then nothing.
	n.send("zoe", "SETACL PRIM-PR/1.0 3", "From: pres:zoe@example.org", "Content-Type: text/xml", "",
		"<acl><entry><target><address>.</address></target><allow><fetch/></allow></entry></acl>")
	if c := n.last("alice"); c.Method != "CANCELSUBSCRIPTION" || c.ID != wire.NoResponse {
		t.Fatalf("after revocation alice got %s", c.StartLine())
	}
	before := len(n.ua["alice"].got)
	n.send("zoe", "PUBLISH PRIM-PR/1.0 4", "From: pres:zoe@example.org", "PI-Type: permanent", "Tuple-ID: im",
		"Content-Type: application/presence", "", fmt.Sprintf(zoeTuple, "open", "back"))
	if len(n.ua["alice"].got) != before {
		t.Fatalf("alice received %s after revocation", n.last("alice").StartLine())
	}
}
