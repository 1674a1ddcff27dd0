package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/primlab/primlab/reference/client"
	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/netrun"
)

// primlab client: the reference user agent (reference/client run by reference/netrun), either
// on a terminal (one command a line) or, with --driver, speaking the line-delimited JSON driver
// protocol of fixtures/driver-protocol.md on stdin and stdout.

func init() {
	register(command{name: "client", summary: "run the reference PRIM user agent (terminal or --driver)", run: runClient})
}

type clientFlags struct {
	server, imServer string
	user, password   string
	mech             string
	startTLS         bool
	caFile           string
	certFile         string
	keyFile          string
	insecure         bool
	shared           bool
	driver           bool
	maxContentLength int
	seed             uint64
	ping             time.Duration
}

func runClient(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: primlab client [--server HOST:PORT] [--user pres:alice@example.com --password PW] [--driver]\n\nflags:")
		fs.PrintDefaults()
	}
	var f clientFlags
	fs.StringVar(&f.server, "server", "", "home server client `address` host:port")
	fs.StringVar(&f.imServer, "im-server", "", "a different `address` for the IM service")
	fs.StringVar(&f.user, "user", "", "principal `id` (alice@example.com, with or without pres:/im:); logs in at start")
	fs.StringVar(&f.password, "password", "", "pass `phrase` for --user")
	fs.StringVar(&f.mech, "mech", "", "SASL `mechanisms` in preference order (default \"CRAM-MD5 PLAIN\")")
	fs.BoolVar(&f.startTLS, "starttls", false, "upgrade every connection with STARTTLS before LOGIN")
	fs.StringVar(&f.caFile, "ca", "", "PEM `file` of the roots that sign the server's certificate")
	fs.StringVar(&f.certFile, "cert", "", "PEM client certificate `file` for TLS (SASL EXTERNAL)")
	fs.StringVar(&f.keyFile, "key", "", "PEM private key `file` of --cert")
	fs.BoolVar(&f.insecure, "insecure", false, "do not verify the server's certificate (tests only)")
	fs.BoolVar(&f.shared, "shared", false, "one connection for both services (I2 §4.3)")
	fs.BoolVar(&f.driver, "driver", false, "speak the JSON driver protocol on stdin/stdout")
	fs.IntVar(&f.maxContentLength, "max-content-length", 0, "declare Max-Content-Length `octets` at LOGIN")
	fs.DurationVar(&f.ping, "ping", 0, "send PING this often on each connection (e.g. 5m; default never)")
	fs.Uint64Var(&f.seed, "seed", 0, "seed for Message-IDs and Conversation-IDs (default: the clock)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "primlab client: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if !set["seed"] {
		f.seed = uint64(time.Now().UnixNano())
	}
	ccfg := client.Config{Server: f.server, IMServer: f.imServer, ID: f.user, Shared: f.shared,
		StartTLS: f.startTLS, Mechs: f.mech, MaxContentLength: f.maxContentLength, PingInterval: f.ping}
	var clientTLS *tls.Config
	if f.startTLS {
		clientTLS = &tls.Config{InsecureSkipVerify: f.insecure}
		if f.caFile != "" {
			pool, err := loadPool(f.caFile)
			if err != nil {
				fmt.Fprintf(stderr, "primlab client: --ca: %v\n", err)
				return exitUsage
			}
			clientTLS.RootCAs = pool
		}
		if f.certFile != "" || f.keyFile != "" {
			cert, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
			if err != nil {
				fmt.Fprintf(stderr, "primlab client: --cert/--key: %v\n", err)
				return exitUsage
			}
			clientTLS.Certificates = []tls.Certificate{cert}
		}
	} else if f.caFile != "" || f.certFile != "" || f.insecure {
		fmt.Fprintln(stderr, "primlab client: --ca, --cert and --insecure need --starttls")
		return exitUsage
	}
	out := &lockedWriter{w: stdout}
	var sink func(engine.Fact)
	if f.driver {
		sink = func(fact engine.Fact) { out.line(driverEvent(fact)) }
	} else {
		sink = func(fact engine.Fact) { out.line(terminalLine(fact)) }
	}
	eng := client.New(ccfg, rand.New(rand.NewPCG(f.seed, 0xc1)))
	r, err := netrun.New(eng, netrun.Config{ClientTLS: clientTLS, OnFact: sink})
	if err != nil {
		fmt.Fprintf(stderr, "primlab client: %v\n", err)
		return exitHarness
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- r.Run(ctx) }()

	if f.driver {
		out.line(mustJSON(map[string]any{"type": "ready", "protocol": driverProtocolVersion}))
	} else if f.user != "" || f.server != "" {
		fmt.Fprintln(stderr, "primlab client: type 'help' for commands")
	}
	if f.user != "" {
		r.Call(client.Tagged{Tag: "start", Op: client.Login{ID: f.user, Password: f.password}})
	}
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64<<10), 16<<20)
	for in.Scan() {
		text := strings.TrimSpace(in.Text())
		if text == "" {
			continue
		}
		var op any
		var quit bool
		if f.driver {
			op, err = parseDriverCommand(text)
			if err != nil {
				out.line(mustJSON(driverResultError(err)))
				continue
			}
		} else {
			op, quit, err = parseTerminalCommand(text)
			if quit {
				break
			}
			if err != nil {
				out.line("error: " + err.Error())
				continue
			}
			if op == nil { // help
				out.line(terminalHelp)
				continue
			}
		}
		if err := r.Call(op); err != nil {
			break
		}
	}
	// Input ended: let the engine finish what it was given, then stop.
	r.Flush()
	cancel()
	if err := <-ran; err != nil {
		fmt.Fprintf(stderr, "primlab client: %v\n", err)
		return exitHarness
	}
	return exitOK
}

