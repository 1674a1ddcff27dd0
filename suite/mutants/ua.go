package mutants

import (
	"bytes"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/primlab/primlab/reference/client"
	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/suite/harness"
)

// The client-role mutants: each wraps the reference user agent (reference/client) through
// suite/client's Config.WrapUA and breaks one behaviour I2 rules out for a user agent; the
// client-role cases (role:client) must kill it. Their names start with "ua-".

// uaRequests rewrites the requests of method name the user agent writes (any method when
// name is empty).
func uaRequests(name string, f func(m *wire.Message)) func() hooks {
	return onMessage(func(_ *wrapper, _ *conn, m, _ *wire.Message) []*wire.Message {
		if m.IsRequest() && (name == "" || m.Method == name) {
			f(m)
		}
		return []*wire.Message{m}
	})
}

// uaAnswers rewrites the responses the user agent writes to the server's requests of method
// name.
func uaAnswers(name string, f func(m, req *wire.Message) []*wire.Message) func() hooks {
	return onMessage(func(_ *wrapper, _ *conn, m, req *wire.Message) []*wire.Message {
		if !m.IsRequest() && method(req) == name {
			return f(m, req)
		}
		return []*wire.Message{m}
	})
}

// uaReceives rewrites the responses the user agent receives with code.
func uaReceives(code int, f func(m *wire.Message)) func() hooks {
	return func() hooks {
		return hooks{incoming: func(_ *wrapper, _ *conn, m *wire.Message) []*wire.Message {
			if !m.IsRequest() && m.Code == code {
				f(m)
			}
			return []*wire.Message{m}
		}}
	}
}

// answerUnanswerable makes the user agent answer 200 to every request of method it receives,
// whatever its id: the methods that never get a response (Decision D6).
func answerUnanswerable(name string) func() hooks {
	return func() hooks {
		return hooks{actions: func(w *wrapper, acts []engine.Action) []engine.Action {
			for _, m := range w.in {
				if m.IsRequest() && m.Method == name && w.inConn != nil && w.conns[w.inConn.id] != nil {
					acts = append(acts, engine.Write{Conn: w.inConn.id, Data: (&wire.Message{
						Version: m.Version, ID: m.ID, Code: wire.StatusOK, Phrase: wire.Phrase(wire.StatusOK)}).Bytes()})
				}
			}
			return acts
		}}
	}
}

// dropFacts keeps the facts drop selects from the user: the engine acts on the wire as
// before, but the user never learns.
func dropFacts(drop func(engine.Fact) bool) func() hooks {
	return func() hooks {
		return hooks{actions: func(_ *wrapper, acts []engine.Action) []engine.Action {
			out := acts[:0]
			for _, a := range acts {
				if o, ok := a.(engine.Observe); ok && drop(o.Fact) {
					continue
				}
				out = append(out, a)
			}
			return out
		}}
	}
}

// numericZoneInXML finds a time of day followed by a numeric zone, as in the date attribute
// of a published presence document.
var numericZoneInXML = regexp.MustCompile(`([0-9]{2}:[0-9]{2}:[0-9]{2}) [+-][0-9]{4}`)

// flipLastHex changes the last hex digit of s (0↔1, 2↔3, ..., e↔f).
func flipLastHex(s string) string {
	if s == "" {
		return "0"
	}
	last := s[len(s)-1]
	v, err := strconv.ParseUint(string(last), 16, 8)
	if err != nil {
		return s + "0"
	}
	return s[:len(s)-1] + strconv.FormatUint(v^1, 16)
}

