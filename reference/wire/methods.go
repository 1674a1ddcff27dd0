package wire

import (
	"fmt"
	"sort"
	"strings"
)

// Profile is one of the two PRIM profiles (Decision D1).
type Profile int

const (
	// ProfileClient is I2 (draft-mazzoldi-prim-impp-02) on client-server links:
	// versions PRIM-PR/1.0 and PRIM-IM/1.0, all I2 methods.
	ProfileClient Profile = iota + 1
	// ProfileServer is SS (draft-ietf-prim-server-00) on server-server links: version
	// PRIM/1.0 and the nine SS methods.
	ProfileServer
)

func (p Profile) String() string {
	switch p {
	case ProfileClient:
		return "client"
	case ProfileServer:
		return "server"
	}
	return fmt.Sprintf("Profile(%d)", int(p))
}

// ParseProfile accepts "client" (or "I2") and "server" (or "SS").
func ParseProfile(s string) (Profile, error) {
	switch strings.ToLower(s) {
	case "client", "i2":
		return ProfileClient, nil
	case "server", "ss":
		return ProfileServer, nil
	}
	return 0, fmt.Errorf("unknown profile %q (want client or server)", s)
}

// Service is the service a method belongs to (§3.9.1).
type Service int

const (
	ServiceGeneral Service = iota + 1
	ServicePresence
	ServiceIM
)

func (s Service) String() string {
	switch s {
	case ServiceGeneral:
		return "general"
	case ServicePresence:
		return "presence"
	case ServiceIM:
		return "im"
	}
	return fmt.Sprintf("Service(%d)", int(s))
}

// MethodClass is I2 §8.4's classification: Base commands may cross server-server links, Control
// commands stay on client-server links (PRIM-A8.4-1).
type MethodClass int

const (
	ClassBase MethodClass = iota + 1
	ClassControl
)

func (c MethodClass) String() string {
	if c == ClassBase {
		return "Base"
	}
	return "Control"
}

// Direction is a link direction a method may travel.
type Direction int

const (
	ClientToServer Direction = iota + 1
	ServerToClient
	ServerToServer
)