// lockedWriter writes whole lines from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) line(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(l.w, s)
}

// ---- terminal ----

const terminalHelp = `commands:
  connect [host:port]                      open the connection(s)
  login ID PASSWORD [MECH...]              authenticate (e.g. login alice@example.com secret PLAIN)
  publish TUPLE open|closed [NOTE...]      publish a permanent tuple
  lease TUPLE open|closed SECONDS [NOTE...] publish a leased tuple
  renew TUPLE SECONDS | revert TUPLE       renew or drop the lease
  remove TUPLE                             remove a tuple
  subscribe ID [SECONDS] | unsubscribe ID | fetch ID
  watchers | stopwatchers                  start/stop watcher information
  classes NAME=W1,W2 ... | getclasses      set/get the class table
  acl pres|im TARGET=OP,OP ... | getacl pres|im
  listen | silence                         receive instant messages or stop
  send ID TEXT...                          send an instant message
  ping | logout | help | quit`

// parseTerminalCommand turns a terminal line into an operation; (nil, false, nil) is help.
func parseTerminalCommand(line string) (any, bool, error) {
	f := strings.Fields(line)
	cmd, args := strings.ToLower(f[0]), f[1:]
	need := func(n int, usage string) error {
		if len(args) < n {
			return fmt.Errorf("usage: %s", usage)
		}
		return nil
	}
	switch cmd {
	case "help", "?":
		return nil, false, nil
	case "quit", "exit":
		return nil, true, nil
	case "connect":
		op := client.Connect{}
		if len(args) > 0 {
			op.Addr = args[0]
		}
		return op, false, nil
	case "login":
		if err := need(1, "login ID [PASSWORD] [MECH...]"); err != nil {
			return nil, false, err
		}
		op := client.Login{ID: args[0]}
		if len(args) > 1 {
			op.Password = args[1]
		}
		if len(args) > 2 {
			op.Mech = strings.Join(args[2:], " ")
		}
		return op, false, nil
	case "publish":
		if err := need(2, "publish TUPLE open|closed [NOTE...]"); err != nil {
			return nil, false, err
		}
		return client.Publish{TupleID: args[0], Status: args[1], Note: strings.Join(args[2:], " ")}, false, nil
	case "lease":
		if err := need(3, "lease TUPLE open|closed SECONDS [NOTE...]"); err != nil {
			return nil, false, err
		}
		d, err := strconv.Atoi(args[2])
		if err != nil {
			return nil, false, fmt.Errorf("lease: seconds %q: %w", args[2], err)
		}
		return client.Publish{TupleID: args[0], Status: args[1], PIType: "leased", Duration: d, Note: strings.Join(args[3:], " ")}, false, nil
	case "renew":
		if err := need(2, "renew TUPLE SECONDS"); err != nil {
			return nil, false, err
		}
		d, err := strconv.Atoi(args[1])
		if err != nil {
			return nil, false, fmt.Errorf("renew: seconds %q: %w", args[1], err)
		}
		return client.Publish{TupleID: args[0], PIType: "renew", Duration: d}, false, nil
	case "revert":
		if err := need(1, "revert TUPLE"); err != nil {
			return nil, false, err
		}
		return client.Publish{TupleID: args[0], PIType: "revert"}, false, nil
	case "remove":
		if err := need(1, "remove TUPLE"); err != nil {
			return nil, false, err
		}
		return client.Remove{TupleID: args[0]}, false, nil
	case "subscribe":
		if err := need(1, "subscribe ID [SECONDS]"); err != nil {
			return nil, false, err
		}
		d := 3600
		if len(args) > 1 {
			var err error
			if d, err = strconv.Atoi(args[1]); err != nil {
				return nil, false, fmt.Errorf("subscribe: seconds %q: %w", args[1], err)
			}
		}
		return client.Subscribe{To: args[0], Duration: d}, false, nil
	case "unsubscribe":
		if err := need(1, "unsubscribe ID"); err != nil {
			return nil, false, err
		}
		return client.Unsubscribe{To: args[0]}, false, nil
	case "fetch":
		if err := need(1, "fetch ID"); err != nil {
			return nil, false, err
		}
		return client.Fetch{To: args[0]}, false, nil
	case "watchers":
		return client.StartWatcherNotify{}, false, nil
	case "stopwatchers":
		return client.StopWatcherNotify{}, false, nil
	case "classes":
		var cs []client.Class
		for _, a := range args {
			name, ws, ok := strings.Cut(a, "=")
			if !ok {
				return nil, false, fmt.Errorf("classes: %q is not NAME=W1,W2", a)
			}
			cs = append(cs, client.Class{Name: name, Watchers: splitList(ws)})
		}
		return client.SetClassTable{Classes: cs}, false, nil
	case "getclasses":
		return client.GetClassTable{}, false, nil
	case "acl":
		if err := need(1, "acl pres|im TARGET=OP,OP ..."); err != nil {
			return nil, false, err
		}
		svc, err := parseService(args[0])
		if err != nil {
			return nil, false, err
		}
		var es []client.ACLEntry
		for _, a := range args[1:] {
			t, ops, ok := strings.Cut(a, "=")
			if !ok {
				return nil, false, fmt.Errorf("acl: %q is not TARGET=OP,OP", a)
			}
			es = append(es, client.ACLEntry{Targets: splitList(t), Allow: splitList(ops)})
		}
		return client.SetACL{Service: svc, Entries: es}, false, nil
	case "getacl":
		svc := client.Presence
		if len(args) > 0 {
			var err error
			if svc, err = parseService(args[0]); err != nil {
				return nil, false, err
			}
		}
		return client.GetACL{Service: svc}, false, nil
	case "listen":
		return client.Listen{}, false, nil
	case "silence":
		return client.Silence{}, false, nil
	case "send":
		if err := need(2, "send ID TEXT..."); err != nil {
			return nil, false, err
		}
		return client.Send{To: args[0], Body: []byte(strings.Join(args[1:], " "))}, false, nil
	case "ping":
		return client.Ping{}, false, nil
	case "logout":
		return client.Logout{}, false, nil
	}
	return nil, false, fmt.Errorf("unknown command %q (try help)", cmd)
}

