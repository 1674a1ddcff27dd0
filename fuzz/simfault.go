package fuzz

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/primlab/primlab/scenario"
)

// Sim mode: a random federation of two or three domains, two users each, runs a scenario in
// three phases:
//
//	set-up    every user logs in, listens, sets an ACL that denies one watcher (Decision D15
//	          default for everyone else) and a Class Table with one "close" watcher, publishes,
//	          and subscribes to everybody it may;
//	faults    random publications and SENDs interleaved with partitions, heals, server crashes
//	          and restarts and the passing of time;
//	recovery  every fault heals, every server is up; after a settling time every user logs in
//	          again, restores its ACL and Class Table, subscribes again and publishes its final
//	          presence.
//
// Invariants, checked on what the users observed:
//   - every SEND step ends with exactly one final result for its sender, and a 200 means the
//     recipient got the message in that step (§5.2); no message is delivered twice;
//   - no presence reaches a watcher the presentity's ACL denies while that ACL is in force (a
//     crash loses it, Decision D15 applies until it is set again): no NOTIFY, and SUBSCRIBE
//     and FETCH are refused (§7.5);
//   - after the recovery, every allowed watcher's last view of each presentity is exactly what
//     its class may see (§4.6, §4.7): convergence within the bound of the recovery phase.

// simDomains are the candidate domains.
var simDomains = []string{"example.com", "example.org", "example.net"}

// simCase is one generated case and what the checker needs to know about it.
type simCase struct {
	sc      *scenario.Script
	users   []string
	deny    map[string]string // presentity -> denied watcher
	close   map[string]string // presentity -> its "close" watcher
	final   map[string][2]string
	recover int // index of the first recovery step
}

func pick[T any](rng *rand.Rand, list []T) T { return list[rng.IntN(len(list))] }

// genSimCase draws one case from rng.
func genSimCase(rng *rand.Rand, faults int) *simCase {
	nd := 2 + rng.IntN(2)
	doms := simDomains[:nd]
	c := &simCase{deny: map[string]string{}, close: map[string]string{}, final: map[string][2]string{}}
	for _, d := range doms {
		c.users = append(c.users, "a@"+d, "b@"+d)
	}
	sc := &scenario.Script{Name: "sim"}
	add := func(cmd string, args []string, opts ...scenario.Opt) {
		sc.Steps = append(sc.Steps, scenario.Step{Line: len(sc.Steps)*3 + 1, Cmd: cmd, Args: args, Opts: opts})
	}
	others := func(u string) []string {
		var out []string
		for _, x := range c.users {
			if x != u {
				out = append(out, x)
			}
		}
		return out
	}
	add("users", c.users)
	for _, u := range c.users {
		c.deny[u] = pick(rng, others(u))
		for {
			c.close[u] = pick(rng, others(u))
			if c.close[u] != c.deny[u] {
				break
			}
		}
	}
	setup := func(again bool) {
		for _, u := range c.users {
			if again {
				// A crashed server never said goodbye: start from a fresh connection.
				add("logout", []string{u})
			}
			add("login", []string{u})
			add("listen", []string{u})
			add("setacl", []string{u}, scenario.Opt{Key: c.deny[u], Value: "none"}, scenario.Opt{Key: ".", Value: "fetch,subscribe"})
			add("setclasstable", []string{u}, scenario.Opt{Key: "close", Value: c.close[u]})
		}
		for _, w := range c.users {
			for _, p := range others(w) {
				add("subscribe", []string{w, p}, scenario.Opt{Key: "duration", Value: "3600"})
			}
		}
	}
	status := func() string { return pick(rng, []string{"open", "closed"}) }
	setup(false)
	n := 0
	for i := 0; i < faults; i++ {
		switch rng.IntN(9) {
		case 0, 1:
			opts := []scenario.Opt{{Key: "tuple", Value: "im"}, {Key: "status", Value: status()}}
			if rng.IntN(2) == 0 {
				opts = append(opts, scenario.Opt{Key: "class", Value: "close"})
			}
			add("publish", []string{pick(rng, c.users)}, opts...)
		case 2, 3:
			n++
			s := pick(rng, c.users)
			add("send", []string{s, pick(rng, others(s))}, scenario.Opt{Key: "body", Value: "m" + strconv.Itoa(n)})
		case 4:
			a := rng.IntN(nd)
			b := (a + 1 + rng.IntN(nd-1)) % nd
			add("partition", []string{doms[a], doms[b]})
		case 5:
			add("heal", nil)
		case 6:
			d := pick(rng, doms)
			if rng.IntN(2) == 0 {
				add("crash", []string{d})
			} else {
				add("restart", []string{d})
			}
		case 7:
			add("advance", []string{pick(rng, []string{"5s", "20s", "40s"})})
		case 8:
			add("silence", []string{pick(rng, c.users)})
		}
	}
	c.recover = len(sc.Steps)
	add("heal", nil)
	for _, d := range doms {
		add("restart", []string{d})
	}
	add("advance", []string{"50s"})
	setup(true)
	for _, u := range c.users {
		f := [2]string{status(), status()}
		c.final[u] = f
		add("publish", []string{u}, scenario.Opt{Key: "tuple", Value: "im"}, scenario.Opt{Key: "status", Value: f[0]}, scenario.Opt{Key: "note", Value: "final"})
		add("publish", []string{u}, scenario.Opt{Key: "tuple", Value: "im"}, scenario.Opt{Key: "status", Value: f[1]}, scenario.Opt{Key: "class", Value: "close"}, scenario.Opt{Key: "note", Value: "final"})
	}
	c.sc = sc
	return c
}

