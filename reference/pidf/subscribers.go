package pidf

import (
	"fmt"
	"strings"
)

// ParseSubscribers parses the watcher-information document of STARTWATCHERNOTIFY's 200
// (prim-digest.md §4.11, PRIM-A11.1.5-2): <subscribers> with one <subscriber> per current
// subscriber identifier. I0/I1's upper-case root is accepted.
func ParseSubscribers(b []byte) ([]string, error) {
	root, err := parseTree(b, "subscribers")
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(root.name.Local, "subscribers") {
		return nil, fmt.Errorf("%w: subscribers: root is <%s>, want <subscribers>", ErrSyntax, root.name.Local)
	}
	var out []string
	for _, k := range root.kids {
		if strings.EqualFold(k.name.Local, "subscriber") {
			out = append(out, strings.TrimSpace(k.Text()))
		}
	}
	return out, nil
}

// FormatSubscribers renders the subscribers document, in the order given (callers sort it for
// deterministic output).
func FormatSubscribers(ids []string) []byte {
	var w xmlWriter
	w.open("subscribers")
	for _, id := range ids {
		w.elem("subscriber", id)
	}
	w.close("subscribers")
	return w.b.Bytes()
}