// terminalLine renders a fact for a person. Notifications and messages read as sentences with
// identifiers shown without scheme (PRIM-A7.1-7); everything else is the fact's own line.
func terminalLine(f engine.Fact) string {
	bare := func(id string) string {
		for _, p := range []string{"pres:", "im:"} {
			if strings.HasPrefix(strings.ToLower(id), p) {
				return id[len(p):]
			}
		}
		return id
	}
	switch f := f.(type) {
	case client.Notification:
		parts := make([]string, len(f.Tuples))
		for i, t := range f.Tuples {
			parts[i] = t.String()
		}
		line := fmt.Sprintf("* %s: %s", bare(f.From), strings.Join(parts, " "))
		if len(parts) == 0 {
			line = fmt.Sprintf("* %s: no presence", bare(f.From))
		}
		if f.Err != "" {
			line += " (unreadable: " + f.Err + ")"
		}
		return line
	case client.Message:
		return fmt.Sprintf("> %s: %s", bare(f.From), f.Body)
	case client.Watcher:
		return fmt.Sprintf("* %s did %s on your presence", bare(f.Watcher), f.Type)
	case client.Cancelled:
		return fmt.Sprintf("* %s cancelled your subscription", bare(f.From))
	}
	return f.String()
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func parseService(s string) (client.Service, error) {
	switch strings.ToLower(s) {
	case "pres", "presence", "":
		return client.Presence, nil
	case "im":
		return client.IM, nil
	}
	return "", fmt.Errorf("service %q: want pres or im", s)
}

// ---- driver protocol (fixtures/driver-protocol.md) ----

const driverProtocolVersion = 1

// driverCommand is one command line. Fields not used by a command are ignored.
type driverCommand struct {
	ID  string `json:"id"`
	Cmd string `json:"cmd"`
	// connect / login
	Server   string `json:"server"`
	User     string `json:"user"`
	Password string `json:"password"`
	Mech     string `json:"mech"`
	// publish / remove
	Tuple       string   `json:"tuple"`
	PIType      string   `json:"pi_type"`
	Duration    int      `json:"duration"`
	Class       []string `json:"class"`
	Status      string   `json:"status"`
	Detail      string   `json:"detail"`
	Note        string   `json:"note"`
	Contact     string   `json:"contact"`
	DisplayName string   `json:"display_name"`
	Preference  string   `json:"preference"`
	// subscribe / unsubscribe / fetch / send
	To             string `json:"to"`
	Body           string `json:"body"`
	ContentType    string `json:"content_type"`
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
	ReplyTo        string `json:"reply_to"`
	// setacl / getacl / ping
	Service string `json:"service"`
	Entries []struct {
		Targets []string `json:"targets"`
		Allow   []string `json:"allow"`
	} `json:"entries"`
	// setclasstable
	Classes []struct {
		Name     string   `json:"name"`
		Watchers []string `json:"watchers"`
	} `json:"classes"`
	// raw XML for publish / setacl / setclasstable (overrides the structured fields)
	Raw string `json:"raw"`
}

type driverError struct {
	id, cmd string
	err     error
}

func (e *driverError) Error() string { return e.err.Error() }

func parseDriverCommand(line string) (any, error) {
	var c driverCommand
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var probe struct {
			ID  string `json:"id"`
			Cmd string `json:"cmd"`
		}
		_ = json.Unmarshal([]byte(line), &probe)
		return nil, &driverError{probe.ID, probe.Cmd, fmt.Errorf("bad command: %w", err)}
	}
	op, err := c.op()
	if err != nil {
		return nil, &driverError{c.ID, c.Cmd, err}
	}
	return client.Tagged{Tag: c.ID, Op: op}, nil
}