// reuseOutstandingIDs gives every request the id of a request still outstanding on its
// connection, when there is one, and maps the responses back first in, first out, so the
// user agent keeps working as long as the server answers in order: only the wire shows the
// defect (PRIM-A8.2.3-1, PRIM-A8.2.3-2).
func reuseOutstandingIDs() hooks {
	type queue struct {
		order []string            // wire ids outstanding, oldest first
		orig  map[string][]string // wire id → the engine's ids sent under it, oldest first
	}
	qs := map[engine.ConnID]*queue{}
	get := func(c *conn) *queue {
		q := qs[c.id]
		if q == nil {
			q = &queue{orig: map[string][]string{}}
			qs[c.id] = q
		}
		return q
	}
	return hooks{
		message: func(_ *wrapper, c *conn, m, _ *wire.Message) []*wire.Message {
			if !m.IsRequest() || m.ID == wire.NoResponse {
				return []*wire.Message{m}
			}
			q := get(c)
			id := m.ID
			if len(q.order) > 0 {
				id = q.order[0]
			} else {
				q.order = append(q.order, id)
			}
			q.orig[id] = append(q.orig[id], m.ID)
			m.ID = id
			return []*wire.Message{m}
		},
		incoming: func(_ *wrapper, c *conn, m *wire.Message) []*wire.Message {
			q := get(c)
			if m.IsRequest() || len(q.orig[m.ID]) == 0 {
				return []*wire.Message{m}
			}
			wireID := m.ID
			m.ID = q.orig[wireID][0]
			q.orig[wireID] = q.orig[wireID][1:]
			if len(q.orig[wireID]) == 0 {
				delete(q.orig, wireID)
				for i, x := range q.order {
					if x == wireID {
						q.order = append(q.order[:i], q.order[i+1:]...)
						break
					}
				}
			}
			return []*wire.Message{m}
		},
	}
}

// noLoginAfter401 drops every LOGIN the user agent writes on a connection after a 401
// Unauthorized arrived there: it never authenticates again (PRIM-A18-2).
func noLoginAfter401() hooks {
	seen := map[engine.ConnID]bool{}
	return hooks{
		incoming: func(_ *wrapper, c *conn, m *wire.Message) []*wire.Message {
			if !m.IsRequest() && m.Code == wire.StatusUnauthorized {
				seen[c.id] = true
			}
			return []*wire.Message{m}
		},
		message: func(_ *wrapper, c *conn, m, _ *wire.Message) []*wire.Message {
			if seen[c.id] && m.IsRequest() && m.Method == "LOGIN" {
				return nil
			}
			return []*wire.Message{m}
		},
	}
}

// loginBeforeHandshake tells the engine its STARTTLS handshake completed as soon as it asks
// for one, so the LOGIN goes out in the clear before the handshake; the real Secured event is
// swallowed (PRIM-A10.3.2-6).
func loginBeforeHandshake() hooks {
	early := map[engine.ConnID]bool{}
	return hooks{
		event: func(_ *wrapper, ev engine.Event) bool {
			s, ok := ev.(engine.Secured)
			return !ok || !early[s.Conn]
		},
		actions: func(w *wrapper, acts []engine.Action) []engine.Action {
			var out []engine.Action
			for _, a := range acts {
				st, ok := a.(engine.StartTLS)
				if !ok || early[st.Conn] {
					out = append(out, a)
					continue
				}
				early[st.Conn] = true
				out = append(out, w.inner.Handle(w.now, engine.Secured{Conn: st.Conn})...)
				out = append(out, a)
			}
			return out
		},
	}
}

// pingDuringStartTLS writes a PING on every connection whose STARTTLS is unanswered each time
// the user hands the engine an operation.
func pingDuringStartTLS() hooks {
	waiting := map[engine.ConnID]string{} // conn → version of its unanswered STARTTLS
	return hooks{
		message: func(_ *wrapper, c *conn, m, _ *wire.Message) []*wire.Message {
			if m.IsRequest() && m.Method == "STARTTLS" {
				waiting[c.id] = m.Version
			}
			return []*wire.Message{m}
		},
		incoming: func(_ *wrapper, c *conn, m *wire.Message) []*wire.Message {
			if !m.IsRequest() {
				delete(waiting, c.id)
			}
			return []*wire.Message{m}
		},
		actions: func(w *wrapper, acts []engine.Action) []engine.Action {
			if _, call := w.ev.(engine.Call); !call {
				return acts
			}
			for _, c := range w.sortedConns() {
				if v, ok := waiting[c.id]; ok {
					acts = append(acts, engine.Write{Conn: c.id, Data: (&wire.Message{Method: "PING", Version: v, ID: wire.NoResponse}).Bytes()})
				}
			}
			return acts
		},
	}
}

