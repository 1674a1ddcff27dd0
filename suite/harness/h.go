package harness

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
	gtypes "github.com/onsi/gomega/types"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// H is what a case body drives the target with: peers, accounts, request builders, and the
// verdict helpers. One H lives for one case.
type H struct {
	meta       reports.CaseMeta
	cfg        Config
	seed       uint64
	tr         Transport
	transcript Transcript
	peers      map[string]int
	nextID     int
	saw        []string
	unique     int
	inbound    []*Peer // connections the target opened towards the suite
	started    time.Time

	verdict       reports.Verdict // forced verdict (error, not-applicable); "" = from ginkgo's state
	message       string
	connectFailed bool
	connected     bool
}

// Meta returns the case's metadata.
func (h *H) Meta() reports.CaseMeta { return h.meta }

// Config returns the run's configuration.
func (h *H) Config() Config { return h.cfg }

// Seed returns the case's seed (derived from the run seed and the case ID).
func (h *H) Seed() uint64 { return h.seed }

// Transcript returns what the case exchanged so far.
func (h *H) Transcript() *Transcript { return &h.transcript }

// Simulated reports whether the target is the reference server in the simulator.
func (h *H) Simulated() bool { return h.cfg.Simulated() }

func runCase(meta reports.CaseMeta, body func(h *H)) {
	cfg := CurrentConfig()
	h := &H{meta: meta, cfg: cfg, seed: caseSeed(cfg.Seed, meta.ID), peers: map[string]int{}, started: time.Now()}
	// Report entries become JUnit <properties>; shown in the console only for failures.
	entry := func(name, value string) {
		ginkgo.AddReportEntry(name, value, ginkgo.ReportEntryVisibilityFailureOrVerbose)
	}
	entry("case", meta.ID)
	entry("requirement", meta.Requirement)
	entry("level", meta.Level)
	if len(meta.Statements) > 0 {
		entry("statements", strings.Join(meta.Statements, " "))
	}
	if len(meta.RFC2779) > 0 {
		entry("rfc2779", strings.Join(meta.RFC2779, " "))
	}
	if len(meta.Decisions) > 0 {
		entry("decisions", strings.Join(meta.Decisions, " "))
	}
	ginkgo.DeferCleanup(h.finish)
	if Aborted() {
		h.verdict = reports.Error
		h.message = fmt.Sprintf("not run: the target could not be reached in %d consecutive cases", cfg.MaxUnreachable)
		ginkgo.Skip(h.message)
	}
	var err error
	if cfg.Simulated() {
		h.tr, err = newSimTransport(cfg, h.seed)
	} else {
		t := newTCPTransport(cfg)
		h.tr, err = t, t.lnErr
		h.adoptInbound(t)
	}
	if err != nil {
		h.Errorf("%v", err)
	}
	body(h)
}

// finish runs after the body (pass, fail, skip or panic): it settles the verdict, keeps the
// evidence of a case that did not pass and records the result.
func (h *H) finish() {
	rep := ginkgo.CurrentSpecReport()
	res := reports.CaseResult{CaseMeta: h.meta, Duration: time.Since(h.started)}
	switch {
	case h.verdict != "":
		res.Verdict = h.verdict
		res.Message = h.message
	case rep.State == types.SpecStateSkipped:
		res.Verdict = reports.NotApplicable
		res.Message = rep.Failure.Message
	case rep.State == types.SpecStatePanicked:
		res.Verdict = reports.Error
		res.Message = "the case panicked: " + rep.Failure.Message + " " + rep.Failure.ForwardedPanic
	case rep.Failed():
		res.Verdict = reports.Fail
		res.Message = rep.Failure.Message
	default:
		res.Verdict = reports.Pass
	}
	if len(h.saw) > 0 {
		seen := "saw: " + strings.Join(h.saw, "; ")
		if res.Message == "" {
			res.Message = seen
		} else {
			res.Message += "\n" + seen
		}
	}
	if res.Verdict == reports.Fail || res.Verdict == reports.Error {
		res.Message += "\n" + h.replayHint()
		res.Excerpt = h.transcript.String()
		if h.cfg.Out != "" && h.tr != nil {
			links, err := h.writeEvidence()
			if err != nil {
				res.Message += fmt.Sprintf("\n(evidence not written: %v)", err)
			}
			res.Links = links
		}
		fmt.Fprintln(ginkgo.GinkgoWriter, h.replayHint())
	}
	if h.tr != nil {
		h.keepInbound()
		h.tr.Close()
	}
	record(res, h.connectFailed, h.connected)
}

func (h *H) replayHint() string {
	hint := fmt.Sprintf("replay: primlab conform --seed %d --case %s", h.cfg.Seed, h.meta.ID)
	if !h.cfg.Simulated() {
		hint += " --target " + h.cfg.Target
		if h.cfg.S2STarget != "" {
			hint += " --s2s-target " + h.cfg.S2STarget
		}
	}
	return hint
}

