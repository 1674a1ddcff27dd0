package client

// The operations a user (a terminal, a test, the driver protocol) asks of the client. Each is
// handed to Client.Handle inside engine.Call{Op: ...}, optionally wrapped in Tagged so that
// the Result fact carries the caller's tag. Every operation ends in exactly one Result fact.

// Service names one of the two PRIM client services (I2 §4, prim-digest.md §2.3).
type Service string

const (
	Presence Service = "pres" // PRIM-PR/1.0, pres: identifiers
	IM       Service = "im"   // PRIM-IM/1.0, im: identifiers
)

// Tagged wraps an operation with a caller-chosen tag that the Result fact repeats (the driver
// protocol uses the command's id).
type Tagged struct {
	Tag string
	Op  any
}

// Connect opens the client's connection(s) to the home server at Addr (host:port; empty means
// Config.Server). With Config.StartTLS each connection is upgraded before it counts as
// connected. Login connects by itself when needed.
type Connect struct{ Addr string }

// Login authenticates both services with SASL (I2 §10.3.1, §12.1): LOGIN Auth-State init with
// the mechanism list, then after 100 a LOGIN Auth-State continue with the selected mechanism's
// data (Decision D10: always two steps). ID is the principal, with or without scheme
// (PRIM-A7.1-6); Mech is a space-separated preference list of PLAIN, CRAM-MD5, ANONYMOUS and
// EXTERNAL (empty: Config.Mechs).
type Login struct {
	ID       string
	Password string
	Mech     string
}

// Publish sets one presence tuple (I2 §11.1.1). Without Body the client writes an
// application/presence document from Status, Detail, Note, Contact, DisplayName and
// Preference. PIType is leased, renew, revert or permanent (empty: permanent); Duration (s)
// is sent only for leased and renew (PRIM-A11.1.1-8). Class is omitted when empty (default
// class, Decision D14).
type Publish struct {
	TupleID     string
	PIType      string
	Duration    int
	Class       []string
	Status      string
	Detail      string
	Note        string
	Contact     string
	DisplayName string
	Preference  string
	Body        []byte // raw tuple document; overrides the fields above
	ContentType string // for Body; default application/presence
}

// Remove deletes one tuple in the given class(es) or the default class (I2 §11.1.2).
type Remove struct {
	TupleID string
	Class   []string
}

// SetClassTable replaces the presentity's Class Table (I2 §11.1.3); Body, if set, is sent as is.
type SetClassTable struct {
	Classes []Class
	Body    []byte
}

// GetClassTable reads the presentity's Class Table (I2 §11.1.4).
type GetClassTable struct{}

// SetACL replaces the ACL of the principal's presentity (Service Presence, the default) or
// inbox (Service IM) (I2 §11.3.1); Body, if set, is sent as is.
type SetACL struct {
	Service Service
	Entries []ACLEntry
	Body    []byte
}

// GetACL reads the ACL of the presentity or the inbox (I2 §11.3.2).
type GetACL struct{ Service Service }

// Subscribe places or renews a subscription to the presentity To for Duration seconds
// (I2 §10.1.1). The result carries the presence in the 200/201 body (Decision D25) and the
// granted Duration.
type Subscribe struct {
	To       string
	Duration int
}

// Unsubscribe removes the subscription to To (I2 §10.1.2).
type Unsubscribe struct{ To string }

// Fetch reads To's presence once (I2 §10.1.3).
type Fetch struct{ To string }

// StartWatcherNotify asks for watcher information (I2 §11.1.5); the result lists the current
// subscribers and Watcher facts follow.
type StartWatcherNotify struct{}

// StopWatcherNotify ends watcher information (I2 §11.1.6).
type StopWatcherNotify struct{}

// Listen starts receiving instant messages on this connection (I2 §11.2.1, PRIM-A11.2.1-1).
type Listen struct{}

// Silence stops receiving instant messages on this connection (I2 §11.2.2).
type Silence struct{}

// Send sends one instant message to the inbox To (I2 §10.2). ContentType defaults to
// text/plain; charset=UTF-8 and is always sent (PRIM-A15-1, Decision D18). MessageID is minted
// when empty (PRIM-A9.4.1-1); ConversationID is minted when empty (a new conversation); a reply
// passes the conversation's id (PRIM-A9.4.2-1).
type Send struct {
	To             string
	Body           []byte
	ContentType    string
	ConversationID string
	MessageID      string
	ReplyTo        string
}

// Logout sends LOGOUT on every open connection and closes it (I2 §10.3.3, Decision D31:
// the sender of LOGOUT closes). LOGOUT has no response; the Result has code 0.
type Logout struct{}

// Ping sends PING on the connection of Service (default Presence). PING has no response; the
// Result has code 0.
type Ping struct{ Service Service }