// stayOpenAfterLogout swallows the Close the engine asks for on a connection it wrote
// LOGOUT on.
func stayOpenAfterLogout() hooks {
	loggedOut := map[engine.ConnID]bool{}
	return hooks{
		message: func(_ *wrapper, c *conn, m, _ *wire.Message) []*wire.Message {
			if m.IsRequest() && m.Method == "LOGOUT" {
				loggedOut[c.id] = true
			}
			return []*wire.Message{m}
		},
		actions: func(_ *wrapper, acts []engine.Action) []engine.Action {
			out := acts[:0]
			for _, a := range acts {
				if cl, ok := a.(engine.Close); ok && loggedOut[cl.Conn] {
					continue
				}
				out = append(out, a)
			}
			return out
		},
	}
}

// repeatRefused sends a request answered 400 or 505 again at once, unmodified but for a fresh
// id (the engine never learns of the copy; its answer matches nothing the engine sent).
func repeatRefused() hooks {
	sent := map[engine.ConnID]map[string]*wire.Message{}
	n := 0
	return hooks{
		message: func(_ *wrapper, c *conn, m, _ *wire.Message) []*wire.Message {
			if m.IsRequest() && m.ID != wire.NoResponse {
				if sent[c.id] == nil {
					sent[c.id] = map[string]*wire.Message{}
				}
				sent[c.id][m.ID] = clone(m)
			}
			return []*wire.Message{m}
		},
		incoming: func(w *wrapper, c *conn, m *wire.Message) []*wire.Message {
			if !m.IsRequest() && (m.Code == wire.StatusBadRequest || m.Code == wire.StatusTooManySubscriptions) {
				if req := sent[c.id][m.ID]; req != nil {
					n++
					again := clone(req)
					again.ID = "r" + strconv.Itoa(n)
					w.write(c, again)
				}
			}
			return []*wire.Message{m}
		},
	}
}

// twoSpacesAfterColon renders every header line as "Name:  value".
func twoSpacesAfterColon(b []byte, m *wire.Message) []byte {
	enc := wire.Append(nil, m)
	end := bytes.Index(enc, []byte("\r\n\r\n"))
	first := bytes.Index(enc, []byte("\r\n"))
	if end < 0 || first < 0 || first >= end {
		return append(b, enc...)
	}
	head := bytes.ReplaceAll(enc[first:end], []byte("\r\n"), []byte("\r\n\x00"))
	head = bytes.ReplaceAll(head, []byte(": "), []byte(":  "))
	head = bytes.ReplaceAll(head, []byte("\r\n\x00"), []byte("\r\n"))
	b = append(b, enc[:first]...)
	b = append(b, head...)
	return append(b, enc[end:]...)
}

// headerCategory ranks a header in I2's grammar order: general, then presence or IM, then
// entity headers (prim-digest §3.7, Decision D36). Unknown headers rank with the entity ones.
func headerCategory(name string) int {
	switch name {
	case "From", "To", "Auth-State", "SASL-Mech", "Redirect", "Server-Address", "AStrength", "Max-Content-Length", "Date", "Domain":
		return 0
	case "Class", "Tuple-ID", "Duration", "PI-Type", "Watcher-Type", "Subscription-ID":
		return 1
	case "Message-ID", "Conversation-ID", "Reply-To":
		return 2
	}
	return 3
}

