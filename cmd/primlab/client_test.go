package main

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/primlab/primlab/reference/client"
)

// Driver commands become client operations tagged with the command's id
// (fixtures/driver-protocol.md).
func TestDriverCommands(t *testing.T) {
	cases := []struct {
		line string
		want any
	}{
		{`{"id":"1","cmd":"login","user":"alice@example.com","password":"pw","mech":"PLAIN"}`,
			client.Login{ID: "alice@example.com", Password: "pw", Mech: "PLAIN"}},
		{`{"id":"2","cmd":"publish","tuple":"pc","status":"open","note":"hi","pi_type":"leased","duration":600,"class":["friends"]}`,
			client.Publish{TupleID: "pc", Status: "open", Note: "hi", PIType: "leased", Duration: 600, Class: []string{"friends"}}},
		{`{"id":"3","cmd":"subscribe","to":"bob@example.org"}`, client.Subscribe{To: "bob@example.org", Duration: 3600}},
		{`{"id":"4","cmd":"send","to":"bob@example.org","body":"hello","conversation_id":"c1"}`,
			client.Send{To: "bob@example.org", Body: []byte("hello"), ConversationID: "c1"}},
		{`{"id":"5","cmd":"setacl","service":"im","entries":[{"targets":["."],"allow":["send"]}]}`,
			client.SetACL{Service: client.IM, Entries: []client.ACLEntry{{Targets: []string{"."}, Allow: []string{"send"}}}}},
		{`{"id":"6","cmd":"setacl"}`, client.SetACL{Service: client.Presence, Entries: []client.ACLEntry{}}},
		{`{"id":"7","cmd":"setclasstable","classes":[{"name":"vip","watchers":["@example.org"]}]}`,
			client.SetClassTable{Classes: []client.Class{{Name: "vip", Watchers: []string{"@example.org"}}}}},
		{`{"id":"8","cmd":"startwatchernotify"}`, client.StartWatcherNotify{}},
		{`{"id":"9","cmd":"logout"}`, client.Logout{}},
		{`{"id":"10","cmd":"ping","service":"im"}`, client.Ping{Service: client.IM}},
		{`{"id":"11","cmd":"publish","tuple":"x","raw":"<presence/>","content_type":"application/presence"}`,
			client.Publish{TupleID: "x", Body: []byte("<presence/>"), ContentType: "application/presence"}},
	}
	for _, c := range cases {
		op, err := parseDriverCommand(c.line)
		if err != nil {
			t.Errorf("%s: %v", c.line, err)
			continue
		}
		tg, ok := op.(client.Tagged)
		if !ok || !reflect.DeepEqual(tg.Op, c.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", c.line, op, c.want)
		}
	}
}

// Bad commands get one result line with code 0 and an error, keeping id and cmd.
func TestDriverCommandErrors(t *testing.T) {
	cases := map[string]string{
		`not json`:                                   `{"code":0,"error":"bad command: invalid character 'o' in literal null (expecting 'u')","type":"result"}`,
		`{"id":"1","cmd":"frobnicate"}`:              `{"cmd":"frobnicate","code":0,"error":"unknown cmd \"frobnicate\"","id":"1","type":"result"}`,
		`{"id":"2","cmd":"fetch"}`:                   `{"cmd":"fetch","code":0,"error":"fetch: missing \"to\"","id":"2","type":"result"}`,
		`{"id":"3","cmd":"login","usr":"x"}`:         `{"cmd":"login","code":0,"error":"bad command: json: unknown field \"usr\"","id":"3","type":"result"}`,
		`{"id":"4"}`:                                 `{"code":0,"error":"missing \"cmd\"","id":"4","type":"result"}`,
		`{"id":"5","cmd":"getacl","service":"mail"}`: `{"cmd":"getacl","code":0,"error":"service \"mail\": want pres or im","id":"5","type":"result"}`,
	}
	for line, want := range cases {
		_, err := parseDriverCommand(line)
		if err == nil {
			t.Errorf("%s: no error", line)
			continue
		}
		if got := mustJSON(driverResultError(err)); got != want {
			t.Errorf("%s:\n got %s\nwant %s", line, got, want)
		}
	}
}