// writeEvidence writes transcript.txt (and the simulator's trace and capture) under
// Out/cases/<id>/ and returns links relative to Out.
func (h *H) writeEvidence() (reports.Links, error) {
	var links reports.Links
	rel := path.Join("cases", h.meta.ID)
	dir := filepath.Join(h.cfg.Out, filepath.FromSlash(rel))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return links, fmt.Errorf("harness: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "transcript.txt"), []byte(h.transcript.String()), 0o644); err != nil {
		return links, fmt.Errorf("harness: %w", err)
	}
	links.Transcript = path.Join(rel, "transcript.txt")
	trace, pcap, err := h.tr.Evidence(dir)
	if trace != "" {
		links.Trace = path.Join(rel, trace)
	}
	if pcap != "" {
		links.Pcap = path.Join(rel, pcap)
	}
	return links, err
}

func (h *H) note(peer, text string) {
	at := time.Duration(0)
	if h.tr != nil {
		at = h.tr.Elapsed()
	}
	h.transcript.add(at, peer, DirNote, []byte(text))
}

// Step notes what the case does next, in the transcript and the ginkgo output.
func (h *H) Step(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	h.note("case", text)
	fmt.Fprintln(ginkgo.GinkgoWriter, "STEP: "+text)
}

// Errorf ends the case with verdict error: the target broke the harness (no answer before the
// deadline, a disconnect, a refused connection) rather than answering wrongly.
func (h *H) Errorf(format string, args ...any) {
	ginkgo.GinkgoHelper()
	h.verdict = reports.Error
	h.message = fmt.Sprintf(format, args...)
	ginkgo.Fail(h.message)
}

// Failf ends the case with verdict fail.
func (h *H) Failf(format string, args ...any) {
	ginkgo.GinkgoHelper()
	ginkgo.Fail(fmt.Sprintf(format, args...))
}

// NotApplicable ends the case with verdict not-applicable; the message is the evidence (what
// the target said that shows the feature is not offered).
func (h *H) NotApplicable(format string, args ...any) {
	ginkgo.GinkgoHelper()
	h.verdict = reports.NotApplicable
	h.message = fmt.Sprintf(format, args...)
	ginkgo.Skip(h.message)
}

// Saw records which of the outcomes a decision allows the target chose, e.g.
// h.Saw("D6: processed, not answered"). It ends up in the result's message and report entries.
func (h *H) Saw(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	h.saw = append(h.saw, text)
	h.note("case", "saw: "+text)
	if inSpec() {
		ginkgo.AddReportEntry("saw", text, ginkgo.ReportEntryVisibilityFailureOrVerbose)
	}
}

// inSpec reports whether a ginkgo spec is running (report entries can only be added then;
// harness helpers are also driven directly, by the harness's own tests).
func inSpec() bool { return ginkgo.CurrentSpecReport().LeafNodeType != types.NodeTypeInvalid }

// Outcome is one acceptable outcome of a step: a name saying what it means (cite the decision)
// and a matcher recognising it.
type Outcome struct {
	Name    string
	Matcher gtypes.GomegaMatcher
}

// OneOf names an acceptable outcome for Accept: h.Accept(ev, OneOf("D8: 501", HaveCode(501)), ...).
func OneOf(name string, m gtypes.GomegaMatcher) Outcome { return Outcome{Name: name, Matcher: m} }

// Accept judges like a referee: actual (a *wire.Message or an Event) must match one of the
// acceptable outcomes; the first that matches is recorded with Saw and its name returned.
// Otherwise the case fails, listing every acceptable outcome and what was seen.
func (h *H) Accept(actual any, outcomes ...Outcome) string {
	ginkgo.GinkgoHelper()
	if ev, ok := actual.(Event); ok && ev.Msg == nil && ev.Err != nil && errors.Is(ev.Err, errFlood) {
		h.Errorf("%v", ev.Err)
	}
	var expected []string
	for _, o := range outcomes {
		ok, err := o.Matcher.Match(actual)
		if err == nil && ok {
			h.Saw("%s", o.Name)
			return o.Name
		}
		expected = append(expected, fmt.Sprintf("  - %s (%s)", o.Name, matcherText(o.Matcher)))
	}
	h.Failf("expected one of:\n%s\nactual: %s", strings.Join(expected, "\n"), actualText(actual))
	return ""
}

func (h *H) assert(m *wire.Message, matchers []any) {
	ginkgo.GinkgoHelper()
	for _, x := range matchers {
		mt, ok := x.(gtypes.GomegaMatcher)
		if !ok {
			panic(fmt.Sprintf("harness: %T is not a gomega matcher", x))
		}
		gomega.Expect(m).To(mt)
	}
}

// Timeout is the per-step deadline; Quiet the default silence period of ExpectNothing.
func (h *H) Timeout() time.Duration { return h.cfg.Timeout }
func (h *H) Quiet() time.Duration   { return h.cfg.Quiet }

