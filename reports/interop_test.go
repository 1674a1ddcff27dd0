package reports

import (
	"strings"
	"testing"
)

func TestInteropHTMLShowsMatrixAndTranscripts(t *testing.T) {
	m := &InteropMatrix{Clients: []string{"ref-client"}, Servers: []string{"ref-server", "other"}, Scenarios: []string{"login"},
		Cells: []InteropCell{
			{Client: "ref-client", Server: "ref-server", Scenarios: []InteropScenario{{Name: "login", Verdict: Pass, Transcript: "c1 -> LOGIN PRIM-PR/1.0 0001 0<x>"}}},
			{Client: "ref-client", Server: "other", Scenarios: []InteropScenario{{Name: "login", Verdict: Fail, Message: "got 406"}}},
		}}
	for i := range m.Cells {
		m.Cells[i].Settle()
	}
	if m.AllPass() || m.Cells[0].Verdict != Pass || m.Cells[1].Verdict != Fail {
		t.Fatalf("verdicts %v %v", m.Cells[0].Verdict, m.Cells[1].Verdict)
	}
	page, err := RenderInteropHTML(m)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, want := range []string{`<table class="interop" id="matrix">`, `<th>ref-server</th>`, `<td class="v-pass"><a href="#cell-1">pass 1/1</a>`,
		`<td class="v-fail"><a href="#cell-2">fail 0/1</a>`, "c1 -&gt; LOGIN PRIM-PR/1.0 0001 0&lt;x&gt;", "got 406", "--pass:#1f8a4c"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(html, "http://") || strings.Contains(html, "https://") {
		t.Error("the page must be self-contained (no network references)")
	}
}
