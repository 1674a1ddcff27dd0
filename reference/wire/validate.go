package wire

import (
	"fmt"
	"strings"
)

// Violation is one way a decoded command breaks the profile it was checked against.
type Violation struct {
	// Statement is the digest §8 statement broken ("PRIM-A10.3.1-2"), or, where §8 has no
	// statement for a grammar rule, the draft section that defines it ("I2 §9.3.3").
	Statement string
	Decision  string // the digest §10 decision the verdict depends on, e.g. "D44"; may be ""
	Header    string // the header concerned, if any
	Detail    string
}

func (v Violation) String() string {
	s := v.Statement + ": " + v.Detail
	if v.Decision != "" {
		s += " (Decision " + v.Decision + ")"
	}
	return s
}

// pick returns the client-profile or the server-profile variant of a statement id.
func pick(p Profile, client, server string) string {
	if p == ProfileServer {
		return server
	}
	return client
}

// Validate checks a decoded command against profile p: version, request id, method, body and
// required headers, and the value syntax of every well-known header (prim-digest.md §3, §8,
// Decisions D1, D4-D9, D18, D21, D44). A response is checked only for what holds whatever its
// request was; ValidateResponse also checks it against its request's method. Validate returns
// nil for a conforming command.
func Validate(m *Message, p Profile) []Violation {
	var vs []Violation
	add := func(stmt, dec, hdr, format string, args ...any) {
		vs = append(vs, Violation{Statement: stmt, Decision: dec, Header: hdr, Detail: fmt.Sprintf(format, args...)})
	}
	// Version token (§3.4, Decision D1).
	if _, vp, ok := ServiceOf(m.Version); !ok || vp != p {
		add(pick(p, "PRIM-A8.2.2-1", "PRIM-S5.2.2-2"), "D1", "", "version %q is not a %s-profile version", m.Version, p)
	} else if MajorVersion(m.Version) != 1 {
		add(pick(p, "PRIM-A8.2.2-4", "PRIM-S5.2.2-3"), "D1", "", "version %q: only major version 1 is defined", m.Version)
	}
	if m.IsRequest() {
		vs = append(vs, validateRequest(m, p)...)
	} else {
		if m.ID == NoResponse {
			add(pick(p, "PRIM-A8.3-2", "PRIM-S5.3-1"), "", "", "a response carries request id \"-\"")
		}
		if !KnownIn(p, m.Code) {
			add(pick(p, "I2 §8.3", "SS §5.3"), "D4", "", "status code %d is not defined in the %s profile", m.Code, p)
		}
		if m.Code == StatusRedirect && m.Count("Redirect") == 0 {
			add(pick(p, "PRIM-A9.1.5-1", "PRIM-S6.1.6-1"), "", "Redirect", "missing required header %q", "Redirect")
		}
	}
	// PRIM-A9.2.1-3, PRIM-S6.2.1-3: never Content-Transfer-Encoding.
	if m.Count("Content-Transfer-Encoding") > 0 {
		add(pick(p, "PRIM-A9.2.1-3", "PRIM-S6.2.1-3"), "", "Content-Transfer-Encoding",
			"header %q must not appear in any command", "Content-Transfer-Encoding")
	}
	// PRIM-S6.2.1-2: in SS a body always has a Content-Type (Decision D18).
	if p == ProfileServer && len(m.Body) > 0 && m.Count("Content-Type") == 0 {
		add("PRIM-S6.2.1-2", "D18", "Content-Type", "a body of %d octets without %q", len(m.Body), "Content-Type")
	}
	for _, h := range m.Headers {
		if c, ok := headerChecks[h.Name]; ok {
			if detail := c.check(h.Value); detail != "" {
				add(pick(p, c.client, c.server), c.decision, h.Name, "header %q value %q: %s", h.Name, h.Value, detail)
			}
		}
	}
	return vs
}

