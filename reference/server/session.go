package server

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/primlab/primlab/reference/addr"
	"github.com/primlab/primlab/reference/sasl"
	"github.com/primlab/primlab/reference/wire"
)

type loginState struct {
	svc  wire.Service
	mech string
	srv  sasl.Server
	from addr.ID // client links: the From of the init LOGIN
	dom  string  // server links: the Domain of the init LOGIN
}

// request handles one request on any connection: version, method and authentication checks
// common to both profiles, then the method.
func (s *Server) request(c *conn, m *wire.Message) {
	profile := wire.ProfileClient
	if c.role == RoleS2S {
		profile = wire.ProfileServer
	}
	svc, vp, ok := wire.ServiceOf(m.Version)
	legacy := ok && c.role == RoleS2S && vp == wire.ProfileClient && s.cfg.LegacyS2S
	if legacy {
		profile = wire.ProfileClient // Decision D1: I2-style requests on s2s links
	}
	// Decision D1, D34: unknown token, other profile's token or another major version → 503,
	// answered in the responder's highest version of that service.
	if !ok || vp != profile || wire.MajorVersion(m.Version) != 1 {
		resp := reply(m, wire.StatusVersionNotSupported)
		resp.Version = s.highestVersion(c, m.Version)
		s.observe(ProtocolError{Conn: c.id, Code: wire.StatusVersionNotSupported, Detail: fmt.Sprintf("version %q", m.Version)})
		s.respond(c, resp)
		return
	}
	spec, known := wire.LookupMethod(profile, m.Method)
	if !known {
		// Decision D8: unknown method → 501. PRIM-S4.4-3: a service (or Control method) not
		// offered on this link is 501 too.
		s.fail(c, m, wire.StatusNotImplemented, fmt.Sprintf("method %q not implemented on %s links", m.Method, c.role))
		return
	}
	if profile == wire.ProfileServer {
		svc = spec.Service
	}
	if !wire.VersionMatches(profile, m.Version, m.Method) {
		// PRIM-A8.2-1: presence methods carry PRIM-PR, IM methods PRIM-IM.
		s.fail(c, m, wire.StatusBadRequest, fmt.Sprintf("%s method %s with version %q", spec.Service, m.Method, m.Version))
		return
	}
	switch m.Method {
	case "PING":
		return // PRIM-A10.3.4-1: no response
	case "LOGOUT":
		// PRIM-A10.3.3-1: no response. Decision D31: the sender closes; we clean up now and
		// close our side too.
		s.closeConn(c, "LOGOUT")
		return
	case "STARTTLS":
		s.startTLS(c, m)
		return
	case "VERIFYSERVER":
		if c.role == RoleS2S {
			s.verifyServer(c, m)
			return
		}
	}
	if vs := violations(m, profile); len(vs) > 0 {
		// Decision D44: missing required header, bad header value, body where none is allowed.
		s.fail(c, m, wire.StatusBadRequest, vs[0].String())
		return
	}
	if m.Method == "LOGIN" {
		if c.role == RoleS2S {
			s.s2sLogin(c, m)
		} else {
			s.clientLogin(c, m, svc)
		}
		return
	}
	if c.role == RoleS2S && !legacy {
		if !c.s2sAuthed && !c.outbound {
			s.fail(c, m, wire.StatusUnauthorized, "request before LOGIN") // PRIM-S7.3.1-5, Decision D11
			return
		}
		s.s2sRequest(c, m)
		return
	}
	if c.role == RoleS2S {
		s.fail(c, m, wire.StatusNotImplemented, "legacy I2 server-server requests are not served") // Decision D1
		return
	}
	if !c.authed[svc] {
		// PRIM-A10.3.1-7: anything but LOGIN (and STARTTLS) before authentication → 401; per
		// service on a shared connection (Decision D33).
		s.fail(c, m, wire.StatusUnauthorized, fmt.Sprintf("%s before LOGIN for the %s service", m.Method, svc))
		return
	}
	s.clientRequest(c, m, svc)
}

