package reports

import (
	"errors"
	"fmt"
	"reflect"
	"time"
)

// Merge joins the results of the shards of one run (`--shard i/n`) into one Results, re-deriving
// the requirement and statement joins from cat. The shards must agree on version, target,
// profile, seed and strictness; their cases must be disjoint, except that a case reported
// identically twice is kept once. Conflicting duplicates are an error. The baselines of the
// shards are united. The merged run starts at the earliest shard start and ends at the latest
// shard end.
func Merge(cat *Catalogue, shards ...*Results) (*Results, error) {
	if len(shards) == 0 {
		return nil, errors.New("reports: merge: no results given")
	}
	first := shards[0].Run
	run := RunMeta{Version: first.Version, Target: first.Target, Profile: first.Profile,
		Seed: first.Seed, Strict: first.Strict, Start: first.Start}
	var end time.Time
	var cases []CaseResult
	byID := map[string]CaseResult{}
	var baseline *Baseline
	expected := map[string]bool{}
	for i, s := range shards {
		if s.Schema != SchemaVersion {
			return nil, fmt.Errorf("reports: merge: input %d has schema %q, want %q", i+1, s.Schema, SchemaVersion)
		}
		m := s.Run
		for _, f := range []struct{ name, a, b string }{
			{"primlab_version", first.Version, m.Version},
			{"target", first.Target, m.Target},
			{"profile", first.Profile, m.Profile},
			{"seed", fmt.Sprint(first.Seed), fmt.Sprint(m.Seed)},
			{"strict", fmt.Sprint(first.Strict), fmt.Sprint(m.Strict)},
		} {
			if f.a != f.b {
				return nil, fmt.Errorf("reports: merge: input %d is from another run: %s %q, input 1 has %q", i+1, f.name, f.b, f.a)
			}
		}
		run.Roles = append(run.Roles, m.Roles...)
		if m.Start.Before(run.Start) {
			run.Start = m.Start
		}
		if e := m.Start.Add(m.Duration); e.After(end) {
			end = e
		}
		for _, c := range s.Cases {
			if prev, dup := byID[c.ID]; dup {
				if !sameCase(prev, c) {
					return nil, fmt.Errorf("reports: merge: case %q appears in two inputs with different results (%s, %s)", c.ID, prev.Outcome, c.Outcome)
				}
				continue
			}
			byID[c.ID] = c
			cases = append(cases, c)
		}
		if s.Baseline != nil {
			if baseline == nil {
				baseline = &Baseline{Schema: BaselineSchema}
			}
			for _, e := range s.Baseline.Entries {
				if !expected[e.ID] {
					expected[e.ID] = true
					baseline.ExpectedFailures = append(baseline.ExpectedFailures, e)
				}
			}
		}
	}
	if !end.IsZero() {
		run.Duration = end.Sub(run.Start)
	}
	return Build(run, cases, cat, baseline), nil
}

// sameCase compares two reports of one case, ignoring the baseline adjustment (re-derived).
func sameCase(a, b CaseResult) bool {
	a.Verdict, b.Verdict = "", ""
	return reflect.DeepEqual(a, b)
}
