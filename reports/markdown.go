package reports

import (
	"bytes"
	"fmt"
	"strings"
)

// maxMarkdownRows bounds each Markdown table so a PR comment stays readable.
const maxMarkdownRows = 50

// RenderMarkdown renders a short summary for a pull-request comment: the verdict, counts, the
// cases that block conformance, baseline changes, and the RFC 2779 requirements not passed.
func RenderMarkdown(r *Results) []byte {
	var b bytes.Buffer
	mode := "MUST"
	if r.Run.Strict {
		mode = "MUST and SHOULD (strict)"
	}
	verdict := "✅ **conformant**"
	if !r.Summary.Conformant {
		verdict = "❌ **not conformant**"
	}
	fmt.Fprintf(&b, "## primlab conformance: %s\n\n", mdEscape(r.Run.Target))
	fmt.Fprintf(&b, "%s — judged on %s.\n\n", verdict, mode)
	fmt.Fprintf(&b, "Profile `%s`, roles `%s`, seed `%d`, primlab `%s`, %d cases in %s.\n\n",
		r.Run.Profile, strings.Join(r.Run.Roles, ","), r.Run.Seed, r.Run.Version, len(r.Cases), r.Run.Duration)

	b.WriteString("| cases | " + joinVerdicts(caseVerdictOrder, " | ") + " |\n")
	b.WriteString("|---" + strings.Repeat("|--:", len(caseVerdictOrder)) + "|\n")
	b.WriteString("| count |" + countRow(r.Summary.Cases, caseVerdictOrder) + "\n\n")

	b.WriteString("| catalogue | " + joinVerdicts(joinVerdictOrder, " | ") + " |\n")
	b.WriteString("|---" + strings.Repeat("|--:", len(joinVerdictOrder)) + "|\n")
	b.WriteString("| RFC 2779 (" + fmt.Sprint(len(r.Requirements)) + ") |" + countRow(r.Summary.Requirements, joinVerdictOrder) + "\n")
	b.WriteString("| PRIM statements (" + fmt.Sprint(len(r.Statements)) + ") |" + countRow(r.Summary.Statements, joinVerdictOrder) + "\n\n")

	byID := map[string]CaseResult{}
	for _, c := range r.Cases {
		byID[c.ID] = c
	}
	if len(r.Summary.Blocking) > 0 {
		b.WriteString("### Blocking cases\n\n| case | level | verdict | message |\n|---|---|---|---|\n")
		for i, id := range r.Summary.Blocking {
			if i == maxMarkdownRows {
				fmt.Fprintf(&b, "| … %d more | | | |\n", len(r.Summary.Blocking)-i)
				break
			}
			c := byID[id]
			msg := firstLine(c.Message)
			if c.Verdict == UnexpectedPass {
				msg = "passes, but the baseline expects a failure: update the baseline"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.ID, c.Level, c.Verdict, mdEscape(msg))
		}
		b.WriteString("\n")
	}
	var expected []CaseResult
	for _, c := range r.Cases {
		if c.Verdict == ExpectedFail {
			expected = append(expected, c)
		}
	}
	if r.Baseline != nil {
		fmt.Fprintf(&b, "### Baseline\n\n%d expected failures listed, %d still failing, %d passing unexpectedly",
			len(r.Baseline.Entries), len(expected), r.Summary.Cases[UnexpectedPass])
		if len(r.Baseline.Unmatched) > 0 {
			fmt.Fprintf(&b, ", %d with no case run (%s)", len(r.Baseline.Unmatched), codeList(r.Baseline.Unmatched))
		}
		b.WriteString(".\n\n")
	}

	var open []RequirementResult
	for _, q := range r.Requirements {
		if q.Verdict == Fail || q.Verdict == Partial {
			open = append(open, q)
		}
	}
	if len(open) > 0 {
		b.WriteString("### RFC 2779 requirements failing or partial\n\n| id | level | verdict | requirement | cases |\n|---|---|---|---|---|\n")
		for i, q := range open {
			if i == maxMarkdownRows {
				fmt.Fprintf(&b, "| … %d more | | | | |\n", len(open)-i)
				break
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", q.ID, q.Level, q.Verdict, mdEscape(q.Paraphrase), codeList(q.Cases))
		}
		b.WriteString("\n")
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(&b, "<details><summary>%d warnings</summary>\n\n", len(r.Warnings))
		for _, w := range r.Warnings {
			b.WriteString("- " + mdEscape(w) + "\n")
		}
		b.WriteString("\n</details>\n\n")
	}
	b.WriteString("Full report: `report.html`; machine-readable: `results.json`, `junit.xml`.\n")
	return b.Bytes()
}

func joinVerdicts(vs []Verdict, sep string) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, sep)
}

func countRow(m map[Verdict]int, vs []Verdict) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, " %d |", m[v])
	}
	return b.String()
}

func codeList(ids []string) string {
	if len(ids) == 0 {
		return "—"
	}
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = "`" + id + "`"
	}
	return strings.Join(q, ", ")
}

// mdEscape keeps hostile or odd text from breaking a table row or injecting markup.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "`", "'", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`)
	return r.Replace(s)
}
