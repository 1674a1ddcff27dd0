package mutants

import (
	"sort"
	"strings"

	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/suite/harness"
)

// Mutant is one deliberate defect of the reference server or user agent.
type Mutant struct {
	// Name is short and stable (selects the mutant: PRIMLAB_MUTANT, primlab selftest --mutant).
	Name string
	// Breaks says what behaviour is broken, citing the statements and decisions it violates.
	Breaks string
	// Equivalent marks a control: a change PRIM allows, which no case may kill.
	Equivalent bool
	// Role is what the mutant wraps and which cases judge it: harness.RoleServer (the
	// default when empty: the reference server, judged by the server and s2s cases) or
	// harness.RoleClient (the reference user agent, judged by the client-role cases).
	Role string
	// Intended are the cases written to catch this defect: each must kill it.
	Intended []string
	hooks    func() hooks
}

// Target returns the role the mutant wraps: harness.RoleServer or harness.RoleClient.
func (m Mutant) Target() string {
	if m.Role == "" {
		return harness.RoleServer
	}
	return m.Role
}

// Wrap returns engine e with the mutant's defect. Each call returns a fresh wrapper (a mutant
// may keep per-world state), which is what harness.Config.WrapServer and suite/client's
// Config.WrapUA want.
func (m Mutant) Wrap(e engine.Engine) engine.Engine { return newWrapper(e, m.hooks()) }

