package harness

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/primlab/primlab/reports"
)

// CatalogueSchema names the format of fixtures/cases.yaml.
const CatalogueSchema = "primlab/cases/v1"

// CatalogueEntry is one case in the catalogue file.
type CatalogueEntry struct {
	ID          string   `yaml:"id"`
	Role        string   `yaml:"role"`
	Profile     string   `yaml:"profile"`
	Section     string   `yaml:"section"`
	Level       string   `yaml:"level"`
	Requirement string   `yaml:"requirement"`
	Statements  []string `yaml:"statements,omitempty"`
	RFC2779     []string `yaml:"rfc2779,omitempty"`
	Decisions   []string `yaml:"decisions,omitempty"`
	Slow        bool     `yaml:"slow,omitempty"`
}

// CatalogueFile is fixtures/cases.yaml: every case with its metadata, generated from the code
// (primlab conform --list, or go test ./suite -args -rewrite-catalogue) and reviewed like the
// Kubernetes conformance list.
type CatalogueFile struct {
	Schema string           `yaml:"schema"`
	Cases  []CatalogueEntry `yaml:"cases"`
}

// CatalogueYAML renders the catalogue of the given cases (sorted by ID).
func CatalogueYAML(metas []reports.CaseMeta) ([]byte, error) {
	f := CatalogueFile{Schema: CatalogueSchema}
	for _, m := range metas {
		f.Cases = append(f.Cases, CatalogueEntry{
			ID: m.ID, Role: m.Role, Profile: m.Profile, Section: m.Section, Level: m.Level,
			Requirement: m.Requirement, Statements: m.Statements, RFC2779: m.RFC2779, Decisions: m.Decisions, Slow: m.Slow,
		})
	}
	var b bytes.Buffer
	b.WriteString("# The conformance case catalogue, generated from suite/ (do not edit by hand):\n")
	b.WriteString("#   go test ./suite -args -rewrite-catalogue   or   primlab conform --list > fixtures/cases.yaml\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("harness: catalogue: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("harness: catalogue: %w", err)
	}
	return b.Bytes(), nil
}

// ParseCatalogue reads a catalogue file strictly.
func ParseCatalogue(data []byte) (*CatalogueFile, error) {
	var f CatalogueFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("harness: catalogue: %w", err)
	}
	if f.Schema != CatalogueSchema {
		return nil, fmt.Errorf("harness: catalogue schema %q, want %q", f.Schema, CatalogueSchema)
	}
	return &f, nil
}
