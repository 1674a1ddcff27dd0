package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/primlab/primlab/reference/netrun"
	"github.com/primlab/primlab/reference/server"
	"github.com/primlab/primlab/reports"
	"github.com/primlab/primlab/suite/harness"
)

// primlab interop: every client under test against every server under test (the reference
// included), through the end-to-end scenarios below, each over a recording TCP proxy so that
// every cell of the matrix has the wire transcript behind it (DESIGN.md "Interop events").

func init() {
	register(command{name: "interop", summary: "run every client against every server and write an HTML matrix with transcripts", run: runInterop})
}

const interopReference = "reference"

type interopOptions struct {
	servers  map[string]string // name → host:port ("" = the reference, in process)
	clients  map[string]string // name → command ("" = the reference client, in process)
	domain   string
	accounts []harness.Account
	out      string
	timeout  time.Duration
}

func runInterop(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("interop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: primlab interop [--server name=HOST:PORT ...] [--client name=CMD ...] [--out DIR]\n\n"+
			"Runs every client against every server (the reference ones included unless --no-reference)\n"+
			"through the interop scenarios and writes matrix.html and matrix.json to --out. A client is\n"+
			"a command speaking the driver protocol (fixtures/driver-protocol.md) on stdin/stdout; it\n"+
			"is told the server with the driver's connect command. Exit 1 when a cell does not pass.\n\nflags:")
		fs.PrintDefaults()
	}
	var servers, clients, accounts conformList
	fs.Var(&servers, "server", "a server under test `name=HOST:PORT` (its client listener; repeatable)")
	fs.Var(&clients, "client", "a client under test `name=CMD` (driver protocol; repeatable)")
	fs.Var(&accounts, "account", "an account `user:password` on the servers under test (repeatable; first alice, then bob; default the reference's)")
	noRef := fs.Bool("no-reference", false, "leave the reference server and client out of the matrix")
	o := interopOptions{servers: map[string]string{}, clients: map[string]string{}}
	fs.StringVar(&o.domain, "domain", harness.DefaultDomain, "the servers' `domain`")
	fs.StringVar(&o.out, "out", filepath.Join("out", "interop"), "output `directory`")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-step `deadline`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "primlab interop: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if !*noRef {
		o.servers[interopReference] = ""
		o.clients[interopReference] = ""
	}
	for _, kv := range servers {
		name, addr, ok := strings.Cut(kv, "=")
		if _, _, err := net.SplitHostPort(addr); !ok || name == "" || err != nil {
			fmt.Fprintf(stderr, "primlab interop: --server %q: want name=HOST:PORT\n", kv)
			return exitUsage
		}
		o.servers[name] = addr
	}
	for _, kv := range clients {
		name, cmd, ok := strings.Cut(kv, "=")
		if !ok || name == "" || strings.TrimSpace(cmd) == "" {
			fmt.Fprintf(stderr, "primlab interop: --client %q: want name=CMD\n", kv)
			return exitUsage
		}
		o.clients[name] = cmd
	}
	for _, a := range accounts {
		acct, err := harness.ParseAccount(a)
		if err != nil {
			fmt.Fprintf(stderr, "primlab interop: %v\n", err)
			return exitUsage
		}
		o.accounts = append(o.accounts, acct)
	}
	if len(o.accounts) == 0 {
		o.accounts = harness.DefaultAccounts()
	}
	if len(o.accounts) < 2 {
		fmt.Fprintln(stderr, "primlab interop: the scenarios need two accounts (--account alice:pw --account bob:pw)")
		return exitUsage
	}
	if len(o.servers) == 0 || len(o.clients) == 0 {
		fmt.Fprintln(stderr, "primlab interop: nothing to run: give --server and --client, or keep the reference")
		return exitUsage
	}
	m := runInteropMatrix(o)
	if err := reports.WriteInterop(o.out, m); err != nil {
		fmt.Fprintf(stderr, "primlab interop: %v\n", err)
		return exitHarness
	}
	for _, c := range m.Cells {
		fmt.Fprintf(stdout, "%-16s × %-16s %-5s %d/%d scenarios\n", c.Client, c.Server, c.Verdict, c.Passed(), len(c.Scenarios))
		for _, s := range c.Scenarios {
			if s.Verdict != reports.Pass {
				fmt.Fprintf(stdout, "    %s %s: %s\n", strings.ToUpper(string(s.Verdict)), s.Name, s.Message)
			}
		}
	}
	fmt.Fprintf(stdout, "matrix: %s\n", filepath.Join(o.out, "matrix.html"))
	if !m.AllPass() {
		return exitFail
	}
	return exitOK
}

func sortedNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// runInteropMatrix runs every scenario for every client × server pair, one at a time.
func runInteropMatrix(o interopOptions) *reports.InteropMatrix {
	m := &reports.InteropMatrix{Start: time.Now(), Clients: sortedNames(o.clients), Servers: sortedNames(o.servers)}
	for _, sc := range interopScenarios {
		m.Scenarios = append(m.Scenarios, sc.name+": "+sc.summary)
	}
	for _, cn := range m.Clients {
		for _, sn := range m.Servers {
			cell := reports.InteropCell{Client: cn, Server: sn}
			for _, sc := range interopScenarios {
				cell.Scenarios = append(cell.Scenarios, runInteropScenario(o, cn, sn, sc))
			}
			cell.Settle()
			m.Cells = append(m.Cells, cell)
		}
	}
	m.Duration = time.Since(m.Start)
	return m
}

// ---- one scenario run: server, proxy, clients ----

// errSetup marks a failure to run the scenario at all (verdict error, not fail).
var errSetup = errors.New("setup")

type interopRun struct {
	o       interopOptions
	rec     *recorder
	target  string // the server's client listener
	clients []*driverClient
	client  string // the client under test's command ("" = reference)
	nextID  int
}

func runInteropScenario(o interopOptions, clientName, serverName string, sc interopScenario) (res reports.InteropScenario) {
	res.Name = sc.name
	r := &interopRun{o: o, rec: &recorder{start: time.Now()}, client: o.clients[clientName]}
	defer func() {
		for _, c := range r.clients {
			c.stop()
		}
		r.rec.closeAll()
		res.Transcript = r.rec.transcript()
	}()
	target := o.servers[serverName]
	if target == "" {
		addr, stop, err := startReferenceServer(o)
		if err != nil {
			res.Verdict, res.Message = reports.Error, err.Error()
			return res
		}
		defer stop()
		target = addr
	}
	r.target = target
	if err := sc.run(r); err != nil {
		res.Verdict, res.Message = reports.Fail, err.Error()
		r.rec.mu.Lock()
		unreachable := r.rec.failed
		r.rec.mu.Unlock()
		switch {
		case unreachable != nil:
			res.Verdict, res.Message = reports.Error, unreachable.Error()+" ("+err.Error()+")"
		case errors.Is(err, errSetup):
			res.Verdict = reports.Error
		}
		return res
	}
	res.Verdict = reports.Pass
	return res
}

// startReferenceServer runs the reference server on loopback for the options' domain and
// accounts (its default ACLs, Decision D15).
func startReferenceServer(o interopOptions) (string, func(), error) {
	accts := map[string]string{}
	for _, a := range o.accounts {
		accts[a.User] = a.Password
	}
	cfg := server.Config{Domain: o.domain, Accounts: accts, Listeners: map[string]string{"client": server.RoleClient}}
	if err := cfg.Validate(); err != nil {
		return "", nil, fmt.Errorf("%w: reference server: %w", errSetup, err)
	}
	r, err := netrun.New(server.New(cfg, rand.New(rand.NewPCG(1, 2))), netrun.Config{Listeners: map[string]string{"client": "127.0.0.1:0"}})
	if err != nil {
		return "", nil, fmt.Errorf("%w: reference server: %w", errSetup, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go r.Run(ctx)
	return r.Addr("client"), func() { cancel(); <-r.Done() }, nil
}

// ---- the recording proxy ----

// recorder is a TCP proxy that keeps every byte each way, and the driver lines, in order.
// Each client instance gets its own listener, so that the transcript names whose connection
// it is ("alice#1").
type recorder struct {
	start   time.Time
	mu      sync.Mutex
	entries []harness.Entry
	lns     []net.Listener
	conns   []net.Conn
	n       map[string]int
	failed  error // the proxy could not reach the server: the cell's verdict is error
}

func (r *recorder) add(peer, dir string, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, harness.Entry{At: time.Since(r.start), Peer: peer, Dir: dir, Data: append([]byte(nil), data...)})
}

func (r *recorder) transcript() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := harness.Transcript{Entries: r.entries}
	return t.String()
}

