package reports

import (
	"fmt"
	"os"
	"path/filepath"
)

// Output formats accepted by Render.
const (
	FormatJSON     = "json"
	FormatJUnit    = "junit"
	FormatHTML     = "html"
	FormatMarkdown = "md"
)

// Render renders r in one format: json, junit, html or md.
func Render(r *Results, format string) ([]byte, error) {
	switch format {
	case FormatJSON:
		return MarshalResults(r)
	case FormatJUnit:
		return RenderJUnit(r)
	case FormatHTML:
		return RenderHTML(r)
	case FormatMarkdown:
		return RenderMarkdown(r), nil
	}
	return nil, fmt.Errorf("reports: unknown format %q (want json, junit, html or md)", format)
}

// Files written by WriteAll, by format.
var outputFiles = []struct{ format, name string }{
	{FormatJSON, "results.json"},
	{FormatJUnit, "junit.xml"},
	{FormatHTML, "report.html"},
	{FormatMarkdown, "summary.md"},
}

// WriteAll writes results.json, junit.xml, report.html and summary.md into dir, creating it.
// Links in r are relative to dir.
func WriteAll(dir string, r *Results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	for _, f := range outputFiles {
		data, err := Render(r, f.format)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), data, 0o644); err != nil {
			return fmt.Errorf("reports: write %s: %w", f.name, err)
		}
	}
	return nil
}