func validateRequest(m *Message, p Profile) []Violation {
	var vs []Violation
	add := func(stmt, dec, hdr, format string, args ...any) {
		vs = append(vs, Violation{Statement: stmt, Decision: dec, Header: hdr, Detail: fmt.Sprintf(format, args...)})
	}
	spec, ok := LookupMethod(p, m.Method)
	if !ok {
		if cs, inI2 := LookupMethod(ProfileClient, m.Method); p == ProfileServer && inI2 && cs.Class == ClassControl {
			add("PRIM-A8.4-1", "D8", "", "Control method %q does not occur on server-server links", m.Method)
		} else {
			add(pick(p, "PRIM-A8.2-1", "SS §5.2.1"), "D8", "", "method %q is not a %s-profile method", m.Method, p)
		}
		return vs
	}
	if _, vp, ok := ServiceOf(m.Version); ok && vp == p && !VersionMatches(p, m.Version, m.Method) {
		add("PRIM-A8.2-1", "", "", "%s method %s must not carry version %q", spec.Service, m.Method, m.Version)
	}
	// PRIM-A8.2.3-3: "-" iff the request expects no reply (Decision D6).
	if spec.Response && m.ID == NoResponse {
		add(pick(p, "PRIM-A8.2.3-3", "PRIM-S5.2.3-1"), "D6", "", "%s expects a response but carries id \"-\"", m.Method)
	} else if !spec.Response && m.ID != NoResponse {
		add(pick(p, "PRIM-A8.2.3-3", "PRIM-S5.2.3-1"), "D6", "", "%s gets no response and must carry id \"-\", not %q", m.Method, m.ID)
	}
	piType := m.Value("PI-Type")
	switch {
	case spec.RequestBody == BodyForbidden && len(m.Body) > 0:
		add(spec.BodyStatement, "D44", "", "%s must not carry a body (got %d octets)", m.Method, len(m.Body))
	case spec.RequestBody == BodyRequired && len(m.Body) == 0 &&
		!(m.Method == "PUBLISH" && (piType == "renew" || piType == "revert")): // Decision D29
		add(spec.BodyStatement, "D44", "", "%s requires a body", m.Method)
	}
	for _, r := range spec.Required {
		if r.Name == "Content-Type" && len(m.Body) == 0 {
			continue // only a body needs a Content-Type
		}
		if m.Count(r.Name) == 0 {
			add(r.Statement, r.Decision, r.Name, "missing required header %q", r.Name)
		}
	}
	switch m.Method {
	case "LOGIN":
		// PRIM-A12.1-10, PRIM-S9.2-9: a continuing LOGIN names exactly the selected mechanism.
		if m.Value("Auth-State") == "continue" {
			if mechs := splitMechs(m.Value("SASL-Mech")); len(mechs) > 1 {
				add(pick(p, "PRIM-A12.1-10", "PRIM-S9.2-9"), "", "SASL-Mech",
					"a continuing LOGIN names %d mechanisms, not exactly one", len(mechs))
			}
		}
	case "PUBLISH":
		// PRIM-A11.1.1-8: Duration only with leased or renew; Decision D29: leased needs one.
		dur := m.Count("Duration") > 0
		if dur && (piType == "permanent" || piType == "revert") {
			add("PRIM-A11.1.1-8", "D29", "Duration", "Duration with PI-Type %q", piType)
		}
		if !dur && piType == "leased" {
			add("I2 §11.1.1", "D29", "Duration", "PI-Type \"leased\" without Duration")
		}
	}
	if p == ProfileServer {
		// PRIM-S6.1.1-1, PRIM-S6.1.2-1: pres: ids only for presence/general methods, im: only
		// for IM/general methods.
		for _, h := range [...]struct{ name, stmt string }{{"From", "PRIM-S6.1.1-1"}, {"To", "PRIM-S6.1.2-1"}} {
			v, ok := m.Get(h.name)
			if !ok {
				continue
			}
			scheme, _, _ := strings.Cut(v, ":")
			scheme = strings.ToLower(scheme)
			if (scheme == "pres" && spec.Service == ServiceIM) || (scheme == "im" && spec.Service == ServicePresence) {
				add(h.stmt, "D44", h.name, "%s id %q on %s method %s", scheme, v, spec.Service, m.Method)
			}
		}
	}
	return vs
}