// uaCatalogue are the client-role mutants and controls.
var uaCatalogue = []Mutant{
	// ---- LOGIN and SASL (I2 §10.3.1, §12.1) ----
	{Name: "ua-login-without-from", Role: harness.RoleClient,
		Breaks:   "LOGIN carries no From naming the principal (PRIM-A10.3.1-2)",
		Intended: []string{"prim/client/10.3.1/2", "prim/client/10.3.1/6"},
		hooks:    uaRequests("LOGIN", func(m *wire.Message) { m.Del("From") })},
	{Name: "ua-login-without-auth-state", Role: harness.RoleClient,
		Breaks:   "LOGIN carries no Auth-State (PRIM-A12.1-5, PRIM-A10.3.1-8, Decision D10)",
		Intended: []string{"prim/client/12.1/1", "prim/client/10.3.1/6"},
		hooks:    uaRequests("LOGIN", func(m *wire.Message) { m.Del("Auth-State") })},
	{Name: "ua-login-without-sasl-mech", Role: harness.RoleClient,
		Breaks:   "LOGIN carries no SASL-Mech (PRIM-A12.1-5, PRIM-A12.1-10)",
		Intended: []string{"prim/client/12.1/1", "prim/client/12.1/3", "prim/client/10.3.1/6"},
		hooks:    uaRequests("LOGIN", func(m *wire.Message) { m.Del("SASL-Mech") })},
	{Name: "ua-wrong-cram-md5-digest", Role: harness.RoleClient,
		Breaks:   "the continuing CRAM-MD5 LOGIN carries a wrong digest (PRIM-A12.1-16, Decision D10)",
		Intended: []string{"prim/client/12.1/7"},
		hooks: uaRequests("LOGIN", func(m *wire.Message) {
			if strings.EqualFold(m.Value("SASL-Mech"), "CRAM-MD5") && m.Value("Auth-State") == "continue" {
				if user, digest, ok := strings.Cut(string(m.Body), "\r\n"); ok {
					m.Body = []byte(user + "\r\n" + flipLastHex(digest))
				}
			}
		})},
	{Name: "ua-keeps-sending-after-406", Role: harness.RoleClient,
		Breaks:   "takes 406 Authentication Failed for success and goes on sending requests on the connection (PRIM-A12.1-15, PRIM-A10.3.1-11)",
		Intended: []string{"prim/client/12.1/8", "prim/client/12.1/9"},
		hooks: uaReceives(wire.StatusAuthFailed, func(m *wire.Message) {
			m.Code, m.Phrase = wire.StatusOK, wire.Phrase(wire.StatusOK)
		})},
	{Name: "ua-no-login-after-401", Role: harness.RoleClient,
		Breaks:   "after 401 Unauthorized never sends LOGIN again (PRIM-A18-2)",
		Intended: []string{"prim/client/18/1"},
		hooks:    noLoginAfter401},
	{Name: "ua-ignores-redirect", Role: harness.RoleClient,
		Breaks:   "ignores the Redirect of a 300 answer: reports the 300 and never reconnects (PRIM-A9.1.5-1, PRIM-A8.3-3)",
		Intended: []string{"prim/client/9.1.5/1", "prim/client/9.1.5/2"},
		hooks:    uaReceives(wire.StatusRedirect, func(m *wire.Message) { m.Del("Redirect") })},
	{Name: "ua-login-before-tls-handshake", Role: harness.RoleClient,
		Breaks:   "after 200 to STARTTLS sends LOGIN at once, in the clear, before the TLS handshake (PRIM-A10.3.2-6)",
		Intended: []string{"prim/client/10.3.2/3"},
		hooks:    loginBeforeHandshake},

	{Name: "ua-starttls-with-body", Role: harness.RoleClient,
		Breaks:   "STARTTLS carries a body, which the method forbids (PRIM-A10.3.2-5, PRIM-A9.2.1-1)",
		Intended: []string{"prim/client/10.3.2/1"},
		hooks: uaRequests("STARTTLS", func(m *wire.Message) {
			m.Set("Content-Type", "text/plain")
			m.Body = []byte("tls please")
		})},

	{Name: "ua-ping-during-starttls", Role: harness.RoleClient,
		Breaks:   "sends PING while its STARTTLS awaits the response, whenever the user asks for something (PRIM-A10.3.2-6)",
		Intended: []string{"prim/client/10.3.2/2"},
		hooks:    pingDuringStartTLS},

	// ---- request ids (I2 §8.2.3) ----
	{Name: "ua-reuse-outstanding-id", Role: harness.RoleClient,
		Breaks:   "gives a new request the id of a request still outstanding on the connection (PRIM-A8.2.3-1, PRIM-A8.2.3-2)",
		Intended: []string{"prim/client/8.2.3/1"},
		hooks:    reuseOutstandingIDs},
	{Name: "ua-ping-logout-with-id", Role: harness.RoleClient,
		Breaks:   `sends PING and LOGOUT with a real request id instead of "-" (PRIM-A8.2.3-3, PRIM-A10.3.3-1, Decision D6)`,
		Intended: []string{"prim/client/10.3.3/1", "prim/client/10.3.4/3", "prim/client/8.2.3/2"},
		hooks: func() hooks {
			n := 0
			return uaRequests("", func(m *wire.Message) {
				if (m.Method == "PING" || m.Method == "LOGOUT") && m.ID == wire.NoResponse {
					n++
					m.ID = "p" + strconv.Itoa(n)
				}
			})()
		}},

	// ---- answering the server's requests ----
	{Name: "ua-answers-cancelsubscription", Role: harness.RoleClient,
		Breaks:   "answers CANCELSUBSCRIPTION with 200, which gets no response (PRIM-A10.1.5-2, Decision D6)",
		Intended: []string{"prim/client/10.1.5/1", "prim/client/10.1.5/2"},
		hooks:    answerUnanswerable("CANCELSUBSCRIPTION")},
	{Name: "ua-answers-ping", Role: harness.RoleClient,
		Breaks:   "answers the server's PING with 200, which gets no response (PRIM-A10.3.4-1, Decision D6)",
		Intended: []string{"prim/client/10.3.4/1", "prim/client/10.3.4/2"},
		hooks:    answerUnanswerable("PING")},
	{Name: "ua-drop-notify-response", Role: harness.RoleClient,
		Breaks:   "never answers NOTIFY (PRIM-A10.1.4-6, PRIM-A8.2.3-1)",
		Intended: []string{"prim/client/10.1.4/1", "prim/client/8.2.3/4", "prim/client/8.1/3"},
		hooks:    uaAnswers("NOTIFY", func(_, _ *wire.Message) []*wire.Message { return nil })},
	{Name: "ua-notify-response-wrong-id", Role: harness.RoleClient,
		Breaks:   "answers NOTIFY with another id than the request's (PRIM-A8.2.3-1)",
		Intended: []string{"prim/client/10.1.4/1", "prim/client/8.2.3/4"},
		hooks: uaAnswers("NOTIFY", func(m, _ *wire.Message) []*wire.Message {
			m.ID += "0"
			return []*wire.Message{m}
		})},
	{Name: "ua-send-response-without-ids", Role: harness.RoleClient,
		Breaks:   "the 200 to a delivered SEND lacks Message-ID and Conversation-ID (I2 response table; PRIM-A10.2.1-1)",
		Intended: []string{"prim/client/10.2.1/4"},
		hooks: uaAnswers("SEND", func(m, _ *wire.Message) []*wire.Message {
			if m.Code == wire.StatusOK {
				m.Del("Message-ID")
				m.Del("Conversation-ID")
			}
			return []*wire.Message{m}
		})},
	{Name: "ua-loses-accepted-im", Role: harness.RoleClient,
		Breaks:   "accepts IMs (200) but never gives them to the user (PRIM-A11.2.1-1, PRIM-A6-2)",
		Intended: []string{"prim/client/10.2.1/5", "prim/client/10.2.1/9", "prim/client/9.4.2/1"},
		hooks:    dropFacts(func(f engine.Fact) bool { _, ok := f.(client.Message); return ok })},

	// ---- what it writes ----
	{Name: "ua-send-without-content-type", Role: harness.RoleClient,
		Breaks:   "SEND carries no Content-Type (PRIM-A15-1, PRIM-A14.2-1, Decision D18)",
		Intended: []string{"prim/client/10.2.1/1", "prim/client/9.2.1/3", "prim/client/15/1"},
		hooks:    uaRequests("SEND", func(m *wire.Message) { m.Del("Content-Type") })},
	{Name: "ua-two-spaces-after-colon", Role: harness.RoleClient,
		Breaks:   `header lines read "Name:  value", two spaces after the colon (PRIM-A8.1.1-1, Decision D36)`,
		Intended: []string{"prim/client/8.1.1/1"},
		hooks:    func() hooks { return hooks{encode: twoSpacesAfterColon} }},
	{Name: "ua-unescaped-identifiers", Role: harness.RoleClient,
		Breaks:   "sends identifiers with characters the grammar does not allow raw (a space) instead of %-escaped (PRIM-A7.1-1)",
		Intended: []string{"prim/client/7.1/3"},
		hooks: uaRequests("", func(m *wire.Message) {
			for i, h := range m.Headers {
				if (h.Name == "To" || h.Name == "From") && strings.Contains(h.Value, "%") {
					if v, err := url.PathUnescape(h.Value); err == nil {
						m.Headers[i].Value = v
					}
				}
			}
		})},

	{Name: "ua-swap-request-version", Role: harness.RoleClient,
		Breaks:   "presence requests carry PRIM-IM/1.0 and IM requests PRIM-PR/1.0 (LOGIN aside) (PRIM-A8.2.2-1, Decision D1)",
		Intended: []string{"prim/client/8.2.2/1", "prim/client/11.2.1/1"},
		hooks: uaRequests("", func(m *wire.Message) {
			if m.Method == "LOGIN" {
				return
			}
			switch m.Version {
			case wire.VersionPresence:
				m.Version = wire.VersionIM
			case wire.VersionIM:
				m.Version = wire.VersionPresence
			}
		})},
	{Name: "ua-subscribe-without-duration", Role: harness.RoleClient,
		Breaks:   "SUBSCRIBE carries no Duration (I2 §10.1.1, Decision D30)",
		Intended: []string{"prim/client/10.1.1/1"},
		hooks:    uaRequests("SUBSCRIBE", func(m *wire.Message) { m.Del("Duration") })},
	{Name: "ua-duration-on-permanent", Role: harness.RoleClient,
		Breaks:   "a PUBLISH of PI-Type permanent carries a Duration (PRIM-A11.1.1-8, Decision D29)",
		Intended: []string{"prim/client/11.1.1/4"},
		hooks: uaRequests("PUBLISH", func(m *wire.Message) {
			if m.Value("PI-Type") == "permanent" && m.Count("Duration") == 0 {
				m.Add("Duration", "3600")
			}
		})},
	{Name: "ua-named-time-zone", Role: harness.RoleClient,
		Breaks:   `dates in published presence documents name their zone ("GMT") instead of a numeric offset (PRIM-A14.5-1, Decision D24)`,
		Intended: []string{"prim/client/14.5/1"},
		hooks: uaRequests("PUBLISH", func(m *wire.Message) {
			m.Body = numericZoneInXML.ReplaceAll(m.Body, []byte("$1 GMT"))
		})},
	{Name: "ua-body-on-fetch", Role: harness.RoleClient,
		Breaks:   "FETCH carries a body, which the method forbids (PRIM-A9.2.1-1, Decision D44)",
		Intended: []string{"prim/client/9.2.1/1"},
		hooks: uaRequests("FETCH", func(m *wire.Message) {
			m.Set("Content-Type", "text/plain")
			m.Body = []byte("please")
		})},
	{Name: "ua-content-transfer-encoding", Role: harness.RoleClient,
		Breaks:   "SEND carries Content-Transfer-Encoding, which PRIM never uses (PRIM-A9.2.1-3, PRIM-A14.2-3)",
		Intended: []string{"prim/client/9.2.1/2"},
		hooks:    uaRequests("SEND", func(m *wire.Message) { m.Add("Content-Transfer-Encoding", "8bit") })},
	{Name: "ua-reuse-message-id", Role: harness.RoleClient,
		Breaks:   "every IM carries the Message-ID of the first one (PRIM-A9.4.1-1, Decision D9)",
		Intended: []string{"prim/client/9.4.1/1"},
		hooks: func() hooks {
			first := ""
			return uaRequests("SEND", func(m *wire.Message) {
				if first == "" {
					first = m.Value("Message-ID")
				}
				m.Set("Message-ID", first)
			})()
		}},
	{Name: "ua-escapes-unreserved", Role: harness.RoleClient,
		Breaks:   `%-escapes unreserved characters ("'" "!" "$" ...) in the identifiers it sends (PRIM-A7.1-2)`,
		Intended: []string{"prim/client/7.1/4"},
		hooks: uaRequests("", func(m *wire.Message) {
			for i, h := range m.Headers {
				if h.Name == "To" {
					m.Headers[i].Value = strings.NewReplacer("'", "%27", "!", "%21", "$", "%24").Replace(h.Value)
				}
			}
		})},
	{Name: "ua-drop-watchernotify-response", Role: harness.RoleClient,
		Breaks:   "never answers WATCHERNOTIFY, which requires a response (PRIM-A11.1.7-1)",
		Intended: []string{"prim/client/11.1.7/1"},
		hooks:    uaAnswers("WATCHERNOTIFY", func(_, _ *wire.Message) []*wire.Message { return nil })},
	{Name: "ua-loses-notify", Role: harness.RoleClient,
		Breaks:   "answers NOTIFY 200 but never gives the presence to the user (PRIM-A10.1.4-4)",
		Intended: []string{"prim/client/10.1.4/2", "prim/client/10.1.4/3", "prim/client/10.1.4/6"},
		hooks:    dropFacts(func(f engine.Fact) bool { _, ok := f.(client.Notification); return ok })},
	{Name: "ua-loses-cancellation", Role: harness.RoleClient,
		Breaks:   "never tells the user that a presentity cancelled the subscription (PRIM-A10.1.5-1)",
		Intended: []string{"prim/client/10.1.5/3"},
		hooks:    dropFacts(func(f engine.Fact) bool { _, ok := f.(client.Cancelled); return ok })},

	{Name: "ua-stays-open-after-logout", Role: harness.RoleClient,
		Breaks:   "sends LOGOUT and leaves the connection open (Decision D31: the sender of LOGOUT closes it)",
		Intended: []string{"prim/client/10.3.3/101"},
		hooks:    stayOpenAfterLogout},
	{Name: "ua-repeats-refused-request", Role: harness.RoleClient,
		Breaks:   "repeats a request answered 400 Bad Request or 505 Too Many Subscriptions at once, unmodified (PRIM-A18-1, PRIM-A18-5)",
		Intended: []string{"prim/client/18/2", "prim/client/18/3"},
		hooks:    repeatRefused},

	// ---- equivalent controls: I2 allows these, so no client-role case may fail ----
	{Name: "ua-identity", Role: harness.RoleClient, Equivalent: true,
		Breaks: "nothing: every message the user agent writes decoded and re-encoded (checks the wrapper itself)",
		hooks:  onMessage(func(_ *wrapper, _ *conn, m, _ *wire.Message) []*wire.Message { return []*wire.Message{m} })},
	{Name: "ua-reorder-headers-within-category", Role: harness.RoleClient, Equivalent: true,
		Breaks: "nothing: headers in another order within each of I2's categories (general, presence/IM, entity; Decision D36), same-name order kept",
		hooks: onMessage(func(_ *wrapper, _ *conn, m, _ *wire.Message) []*wire.Message {
			sort.SliceStable(m.Headers, func(i, j int) bool {
				a, b := m.Headers[i].Name, m.Headers[j].Name
				if ca, cb := headerCategory(a), headerCategory(b); ca != cb {
					return ca < cb
				}
				return a > b
			})
			return []*wire.Message{m}
		})},
	{Name: "ua-split-writes", Role: harness.RoleClient, Equivalent: true,
		Breaks: "nothing: every write of the user agent cut in three segments (TCP is a byte stream; prim-digest §3.12)",
		hooks: func() hooks {
			return hooks{actions: func(_ *wrapper, acts []engine.Action) []engine.Action {
				var out []engine.Action
				for _, a := range acts {
					if wr, ok := a.(engine.Write); ok {
						out = append(out, splitWrite(wr)...)
						continue
					}
					out = append(out, a)
				}
				return out
			}}
		}},
}
