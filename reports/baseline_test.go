package reports

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestWriteBaselineRoundTrip(t *testing.T) {
	r := sampleResults(t)
	want := []BaselineEntry{
		{ID: "prim/server/9.2.1/1", Reason: "got 200 OK"},
		{ID: "prim/server/10.1.1/2", Reason: "got 403 Forbidden with a 12-byte body"},
		{ID: "prim/server/10.2.1/1", Reason: "deadline exceeded waiting for the SEND response (5s)"},
		{ID: "prim/server/10.3.1/10", Reason: "connection still open 5s after 406 Authentication Failed"},
	}
	for _, name := range []string{"baseline.yaml", "baseline.json"} {
		path := filepath.Join(t.TempDir(), name)
		if err := WriteBaseline(path, r); err != nil {
			t.Fatal(err)
		}
		b, err := LoadBaseline(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(b.ExpectedFailures, want) {
			t.Errorf("%s: entries = %+v\nwant %+v", name, b.ExpectedFailures, want)
		}
		// Judged against its own baseline, the run conforms: every failure is expected.
		again := Build(r.Run, sampleCases(), mustCatalogue(t), b)
		if !again.Conformant(true) {
			t.Errorf("%s: run not conformant against its own baseline: blocking %q", name, again.Summary.Blocking)
		}
	}
}

func TestParseBaselineRejects(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"wrong schema", "schema: other\nexpected_failures: []\n", `baseline schema "other"`},
		{"unknown field", "schema: primlab/baseline/v1\nexpected_failures: []\nowner: me\n", "owner"},
		{"duplicate", "schema: primlab/baseline/v1\nexpected_failures:\n- id: prim/server/1/1\n- id: prim/server/1/1\n", "duplicate case id"},
		{"not a case id", "schema: primlab/baseline/v1\nexpected_failures:\n- id: server/1/1\n", `"server/1/1"`},
		{"empty", "", "empty document"},
	}
	for _, tc := range tests {
		if _, err := ParseBaseline([]byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	json := `{"schema": "primlab/baseline/v1", "expected_failures": [{"id": "prim/client/2/3", "reason": "r"}]}`
	b, err := ParseBaseline([]byte(json))
	if err != nil || len(b.ExpectedFailures) != 1 || b.ExpectedFailures[0].ID != "prim/client/2/3" {
		t.Errorf("JSON baseline = %+v, %v", b, err)
	}
	if _, err := LoadBaseline(filepath.Join(t.TempDir(), "none.yaml")); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing baseline: err = %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}