// Facts render as the driver protocol's result and event lines.
func TestDriverEvents(t *testing.T) {
	cases := []struct {
		fact any
		want string
	}{
		{client.Result{Tag: "3", Op: "subscribe", ID: "7", Code: 201, Phrase: "Duration Adjusted", Duration: "1800",
			Tuples: []client.Tuple{{ID: "pc", Status: "open", Contact: "im:bob@example.org"}}},
			`{"cmd":"subscribe","code":201,"duration":"1800","id":"3","phrase":"Duration Adjusted","request_id":"7","tuples":[{"id":"pc","status":"open","contact":"im:bob@example.org"}],"type":"result"}`},
		{client.Result{Tag: "9", Op: "logout", ID: "-"},
			`{"cmd":"logout","code":0,"id":"9","request_id":"-","type":"result"}`},
		{client.Result{Tag: "4", Op: "fetch", Err: "not connected"},
			`{"cmd":"fetch","code":0,"error":"not connected","id":"4","type":"result"}`},
		{client.Notification{From: "pres:bob@example.org", To: "pres:alice@example.net", Tuples: []client.Tuple{{ID: "pc", Status: "closed", Note: "away"}}},
			`{"from":"pres:bob@example.org","to":"pres:alice@example.net","tuples":[{"id":"pc","status":"closed","note":"away"}],"type":"notify"}`},
		{client.Message{From: "im:bob@example.org", To: "im:alice@example.net", MessageID: "m1", ConversationID: "c1", ContentType: "text/plain", Body: "hi", Reply: 200},
			`{"body":"hi","content_type":"text/plain","conversation_id":"c1","from":"im:bob@example.org","message_id":"m1","reply":200,"reply_to":"","to":"im:alice@example.net","type":"message"}`},
		{client.Watcher{Watcher: "pres:carol@example.org", Presentity: "pres:alice@example.net", Type: "fetch"},
			`{"from":"pres:carol@example.org","to":"pres:alice@example.net","type":"watcher","watcher_type":"fetch"}`},
		{client.Cancelled{From: "pres:bob@example.org", To: "pres:alice@example.net"},
			`{"from":"pres:bob@example.org","to":"pres:alice@example.net","type":"cancelled"}`},
		{client.Disconnected{Service: client.IM}, `{"service":"im","type":"disconnected"}`},
	}
	for _, c := range cases {
		if got := driverEvent(c.fact.(interface {
			Kind() string
			String() string
		})); got != c.want {
			t.Errorf("%T:\n got %s\nwant %s", c.fact, got, c.want)
		}
	}
}

// Terminal commands parse into operations; mistakes say how to use the command.
func TestTerminalCommands(t *testing.T) {
	ok := map[string]any{
		"login alice@example.com pw CRAM-MD5 PLAIN": client.Login{ID: "alice@example.com", Password: "pw", Mech: "CRAM-MD5 PLAIN"},
		"publish pc open at my desk":                client.Publish{TupleID: "pc", Status: "open", Note: "at my desk"},
		"lease phone closed 600":                    client.Publish{TupleID: "phone", Status: "closed", PIType: "leased", Duration: 600},
		"renew phone 600":                           client.Publish{TupleID: "phone", PIType: "renew", Duration: 600},
		"subscribe bob@example.org":                 client.Subscribe{To: "bob@example.org", Duration: 3600},
		"send bob@example.org hello there":          client.Send{To: "bob@example.org", Body: []byte("hello there")},
		"acl im .=send @bad.example=":               client.SetACL{Service: client.IM, Entries: []client.ACLEntry{{Targets: []string{"."}, Allow: []string{"send"}}, {Targets: []string{"@bad.example"}}}},
		"classes vip=a@x,@y.example":                client.SetClassTable{Classes: []client.Class{{Name: "vip", Watchers: []string{"a@x", "@y.example"}}}},
		"LISTEN":                                    client.Listen{},
	}
	for line, want := range ok {
		op, quit, err := parseTerminalCommand(line)
		if err != nil || quit || !reflect.DeepEqual(op, want) {
			t.Errorf("%q: got %#v %v %v, want %#v", line, op, quit, err, want)
		}
	}
	for line, want := range map[string]string{
		"publish pc":          "usage: publish TUPLE open|closed",
		"lease pc open soon":  `lease: seconds "soon"`,
		"frob":                `unknown command "frob"`,
		"acl pres nonsense":   `acl: "nonsense" is not TARGET=OP,OP`,
		"subscribe bob@x abc": `subscribe: seconds "abc"`,
	} {
		if _, _, err := parseTerminalCommand(line); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", line, err, want)
		}
	}
	if _, quit, _ := parseTerminalCommand("quit"); !quit {
		t.Error("quit does not quit")
	}
}

// The terminal client with no server prints results for what it cannot do and exits on EOF.
func TestClientTerminalWithoutServer(t *testing.T) {
	var out, errOut bytes.Buffer
	code := runClient([]string{"--seed", "1"}, strings.NewReader("help\nfetch bob@example.org\nbogus\n"), &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"commands:", `result op=fetch code=0 err="not connected"`, `error: unknown command "bogus"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// The terminal shows identifiers without scheme (PRIM-A7.1-7).
func TestTerminalLines(t *testing.T) {
	cases := map[string]string{
		terminalLine(client.Notification{From: "pres:bob@example.org", Tuples: []client.Tuple{{ID: "pc", Status: "open", Note: "hi"}}}): `* bob@example.org: pc=open "hi"`,
		terminalLine(client.Message{From: "im:bob@example.org", Body: "hello"}):                                                         "> bob@example.org: hello",
		terminalLine(client.Cancelled{From: "pres:bob@example.org"}):                                                                    "* bob@example.org cancelled your subscription",
		terminalLine(client.Result{Op: "listen", Code: 200, Phrase: "OK"}):                                                              `result op=listen code=200 phrase="OK"`,
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// Every command example in fixtures/driver-protocol.md is a valid command.
func TestDriverProtocolDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../fixtures/driver-protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(l, `{"id":`) && strings.Contains(l, `"cmd":`) && !strings.Contains(l, `"type":`) {
			n++
			if _, err := parseDriverCommand(l); err != nil {
				t.Errorf("%s: %v", l, err)
			}
		}
	}
	if n < 5 {
		t.Fatalf("found %d command examples in the document", n)
	}
}