// violations returns what wire.Validate finds, minus the id "-" rules Decision D6 overrides
// (a request with "-" is processed and not answered; a no-response method with an id is
// processed and not answered).
func violations(m *wire.Message, p wire.Profile) []wire.Violation {
	var out []wire.Violation
	for _, v := range wire.Validate(m, p) {
		if v.Decision == "D6" {
			continue
		}
		out = append(out, v)
	}
	return out
}

func (s *Server) highestVersion(c *conn, v string) string {
	name, _, _ := strings.Cut(v, "/")
	switch name {
	case "PRIM-PR":
		return wire.VersionPresence
	case "PRIM-IM":
		return wire.VersionIM
	case "PRIM":
		return wire.VersionServer
	}
	return s.defaultVersion(c)
}

// startTLS answers STARTTLS: 501 without TLS (PRIM-A10.3.2-7), else 200 and the handshake, as
// TLS server (Decision D32). Nothing is read until engine.Secured (PRIM-A10.3.2-6).
func (s *Server) startTLS(c *conn, m *wire.Message) {
	if len(m.Body) > 0 || len(m.Headers) > 0 {
		s.fail(c, m, wire.StatusBadRequest, "STARTTLS carries no headers and no body (PRIM-A10.3.2-5)")
		return
	}
	if !s.cfg.TLS {
		s.respond(c, reply(m, wire.StatusNotImplemented))
		return
	}
	if c.secured {
		s.fail(c, m, wire.StatusBadRequest, "STARTTLS on a connection already secured")
		return
	}
	s.respond(c, reply(m, wire.StatusOK))
	c.tlsWait = true
	s.emit(startTLSAction(c))
}

// credentials looks up accounts by "alice" or "alice@domain", case-insensitively.
type credentials struct{ s *Server }

func (cr credentials) Password(user string) (string, bool) {
	local, dom, hasAt := strings.Cut(user, "@")
	if hasAt && addr.CanonicalDomain(dom) != cr.s.domainKey {
		return "", false
	}
	pw, ok := cr.s.accounts[canonLocal(local)]
	return pw, ok
}

// clientMechs are the mechanisms offered on client links, in preference order: EXTERNAL only
// after TLS with a client certificate (PRIM-A10.3.2-3), then CRAM-MD5 and PLAIN (PRIM-A12.1-2).
func (s *Server) clientMechs(c *conn) []string {
	var ms []string
	if c.secured && c.peerCN != "" {
		ms = append(ms, sasl.External)
	}
	return append(ms, sasl.CRAMMD5, sasl.Plain)
}