// check returns the first invariant the run violates, or "".
func (c *simCase) check(res *scenario.Result) string {
	aclInForce := map[string]bool{}
	domainOf := func(u string) string { return u[strings.IndexByte(u, '@')+1:] }
	view := map[[2]string]string{} // (watcher, presentity) -> last tuples seen
	delivered := map[string]int{}
	for i, s := range res.Steps {
		st := s.Step
		where := fmt.Sprintf("step %d (%s)", i+1, st.CommandLine())
		switch st.Cmd {
		case "crash":
			for _, u := range c.users {
				if domainOf(u) == st.Args[0] {
					aclInForce[u] = false
				}
			}
		case "setacl":
			if hasLine(s.Observed, st.Args[0]+": setacl 200") {
				aclInForce[st.Args[0]] = true
			}
		}
		for _, l := range s.Observed {
			w, rest, _ := strings.Cut(l, ": ")
			if strings.HasPrefix(rest, "notify ") {
				f := strings.SplitN(rest, " ", 3)
				p := f[1]
				if c.deny[p] == w && aclInForce[p] {
					return fmt.Sprintf("%s: %s got presence of %s, whose ACL denies it: %q", where, w, p, l)
				}
				view[[2]string{w, p}] = f[2]
			}
			if strings.HasPrefix(rest, "message ") {
				delivered[l]++
				if delivered[l] > 1 {
					return fmt.Sprintf("%s: message delivered twice: %q", where, l)
				}
			}
		}
		switch st.Cmd {
		case "subscribe", "fetch":
			w, p := st.Args[0], st.Args[1]
			for _, l := range s.Observed {
				if !strings.HasPrefix(l, w+": "+st.Cmd+" 2") {
					continue
				}
				if c.deny[p] == w && aclInForce[p] {
					return fmt.Sprintf("%s: %s may not %s %s under its ACL, got %q", where, w, st.Cmd, p, l)
				}
				if st.Cmd == "subscribe" {
					if _, t, ok := strings.Cut(l, " tuples="); ok {
						view[[2]string{w, p}] = "tuples=" + t
					}
				}
			}
		case "send":
			sender, rcpt := st.Args[0], st.Args[1]
			var results []string
			for _, l := range s.Observed {
				if strings.HasPrefix(l, sender+": send ") {
					results = append(results, l)
				}
			}
			if len(results) != 1 {
				return fmt.Sprintf("%s: %d final results for one SEND (want exactly 1): %q %s", where, len(results), results, s.Err)
			}
			if strings.HasPrefix(results[0], sender+": send 200") {
				msg := rcpt + ": message from=" + sender + " body=" + strconv.Quote(st.OptOr("body", "hello"))
				if !hasLine(s.Observed, msg) {
					return fmt.Sprintf("%s: SEND answered 200 but %s got no message (200 means delivered, §5.2)", where, rcpt)
				}
			}
		}
	}
	// Convergence after the recovery.
	for _, p := range c.users {
		for _, w := range c.users {
			if w == p || c.deny[p] == w {
				continue
			}
			f := c.final[p]
			st := f[0]
			if c.close[p] == w {
				st = f[1]
			}
			want := "tuples=[im=" + st + `:"final"]`
			if got := view[[2]string{w, p}]; got != want {
				return fmt.Sprintf("after recovery %s's last view of %s is %q, want %q (its class may see exactly that)", w, p, got, want)
			}
		}
	}
	return ""
}

