package fuzz

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/sasl"
	"github.com/primlab/primlab/reference/server"
	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/sim"
)

// Wire mode: each case logs in on connection 1 (both services, shared connection, I2 §4.3),
// writes a burst of mutated PRIM messages split across several writes, then checks
//   - that every response on connection 1 answers an id the input carried, and that no
//     response carries id "-" (a "-" request is never answered, Decision D6);
//   - with a probe on a fresh connection 2 (LOGIN Auth-State init, which always gets a
//     response: PING has none), that the server still serves;
//   - that the server engine did not panic.
// A finding's input is minimised by delta debugging on the bytes after the login.

// probeWait bounds the probe's wait for an answer (virtual time).
const probeWait = 5 * time.Second

// Kinds of wire findings.
const (
	KindCrash       = "crash"
	KindHang        = "hang"
	KindUnknownID   = "unknown-id"
	KindReplyToDash = "reply-to-dash"
)

// wireOutcome is what one input did.
type wireOutcome struct {
	kind   string
	detail string
}

// wireRig runs inputs against one target kind.
type wireRig struct {
	cfg     Config
	factory func(seed uint64) engine.Engine
	domain  string
	pass    map[string]string // alice, bob
}

func newWireRig(cfg Config) (*wireRig, error) {
	f, err := Factory(cfg.Mutant)
	if err != nil {
		return nil, err
	}
	scfg := server.Config{
		Domain:    "example.com",
		Accounts:  map[string]string{"alice": "pw-alice", "bob": "pw-bob"},
		Listeners: map[string]string{"client": server.RoleClient},
	}
	r := &wireRig{cfg: cfg, domain: "example.com", pass: scfg.Accounts, factory: func(seed uint64) engine.Engine {
		return f(scfg, rand.New(rand.NewPCG(seed, 1)))
	}}
	if cfg.Run.Target != "" {
		if cfg.Run.Domain != "" {
			r.domain = strings.ToLower(cfg.Run.Domain)
		}
		r.pass = map[string]string{}
		for _, u := range []string{"alice", "bob"} {
			pw, ok := cfg.Run.Accounts[u]
			if !ok {
				pw, ok = cfg.Run.Accounts[u+"@"+r.domain]
			}
			if !ok {
				return nil, fmt.Errorf("fuzz: wire mode against a target needs --account %s:PASSWORD", u)
			}
			r.pass[u] = pw
		}
	}
	return r, nil
}

func loginMsgs(user, domain, pass string, ver string, id int) (init, cont []byte) {
	scheme := "pres:"
	if ver == wire.VersionIM {
		scheme = "im:"
	}
	m := &wire.Message{Method: "LOGIN", Version: ver, ID: strconv.Itoa(id)}
	m.Add("From", scheme+user+"@"+domain)
	m.Add("Auth-State", "init")
	m.Add("SASL-Mech", "PLAIN")
	sc := sasl.NewPlainClient(user+"@"+domain, pass)
	_, _, _ = sc.Step(nil)
	body, _, _ := sc.Step(nil)
	c := &wire.Message{Method: "LOGIN", Version: ver, ID: strconv.Itoa(id + 1), Body: body}
	c.Add("From", scheme+user+"@"+domain)
	c.Add("Auth-State", "continue")
	c.Add("SASL-Mech", "PLAIN")
	c.Add("Content-Type", "text/plain")
	return m.Bytes(), c.Bytes()
}

