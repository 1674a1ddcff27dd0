package pidf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const examples = "../../fixtures/examples/pidf"

func readVector(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examples, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mimeVector reads a ".txt" vector: a Content-Type line, a blank line, the body; LF becomes
// CRLF (fixtures README).
func mimeVector(t testing.TB, path string) (contentType string, body []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
	head, body, ok := bytes.Cut(b, []byte("\r\n\r\n"))
	if !ok || !bytes.HasPrefix(head, []byte("Content-Type: ")) {
		t.Fatalf("%s: not a Content-Type line + body", path)
	}
	return string(head[len("Content-Type: "):]), body
}

func zone(h int) *time.Location { return time.FixedZone("", h*3600) }

// The I2 §14.6 example (prim-digest.md §4.8, E6).
func e6Want() Presence {
	return Presence{
		Entity:      "pres:foo@bar.com",
		DisplayName: "FOO (^^)v",
		Note:        "I'm Hungry.",
		Tuples: []Tuple{
			{ID: "im:foo@bar.com", Status: Open, Contact: "im:foo@bar.com", DisplayName: "IM",
				Priority: Pref(1), Timestamp: time.Date(2000, 9, 5, 15, 45, 45, 0, zone(-5))},
			{ID: "tel:+1-800-IGOTYOU", Status: Open, Detail: "deferred", Contact: "tel:+1-800-IGOTYOU",
				DisplayName: "Phone(Office)", Timestamp: time.Date(2000, 9, 5, 16, 30, 28, 0, zone(-5))},
		},
	}
}

func TestPrimExampleE6(t *testing.T) {
	ct, body := mimeVector(t, filepath.Join(examples, "prim-i2-14.6.txt"))
	p, err := ParseClientBody(ct, body, "")
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(p, e6Want()) {
		t.Errorf("E6 parsed as\n%+v\nwant\n%+v", p, e6Want())
	}
	// Formatting and parsing again keeps the meaning (format differs in bytes: whitespace,
	// weekday corrected to Tue, boundary).
	ct2, body2, err := FormatClientBody(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ct2, "multipart/mixed; boundary=") {
		t.Errorf("Content-Type = %q", ct2)
	}
	back, err := ParseClientBody(ct2, body2, "")
	if err != nil {
		t.Fatalf("%v\n%s", err, body2)
	}
	if !Equal(back, p) {
		t.Errorf("round trip changed the meaning:\n%+v\n%+v", back, p)
	}
	if !bytes.Contains(body2, []byte(`date="Tue, 5 Sep 2000 15:45:45 -0500"`)) {
		t.Errorf("date not written in §4.9 form:\n%s", body2)
	}
	// Same input, same bytes (deterministic boundary).
	_, body3, _ := FormatClientBody(p)
	if !bytes.Equal(body2, body3) {
		t.Error("FormatClientBody is not deterministic")
	}
}

func TestPrimSingleDocument(t *testing.T) {
	p, err := ParseClientBody(TypePrim, readVector(t, "prim-single.xml"), "desk")
	if err != nil {
		t.Fatal(err)
	}
	want := Presence{
		Entity: "pres:joe@example.net", DisplayName: "Joe & Co", Note: "Back at 10", OtherMarkup: "BEGIN:VCARD",
		Tuples: []Tuple{{ID: "desk", Status: Closed, Detail: "deferred", Contact: "im:joe@example.net",
			DisplayName: "Desk", Priority: Pref(4294967295), Note: "in a meeting", OtherMarkup: "x",
			Timestamp: time.Date(2000, 3, 30, 9, 59, 34, 0, zone(-5))}},
	}
	if !Equal(p, want) {
		t.Errorf("got\n%+v\nwant\n%+v", p, want)
	}
	doc, err := FormatPrim(p, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Decision D23: emit identifier and detail (the DTD's spellings).
	for _, s := range []string{`identifier="pres:joe@example.net"`, `detail="deferred"`, `<preference value="4294967295"/>`, "Joe &amp; Co"} {
		if !bytes.Contains(doc, []byte(s)) {
			t.Errorf("FormatPrim output lacks %q:\n%s", s, doc)
		}
	}
	back, err := ParsePrim(doc)
	back.Tuples[0].ID = "desk"
	if err != nil || !Equal(back, want) {
		t.Errorf("ParsePrim(FormatPrim) = %+v, %v", back, err)
	}
}

func TestPrimRejects(t *testing.T) {
	const ok = `<presence identifier="pres:a@b" date="30 Mar 2000 09:59 +0000"><contact address="im:a@b"><display-name/><status value="open"/></contact></presence>`
	if _, err := ParsePrim([]byte(ok)); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	// The text's attribute name "address" is accepted on <presence> (Decision D23).
	if _, err := ParsePrim([]byte(strings.Replace(ok, "identifier=", "address=", 1))); err != nil {
		t.Errorf("address= on presence: %v", err)
	}
	bad := map[string]string{
		"status value":       strings.Replace(ok, `value="open"`, `value="busy"`, 1),                                                     // PRIM-A14.4.4-1
		"preference >= 2^32": strings.Replace(ok, `<status value="open"/>`, `<status value="open"/><preference value="4294967296"/>`, 1), // PRIM-A14.4.7-1
		"no contact address": strings.Replace(ok, ` address="im:a@b"`, "", 1),                                                            // PRIM-A14.4.3-2, D23
		"two contacts":       strings.Replace(ok, "</presence>", `<contact address="x:y"><display-name/><status value="open"/></contact></presence>`, 1),
		"no date":            strings.Replace(ok, ` date="30 Mar 2000 09:59 +0000"`, "", 1),
		"named zone":         strings.Replace(ok, "+0000", "GMT", 1),               // PRIM-A14.5-1
		"no status":          strings.Replace(ok, `<status value="open"/>`, "", 1), // PRIM-A14.4.3-1
		"not well-formed":    strings.Replace(ok, "</contact>", "", 1),             // PRIM-A14.3-1
		"trailing element":   ok + "<presence/>",
		"trailing text":      ok + "junk",
		"wrong root":         "<presentity/>",
		"empty":              "",
	}
	for name, doc := range bad {
		if _, err := ParsePrim([]byte(doc)); !errors.Is(err, ErrSyntax) {
			t.Errorf("%s: err = %v, want ErrSyntax", name, err)
		}
	}
}

func TestPrimMultipartRules(t *testing.T) {
	doc := `<presence identifier="pres:a@b" date="30 Mar 2000 09:59 +0000"><contact address="im:a@b"><display-name/><status value="open"/></contact></presence>`
	part := func(headers string) string {
		return "--B\r\n" + headers + "\r\n" + doc + "\r\n"
	}
	ct := `multipart/mixed; boundary="B"`
	good := part("Content-Type: application/presence\r\nTuple-ID: t1\r\n") + "--B--"
	p, err := ParseClientBody(ct, []byte(good), "")
	if err != nil || len(p.Tuples) != 1 || p.Tuples[0].ID != "t1" {
		t.Fatalf("good multipart: %+v %v", p, err)
	}
	bad := map[string]string{
		"no Tuple-ID (PRIM-A14.2-2)": part("Content-Type: application/presence\r\n") + "--B--",
		"CTE (PRIM-A14.2-3)":         part("Content-Type: application/presence\r\nTuple-ID: t1\r\nContent-Transfer-Encoding: 8bit\r\n") + "--B--",
		"wrong part type":            part("Content-Type: text/plain\r\nTuple-ID: t1\r\n") + "--B--",
		"unterminated":               part("Content-Type: application/presence\r\nTuple-ID: t1\r\n"),
	}
	for name, body := range bad {
		if _, err := ParseClientBody(ct, []byte(body), ""); !errors.Is(err, ErrSyntax) {
			t.Errorf("%s: err = %v, want ErrSyntax", name, err)
		}
	}
	if _, err := ParseClientBody(`multipart/mixed`, []byte(good), ""); !errors.Is(err, ErrSyntax) {
		t.Errorf("multipart without boundary: %v", err)
	}
	if _, err := ParseClientBody(TypeCPIMPIDF, []byte(doc), ""); !errors.Is(err, ErrSyntax) {
		t.Errorf("server-profile type on a client link: %v", err)
	}
	// Other MIME headers may appear and change nothing (PRIM-A14.2-4, A14.2-5).
	extra := part("Content-Type: application/presence\r\nContent-ID: <x@y>\r\nTuple-ID: t1\r\n") + "--B--"
	q, err := ParseClientBody(ct, []byte(extra), "")
	if err != nil || !Equal(p, q) {
		t.Errorf("Content-ID changed the result: %+v %v", q, err)
	}
}

func TestRFC3863Vectors(t *testing.T) {
	want := Presence{Entity: "pres:someone@example.com", Tuples: []Tuple{{ID: "t1", Status: Open,
		Contact: "im:someone@example.com", Priority: Pref(200), Timestamp: time.Date(2004, 8, 1, 12, 0, 0, 0, time.UTC)}}}
	for _, f := range []string{"rfc3863-minimal.xml", "rfc3863-prefixed.xml"} {
		p, err := ParsePIDF(readVector(t, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if !Equal(p, want) {
			t.Errorf("%s: got %+v", f, p)
		}
	}
	doc, err := FormatPIDF(want)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`<?xml version="1.0" encoding="UTF-8"?>`, `xmlns="urn:ietf:params:xml:ns:pidf"`,
		`entity="pres:someone@example.com"`, `<contact priority="0.8">`, "<timestamp>2004-08-01T12:00:00Z</timestamp>"} {
		if !bytes.Contains(doc, []byte(s)) {
			t.Errorf("FormatPIDF lacks %q:\n%s", s, doc)
		}
	}
}

func TestRFC3863Extensions(t *testing.T) {
	p, err := ParsePIDF(readVector(t, "rfc3863-mustunderstand.xml"))
	if err != nil {
		t.Fatal(err)
	}
	tu := p.Tuples[0]
	// The unknown mustUnderstand status extension is dropped, <basic> kept; the unknown tuple
	// extension is ignored with its content (its inner <note> is not the tuple's note); the
	// out-of-range priority 1.5 is ignored (rfc-digest.md §7.3, §7.6).
	if tu.Status != Closed || tu.Note != "away for lunch" || tu.Priority.Set {
		t.Errorf("tuple = %+v", tu)
	}
	if len(p.Ignored) != 1 || !strings.HasSuffix(p.Ignored[0], "}deep") {
		t.Errorf("Ignored = %q", p.Ignored)
	}
	if p.Note != "on holiday next week" {
		t.Errorf("presence note = %q", p.Note)
	}
}

func TestRFC3863Rules(t *testing.T) {
	zero := `<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@b"/>`
	if p, err := ParsePIDF([]byte(zero)); err != nil || len(p.Tuples) != 0 {
		t.Errorf("zero tuples must be accepted: %+v %v", p, err)
	}
	legacy := strings.Replace(zero, "urn:ietf:params:xml:ns:pidf", "urn:ietf:params:xml:ns:pidf:", 1)
	if _, err := ParsePIDF([]byte(legacy)); err != nil {
		t.Errorf("trailing-colon namespace alias: %v", err)
	}
	bad := map[string]string{
		"wrong namespace": strings.Replace(zero, "xml:ns:pidf", "xml:ns:other", 1),
		"no entity":       strings.Replace(zero, ` entity="pres:a@b"`, "", 1),
		"bad basic":       strings.Replace(zero, "/>", `><tuple id="x"><status><basic>away</basic></status></tuple></presence>`, 1),
		"duplicate id":    strings.Replace(zero, "/>", `><tuple id="x"><status/></tuple><tuple id="x"><status/></tuple></presence>`, 1),
		"bad timestamp":   strings.Replace(zero, "/>", `><tuple id="x"><status/><timestamp>yesterday</timestamp></tuple></presence>`, 1),
	}
	for name, doc := range bad {
		if _, err := ParsePIDF([]byte(doc)); !errors.Is(err, ErrSyntax) {
			t.Errorf("%s: err = %v, want ErrSyntax", name, err)
		}
	}
}

func TestQvalueMapping(t *testing.T) {
	tests := []struct {
		q    string
		rank uint32
		ok   bool
	}{
		{"1", 0, true}, {"1.0", 0, true}, {"1.000", 0, true}, {"0.8", 200, true}, {"0.999", 1, true},
		{"0", 1000, true}, {"0.", 1000, true}, {"1.5", 0, false}, {"0.1234", 0, false}, {"-0.1", 0, false}, {"abc", 0, false},
	}
	for _, tc := range tests {
		r, ok := qvalueRank(tc.q)
		if ok != tc.ok || ok && r != tc.rank {
			t.Errorf("qvalueRank(%q) = %d %v", tc.q, r, ok)
		}
	}
	for _, tc := range []struct {
		rank uint32
		q    string
	}{{0, "1"}, {1, "0.999"}, {200, "0.8"}, {1000, "0"}, {5000, "0"}} {
		if got := rankQvalue(tc.rank); got != tc.q {
			t.Errorf("rankQvalue(%d) = %q, want %q", tc.rank, got, tc.q)
		}
	}
}

func TestCPIMPIDFExampleE11(t *testing.T) {
	raw, err := os.ReadFile("../../fixtures/examples/cpim/cpim-pidf-01-5.3.txt")
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
	p, err := ParseServerBody("message/cpim", body)
	if err != nil {
		t.Fatal(err)
	}
	want := Presence{Entity: "pres:shingo@jp.fujitsu.com", Tuples: []Tuple{
		{ID: "im", Status: Open, Contact: "im:shingo@jp.fujitsu.com", Priority: Pref(2), Note: "at my desk"},
		{ID: "mobile", Status: Closed, Contact: "im:shingo-mobile@jp.fujitsu.com", Priority: Pref(5)},
	}}
	if !Equal(p, want) {
		t.Errorf("got %+v", p)
	}
	// The DateTime header is required when CPIM-PIDF is wrapped (prim-digest.md §4.10).
	noDate := bytes.Replace(body, []byte("DateTime: 2001-06-01T08:35:44+09:00\r\n"), nil, 1)
	if _, err := ParseServerBody("message/cpim", noDate); !errors.Is(err, ErrSyntax) {
		t.Errorf("wrapper without DateTime: %v", err)
	}
}

func TestCPIMPIDFMustUnderstand(t *testing.T) {
	_, err := ParseCPIMPIDF(readVector(t, "cpim-pidf-mustunderstand.xml"))
	if !errors.Is(err, ErrNotUnderstood) {
		t.Errorf("err = %v, want ErrNotUnderstood (whole document unrecognised)", err)
	}
	// Without the flag the extension is simply ignored.
	doc := bytes.Replace(readVector(t, "cpim-pidf-mustunderstand.xml"), []byte(" mustUnderstand='YES'"), nil, 1)
	if p, err := ParseCPIMPIDF(doc); err != nil || p.Tuples[0].Status != Open {
		t.Errorf("unflagged extension: %+v %v", p, err)
	}
}

func TestCPIMPIDFRules(t *testing.T) {
	ok := `<presence xmlns="urn:ietf:params:cpim-presence:"><presentity id="pres:a@b"/><tuple id="x"><status><value>open</value></status><contact priority="255">im:a@b</contact></tuple></presence>`
	if _, err := ParseCPIMPIDF([]byte(ok)); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"no tuple":      `<presence xmlns="urn:ietf:params:cpim-presence:"><presentity id="pres:a@b"/></presence>`,
		"no presentity": strings.Replace(ok, `<presentity id="pres:a@b"/>`, "", 1),
		"priority 256":  strings.Replace(ok, `"255"`, `"256"`, 1),
		"wrong ns":      strings.Replace(ok, "cpim-presence:", "cpim-presence", 1),
		"bad value":     strings.Replace(ok, "<value>open</value>", "<value>busy</value>", 1),
	}
	for name, doc := range bad {
		if _, err := ParseCPIMPIDF([]byte(doc)); !errors.Is(err, ErrSyntax) {
			t.Errorf("%s: err = %v, want ErrSyntax", name, err)
		}
	}
	// A value of another status type is not the basic status.
	typed := strings.Replace(ok, "<value>open</value>", `<value type="urn:x:mood">happy</value><value>closed</value>`, 1)
	if p, err := ParseCPIMPIDF([]byte(typed)); err != nil || p.Tuples[0].Status != Closed {
		t.Errorf("typed value: %+v %v", p, err)
	}
}

func TestPresenceDataIDReplaces(t *testing.T) {
	doc := func(id, status string) string {
		return `<presence xmlns="urn:ietf:params:cpim-presence:"><presentity id="pres:a@b"/><tuple id="` + id +
			`"><status><value>` + status + `</value></status></tuple></presence>`
	}
	part := func(unit, d string) string {
		return "--X\r\nContent-Type: application/cpim-pidf+xml\r\nPresence-Data-ID: " + unit + "\r\n\r\n" + d + "\r\n"
	}
	body := part("p1", doc("t1", "open")) + part("p2", doc("t2", "open")) + part("p1", doc("t1b", "closed")) + "--X--"
	p, err := ParseServerBody(`multipart/mixed; boundary=X`, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := Presence{Entity: "pres:a@b", Tuples: []Tuple{{ID: "t1b", Status: Closed}, {ID: "t2", Status: Open}}}
	if !Equal(p, want) {
		t.Errorf("got %+v", p)
	}
}

func TestConversionsE6(t *testing.T) {
	// Decision D2: PRIM -> CPIM-PIDF and PRIM -> RFC 3863 keep the common meaning.
	p := e6Want()
	c, err := FormatCPIMPIDF(p)
	if err != nil {
		t.Fatal(err)
	}
	fromC, err := ParseCPIMPIDF(c)
	if err != nil {
		t.Fatalf("%v\n%s", err, c)
	}
	if !Equal(Common(fromC), Common(p)) {
		t.Errorf("via CPIM-PIDF:\n%+v\n%+v", Common(fromC), Common(p))
	}
	// The presentity's display name and note go to the document note (D2).
	if fromC.Note != "I'm Hungry." {
		t.Errorf("CPIM-PIDF note = %q", fromC.Note)
	}
	x, err := FormatPIDF(p)
	if err != nil {
		t.Fatal(err)
	}
	fromX, err := ParsePIDF(x)
	if err != nil {
		t.Fatalf("%v\n%s", err, x)
	}
	if !Equal(Common(fromX), Common(p)) {
		t.Errorf("via PIDF:\n%+v\n%+v", Common(fromX), Common(p))
	}
	// Back to PRIM from CPIM-PIDF: timestamps survive, so the client body can be built.
	if _, _, err := FormatClientBody(fromC); err != nil {
		t.Errorf("CPIM-PIDF -> PRIM: %v", err)
	}
	// Clamping: a PRIM preference above 255 becomes CPIM-PIDF priority 255.
	p.Tuples[0].Priority = Pref(100000)
	c, _ = FormatCPIMPIDF(p)
	if !bytes.Contains(c, []byte(`priority="255"`)) {
		t.Errorf("priority not clamped:\n%s", c)
	}
}

func TestEqualByMeaning(t *testing.T) {
	a := e6Want()
	b := e6Want()
	b.Entity = "pres:FOO@Bar.Com"                       // identifiers compare case-insensitively
	b.Tuples[0], b.Tuples[1] = b.Tuples[1], b.Tuples[0] // order of tuples does not matter
	b.Tuples[0].Timestamp = b.Tuples[0].Timestamp.UTC() // same instant, other zone
	if !Equal(a, b) {
		t.Error("Equal must compare by meaning")
	}
	b.Tuples[1].Status = Closed
	if Equal(a, b) {
		t.Error("a status change must break Equal")
	}
}

func TestVisibleOrder(t *testing.T) {
	p := Presence{Tuples: []Tuple{{ID: "c"}, {ID: "b", Priority: Pref(5)}, {ID: "a", Priority: Pref(1)}}}
	var got []string
	for _, tu := range p.Visible() {
		got = append(got, tu.ID)
	}
	if strings.Join(got, ",") != "a,b,c" { // lower value preferred; none = least (PRIM-A14.4.7-2)
		t.Errorf("Visible order = %v", got)
	}
}

func TestXMLSafety(t *testing.T) {
	// No external entity expansion, no billion-laughs: directives are ignored and undefined
	// entities are errors.
	xxe := `<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><presence identifier="pres:a@b" date="30 Mar 2000 09:59 +0000"><contact address="im:a@b"><display-name>&x;</display-name><status value="open"/></contact></presence>`
	if _, err := ParsePrim([]byte(xxe)); !errors.Is(err, ErrSyntax) {
		t.Errorf("external entity: %v", err)
	}
	deep := strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)
	if _, err := ParseSubscribers([]byte(deep)); !errors.Is(err, ErrSyntax) {
		t.Errorf("deep nesting: %v", err)
	}
}

func TestFormatClientBodyShapes(t *testing.T) {
	one := e6Want()
	one.Tuples = one.Tuples[:1]
	ct, body, err := FormatClientBody(one)
	if err != nil {
		t.Fatal(err)
	}
	// One tuple still travels as a part with its Tuple-ID (PRIM-A14.2-2).
	if !strings.HasPrefix(ct, "multipart/mixed;") || !bytes.Contains(body, []byte("\r\nTuple-ID: im:foo@bar.com\r\n")) {
		t.Errorf("single tuple body: %q\n%s", ct, body)
	}
	if ct, body, err := FormatClientBody(Presence{Entity: "pres:a@b"}); ct != "" || body != nil || err != nil {
		t.Errorf("no tuples: %q %q %v", ct, body, err)
	}
	if p, err := ParseClientBody(TypePrim, nil, ""); err != nil || len(p.Tuples) != 0 {
		t.Errorf("empty body: %+v %v", p, err)
	}
	dup := e6Want()
	dup.Tuples[1].ID = dup.Tuples[0].ID
	if _, _, err := FormatClientBody(dup); err == nil {
		t.Error("duplicate Tuple-IDs accepted")
	}
}

func TestWrapCPIMRoundTrip(t *testing.T) {
	p := Common(e6Want())
	p.Tuples[0].ID, p.Tuples[1].ID = "im", "tel"
	doc, err := FormatCPIMPIDF(p)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2001, 6, 1, 8, 35, 44, 0, zone(9))
	wrapped := WrapCPIM(doc, TypeCPIMPIDF, "pres:foo@bar.com", "pres:watcher@example.org", at)
	if !bytes.Contains(wrapped, []byte("\r\nDateTime: 2001-06-01T08:35:44+09:00\r\n")) {
		t.Errorf("wrapper:\n%s", wrapped)
	}
	back, err := ParseServerBody("message/cpim", wrapped)
	if err != nil || !Equal(back, p) {
		t.Errorf("ParseServerBody(WrapCPIM) = %+v, %v", back, err)
	}
}
