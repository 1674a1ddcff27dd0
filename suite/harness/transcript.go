package harness

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Direction of a transcript entry.
const (
	DirOut  = "->" // suite to target
	DirIn   = "<-" // target to suite
	DirNote = "**" // something the harness noted (connect, close, a step, an outcome seen)
)

// Entry is one piece of a transcript: bytes one way on one connection, or a note.
type Entry struct {
	At   time.Duration
	Peer string
	Dir  string
	Data []byte
}

// Transcript is every byte a case exchanged with its target, in order.
type Transcript struct {
	Entries []Entry
}

func (t *Transcript) add(at time.Duration, peer, dir string, data []byte) {
	t.Entries = append(t.Entries, Entry{At: at, Peer: peer, Dir: dir, Data: append([]byte(nil), data...)})
}

// String renders the transcript one line per line of data: time, peer, direction and the
// line with control characters escaped (CRLF shown as \r\n at the end of the line).
func (t *Transcript) String() string {
	var b strings.Builder
	for _, e := range t.Entries {
		prefix := fmt.Sprintf("%10.6fs %-8s %s ", e.At.Seconds(), e.Peer, e.Dir)
		if e.Dir == DirNote {
			b.WriteString(prefix)
			b.Write(e.Data)
			b.WriteByte('\n')
			continue
		}
		rest := e.Data
		for len(rest) > 0 {
			i := strings.IndexByte(string(rest), '\n')
			line := rest
			if i >= 0 {
				line, rest = rest[:i+1], rest[i+1:]
			} else {
				rest = nil
			}
			q := strconv.Quote(string(line))
			b.WriteString(prefix)
			b.WriteString(q[1 : len(q)-1])
			b.WriteByte('\n')
		}
	}
	return b.String()
}
