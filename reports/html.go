package reports

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strings"
	"time"
)

//go:embed templates/report.html.tmpl
var templateFS embed.FS

var reportTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"join":        strings.Join,
	"sortkey":     sortKey,
	"statsection": statementSection,
	"failing":     isFailing,
	"firstline":   firstLine,
}).ParseFS(templateFS, "templates/report.html.tmpl"))

type verdictCount struct {
	Verdict Verdict
	N       int
}

type htmlData struct {
	R                                 *Results
	Start                             string
	CaseCounts, ReqCounts, StatCounts []verdictCount
	Failing                           []CaseResult
	ExpectedFails, UnexpectedPasses   int
}

// isFailing reports whether a case verdict deserves attention: it failed, errored, or
// disagreed with the baseline either way.
func isFailing(v Verdict) bool {
	return v == Fail || v == Error || v == ExpectedFail || v == UnexpectedPass
}

// RenderHTML renders a self-contained HTML report (inline CSS and JS, no network): summary
// counts, the RFC 2779 and PRIM statement matrices (sortable, filterable by section, level and
// verdict), and every failing case, expandable to its message and transcript.
func RenderHTML(r *Results) ([]byte, error) {
	d := htmlData{R: r,
		CaseCounts:    orderedCounts(r.Summary.Cases, caseVerdictOrder),
		ReqCounts:     orderedCounts(r.Summary.Requirements, joinVerdictOrder),
		StatCounts:    orderedCounts(r.Summary.Statements, joinVerdictOrder),
		ExpectedFails: r.Summary.Cases[ExpectedFail], UnexpectedPasses: r.Summary.Cases[UnexpectedPass],
	}
	if !r.Run.Start.IsZero() {
		d.Start = r.Run.Start.UTC().Format(time.RFC3339)
	}
	for _, c := range r.Cases {
		if isFailing(c.Verdict) {
			d.Failing = append(d.Failing, c)
		}
	}
	var b bytes.Buffer
	if err := reportTemplate.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("reports: render HTML: %w", err)
	}
	return b.Bytes(), nil
}

func orderedCounts(m map[Verdict]int, order []Verdict) []verdictCount {
	out := make([]verdictCount, 0, len(order))
	for _, v := range order {
		out = append(out, verdictCount{v, m[v]})
	}
	return out
}

// sortKey zero-pads every run of digits so that ids sort numerically as plain strings.
func sortKey(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); {
		if id[i] >= '0' && id[i] <= '9' {
			j := i
			for j < len(id) && id[j] >= '0' && id[j] <= '9' {
				j++
			}
			b.WriteString(strings.Repeat("0", max(0, 6-(j-i))))
			b.WriteString(id[i:j])
			i = j
			continue
		}
		b.WriteByte(id[i])
		i++
	}
	return b.String()
}

// statementSection names the filter section of a statement: its document and top-level
// section, e.g. "PRIM-A10" for PRIM-A10.3.1-4.
func statementSection(id string) string {
	doc, sec, _, ok := splitStatementID(id)
	if !ok {
		return id
	}
	top, _, _ := strings.Cut(sec, ".")
	return "PRIM-" + string(doc) + top
}