// listen opens a proxy for the client called label towards target and returns its address.
func (r *recorder) listen(label, target string) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("%w: proxy: %w", errSetup, err)
	}
	r.mu.Lock()
	r.lns = append(r.lns, ln)
	r.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.relay(label, c, target)
		}
	}()
	return ln.Addr().String(), nil
}

func (r *recorder) relay(label string, c net.Conn, target string) {
	r.mu.Lock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[label]++
	name := fmt.Sprintf("%s#%d", label, r.n[label])
	r.conns = append(r.conns, c)
	r.mu.Unlock()
	s, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		r.add(name, harness.DirNote, []byte(fmt.Sprintf("proxy cannot reach the server %s: %v", target, err)))
		r.mu.Lock()
		r.failed = fmt.Errorf("the server %s is unreachable: %w", target, err)
		r.mu.Unlock()
		c.Close()
		return
	}
	r.mu.Lock()
	r.conns = append(r.conns, s)
	r.mu.Unlock()
	r.add(name, harness.DirNote, []byte("client connected"))
	pipe := func(from, to net.Conn, dir string) {
		buf := make([]byte, 32<<10)
		for {
			n, err := from.Read(buf)
			if n > 0 {
				r.add(name, dir, buf[:n])
				to.Write(buf[:n])
			}
			if err != nil {
				if tc, ok := to.(*net.TCPConn); ok {
					tc.CloseWrite()
				}
				return
			}
		}
	}
	go pipe(c, s, harness.DirOut)
	pipe(s, c, harness.DirIn)
	r.add(name, harness.DirNote, []byte("server side closed"))
}

func (r *recorder) closeAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ln := range r.lns {
		ln.Close()
	}
	for _, c := range r.conns {
		c.Close()
	}
}

// ---- driver protocol clients ----

type driverClient struct {
	name   string
	proxy  string // the address it is told to connect to
	in     io.WriteCloser
	lines  chan map[string]any
	events []map[string]any
	stop   func()
	quit   chan struct{} // closed when the scenario is over: output is then discarded
	rec    *recorder
}

// startClient starts one instance of the client under test, logged as name ("alice", "bob").
func (r *interopRun) startClient(name string) (*driverClient, error) {
	proxy, err := r.rec.listen(name, r.target)
	if err != nil {
		return nil, err
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	d := &driverClient{name: name, proxy: proxy, in: inW, lines: make(chan map[string]any, 64), rec: r.rec, quit: make(chan struct{})}
	if r.client == "" {
		done := make(chan struct{})
		go func() {
			runClient([]string{"--driver", "--server", proxy, "--seed", "7"}, inR, outW, io.Discard)
			outW.Close()
			close(done)
		}()
		d.stop = func() {
			close(d.quit)
			inW.Close()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
			}
		}
	} else {
		cmd := exec.Command("sh", "-c", r.client)
		cmd.Env = append(os.Environ(), "PRIMLAB_SERVER="+proxy)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, &noteWriter{rec: r.rec, name: name, prefix: "stderr: "}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("%w: start client %q: %w", errSetup, r.client, err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); outW.Close(); close(exited) }()
		d.stop = func() {
			close(d.quit)
			inW.Close() // the driver protocol's end: the client should exit
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		}
	}
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"type": "garbage", "line": sc.Text()}
			}
			d.rec.add(name, harness.DirNote, []byte("driver <- "+sc.Text()))
			select {
			case d.lines <- m:
			case <-d.quit: // nobody reads any more: keep draining so the client never blocks
			}
		}
		close(d.lines)
	}()
	r.clients = append(r.clients, d)
	return d, nil
}

