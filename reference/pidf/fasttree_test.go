package pidf

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// The fast path must be invisible: whatever fastTree accepts, encoding/xml accepts too and
// reads into the same tree; whatever it declines still gets the full parser's answer.

func treeString(n *node) string {
	var b strings.Builder
	var walk func(n *node)
	walk = func(n *node) {
		fmt.Fprintf(&b, "<{%s}%s", n.name.Space, n.name.Local)
		for _, a := range n.attr {
			fmt.Fprintf(&b, " {%s}%s=%q", a.Name.Space, a.Name.Local, a.Value)
		}
		fmt.Fprintf(&b, ">%q", n.text.String())
		for _, k := range n.kids {
			walk(k)
		}
		b.WriteString("</>")
	}
	walk(n)
	return b.String()
}

// checkFastTree fails when fastTree accepts b but the full parser rejects it or reads it
// differently; it reports whether the fast path was taken.
func checkFastTree(t interface{ Fatalf(string, ...any) }, b []byte) bool {
	fast, ok := fastTree(b, DefaultLimits)
	if !ok {
		return false
	}
	resolveNames(fast, nil)
	slow, err := slowTree(b, "test", DefaultLimits)
	if err != nil {
		t.Fatalf("fast path accepted what encoding/xml rejects (%v):\n%q", err, b)
	}
	if f, s := treeString(fast), treeString(slow); f != s {
		t.Fatalf("trees differ for %q:\nfast %s\nslow %s", b, f, s)
	}
	return true
}

func seedDocuments(t *testing.T) [][]byte {
	var docs [][]byte
	for _, pattern := range []string{filepath.Join(examples, "*.xml"), "../../fixtures/fuzz/pidf/*.seed"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, b)
		}
	}
	p := Presence{Entity: "pres:alice@example.com", Note: `a <note> & "quotes" 'too' é☃`,
		Tuples: []Tuple{{ID: "t1", Status: Open, Contact: "im:alice@example.com", Note: "tab\there\nline", Priority: Pref(3)}}}
	if b, err := FormatPrim(p, 0); err == nil {
		docs = append(docs, b)
	}
	if b, err := FormatCPIMPIDF(p); err == nil {
		docs = append(docs, b)
	}
	if b, err := FormatPIDF(p); err == nil {
		docs = append(docs, b)
	}
	if len(docs) < 5 {
		t.Fatalf("only %d seed documents", len(docs))
	}
	return docs
}

// The documents the engines write and the examples take the fast path, with the same tree.
func TestFastTreeTakesEngineDocuments(t *testing.T) {
	docs := seedDocuments(t)
	fast := 0
	for _, b := range docs {
		if checkFastTree(t, b) {
			fast++
		}
	}
	// The three formatted documents at least must not need encoding/xml.
	if fast < 3 {
		t.Fatalf("fast path taken for %d of %d documents, want the formatted ones at least", fast, len(docs))
	}
}

func TestFastTreeDeclinesUnusualDocuments(t *testing.T) {
	for _, doc := range []string{
		`<!-- c --><a/>`,
		`<a><![CDATA[x]]></a>`,
		`<!DOCTYPE a><a/>`,
		`<?xml version="1.1"?><a/>`,
		"<a>x\r\ny</a>",
		`<a>&nbsp;</a>`,
		`<a>&#233;</a>`,
		`<a b=c/>`,
		`<a><b></a></b>`,
		`<a/><b/>`,
		`text<a/>`,
		`<a>]]></a>`,
		"<a>\xff</a>",
		`<a:b:c/>`,
		`<é/>`,
	} {
		if _, ok := fastTree([]byte(doc), DefaultLimits); ok {
			t.Errorf("fastTree accepted %q, want it left to encoding/xml", doc)
		}
	}
	// Errors keep the full parser's wording.
	_, err := parseTree([]byte(`<a><b></a></b>`), "test")
	if err == nil || !strings.Contains(err.Error(), "<b> closed by </a>") && !strings.Contains(err.Error(), "not well-formed") {
		t.Fatalf("mismatched tags: %v", err)
	}
}

// Random edits of the seed documents: wherever the fast path accepts, it agrees.
func TestFastTreeAgreesUnderMutation(t *testing.T) {
	docs := seedDocuments(t)
	alphabet := []string{"<", ">", "&", ";", "#", "x", "#x4", "&amp;", "&#65;", "&lt;", "\r", "\n", "\t", " ", "]", "]]>",
		`"`, "'", "=", "/", "?", "!", ":", "é", "\xff", "a", "-", ".", "0", "</a>", "<a>", "<b/>", "xmlns:p=\"u\" ", "p:"}
	rapid.Check(t, func(rt *rapid.T) {
		b := []byte(rapid.SampledFrom(docs).Draw(rt, "doc"))
		for k := rapid.IntRange(1, 4).Draw(rt, "edits"); k > 0; k-- {
			pos := rapid.IntRange(0, len(b)).Draw(rt, "pos")
			switch rapid.IntRange(0, 2).Draw(rt, "op") {
			case 0: // insert
				s := rapid.SampledFrom(alphabet).Draw(rt, "ins")
				b = append(b[:pos:pos], append([]byte(s), b[pos:]...)...)
			case 1: // delete
				if pos < len(b) {
					n := rapid.IntRange(1, min(8, len(b)-pos)).Draw(rt, "del")
					b = append(b[:pos:pos], b[pos+n:]...)
				}
			case 2: // replace one byte
				if pos < len(b) {
					s := rapid.SampledFrom(alphabet).Draw(rt, "rep")
					b = append(b[:pos:pos], append([]byte(s), b[pos+1:]...)...)
				}
			}
		}
		checkFastTree(rt, b)
	})
}

// FuzzFastTree: go test -fuzz FuzzFastTree ./reference/pidf
func FuzzFastTree(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { checkFastTree(t, b) })
}
