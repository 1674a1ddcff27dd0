package reports_test

import (
	"fmt"
	"time"

	"github.com/primlab/primlab/reports"
)

func ExampleBuild() {
	cat, err := reports.LoadCatalogue()
	if err != nil {
		panic(err)
	}
	run := reports.RunMeta{Version: "dev", Target: "localhost:7070", Roles: []string{"server"}, Profile: "client",
		Start: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), Duration: time.Second}
	cases := []reports.CaseResult{
		{CaseMeta: reports.CaseMeta{ID: "prim/server/10.3.1/2", Section: "10.3.1", Level: reports.LevelMust,
			Requirement: "A request before LOGIN completes is answered 401", Role: "server", Profile: "client",
			Statements: []string{"PRIM-A10.3.1-7"}, RFC2779: []string{"5.1.12"}}, Verdict: reports.Pass},
		{CaseMeta: reports.CaseMeta{ID: "prim/server/9.2.1/1", Section: "9.2.1", Level: reports.LevelShould,
			Requirement: "Content-Transfer-Encoding is rejected with 400", Role: "server", Profile: "client",
			Statements: []string{"PRIM-A9.2.1-4"}}, Verdict: reports.Fail, Message: "got 200 OK"},
	}
	r := reports.Build(run, cases, cat, nil)
	fmt.Println("conformant:", r.Conformant(false), "strict:", r.Conformant(true))
	for _, q := range r.Requirements {
		if q.ID == "5.1.12" {
			fmt.Println(q.ID, q.Verdict, q.Cases)
		}
	}
	fmt.Println("untested RFC 2779 requirements:", r.Summary.Requirements[reports.Untested])
	// Output:
	// conformant: true strict: false
	// 5.1.12 pass [prim/server/10.3.1/2]
	// untested RFC 2779 requirements: 87
}
