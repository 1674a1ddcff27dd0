// Package engine is the vocabulary shared by every primlab engine and the two shells that run
// them (reference/netrun over real sockets and the wall clock, sim over virtual streams and a
// virtual clock). See DESIGN.md "The one idea: pure engines, two shells".
//
// An Engine is a deterministic state machine. It never reads the clock, never spawns goroutines
// and never touches a socket: the shell hands it one Event at a time, together with the current
// time, and carries out the Actions it returns, in order. Randomness comes only from the
// *rand.Rand the shell handed to the engine's constructor. Given the same events at the same
// times, an engine returns the same actions: that is what makes a simulated run reproducible
// from its seed.
package engine

import (
	"fmt"
	"time"
)

// ConnID names one connection inside one engine. The shell allocates it: for connections the
// engine asked for (Dial) and for connections a listener accepted. IDs are never reused within
// the life of an engine instance.
type ConnID uint64

func (c ConnID) String() string { return fmt.Sprintf("c%d", uint64(c)) }

// TimerID names a timer the engine set. The engine chooses the IDs; setting a timer with an ID
// that is already pending moves that timer.
type TimerID uint64

// Engine is a protocol role run by a shell.
type Engine interface {
	// Handle consumes one event that happened at now and returns what the shell must do.
	// The returned slice is owned by the shell once returned.
	Handle(now time.Time, ev Event) []Action
}

// Event is something that happened to an engine: exactly one of the types below.
type Event interface{ isEvent() }

// Opened reports a connection that is ready for bytes: either accepted by the listener named
// Listener (Tag empty), or the result of the engine's Dial with the same Tag (Listener empty).
type Opened struct {
	Conn     ConnID
	Listener string // name of the accepting listener ("client", "s2s", ...); "" for dialled
	Tag      string // the Dial tag for outbound connections; "" for accepted ones
	Local    string // local address, host:port
	Remote   string // remote address, host:port
}

// DialFailed reports that a Dial with this Tag could not connect (refused, timed out,
// unresolvable).
type DialFailed struct {
	Tag string
	Err error
}

// Bytes carries data received on a connection, in order. The engine must not keep Data after
// Handle returns (copy what it needs).
type Bytes struct {
	Conn ConnID
	Data []byte
}

// Closed reports that a connection ended: Err is nil for an orderly close by the peer (FIN)
// and non-nil for a reset, timeout or a close the engine asked for itself.
type Closed struct {
	Conn ConnID
	Err  error
}

// Secured reports the outcome of a StartTLS action: Err nil means every later byte on Conn
// travels inside TLS. PeerCN is the peer certificate's subject common name, if the peer showed
// one (it feeds SASL EXTERNAL).
type Secured struct {
	Conn   ConnID
	Err    error
	PeerCN string
}

// Timer reports that the timer ID fired (it was set and not moved or cancelled since).
type Timer struct {
	ID TimerID
}

// Call is an API operation on the engine, e.g. a user-agent command from a test or a terminal.
// Op is defined by the engine's package; results come back as Observe facts.
type Call struct {
	Op any
}

func (Opened) isEvent()     {}
func (DialFailed) isEvent() {}
func (Bytes) isEvent()      {}
func (Closed) isEvent()     {}
func (Secured) isEvent()    {}
func (Timer) isEvent()      {}
func (Call) isEvent()       {}

// Action is something an engine asks its shell to do: exactly one of the types below.
type Action interface{ isAction() }

// Write sends Data on Conn. The shell owns Data once the action is returned.
type Write struct {
	Conn ConnID
	Data []byte
}

// Dial asks for an outbound connection to Addr (host:port). The shell answers later with
// Opened{Tag: Tag} or DialFailed{Tag: Tag}.
type Dial struct {
	Tag  string
	Addr string
}

// Close ends a connection once everything written so far has been sent (FIN); Abort resets it
// at once (RST) and drops what is unsent. The shell then reports Closed for it.
type Close struct {
	Conn  ConnID
	Abort bool
}

// StartTLS upgrades Conn to TLS once the bytes already written are sent. Client says which
// side of the handshake this engine plays. The shell answers with Secured.
type StartTLS struct {
	Conn   ConnID
	Client bool
}

// SetTimer asks for a Timer event at At (or at once if At is not after now). Setting a pending
// ID again moves it.
type SetTimer struct {
	ID TimerID
	At time.Time
}

// CancelTimer cancels a pending timer; cancelling an unknown ID is not an error.
type CancelTimer struct {
	ID TimerID
}

// Observe reports a fact for checkers, metrics and people (a NOTIFY delivered, an IM accepted,
// the result of a Call). It has no effect on the world.
type Observe struct {
	Fact Fact
}

func (Write) isAction()       {}
func (Dial) isAction()        {}
func (Close) isAction()       {}
func (StartTLS) isAction()    {}
func (SetTimer) isAction()    {}
func (CancelTimer) isAction() {}
func (Observe) isAction()     {}

// Fact is an observation an engine reports. Kind is a short stable name ("notify",
// "im-received", "result", ...); String renders the whole fact on one deterministic line,
// which is what traces and golden files show.
type Fact interface {
	Kind() string
	String() string
}