// ValidateResponse checks response m to a request of method in profile p: everything Validate
// checks, plus the codes the method may return, the body rule of its responses, the headers its
// successful responses carry and the version's service (Decision D34).
func ValidateResponse(m *Message, p Profile, method string) []Violation {
	vs := Validate(m, p)
	spec, ok := LookupMethod(p, method)
	if !ok || m.IsRequest() {
		return vs
	}
	add := func(stmt, dec, hdr, format string, args ...any) {
		vs = append(vs, Violation{Statement: stmt, Decision: dec, Header: hdr, Detail: fmt.Sprintf(format, args...)})
	}
	if !spec.Response {
		add(pick(p, "PRIM-A8.2.3-4", "PRIM-S5.2.3-2"), "D6", "", "%s gets no response, yet one was sent", method)
		return vs
	}
	if _, vp, ok := ServiceOf(m.Version); ok && vp == p && !VersionMatches(p, m.Version, method) {
		add(pick(p, "PRIM-A8.2.2-1", "PRIM-S5.2.2-2"), "D34", "", "response to %s carries version %q", method, m.Version)
	}
	if KnownIn(p, m.Code) && !spec.MayReturn(m.Code) {
		add(pick(p, "PRIM-A8.3-3", "SS §5.3"), "D4", "", "%s is not answered with %d", method, m.Code)
	}
	if len(m.Body) > 0 && !spec.BodyAllowedIn(m.Code) {
		add(spec.RespBodyStmt, "D44", "", "a %d response to %s must not carry a body (got %d octets)", m.Code, method, len(m.Body))
	}
	if m.Code < 300 {
		for _, r := range spec.ResponseRequired {
			if m.Count(r.Name) == 0 {
				add(r.Statement, r.Decision, r.Name, "missing required header %q", r.Name)
			}
		}
	}
	return vs
}

// ValidateHop checks request m as it travels hop d: everything Validate checks, plus the
// directions the method may take (PRIM-A8.4-1: Control commands stay on client-server links;
// PRIM-A8.4-2: VERIFYSERVER is server-to-server only; PRIM-A10.1.4-1: NOTIFY is originated by
// servers) and the headers a server-server hop adds (I2: AStrength, PRIM-A9.1.7-1; a
// server-server LOGIN names its Domain instead of a From, PRIM-A10.3.1-4). A response is
// checked as Validate checks it.
func ValidateHop(m *Message, p Profile, d Direction) []Violation {
	vs := Validate(m, p)
	spec, ok := LookupMethod(p, m.Method)
	if !m.IsRequest() || !ok {
		return vs
	}
	if d == ServerToServer && m.Method == "LOGIN" {
		kept := vs[:0]
		for _, v := range vs {
			if v.Header != "From" || !strings.HasPrefix(v.Detail, "missing") {
				kept = append(kept, v)
			}
		}
		vs = kept
	}
	if !spec.Goes(d) {
		stmt := pick(p, "PRIM-A8.4-1", "PRIM-S2.1-1")
		switch {
		case m.Method == "VERIFYSERVER":
			stmt = pick(p, "PRIM-A8.4-2", "PRIM-S2.1-1")
		case m.Method == "NOTIFY" || m.Method == "CANCELSUBSCRIPTION":
			stmt = pick(p, "PRIM-A10.1.4-1", "PRIM-S2.1-1")
		}
		vs = append(vs, Violation{Statement: stmt, Detail: fmt.Sprintf("%s does not travel %s", m.Method, d)})
	}
	if d == ServerToServer {
		for _, r := range spec.RequiredS2S {
			if m.Count(r.Name) == 0 {
				vs = append(vs, Violation{Statement: r.Statement, Decision: r.Decision, Header: r.Name,
					Detail: fmt.Sprintf("missing required header %q on a server-server hop", r.Name)})
			}
		}
	}
	return vs
}