func (d Direction) String() string {
	switch d {
	case ClientToServer:
		return "C->S"
	case ServerToClient:
		return "S->C"
	case ServerToServer:
		return "S->S"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// BodyRule says whether a request may carry a body.
type BodyRule int

const (
	BodyForbidden BodyRule = iota + 1
	BodyOptional
	BodyRequired
)

func (b BodyRule) String() string {
	switch b {
	case BodyForbidden:
		return "forbidden"
	case BodyOptional:
		return "optional"
	case BodyRequired:
		return "required"
	}
	return fmt.Sprintf("BodyRule(%d)", int(b))
}

// HeaderRule is a required header and the statement its absence breaks. Where no §8 statement
// names the header, Statement cites the draft section ("I2 §10.1.1") and Decision says why the
// absence is an error (D44: 400 Bad Request).
type HeaderRule struct {
	Name      string
	Statement string
	Decision  string
}

// MethodSpec describes one method in one profile (prim-digest.md §3.9-3.10).
type MethodSpec struct {
	Name       string
	Profile    Profile
	Service    Service
	Class      MethodClass
	Directions []Direction
	Response   bool // false: the request must carry id "-" and is never answered

	RequestBody   BodyRule
	BodyStatement string // broken by a body where forbidden, or by none where required

	Required    []HeaderRule // request headers on every link of the profile
	RequiredS2S []HeaderRule // further request headers on a server-server hop (I2 AStrength, Domain)
	Optional    []string     // further request headers the method defines

	ResponseRequired []HeaderRule // headers a 1xx/2xx response carries
	ResponseOptional []string
	Codes            []int // codes the method may be answered with, ascending
	BodyCodes        []int // codes whose response may carry a body; any other response carries none
	RespBodyStmt     string
}

// MayReturn reports whether code is one of the codes the method may be answered with.
func (s *MethodSpec) MayReturn(code int) bool { return containsInt(s.Codes, code) }

// BodyAllowedIn reports whether a response with code may carry a body.
func (s *MethodSpec) BodyAllowedIn(code int) bool { return containsInt(s.BodyCodes, code) }

// Goes reports whether the method may travel in direction d.
func (s *MethodSpec) Goes(d Direction) bool {
	for _, x := range s.Directions {
		if x == d {
			return true
		}
	}
	return false
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

var catalogue = map[Profile]map[string]*MethodSpec{
	ProfileClient: index(clientMethods()),
	ProfileServer: index(serverMethods()),
}

func index(specs []*MethodSpec) map[string]*MethodSpec {
	m := make(map[string]*MethodSpec, len(specs))
	for _, s := range specs {
		sort.Ints(s.Codes)
		m[s.Name] = s
	}
	return m
}

// LookupMethod returns the spec of method name (case-sensitive, §3.9.1) in profile p.
func LookupMethod(p Profile, name string) (*MethodSpec, bool) {
	s, ok := catalogue[p][name]
	return s, ok
}

// Methods returns the names of the methods of profile p in sorted order.
func Methods(p Profile) []string {
	names := make([]string, 0, len(catalogue[p]))
	for n := range catalogue[p] {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// VersionFor returns the version token a request of method should carry in profile p:
// PRIM-PR/1.0 for presence (and, by choice, general) methods and PRIM-IM/1.0 for IM methods in
// the client profile (PRIM-A8.2-1); PRIM/1.0 in the server profile.
func VersionFor(p Profile, method string) string {
	if p == ProfileServer {
		return VersionServer
	}
	if s, ok := LookupMethod(p, method); ok && s.Service == ServiceIM {
		return VersionIM
	}
	return VersionPresence
}

// ServiceOf returns the service a version token names and the profile it belongs to:
// PRIM-PR/x.y is presence and PRIM-IM/x.y is IM (client profile); PRIM/x.y names no single
// service (server profile, where the method decides: PRIM-S4.4-2). ok is false for any other
// token, including the historical PP/1.0 and IMP/1.0.
func ServiceOf(version string) (svc Service, p Profile, ok bool) {
	name, _, found := strings.Cut(version, "/")
	if !found || !isVersionToken([]byte(version)) {
		return 0, 0, false
	}
	switch name {
	case "PRIM-PR":
		return ServicePresence, ProfileClient, true
	case "PRIM-IM":
		return ServiceIM, ProfileClient, true
	case "PRIM":
		return ServiceGeneral, ProfileServer, true
	}
	return 0, 0, false
}

// MajorVersion returns the major number of a version token ("PRIM-PR/1.0" -> 1), or -1.
func MajorVersion(version string) int {
	_, num, ok := strings.Cut(version, "/")
	if !ok {
		return -1
	}
	major, _, ok := strings.Cut(num, ".")
	n, ok2 := parseDigits([]byte(major), 1<<20)
	if !ok || !ok2 {
		return -1
	}
	return n
}

// VersionMatches reports whether version may carry method in profile p (§3.3): in the client
// profile presence methods need PRIM-PR, IM methods PRIM-IM and general methods either
// (PRIM-A8.2-1); in the server profile every method uses PRIM. Only the token is compared, not
// the version number.
func VersionMatches(p Profile, version, method string) bool {
	svc, vp, ok := ServiceOf(version)
	if !ok || vp != p {
		return false
	}
	s, known := LookupMethod(p, method)
	if !known || p == ProfileServer || s.Service == ServiceGeneral {
		return true
	}
	return s.Service == svc
}

// Common codes any response-bearing method may get (I2 §8.3, SS §5.3, Decision D4).
func commonCodes(method string) []int {
	c := []int{StatusOK, StatusRedirect, StatusBadRequest, StatusInternalError, StatusNotImplemented,
		StatusVersionNotSupported}
	if method != "LOGIN" {
		c = append(c, StatusUnauthorized)
	}
	if method != "LOGIN" && method != "STARTTLS" && method != "PING" {
		c = append(c, StatusForbidden)
	}
	return c
}

// relayedCodes are the codes a relayed (Base, server-server) command may also get.
func relayedCodes(p Profile) []int {
	c := []int{StatusTimeout, StatusAStrengthTooWeak}
	if p == ProfileServer {
		c = append(c, StatusBadGateway, StatusGatewayTimeout)
	}
	return c
}

func req(stmt, decision string, names ...string) []HeaderRule {
	r := make([]HeaderRule, len(names))
	for i, n := range names {
		r[i] = HeaderRule{Name: n, Statement: stmt, Decision: decision}
	}
	return r
}

func join(rs ...[]HeaderRule) []HeaderRule {
	var out []HeaderRule
	for _, r := range rs {
		out = append(out, r...)
	}
	return out
}

func codes(p Profile, method string, relayed bool, extra ...int) []int {
	c := append(commonCodes(method), extra...)
	if relayed {
		c = append(c, relayedCodes(p)...)
	}
	return c
}

var (
	c2s   = []Direction{ClientToServer}
	s2c   = []Direction{ServerToClient}
	s2s   = []Direction{ServerToServer}
	c2sS2 = []Direction{ClientToServer, ServerToServer}
	s2cS2 = []Direction{ServerToClient, ServerToServer}
	all3  = []Direction{ClientToServer, ServerToClient, ServerToServer}
)

// clientMethods is the I2 catalogue (§3.9.1 table, §3.9.2 cards, §3.10 matrix).
func clientMethods() []*MethodSpec {
	p := ProfileClient
	aStr := req("PRIM-A9.1.7-1", "", "AStrength")
	fromTo := func(sec string) []HeaderRule { return req(sec, "D44", "From", "To") }
	from := func(sec string) []HeaderRule { return req(sec, "D44", "From") }
	control := func(name string, svc Service, sec string, body BodyRule, bodyStmt string, bodyCodes []int, respStmt string, extra ...int) *MethodSpec {
		return &MethodSpec{Name: name, Profile: p, Service: svc, Class: ClassControl, Directions: c2s,
			Response: true, RequestBody: body, BodyStatement: bodyStmt, Required: from(sec),
			ResponseRequired: from(sec), Codes: codes(p, name, false, extra...),
			BodyCodes: bodyCodes, RespBodyStmt: respStmt}
	}
	ok := []int{StatusOK}
	return []*MethodSpec{
		{Name: "LOGIN", Profile: p, Service: ServiceGeneral, Class: ClassBase, Directions: c2sS2, Response: true,
			RequestBody: BodyOptional, BodyStatement: "PRIM-A10.3.1-9",
			Required: join(req("PRIM-A10.3.1-2", "", "From"), req("PRIM-A10.3.1-8", "", "Auth-State"),
				req("PRIM-A12.1-1", "", "SASL-Mech")),
			RequiredS2S: req("PRIM-A10.3.1-4", "", "Domain"),
			// Max-Content-Length is listed for LOGIN but E1/E2 (the draft's own examples) omit it.
			Optional:         []string{"Max-Content-Length", "Content-Type", "Domain"},
			ResponseRequired: req("PRIM-A12.1-1", "", "SASL-Mech"),
			ResponseOptional: []string{"From", "Domain", "Auth-State", "Max-Content-Length", "Content-Type"},
			Codes:            codes(p, "LOGIN", false, StatusAuthContinued, StatusAuthFailed, StatusAlreadyAuthenticated),
			BodyCodes:        []int{StatusAuthContinued, StatusOK}, RespBodyStmt: "PRIM-A10.3.1-9"},
		{Name: "STARTTLS", Profile: p, Service: ServiceGeneral, Class: ClassBase, Directions: c2sS2, Response: true,
			RequestBody: BodyForbidden, BodyStatement: "PRIM-A10.3.2-5",
			Codes: codes(p, "STARTTLS", false), RespBodyStmt: "PRIM-A10.3.2-5"},
		{Name: "LOGOUT", Profile: p, Service: ServiceGeneral, Class: ClassBase, Directions: c2sS2,
			RequestBody: BodyForbidden, BodyStatement: "PRIM-A9.2.1-1"},
		{Name: "PING", Profile: p, Service: ServiceGeneral, Class: ClassBase, Directions: all3,
			RequestBody: BodyForbidden, BodyStatement: "PRIM-A9.2.1-1"},
		{Name: "VERIFYSERVER", Profile: p, Service: ServiceGeneral, Class: ClassBase, Directions: s2s, Response: true,
			RequestBody: BodyForbidden, BodyStatement: "PRIM-A9.2.1-1",
			Required: req("PRIM-A9.1.6-1", "", "Server-Address"), ResponseOptional: []string{"Server-Address"},
			Codes: codes(p, "VERIFYSERVER", false, StatusResourceNotFound), RespBodyStmt: "PRIM-A10.3.5-3"},
		{Name: "SUBSCRIBE", Profile: p, Service: ServicePresence, Class: ClassBase, Directions: c2sS2, Response: true,
			RequestBody: BodyForbidden, BodyStatement: "PRIM-A9.2.1-1",
			Required:    join(fromTo("I2 §10.1.1"), req("I2 §10.1.1", "D30", "Duration")),
			RequiredS2S: aStr, Optional: []string{"AStrength"},
			ResponseRequired: join(fromTo("I2 §10.1.1"), req("PRIM-A10.1.1-3", "", "Duration")),
			ResponseOptional: []string{"Content-Type"},
			Codes: codes(p, "SUBSCRIBE", true, StatusDurationAdjusted, StatusResourceNotFound,
				StatusSubscriptionNotFound, StatusTooManySubscriptions),
			BodyCodes: []int{StatusOK, StatusDurationAdjusted}, RespBodyStmt: "PRIM-A10.1.1-2"}, // Decision D25
		{Name: "UNSUBSCRIBE", Profile: p, Service: ServicePresence, Class: ClassBase, Directions: c2sS2, Response: true,
			RequestBody: BodyForbidden, BodyStatement: "PRIM-A9.2.1-1",
			Required: fromTo("I2 §10.1.2"), RequiredS2S: aStr, Optional: []string{"AStrength"},
			ResponseRequired: fromTo("I2 §10.1.2"),
			Codes:            codes(p, "UNSUBSCRIBE", true, StatusSubscriptionNotFound), RespBodyStmt: "PRIM-A10.1.2-1"},
		{Name: "FETCH", Profile: p, Service: ServicePresence, Class: ClassBase, Directions: c2sS2, Response: true,
			RequestBody: BodyForbidden, BodyStatement: "PRIM-A9.2.1-1",
			Required: fromTo("I2 §10.1.3"), RequiredS2S: aStr, Optional: []string{"AStrength"},
			ResponseRequired: fromTo("I2 §10.1.3"), ResponseOptional: []string{"Content-Type"},
			Codes:     codes(p, "FETCH", true, StatusResourceNotFound),
			BodyCodes: ok, RespBodyStmt: "PRIM-A10.1.3-1"},
		{Name: "NOTIFY", Profile: p, Service: ServicePresence, Class: ClassBase, Directions: s2cS2, Response: true,
			RequestBody: BodyRequired, BodyStatement: "PRIM-A10.1.4-5",
			Required:    join(fromTo("I2 §10.1.4"), req("PRIM-A14.2-1", "D18", "Content-Type")),
			RequiredS2S: aStr, Optional: []string{"AStrength"},
			ResponseRequired: fromTo("I2 §10.1.4"),
			Codes:            codes(p, "NOTIFY", true, StatusResourceNotFound), RespBodyStmt: "PRIM-A10.1.4-6"},
		{Name: "CANCELSUBSCRIPTION", Profile: p, Service: ServicePresence, Class: ClassBase, Directions: s2cS2,
			RequestBody: BodyForbidden, BodyStatement: "PRIM-A9.2.1-1",
			Required: req("PRIM-A10.1.5-1", "", "From", "To"), RequiredS2S: aStr, Optional: []string{"AStrength"}},
		{Name: "PUBLISH", Profile: p, Service: ServicePresence, Class: ClassControl, Directions: c2s, Response: true,
			RequestBody: BodyRequired, BodyStatement: "PRIM-A11.1.1-1",
			Required: join(from("I2 §11.1.1"), req("I2 §11.1.1", "D44", "PI-Type", "Tuple-ID"),
				req("PRIM-A14.2-1", "D18", "Content-Type")),
			Optional:         []string{"Duration", "Class"}, // Decision D14: Class optional
			ResponseRequired: join(from("I2 §11.1.1"), req("I2 §11.1.1", "D44", "PI-Type", "Tuple-ID")),
			ResponseOptional: []string{"Duration", "Class"},
			Codes:            codes(p, "PUBLISH", false, StatusResourceNotFound), RespBodyStmt: "PRIM-A11.1.1-12"},
		{Name: "REMOVE", Profile: p, Service: ServicePresence, Class: ClassControl, Directions: c2s, Response: true,
			RequestBody: BodyForbidden, BodyStatement: "PRIM-A9.2.1-1",
			Required: join(from("I2 §11.1.2"), req("I2 §11.1.2", "D44", "Tuple-ID")), Optional: []string{"Class"},
			ResponseRequired: join(from("I2 §11.1.2"), req("I2 §11.1.2", "D44", "Tuple-ID")),
			ResponseOptional: []string{"Class"},
			Codes:            codes(p, "REMOVE", false, StatusResourceNotFound), RespBodyStmt: "PRIM-A11.1.2-4"},
		control("SETCLASSTABLE", ServicePresence, "I2 §11.1.3", BodyRequired, "PRIM-A11.1.3-1", nil, "PRIM-A11.1.3-2", StatusResourceNotFound),
		control("GETCLASSTABLE", ServicePresence, "I2 §11.1.4", BodyForbidden, "PRIM-A9.2.1-1", ok, "PRIM-A11.1.4-1", StatusResourceNotFound),
		control("STARTWATCHERNOTIFY", ServicePresence, "I2 §11.1.5", BodyForbidden, "PRIM-A9.2.1-1", ok, "PRIM-A11.1.5-2", StatusResourceNotFound),
		control("STOPWATCHERNOTIFY", ServicePresence, "I2 §11.1.6", BodyForbidden, "PRIM-A9.2.1-1", nil, "PRIM-A11.1.6-1", StatusResourceNotFound),
		{Name: "WATCHERNOTIFY", Profile: p, Service: ServicePresence, Class: ClassControl, Directions: s2c, Response: true,
			RequestBody: BodyForbidden, BodyStatement: "PRIM-A9.2.1-1",
			Required:         join(req("PRIM-A11.1.7-1", "", "From", "To", "Watcher-Type")),
			ResponseRequired: fromTo("I2 §11.1.7"),
			Codes:            codes(p, "WATCHERNOTIFY", false), RespBodyStmt: "PRIM-A9.2.1-1"},
		{Name: "SEND", Profile: p, Service: ServiceIM, Class: ClassBase, Directions: all3, Response: true,
			RequestBody: BodyRequired, BodyStatement: "I2 §10.2.1",
			Required: join(fromTo("I2 §10.2.1"), req("PRIM-A9.4.1-1", "D9", "Message-ID"),
				req("I2 §9.4.2", "D44", "Conversation-ID"), req("PRIM-A15-1", "", "Content-Type")),
			RequiredS2S: aStr, Optional: []string{"AStrength", "Reply-To", "Date"},
			ResponseRequired: join(fromTo("I2 §10.2.1"), req("I2 §10.2.1", "D44", "Message-ID", "Conversation-ID")),
			Codes:            codes(p, "SEND", true, StatusUnknownDelivery, StatusInboxClosed),
			RespBodyStmt:     "PRIM-A10.2.1-1"},
		control("LISTEN", ServiceIM, "I2 §11.2.1", BodyForbidden, "PRIM-A9.2.1-1", nil, "PRIM-A11.2.1-2", StatusResourceNotFound),
		control("SILENCE", ServiceIM, "I2 §11.2.2", BodyForbidden, "PRIM-A9.2.1-1", nil, "PRIM-A11.2.2-2", StatusResourceNotFound, StatusInboxClosed),
		control("SETACL", ServiceGeneral, "I2 §11.3.1", BodyRequired, "PRIM-A11.3.1-1", nil, "PRIM-A11.3.1-2", StatusResourceNotFound),
		control("GETACL", ServiceGeneral, "I2 §11.3.2", BodyForbidden, "PRIM-A9.2.1-1", ok, "PRIM-A11.3.2-1", StatusResourceNotFound),
	}
}

// serverMethods is the SS catalogue (§3.9.2 cards, §6.8).
func serverMethods() []*MethodSpec {
	p := ProfileServer
	fromTo := func(sec string) []HeaderRule { return req(sec, "D44", "From", "To") }
	date := func(sec string) []HeaderRule { return req(sec, "D44", "Date") }
	return []*MethodSpec{
		{Name: "LOGIN", Profile: p, Service: ServiceGeneral, Class: ClassBase, Directions: s2s, Response: true,
			RequestBody: BodyOptional, BodyStatement: "PRIM-S7.3.1-7",
			Required: join(req("PRIM-S7.3.1-2", "", "Domain"), req("PRIM-S7.3.1-6", "", "Auth-State"),
				req("PRIM-S9.2-1", "", "SASL-Mech")),
			Optional:         []string{"Content-Type"},
			ResponseRequired: req("PRIM-S9.2-1", "", "SASL-Mech"),
			ResponseOptional: []string{"Domain", "Auth-State", "Content-Type"},
			Codes:            codes(p, "LOGIN", false, StatusAuthContinued, StatusAuthFailed, StatusAlreadyAuthenticated),
			BodyCodes:        []int{StatusAuthContinued, StatusOK}, RespBodyStmt: "PRIM-S7.3.1-7"},
		{Name: "STARTTLS", Profile: p, Service: ServiceGeneral, Class: ClassBase, Directions: s2s, Response: true,
			RequestBody: BodyForbidden, BodyStatement: "PRIM-S7.3.2-4",
			Codes: codes(p, "STARTTLS", false), RespBodyStmt: "PRIM-S7.3.2-4"},
		{Name: "LOGOUT", Profile: p, Service: ServiceGeneral, Class: ClassBase, Directions: s2s,
			RequestBody: BodyForbidden, BodyStatement: "PRIM-S6.2.1-1"},
		{Name: "PING", Profile: p, Service: ServiceGeneral, Class: ClassBase, Directions: s2s,
			RequestBody: BodyForbidden, BodyStatement: "PRIM-S6.2.1-1"},
		{Name: "VERIFYSERVER", Profile: p, Service: ServiceGeneral, Class: ClassBase, Directions: s2s, Response: true,
			RequestBody: BodyForbidden, BodyStatement: "PRIM-S6.2.1-1",
			Required: req("SS §7.3.5", "D44", "Server-Address"), Optional: []string{"Domain"}, // Decision D41
			ResponseOptional: []string{"Server-Address"},
			Codes:            codes(p, "VERIFYSERVER", false, StatusResourceNotFound), RespBodyStmt: "PRIM-S7.3.5-2"},
		{Name: "SUBSCRIBE", Profile: p, Service: ServicePresence, Class: ClassBase, Directions: s2s, Response: true,
			RequestBody: BodyOptional, BodyStatement: "PRIM-S7.1.1-1",
			Required: join(fromTo("SS §7.1.1"), req("SS §7.1.1", "D30", "Duration"),
				req("PRIM-S6.3.2-1", "", "Subscription-ID"), date("SS §6.1.9")),
			Optional: []string{"AStrength", "Content-Type"},
			ResponseRequired: join(fromTo("SS §7.1.1"), req("SS §7.1.1", "D44", "Duration"),
				req("PRIM-S6.3.2-1", "", "Subscription-ID")),
			Codes: codes(p, "SUBSCRIBE", true, StatusDurationAdjusted, StatusResourceNotFound,
				StatusSubscriptionNotFound, StatusTooManySubscriptions),
			RespBodyStmt: "PRIM-S7.1.1-9"},
		{Name: "UNSUBSCRIBE", Profile: p, Service: ServicePresence, Class: ClassBase, Directions: s2s, Response: true,
			RequestBody: BodyForbidden, BodyStatement: "PRIM-S6.2.1-1",
			Required: fromTo("SS §7.1.2"), Optional: []string{"AStrength"},
			ResponseRequired: fromTo("SS §7.1.2"),
			Codes:            codes(p, "UNSUBSCRIBE", true, StatusSubscriptionNotFound), RespBodyStmt: "PRIM-S7.1.2-1"},
		{Name: "NOTIFY", Profile: p, Service: ServicePresence, Class: ClassBase, Directions: s2s, Response: true,
			RequestBody: BodyRequired, BodyStatement: "PRIM-S7.1.3-3",
			Required: join(fromTo("SS §7.1.3"), req("PRIM-S6.3.2-1", "", "Subscription-ID"), date("SS §6.1.9"),
				req("PRIM-S6.2.1-2", "", "Content-Type")),
			Optional:         []string{"AStrength", "Duration"},
			ResponseRequired: fromTo("SS §7.1.3"),
			Codes:            codes(p, "NOTIFY", true, StatusResourceNotFound), RespBodyStmt: "PRIM-S7.1.3-4"},
		{Name: "SEND", Profile: p, Service: ServiceIM, Class: ClassBase, Directions: s2s, Response: true,
			RequestBody: BodyRequired, BodyStatement: "SS §7.2.1",
			Required: join(fromTo("SS §7.2.1"), req("PRIM-S6.4.1-1", "D9", "Message-ID"),
				req("SS §6.4.2", "D44", "Conversation-ID"), date("SS §6.1.9"), req("PRIM-S11-1", "", "Content-Type")),
			Optional:         []string{"AStrength", "Reply-To"},
			ResponseRequired: join(fromTo("SS §7.2.1"), req("SS §7.2.1", "D44", "Message-ID", "Conversation-ID")),
			Codes:            codes(p, "SEND", true, StatusUnknownDelivery, StatusInboxClosed),
			RespBodyStmt:     "PRIM-S7.2.1-1"},
	}
}