// run feeds one input (chunks written one after the other) and judges the outcome.
func (r *wireRig) run(seed uint64, chunks [][]byte) (out wireOutcome) {
	defer func() {
		if p := recover(); p != nil {
			out = wireOutcome{kind: KindCrash, detail: fmt.Sprint(p)}
		}
	}()
	w := sim.New(sim.Config{Seed: seed})
	if r.cfg.Run.Target != "" {
		// An external server: reached through the simulator's bridge.
		b, err := w.AddBridge(sim.BridgeConfig{Name: "srv", IP: "10.0.0.1", Dial: map[uint16]string{7000: r.cfg.Run.Target}})
		if err != nil {
			return wireOutcome{kind: KindHang, detail: fmt.Sprintf("bridge: %v", err)}
		}
		defer b.Close()
		if r.domain != "example.com" {
			for i := range chunks {
				chunks[i] = bytes.ReplaceAll(chunks[i], []byte("@example.com"), []byte("@"+r.domain))
			}
		}
	} else {
		w.MustAddHost(sim.HostConfig{Name: "srv", IP: "10.0.0.1", Listen: map[string]uint16{"client": 7000},
			New: func(*rand.Rand) engine.Engine { return r.factory(seed) }})
	}
	w.MustAddHost(sim.HostConfig{Name: "fz", IP: "10.0.0.2"})
	c := w.Connect("fz", "srv:7000")
	dec := wire.NewDecoder(wire.DefaultLimits())
	var resps []*wire.Message
	read := func() {
		dec.Feed(append([]byte(nil), c.Received()...))
		c.Consume(len(c.Received()))
		for {
			m, err := dec.Next()
			if err != nil {
				var we *wire.Error
				if ok := asWireErr(err, &we); ok && !we.Fatal {
					continue
				}
				return
			}
			if m == nil {
				return
			}
			if !m.IsRequest() {
				resps = append(resps, m)
			}
		}
	}
	waitResp := func(n int) bool {
		return w.RunUntil(func() bool { read(); return len(resps) >= n }, probeWait)
	}
	// Log in both services on the one connection.
	id := 1
	for _, ver := range []string{wire.VersionPresence, wire.VersionIM} {
		i, cont := loginMsgs("alice", r.domain, r.pass["alice"], ver, id)
		c.Write(i)
		if !waitResp(id) {
			return wireOutcome{kind: KindHang, detail: fmt.Sprintf("no answer to LOGIN %s before any fuzz input (%d responses, %q)", ver, len(resps), c.Received())}
		}
		c.Write(cont)
		if !waitResp(id + 1) {
			return wireOutcome{kind: KindHang, detail: "no answer to LOGIN continue before any fuzz input"}
		}
		id += 2
	}
	before := len(resps)
	for _, ch := range chunks {
		c.Write(ch)
		w.RunFor(time.Millisecond * time.Duration(1+len(ch)%3))
	}
	settle := 2 * time.Second
	if r.cfg.Run.Target != "" {
		settle = 300 * time.Millisecond // virtual time follows the wall clock with a real server
	}
	w.RunFor(settle)
	read()
	sent := idsIn(bytes.Join(chunks, nil))
	for _, m := range resps[before:] {
		if m.ID == wire.NoResponse {
			return wireOutcome{kind: KindReplyToDash, detail: fmt.Sprintf("response %q answers a request with id \"-\" (Decision D6)", m.StartLine())}
		}
		if !sent[m.ID] {
			return wireOutcome{kind: KindUnknownID, detail: fmt.Sprintf("response %q carries an id no request in the input had", m.StartLine())}
		}
	}
	// Probe: a second connection must still be served.
	p := w.Connect("fz", "srv:7000")
	i, _ := loginMsgs("bob", r.domain, r.pass["bob"], wire.VersionPresence, 1)
	p.Write(i)
	pd := wire.NewDecoder(wire.DefaultLimits())
	got := w.RunUntil(func() bool {
		pd.Feed(append([]byte(nil), p.Received()...))
		p.Consume(len(p.Received()))
		m, err := pd.Next()
		return err == nil && m != nil && !m.IsRequest()
	}, probeWait)
	if !got {
		return wireOutcome{kind: KindHang, detail: fmt.Sprintf("probe LOGIN on a new connection got no answer within %v", probeWait)}
	}
	return wireOutcome{}
}

func asWireErr(err error, target **wire.Error) bool {
	we, ok := err.(*wire.Error)
	if ok {
		*target = we
	}
	return ok
}

// idsIn collects every token of the input: a response may only carry an id that appeared
// somewhere in what was sent (liberal on purpose, so that a server that reads a mangled start
// line differently is not blamed for it).
func idsIn(input []byte) map[string]bool {
	ids := map[string]bool{}
	for _, f := range bytes.Fields(input) {
		if len(f) <= 64 {
			ids[string(f)] = true
		}
	}
	return ids
}