func hasLine(lines []string, l string) bool {
	for _, x := range lines {
		if x == l {
			return true
		}
	}
	return false
}

// Sim runs sim-mode fuzzing: cfg.Cases random cases from cfg.Seed (and shard), each against
// simulated reference servers (or a mutant of them). It stops at the first violated invariant
// and shrinks the fault phase greedily (dropping one step at a time while the violation
// stays).
func Sim(cfg Config) (*Report, error) {
	cfg.defaults()
	if cfg.Run.Target != "" {
		return nil, fmt.Errorf("fuzz: sim mode runs reference servers in the simulator; an external target is not supported")
	}
	factory, err := Factory(cfg.Mutant)
	if err != nil {
		return nil, err
	}
	rep := &Report{Mode: ModeSim, Seed: cfg.Seed, Shard: cfg.Shard, Shards: cfg.Shards, Target: target(cfg)}
	rng := rand.New(rand.NewPCG(cfg.shardSeed(), 0x73696d))
	run := func(c *simCase, seed uint64) (*scenario.Result, string, error) {
		res, err := scenario.Run(c.sc, scenario.Options{Seed: seed, Server: factory})
		if err != nil {
			return nil, "", err
		}
		return res, c.check(res), nil
	}
	for i := 0; i < cfg.Cases; i++ {
		caseSeed := rng.Uint64()
		c := genSimCase(rand.New(rand.NewPCG(caseSeed, 3)), 6+rand.New(rand.NewPCG(caseSeed, 4)).IntN(20))
		rep.Cases++
		res, why, err := run(c, caseSeed)
		if err != nil {
			return rep, fmt.Errorf("fuzz: sim case %d: %w", rep.Cases, err)
		}
		if why != "" {
			c, res, why = shrinkSim(c, caseSeed, why, run)
			f := Finding{Mode: ModeSim, Kind: "invariant", Seed: cfg.Seed, Case: rep.Cases, Summary: why, Detail: why}
			sc := res.Observed()
			if cfg.Mutant != "" {
				// The expectations are what the reference observes on the same scenario.
				if ref, err := scenario.Run(c.sc, scenario.Options{Seed: caseSeed}); err == nil {
					sc = ref.Observed()
				}
			}
			sc.Header = "Found by primlab fuzz --mode sim (seed " + strconv.FormatUint(cfg.Seed, 10) + ", target " + target(cfg) + ", case seed " +
				strconv.FormatUint(caseSeed, 10) + "):\n" + why + "\nExpectations: what the reference servers observe on this scenario" +
				map[bool]string{true: ".", false: " (the run that violated the invariant)."}[cfg.Mutant != ""]
			f.Script = sc
			rep.Findings = append(rep.Findings, f)
		}
		if cfg.Progress != nil {
			cfg.Progress(rep.Cases, len(rep.Findings))
		}
		if len(rep.Findings) > 0 {
			break
		}
	}
	return rep, nil
}

// violationKind groups check's answers, so that shrinking keeps the same kind of violation.
func violationKind(why string) string {
	switch {
	case strings.HasPrefix(why, "after recovery"):
		return "converge"
	case strings.Contains(why, "SEND"):
		return "send"
	case strings.Contains(why, "twice"):
		return "duplicate"
	}
	return "acl"
}

// shrinkSim drops fault-phase steps one at a time while the case still violates an invariant.
func shrinkSim(c *simCase, seed uint64, why string, run func(*simCase, uint64) (*scenario.Result, string, error)) (*simCase, *scenario.Result, string) {
	var lastRes *scenario.Result
	end := func() int { return c.recover }
	if violationKind(why) != "converge" {
		// Any step may go: the violation does not depend on the recovery.
		end = func() int { return len(c.sc.Steps) }
	}
	for i := 1; i < end(); {
		st := c.sc.Steps[i]
		if st.Cmd == "users" {
			i++
			continue
		}
		cand := *c
		cs := *c.sc
		cs.Steps = append(append([]scenario.Step(nil), c.sc.Steps[:i]...), c.sc.Steps[i+1:]...)
		cand.sc = &cs
		cand.recover = c.recover
		if i < c.recover {
			cand.recover--
		}
		res, w, err := run(&cand, seed)
		if err == nil && w != "" && violationKind(w) == violationKind(why) {
			c, why, lastRes = &cand, w, res
			continue
		}
		i++
	}
	if lastRes == nil {
		lastRes, why, _ = run(c, seed)
	}
	return c, lastRes, why
}
