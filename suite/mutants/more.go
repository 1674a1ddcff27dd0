package mutants

import (
	"bytes"
	"strings"

	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/server"
	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/suite/harness"
)

// More defects of the reference server: a lenient decoder (what it receives is "repaired"
// before the engine sees it, the way a careless parser would read it), LOGIN handling on both
// listeners, the server's own outgoing server-server LOGIN, and the base commands.

// ---- building blocks: received octets ----

// rawHead rewrites the head (start line and header lines, without the empty line ending it)
// of a command that starts a Bytes event where a start line is expected. Commands the suite
// sends in one piece qualify; anything else reaches the engine untouched.
func rawHead(f func(head string) string) func() hooks {
	return func() hooks {
		return hooks{raw: func(_ *wrapper, _ *conn, data []byte, atBoundary bool) []byte {
			i := bytes.Index(data, []byte("\r\n\r\n"))
			if !atBoundary || i < 0 {
				return data
			}
			head := f(string(data[:i]))
			return append([]byte(head), data[i:]...)
		}}
	}
}

// headerLines applies f to each header line of a head (not the start line).
func headerLines(f func(line string) string) func(string) string {
	return func(head string) string {
		lines := strings.Split(head, "\r\n")
		for i := 1; i < len(lines); i++ {
			lines[i] = f(lines[i])
		}
		return strings.Join(lines, "\r\n")
	}
}