// templates are valid requests for an authenticated alice (I2 §10-§11).
func templates() []*wire.Message {
	mk := func(method, ver, id string, body string, h ...string) *wire.Message {
		m := &wire.Message{Method: method, Version: ver, ID: id, Body: []byte(body)}
		for i := 0; i+1 < len(h); i += 2 {
			m.Add(h[i], h[i+1])
		}
		return m
	}
	pres := `<presence identifier="pres:alice@example.com" date="Thu, 1 Jan 2026 00:00:00 +0000"><contact address="im:alice@example.com"><display-name>im</display-name><status value="open"/></contact></presence>`
	acl := `<acl><entry><target><address>.</address></target><allow><fetch/></allow></entry></acl>`
	return []*wire.Message{
		mk("PING", wire.VersionPresence, "-", ""),
		mk("PUBLISH", wire.VersionPresence, "10", pres, "From", "pres:alice@example.com", "PI-Type", "leased", "Duration", "60", "Tuple-ID", "im", "Content-Type", "application/presence"),
		mk("SUBSCRIBE", wire.VersionPresence, "11", "", "From", "pres:alice@example.com", "To", "pres:bob@example.com", "Duration", "600"),
		mk("FETCH", wire.VersionPresence, "12", "", "From", "pres:alice@example.com", "To", "pres:bob@example.com"),
		mk("UNSUBSCRIBE", wire.VersionPresence, "13", "", "From", "pres:alice@example.com", "To", "pres:bob@example.com"),
		mk("SETACL", wire.VersionPresence, "14", acl, "From", "pres:alice@example.com", "Content-Type", "text/xml"),
		mk("GETCLASSTABLE", wire.VersionPresence, "15", "", "From", "pres:alice@example.com"),
		mk("LISTEN", wire.VersionIM, "16", "", "From", "im:alice@example.com"),
		mk("SEND", wire.VersionIM, "17", "hello", "From", "im:alice@example.com", "To", "im:bob@example.com", "Message-ID", "m1@example.com", "Conversation-ID", "c1", "Content-Type", "text/plain"),
		mk("SEND", wire.VersionIM, "-", "no answer wanted", "From", "im:alice@example.com", "To", "im:alice@example.com", "Message-ID", "m2@example.com", "Conversation-ID", "c1", "Content-Type", "text/plain"),
		mk("STARTWATCHERNOTIFY", wire.VersionPresence, "18", "", "From", "pres:alice@example.com"),
		mk("REMOVE", wire.VersionPresence, "19", "", "From", "pres:alice@example.com", "Tuple-ID", "im"),
	}
}

// mutate returns m's bytes after one grammar-aware mutation chosen by rng.
func mutate(rng *rand.Rand, m *wire.Message) []byte {
	c := *m
	c.Headers = append([]wire.Header(nil), m.Headers...)
	c.Body = append([]byte(nil), m.Body...)
	pick := func(list ...string) string { return list[rng.IntN(len(list))] }
	switch rng.IntN(16) {
	case 0: // drop a header
		if len(c.Headers) > 0 {
			i := rng.IntN(len(c.Headers))
			c.Headers = append(c.Headers[:i], c.Headers[i+1:]...)
		}
	case 1: // duplicate a header, possibly with another value
		if len(c.Headers) > 0 {
			h := c.Headers[rng.IntN(len(c.Headers))]
			if rng.IntN(2) == 0 {
				h.Value = pick("", "x", "pres:mallory@example.net", "-1", "99999999999")
			}
			c.Headers = append(c.Headers, h)
		}
	case 2: // odd id
		c.ID = pick("-", "", "0", "99999999999999999999", "a b", "\xff", strings.Repeat("9", 300))
	case 3: // odd method or version
		if rng.IntN(2) == 0 {
			c.Method = pick("publish", "FOO", "NOTIFY", "CANCELSUBSCRIPTION", "LOGOUT", "")
		} else {
			c.Version = pick("PRIM-PR/2.0", "PRIM/1.0", "PRIM-IM/1.0", "PRIM-PR/1.0 ", "HTTP/1.1")
		}
	case 4: // bad UTF-8 in a header value
		if len(c.Headers) > 0 {
			i := rng.IntN(len(c.Headers))
			c.Headers[i].Value += "\xff\xfe\xc0\x80"
		}
	case 5: // huge header value
		if len(c.Headers) > 0 {
			i := rng.IntN(len(c.Headers))
			c.Headers[i].Value = strings.Repeat("a", []int{400, 5000, 70000}[rng.IntN(3)])
		}
	case 6: // huge body
		c.Body = bytes.Repeat([]byte("b"), []int{2000, 70000, 1 << 20}[rng.IntN(3)])
	case 7: // header without colon, or with odd spacing
		c.Headers = append(c.Headers, wire.Header{Name: pick("Bogus", "From", "Duration"), Value: pick("", " ", ":::")})
	}
	b := c.Bytes()
	switch rng.IntN(10) {
	case 0: // content length that lies
		sl := bytes.Index(b, []byte("\r\n"))
		f := strings.Fields(string(b[:sl]))
		if len(f) >= 4 {
			f[3] = pick("0", "-5", "999", "18446744073709551616", "x", strconv.Itoa(len(c.Body)+1))
			b = append([]byte(strings.Join(f, " ")), b[sl:]...)
		}
	case 1: // bare LF line ends
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	case 2: // lose the blank line
		b = bytes.Replace(b, []byte("\r\n\r\n"), []byte("\r\n"), 1)
	case 3: // NUL and control bytes
		if len(b) > 0 {
			i := rng.IntN(len(b))
			b = append(b[:i:i], append([]byte{0, '\r', 0x7f}, b[i:]...)...)
		}
	}
	return b
}