// do sends one driver command and waits for its result.
func (r *interopRun) do(d *driverClient, fields map[string]any) (map[string]any, error) {
	r.nextID++
	id := fmt.Sprintf("%d", r.nextID)
	fields["id"] = id
	line, _ := json.Marshal(fields)
	r.rec.add(d.name, harness.DirNote, []byte("driver -> "+string(line)))
	if _, err := d.in.Write(append(line, '\n')); err != nil {
		return nil, fmt.Errorf("%w: %s: client stopped reading commands: %w", errSetup, d.name, err)
	}
	deadline := time.After(r.o.timeout)
	for {
		select {
		case m, ok := <-d.lines:
			if !ok {
				return nil, fmt.Errorf("%s: the client exited before answering %s", d.name, fields["cmd"])
			}
			if m["type"] == "result" && m["id"] == id {
				if e, _ := m["error"].(string); e != "" {
					return m, fmt.Errorf("%s: %s failed: %s", d.name, fields["cmd"], e)
				}
				return m, nil
			}
			d.events = append(d.events, m)
		case <-deadline:
			return nil, fmt.Errorf("%s: no result for %s within %v", d.name, fields["cmd"], r.o.timeout)
		}
	}
}

// expectCode runs a command and checks the PRIM status code of its result.
func (r *interopRun) expectCode(d *driverClient, fields map[string]any, codes ...int) (map[string]any, error) {
	cmd := fields["cmd"]
	res, err := r.do(d, fields)
	if err != nil {
		return res, err
	}
	got := int(asFloat(res["code"]))
	for _, c := range codes {
		if got == c {
			return res, nil
		}
	}
	return res, fmt.Errorf("%s: %s answered %d %v, want %v", d.name, cmd, got, res["phrase"], codes)
}

// awaitEvent waits for an event of type typ that ok accepts.
func (r *interopRun) awaitEvent(d *driverClient, typ string, ok func(map[string]any) bool) (map[string]any, error) {
	for i, e := range d.events {
		if e["type"] == typ && ok(e) {
			d.events = append(d.events[:i], d.events[i+1:]...)
			return e, nil
		}
	}
	deadline := time.After(r.o.timeout)
	for {
		select {
		case m, open := <-d.lines:
			if !open {
				return nil, fmt.Errorf("%s: the client exited while waiting for a %s event", d.name, typ)
			}
			if m["type"] == typ && ok(m) {
				return m, nil
			}
			d.events = append(d.events, m)
		case <-deadline:
			return nil, fmt.Errorf("%s: no %s event within %v", d.name, typ, r.o.timeout)
		}
	}
}

func asFloat(v any) float64 {
	f, _ := v.(float64)
	return f
}

// user returns the principal of the i-th account.
func (r *interopRun) user(i int) string { return r.o.accounts[i].User + "@" + r.o.domain }

// loggedIn starts a client for account i and logs it in.
func (r *interopRun) loggedIn(i int, name string) (*driverClient, error) {
	d, err := r.startClient(name)
	if err != nil {
		return nil, err
	}
	if _, err := r.expectCode(d, map[string]any{"cmd": "connect", "server": d.proxy}, 0); err != nil {
		return nil, fmt.Errorf("%w: %w", errSetup, err)
	}
	if _, err := r.expectCode(d, map[string]any{"cmd": "login", "user": r.user(i), "password": r.o.accounts[i].Password}, 200); err != nil {
		return nil, err
	}
	return d, nil
}

// noteWriter puts what a client under test logs on stderr into the transcript, a line a note.
type noteWriter struct {
	rec          *recorder
	name, prefix string
	mu           sync.Mutex
	partial      []byte
}

