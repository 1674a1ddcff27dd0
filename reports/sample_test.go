package reports

import (
	"testing"
	"time"
)

// sampleRun and sampleCases describe a small but complete run: two roles, every case verdict,
// a baseline hit and miss, links and a hostile transcript (HTML and control characters).
var sampleStart = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func sampleRun() RunMeta {
	return RunMeta{Version: "0.1.0-test", Target: "127.0.0.1:7070", Roles: []string{"server", "client"},
		Profile: "client", Seed: 42, Strict: false, Start: sampleStart, Duration: 2500 * time.Millisecond}
}

func sampleCases() []CaseResult {
	return []CaseResult{
		{CaseMeta: CaseMeta{ID: "prim/server/10.3.1/2", Section: "10.3.1", Role: "server", Profile: "client",
			Requirement: "A request before LOGIN completes is answered 401 Unauthorized", Level: LevelMust,
			Statements: []string{"PRIM-A10.3.1-7"}, RFC2779: []string{"5.1.12"}, Decisions: []string{"D11"}},
			Verdict: Pass, Duration: 12 * time.Millisecond,
			Links: Links{Transcript: "transcripts/prim_server_10.3.1_2.txt"}},
		{CaseMeta: CaseMeta{ID: "prim/server/10.3.1/10", Section: "10.3.1", Role: "server", Profile: "client",
			Requirement: "After a failed authentication the connection is dropped", Level: LevelMust,
			Statements: []string{"PRIM-A10.3.1-5"}, RFC2779: []string{"5.1.12"}},
			Verdict: Fail, Duration: 40 * time.Millisecond,
			Message: "connection still open 5s after 406 Authentication Failed\nexpected close",
			Excerpt: "C> LOGIN PRIM-PR/1.0 7 0\r\nC> From: pres:alice@example.test\r\nS> PRIM-PR/1.0 7 0 406 Authentication Failed\r\n<script>alert(\"x\")</script>\x00\r\n",
			Links:   Links{Transcript: "transcripts/prim_server_10.3.1_10.txt", Trace: "traces/prim_server_10.3.1_10.txt", Pcap: "pcaps/prim_server_10.3.1_10.pcapng"}},
		{CaseMeta: CaseMeta{ID: "prim/server/10.1.1/1", Section: "10.1.1", Role: "server", Profile: "client",
			Requirement: "200 to SUBSCRIBE carries the current presence", Level: LevelMust,
			Statements: []string{"PRIM-A10.1.1-2", "PRIM-A10.1.1-1"}, RFC2779: []string{"3.2.2", "5.1.11"}},
			Verdict: Pass, Duration: 8 * time.Millisecond},
		{CaseMeta: CaseMeta{ID: "prim/server/10.1.1/2", Section: "10.1.1", Role: "server", Profile: "client",
			Requirement: "A refused SUBSCRIBE gets 402 with no body", Level: LevelMust,
			Statements: []string{"PRIM-A10.1.1-2"}, RFC2779: []string{"5.1.5", "2.3.2"}},
			Verdict: Fail, Duration: 9 * time.Millisecond, Message: "got 403 Forbidden with a 12-byte body",
			Excerpt: "S> PRIM-PR/1.0 3 12 403 Forbidden\r\n"},
		{CaseMeta: CaseMeta{ID: "prim/server/9.2.1/1", Section: "9.2.1", Role: "server", Profile: "client",
			Requirement: "A command carrying Content-Transfer-Encoding is rejected with 400", Level: LevelShould,
			Statements: []string{"PRIM-A9.2.1-4"}},
			Verdict: Fail, Duration: 3 * time.Millisecond, Message: "got 200 OK"},
		{CaseMeta: CaseMeta{ID: "prim/server/4.3/1", Section: "4.3", Role: "server", Profile: "client",
			Requirement: "Presence and IM share one TCP connection", Level: LevelMay,
			Statements: []string{"PRIM-A4.3-1"}},
			Verdict: NotApplicable, Message: "target does not offer shared connections (LOGIN on PRIM-IM answered 501)"},
		{CaseMeta: CaseMeta{ID: "prim/server/10.2.1/1", Section: "10.2.1", Role: "server", Profile: "client",
			Requirement: "SEND to an inbox nobody listens to gets 408", Level: LevelMust,
			Statements: []string{"PRIM-A10.2.1-3"}, RFC2779: []string{"5.4.1", "4.2.1"}},
			Verdict: Error, Duration: 5 * time.Second, Message: "deadline exceeded waiting for the SEND response (5s)"},
		{CaseMeta: CaseMeta{ID: "prim/client/10.3.1/1", Section: "10.3.1", Role: "client", Profile: "client",
			Requirement: "The UA's LOGIN carries its pres: identifier in From", Level: LevelMust,
			Statements: []string{"PRIM-A10.3.1-2"}, RFC2779: []string{"5.1.12"}},
			Verdict: Pass, Duration: 4 * time.Millisecond},
		{CaseMeta: CaseMeta{ID: "prim/client/10.1.5/1", Section: "10.1.5", Role: "client", Profile: "client",
			Requirement: "CANCELSUBSCRIPTION gets no response", Level: LevelMust,
			Statements: []string{"PRIM-A10.1.5-2"}, RFC2779: []string{"5.1.9"}},
			Verdict: Pass, Duration: 6 * time.Millisecond},
	}
}

func sampleBaseline() *Baseline {
	return &Baseline{Schema: BaselineSchema, ExpectedFailures: []BaselineEntry{
		{ID: "prim/server/10.1.1/2", Reason: "known: answers 403 for refused subscriptions"},
		{ID: "prim/client/10.1.5/1", Reason: "was broken in 0.0.9"},
		{ID: "prim/server/99/1", Reason: "case since renamed"},
	}}
}

func mustCatalogue(t testing.TB) *Catalogue {
	t.Helper()
	cat, err := LoadCatalogue()
	if err != nil {
		t.Fatalf("LoadCatalogue: %v", err)
	}
	return cat
}

func sampleResults(t testing.TB) *Results {
	t.Helper()
	return Build(sampleRun(), sampleCases(), mustCatalogue(t), sampleBaseline())
}
