package addr

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// FuzzParse checks, for any input Parse accepts, that String gives the input back (scheme
// lower-cased, Decision D38) and that Key is a fixed point: the canonical form parses and has
// itself as key. Seeds: fixtures/fuzz/addr/seeds.txt, one per line.
func FuzzParse(f *testing.F) {
	if fh, err := os.Open("../../fixtures/fuzz/addr/seeds.txt"); err == nil {
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			f.Add(sc.Text())
		}
		fh.Close()
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := Parse(s)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("Parse(%q) error %T is not *SyntaxError", s, err)
			}
			return
		}
		colon := strings.IndexByte(s, ':')
		if want := strings.ToLower(s[:colon]) + s[colon:]; id.String() != want {
			t.Fatalf("String(Parse(%q)) = %q", s, id.String())
		}
		k := id.Key()
		again, err := Parse(k)
		if err != nil {
			t.Fatalf("Key %q of %q does not parse: %v", k, s, err)
		}
		if again.Key() != k || !again.Equal(id) {
			t.Fatalf("Key not a fixed point: %q -> %q", k, again.Key())
		}
	})
}
