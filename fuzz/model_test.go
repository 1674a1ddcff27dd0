package fuzz

import (
	"strings"
	"testing"

	"github.com/primlab/primlab/scenario"
)

// The reference server agrees with the abstract model on a small fixed budget.
func TestModelReferenceClean(t *testing.T) {
	rep, err := Model(Config{Seed: 7, Cases: 30})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cases == 0 {
		t.Fatal("no case ran")
	}
	for _, f := range rep.Findings {
		t.Errorf("finding against the reference:\n%s\n%s", f.Detail, f.Script.Name)
	}
}

// Each planted presence or IM bug is found and shrunk to a short scenario.
func TestModelFindsMutants(t *testing.T) {
	for _, name := range []string{"drop-notify", "wrong-send-code", "leak-acl", "echo-wrong-id"} {
		t.Run(name, func(t *testing.T) {
			rep, err := Model(Config{Seed: 3, Cases: 200, Mutant: name})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != 1 {
				t.Fatalf("mutant %s: %d findings after %d cases, want 1", name, len(rep.Findings), rep.Cases)
			}
			f := rep.Findings[0]
			t.Logf("%s: %s\n%s", name, f.Summary, f.Detail)
			if n := len(f.Script.Steps); n > 8 {
				t.Errorf("mutant %s: shrunk scenario has %d steps, want at most 8", name, n)
			}
		})
	}
}

// A seed and shard fix the run: the same finding twice, and shards explore different cases.
func TestModelDeterministicPerShard(t *testing.T) {
	run := func(shard int) *Report {
		rep, err := Model(Config{Seed: 3, Cases: 200, Mutant: "drop-notify", Shard: shard, Shards: 2})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	a, b := run(1), run(1)
	if len(a.Findings) != 1 || len(b.Findings) != 1 || a.Findings[0].Detail != b.Findings[0].Detail || a.Cases != b.Cases {
		t.Fatalf("one shard, two runs, different results: %+v / %+v", a, b)
	}
	if (Config{Seed: 3, Shard: 0, Shards: 2}).shardSeed() == (Config{Seed: 3, Shard: 1, Shards: 2}).shardSeed() {
		t.Error("two shards share a seed")
	}
}

// The reset prefix used against real servers brings a used server back to the model's start:
// after a scenario that leaves tuples, ACLs, class tables, leases and subscriptions behind,
// the reset and a fresh check agree with the model.
func TestResetStepsRestoreModelStart(t *testing.T) {
	sc, err := scenario.Load("../fixtures/scenarios/acl-revocation.txt")
	if err != nil {
		t.Fatal(err)
	}
	users := scenario.Step{Cmd: "users", Args: modelUsers}
	probe := []scenario.Step{
		{Cmd: "login", Args: []string{"alice@example.com"}},
		{Cmd: "login", Args: []string{"bob@example.com"}},
		{Cmd: "fetch", Args: []string{"alice@example.com", "bob@example.com"}}, // bob's ACL denied alice
		{Cmd: "listen", Args: []string{"bob@example.com"}},
		{Cmd: "send", Args: []string{"alice@example.com", "bob@example.com"}}, // so did bob's inbox ACL
		{Cmd: "subscribe", Args: []string{"alice@example.com", "bob@example.com"}},
		{Cmd: "publish", Args: []string{"bob@example.com"}, Opts: []scenario.Opt{{Key: "tuple", Value: "im"}, {Key: "class", Value: "close"}}},
		{Cmd: "publish", Args: []string{"bob@example.com"}, Opts: []scenario.Opt{{Key: "tuple", Value: "phone"}}},
	}
	// A dirty server: the fixture's steps (bob and alice) mapped onto the model's users, then
	// the reset, then a probe whose expectations come from a model that only saw the reset.
	dirty := []scenario.Step{users}
	for _, st := range sc.Steps[1:] {
		st.Expect = nil
		dirty = append(dirty, st)
	}
	full := &scenario.Script{Name: "reset", Steps: append(append(dirty, ResetSteps()...), probe...)}
	clean, err := scenario.Expect(&scenario.Script{Name: "clean", Steps: append(append([]scenario.Step{users}, ResetSteps()...), probe...)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := scenario.Run(full, scenario.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := res.Steps[len(res.Steps)-len(probe):]
	want := clean.Steps[len(clean.Steps)-len(probe):]
	for i := range probe {
		if strings.Join(got[i].Observed, "\n") != strings.Join(want[i].Expect, "\n") {
			t.Errorf("%s: observed %q, model after reset %q", probe[i].CommandLine(), got[i].Observed, want[i].Expect)
		}
	}
}
