package cpim

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: any object Parse accepts formats back to exactly its input when it uses the
// canonical "Name: value" MIME header form, and always to something that parses to the same
// message. Seeds: the example vectors and fixtures/fuzz/cpim/*.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{examples, "../../fixtures/fuzz/cpim"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err == nil {
				f.Add(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")))
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := Parse(in)
		if err != nil {
			return
		}
		out := m.Format()
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Format output does not parse: %v\n%q", err, out)
		}
		if !bytes.Equal(again.Format(), out) {
			t.Fatalf("Format not idempotent:\n%q\n%q", out, again.Format())
		}
		// Message headers are kept octet for octet (RFC 3862 §3.1).
		if len(again.Headers) != len(m.Headers) {
			t.Fatalf("header count changed")
		}
		for i := range m.Headers {
			if m.Headers[i].String() != again.Headers[i].String() {
				t.Fatalf("header %d changed: %q -> %q", i, m.Headers[i], again.Headers[i])
			}
		}
		_, _ = m.Resolve()
		_ = m.CheckRequire(nil)
		_, _ = m.From()
		_ = m.Subjects()
	})
}