// genInput draws one input: a burst of (mostly mutated) messages, split into writes.
func genInput(rng *rand.Rand) ([][]byte, int) {
	ts := templates()
	var all []byte
	n := 1 + rng.IntN(4)
	msgs := 0
	for i := 0; i < n; i++ {
		m := ts[rng.IntN(len(ts))]
		if rng.IntN(8) == 0 { // pipelining burst of one valid message
			k := 10 + rng.IntN(60)
			for j := 0; j < k; j++ {
				all = append(all, m.Bytes()...)
			}
			msgs += k
			continue
		}
		if rng.IntN(4) == 0 {
			all = append(all, m.Bytes()...)
		} else {
			all = append(all, mutate(rng, m)...)
		}
		msgs++
	}
	return split(rng, all), msgs
}

// split cuts b into 1..6 writes at random places (odd splits across writes).
func split(rng *rand.Rand, b []byte) [][]byte {
	k := 1 + rng.IntN(6)
	var out [][]byte
	for i := 0; i < k-1 && len(b) > 1; i++ {
		cut := 1 + rng.IntN(len(b)-1)
		out = append(out, b[:cut])
		b = b[cut:]
	}
	return append(out, b)
}

// Wire runs wire-mode fuzzing against the reference server (or a mutant of it) in the
// simulator, or against an external server (cfg.Run.Target, with accounts alice and bob)
// through the simulator's bridge: cfg.Cases inputs from cfg.Seed (and shard). It stops at the
// first finding, which carries the minimised input. Against a target each case takes a few
// seconds of wall time: the simulator waits for the real server.
func Wire(cfg Config) (*Report, error) {
	cfg.defaults()
	rig, err := newWireRig(cfg)
	if err != nil {
		return nil, err
	}
	rep := &Report{Mode: ModeWire, Seed: cfg.Seed, Shard: cfg.Shard, Shards: cfg.Shards, Target: target(cfg)}
	rng := rand.New(rand.NewPCG(cfg.shardSeed(), 0x77697265))
	for i := 0; i < cfg.Cases; i++ {
		caseSeed := rng.Uint64()
		chunks, n := genInput(rand.New(rand.NewPCG(caseSeed, 2)))
		rep.Messages += n
		rep.Cases++
		out := rig.run(caseSeed, chunks)
		if out.kind != "" {
			min := rig.minimise(caseSeed, bytes.Join(chunks, nil), out.kind)
			final := rig.run(caseSeed, [][]byte{min})
			rep.Findings = append(rep.Findings, Finding{Mode: ModeWire, Kind: out.kind, Seed: cfg.Seed, Case: rep.Cases,
				Summary: fmt.Sprintf("%s after %d input octets (minimised from %d)", out.kind, len(min), len(bytes.Join(chunks, nil))),
				Detail:  final.detail, Input: min})
		}
		if cfg.Progress != nil {
			cfg.Progress(rep.Cases, len(rep.Findings))
		}
		if len(rep.Findings) > 0 {
			break
		}
	}
	return rep, nil
}

// WireInput replays one input (as a single write) and returns the finding it shows, or nil.
func WireInput(cfg Config, input []byte) (*Finding, error) {
	rig, err := newWireRig(cfg)
	if err != nil {
		return nil, err
	}
	out := rig.run(cfg.Seed, [][]byte{input})
	if out.kind == "" {
		return nil, nil
	}
	return &Finding{Mode: ModeWire, Kind: out.kind, Seed: cfg.Seed, Summary: out.kind, Detail: out.detail, Input: input}, nil
}

// minimise shrinks input by delta debugging (ddmin over byte ranges) while it still shows the
// same kind of finding, sent as one write.
func (r *wireRig) minimise(seed uint64, input []byte, kind string) []byte {
	fails := func(b []byte) bool { return r.run(seed, [][]byte{b}).kind == kind }
	if !fails(input) {
		return input // the finding needs the original split across writes
	}
	n := 2
	budget := 400
	for len(input) >= 2 && budget > 0 {
		size := (len(input) + n - 1) / n
		reduced := false
		for start := 0; start < len(input) && budget > 0; start += size {
			end := min(start+size, len(input))
			cand := append(append([]byte(nil), input[:start]...), input[end:]...)
			budget--
			if len(cand) > 0 && fails(cand) {
				input = cand
				n = max(n-1, 2)
				reduced = true
				break
			}
		}
		if !reduced {
			if n >= len(input) {
				break
			}
			n = min(n*2, len(input))
		}
	}
	return input
}
