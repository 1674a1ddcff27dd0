package reports

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden files in testdata/golden")

func TestGolden(t *testing.T) {
	r := sampleResults(t)
	for _, f := range outputFiles {
		t.Run(f.name, func(t *testing.T) {
			got, err := Render(r, f.format)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := Render(sampleResults(t), f.format)
			if !bytes.Equal(got, again) {
				t.Fatal("two renders of the same results differ")
			}
			path := filepath.Join("testdata", "golden", f.name)
			if *rewrite {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -rewrite to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file; if the change is intended run: go test ./reports -run TestGolden -rewrite\n%s", f.name, firstDiff(got, want))
			}
		})
	}
	if _, err := Render(r, "pdf"); err == nil {
		t.Error("unknown format accepted")
	}
}

func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + al[i] + "\nwant: " + bl[i]
		}
	}
	return "lengths differ: " + strconv.Itoa(len(al)) + " vs " + strconv.Itoa(len(bl)) + " lines"
}

// The JUnit file parses and its counts match the sample: a failure per fail and unexpected pass,
// an error per harness error, and skips for not-applicable and expected failures.
func TestJUnitStructure(t *testing.T) {
	data, err := RenderJUnit(sampleResults(t))
	if err != nil {
		t.Fatal(err)
	}
	var top junitSuites
	if err := xml.Unmarshal(data, &top); err != nil {
		t.Fatalf("JUnit does not parse: %v", err)
	}
	if top.Tests != 9 || top.Failures != 3 || top.Errors != 1 || top.Skipped != 2 {
		t.Errorf("totals tests=%d failures=%d errors=%d skipped=%d, want 9 3 1 2", top.Tests, top.Failures, top.Errors, top.Skipped)
	}
	var names []string
	for _, s := range top.Suites {
		names = append(names, s.Name)
	}
	want := "prim/client/10.1.5 prim/client/10.3.1 prim/server/4.3 prim/server/9.2.1 prim/server/10.1.1 prim/server/10.2.1 prim/server/10.3.1"
	if strings.Join(names, " ") != want {
		t.Errorf("suites = %q\nwant %q", names, want)
	}
	var found bool
	for _, s := range top.Suites {
		for _, c := range s.Cases {
			if strings.HasPrefix(c.Name, "prim/server/10.3.1/10 ") {
				found = true
				if c.Failure == nil || c.Failure.Message != "connection still open 5s after 406 Authentication Failed" {
					t.Errorf("failure = %+v", c.Failure)
				}
				if !strings.Contains(c.SystemOut, "406 Authentication Failed") {
					t.Errorf("system-out lacks the transcript: %q", c.SystemOut)
				}
				props := map[string]string{}
				for _, p := range c.Properties {
					props[p.Name] += p.Value
				}
				if props["level"] != "MUST" || props["statement"] != "PRIM-A10.3.1-5" || props["pcap"] == "" {
					t.Errorf("properties = %v", props)
				}
			}
		}
	}
	if !found {
		t.Error("failing case missing from JUnit")
	}
}

// Hostile wire data in a transcript is escaped, never executed or able to break the page.
func TestHTMLEscapesTranscripts(t *testing.T) {
	page, err := RenderHTML(sampleResults(t))
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	if strings.Contains(s, `<script>alert`) {
		t.Error("transcript <script> reached the page unescaped")
	}
	if !strings.Contains(s, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Error("escaped transcript missing")
	}
	for _, ref := range []string{`src="http`, `href="http`, `src="//`, `href="//`, "url(", "@import", "fetch(", "XMLHttpRequest"} {
		if strings.Contains(s, ref) {
			t.Errorf("report may load from the network: contains %q", ref)
		}
	}
}

func TestMarkdownEscapes(t *testing.T) {
	r := Build(RunMeta{Target: "evil|host"}, []CaseResult{{CaseMeta: CaseMeta{ID: "prim/server/1/1", Level: LevelMust},
		Verdict: Fail, Message: "a | b <img src=x> `c`"}}, nil, nil)
	md := string(RenderMarkdown(r))
	for _, bad := range []string{"<img", "evil|host", "a | b"} {
		if strings.Contains(md, bad) {
			t.Errorf("markdown contains unescaped %q:\n%s", bad, md)
		}
	}
	if !strings.Contains(md, "not conformant") {
		t.Errorf("markdown lacks the verdict:\n%s", md)
	}
}
