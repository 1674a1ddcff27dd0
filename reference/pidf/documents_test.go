package pidf

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reference/addr"
)

func TestClassTableExampleE7(t *testing.T) {
	ct, err := ParseClassTable(readVector(t, "classtable-i2-13.1.2.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ct.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	// prim-digest.md §4.7: most specific entry wins (PRIM-A13.1.2-1, Decision D39); unmatched
	// watchers are in the default class (PRIM-A5.3-2); scheme and case do not matter (D22).
	tests := []struct {
		watcher string
		class   string
		ok      bool
	}{
		{"pres:wife@example.com", "important_people", true},
		{"pres:boss@workdomain.com", "important_people", true},
		{"pres:slacker@workdomain.com", "not_so_important_people", true},
		{"im:Slacker@WorkDomain.COM", "not_so_important_people", true},
		{"pres:friend@otherexample.com", "not_so_important_people", true},
		{"pres:uncle@otherdomain.com", "not_so_important_people", true},
		{"pres:stranger@elsewhere.org", "", false},
		{"pres:wife@example.org", "", false},
	}
	for _, tc := range tests {
		got, ok := ct.ClassOf(addr.MustParse(tc.watcher))
		if got != tc.class || ok != tc.ok {
			t.Errorf("ClassOf(%s) = %q %v, want %q %v", tc.watcher, got, ok, tc.class, tc.ok)
		}
	}
	back, err := ParseClassTable(FormatClassTable(ct))
	if err != nil || !reflect.DeepEqual(back, ct) {
		t.Errorf("round trip: %+v %v", back, err)
	}
	if !ct.HasClass("important_people") || ct.HasClass("everyone") {
		t.Error("HasClass")
	}
}

func TestClassTableEverybodyAndValidate(t *testing.T) {
	// I0/I1 style: an explicit class holding "." takes everyone else (Decision D39).
	ct, err := ParseClassTable([]byte(`<CLASSTABLE><CLASS NAME="everyone"><WATCHER>.</WATCHER></CLASS><class name="vip"><watcher>a@b.c</watcher></class></CLASSTABLE>`))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := ct.ClassOf(addr.MustParse("pres:z@y.x")); c != "everyone" || !ok {
		t.Errorf("ClassOf = %q %v", c, ok)
	}
	if c, _ := ct.ClassOf(addr.MustParse("pres:a@b.c")); c != "vip" {
		t.Errorf("exact entry must beat \".\": %q", c)
	}
	bad := map[string]ClassTable{
		"same watcher twice (D39)": {Classes: []Class{{"a", []string{"x@y"}}, {"b", []string{"X@Y"}}}},
		"same domain twice":        {Classes: []Class{{"a", []string{"@y"}}, {"b", []string{"@Y"}}}},
		"class defined twice":      {Classes: []Class{{"a", nil}, {"a", nil}}},
		"bad class name":           {Classes: []Class{{"has space", nil}}},
		"bad entry":                {Classes: []Class{{"a", []string{"not an id"}}}},
	}
	for name, ct := range bad {
		if err := ct.Validate(); err == nil {
			t.Errorf("%s: Validate accepted", name)
		}
	}
}

func TestACLExampleE8(t *testing.T) {
	a, err := ParseACL(readVector(t, "acl-i2-13.2.4.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Validate(PresentityACL); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if err := a.Validate(InboxACL); err == nil {
		t.Error("presentity rights must not validate as an inbox ACL")
	}
	// prim-digest.md §7.5 (PRIM-A13.2.1-4): everyone at badguys.com except goodfriend is denied
	// everything; everybody else may fetch; mycompany.com may also subscribe; the secretary may
	// do everything.
	tests := []struct {
		requester string
		rights    []Right
		matched   string
	}{
		{"pres:secretary@mycompany.com", []Right{Fetch, Subscribe, Publish, Remove}, "secretary@mycompany.com"},
		{"pres:alice@mycompany.com", []Right{Fetch, Subscribe}, "@mycompany.com"},
		{"pres:GoodFriend@BadGuys.com", []Right{Fetch, Subscribe}, "goodfriend@badguys.com"},
		{"im:evil@badguys.com", []Right{}, "@badguys.com"},
		{"pres:anyone@example.org", []Right{Fetch}, "."},
	}
	for _, tc := range tests {
		got, matched := a.Lookup(addr.MustParse(tc.requester))
		if len(got) == 0 {
			got = []Right{}
		}
		if !reflect.DeepEqual(got, tc.rights) || matched != tc.matched {
			t.Errorf("Lookup(%s) = %v via %q, want %v via %q", tc.requester, got, matched, tc.rights, tc.matched)
		}
	}
	if a.Allows(addr.MustParse("pres:evil@badguys.com"), Fetch) {
		t.Error("evil@badguys.com must not fetch")
	}
	back, err := ParseACL(FormatACL(a))
	if err != nil || !reflect.DeepEqual(back, a) {
		t.Errorf("round trip: %+v %v", back, err)
	}
}

func TestACLDefaultDenyOwnerAndDefaults(t *testing.T) {
	empty := ACL{}
	r := addr.MustParse("pres:x@y.z")
	if rights, m := empty.Lookup(r); rights != nil || m != "" {
		t.Errorf("empty ACL grants %v via %q (default deny)", rights, m)
	}
	owner := addr.MustParse("pres:bob@workdomain.com")
	// Decision D15: the owner may always act on its own resource, whatever the ACL says, in
	// either scheme.
	if !Permitted(empty, owner, addr.MustParse("im:Bob@workdomain.com"), Publish) {
		t.Error("owner denied")
	}
	if Permitted(empty, owner, r, Fetch) {
		t.Error("stranger allowed by empty ACL")
	}
	d := DefaultACL(PresentityACL)
	if !d.Allows(r, Fetch) || !d.Allows(r, Subscribe) || d.Allows(r, Publish) {
		t.Errorf("default presentity ACL = %+v", d)
	}
	if di := DefaultACL(InboxACL); !di.Allows(r, Send) || di.Allows(r, Listen) {
		t.Errorf("default inbox ACL = %+v", di)
	}
}

func TestACLI0Form(t *testing.T) {
	a, err := ParseACL(readVector(t, "acl-i0.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Allows(addr.MustParse("pres:goodfriend@badguys.com"), Subscribe) ||
		a.Allows(addr.MustParse("pres:x@badguys.com"), Fetch) ||
		!a.Allows(addr.MustParse("pres:x@other.net"), Fetch) {
		t.Errorf("I0 ACL misread: %+v", a)
	}
}

func TestACLRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown right": `<acl><entry><target><address>.</address></target><allow><delete/></allow></entry></acl>`,
		"no target":     `<acl><entry><allow><fetch/></allow></entry></acl>`,
		"wrong root":    `<classtable/>`,
	} {
		if _, err := ParseACL([]byte(doc)); !errors.Is(err, ErrSyntax) {
			t.Errorf("%s: %v", name, err)
		}
	}
	dup := ACL{Entries: []ACLEntry{{Targets: []string{"@x.y"}}, {Targets: []string{"@X.Y"}}}}
	if dup.Validate(PresentityACL) == nil {
		t.Error("duplicate target accepted")
	}
	inbox := ACL{Entries: []ACLEntry{{Targets: []string{"."}, Allow: []Right{Send, Listen}}}}
	if err := inbox.Validate(InboxACL); err != nil {
		t.Errorf("inbox ACL: %v", err)
	}
}

func TestSubscribers(t *testing.T) {
	ids, err := ParseSubscribers(readVector(t, "subscribers.xml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pres:alice@example.net", "pres:bob@domain.com"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("got %q", ids)
	}
	if got := string(FormatSubscribers(want)); got != "<subscribers><subscriber>pres:alice@example.net</subscriber><subscriber>pres:bob@domain.com</subscriber></subscribers>" {
		t.Errorf("FormatSubscribers = %s", got)
	}
	if ids, err := ParseSubscribers(FormatSubscribers(nil)); err != nil || len(ids) != 0 {
		t.Errorf("empty list: %q %v", ids, err)
	}
	if _, err := ParseSubscribers([]byte("<SUBSCRIBERS/>")); err != nil {
		t.Errorf("I0/I1 root: %v", err)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"Thu, 30 Mar 2000 09:59:34 -0500", time.Date(2000, 3, 30, 9, 59, 34, 0, zone(-5))},                 // §4.9 example
		{"30 Mar 2000 09:59 -0500", time.Date(2000, 3, 30, 9, 59, 0, 0, zone(-5))},                          // no day, no seconds
		{"thu, 5 SEP 2000 15:45:45 +0930", time.Date(2000, 9, 5, 15, 45, 45, 0, time.FixedZone("", 34200))}, // PRIM-A14.5-2; wrong weekday tolerated (D40)
		{"Thu,5 Sep 2000 15:45:45 +0000", time.Date(2000, 9, 5, 15, 45, 45, 0, time.UTC)},
	}
	for _, tc := range tests {
		got, err := ParseDate(tc.in)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		_, off := got.Zone()
		_, woff := tc.want.Zone()
		if off != woff {
			t.Errorf("ParseDate(%q) offset %d, want %d", tc.in, off, woff)
		}
	}
	for _, bad := range []string{
		"Thu, 30 Mar 2000 09:59:34 EST", // PRIM-A14.5-1: numeric zones only
		"Thu, 30 Mar 2000 09:59:34 GMT",
		"Thu, 30 Mar 2000 09:59:34",
		"Thu, 30 Mar 00 09:59:34 -0500",
		"Thu, 31 Apr 2000 09:59:34 -0500",
		"Thu, 30 Mar 2000  09:59:34 -0500", // single spaces (D24)
		"Xyz, 30 Mar 2000 09:59:34 -0500",
		"30 \u017fep 2000 09:59 -0500", // Unicode folding must not apply (ASCII only)
		"30 Mar 2000 24:00 -0500",
		"2000-03-30T09:59:34-05:00",
	} {
		if _, err := ParseDate(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseDate(%q) = %v, want ErrSyntax", bad, err)
		}
	}
	if got := FormatDate(time.Date(2000, 3, 30, 9, 59, 34, 0, zone(-5))); got != "Thu, 30 Mar 2000 09:59:34 -0500" {
		t.Errorf("FormatDate = %q", got)
	}
}

func TestISO8601AndAnyDate(t *testing.T) {
	want := time.Date(2001, 2, 2, 15, 48, 54, 0, time.UTC)
	for _, s := range []string{"2001-02-02T10:48:54-05:00", "2001-02-02t15:48:54z"} {
		if got, err := ParseISO8601(s); err != nil || !got.Equal(want) {
			t.Errorf("ParseISO8601(%q) = %v %v", s, got, err)
		}
	}
	if got := FormatISO8601(want); got != "2001-02-02T15:48:54Z" { // RFC 3863: upper-case T and Z
		t.Errorf("FormatISO8601 = %q", got)
	}
	// Decision D24: both forms on input.
	for _, s := range []string{"Fri, 2 Feb 2001 10:48:54 -0500", "2001-02-02T10:48:54-05:00"} {
		if got, err := ParseAnyDate(s); err != nil || !got.Equal(want) {
			t.Errorf("ParseAnyDate(%q) = %v %v", s, got, err)
		}
	}
	if _, err := ParseAnyDate("yesterday"); !errors.Is(err, ErrSyntax) {
		t.Errorf("ParseAnyDate(yesterday) = %v", err)
	}
	if !strings.Contains(FormatDate(want.In(zone(9))), "+0900") {
		t.Error("FormatDate must keep the zone offset")
	}
}
