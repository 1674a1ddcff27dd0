package server

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/sasl"
	"github.com/primlab/primlab/reference/wire"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata scripts")

// The scripts under testdata pin the engine's behaviour. A block is
//
//	# comment lines citing the statements exercised
//	command args
//	input lines
//	----
//	expected output lines (up to the next empty line)
//
// Commands:
//
//	server [key=value ...]   new server: domain=, tls=, anon=, deny=, legacy=, nosecret=, resolver=, maxsubs=, maxbody=, relay=,
//	                         peers=DOMAIN=ADDR[,ADDR...] (replaces Config.Peers)
//	open CONN [listener=NAME] [tag=TAG] [local=HOST:PORT]
//	send CONN                input: "METHOD VERSION ID", headers, empty line, body; length computed
//	reply CONN               input: "VERSION ID CODE PHRASE", headers, empty line, body
//	raw CONN                 input lines joined with CRLF (\r \n escapes allowed), no final CRLF
//	close CONN               the peer closed
//	login CONN USER [pr|im|both]  open CONN and log USER in with one-step PLAIN
//	secured CONN [cn=NAME] [err=TEXT]
//	dialfail TAG
//	tick DURATION            advance the clock, firing due timers in order
//
// Output: "CONN <- message" for writes (body lines after "  | "), "close CONN", "dial TAG ADDR",
// "starttls CONN", "fact: ..." for Observe; timer actions are tracked, not printed.
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) { runScript(t, f) })
	}
}

type block struct {
	pre      []string
	cmd      string
	input    []string
	expected []string
	line     int
}

func parseScript(t *testing.T, path string) ([]block, []string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var blocks []block
	var pre []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" || strings.HasPrefix(l, "#") {
			pre = append(pre, l)
			continue
		}
		b := block{pre: pre, cmd: l, line: i + 1}
		pre = nil
		i++
		for ; i < len(lines) && lines[i] != "----"; i++ {
			b.input = append(b.input, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("%s:%d: block without ----", path, b.line)
		}
		i++
		for ; i < len(lines) && lines[i] != ""; i++ {
			b.expected = append(b.expected, lines[i])
		}
		i-- // the empty line is preamble of the next block
		blocks = append(blocks, b)
	}
	return blocks, pre
}