// startLine applies f to the start line of a head when it is a request line.
func startLine(f func(line string) string) func(string) string {
	return func(head string) string {
		first, rest, more := strings.Cut(head, "\r\n")
		switch {
		case strings.HasPrefix(first, "PRIM"):
			return head // a response
		case !more:
			return f(first)
		}
		return f(first) + "\r\n" + rest
	}
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// higherMinor reports whether v is PRIM*/1.n with n other than 0.
func higherMinor(v string) bool {
	proto, ver, ok := strings.Cut(v, "/")
	major, minor, ok2 := strings.Cut(ver, ".")
	return ok && ok2 && strings.HasPrefix(proto, "PRIM") && major == "1" && isDigits(minor) && strings.TrimLeft(minor, "0") != ""
}

// ---- building blocks: LOGIN ----

// dialled reports whether c is a connection the engine opened (its outgoing s2s links).
func dialled(c *conn) bool { return c.listener == "" }

// mechs splits a SASL-Mech list on spaces and commas (Decision D21).
func mechs(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
}

// validDomain is a loose domain-name check: dot-separated tokens.
func validDomain(d string) bool {
	if d == "" {
		return false
	}
	for _, l := range strings.Split(d, ".") {
		if !isToken(l) {
			return false
		}
	}
	return true
}

// outgoingLogin rewrites the LOGIN requests the engine sends on the links it dialled.
func outgoingLogin(f func(m *wire.Message)) func() hooks {
	return onMessage(func(_ *wrapper, c *conn, m, _ *wire.Message) []*wire.Message {
		if m.Method == "LOGIN" && dialled(c) {
			f(m)
		}
		return []*wire.Message{m}
	})
}

// dropMech removes one mechanism from the SASL-Mech lists of received initial LOGINs: the
// server does not implement it.
func dropMech(name string) func() hooks {
	return func() hooks {
		return hooks{incoming: func(_ *wrapper, c *conn, m *wire.Message) []*wire.Message {
			if m.Method == "LOGIN" && !dialled(c) && m.Count("SASL-Mech") > 0 {
				var keep []string
				for _, x := range mechs(m.Value("SASL-Mech")) {
					if !strings.EqualFold(x, name) {
						keep = append(keep, x)
					}
				}
				if len(keep) == 0 {
					keep = []string{"X-NONE"}
				}
				m.Set("SASL-Mech", strings.Join(keep, " "))
			}
			return []*wire.Message{m}
		}}
	}
}

var moreCatalogue = []Mutant{
	// ---- the decoder: input the server must not accept ----
	{Name: "no-empty-line-skip", Breaks: "treats empty lines where a start line is expected as a framing error and closes the connection (PRIM-A8.1-4, PRIM-S5.1-2)",
		Intended: []string{"prim/server/8.1/1", "prim/s2s/5.1/1"},
		hooks: func() hooks {
			return hooks{raw: func(w *wrapper, c *conn, data []byte, atBoundary bool) []byte {
				if atBoundary && bytes.HasPrefix(data, []byte("\r\n")) {
					w.inject = append(w.inject, engine.Close{Conn: c.id})
					return nil
				}
				return data
			}}
		}},
	{Name: "drop-one-octet-reads", Breaks: "discards a read of a single octet instead of buffering it until the command is complete (PRIM-A8.1-3, PRIM-A8.2.4-1, PRIM-S5.1-1)",
		Intended: []string{"prim/server/8.2.4/1", "prim/s2s/5.1/3"},
		hooks: func() hooks {
			return hooks{raw: func(_ *wrapper, _ *conn, data []byte, _ bool) []byte {
				if len(data) == 1 {
					return nil
				}
				return data
			}}
		}},
	{Name: "accept-bare-lf", Breaks: "takes a bare LF as a line end (PRIM-A8.1-3: lines end in CRLF)",
		Intended: []string{"prim/server/8.1/4"},
		hooks: func() hooks {
			return hooks{raw: func(_ *wrapper, _ *conn, data []byte, atBoundary bool) []byte {
				i := bytes.Index(data, []byte("\n\n"))
				if !atBoundary || i < 0 || bytes.Contains(data[:i+2], []byte("\r")) {
					return data
				}
				head := bytes.ReplaceAll(data[:i], []byte("\n"), []byte("\r\n"))
				return append(append(head, "\r\n\r\n"...), data[i+2:]...)
			}}
		}},
	{Name: "accept-header-without-space", Breaks: `reads "Name:value" as a header (PRIM-A8.1.1-1: name, colon, one space, value)`,
		Intended: []string{"prim/server/8.1.1/1"},
		hooks: rawHead(headerLines(func(l string) string {
			name, value, ok := strings.Cut(l, ":")
			if ok && isToken(name) && value != "" && value[0] != ' ' {
				return name + ": " + value
			}
			return l
		}))},
	{Name: "accept-folded-header", Breaks: "unfolds a continuation line into the header before it (PRIM-A8.1.1-2: headers are single lines)",
		Intended: []string{"prim/server/8.1.1/2"},
		hooks: rawHead(func(head string) string {
			head = strings.ReplaceAll(head, ":\r\n ", ": ")
			return strings.ReplaceAll(strings.ReplaceAll(head, "\r\n ", " "), "\r\n\t", " ")
		})},
	{Name: "accept-header-without-colon", Breaks: `reads "Name value" as a header (PRIM-A8.1.1-1)`,
		Intended: []string{"prim/server/8.1.1/5"},
		hooks: rawHead(headerLines(func(l string) string {
			name, value, ok := strings.Cut(l, " ")
			if ok && !strings.Contains(name, ":") && isToken(name) {
				return name + ": " + value
			}
			return l
		}))},
	{Name: "case-insensitive-header-names", Breaks: `reads "from" as From (PRIM-A8.1.1-1, PRIM-S5.1.1-1: header names are case-sensitive; Decision D44)`,
		Intended: []string{"prim/server/8.1.1/3"},
		hooks: func() hooks {
			known := []string{"From", "To", "Domain", "Auth-State", "SASL-Mech", "Subscription-ID", "Duration"}
			return hooks{incoming: func(_ *wrapper, _ *conn, m *wire.Message) []*wire.Message {
				for i, hd := range m.Headers {
					for _, k := range known {
						if hd.Name != k && strings.EqualFold(hd.Name, k) && m.Count(k) == 0 {
							m.Headers[i].Name = k
						}
					}
				}
				return []*wire.Message{m}
			}}
		}},
	{Name: "accept-nonnumeric-length", Breaks: "reads a request whose length field is not decimal as one without a body (PRIM-A8.2.4-1, PRIM-A8.2-1)",
		Intended: []string{"prim/server/8.2.4/2"},
		hooks: rawHead(startLine(func(l string) string {
			f := strings.Split(l, " ")
			if len(f) == 4 && !isDigits(f[3]) {
				f[3] = "0"
			}
			return strings.Join(f, " ")
		}))},
	{Name: "accept-short-request-line", Breaks: "reads a request line of three fields as one without a body (PRIM-A8.2-1: four fields)",
		Intended: []string{"prim/server/8.2/1"},
		hooks: rawHead(startLine(func(l string) string {
			if f := strings.Split(l, " "); len(f) == 3 && strings.HasPrefix(f[1], "PRIM") {
				return l + " 0"
			}
			return l
		}))},
	{Name: "accept-double-space", Breaks: "accepts runs of spaces between request-line fields (PRIM-A8.2-1: exactly one space)",
		Intended: []string{"prim/server/8.2/4"},
		hooks: rawHead(startLine(func(l string) string {
			return strings.Join(strings.Fields(l), " ")
		}))},
	{Name: "case-insensitive-methods", Breaks: `serves "login" as LOGIN (PRIM-A8.2-1: methods are upper-case tokens; Decision D8)`,
		Intended: []string{"prim/server/8.2/5"},
		hooks: rawHead(startLine(func(l string) string {
			meth, rest, ok := strings.Cut(l, " ")
			if ok && isToken(meth) && meth != strings.ToUpper(meth) {
				return strings.ToUpper(meth) + " " + rest
			}
			return l
		}))},
	{Name: "refuse-unknown-header", Breaks: "answers 400 to a LOGIN carrying a header it does not know instead of ignoring it (PRIM-A8.1.1-1, Decision D8)",
		Intended: []string{"prim/server/8.1.1/4"},
		hooks: onMessage(func(_ *wrapper, _ *conn, m, req *wire.Message) []*wire.Message {
			if !m.IsRequest() && method(req) == "LOGIN" {
				for _, hd := range req.Headers {
					if strings.HasPrefix(hd.Name, "X-") {
						m.Code, m.Phrase = wire.StatusBadRequest, wire.Phrase(wire.StatusBadRequest)
					}
				}
			}
			return []*wire.Message{m}
		})},

	// ---- request ids and versions ----
	{Name: "normalise-request-id", Breaks: "echoes request ids lower-cased, and serves a long one but echoes it cut to 64 characters (PRIM-A8.2.3-1: exactly as received)",
		Intended: []string{"prim/server/8.2.3/1", "prim/server/8.2.3/7"},
		hooks: onMessage(func(_ *wrapper, _ *conn, m, _ *wire.Message) []*wire.Message {
			if !m.IsRequest() && m.ID != wire.NoResponse {
				m.ID = strings.ToLower(m.ID)
				if len(m.ID) > 64 {
					// Served after all (D5 allows 400), but with the id cut.
					m.ID = m.ID[:64]
					if m.Code == wire.StatusBadRequest {
						m.Code, m.Phrase = wire.StatusOK, wire.Phrase(wire.StatusOK)
					}
				}
			}
			return []*wire.Message{m}
		})},
	{Name: "refuse-higher-minor-version", Breaks: "answers 503 to a request of a higher minor version of a known major version (PRIM-A8.2.2-2, PRIM-A8.2.2-4, Decision D34)",
		Intended: []string{"prim/server/8.2.2/4"},
		hooks: onMessage(func(_ *wrapper, _ *conn, m, req *wire.Message) []*wire.Message {
			if !m.IsRequest() && req != nil && higherMinor(req.Version) {
				m.Code, m.Phrase = wire.StatusVersionNotSupported, wire.Phrase(wire.StatusVersionNotSupported)
			}
			return []*wire.Message{m}
		})},

	// ---- base commands ----
	{Name: "answer-logout", Breaks: "answers LOGOUT with 200 (PRIM-A10.3.3-1, PRIM-S7.3.3-1: LOGOUT has no response)",
		Intended: []string{"prim/server/10.3.3/1", "prim/s2s/7.3.3/1", "prim/s2s/7.3.3/2"},
		hooks: func() hooks {
			return hooks{actions: func(w *wrapper, acts []engine.Action) []engine.Action {
				for _, m := range w.in {
					if m.Method == "LOGOUT" && w.inConn != nil {
						id := m.ID
						if id == wire.NoResponse {
							id = "0"
						}
						resp := (&wire.Message{Version: m.Version, ID: id, Code: wire.StatusOK, Phrase: wire.Phrase(wire.StatusOK)}).Bytes()
						acts = append([]engine.Action{engine.Write{Conn: w.inConn.id, Data: resp}}, acts...)
					}
				}
				return acts
			}}
		}},
	{Name: "close-on-ping-with-id", Breaks: "closes the connection on a PING that carries a real request id (Decision D6: process it, do not drop the peer)",
		Intended: []string{"prim/server/10.3.4/3"},
		hooks: func() hooks {
			return hooks{actions: func(w *wrapper, acts []engine.Action) []engine.Action {
				for _, m := range w.in {
					if m.Method == "PING" && m.ID != wire.NoResponse && w.inConn != nil {
						acts = append(acts, engine.Close{Conn: w.inConn.id})
					}
				}
				return acts
			}}
		}},

	// ---- LOGIN, as the server that is logged in to ----
	{Name: "relogin-allowed", Breaks: "lets a logged-in connection LOGIN again (to a second principal) instead of 409 Already Authenticated (PRIM-A10.3.1-12)",
		Intended: []string{"prim/server/10.3.1/3"},
		hooks:    recode(wire.StatusAlreadyAuthenticated, wire.StatusAuthContinued, isMethod("LOGIN"))},
	{Name: "drop-sasl-mech-in-login-responses", Breaks: "LOGIN responses (100 and 200) do not carry SASL-Mech (PRIM-A12.1-7, PRIM-S9.2-5)",
		Intended: []string{"prim/server/12.1/3", "prim/s2s/9.2/1"},
		hooks:    dropHeader("SASL-Mech", func(_ *conn, m, req *wire.Message) bool { return !m.IsRequest() && method(req) == "LOGIN" })},
	{Name: "select-first-offered-mech", Breaks: "the 100 names the first mechanism the peer offered, known or not, instead of one it selected (PRIM-A12.1-7, PRIM-S9.2-7)",
		Intended: []string{"prim/server/10.3.1/15", "prim/s2s/9.2/3"},
		hooks: onMessage(func(_ *wrapper, _ *conn, m, req *wire.Message) []*wire.Message {
			if !m.IsRequest() && m.Code == wire.StatusAuthContinued && method(req) == "LOGIN" {
				if offered := mechs(req.Value("SASL-Mech")); len(offered) > 0 {
					m.Set("SASL-Mech", offered[0])
				}
			}
			return []*wire.Message{m}
		})},
	{Name: "select-unoffered-mech", Breaks: "the 100 names a mechanism the peer did not offer (PRIM-A12.1-6, PRIM-A12.1-7)",
		Intended: []string{"prim/server/12.1/2", "prim/server/12.1/6"},
		hooks: onMessage(func(_ *wrapper, _ *conn, m, req *wire.Message) []*wire.Message {
			if !m.IsRequest() && m.Code == wire.StatusAuthContinued && method(req) == "LOGIN" {
				m.Set("SASL-Mech", "DIGEST-MD5")
			}
			return []*wire.Message{m}
		})},
	{Name: "comma-mech-list-ignored", Breaks: "takes a comma-separated SASL-Mech list for malformed and ignores it (PRIM-A12.1-5, Decision D21)",
		Intended: []string{"prim/server/12.1/6", "prim/s2s/9.2/4"},
		hooks: func() hooks {
			return hooks{incoming: func(_ *wrapper, _ *conn, m *wire.Message) []*wire.Message {
				if m.Method == "LOGIN" && strings.Contains(m.Value("SASL-Mech"), ",") {
					m.Set("SASL-Mech", "X-UNPARSED")
				}
				return []*wire.Message{m}
			}}
		}},
	{Name: "no-cram-md5", Breaks: "does not implement CRAM-MD5 (PRIM-A12.1-3, PRIM-S9.2-3)",
		Intended: []string{"prim/server/12.1/4", "prim/s2s/9.2/2"},
		hooks:    dropMech("CRAM-MD5")},
	{Name: "s2s-login-domain-unchecked", Breaks: "accepts a server-server LOGIN whose Domain is missing or not a domain name (PRIM-S7.3.1-2, PRIM-S7.3.1-3, Decision D44)",
		Intended: []string{"prim/s2s/7.3.1/6", "prim/s2s/7.3.1/7"},
		hooks: func() hooks {
			var h hooks
			h.message = func(_ *wrapper, c *conn, m, req *wire.Message) []*wire.Message {
				if !m.IsRequest() && c.s2s() && method(req) == "LOGIN" && m.Code >= 400 && !validDomain(req.Value("Domain")) {
					to := wire.StatusOK
					if req.Value("Auth-State") == "init" {
						to = wire.StatusAuthContinued
						m.Set("SASL-Mech", "PLAIN")
					}
					m.Code, m.Phrase = to, wire.Phrase(to)
				}
				return []*wire.Message{m}
			}
			failed := map[engine.ConnID]bool{}
			h.actions = func(w *wrapper, acts []engine.Action) []engine.Action {
				for _, m := range w.in {
					if w.inConn != nil && m.Method == "LOGIN" && w.inConn.s2s() && !validDomain(m.Value("Domain")) {
						failed[w.inConn.id] = true
					}
				}
				out := acts[:0]
				for _, a := range acts {
					if cl, ok := a.(engine.Close); ok && failed[cl.Conn] {
						continue
					}
					out = append(out, a)
				}
				return out
			}
			return h
		}},
	{Name: "s2s-abort-authenticates", Breaks: "a server-server LOGIN aborted with Auth-State abort leaves the link authenticated (PRIM-S7.3.1-5, PRIM-S7.3.1-6, Decision D10)",
		Intended: []string{"prim/s2s/7.3.1/9"},
		hooks: func() hooks {
			aborted := map[engine.ConnID]bool{}
			return hooks{
				message: func(_ *wrapper, c *conn, m, req *wire.Message) []*wire.Message {
					if m.IsRequest() || !c.s2s() {
						return []*wire.Message{m}
					}
					if method(req) == "LOGIN" && req.Value("Auth-State") == "abort" {
						aborted[c.id] = true
						m.Code, m.Phrase = wire.StatusOK, wire.Phrase(wire.StatusOK)
					} else if aborted[c.id] && m.Code == wire.StatusUnauthorized {
						m.Code, m.Phrase = wire.StatusOK, wire.Phrase(wire.StatusOK)
					}
					return []*wire.Message{m}
				},
				actions: func(_ *wrapper, acts []engine.Action) []engine.Action {
					out := acts[:0]
					for _, a := range acts {
						if cl, ok := a.(engine.Close); ok && aborted[cl.Conn] {
							continue
						}
						out = append(out, a)
					}
					return out
				},
			}
		}},

	// ---- LOGIN, as the server that logs in to a peer domain ----
	{Name: "outgoing-login-without-domain", Breaks: "the server's own server-server LOGINs omit Domain (PRIM-S7.3.1-2, PRIM-A12.2-1)",
		Intended: []string{"prim/s2s/9.2/7", "prim/s2s/9.2/8", "prim/server/12.2/3"},
		hooks:    outgoingLogin(func(m *wire.Message) { m.Del("Domain") })},
	{Name: "outgoing-login-wrong-version", Breaks: "the server's own server-server LOGINs carry PRIM-PR/1.0 instead of PRIM/1.0 (PRIM-S6.1.5-1, Decision D1)",
		Intended: []string{"prim/s2s/9.2/7"},
		hooks:    outgoingLogin(func(m *wire.Message) { m.Version = wire.VersionPresence })},
	{Name: "outgoing-login-wrong-mech", Breaks: "the server's continuing LOGIN names another mechanism than the one the peer selected (PRIM-S9.2-9, PRIM-S7.3.1-6)",
		Intended: []string{"prim/s2s/9.2/8"},
		hooks: outgoingLogin(func(m *wire.Message) {
			if m.Value("Auth-State") == "continue" {
				m.Set("SASL-Mech", "X-"+m.Value("SASL-Mech"))
			}
		})},
	{Name: "outgoing-wrong-cram-digest", Breaks: "the server's CRAM-MD5 response to a peer domain carries a wrong digest (PRIM-S9.2-10, PRIM-A12.2-4)",
		Intended: []string{"prim/s2s/9.2/9", "prim/server/12.2/4"},
		hooks: outgoingLogin(func(m *wire.Message) {
			if m.Value("Auth-State") == "continue" && len(m.Body) > 0 {
				b := append([]byte(nil), m.Body...)
				last := len(b) - 1
				if b[last] == '0' {
					b[last] = '1'
				} else {
					b[last] = '0'
				}
				m.Body = b
			}
		})},
	{Name: "outgoing-prefers-plain", Breaks: "without TLS the server offers PLAIN first when it logs in to a peer domain (PRIM-S9.2-12, PRIM-S7.3.2-3)",
		Intended: []string{"prim/s2s/9.2/10"},
		hooks: outgoingLogin(func(m *wire.Message) {
			if m.Value("Auth-State") == "init" {
				rest := []string{"PLAIN"}
				for _, x := range mechs(m.Value("SASL-Mech")) {
					if !strings.EqualFold(x, "PLAIN") {
						rest = append(rest, x)
					}
				}
				m.Set("SASL-Mech", strings.Join(rest, " "))
			}
		})},
	{Name: "no-srv-discovery", Breaks: "never reaches a domain that is not statically configured: no DNS SRV lookup (PRIM-S4.3-2, Decision D3)",
		Intended: []string{"prim/s2s/4.3/201", "prim/s2s/4.3/202"},
		hooks: func() hooks {
			return hooks{message: func(w *wrapper, c *conn, m, _ *wire.Message) []*wire.Message {
				if m.IsRequest() && dialled(c) && m.Method != "LOGIN" && m.Method != "LOGOUT" && m.Method != "PING" {
					if s, ok := w.inner.(*server.Server); ok {
						if _, static := s.Config().Peers[domainOf(m.Value("To"))]; !static {
							return nil
						}
					}
				}
				return []*wire.Message{m}
			}}
		}},
	{Name: "trust-claimed-domain", Breaks: "trusts the domain a peer claims with ANONYMOUS: no DNS check, no VERIFYSERVER, its requests are served (PRIM-A12.2-8, PRIM-A12.2-9, Decision D41)",
		Intended: []string{"prim/s2s/12.2/201"},
		hooks: func() hooks {
			anon := map[engine.ConnID]bool{}
			return hooks{
				message: func(_ *wrapper, c *conn, m, req *wire.Message) []*wire.Message {
					if m.IsRequest() || !c.s2s() || dialled(c) || req == nil {
						if m.Method == "VERIFYSERVER" {
							return nil
						}
						return []*wire.Message{m}
					}
					if req.Method == "LOGIN" && strings.EqualFold(req.Value("SASL-Mech"), "ANONYMOUS") {
						anon[c.id] = true
						if m.Code >= 400 {
							to := wire.StatusOK
							if req.Value("Auth-State") == "init" {
								to = wire.StatusAuthContinued
							}
							m.Code, m.Phrase = to, wire.Phrase(to)
						}
					} else if anon[c.id] && req.Method == "SUBSCRIBE" && m.Code >= 400 {
						m.Code, m.Phrase = wire.StatusOK, wire.Phrase(wire.StatusOK)
					}
					return []*wire.Message{m}
				},
				actions: func(_ *wrapper, acts []engine.Action) []engine.Action {
					out := acts[:0]
					for _, a := range acts {
						if cl, ok := a.(engine.Close); ok && anon[cl.Conn] {
							continue
						}
						out = append(out, a)
					}
					return out
				},
			}
		}},
	{Name: "echo-unsupported-major-version", Breaks: "answers a request of a major version it does not implement (PRIM/2.0) in that version (PRIM-S5.2.2-2, PRIM-A8.2.2-2: responses carry the version the server implements)",
		Intended: []string{"prim/s2s/5.2.2/1"},
		hooks: onMessage(func(_ *wrapper, _ *conn, m, req *wire.Message) []*wire.Message {
			if !m.IsRequest() && req != nil {
				if _, ver, ok := strings.Cut(req.Version, "/"); ok && !strings.HasPrefix(ver, "1.") {
					m.Version = req.Version
				}
			}
			return []*wire.Message{m}
		})},

	// ---- the user agent ----
	{Name: "ua-login-in-clear-after-501", Role: harness.RoleClient,
		Breaks:   "takes a refused STARTTLS (501) for a secured connection and logs in in the clear, PLAIN included (PRIM-A10.3.2-4, PRIM-A12.1-17)",
		Intended: []string{"prim/client/10.3.2/5"},
		hooks: func() hooks {
			asked := map[engine.ConnID]string{} // conn → id of the STARTTLS in flight
			faked := map[engine.ConnID]bool{}
			return hooks{
				message: func(_ *wrapper, c *conn, m, _ *wire.Message) []*wire.Message {
					if m.Method == "STARTTLS" {
						asked[c.id] = m.ID
					}
					return []*wire.Message{m}
				},
				incoming: func(_ *wrapper, c *conn, m *wire.Message) []*wire.Message {
					if !m.IsRequest() && m.Code == wire.StatusNotImplemented && asked[c.id] != "" && m.ID == asked[c.id] {
						m.Code, m.Phrase = wire.StatusOK, wire.Phrase(wire.StatusOK)
						faked[c.id] = true
					}
					return []*wire.Message{m}
				},
				actions: func(w *wrapper, acts []engine.Action) []engine.Action {
					var out []engine.Action
					for _, a := range acts {
						if st, ok := a.(engine.StartTLS); ok && faked[st.Conn] {
							// No handshake: the engine is told the connection is secured.
							delete(faked, st.Conn)
							out = append(out, w.rewrite(w.inner.Handle(w.now, engine.Secured{Conn: st.Conn}))...)
							continue
						}
						out = append(out, a)
					}
					return out
				},
			}
		}},
	{Name: "no-wait-after-starttls", Breaks: "on its outgoing server-server links, sends STARTTLS and the next request right behind it, without waiting for the STARTTLS response (PRIM-S7.3.2-5)",
		Intended: []string{"prim/s2s/7.3.2/201"},
		hooks: onMessage(func(_ *wrapper, c *conn, m, _ *wire.Message) []*wire.Message {
			if m.Method == "SUBSCRIBE" && dialled(c) {
				return []*wire.Message{{Method: "STARTTLS", Version: m.Version, ID: m.ID + "0"}, m}
			}
			return []*wire.Message{m}
		})},
	{Name: "redirect-without-address", Breaks: "answers a FETCH for a foreign domain 300 Redirect without the Redirect header naming where to go (PRIM-A9.1.5-1, Decisions D16, D19)",
		Intended: []string{"prim/server/9.1.5/1"},
		hooks: recode(wire.StatusResourceNotFound, wire.StatusRedirect, func(w *wrapper, c *conn, req *wire.Message) bool {
			return !c.s2s() && method(req) == "FETCH" && w.domain != "" && domainOf(req.Value("To")) != strings.ToLower(w.domain)
		})},
	{Name: "anonymous-login-not-bound", Breaks: "answers an ANONYMOUS LOGIN 200 but leaves the connection unauthenticated, so an anonymous watcher the ACL admits is refused (PRIM-A12.1-4, PRIM-A13.2.1-4)",
		Intended: []string{"prim/server/10.3.1/14"},
		hooks: func() hooks {
			anon := map[engine.ConnID]bool{}
			return hooks{
				message: func(_ *wrapper, c *conn, m, req *wire.Message) []*wire.Message {
					if !m.IsRequest() && m.Code == wire.StatusAuthFailed && !c.s2s() && method(req) == "LOGIN" &&
						strings.EqualFold(req.Value("SASL-Mech"), "ANONYMOUS") {
						anon[c.id] = true
						m.Code, m.Phrase = wire.StatusOK, wire.Phrase(wire.StatusOK)
					}
					return []*wire.Message{m}
				},
				// The engine holds the connection unauthenticated and closing: the mutant
				// refuses its SUBSCRIBEs itself, as a server would that never bound it.
				raw: func(w *wrapper, c *conn, data []byte, atBoundary bool) []byte {
					if !anon[c.id] || !atBoundary {
						return data
					}
					d := wire.NewDecoder(wireLimits())
					d.Feed(data)
					if m, err := d.Next(); err == nil && m != nil && m.Method == "SUBSCRIBE" && d.Buffered() == 0 {
						resp := &wire.Message{Version: m.Version, ID: m.ID, Code: wire.StatusForbidden, Phrase: wire.Phrase(wire.StatusForbidden)}
						w.inject = append(w.inject, engine.Write{Conn: c.id, Data: resp.Bytes()})
						return nil
					}
					return data
				},
				actions: func(_ *wrapper, acts []engine.Action) []engine.Action {
					out := acts[:0]
					for _, a := range acts {
						if cl, ok := a.(engine.Close); ok && anon[cl.Conn] {
							continue // the 406's close goes with the 406
						}
						out = append(out, a)
					}
					return out
				},
			}
		}},
	{Name: "starttls-ok-without-tls", Breaks: "answers STARTTLS 200 but never starts TLS and goes on answering in the clear (PRIM-A10.3.2-6, PRIM-A10.3.2-1)",
		Intended: []string{"prim/server/10.3.2/13"},
		hooks:    recode(wire.StatusNotImplemented, wire.StatusOK, isMethod("STARTTLS"))},
}