func (c *driverCommand) op() (any, error) {
	var raw []byte
	if c.Raw != "" {
		raw = []byte(c.Raw)
	}
	svc, err := parseService(c.Service)
	if err != nil {
		return nil, err
	}
	need := func(field, v string) error {
		if v == "" {
			return fmt.Errorf("%s: missing %q", c.Cmd, field)
		}
		return nil
	}
	switch c.Cmd {
	case "connect":
		return client.Connect{Addr: c.Server}, nil
	case "login":
		return client.Login{ID: c.User, Password: c.Password, Mech: c.Mech}, need("user", c.User)
	case "publish":
		return client.Publish{TupleID: c.Tuple, PIType: c.PIType, Duration: c.Duration, Class: c.Class,
			Status: c.Status, Detail: c.Detail, Note: c.Note, Contact: c.Contact, DisplayName: c.DisplayName,
			Preference: c.Preference, Body: raw, ContentType: c.ContentType}, need("tuple", c.Tuple)
	case "remove":
		return client.Remove{TupleID: c.Tuple, Class: c.Class}, need("tuple", c.Tuple)
	case "subscribe":
		d := c.Duration
		if d == 0 {
			d = 3600
		}
		return client.Subscribe{To: c.To, Duration: d}, need("to", c.To)
	case "unsubscribe":
		return client.Unsubscribe{To: c.To}, need("to", c.To)
	case "fetch":
		return client.Fetch{To: c.To}, need("to", c.To)
	case "send":
		return client.Send{To: c.To, Body: []byte(c.Body), ContentType: c.ContentType,
			ConversationID: c.ConversationID, MessageID: c.MessageID, ReplyTo: c.ReplyTo}, need("to", c.To)
	case "listen":
		return client.Listen{}, nil
	case "silence":
		return client.Silence{}, nil
	case "setacl":
		op := client.SetACL{Service: svc, Body: raw}
		for _, e := range c.Entries {
			op.Entries = append(op.Entries, client.ACLEntry{Targets: e.Targets, Allow: e.Allow})
		}
		if op.Entries == nil && raw == nil {
			op.Entries = []client.ACLEntry{} // an empty ACL
		}
		return op, nil
	case "getacl":
		return client.GetACL{Service: svc}, nil
	case "setclasstable":
		op := client.SetClassTable{Body: raw}
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
	case "":
		return nil, errors.New("missing \"cmd\"")
	}
	return nil, fmt.Errorf("unknown cmd %q", c.Cmd)
}

