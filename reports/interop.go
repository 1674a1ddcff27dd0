package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// InteropMatrix is the outcome of `primlab interop`: every client under test against every
// server under test, each cell running the same end-to-end scenarios, with the wire transcript
// of each scenario behind the cell.
type InteropMatrix struct {
	Start     time.Time     `json:"start"`
	Duration  time.Duration `json:"duration_ns"`
	Clients   []string      `json:"clients"`
	Servers   []string      `json:"servers"`
	Scenarios []string      `json:"scenarios"`
	Cells     []InteropCell `json:"cells"`
}

// InteropCell is one client × server pair. Its verdict is pass when every scenario passed,
// error when one could not run (the server unreachable, the client not starting), else fail.
type InteropCell struct {
	Client    string            `json:"client"`
	Server    string            `json:"server"`
	Verdict   Verdict           `json:"verdict"`
	Scenarios []InteropScenario `json:"scenarios"`
}

// InteropScenario is one scenario's outcome in one cell.
type InteropScenario struct {
	Name       string  `json:"name"`
	Verdict    Verdict `json:"verdict"`
	Message    string  `json:"message,omitempty"`
	Transcript string  `json:"transcript"`
}

// Settle computes the cell's verdict from its scenarios.
func (c *InteropCell) Settle() {
	c.Verdict = Pass
	for _, s := range c.Scenarios {
		switch {
		case s.Verdict == Error:
			c.Verdict = Error
		case s.Verdict != Pass && c.Verdict == Pass:
			c.Verdict = Fail
		}
	}
	if len(c.Scenarios) == 0 {
		c.Verdict = Error
	}
}

// Passed counts the cell's passing scenarios.
func (c *InteropCell) Passed() int {
	n := 0
	for _, s := range c.Scenarios {
		if s.Verdict == Pass {
			n++
		}
	}
	return n
}

// Cell returns the cell of client × server, or nil.
func (m *InteropMatrix) Cell(client, server string) *InteropCell {
	for i := range m.Cells {
		if m.Cells[i].Client == client && m.Cells[i].Server == server {
			return &m.Cells[i]
		}
	}
	return nil
}

// AllPass reports whether every cell passed.
func (m *InteropMatrix) AllPass() bool {
	for _, c := range m.Cells {
		if c.Verdict != Pass {
			return false
		}
	}
	return len(m.Cells) > 0
}

// interopCSS reuses the conformance report's stylesheet, so both pages look alike.
var interopCSS = func() template.CSS {
	data, err := templateFS.ReadFile("templates/report.html.tmpl")
	if err != nil {
		return ""
	}
	s := string(data)
	i, j := strings.Index(s, "<style>"), strings.Index(s, "</style>")
	if i < 0 || j < i {
		return ""
	}
	return template.CSS(s[i+len("<style>") : j])
}()

type interopRow struct {
	Client string
	Cells  []interopCellView
}

type interopCellView struct {
	*InteropCell
	Anchor string
}

type interopData struct {
	M     *InteropMatrix
	CSS   template.CSS
	Start string
	Rows  []interopRow
	Cells []interopCellView
}

var interopTemplate = template.Must(template.New("interop").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>primlab interop matrix</title>
<style>{{.CSS}}
table.interop{border-collapse:collapse;background:var(--card)}
table.interop th,table.interop td{border:1px solid var(--line);padding:8px 12px;text-align:center}
td.v-pass{background:#e3f4ea}td.v-fail{background:#fbe4e6}td.v-error{background:#fbeedf}
td a{color:inherit;font-weight:600;text-decoration:none}
pre.transcript{background:#0f1320;color:#e6e9ef;padding:10px;overflow:auto;max-height:480px}
</style>
</head>
<body>
<header><h1>primlab interop matrix</h1>
<div class="meta">{{len .M.Clients}} clients × {{len .M.Servers}} servers × {{len .M.Scenarios}} scenarios{{if .Start}}; started <code>{{.Start}}</code>{{end}}</div></header>
<main>
<h2>Matrix (rows: clients; columns: servers)</h2>
<table class="interop" id="matrix">
<tr><th>client \ server</th>{{range .M.Servers}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><th>{{.Client}}</th>{{range .Cells}}{{if .InteropCell}}<td class="v-{{.Verdict}}"><a href="#{{.Anchor}}">{{.Verdict}} {{.Passed}}/{{len .Scenarios}}</a></td>{{else}}<td>-</td>{{end}}{{end}}</tr>
{{end}}</table>
<h2>Scenarios</h2>
<ul>{{range .M.Scenarios}}<li><code>{{.}}</code></li>{{end}}</ul>
<h2>Cells</h2>
{{range .Cells}}<section id="{{.Anchor}}"><h3>{{.Client}} × {{.Server}}: {{.Verdict}}</h3>
{{range .Scenarios}}<details{{if ne .Verdict "pass"}} open{{end}}><summary><code>{{.Name}}</code>: {{.Verdict}}{{if .Message}} — {{.Message}}{{end}}</summary>
<pre class="transcript">{{.Transcript}}</pre></details>
{{end}}</section>
{{end}}</main>
</body>
</html>
`))

// RenderInteropHTML renders the matrix as one self-contained page (inline CSS, no network):
// the client × server table, each cell linking to its scenarios and their wire transcripts.
func RenderInteropHTML(m *InteropMatrix) ([]byte, error) {
	d := interopData{M: m, CSS: interopCSS}
	if !m.Start.IsZero() {
		d.Start = m.Start.UTC().Format(time.RFC3339)
	}
	for i := range m.Cells {
		d.Cells = append(d.Cells, interopCellView{&m.Cells[i], fmt.Sprintf("cell-%d", i+1)})
	}
	for _, c := range m.Clients {
		row := interopRow{Client: c}
		for _, s := range m.Servers {
			v := interopCellView{}
			for _, cv := range d.Cells {
				if cv.Client == c && cv.Server == s {
					v = cv
				}
			}
			row.Cells = append(row.Cells, v)
		}
		d.Rows = append(d.Rows, row)
	}
	var b bytes.Buffer
	if err := interopTemplate.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("reports: render interop HTML: %w", err)
	}
	return b.Bytes(), nil
}

// WriteInterop writes matrix.json and matrix.html into dir.
func WriteInterop(dir string, m *InteropMatrix) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("reports: interop JSON: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "matrix.json"), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	page, err := RenderInteropHTML(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "matrix.html"), page, 0o644); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	return nil
}