// Wait lets d pass (virtual time in the simulator), e.g. for a lease to expire. Meanwhile it
// adopts the connections the target opens towards the suite and answers their LOGINs, so a
// request the target sends on a fresh connection during the wait is there to be seen
// afterwards (Inbound, ExpectS2SRequest): a negative check cannot pass because the target's
// connection was left hanging at LOGIN.
func (h *H) Wait(d time.Duration) {
	h.tr.Wait(func() bool {
		h.pollInbound()
		return false
	}, d)
	h.pollInbound()
}

// logicalUsers are the names cases use for the target's accounts, in order.
var logicalUsers = []string{"alice", "bob", "carol", "dave"}

// Account returns the target account playing the logical user name ("alice" is the first
// account, "bob" the second, "carol" the third). A case that needs more accounts than the
// target provides is not applicable.
func (h *H) Account(name string) Account {
	ginkgo.GinkgoHelper()
	for i, n := range logicalUsers {
		if n == name {
			if i >= len(h.cfg.Accounts) {
				h.NotApplicable("the case needs %d accounts; the target provides %d", i+1, len(h.cfg.Accounts))
			}
			return h.cfg.Accounts[i]
		}
	}
	panic(fmt.Sprintf("harness: unknown logical user %q (want one of %v)", name, logicalUsers))
}

// Domain returns the target's domain.
func (h *H) Domain() string { return h.cfg.Domain }

// Pres returns "pres:<user>@<domain>" for a bare user name or logical user.
func (h *H) Pres(user string) string { return "pres:" + h.userName(user) + "@" + h.cfg.Domain }

// IM returns "im:<user>@<domain>".
func (h *H) IM(user string) string { return "im:" + h.userName(user) + "@" + h.cfg.Domain }

func (h *H) userName(u string) string {
	for i, n := range logicalUsers {
		if n == u && i < len(h.cfg.Accounts) {
			return h.cfg.Accounts[i].User
		}
	}
	return u
}

// Unique returns prefix made unique to this case (and, against an external target, to this
// run): use it for tuple ids, message ids and notes, so that state an external server keeps
// from earlier cases or runs cannot make a case pass or fail. In the simulator it is
// deterministic.
func (h *H) Unique(prefix string) string {
	h.unique++
	return fmt.Sprintf("%s-%x%s-%d", prefix, uint32(caseSeed(0, h.meta.ID)), runNonce(h.cfg), h.unique)
}

// NextID returns a fresh request id ("0001", "0002", ...): digit strings with leading zeros,
// as in the drafts' examples (prim-digest §3.5).
func (h *H) NextID() string {
	h.nextID++
	return fmt.Sprintf("%04d", h.nextID)
}

// Request builds a request with a fresh id, the version its method takes in the case's profile
// (PRIM-A8.2-1), and headers given as name, value pairs in order. A case that drives both
// kinds of link (a server-profile case with a UA peer, say) uses Peer.Request instead, which
// picks the version of the peer's link.
func (h *H) Request(method string, headers ...string) *wire.Message {
	if len(headers)%2 != 0 {
		panic("harness: Request wants header name, value pairs")
	}
	p := wire.ProfileClient
	if h.meta.Profile == ProfileServer {
		p = wire.ProfileServer
	}
	m := &wire.Message{Method: method, Version: wire.VersionFor(p, method), ID: h.NextID()}
	for i := 0; i < len(headers); i += 2 {
		m.Add(headers[i], headers[i+1])
	}
	return m
}

// Peer opens a new connection to the target's client listener. name labels the connection in
// the transcript (a second peer with the same name gets a suffix).
func (h *H) Peer(name string) *Peer {
	ginkgo.GinkgoHelper()
	return h.dial(name, ListenerClient)
}

// S2SPeer opens a new connection to the target's server-server listener, playing a remote
// domain. Not applicable when the target has no server-server listener.
func (h *H) S2SPeer(name string) *Peer {
	ginkgo.GinkgoHelper()
	if !h.cfg.Simulated() && h.cfg.S2STarget == "" {
		h.NotApplicable("no server-server listener given (--s2s-target)")
	}
	p := h.dial(name, ListenerS2S)
	p.version = wire.VersionServer
	return p
}

func (h *H) dial(name, listener string) *Peer {
	ginkgo.GinkgoHelper()
	h.peers[name]++
	label := name
	if n := h.peers[name]; n > 1 {
		label = name + "#" + strconv.Itoa(n)
	}
	s, err := h.tr.Dial(label, listener)
	if err != nil {
		h.connectFailed = !h.connected
		h.Errorf("cannot connect to the target's %s listener: %v", listener, err)
	}
	h.connected = true
	h.note(label, "connect to the "+listener+" listener")
	return &Peer{h: h, name: label, stream: s, dec: wire.NewDecoder(wire.DefaultLimits())}
}
