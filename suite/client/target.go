package client

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/primlab/primlab/reference/client"
	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/sim"
)

// Config is the client-role part of a run. harness.Config has no field for it yet, so it
// lives here (to be merged into harness.Config as Exec).
type Config struct {
	// Exec is the command that starts the user agent under test, once per case, run with
	// `sh -c`. "{addr}" in it is replaced by the home listener's host:port, which is also in
	// the environment as PRIMLAB_SERVER. Empty: the reference user agent in the simulator.
	Exec string
	// Listen is the host the listeners bind to under Exec (default 127.0.0.1).
	Listen string
	// WrapUA, when set, wraps the simulated reference user agent's engine in every case's
	// world (called once per world, so a wrapper may keep state). The mutation self-test
	// (suite/mutants) uses it to break one behaviour at a time; nil runs the clean reference.
	// It has no effect under Exec.
	WrapUA func(engine.Engine) engine.Engine
}

var runCfg struct {
	mu  sync.Mutex
	cfg Config
}

// Configure sets the client-role configuration for the cases that run next.
func Configure(c Config) error {
	if strings.TrimSpace(c.Exec) == "" && c.Exec != "" {
		return errors.New("suite/client: exec command is blank")
	}
	runCfg.mu.Lock()
	defer runCfg.mu.Unlock()
	runCfg.cfg = c
	return nil
}

// CurrentConfig returns the client-role configuration.
func CurrentConfig() Config {
	runCfg.mu.Lock()
	defer runCfg.mu.Unlock()
	return runCfg.cfg
}

// Listener names: the user agent's home server, and the server a 300 Redirect points at.
const (
	Home = "home"
	Alt  = "alt"
)

// Cmd is one driver-protocol command (fixtures/driver-protocol.md).
type Cmd struct {
	ID             string     `json:"id"`
	Cmd            string     `json:"cmd"`
	Server         string     `json:"server,omitempty"`
	User           string     `json:"user,omitempty"`
	Password       string     `json:"password,omitempty"`
	Mech           string     `json:"mech,omitempty"`
	Tuple          string     `json:"tuple,omitempty"`
	Status         string     `json:"status,omitempty"`
	Note           string     `json:"note,omitempty"`
	Contact        string     `json:"contact,omitempty"`
	DisplayName    string     `json:"display_name,omitempty"`
	Detail         string     `json:"detail,omitempty"`
	Preference     string     `json:"preference,omitempty"`
	PIType         string     `json:"pi_type,omitempty"`
	Duration       int        `json:"duration,omitempty"`
	Class          []string   `json:"class,omitempty"`
	To             string     `json:"to,omitempty"`
	Body           string     `json:"body,omitempty"`
	ContentType    string     `json:"content_type,omitempty"`
	ConversationID string     `json:"conversation_id,omitempty"`
	MessageID      string     `json:"message_id,omitempty"`
	ReplyTo        string     `json:"reply_to,omitempty"`
	Service        string     `json:"service,omitempty"`
	Entries        []ACLEntry `json:"entries,omitempty"`
	Classes        []Class    `json:"classes,omitempty"`
}

// ACLEntry and Class are the driver's ACL and class-table entries.
type ACLEntry struct {
	Targets []string `json:"targets"`
	Allow   []string `json:"allow"`
}

type Class struct {
	Name     string   `json:"name"`
	Watchers []string `json:"watchers"`
}