// clientLogin runs LOGIN on a client link (prim-digest.md §7.1, Decisions D10, D33).
func (s *Server) clientLogin(c *conn, m *wire.Message, svc wire.Service) {
	state := m.Value("Auth-State")
	if c.authed[svc] {
		// PRIM-A10.3.1-12, Decision D33: 409 per service.
		s.respond(c, reply(m, wire.StatusAlreadyAuthenticated, "From"))
		return
	}
	switch state {
	case "init":
		if c.login != nil {
			s.loginFailed(c, m, "Auth-State init during an exchange (PRIM-A18-4)")
			return
		}
		from, err := addr.Parse(m.Value("From"))
		if err != nil {
			s.fail(c, m, wire.StatusBadRequest, err.Error())
			return
		}
		if !s.hasAccount(from) {
			// PRIM-A10.3.1-2: From names the principal, by its pres: or its im: identifier,
			// whichever service the LOGIN is for (LOGIN is a general method); the connection is
			// bound to the principal, not to the scheme.
			s.loginFailed(c, m, fmt.Sprintf("From %q is not a principal of %s", m.Value("From"), s.cfg.Domain))
			return
		}
		prefs, err := sasl.ParseMechList(m.Value("SASL-Mech"))
		if err != nil {
			s.loginFailed(c, m, err.Error())
			return
		}
		mech := sasl.Select(prefs, s.clientMechs(c))
		if mech == "" {
			s.loginFailed(c, m, fmt.Sprintf("no acceptable mechanism in %q", m.Value("SASL-Mech")))
			return
		}
		srv, err := sasl.NewServer(mech, sasl.ServerConfig{Credentials: credentials{s}, Rand: s.rng, Host: s.cfg.Domain, PeerIdentity: c.peerCN})
		if err != nil {
			s.loginFailed(c, m, err.Error())
			return
		}
		c.login = &loginState{svc: svc, mech: mech, srv: srv, from: from}
	case "continue":
		if c.login == nil || c.login.svc != svc {
			s.loginFailed(c, m, "Auth-State continue without an exchange")
			return
		}
		if !strings.EqualFold(strings.TrimSpace(m.Value("SASL-Mech")), c.login.mech) {
			// PRIM-A12.1-10: exactly the selected mechanism.
			s.loginFailed(c, m, fmt.Sprintf("SASL-Mech %q is not the selected %q", m.Value("SASL-Mech"), c.login.mech))
			return
		}
	case "abort":
		s.loginFailed(c, m, "Auth-State abort (Decision D10(b))")
		return
	default:
		s.fail(c, m, wire.StatusBadRequest, fmt.Sprintf("Auth-State %q", state))
		return
	}
	ls := c.login
	challenge, done, err := ls.srv.Step(m.Body)
	if err != nil {
		s.loginFailed(c, m, err.Error())
		return
	}
	if !done {
		// PRIM-A12.1-6..8: 100 with the selected mechanism and the challenge.
		resp := reply(m, wire.StatusAuthContinued, "From", "Auth-State")
		resp.Add("SASL-Mech", ls.mech)
		if len(challenge) > 0 {
			resp.Add("Content-Type", "text/plain")
			resp.Body = challenge
		}
		s.respond(c, resp)
		return
	}
	c.login = nil
	user := canonLocal(strings.SplitN(ls.srv.Identity(), "@", 2)[0])
	if ls.mech == sasl.External {
		user = canonLocal(strings.SplitN(c.peerCN, "@", 2)[0])
	}
	if user != canonLocal(ls.from.Local) || (c.user != "" && c.user != user) {
		// The authenticated identity must be the principal named in From, and one connection
		// serves one principal (PRIM-A4.1-2).
		s.loginFailed(c, m, fmt.Sprintf("authenticated as %q but From is %q", ls.srv.Identity(), ls.from.String()))
		return
	}
	c.user = user
	put(&c.authed, svc, true)
	put(&c.mechs, svc, ls.mech)
	c.strength = clientStrength(ls.mech, c.secured)
	if v, ok := m.Get("Max-Content-Length"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			c.maxContent = n
		}
	}
	resp := reply(m, wire.StatusOK, "From", "Auth-State")
	resp.Add("SASL-Mech", ls.mech) // Decision D10(c)
	s.respond(c, resp)
	s.observe(LoginOK{Conn: c.id, Service: svc.String(), Principal: user + "@" + s.cfg.Domain, Mech: ls.mech})
}

// loginFailed answers 406 and closes the connection (PRIM-A10.3.1-5, PRIM-A10.3.1-11).
func (s *Server) loginFailed(c *conn, m *wire.Message, reason string) {
	c.login = nil
	s.respond(c, reply(m, wire.StatusAuthFailed, "From", "Domain"))
	s.observe(LoginFailed{Conn: c.id, Reason: reason})
	s.closeConn(c, "authentication failed")
}

// clientStrength rates a client connection (PRIM-A9.1.7-3, Decision D42): EXTERNAL after TLS
// is strong; CRAM-MD5, or PLAIN inside TLS, medium; PLAIN in the clear weak.
func clientStrength(mech string, secured bool) string {
	switch {
	case mech == sasl.External && secured:
		return "strong"
	case mech == sasl.CRAMMD5, mech == sasl.Plain && secured:
		return "medium"
	case mech == sasl.Plain:
		return "weak"
	}
	return "none"
}

var strengthRank = map[string]int{"none": 0, "weak": 1, "medium": 2, "strong": 3}

// weaker returns the weaker of two AStrength values; unknown counts as none (PRIM-A9.1.7-4).
func weaker(a, b string) string {
	if strengthRank[a] <= strengthRank[b] {
		if _, ok := strengthRank[a]; ok {
			return a
		}
		return "none"
	}
	return b
}
