package client

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/primlab/primlab/reference/engine"
)

// The client does the same whatever way the server's byte stream is cut into reads: the same
// writes and the same facts, in the same order (prim-digest.md §3.6: framing by content length,
// not by packet).
func TestSameBehaviourHoweverTheStreamIsCut(t *testing.T) {
	doc := `<presence identifier="pres:bob@example.org" date="Mon, 26 Feb 2001 09:52:08 +0900"><contact address="im:bob@example.org"><display-name>IM</display-name><status value="open"/></contact></presence>`
	stream := crlf(fmt.Sprintf("PRIM-PR/1.0 6 0 200 OK\n\n"+
		"\n"+ // an empty line before a start line is skipped
		"NOTIFY PRIM-PR/1.0 n1 %d\nFrom: pres:bob@example.org\nTo: pres:alice@example.net\nContent-Type: application/presence\nTuple-ID: pc\n\n%s"+
		"PING PRIM-PR/1.0 - 0\n\n"+
		"PRIM-PR/1.0 5 %d 200 OK\nContent-Type: application/presence\nTuple-ID: pc\n\n%s"+
		"WATCHERNOTIFY PRIM-PR/1.0 w1 0\nFrom: pres:carol@example.org\nTo: pres:alice@example.net\nWatcher-Type: fetch\n\n",
		len(doc), doc, len(doc), doc))

	run := func(cuts []int) string {
		r := loggedIn(t, Config{})
		var b strings.Builder
		b.WriteString(render(r.c.Handle(t0, engine.Call{Op: Fetch{To: "bob@example.org"}})))
		b.WriteString(render(r.c.Handle(t0, engine.Call{Op: GetClassTable{}})))
		prev := 0
		for _, cut := range append(cuts, len(stream)) {
			if cut <= prev {
				continue
			}
			b.WriteString(render(r.c.Handle(t0, engine.Bytes{Conn: 1, Data: stream[prev:cut]})))
			prev = cut
		}
		return b.String()
	}
	want := run(nil)
	if !strings.Contains(want, "fact notify ") || !strings.Contains(want, "fact result op=fetch") || !strings.Contains(want, "fact watcher ") {
		t.Fatalf("whole-stream run is incomplete:\n%s", want)
	}
	rapid.Check(t, func(rt *rapid.T) {
		cuts := rapid.SliceOfN(rapid.IntRange(1, len(stream)-1), 0, 12).Draw(rt, "cuts")
		sort.Ints(cuts)
		if got := run(cuts); got != want {
			rt.Fatalf("cut at %v:\n--- got ---\n%s--- want ---\n%s", cuts, got, want)
		}
	})
}
