package server

import (
	"fmt"
	"strings"
	"time"

	"github.com/primlab/primlab/reference/engine"
)

// Fact kinds, as Fact.Kind returns them.
const (
	KindLoginOK             = "login-ok"
	KindLoginFailed         = "login-failed"
	KindNotifySent          = "notify-sent"
	KindCancelSent          = "cancel-sent"
	KindWatcherNotifySent   = "watchernotify-sent"
	KindIMDelivered         = "im-delivered"
	KindIMResponse          = "im-response"
	KindSubscriptionPlaced  = "subscription-placed"
	KindSubscriptionExpired = "subscription-expired"
	KindSubscriptionRemoved = "subscription-removed"
	KindLeaseExpired        = "lease-expired"
	KindPeerUp              = "s2s-up"
	KindPeerDown            = "s2s-down"
	KindPeerDialFailed      = "s2s-dial-failed"
	KindRelayTimeout        = "relay-timeout"
	KindProtocolError       = "protocol-error"
	KindConnClosed          = "conn-closed"
)

// LoginOK: a LOGIN succeeded; Principal is local@domain on client links, the peer domain on
// server-server links.
type LoginOK struct {
	Conn      engine.ConnID
	Service   string // "presence", "im" or "s2s"
	Principal string
	Mech      string
}

// LoginFailed: a LOGIN was answered 406 (the connection is then closed).
type LoginFailed struct {
	Conn   engine.ConnID
	Reason string
}

// NotifySent: a NOTIFY carrying a presentity's PI went to a watcher, on a client connection
// (To = conn) or to a peer domain. Tuples lists the Tuple-IDs carried, sorted.
type NotifySent struct {
	To         string // "c3" or "s2s:example.org"
	Watcher    string
	Presentity string
	Tuples     []string
	Duration   int // SS NOTIFY Duration header; -1 when absent
}

// CancelSent: a subscription was revoked towards the watcher (CANCELSUBSCRIPTION on client
// links, NOTIFY Duration 0 on server links; PRIM-A10.1.5-1, PRIM-S7.1.3-6).
type CancelSent struct {
	To         string
	Watcher    string
	Presentity string
}

// WatcherNotifySent: a WATCHERNOTIFY went to a presentity's connection (I2 §11.1.7).
type WatcherNotifySent struct {
	Conn        engine.ConnID
	Watcher     string
	Presentity  string
	WatcherType string
}

// IMDelivered: a SEND was written to one listening connection (or relayed to a peer).
type IMDelivered struct {
	To        string
	From      string
	Inbox     string
	MessageID string
}

// IMResponse: the final response to a SEND went back to its sender (exactly one per SEND).
type IMResponse struct {
	Conn      engine.ConnID
	From      string
	Inbox     string
	MessageID string
	Code      int
}

// SubscriptionPlaced: a subscription was placed or renewed at this presence server.
type SubscriptionPlaced struct {
	Watcher    string
	Presentity string
	SubID      string // SS Subscription-ID, "" for I2 subscriptions
	Duration   time.Duration
	Renewed    bool
}

// SubscriptionExpired: a subscription's duration elapsed (PRIM-A10.1.2-2, PRIM-S7.1.2-2).
type SubscriptionExpired struct {
	Watcher, Presentity, SubID string
}

// SubscriptionRemoved: a subscription ended otherwise; Reason is "unsubscribe", "acl",
// "duration-0", "notify-403" or "connection".
type SubscriptionRemoved struct {
	Watcher, Presentity, SubID, Reason string
}

// LeaseExpired: a leased tuple value expired; Reverted tells whether a permanent value became
// visible (PRIM-A5.4-2).
type LeaseExpired struct {
	Presentity, Class, TupleID string
	Reverted                   bool
}

// PeerUp / PeerDown: a server-server connection became usable or went away.
type PeerUp struct {
	Conn     engine.ConnID
	Domain   string
	Outbound bool
}

// PeerDown: see PeerUp.
type PeerDown struct {
	Conn   engine.ConnID
	Domain string
	Reason string
}

// PeerDialFailed: dialling one address of a peer domain failed and the next address is tried
// (§6.2); when the last address fails, PeerDown follows instead.
type PeerDialFailed struct {
	Domain, Addr, Reason, Next string
}

// RelayTimeout: a relayed request got no answer in time (Decision D35); Code is what the
// originator was told.
type RelayTimeout struct {
	Method, To string
	Code       int
}

// ProtocolError: the server answered a request with 400/501/503 or met bytes it could not
// decode; Detail quotes the problem.
type ProtocolError struct {
	Conn   engine.ConnID
	Code   int
	Detail string
}

// ConnClosed: a connection ended and its state was cleaned up (Decision D31).
type ConnClosed struct {
	Conn   engine.ConnID
	Reason string
}

