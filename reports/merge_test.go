package reports

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// shards splits the sample run into two shards, as `--shard 1/2` and `--shard 2/2` would.
func shards(t *testing.T) (*Results, *Results) {
	cat := mustCatalogue(t)
	cases := sampleCases()
	run1, run2 := sampleRun(), sampleRun()
	run1.Shard, run2.Shard = "1/2", "2/2"
	run1.Roles, run2.Roles = []string{"server"}, []string{"client"}
	run1.Duration = 2 * time.Second
	run2.Start = sampleStart.Add(500 * time.Millisecond)
	run2.Duration = 2 * time.Second
	var a, b []CaseResult
	for i, c := range cases {
		if i%2 == 0 {
			a = append(a, c)
		} else {
			b = append(b, c)
		}
	}
	return Build(run1, a, cat, sampleBaseline()), Build(run2, b, cat, sampleBaseline())
}

func TestMergeEqualsWholeRun(t *testing.T) {
	a, b := shards(t)
	merged, err := Merge(mustCatalogue(t), b, a)
	if err != nil {
		t.Fatal(err)
	}
	whole := sampleResults(t)
	if merged.Run.Duration != 2500*time.Millisecond || !merged.Run.Start.Equal(sampleStart) || merged.Run.Shard != "" {
		t.Errorf("merged run = %+v", merged.Run)
	}
	if !reflect.DeepEqual(merged, whole) {
		mj, _ := MarshalResults(merged)
		wj, _ := MarshalResults(whole)
		t.Errorf("merged shards differ from the whole run:\n%s\nvs\n%s", mj, wj)
	}
}

func TestMergeDuplicates(t *testing.T) {
	a, _ := shards(t)
	same, err := Merge(mustCatalogue(t), a, a)
	if err != nil {
		t.Fatalf("identical duplicate rejected: %v", err)
	}
	if len(same.Cases) != len(a.Cases) {
		t.Errorf("identical duplicates: %d cases, want %d", len(same.Cases), len(a.Cases))
	}
	conflict := *a
	conflict.Cases = append([]CaseResult(nil), a.Cases...)
	conflict.Cases[0].Outcome = Fail
	conflict.Cases[0].Message = "flaky"
	_, err = Merge(mustCatalogue(t), a, &conflict)
	if err == nil || !strings.Contains(err.Error(), a.Cases[0].ID) {
		t.Errorf("conflicting duplicate: err = %v, want one naming %q", err, a.Cases[0].ID)
	}
}

func TestMergeRejectsOtherRuns(t *testing.T) {
	a, b := shards(t)
	b.Run.Seed = 7
	if _, err := Merge(mustCatalogue(t), a, b); err == nil || !strings.Contains(err.Error(), "seed") {
		t.Errorf("different seed: err = %v", err)
	}
	b.Run.Seed = a.Run.Seed
	b.Schema = "primlab/results/v0"
	if _, err := Merge(mustCatalogue(t), a, b); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("different schema: err = %v", err)
	}
	if _, err := Merge(mustCatalogue(t)); err == nil {
		t.Error("no inputs: no error")
	}
}
