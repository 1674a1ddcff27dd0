package client

import (
	"strconv"
	"strings"
)

// Facts the client reports through engine.Observe. Each renders on one deterministic line:
// the kind, then key=value pairs in a fixed order, omitting empty ones; text values are
// quoted with strconv.Quote.

// Result ends every operation. Code is the PRIM status code of the final response, or 0 when
// there was none: for LOGOUT and PING (no response by design, Err empty) and for local
// failures (Err says what: not connected, connection closed, dial failed).
type Result struct {
	Tag      string // the caller's tag from Tagged
	Op       string // login, publish, subscribe, ... (lower case method or connect)
	ID       string // request id of the (last) request, if one was sent
	Code     int
	Phrase   string
	Err      string
	Duration string   // Duration header of a SUBSCRIBE response
	Redirect string   // Redirect header of a 300 response (host port)
	Tuples   []Tuple  // presence in a SUBSCRIBE or FETCH response
	Watchers []string // subscribers in a STARTWATCHERNOTIFY response
	Classes  []Class  // GETCLASSTABLE response
	ACL      []ACLEntry
	Body     string // the raw response body, when there was one
	// MessageID and ConversationID of a SEND, so the caller can reply (PRIM-A9.4.2-1).
	MessageID      string
	ConversationID string
}

func (Result) Kind() string { return "result" }

// OK reports whether the operation succeeded: a 2xx response, or a no-response request sent;
// for login also 409 Already Authenticated, which leaves the principal authenticated
// (I2 §10.3.1, Decision D33).
func (r Result) OK() bool {
	if r.Err != "" {
		return false
	}
	return r.Code == 0 || r.Code/100 == 2 || (r.Op == "login" && r.Code == 409)
}

func (r Result) String() string {
	var b line
	b.kind("result")
	b.kv("op", r.Op)
	b.kv("tag", r.Tag)
	b.kv("id", r.ID)
	b.kv("code", strconv.Itoa(r.Code))
	b.q("phrase", r.Phrase)
	b.q("err", r.Err)
	b.kv("duration", r.Duration)
	b.q("redirect", r.Redirect)
	b.kv("message-id", r.MessageID)
	b.kv("conversation-id", r.ConversationID)
	if r.Tuples != nil {
		b.kv("tuples", formatTuples(r.Tuples))
	}
	if r.Watchers != nil {
		b.kv("watchers", "["+strings.Join(r.Watchers, " ")+"]")
	}
	if r.Classes != nil {
		parts := make([]string, len(r.Classes))
		for i, c := range r.Classes {
			parts[i] = c.Name + ":" + strings.Join(c.Watchers, ",")
		}
		b.kv("classes", "["+strings.Join(parts, " ")+"]")
	}
	if r.ACL != nil {
		parts := make([]string, len(r.ACL))
		for i, e := range r.ACL {
			parts[i] = strings.Join(e.Targets, ",") + ":" + strings.Join(e.Allow, ",")
		}
		b.kv("acl", "["+strings.Join(parts, " ")+"]")
	}
	return b.String()
}

// Notification is a NOTIFY the client received (I2 §10.1.4): From is the presentity, To the
// watcher, Tuples the whole presence visible to the watcher. Err is set when the body could not
// be read (the client then answered 400).
type Notification struct {
	From   string
	To     string
	Tuples []Tuple
	Err    string
}

func (Notification) Kind() string { return "notify" }

func (n Notification) String() string {
	var b line
	b.kind("notify")
	b.kv("from", n.From)
	b.kv("to", n.To)
	b.kv("tuples", formatTuples(n.Tuples))
	b.q("err", n.Err)
	return b.String()
}

// Message is an instant message the server delivered with SEND (I2 §10.2). Reply is the code
// the client answered with (200 while listening, Config.InboxCode if set, 408 when not
// listening).
type Message struct {
	From           string
	To             string
	MessageID      string
	ConversationID string
	ReplyTo        string
	ContentType    string
	Body           string
	Reply          int
}

func (Message) Kind() string { return "message" }

func (m Message) String() string {
	var b line
	b.kind("message")
	b.kv("from", m.From)
	b.kv("to", m.To)
	b.kv("message-id", m.MessageID)
	b.kv("conversation-id", m.ConversationID)
	b.kv("reply-to", m.ReplyTo)
	b.q("content-type", m.ContentType)
	b.q("body", m.Body)
	b.kv("reply", strconv.Itoa(m.Reply))
	return b.String()
}

// Watcher is a WATCHERNOTIFY (I2 §11.1.7): Watcher fetched or subscribed to Presentity.
type Watcher struct {
	Watcher    string
	Presentity string
	Type       string
}

func (Watcher) Kind() string { return "watcher" }

func (w Watcher) String() string {
	var b line
	b.kind("watcher")
	b.kv("from", w.Watcher)
	b.kv("to", w.Presentity)
	b.kv("type", w.Type)
	return b.String()
}

// Cancelled is a CANCELSUBSCRIPTION (I2 §10.1.5): the presentity From revoked the subscription
// of the watcher To.
type Cancelled struct {
	From string
	To   string
}

func (Cancelled) Kind() string { return "cancelled" }

func (c Cancelled) String() string {
	var b line
	b.kind("cancelled")
	b.kv("from", c.From)
	b.kv("to", c.To)
	return b.String()
}

// Disconnected reports that the connection of a service ended. Err is empty for an orderly
// close by the server.
type Disconnected struct {
	Service Service
	Err     string
}

func (Disconnected) Kind() string { return "disconnected" }

func (d Disconnected) String() string {
	var b line
	b.kind("disconnected")
	b.kv("service", string(d.Service))
	b.q("err", d.Err)
	return b.String()
}

// ProtocolError reports something the server sent that the client could not use: an
// undecodable stream (the connection is then closed) or a response with an unknown id
// (prim-digest.md §3.12 step 6: logged and ignored).
type ProtocolError struct {
	Service Service
	Err     string
}

func (ProtocolError) Kind() string { return "protocol-error" }

func (p ProtocolError) String() string {
	var b line
	b.kind("protocol-error")
	b.kv("service", string(p.Service))
	b.q("err", p.Err)
	return b.String()
}

// line builds a one-line fact rendering.
type line struct{ strings.Builder }

func (l *line) kind(k string) { l.WriteString(k) }

func (l *line) kv(k, v string) {
	if v == "" {
		return
	}
	l.WriteByte(' ')
	l.WriteString(k)
	l.WriteByte('=')
	l.WriteString(v)
}

func (l *line) q(k, v string) {
	if v == "" {
		return
	}
	l.kv(k, strconv.Quote(v))
}
