package reports

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strings"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name       string          `xml:"name,attr"`
	Classname  string          `xml:"classname,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Failure    *junitProblem   `xml:"failure,omitempty"`
	Error      *junitProblem   `xml:"error,omitempty"`
	Skipped    *junitSkipped   `xml:"skipped,omitempty"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func seconds(ns int64) string { return fmt.Sprintf("%.3f", float64(ns)/1e9) }

// suiteName is the JUnit suite a case belongs to: one per role and draft section.
func suiteName(c CaseResult) string { return "prim/" + c.Role + "/" + c.Section }

// RenderJUnit renders r as JUnit XML: one testsuite per role and section, case metadata as
// properties. Failures and errors carry the message and the transcript excerpt, which is also
// in system-out. not-applicable and expected failures are skipped (they do not fail CI); an
// unexpected pass is a failure.
func RenderJUnit(r *Results) ([]byte, error) {
	groups := map[string][]CaseResult{}
	var names []string
	for _, c := range r.Cases {
		n := suiteName(c)
		if _, ok := groups[n]; !ok {
			names = append(names, n)
		}
		groups[n] = append(groups[n], c)
	}
	sort.SliceStable(names, func(i, j int) bool { return compareCaseIDs(names[i], names[j]) < 0 })

	top := junitSuites{Name: "primlab conformance " + r.Run.Target, Time: seconds(int64(r.Run.Duration))}
	for _, n := range names {
		s := junitSuite{Name: n}
		if !r.Run.Start.IsZero() {
			s.Timestamp = r.Run.Start.UTC().Format("2006-01-02T15:04:05")
		}
		s.Properties = []junitProperty{
			{"target", r.Run.Target}, {"profile", r.Run.Profile},
			{"seed", fmt.Sprint(r.Run.Seed)}, {"strict", fmt.Sprint(r.Run.Strict)},
			{"primlab_version", r.Run.Version},
		}
		var total int64
		for _, c := range groups[n] {
			total += int64(c.Duration)
			jc := junitCase{Name: c.ID + " " + c.Requirement, Classname: n, Time: seconds(int64(c.Duration))}
			jc.Properties = []junitProperty{
				{"id", c.ID}, {"level", c.Level}, {"role", c.Role}, {"profile", c.Profile},
				{"verdict", string(c.Verdict)},
			}
			for _, kv := range []struct {
				k  string
				vs []string
			}{{"statement", c.Statements}, {"rfc2779", c.RFC2779}, {"decision", c.Decisions}} {
				for _, v := range kv.vs {
					jc.Properties = append(jc.Properties, junitProperty{kv.k, v})
				}
			}
			for _, l := range []struct{ k, v string }{{"transcript", c.Links.Transcript}, {"trace", c.Links.Trace}, {"pcap", c.Links.Pcap}} {
				if l.v != "" {
					jc.Properties = append(jc.Properties, junitProperty{l.k, l.v})
				}
			}
			detail := c.Message
			if c.Excerpt != "" {
				detail += "\n\n--- transcript (end) ---\n" + c.Excerpt
			}
			switch c.Verdict {
			case Fail:
				jc.Failure = &junitProblem{Message: firstLine(c.Message), Type: c.Level, Text: detail}
				s.Failures++
			case Error:
				jc.Error = &junitProblem{Message: firstLine(c.Message), Type: "harness", Text: detail}
				s.Errors++
			case UnexpectedPass:
				jc.Failure = &junitProblem{Message: "unexpected pass: the baseline lists this case as failing; remove it from the baseline", Type: "baseline"}
				s.Failures++
			case NotApplicable:
				jc.Skipped = &junitSkipped{Message: "not applicable: " + firstLine(c.Message)}
				s.Skipped++
			case ExpectedFail:
				jc.Skipped = &junitSkipped{Message: "expected failure (baseline): " + firstLine(c.Message)}
				s.Skipped++
			}
			if c.Excerpt != "" && c.Verdict != Pass {
				jc.SystemOut = c.Excerpt
			}
			s.Cases = append(s.Cases, jc)
		}
		s.Tests = len(s.Cases)
		s.Time = seconds(total)
		top.Tests += s.Tests
		top.Failures += s.Failures
		top.Errors += s.Errors
		top.Skipped += s.Skipped
		top.Suites = append(top.Suites, s)
	}
	out, err := xml.MarshalIndent(top, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("reports: encode JUnit: %w", err)
	}
	return append(append([]byte(xml.Header), out...), '\n'), nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
