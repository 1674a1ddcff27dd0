// Package reports turns conformance case results into verdicts and reports.
//
// It loads the requirement catalogues embedded in package fixtures (the 93 RFC 2779
// requirements and every PRIM normative statement of prim-digest §8), judges a run's cases
// against an optional baseline of expected failures, joins them with the catalogues, decides
// conformance, and renders the results as JSON, JUnit XML, a self-contained HTML report and a
// Markdown summary. Shards of one run merge back into one set of results.
//
// The suite calls:
//
//	cat, err := reports.LoadCatalogue()
//	res := reports.Build(run, cases, cat, baseline) // baseline may be nil
//	err = reports.WriteAll(dir, res)                 // results.json junit.xml report.html summary.md
//	os.Exit(res.ExitCode(run.Strict))                // in cmd/ only
//
// # Verdicts
//
// A case ends pass, fail, not-applicable (role, profile or optional feature not offered; the
// message holds the evidence) or error (the target broke the harness: timeout, disconnect).
// When a baseline lists the case, a fail or error becomes expected-fail and a pass becomes
// unexpected-pass; the case's own conclusion stays in "outcome".
//
// Each RFC 2779 requirement and each PRIM statement is joined with the cases that cite it, on
// their outcomes (an expected failure is still a failure of the requirement):
//
//	inspection      testability N: only a document can show it (RFC 2779 only)
//	untested        no case cites it; listed, never hidden
//	not-applicable  every case citing it was not applicable
//	pass            every applicable case passed, and the requirement is black-box testable (Y)
//	partial         some passed and some failed, or all passed but it is only partly testable (P)
//	fail            at least one failed or errored and none passed
//
// A run is conformant when no MUST case (and under strict, no SHOULD case) failed or errored,
// other than failures the baseline expects, and no baseline entry passed (an unexpected pass
// means the baseline must be updated, so it never goes stale). MAY cases never count. A run in
// which no case passed is not conformant: it shows nothing.
// ExitCode maps this to 0 (conformant) or 1.
//
// # Results schema "primlab/results/v1"
//
// results.json is one object; durations are integer nanoseconds, times RFC 3339, every list
// sorted (cases by role, section numerically, number; requirements and statements by id).
//
//	schema        "primlab/results/v1"
//	run           {primlab_version, target, roles[], profile, seed, strict, start,
//	               duration_ns, shard?}
//	summary       {cases{verdict: n}, rfc2779{verdict: n}, statements{verdict: n},
//	               conformant, blocking[case id]}
//	cases[]       {id "prim/<role>/<section>/<n>", section, requirement, level MUST|SHOULD|MAY,
//	               statements[], rfc2779[], decisions[], role, profile, verdict, outcome,
//	               duration_ns, message?, excerpt? (end of the transcript, at most 16 KiB),
//	               links{transcript?, trace?, pcap?} (paths relative to the results directory)}
//	rfc2779[]     {id, section, topic, level, scope, testability Y|P|N, enabled?, paraphrase,
//	               test, note?, class MUST|SHOULD|MAY, verdict,
//	               counts{pass, fail, error, not_applicable}, cases[]}
//	statements[]  {id, level, actor[], profile client|server|historical, paraphrase, note?,
//	               class MUST|SHOULD|MAY|RULE, verdict, counts, cases[]}
//	baseline?     {entries[{id, reason?}], unmatched[]? (listed ids no case ran)}
//	warnings[]?   inconsistencies found while building (unknown ids, duplicate cases)
//
// Readers reject other schema values and unknown fields. A change that removes or renames a
// field, or changes a meaning, needs a new schema name.
//
// # Baseline
//
// A baseline file (YAML, or JSON) lists expected failures by case id:
//
//	schema: primlab/baseline/v1
//	expected_failures:
//	  - id: prim/server/10.1.1/3
//	    reason: returns 403 instead of 402
//
// WriteBaseline writes one from a run's failing cases.
package reports
