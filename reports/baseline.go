package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// BaselineSchema names the baseline file format.
const BaselineSchema = "primlab/baseline/v1"

// Baseline lists the cases a target is known to fail. An expected failure does not fail the
// run; a listed case that passes does (an unexpected pass), so the baseline stays honest.
type Baseline struct {
	Schema           string          `yaml:"schema" json:"schema"`
	ExpectedFailures []BaselineEntry `yaml:"expected_failures" json:"expected_failures"`
}

// BaselineEntry is one expected failure.
type BaselineEntry struct {
	ID     string `yaml:"id" json:"id"`
	Reason string `yaml:"reason,omitempty" json:"reason,omitempty"`
}

// ParseBaseline parses a baseline in YAML or JSON (JSON is read as YAML), strictly.
func ParseBaseline(data []byte) (*Baseline, error) {
	var b Baseline
	if err := decodeStrict(data, &b); err != nil {
		return nil, fmt.Errorf("reports: baseline: %w", err)
	}
	if b.Schema != BaselineSchema {
		return nil, fmt.Errorf("reports: baseline schema %q, want %q", b.Schema, BaselineSchema)
	}
	seen := map[string]bool{}
	for i, e := range b.ExpectedFailures {
		if !strings.HasPrefix(e.ID, "prim/") {
			return nil, fmt.Errorf("reports: baseline entry #%d: case id %q does not start with \"prim/\"", i+1, e.ID)
		}
		if seen[e.ID] {
			return nil, fmt.Errorf("reports: baseline entry #%d: duplicate case id %q", i+1, e.ID)
		}
		seen[e.ID] = true
	}
	return &b, nil
}

// LoadBaseline reads a baseline file.
func LoadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	b, err := ParseBaseline(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return b, nil
}

// BaselineFrom lists every case of r that failed or errored (whether or not a baseline already
// expected it), with the first line of its message as the reason.
func BaselineFrom(r *Results) *Baseline {
	b := &Baseline{Schema: BaselineSchema, ExpectedFailures: []BaselineEntry{}}
	for _, c := range r.Cases {
		if c.Outcome == Fail || c.Outcome == Error {
			reason, _, _ := strings.Cut(c.Message, "\n")
			b.ExpectedFailures = append(b.ExpectedFailures, BaselineEntry{ID: c.ID, Reason: reason})
		}
	}
	sort.SliceStable(b.ExpectedFailures, func(i, j int) bool {
		return compareCaseIDs(b.ExpectedFailures[i].ID, b.ExpectedFailures[j].ID) < 0
	})
	return b
}

// MarshalBaseline encodes b as YAML, or as JSON when asJSON is set.
func MarshalBaseline(b *Baseline, asJSON bool) ([]byte, error) {
	if asJSON {
		data, err := json.MarshalIndent(b, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("reports: encode baseline: %w", err)
		}
		return append(data, '\n'), nil
	}
	data, err := yaml.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("reports: encode baseline: %w", err)
	}
	return append([]byte("# primlab baseline: cases this target is expected to fail.\n"), data...), nil
}

// WriteBaseline writes the baseline of r's failing cases to path: JSON if path ends in ".json",
// YAML otherwise.
func WriteBaseline(path string, r *Results) error {
	data, err := MarshalBaseline(BaselineFrom(r), strings.EqualFold(filepath.Ext(path), ".json"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("reports: write baseline: %w", err)
	}
	return nil
}