// Tuple is a driver tuple object.
type Tuple struct {
	ID          string `json:"id"`
	Status      string `json:"status,omitempty"`
	Detail      string `json:"detail,omitempty"`
	Contact     string `json:"contact,omitempty"`
	Note        string `json:"note,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	Preference  string `json:"preference,omitempty"`
}

// UAEvent is one line the user agent reported: a result or an event.
type UAEvent struct {
	Type           string  `json:"type"`
	ID             string  `json:"id,omitempty"`
	Cmd            string  `json:"cmd,omitempty"`
	Code           int     `json:"code,omitempty"`
	Phrase         string  `json:"phrase,omitempty"`
	Error          string  `json:"error,omitempty"`
	RequestID      string  `json:"request_id,omitempty"`
	Duration       string  `json:"duration,omitempty"`
	Redirect       string  `json:"redirect,omitempty"`
	Tuples         []Tuple `json:"tuples,omitempty"`
	From           string  `json:"from,omitempty"`
	To             string  `json:"to,omitempty"`
	MessageID      string  `json:"message_id,omitempty"`
	ConversationID string  `json:"conversation_id,omitempty"`
	ReplyTo        string  `json:"reply_to,omitempty"`
	ContentType    string  `json:"content_type,omitempty"`
	Body           string  `json:"body,omitempty"`
	Reply          int     `json:"reply,omitempty"`
	Service        string  `json:"service,omitempty"`
	WatcherType    string  `json:"watcher_type,omitempty"`
	// Watchers (startwatchernotify), Classes (getclasstable), Entries (getacl).
	Watchers []string   `json:"watchers,omitempty"`
	Classes  []Class    `json:"classes,omitempty"`
	Entries  []ACLEntry `json:"entries,omitempty"`
}

func (e UAEvent) String() string {
	b, _ := json.Marshal(e)
	return string(b)
}

// stream is one connection the user agent opened, seen from the suite's (server) side.
type stream interface {
	Write(p []byte)
	Received() []byte
	Consume(n int)
	Closed() bool
	Err() error
	Close()
	Abort()
	// StartTLS starts the suite's side of a TLS handshake; false if the target cannot.
	StartTLS() bool
}

// target runs the user agent under test and the listeners it connects to.
type target interface {
	// do hands the user agent one driver command.
	do(c Cmd)
	// events returns every result and event the user agent reported so far.
	events() []UAEvent
	// wait lets time pass until cond holds or d passed; it reports cond's last answer.
	wait(cond func() bool, d time.Duration) bool
	// accepted returns the connections opened to listener since the last call.
	accepted(listener string) []stream
	// addr returns the host and port of listener as the user agent reaches it.
	addr(listener string) (string, int)
	elapsed() time.Duration
	close()
	// evidence returns the simulator's trace (empty under Exec) and the user agent's stderr.
	evidence() (trace, stderr string)
	// capture returns the simulator's pcapng capture (nil under Exec).
	capture() []byte
}

// UAOptions configure the simulated reference user agent; an external one is configured by
// its command line, so cases needing options are not applicable under Exec.
type UAOptions struct {
	StartTLS bool
	Shared   bool
	Mechs    string
}

// ---- the reference user agent in the simulator ----

const simPort = 7000

type simTarget struct {
	w     *sim.World
	ua    *sim.Host
	lns   map[string]*sim.Listener
	seen  int
	evs   []UAEvent
	trace bytes.Buffer
	pcap  bytes.Buffer
}

func newSimTarget(seed uint64, opts UAOptions) (*simTarget, error) {
	t := &simTarget{lns: map[string]*sim.Listener{}}
	t.w = sim.New(sim.Config{Seed: seed, Trace: &t.trace, Pcap: &t.pcap})
	for i, name := range []string{Home, Alt} {
		if _, err := t.w.AddHost(sim.HostConfig{Name: name, IP: fmt.Sprintf("10.0.0.%d", i+1)}); err != nil {
			return nil, fmt.Errorf("suite/client: %w", err)
		}
		ln, err := t.w.Listen(name, simPort)
		if err != nil {
			return nil, fmt.Errorf("suite/client: %w", err)
		}
		t.lns[name] = ln
	}
	cfg := client.Config{Server: fmt.Sprintf("%s:%d", Home, simPort), StartTLS: opts.StartTLS, Shared: opts.Shared, Mechs: opts.Mechs}
	wrap := CurrentConfig().WrapUA
	ua, err := t.w.AddHost(sim.HostConfig{Name: "ua", IP: "10.0.1.1",
		New: func(rng *rand.Rand) engine.Engine {
			var e engine.Engine = client.New(cfg, rng)
			if wrap != nil {
				e = wrap(e)
			}
			return e
		}})
	if err != nil {
		return nil, fmt.Errorf("suite/client: %w", err)
	}
	t.ua = ua
	return t, nil
}

func (t *simTarget) do(c Cmd) {
	op, err := opFor(c)
	if err != nil {
		t.evs = append(t.evs, UAEvent{Type: "result", ID: c.ID, Cmd: c.Cmd, Error: err.Error()})
		return
	}
	t.ua.Call(client.Tagged{Tag: c.ID, Op: op})
	t.collect()
}

func (t *simTarget) collect() {
	facts := t.ua.Facts()
	for ; t.seen < len(facts); t.seen++ {
		if ev, ok := eventOf(facts[t.seen].Fact); ok {
			t.evs = append(t.evs, ev)
		}
	}
}

func (t *simTarget) events() []UAEvent { t.collect(); return t.evs }

func (t *simTarget) wait(cond func() bool, d time.Duration) bool {
	return t.w.RunUntil(func() bool { t.collect(); return cond() }, d)
}

func (t *simTarget) accepted(listener string) []stream {
	var out []stream
	ln := t.lns[listener]
	for c := ln.Accept(); c != nil; c = ln.Accept() {
		out = append(out, simStream{c})
	}
	return out
}

func (t *simTarget) addr(listener string) (string, int) { return listener, simPort }
func (t *simTarget) elapsed() time.Duration             { return t.w.Now() }
func (t *simTarget) close()                             {}
func (t *simTarget) evidence() (string, string)         { return t.trace.String(), "" }
func (t *simTarget) capture() []byte {
	if t.w.Flush() != nil {
		return nil
	}
	return t.pcap.Bytes()
}

type simStream struct{ c *sim.Conn }

func (s simStream) Write(p []byte)   { s.c.Write(p) }
func (s simStream) Received() []byte { return s.c.Received() }
func (s simStream) Consume(n int)    { s.c.Consume(n) }
func (s simStream) Closed() bool     { return s.c.Closed() }
func (s simStream) Err() error       { return s.c.Err() }
func (s simStream) Close()           { s.c.Close() }
func (s simStream) Abort()           { s.c.Abort() }
func (s simStream) StartTLS() bool   { s.c.StartTLS(); return true }

// opFor translates a driver command into the reference client's operation, as
// `primlab client --driver` does.
func opFor(c Cmd) (any, error) {
	svc := client.Service(c.Service)
	switch c.Cmd {
	case "connect":
		return client.Connect{Addr: c.Server}, nil
	case "login":
		return client.Login{ID: c.User, Password: c.Password, Mech: c.Mech}, nil
	case "publish":
		return client.Publish{TupleID: c.Tuple, PIType: c.PIType, Duration: c.Duration, Class: c.Class,
			Status: c.Status, Detail: c.Detail, Note: c.Note, Contact: c.Contact, DisplayName: c.DisplayName,
			Preference: c.Preference}, nil
	case "remove":
		return client.Remove{TupleID: c.Tuple, Class: c.Class}, nil
	case "subscribe":
		d := c.Duration
		if d == 0 {
			d = 3600
		}
		return client.Subscribe{To: c.To, Duration: d}, nil
	case "unsubscribe":
		return client.Unsubscribe{To: c.To}, nil
	case "fetch":
		return client.Fetch{To: c.To}, nil
	case "send":
		return client.Send{To: c.To, Body: []byte(c.Body), ContentType: c.ContentType,
			ConversationID: c.ConversationID, MessageID: c.MessageID, ReplyTo: c.ReplyTo}, nil
	case "listen":
		return client.Listen{}, nil
	case "silence":
		return client.Silence{}, nil
	case "setacl":
		op := client.SetACL{Service: svc, Entries: []client.ACLEntry{}}
		for _, e := range c.Entries {
			op.Entries = append(op.Entries, client.ACLEntry{Targets: e.Targets, Allow: e.Allow})
		}
		return op, nil
	case "getacl":
		return client.GetACL{Service: svc}, nil
	case "setclasstable":
		op := client.SetClassTable{}
		for _, cl := range c.Classes {
			op.Classes = append(op.Classes, client.Class{Name: cl.Name, Watchers: cl.Watchers})
		}
		return op, nil
	case "getclasstable":
		return client.GetClassTable{}, nil
	case "startwatchernotify":
		return client.StartWatcherNotify{}, nil
	case "stopwatchernotify":
		return client.StopWatcherNotify{}, nil
	case "ping":
		return client.Ping{Service: svc}, nil
	case "logout":
		return client.Logout{}, nil
	}
	return nil, fmt.Errorf("unknown cmd %q", c.Cmd)
}

func tuplesOf(ts []client.Tuple) []Tuple {
	out := make([]Tuple, len(ts))
	for i, t := range ts {
		out[i] = Tuple{ID: t.ID, Status: t.Status, Detail: t.Detail, Contact: t.Contact, Note: t.Note,
			DisplayName: t.DisplayName, Preference: t.Preference}
	}
	return out
}

// eventOf renders a reference client fact as the driver protocol's line would read.
func eventOf(f engine.Fact) (UAEvent, bool) {
	switch f := f.(type) {
	case client.Result:
		ev := UAEvent{Type: "result", ID: f.Tag, Cmd: f.Op, Code: f.Code, Phrase: f.Phrase, Error: f.Err,
			RequestID: f.ID, Duration: f.Duration, Redirect: f.Redirect, Tuples: tuplesOf(f.Tuples),
			MessageID: f.MessageID, ConversationID: f.ConversationID, Body: f.Body, Watchers: f.Watchers}
		for _, c := range f.Classes {
			ev.Classes = append(ev.Classes, Class{Name: c.Name, Watchers: c.Watchers})
		}
		for _, e := range f.ACL {
			ev.Entries = append(ev.Entries, ACLEntry{Targets: e.Targets, Allow: e.Allow})
		}
		return ev, true
	case client.Notification:
		return UAEvent{Type: "notify", From: f.From, To: f.To, Tuples: tuplesOf(f.Tuples), Error: f.Err}, true
	case client.Message:
		return UAEvent{Type: "message", From: f.From, To: f.To, MessageID: f.MessageID, ConversationID: f.ConversationID,
			ReplyTo: f.ReplyTo, ContentType: f.ContentType, Body: f.Body, Reply: f.Reply}, true
	case client.Watcher:
		return UAEvent{Type: "watcher", From: f.Watcher, To: f.Presentity, WatcherType: f.Type}, true
	case client.Cancelled:
		return UAEvent{Type: "cancelled", From: f.From, To: f.To}, true
	case client.Disconnected:
		return UAEvent{Type: "disconnected", Service: string(f.Service), Error: f.Err}, true
	case client.ProtocolError:
		return UAEvent{Type: "protocol_error", Service: string(f.Service), Error: f.Err}, true
	}
	return UAEvent{}, false
}

// ---- an external user agent (--exec) over loopback TCP ----

type execEvent struct {
	line     []byte // a stdout line
	exited   error  // the process ended (nil error: status 0)
	ln       string // a connection accepted on this listener
	nc       net.Conn
	s        *tcpStream
	data     []byte
	err      error
	isStream bool
}

type execTarget struct {
	start    time.Time
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	stderr   bytes.Buffer
	lns      map[string]net.Listener
	ch       chan execEvent
	done     chan struct{}
	mu       sync.Mutex
	streams  []*tcpStream
	pending  map[string][]stream
	evs      []UAEvent
	exited   bool
	exitErr  error
	closed   bool
	maxBytes int
}

func newExecTarget(cfg Config) (*execTarget, error) {
	t := &execTarget{start: time.Now(), lns: map[string]net.Listener{}, ch: make(chan execEvent, 64),
		done: make(chan struct{}), pending: map[string][]stream{}, maxBytes: 4 << 20}
	host := cfg.Listen
	if host == "" {
		host = "127.0.0.1"
	}
	for _, name := range []string{Home, Alt} {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			t.close()
			return nil, fmt.Errorf("suite/client: listen for %s: %w", name, err)
		}
		t.lns[name] = ln
		go t.acceptLoop(name, ln)
	}
	addr := t.lns[Home].Addr().String()
	t.cmd = exec.Command("sh", "-c", strings.ReplaceAll(cfg.Exec, "{addr}", addr))
	t.cmd.Env = append(os.Environ(), "PRIMLAB_SERVER="+addr)
	t.cmd.Stderr = &lockedBuffer{b: &t.stderr, mu: &t.mu}
	var err error
	if t.stdin, err = t.cmd.StdinPipe(); err != nil {
		t.close()
		return nil, fmt.Errorf("suite/client: %w", err)
	}
	stdout, err := t.cmd.StdoutPipe()
	if err != nil {
		t.close()
		return nil, fmt.Errorf("suite/client: %w", err)
	}
	if err := t.cmd.Start(); err != nil {
		t.close()
		return nil, fmt.Errorf("suite/client: start %q: %w", cfg.Exec, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			line := append([]byte(nil), sc.Bytes()...)
			select {
			case t.ch <- execEvent{line: line}:
			case <-t.done:
				return
			}
		}
		err := t.cmd.Wait()
		select {
		case t.ch <- execEvent{exited: fmt.Errorf("exited: %v", err)}:
		case <-t.done:
		}
	}()
	return t, nil
}

type lockedBuffer struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (t *execTarget) acceptLoop(name string, ln net.Listener) {
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		select {
		case t.ch <- execEvent{ln: name, nc: nc}:
		case <-t.done:
			nc.Close()
			return
		}
	}
}

func (t *execTarget) do(c Cmd) {
	b, err := json.Marshal(c)
	if err == nil {
		_, err = t.stdin.Write(append(b, '\n'))
	}
	if err != nil {
		t.evs = append(t.evs, UAEvent{Type: "result", ID: c.ID, Cmd: c.Cmd, Error: "harness: cannot write the command: " + err.Error()})
	}
}

func (t *execTarget) events() []UAEvent { return t.evs }

func (t *execTarget) apply(ev execEvent) {
	switch {
	case ev.line != nil:
		var e UAEvent
		if err := json.Unmarshal(ev.line, &e); err != nil {
			t.evs = append(t.evs, UAEvent{Type: "harness_error", Error: fmt.Sprintf("stdout line is not driver JSON: %q", ev.line)})
			return
		}
		if e.Type != "ready" {
			t.evs = append(t.evs, e)
		}
	case ev.exited != nil:
		t.exited, t.exitErr = true, ev.exited
	case ev.nc != nil:
		s := &tcpStream{t: t, nc: ev.nc}
		t.mu.Lock()
		t.streams = append(t.streams, s)
		t.mu.Unlock()
		t.pending[ev.ln] = append(t.pending[ev.ln], s)
		go s.readLoop()
	case ev.isStream:
		ev.s.apply(ev)
	}
}

func (t *execTarget) wait(cond func() bool, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case ev := <-t.ch:
			t.apply(ev)
		case <-timer.C:
			for {
				select {
				case ev := <-t.ch:
					t.apply(ev)
					continue
				default:
				}
				break
			}
			return cond()
		}
	}
}

func (t *execTarget) accepted(listener string) []stream {
	out := t.pending[listener]
	t.pending[listener] = nil
	return out
}

func (t *execTarget) addr(listener string) (string, int) {
	a := t.lns[listener].Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func (t *execTarget) elapsed() time.Duration { return time.Since(t.start) }

func (t *execTarget) evidence() (string, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return "", t.stderr.String()
}

func (t *execTarget) capture() []byte { return nil }

func (t *execTarget) close() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	close(t.done)
	streams := t.streams
	t.mu.Unlock()
	for _, ln := range t.lns {
		ln.Close()
	}
	for _, s := range streams {
		s.nc.Close()
	}
	if t.stdin != nil {
		t.stdin.Close()
	}
	if t.cmd != nil && t.cmd.Process != nil {
		// The driver protocol lets the process exit once stdin closes; a short grace, then
		// kill it (only the process this case started).
		exited := make(chan struct{})
		go func() {
			t.cmd.Process.Wait()
			close(exited)
		}()
		select {
		case <-exited:
		case <-time.After(2 * time.Second):
			t.cmd.Process.Kill()
		}
	}
}

type tcpStream struct {
	t    *execTarget
	nc   net.Conn
	rcv  []byte
	eof  bool
	err  error
	werr error
}

func (s *tcpStream) readLoop() {
	for {
		buf := make([]byte, 32<<10)
		n, err := s.nc.Read(buf)
		if n > 0 {
			select {
			case s.t.ch <- execEvent{isStream: true, s: s, data: buf[:n]}:
			case <-s.t.done:
				return
			}
		}
		if err != nil {
			select {
			case s.t.ch <- execEvent{isStream: true, s: s, err: err}:
			case <-s.t.done:
			}
			return
		}
	}
}

func (s *tcpStream) apply(ev execEvent) {
	if s.eof || s.err != nil {
		return
	}
	if ev.err != nil {
		if errors.Is(ev.err, io.EOF) {
			s.eof = true
		} else {
			s.err = ev.err
		}
		return
	}
	s.rcv = append(s.rcv, ev.data...)
	if len(s.rcv) > s.t.maxBytes {
		s.err = fmt.Errorf("the user agent flooded the connection: more than %d unread bytes", s.t.maxBytes)
		s.nc.Close()
	}
}

func (s *tcpStream) Write(p []byte) {
	if s.err != nil || s.werr != nil {
		return
	}
	s.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := s.nc.Write(p); err != nil {
		s.werr = err
	}
}
func (s *tcpStream) Received() []byte { return s.rcv }
func (s *tcpStream) Consume(n int) {
	if n >= len(s.rcv) {
		s.rcv = s.rcv[:0]
		return
	}
	s.rcv = append(s.rcv[:0], s.rcv[n:]...)
}
func (s *tcpStream) Closed() bool { return s.eof || s.err != nil }
func (s *tcpStream) Err() error {
	if s.err != nil {
		return s.err
	}
	return s.werr
}
func (s *tcpStream) Close() {
	if tc, ok := s.nc.(*net.TCPConn); ok {
		tc.CloseWrite()
		return
	}
	s.nc.Close()
}
func (s *tcpStream) Abort() {
	if tc, ok := s.nc.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	s.nc.Close()
	if s.err == nil {
		s.err = errors.New("connection aborted locally")
	}
}

// StartTLS is not offered over real sockets: the suite would need a certificate the user
// agent trusts, which the driver protocol cannot hand over.
func (s *tcpStream) StartTLS() bool { return false }
