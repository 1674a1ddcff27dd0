package wire

import (
	"fmt"
	"strings"
)

// ErrorKind classifies a framing error found by the Decoder. An ErrorKind is itself an error,
// so the Err* values below work with errors.Is:
//
//	if errors.Is(err, wire.ErrBodyTooLarge) { ... }
type ErrorKind int

// The kinds of framing error (prim-digest.md §3.2-3.7, Decision D5 for limits on ids).
const (
	KindBadStartLine      ErrorKind = iota + 1 // start line is neither a request line nor a response line
	KindBadVersion                             // version token is not NAME "/" 1*DIGIT "." 1*DIGIT
	KindBadID                                  // request id is not 1*(ALPHA / DIGIT) or "-" (D5), or too long
	KindBadContentLength                       // content-length is not 1*DIGIT
	KindBadStatus                              // response status code is not 3DIGIT
	KindBadHeaderLine                          // header line breaks the CPIM-MSG line rules (§3.7.1)
	KindStartLineTooLong                       // start line longer than Limits.MaxStartLine
	KindHeaderLineTooLong                      // header line longer than Limits.MaxHeaderLine
	KindTooManyHeaders                         // more header lines than Limits.MaxHeaders
	KindBodyTooLarge                           // content-length above Limits.MaxBody
	KindInvalidUTF8                            // start line or header is not valid UTF-8 (§3.1)
)

var kindNames = [...]string{
	KindBadStartLine:      "bad start line",
	KindBadVersion:        "bad version",
	KindBadID:             "bad request id",
	KindBadContentLength:  "bad content-length",
	KindBadStatus:         "bad status code",
	KindBadHeaderLine:     "bad header line",
	KindStartLineTooLong:  "start line too long",
	KindHeaderLineTooLong: "header line too long",
	KindTooManyHeaders:    "too many headers",
	KindBodyTooLarge:      "body too large",
	KindInvalidUTF8:       "invalid UTF-8",
}

// String returns the kind's short name, e.g. "body too large".
func (k ErrorKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// Error makes a kind usable as a sentinel error.
func (k ErrorKind) Error() string { return "prim: " + k.String() }

// Sentinel errors, one per kind, for errors.Is.
var (
	ErrBadStartLine      error = KindBadStartLine
	ErrBadVersion        error = KindBadVersion
	ErrBadID             error = KindBadID
	ErrBadContentLength  error = KindBadContentLength
	ErrBadStatus         error = KindBadStatus
	ErrBadHeaderLine     error = KindBadHeaderLine
	ErrStartLineTooLong  error = KindStartLineTooLong
	ErrHeaderLineTooLong error = KindHeaderLineTooLong
	ErrTooManyHeaders    error = KindTooManyHeaders
	ErrBodyTooLarge      error = KindBodyTooLarge
	ErrInvalidUTF8       error = KindInvalidUTF8
)

// Error is a framing error: the bytes on the wire are not a PRIM command (a protocol error, as
// opposed to a well-formed negative response from the peer).
//
// ID, Version and Method hold whatever of the start line could be parsed, so that a server can
// still answer 400 Bad Request with the right request id and version. A Fatal error poisons the
// Decoder: the stream cannot be resynchronised and every later Next returns the same error. A
// non-fatal error has consumed the whole bad command, and decoding goes on with the next one.
type Error struct {
	Kind      ErrorKind
	Offset    int64  // stream offset of the offending line or field
	Statement string // digest §8 statement broken, e.g. "PRIM-A8.1.1-1"; "" for an implementation limit
	Detail    string
	ID        string
	Version   string
	Method    string
	Fatal     bool
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "prim: offset %d: %s", e.Offset, e.Kind)
	if e.Statement != "" {
		b.WriteString(" (")
		b.WriteString(e.Statement)
		b.WriteString(")")
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Unwrap returns the error's kind, so errors.Is(err, ErrBadHeaderLine) works.
func (e *Error) Unwrap() error { return e.Kind }