func runScript(t *testing.T, path string) {
	blocks, tail := parseScript(t, path)
	h := newHarness(t)
	var out strings.Builder
	failed := false
	for i := range blocks {
		b := &blocks[i]
		got := h.run(b.cmd, b.input)
		if *rewrite {
			b.expected = got
			continue
		}
		if strings.Join(got, "\n") != strings.Join(b.expected, "\n") {
			failed = true
			t.Errorf("%s:%d: %s\n--- got:\n%s\n--- want:\n%s", path, b.line, b.cmd, strings.Join(got, "\n"), strings.Join(b.expected, "\n"))
		}
	}
	if !*rewrite {
		_ = failed
		return
	}
	for _, b := range blocks {
		for _, l := range b.pre {
			out.WriteString(l + "\n")
		}
		out.WriteString(b.cmd + "\n")
		for _, l := range b.input {
			out.WriteString(l + "\n")
		}
		out.WriteString("----\n")
		for _, l := range b.expected {
			out.WriteString(l + "\n")
		}
	}
	for _, l := range tail {
		out.WriteString(l + "\n")
	}
	if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fataler is what the harness needs of *testing.T and *rapid.T.
type fataler interface {
	Fatalf(format string, args ...any)
	Fatal(args ...any)
}

// harness drives one Server through a script.
type harness struct {
	t      fataler
	s      *Server
	now    time.Time
	timers map[engine.TimerID]time.Time
	conns  map[string]engine.ConnID
	chall  map[engine.ConnID][]byte // last 100 challenge per connection, for {cram:PASSWORD}
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func testConfig() Config {
	return Config{
		Domain:      "example.com",
		Accounts:    map[string]string{"alice": "alicepw", "bob": "bobpw", "carol": "carolpw", "dave": "davepw"},
		Listeners:   map[string]string{"client": RoleClient, "s2s": RoleS2S},
		Peers:       map[string]string{"example.org": "10.0.0.2:7100"},
		PeerSecrets: map[string]string{"example.org": "s3cret"},
		Limits:      Limits{MaxSubscriptionsPerPresentity: 3, RelayTimeout: 30 * time.Second},
	}
}

func newHarness(t testing.TB) *harness {
	h := &harness{t: t}
	h.reset(testConfig())
	return h
}

func (h *harness) reset(cfg Config) {
	if err := cfg.Validate(); err != nil {
		h.t.Fatalf("config: %v", err)
	}
	h.s = New(cfg, rand.New(rand.NewPCG(1, 2)))
	h.now = epoch
	h.timers = map[engine.TimerID]time.Time{}
	h.conns = map[string]engine.ConnID{}
	h.chall = map[engine.ConnID][]byte{}
}

func (h *harness) conn(name string) engine.ConnID {
	if id, ok := h.conns[name]; ok {
		return id
	}
	n, err := strconv.Atoi(strings.TrimPrefix(name, "c"))
	if err != nil || !strings.HasPrefix(name, "c") {
		h.t.Fatalf("connection name %q: want cN", name)
	}
	h.conns[name] = engine.ConnID(n)
	return engine.ConnID(n)
}

func kv(args []string) map[string]string {
	m := map[string]string{}
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		m[k] = v
	}
	return m
}

func (h *harness) run(cmd string, input []string) []string {
	f := strings.Fields(cmd)
	switch f[0] {
	case "server":
		cfg := testConfig()
		for k, v := range kv(f[1:]) {
			switch k {
			case "domain":
				cfg.Domain = v
			case "tls":
				cfg.TLS = v == "true"
			case "anon":
				cfg.AcceptAnonymousPeers = v == "true"
			case "deny":
				cfg.DenyByDefault = v == "true"
			case "legacy":
				cfg.LegacyS2S = v == "true"
			case "nosecret":
				cfg.PeerSecrets = nil
			case "resolver":
				// Decision D3: an injected resolver standing in for SRV prim-pr/prim-im lookups.
				cfg.Resolver = func(domain string) ([]string, error) {
					switch domain {
					case "example.net":
						return []string{"10.0.0.3:7100"}, nil
					case "example.info": // two SRV targets (§6.2)
						return []string{"10.0.0.5:7100", "10.0.0.6:7100"}, nil
					}
					return nil, fmt.Errorf("no SRV or A records for %q", domain)
				}
			case "peers":
				d, addrs, _ := strings.Cut(v, "=")
				cfg.Peers = map[string]string{d: addrs}
			case "maxsubs":
				cfg.Limits.MaxSubscriptionsPerPresentity, _ = strconv.Atoi(v)
			case "maxbody":
				cfg.Limits.MaxBody, _ = strconv.Atoi(v)
			case "relay":
				cfg.Limits.RelayTimeout, _ = time.ParseDuration(v)
			default:
				h.t.Fatalf("server: unknown option %q", k)
			}
		}
		h.reset(cfg)
		return nil
	case "open":
		o := kv(f[2:])
		ev := engine.Opened{Conn: h.conn(f[1]), Listener: o["listener"], Tag: o["tag"], Local: o["local"], Remote: "192.0.2.9:4000"}
		if ev.Listener == "" && ev.Tag == "" {
			ev.Listener = "client"
		}
		if ev.Local == "" {
			ev.Local = "192.0.2.1:7000"
		}
		return h.handle(ev)
	case "send", "reply":
		id := h.conn(f[1])
		input = append([]string(nil), input...)
		for i, l := range input {
			if a, rest, ok := strings.Cut(l, "{cram:"); ok {
				pw, tail, _ := strings.Cut(rest, "}")
				input[i] = a + sasl.CRAMMD5Digest(pw, h.chall[id]) + tail
			}
		}
		return h.handle(engine.Bytes{Conn: id, Data: buildMessage(h.t, f[0] == "send", input)})
	case "raw":
		s := strings.Join(input, "\r\n")
		s = strings.NewReplacer(`\r`, "\r", `\n`, "\n").Replace(s)
		return h.handle(engine.Bytes{Conn: h.conn(f[1]), Data: []byte(s)})
	case "close":
		return h.handle(engine.Closed{Conn: h.conn(f[1])})
	case "login":
		// login CONN USER [pr|im|both]: open the connection and log in with one-step PLAIN.
		svcs := []string{"PRIM-PR/1.0"}
		if len(f) > 3 && f[3] == "im" {
			svcs = []string{"PRIM-IM/1.0"}
		} else if len(f) > 3 && f[3] == "both" {
			svcs = append(svcs, "PRIM-IM/1.0")
		}
		out := h.run("open "+f[1], nil)
		for i, v := range svcs {
			scheme := "pres"
			if v == "PRIM-IM/1.0" {
				scheme = "im"
			}
			out = append(out, h.run("send "+f[1], []string{"LOGIN " + v + " L" + strconv.Itoa(i), "From: " + scheme + ":" + f[2] + "@example.com",
				"Auth-State: init", "SASL-Mech: PLAIN", "", f[2], f[2] + "pw"})...)
		}
		return out
	case "secured":
		o := kv(f[2:])
		ev := engine.Secured{Conn: h.conn(f[1]), PeerCN: o["cn"]}
		if o["err"] != "" {
			ev.Err = errors.New(o["err"])
		}
		return h.handle(ev)
	case "dialfail":
		return h.handle(engine.DialFailed{Tag: f[1], Err: errors.New("connection refused")})
	case "tick":
		d, err := time.ParseDuration(f[1])
		if err != nil {
			h.t.Fatalf("tick: %v", err)
		}
		return h.advance(d)
	}
	h.t.Fatalf("unknown command %q", cmd)
	return nil
}

// advance moves the clock by d, firing due timers in (time, id) order.
func (h *harness) advance(d time.Duration) []string {
	end := h.now.Add(d)
	var out []string
	for {
		var ids []engine.TimerID
		for id, at := range h.timers {
			if !at.After(end) {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			break
		}
		sort.Slice(ids, func(i, j int) bool {
			a, b := h.timers[ids[i]], h.timers[ids[j]]
			if !a.Equal(b) {
				return a.Before(b)
			}
			return ids[i] < ids[j]
		})
		id := ids[0]
		h.now = h.timers[id]
		delete(h.timers, id)
		out = append(out, h.handle(engine.Timer{ID: id})...)
	}
	h.now = end
	return out
}

func (h *harness) handle(ev engine.Event) []string {
	acts := h.s.Handle(h.now, ev)
	var out []string
	for _, a := range acts {
		switch a := a.(type) {
		case engine.Write:
			out = append(out, renderWrite(a.Conn, a.Data)...)
			d := wire.NewDecoder(wire.DefaultLimits())
			d.Feed(a.Data)
			if m, _ := d.Next(); m != nil && m.Code == wire.StatusAuthContinued && len(m.Body) > 0 {
				h.chall[a.Conn] = m.Body
			}
		case engine.Close:
			out = append(out, "close "+a.Conn.String())
		case engine.Dial:
			out = append(out, "dial "+a.Tag+" "+a.Addr)
		case engine.StartTLS:
			out = append(out, "starttls "+a.Conn.String())
		case engine.SetTimer:
			h.timers[a.ID] = a.At
		case engine.CancelTimer:
			delete(h.timers, a.ID)
		case engine.Observe:
			out = append(out, "fact: "+a.Fact.String())
		default:
			out = append(out, fmt.Sprintf("action %T", a))
		}
	}
	return out
}

// buildMessage encodes a message written in script form: the start line without its length.
func buildMessage(t fataler, request bool, input []string) []byte {
	if len(input) == 0 {
		t.Fatal("empty message")
	}
	var m wire.Message
	f := strings.SplitN(input[0], " ", 4)
	if request {
		if len(f) != 3 {
			t.Fatalf("request line %q: want METHOD VERSION ID", input[0])
		}
		m.Method, m.Version, m.ID = f[0], f[1], f[2]
	} else {
		if len(f) < 3 {
			t.Fatalf("response line %q: want VERSION ID CODE PHRASE", input[0])
		}
		m.Version, m.ID = f[0], f[1]
		m.Code, _ = strconv.Atoi(f[2])
		if len(f) == 4 {
			m.Phrase = f[3]
		}
	}
	i := 1
	for ; i < len(input) && input[i] != ""; i++ {
		name, value, ok := strings.Cut(input[i], ": ")
		if !ok {
			t.Fatalf("header line %q", input[i])
		}
		m.Add(name, value)
	}
	if i < len(input) {
		m.Body = []byte(strings.Join(input[i+1:], "\r\n"))
	}
	return m.Bytes()
}

func renderWrite(c engine.ConnID, data []byte) []string {
	d := wire.NewDecoder(wire.DefaultLimits())
	d.Feed(data)
	var out []string
	for {
		m, err := d.Next()
		if err != nil {
			return append(out, fmt.Sprintf("%s <- undecodable %q: %v", c, data, err))
		}
		if m == nil {
			break
		}
		out = append(out, fmt.Sprintf("%s <- %s", c, m.StartLine()))
		for _, hd := range m.Headers {
			out = append(out, "  "+hd.Name+": "+hd.Value)
		}
		if len(m.Body) > 0 {
			body := bytes.ReplaceAll(m.Body, []byte("\r\n"), []byte("\n"))
			for _, l := range bytes.Split(body, []byte("\n")) {
				out = append(out, "  | "+string(l))
			}
		}
	}
	if d.Buffered() > 0 {
		out = append(out, fmt.Sprintf("%s <- %d trailing octets", c, d.Buffered()))
	}
	return out
}