func (LoginOK) Kind() string             { return KindLoginOK }
func (LoginFailed) Kind() string         { return KindLoginFailed }
func (NotifySent) Kind() string          { return KindNotifySent }
func (CancelSent) Kind() string          { return KindCancelSent }
func (WatcherNotifySent) Kind() string   { return KindWatcherNotifySent }
func (IMDelivered) Kind() string         { return KindIMDelivered }
func (IMResponse) Kind() string          { return KindIMResponse }
func (SubscriptionPlaced) Kind() string  { return KindSubscriptionPlaced }
func (SubscriptionExpired) Kind() string { return KindSubscriptionExpired }
func (SubscriptionRemoved) Kind() string { return KindSubscriptionRemoved }
func (LeaseExpired) Kind() string        { return KindLeaseExpired }
func (PeerUp) Kind() string              { return KindPeerUp }
func (PeerDown) Kind() string            { return KindPeerDown }
func (PeerDialFailed) Kind() string      { return KindPeerDialFailed }
func (RelayTimeout) Kind() string        { return KindRelayTimeout }
func (ProtocolError) Kind() string       { return KindProtocolError }
func (ConnClosed) Kind() string          { return KindConnClosed }

func (f LoginOK) String() string {
	return fmt.Sprintf("login-ok conn=%s service=%s principal=%s mech=%s", f.Conn, f.Service, f.Principal, f.Mech)
}
func (f LoginFailed) String() string {
	return fmt.Sprintf("login-failed conn=%s reason=%q", f.Conn, f.Reason)
}
func (f NotifySent) String() string {
	s := fmt.Sprintf("notify-sent to=%s watcher=%s presentity=%s tuples=[%s]", f.To, f.Watcher, f.Presentity, strings.Join(f.Tuples, " "))
	if f.Duration >= 0 {
		s += fmt.Sprintf(" duration=%d", f.Duration)
	}
	return s
}
func (f CancelSent) String() string {
	return fmt.Sprintf("cancel-sent to=%s watcher=%s presentity=%s", f.To, f.Watcher, f.Presentity)
}
func (f WatcherNotifySent) String() string {
	return fmt.Sprintf("watchernotify-sent conn=%s watcher=%s presentity=%s type=%s", f.Conn, f.Watcher, f.Presentity, f.WatcherType)
}
func (f IMDelivered) String() string {
	return fmt.Sprintf("im-delivered to=%s from=%s inbox=%s message-id=%q", f.To, f.From, f.Inbox, f.MessageID)
}
func (f IMResponse) String() string {
	return fmt.Sprintf("im-response conn=%s from=%s inbox=%s message-id=%q code=%d", f.Conn, f.From, f.Inbox, f.MessageID, f.Code)
}
func (f SubscriptionPlaced) String() string {
	return fmt.Sprintf("subscription-placed watcher=%s presentity=%s subid=%q duration=%ds renewed=%t", f.Watcher, f.Presentity, f.SubID, int(f.Duration/time.Second), f.Renewed)
}
func (f SubscriptionExpired) String() string {
	return fmt.Sprintf("subscription-expired watcher=%s presentity=%s subid=%q", f.Watcher, f.Presentity, f.SubID)
}
func (f SubscriptionRemoved) String() string {
	return fmt.Sprintf("subscription-removed watcher=%s presentity=%s subid=%q reason=%s", f.Watcher, f.Presentity, f.SubID, f.Reason)
}
func (f LeaseExpired) String() string {
	return fmt.Sprintf("lease-expired presentity=%s class=%q tuple=%q reverted=%t", f.Presentity, f.Class, f.TupleID, f.Reverted)
}
func (f PeerUp) String() string {
	return fmt.Sprintf("s2s-up conn=%s domain=%s outbound=%t", f.Conn, f.Domain, f.Outbound)
}
func (f PeerDown) String() string {
	conn := "-"
	if f.Conn != 0 {
		conn = f.Conn.String()
	}
	return fmt.Sprintf("s2s-down conn=%s domain=%s reason=%q", conn, f.Domain, f.Reason)
}
func (f PeerDialFailed) String() string {
	return fmt.Sprintf("s2s-dial-failed domain=%s addr=%s reason=%q next=%s", f.Domain, f.Addr, f.Reason, f.Next)
}
func (f RelayTimeout) String() string {
	return fmt.Sprintf("relay-timeout method=%s to=%s code=%d", f.Method, f.To, f.Code)
}
func (f ProtocolError) String() string {
	return fmt.Sprintf("protocol-error conn=%s code=%d detail=%q", f.Conn, f.Code, f.Detail)
}
func (f ConnClosed) String() string {
	return fmt.Sprintf("conn-closed conn=%s reason=%q", f.Conn, f.Reason)
}