func driverResultError(err error) map[string]any {
	m := map[string]any{"type": "result", "code": 0, "error": err.Error()}
	var de *driverError
	if errors.As(err, &de) {
		if de.id != "" {
			m["id"] = de.id
		}
		if de.cmd != "" {
			m["cmd"] = de.cmd
		}
	}
	return m
}

type jsonTuple struct {
	ID          string `json:"id"`
	Status      string `json:"status,omitempty"`
	Detail      string `json:"detail,omitempty"`
	Contact     string `json:"contact,omitempty"`
	Note        string `json:"note,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	Preference  string `json:"preference,omitempty"`
}

func jsonTuples(ts []client.Tuple) []jsonTuple {
	out := make([]jsonTuple, len(ts))
	for i, t := range ts {
		out[i] = jsonTuple{ID: t.ID, Status: t.Status, Detail: t.Detail, Contact: t.Contact, Note: t.Note,
			DisplayName: t.DisplayName, Preference: t.Preference}
	}
	return out
}

// driverEvent renders a client fact as one JSON line (fixtures/driver-protocol.md).
func driverEvent(f engine.Fact) string {
	switch f := f.(type) {
	case client.Result:
		m := map[string]any{"type": "result", "id": f.Tag, "cmd": f.Op, "code": f.Code}
		put := func(k, v string) {
			if v != "" {
				m[k] = v
			}
		}
		put("phrase", f.Phrase)
		put("error", f.Err)
		put("request_id", f.ID)
		put("duration", f.Duration)
		put("redirect", f.Redirect)
		put("message_id", f.MessageID)
		put("conversation_id", f.ConversationID)
		if f.Tuples != nil {
			m["tuples"] = jsonTuples(f.Tuples)
		}
		if f.Watchers != nil {
			m["watchers"] = f.Watchers
		}
		if f.Classes != nil {
			cs := make([]map[string]any, len(f.Classes))
			for i, c := range f.Classes {
				cs[i] = map[string]any{"name": c.Name, "watchers": nonNil(c.Watchers)}
			}
			m["classes"] = cs
		}
		if f.ACL != nil {
			es := make([]map[string]any, len(f.ACL))
			for i, e := range f.ACL {
				es[i] = map[string]any{"targets": nonNil(e.Targets), "allow": nonNil(e.Allow)}
			}
			m["entries"] = es
		}
		if f.Body != "" && f.Tuples == nil && f.Watchers == nil && f.Classes == nil && f.ACL == nil {
			m["body"] = f.Body
		}
		return mustJSON(m)
	case client.Notification:
		m := map[string]any{"type": "notify", "from": f.From, "to": f.To, "tuples": jsonTuples(f.Tuples)}
		if f.Err != "" {
			m["error"] = f.Err
		}
		return mustJSON(m)
	case client.Message:
		return mustJSON(map[string]any{"type": "message", "from": f.From, "to": f.To, "message_id": f.MessageID,
			"conversation_id": f.ConversationID, "reply_to": f.ReplyTo, "content_type": f.ContentType,
			"body": f.Body, "reply": f.Reply})
	case client.Watcher:
		return mustJSON(map[string]any{"type": "watcher", "from": f.Watcher, "to": f.Presentity, "watcher_type": f.Type})
	case client.Cancelled:
		return mustJSON(map[string]any{"type": "cancelled", "from": f.From, "to": f.To})
	case client.Disconnected:
		m := map[string]any{"type": "disconnected", "service": string(f.Service)}
		if f.Err != "" {
			m["error"] = f.Err
		}
		return mustJSON(m)
	case client.ProtocolError:
		return mustJSON(map[string]any{"type": "protocol_error", "service": string(f.Service), "error": f.Err})
	}
	return mustJSON(map[string]any{"type": "fact", "kind": f.Kind(), "text": f.String()})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// mustJSON encodes v on one line; maps encode with sorted keys, so lines are deterministic.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf(`{"type":"protocol_error","error":%q}`, err.Error())
	}
	return string(b)
}
