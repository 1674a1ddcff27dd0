package sim

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// A recording is what a bridge exchanged with an external implementation, in order, so that
// the run can be replayed without it (World.AddReplay). It is a text file:
//
//	primlab-bridge-recording 1
//	# any comment line
//	<virtual-ns> <kind> <conn> [<argument>]
//
// virtual-ns is the virtual time in nanoseconds since the start of the run; conn numbers the
// bridged connections from 1 in the order the bridge opened them. Kinds, "in" meaning from
// the external implementation into the world:
//
//	accept  N L        in:  an external client connected to the bridge's listener L (0-based)
//	connect N P        out: a simulated host connected to bridge port P; the bridge dials out
//	dialed  N          in:  the outgoing real connection N is up
//	refused N "err"    in:  the outgoing real dial failed
//	in      N "bytes"  in:  bytes the external implementation sent on N
//	out     N "bytes"  out: bytes the world sent to the external implementation on N
//	eof     N          in:  the external side closed N in order
//	error   N "err"    in:  N failed (reset, read error)
//	close   N          out: the world closed N
//
// Quoted arguments use Go string syntax (strconv.Quote), so every byte survives. Replay
// injects the "in" lines at their times and checks the "out" lines against what the world
// sends; Bridge.Divergence reports the first difference.

const recordingMagic = "primlab-bridge-recording 1"

// RecordKind names one line of a recording.
type RecordKind string

// The kinds of recorded events.
const (
	RecAccept  RecordKind = "accept"
	RecConnect RecordKind = "connect"
	RecDialed  RecordKind = "dialed"
	RecRefused RecordKind = "refused"
	RecIn      RecordKind = "in"
	RecOut     RecordKind = "out"
	RecEOF     RecordKind = "eof"
	RecError   RecordKind = "error"
	RecClose   RecordKind = "close"
)

// RecordedEvent is one line of a recording.
type RecordedEvent struct {
	At   time.Duration
	Kind RecordKind
	Conn int
	Arg  int    // listener index (accept) or port (connect)
	Data []byte // bytes (in, out) or error text (refused, error)
}

// Inbound reports whether the event came from the external implementation.
func (e RecordedEvent) Inbound() bool {
	switch e.Kind {
	case RecAccept, RecDialed, RecRefused, RecIn, RecEOF, RecError:
		return true
	}
	return false
}

func (e RecordedEvent) appendTo(b []byte) []byte {
	b = strconv.AppendInt(b, int64(e.At), 10)
	b = append(b, ' ')
	b = append(b, e.Kind...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(e.Conn), 10)
	switch e.Kind {
	case RecAccept, RecConnect:
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(e.Arg), 10)
	case RecIn, RecOut, RecRefused, RecError:
		b = append(b, ' ')
		b = strconv.AppendQuote(b, string(e.Data))
	}
	return append(b, '\n')
}

// ParseRecording reads a recording.
func ParseRecording(r io.Reader) ([]RecordedEvent, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var out []RecordedEvent
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			if text != recordingMagic {
				return nil, fmt.Errorf("sim: recording: first line %q, want %q", text, recordingMagic)
			}
			continue
		}
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		ev, err := parseRecordLine(text)
		if err != nil {
			return nil, fmt.Errorf("sim: recording line %d: %w", line, err)
		}
		out = append(out, ev)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sim: reading recording: %w", err)
	}
	if line == 0 {
		return nil, fmt.Errorf("sim: recording: empty, want %q first", recordingMagic)
	}
	return out, nil
}

func parseRecordLine(text string) (RecordedEvent, error) {
	var ev RecordedEvent
	f := strings.SplitN(text, " ", 4)
	if len(f) < 3 {
		return ev, fmt.Errorf("want <ns> <kind> <conn> [arg], got %q", text)
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || ns < 0 {
		return ev, fmt.Errorf("bad time %q", f[0])
	}
	ev.At = time.Duration(ns)
	ev.Kind = RecordKind(f[1])
	n, err := strconv.Atoi(f[2])
	if err != nil || n <= 0 {
		return ev, fmt.Errorf("bad connection number %q", f[2])
	}
	ev.Conn = n
	arg := ""
	if len(f) == 4 {
		arg = f[3]
	}
	switch ev.Kind {
	case RecAccept, RecConnect:
		v, err := strconv.Atoi(arg)
		if err != nil || v < 0 {
			return ev, fmt.Errorf("%s: bad argument %q", ev.Kind, arg)
		}
		ev.Arg = v
	case RecIn, RecOut, RecRefused, RecError:
		s, err := strconv.Unquote(arg)
		if err != nil {
			return ev, fmt.Errorf("%s: argument %q is not a quoted string: %w", ev.Kind, arg, err)
		}
		ev.Data = []byte(s)
	case RecDialed, RecEOF, RecClose:
		if arg != "" {
			return ev, fmt.Errorf("%s takes no argument, got %q", ev.Kind, arg)
		}
	default:
		return ev, fmt.Errorf("unknown kind %q", f[1])
	}
	return ev, nil
}