func (w *noteWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := strings.IndexByte(string(w.partial), '\n')
		if i < 0 {
			break
		}
		w.rec.add(w.name, harness.DirNote, []byte(w.prefix+string(w.partial[:i])))
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

// ---- the scenarios ----

type interopScenario struct {
	name, summary string
	run           func(r *interopRun) error
}

// tuplesShow reports whether a result's or event's tuples include one with this note.
func tuplesShow(m map[string]any, note string) bool {
	ts, _ := m["tuples"].([]any)
	for _, t := range ts {
		if tm, ok := t.(map[string]any); ok && tm["note"] == note {
			return true
		}
	}
	return false
}

// openPresence lets everybody fetch and subscribe to the owner's presence (so that no default
// ACL decides the scenario, Decision D15).
func openPresence(r *interopRun, owner *driverClient) error {
	_, err := r.expectCode(owner, map[string]any{"cmd": "setacl", "service": "pres",
		"entries": []any{map[string]any{"targets": []string{"."}, "allow": []string{"fetch", "subscribe"}}}}, 200)
	return err
}

var interopScenarios = []interopScenario{
	{"login", "alice logs in with the client's preferred SASL mechanism: 200", func(r *interopRun) error {
		_, err := r.loggedIn(0, "alice")
		return err
	}},
	{"publish-subscribe-notify", "bob subscribes to alice; alice publishes; bob is notified of the new tuple", func(r *interopRun) error {
		alice, err := r.loggedIn(0, "alice")
		if err != nil {
			return err
		}
		bob, err := r.loggedIn(1, "bob")
		if err != nil {
			return err
		}
		if err := openPresence(r, alice); err != nil {
			return err
		}
		if _, err := r.expectCode(bob, map[string]any{"cmd": "subscribe", "to": r.user(0), "duration": 600}, 200, 201); err != nil {
			return err
		}
		note := "interop publish"
		if _, err := r.expectCode(alice, map[string]any{"cmd": "publish", "tuple": "pc", "status": "open", "note": note}, 200); err != nil {
			return err
		}
		_, err = r.awaitEvent(bob, "notify", func(e map[string]any) bool { return tuplesShow(e, note) })
		return err
	}},
	{"fetch", "alice publishes; bob fetches alice and sees the tuple", func(r *interopRun) error {
		alice, err := r.loggedIn(0, "alice")
		if err != nil {
			return err
		}
		if err := openPresence(r, alice); err != nil {
			return err
		}
		note := "interop fetch"
		if _, err := r.expectCode(alice, map[string]any{"cmd": "publish", "tuple": "desk", "status": "closed", "note": note}, 200); err != nil {
			return err
		}
		bob, err := r.loggedIn(1, "bob")
		if err != nil {
			return err
		}
		res, err := r.expectCode(bob, map[string]any{"cmd": "fetch", "to": r.user(0)}, 200)
		if err != nil {
			return err
		}
		if !tuplesShow(res, note) {
			return fmt.Errorf("bob: FETCH result does not show alice's tuple: %v", res["tuples"])
		}
		return nil
	}},
	{"send-receive", "bob listens; alice sends: 200, and bob receives the body", func(r *interopRun) error {
		alice, err := r.loggedIn(0, "alice")
		if err != nil {
			return err
		}
		bob, err := r.loggedIn(1, "bob")
		if err != nil {
			return err
		}
		if _, err := r.expectCode(bob, map[string]any{"cmd": "listen"}, 200); err != nil {
			return err
		}
		body := "hello from the interop matrix"
		if _, err := r.expectCode(alice, map[string]any{"cmd": "send", "to": r.user(1), "body": body}, 200); err != nil {
			return err
		}
		_, err = r.awaitEvent(bob, "message", func(e map[string]any) bool { return e["body"] == body })
		return err
	}},
	{"send-closed-inbox", "alice sends to bob, who does not listen: 408 Inbox Is Closed (or 101)", func(r *interopRun) error {
		alice, err := r.loggedIn(0, "alice")
		if err != nil {
			return err
		}
		if _, err := r.loggedIn(1, "bob"); err != nil {
			return err
		}
		_, err = r.expectCode(alice, map[string]any{"cmd": "send", "to": r.user(1), "body": "nobody listens"}, 408, 101)
		return err
	}},
	{"acl-denial", "alice's ACL permits nobody; bob's FETCH of alice: 402 Forbidden", func(r *interopRun) error {
		alice, err := r.loggedIn(0, "alice")
		if err != nil {
			return err
		}
		if _, err := r.expectCode(alice, map[string]any{"cmd": "setacl", "service": "pres",
			"entries": []any{map[string]any{"targets": []string{"."}, "allow": []string{}}}}, 200); err != nil {
			return err
		}
		bob, err := r.loggedIn(1, "bob")
		if err != nil {
			return err
		}
		_, err = r.expectCode(bob, map[string]any{"cmd": "fetch", "to": r.user(0)}, 402)
		return err
	}},
	{"logout", "alice logs out: LOGOUT is sent without a response, and the client is disconnected", func(r *interopRun) error {
		alice, err := r.loggedIn(0, "alice")
		if err != nil {
			return err
		}
		if _, err := r.expectCode(alice, map[string]any{"cmd": "logout"}, 0); err != nil {
			return err
		}
		_, err = r.awaitEvent(alice, "disconnected", func(map[string]any) bool { return true })
		return err
	}},
}
