package pidf

import (
	"os"
	"path/filepath"
	"testing"
)

func addSeeds(f *testing.F) {
	for _, pattern := range []string{filepath.Join(examples, "*.xml"), "../../fixtures/fuzz/pidf/*.seed"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
}

// FuzzParsePrim: whatever ParsePrim accepts, FormatPrim writes and ParsePrim reads back with
// the same meaning.
func FuzzParsePrim(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePrim(b)
		if err != nil {
			return
		}
		out, err := FormatPrim(p, 0)
		if err != nil {
			t.Fatalf("accepted document cannot be written back: %v", err)
		}
		back, err := ParsePrim(out)
		if err != nil || !Equal(back, p) {
			t.Fatalf("round trip: %v\n%+v\n%+v\n%s", err, back, p, out)
		}
	})
}

// FuzzParsePIDF: the same for RFC 3863 documents.
func FuzzParsePIDF(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePIDF(b)
		if err != nil {
			return
		}
		out, err := FormatPIDF(p)
		if err != nil {
			return // e.g. a tuple id the writer refuses
		}
		back, err := ParsePIDF(out)
		if err != nil {
			t.Fatalf("written document does not parse: %v\n%s", err, out)
		}
		p.Ignored, back.Ignored = nil, nil
		if !Equal(back, p) {
			t.Fatalf("round trip:\n%+v\n%+v\n%s", back, p, out)
		}
	})
}

// FuzzParseCPIMPIDF: the same for CPIM-PIDF documents.
func FuzzParseCPIMPIDF(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseCPIMPIDF(b)
		if err != nil {
			return
		}
		out, err := FormatCPIMPIDF(p)
		if err != nil {
			t.Fatalf("accepted document cannot be written back: %v", err)
		}
		back, err := ParseCPIMPIDF(out)
		if err != nil || !Equal(back, p) {
			t.Fatalf("round trip: %v\n%+v\n%+v\n%s", err, back, p, out)
		}
	})
}

// FuzzDocuments: the class table, ACL and subscribers parsers never panic, and what they accept
// formats to something they read back identically.
func FuzzDocuments(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if ct, err := ParseClassTable(b); err == nil {
			back, err := ParseClassTable(FormatClassTable(ct))
			if err != nil || len(back.Classes) != len(ct.Classes) {
				t.Fatalf("classtable round trip: %v", err)
			}
			_ = ct.Validate()
		}
		if a, err := ParseACL(b); err == nil {
			back, err := ParseACL(FormatACL(a))
			if err != nil || len(back.Entries) != len(a.Entries) {
				t.Fatalf("acl round trip: %v", err)
			}
			_ = a.Validate(PresentityACL)
		}
		if s, err := ParseSubscribers(b); err == nil {
			back, err := ParseSubscribers(FormatSubscribers(s))
			if err != nil || len(back) != len(s) {
				t.Fatalf("subscribers round trip: %v", err)
			}
		}
		_, _ = ParseDate(string(b))
	})
}