// All returns every mutant, sorted by name.
func All() []Mutant {
	out := append(append(append([]Mutant(nil), catalogue...), moreCatalogue...), uaCatalogue...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the mutant called name.
func Lookup(name string) (Mutant, bool) {
	for _, m := range append(append(append([]Mutant(nil), catalogue...), moreCatalogue...), uaCatalogue...) {
		if m.Name == name {
			return m, true
		}
	}
	return Mutant{}, false
}

// ---- building blocks ----

// onMessage builds hooks from a stateless message rewrite.
func onMessage(f func(w *wrapper, c *conn, m, req *wire.Message) []*wire.Message) func() hooks {
	return func() hooks { return hooks{message: f} }
}

// recode answers with code instead of from where pred holds (pred nil: always), keeping
// everything else; a success code drops nothing but the phrase changes with the code.
func recode(from, to int, pred func(w *wrapper, c *conn, req *wire.Message) bool) func() hooks {
	return onMessage(func(w *wrapper, c *conn, m, req *wire.Message) []*wire.Message {
		if !m.IsRequest() && m.Code == from && (pred == nil || pred(w, c, req)) {
			m.Code, m.Phrase = to, wire.Phrase(to)
		}
		return []*wire.Message{m}
	})
}

func method(req *wire.Message) string {
	if req == nil {
		return ""
	}
	return req.Method
}

// isMethod is a recode predicate: the response answers one of methods.
func isMethod(methods ...string) func(*wrapper, *conn, *wire.Message) bool {
	return func(_ *wrapper, _ *conn, req *wire.Message) bool {
		for _, x := range methods {
			if method(req) == x {
				return true
			}
		}
		return false
	}
}

// dropRequests drops every request of method the engine writes on connections where pred holds.
func dropRequests(name string, pred func(*conn) bool) func() hooks {
	return onMessage(func(_ *wrapper, c *conn, m, _ *wire.Message) []*wire.Message {
		if m.Method == name && (pred == nil || pred(c)) {
			return nil
		}
		return []*wire.Message{m}
	})
}

// dropHeader removes a header from responses (or from every message on s2s links).
func dropHeader(name string, pred func(c *conn, m, req *wire.Message) bool) func() hooks {
	return onMessage(func(_ *wrapper, c *conn, m, req *wire.Message) []*wire.Message {
		if pred(c, m, req) {
			m.Del(name)
		}
		return []*wire.Message{m}
	})
}

func isResponse(_ *conn, m, _ *wire.Message) bool { return !m.IsRequest() }

// domainOf returns the canonical domain of an identifier such as "im:bob@example.com".
func domainOf(id string) string {
	i := strings.LastIndexByte(id, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(id[i+1:], "."))
}

// timersSetFor returns hooks that swallow the timers the engine arms while it handles a
// request that trigger accepts: the way to make it forget leases or subscriptions.
func timersSetFor(trigger func(m *wire.Message) bool) func() hooks {
	return func() hooks {
		ignored := map[engine.TimerID]bool{}
		return hooks{
			event: func(_ *wrapper, ev engine.Event) bool {
				t, ok := ev.(engine.Timer)
				return !ok || !ignored[t.ID]
			},
			actions: func(w *wrapper, acts []engine.Action) []engine.Action {
				hit := false
				for _, m := range w.in {
					hit = hit || (m.IsRequest() && trigger(m))
				}
				if hit {
					for _, a := range acts {
						if st, ok := a.(engine.SetTimer); ok {
							ignored[st.ID] = true
						}
					}
				}
				return acts
			},
		}
	}
}

// leakNotify copies every NOTIFY about a presentity to the connections that were refused a
// SUBSCRIBE or FETCH of it (402) or had their subscription cancelled: presence leaks past the
// ACL (PRIM-A13.2.1-4, PRIM-A13.2.1-5).
func leakNotify() hooks {
	type denial struct{ watcher string }
	denied := map[engine.ConnID]map[string]denial{} // conn → presentity key → watcher
	deny := func(c *conn, presentity, watcher string) {
		if denied[c.id] == nil {
			denied[c.id] = map[string]denial{}
		}
		denied[c.id][strings.ToLower(presentity)] = denial{watcher}
	}
	return hooks{message: func(w *wrapper, c *conn, m, req *wire.Message) []*wire.Message {
		switch {
		case !m.IsRequest() && m.Code == wire.StatusForbidden && (method(req) == "SUBSCRIBE" || method(req) == "FETCH"):
			deny(c, req.Value("To"), req.Value("From"))
		case m.Method == "CANCELSUBSCRIPTION":
			deny(c, m.Value("From"), m.Value("To"))
		case m.Method == "NOTIFY":
			key := strings.ToLower(m.Value("From"))
			for _, d := range w.sortedConns() {
				if d.id == c.id {
					continue
				}
				if den, ok := denied[d.id][key]; ok {
					leak := clone(m)
					leak.Set("To", den.watcher)
					w.write(d, leak)
				}
			}
		}
		return []*wire.Message{m}
	}}
}

var catalogue = []Mutant{
	// ---- presence delivery ----
	{Name: "drop-notify", Breaks: "never sends NOTIFY: subscribers miss every change (PRIM-A10.1.4-2, PRIM-S7.1.3-1)",
		Intended: []string{"prim/server/10.1.4/1", "prim/server/10.1.4/2", "prim/s2s/7.1.3/1", "prim/s2s/7.1.3/2"},
		hooks:    dropRequests("NOTIFY", nil)},
	{Name: "duplicate-notify", Breaks: "sends every NOTIFY twice with the same id (PRIM-A10.1.4-2: one NOTIFY per watcher and change; PRIM-A8.2.3-1)",
		Intended: []string{"prim/server/10.1.4/10", "prim/server/5.5/3", "prim/s2s/7.1.1/6"},
		hooks: onMessage(func(_ *wrapper, _ *conn, m, _ *wire.Message) []*wire.Message {
			if m.Method == "NOTIFY" {
				return []*wire.Message{m, clone(m)}
			}
			return []*wire.Message{m}
		})},
	{Name: "drop-cancelsubscription", Breaks: "never sends CANCELSUBSCRIPTION when an ACL change denies a subscriber (PRIM-A10.1.5-1)",
		Intended: []string{"prim/server/10.1.5/1", "prim/server/10.1.5/2"},
		hooks:    dropRequests("CANCELSUBSCRIPTION", nil)},
	{Name: "leak-notify-past-acl", Breaks: "NOTIFYs reach a watcher the ACL denied or cancelled (PRIM-A13.2.1-4, PRIM-A13.2.1-5)",
		Intended: []string{"prim/server/13.2/101", "prim/server/10.1.5/101"},
		hooks:    leakNotify},
	{Name: "ignore-lease-expiry", Breaks: "a leased value never expires (PRIM-A5.4-2, PRIM-A11.1.1-9)",
		Intended: []string{"prim/server/5.4/2", "prim/server/5.4/3", "prim/server/11.1.1/22"},
		hooks: timersSetFor(func(m *wire.Message) bool {
			t := m.Value("PI-Type")
			return m.Method == "PUBLISH" && (t == "leased" || t == "renew")
		})},
	{Name: "ignore-subscription-expiry", Breaks: "a subscription never expires (PRIM-A10.1.2-2, PRIM-A5.5-1)",
		Intended: []string{"prim/server/5.5/1", "prim/s2s/7.1.2/4"},
		hooks:    timersSetFor(func(m *wire.Message) bool { return m.Method == "SUBSCRIBE" })},

	{Name: "drop-watchernotify", Breaks: "never sends WATCHERNOTIFY to a presentity that asked for watcher information (PRIM-A11.1.7-1)",
		Intended: []string{"prim/server/11.1.5/3", "prim/server/11.1.7/1"},
		hooks:    dropRequests("WATCHERNOTIFY", nil)},

	// ---- instant messages ----
	{Name: "duplicate-im-delivery", Breaks: "delivers every IM twice to each listening connection (PRIM-A15-5: forwarded once, unchanged; PRIM-A10.2.1-2)",
		Intended: []string{"prim/server/10.2/9", "prim/server/11.2.1/12"},
		hooks: onMessage(func(_ *wrapper, c *conn, m, _ *wire.Message) []*wire.Message {
			if m.Method == "SEND" && !c.s2s() {
				return []*wire.Message{m, clone(m)}
			}
			return []*wire.Message{m}
		})},
	{Name: "reveal-sender-address", Breaks: "IMs delivered to a UA name the sender's IP address in a header (PRIM-A3-1, PRIM-A12-1: the server relays, peers stay hidden)",
		Intended: []string{"prim/server/17/1"},
		hooks: func() hooks {
			remote := map[engine.ConnID]string{}
			return hooks{
				event: func(_ *wrapper, ev engine.Event) bool {
					if o, ok := ev.(engine.Opened); ok {
						remote[o.Conn] = o.Remote
					}
					return true
				},
				message: func(w *wrapper, c *conn, m, _ *wire.Message) []*wire.Message {
					if m.Method == "SEND" && !c.s2s() && w.inConn != nil {
						m.Add("X-Origin", remote[w.inConn.id])
					}
					return []*wire.Message{m}
				},
			}
		}},
	{Name: "drop-astrength-on-relay", Breaks: "relays requests to other domains without AStrength (PRIM-A9.1.7-1, PRIM-S6.1.8-1)",
		Intended: []string{"prim/s2s/7.2.1/2"},
		hooks:    dropHeader("AStrength", func(c *conn, m, _ *wire.Message) bool { return m.IsRequest() && c.s2s() })},

	// ---- responses: ids and versions ----
	{Name: "wrong-response-id", Breaks: "responses (other than to LOGIN) carry another id than the request's (PRIM-A8.2.3-1)",
		Intended: []string{"prim/server/8.2.3/2", "prim/server/10.2/19"},
		hooks: onMessage(func(_ *wrapper, _ *conn, m, req *wire.Message) []*wire.Message {
			if !m.IsRequest() && method(req) != "LOGIN" {
				m.ID += "0"
			}
			return []*wire.Message{m}
		})},
	{Name: "answer-no-response-request", Breaks: `answers requests whose id is "-" with 200 (PRIM-A8.3-2, Decision D6)`,
		Intended: []string{"prim/server/8.2.3/3", "prim/server/10.3.4/1", "prim/server/10.3.4/2"},
		hooks: func() hooks {
			return hooks{actions: func(w *wrapper, acts []engine.Action) []engine.Action {
				for _, m := range w.in {
					if m.IsRequest() && m.ID == wire.NoResponse && w.conns[w.inConn.id] != nil {
						acts = append(acts, engine.Write{Conn: w.inConn.id, Data: (&wire.Message{
							Version: m.Version, ID: wire.NoResponse, Code: wire.StatusOK, Phrase: wire.Phrase(wire.StatusOK)}).Bytes()})
					}
				}
				return acts
			}}
		}},
	{Name: "swap-version-token", Breaks: "responses on client links carry the other service's version (PRIM-PR/1.0 for PRIM-IM/1.0 and back; PRIM-A8.2-1, PRIM-A4.3-3)",
		Intended: []string{"prim/server/8.2.2/3", "prim/server/4.3/4"},
		hooks: onMessage(func(_ *wrapper, c *conn, m, _ *wire.Message) []*wire.Message {
			if !m.IsRequest() && !c.s2s() {
				switch m.Version {
				case wire.VersionPresence:
					m.Version = wire.VersionIM
				case wire.VersionIM:
					m.Version = wire.VersionPresence
				}
			}
			return []*wire.Message{m}
		})},

	// ---- status codes, one family each ----
	{Name: "ok-as-201", Breaks: "answers 201 Duration Adjusted for success of requests other than LOGIN and SUBSCRIBE (PRIM-A10.1.1-3: 201 is SUBSCRIBE's)",
		Intended: []string{"prim/server/10.1.3/1", "prim/server/11.1.1/2", "prim/server/11.2.1/1"},
		hooks: recode(wire.StatusOK, wire.StatusDurationAdjusted, func(_ *wrapper, _ *conn, req *wire.Message) bool {
			return req != nil && req.Method != "LOGIN" && req.Method != "SUBSCRIBE"
		})},
	{Name: "forbidden-as-ok", Breaks: "answers 200 where the ACL or ownership forbids (402; PRIM-A13.2.1-4, Decision D37)",
		Intended: []string{"prim/server/10.1.1/6", "prim/server/10.1.3/3", "prim/server/10.1.3/7"},
		hooks:    recode(wire.StatusForbidden, wire.StatusOK, nil)},
	{Name: "unauthorized-as-ok", Breaks: "answers 200 to requests before LOGIN instead of 401 (PRIM-A10.3.1-7)",
		Intended: []string{"prim/server/10.3.1/1", "prim/server/10.1.1/12", "prim/s2s/7.3.1/1"},
		hooks:    recode(wire.StatusUnauthorized, wire.StatusOK, nil)},
	{Name: "authfailed-as-ok", Breaks: "answers 200 to a failed LOGIN instead of 406 (PRIM-A12.1-14)",
		Intended: []string{"prim/server/12.1/5", "prim/server/18/1", "prim/server/18/2"},
		hooks:    recode(wire.StatusAuthFailed, wire.StatusOK, nil)},
	{Name: "send-ok-unheard", Breaks: "answers SEND 200 although nobody listens on the inbox (408; PRIM-A10.2.1-3)",
		Intended: []string{"prim/server/10.2.1/2", "prim/server/6/1", "prim/s2s/7.2.1/3"},
		hooks:    recode(wire.StatusInboxClosed, wire.StatusOK, isMethod("SEND"))},
	{Name: "silence-closed-as-ok", Breaks: "answers SILENCE 200 on a connection that was not listening (408; PRIM-A11.2.2-3)",
		Intended: []string{"prim/server/11.2.2/1", "prim/server/11.2.2/12"},
		hooks:    recode(wire.StatusInboxClosed, wire.StatusOK, isMethod("SILENCE"))},
	{Name: "version-unsupported-as-ok", Breaks: "answers 200 to a version it does not support (503; PRIM-A8.2.2-4, Decision D4)",
		Intended: []string{"prim/server/8.2.2/1", "prim/server/8.2.2/2"},
		hooks:    recode(wire.StatusVersionNotSupported, wire.StatusOK, nil)},
	{Name: "not-found-as-ok", Breaks: "answers 200 for a presentity, inbox or tuple that does not exist (403; prim-digest §3.11, Decision D19)",
		Intended: []string{"prim/server/10.1.1/2", "prim/server/10.1.3/2", "prim/server/11.1.2/5"},
		hooks:    recode(wire.StatusResourceNotFound, wire.StatusOK, nil)},
	{Name: "stay-open-after-406", Breaks: "keeps the connection open after 406 Authentication Failed (PRIM-A10.3.1-11, PRIM-S7.3.1-8)",
		Intended: []string{"prim/server/10.3.1/2", "prim/s2s/7.3.1/2"},
		hooks: func() hooks {
			failed := map[engine.ConnID]bool{}
			return hooks{
				message: func(_ *wrapper, c *conn, m, _ *wire.Message) []*wire.Message {
					if !m.IsRequest() && m.Code == wire.StatusAuthFailed {
						failed[c.id] = true
					}
					return []*wire.Message{m}
				},
				actions: func(_ *wrapper, acts []engine.Action) []engine.Action {
					out := acts[:0]
					for _, a := range acts {
						if cl, ok := a.(engine.Close); ok && failed[cl.Conn] {
							continue
						}
						out = append(out, a)
					}
					return out
				},
			}
		}},

	// ---- required headers ----
	{Name: "drop-from-in-responses", Breaks: "responses do not echo From (prim-digest §3.10)",
		Intended: []string{"prim/server/10.1.1/4", "prim/server/10.1.2/4", "prim/server/10.2/2"},
		hooks:    dropHeader("From", isResponse)},
	{Name: "drop-to-in-responses", Breaks: "responses do not echo To (prim-digest §3.10)",
		Intended: []string{"prim/server/10.1.1/4", "prim/server/10.1.2/4", "prim/server/10.2/2"},
		hooks:    dropHeader("To", isResponse)},
	{Name: "drop-duration-in-subscribe-response", Breaks: "the SUBSCRIBE response does not state the Duration (PRIM-A10.1.1-3)",
		Intended: []string{"prim/server/10.1.1/4", "prim/server/10.1.1/5"},
		hooks:    dropHeader("Duration", func(_ *conn, m, req *wire.Message) bool { return !m.IsRequest() && method(req) == "SUBSCRIBE" })},
	{Name: "drop-subscription-id", Breaks: "server-server messages lose their Subscription-ID (PRIM-S6.3.2-1)",
		Intended: []string{"prim/s2s/7.1.1/1", "prim/s2s/7.1.3/4", "prim/s2s/7.1.1/12"},
		hooks:    dropHeader("Subscription-ID", func(c *conn, _, _ *wire.Message) bool { return c.s2s() })},

	// ---- server-server ----
	{Name: "astrength-not-lowered", Breaks: "passes on the AStrength it received instead of the weaker of it and the link's (PRIM-A9.1.7-4, Decision D42)",
		Intended: []string{"prim/server/9.1.7/3", "prim/server/9.1.7/7"},
		hooks: onMessage(func(w *wrapper, _ *conn, m, _ *wire.Message) []*wire.Message {
			if m.IsRequest() && m.Count("AStrength") > 0 {
				for _, in := range w.in {
					if in.IsRequest() && in.Method == m.Method && in.Count("AStrength") > 0 {
						m.Set("AStrength", in.Value("AStrength"))
					}
				}
			}
			return []*wire.Message{m}
		})},
	{Name: "accept-foreign-domain", Breaks: "accepts (200) a server-server request for a domain it does not serve instead of 403 (Decisions D19, D20)",
		Intended: []string{"prim/s2s/4.1/5", "prim/s2s/4.1/6", "prim/s2s/4.1/7"},
		hooks: recode(wire.StatusResourceNotFound, wire.StatusOK, func(w *wrapper, c *conn, req *wire.Message) bool {
			return c.s2s() && req != nil && w.domain != "" && domainOf(req.Value("To")) != strings.ToLower(w.domain)
		})},

	// ---- equivalent controls: PRIM allows these, so no case may fail ----
	{Name: "identity", Equivalent: true, Breaks: "nothing: every message decoded and re-encoded (checks the wrapper itself)",
		hooks: onMessage(func(_ *wrapper, _ *conn, m, _ *wire.Message) []*wire.Message { return []*wire.Message{m} })},
	{Name: "reorder-headers", Equivalent: true, Breaks: "nothing: header lines in another order (PRIM-S5.2-1: headers in any order; same-name order kept)",
		hooks: onMessage(func(_ *wrapper, _ *conn, m, _ *wire.Message) []*wire.Message {
			sort.SliceStable(m.Headers, func(i, j int) bool { return m.Headers[i].Name > m.Headers[j].Name })
			return []*wire.Message{m}
		})},
	{Name: "crlf-after-body", Equivalent: true, Breaks: "nothing: an empty line after each command, which receivers skip (PRIM-A8.1-4)",
		hooks: func() hooks {
			return hooks{encode: func(b []byte, m *wire.Message) []byte { return append(wire.Append(b, m), '\r', '\n') }}
		}},
	{Name: "split-writes", Equivalent: true, Breaks: "nothing: every write cut in three segments, after the start line and mid-way through the rest (TCP is a byte stream; prim-digest §3.12)",
		hooks: func() hooks {
			return hooks{actions: func(_ *wrapper, acts []engine.Action) []engine.Action {
				var out []engine.Action
				for _, a := range acts {
					wr, ok := a.(engine.Write)
					if !ok {
						out = append(out, a)
						continue
					}
					out = append(out, splitWrite(wr)...)
				}
				return out
			}}
		}},
}

// splitWrite cuts a write after its first CRLF and mid-way through the rest. (One segment per
// octet would be just as legal, but it is not equivalent: every segment costs time in the
// simulator, and a case that compares NOTIFY and IM latency, prim/server/4/8, rightly
// notices a server that slow.)
func splitWrite(wr engine.Write) []engine.Action {
	d := wr.Data
	i := strings.Index(string(d), "\r\n")
	if i < 0 || i+2 >= len(d) {
		return []engine.Action{wr}
	}
	first, rest := d[:i+2], d[i+2:]
	out := []engine.Action{engine.Write{Conn: wr.Conn, Data: first}}
	if len(rest) < 2 {
		return append(out, engine.Write{Conn: wr.Conn, Data: rest})
	}
	half := len(rest) / 2
	return append(out, engine.Write{Conn: wr.Conn, Data: rest[:half]}, engine.Write{Conn: wr.Conn, Data: rest[half:]})
}
