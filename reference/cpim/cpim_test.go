package cpim

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const examples = "../../fixtures/examples/cpim"

// load reads a vector and turns its LF line ends into CRLF (see the fixtures README).
func load(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examples, name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
}

func TestVectorsRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(examples, "*.txt"))
	if len(files) < 4 {
		t.Fatalf("expected the cpim vectors, found %d", len(files))
	}
	for _, f := range files {
		in := load(t, filepath.Base(f))
		m, err := Parse(in)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		// RFC 3862 §3.1: headers must not be modified or reordered: format(parse(x)) == x.
		if out := m.Format(); !bytes.Equal(out, in) {
			t.Errorf("%s: Format(Parse(x)) != x\n got %q\nwant %q", f, out, in)
		}
		if err := m.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", f, err)
		}
	}
}

func TestCanonicalExample(t *testing.T) {
	m, err := Parse(load(t, "rfc3862-canonical.txt"))
	if err != nil {
		t.Fatal(err)
	}
	from, err := m.From()
	if err != nil || from != (Address{Name: "MR SANDERS", URI: "im:piglet@100akerwood.com"}) {
		t.Errorf("From = %+v, %v", from, err)
	}
	to, err := m.To()
	if err != nil || len(to) != 1 || to[0] != (Address{Name: "Depressed Donkey", URI: "im:eeyore@100akerwood.com"}) {
		t.Errorf("To = %+v, %v", to, err)
	}
	dt, ok, err := m.DateTime()
	want := time.Date(2000, 12, 13, 21, 40, 0, 0, time.UTC)
	if !ok || err != nil || !dt.Equal(want) {
		t.Errorf("DateTime = %v %v %v", dt, ok, err)
	}
	subjects := m.Subjects()
	wantSubj := []Subject{{"", "the weather will be fine today"}, {"fr", "beau temps prevu pour aujourd'hui"}}
	if !reflect.DeepEqual(subjects, wantSubj) {
		t.Errorf("Subjects = %+v", subjects)
	}
	if got := m.Require(); !reflect.DeepEqual(got, []string{"MyFeatures.VitalMessageOption"}) {
		t.Errorf("Require = %q", got)
	}
	res, err := m.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	urns := map[string]string{}
	for _, r := range res {
		urns[r.Name] = r.URN
	}
	if urns["From"] != "urn:ietf:params:cpim-headers:From" {
		t.Errorf("From URN = %q", urns["From"])
	}
	if urns["MyFeatures.WackyMessageOption"] != "mid:MessageFeatures@id.foo.comWackyMessageOption" {
		t.Errorf("prefixed URN = %q", urns["MyFeatures.WackyMessageOption"])
	}
	// The Require names a MyFeatures header: a recipient that knows only the core headers
	// must not process the message; one that knows the feature may.
	if err := m.CheckRequire(nil); !errors.Is(err, ErrNotUnderstood) {
		t.Errorf("CheckRequire(core) = %v, want ErrNotUnderstood", err)
	}
	knows := func(ns, name string) bool {
		return CoreRecognizer(ns, name) || ns == "mid:MessageFeatures@id.foo.com" && name == "VitalMessageOption"
	}
	if err := m.CheckRequire(knows); err != nil {
		t.Errorf("CheckRequire(feature) = %v", err)
	}
	if ct := m.ContentType(); ct != "text/xml; charset=utf-8" {
		t.Errorf("ContentType = %q", ct)
	}
	if !bytes.HasPrefix(m.Body, []byte("<body>\r\n")) {
		t.Errorf("Body = %q", m.Body)
	}
}

func TestGatewayExampleNamespaces(t *testing.T) {
	// I2 §16.2 (E10): PRIM.Message-ID and PRIM.Conversation-ID in the PRIM namespace.
	m, err := Parse(load(t, "prim-i2-16.2-gateway.txt"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, r := range res {
		if r.Namespace == "http://www.fujitsulabs.com/prim/" {
			found++
			if r.LocalName() != "Message-ID" && r.LocalName() != "Conversation-ID" {
				t.Errorf("unexpected PRIM header %q", r.Name)
			}
		}
	}
	if found != 2 {
		t.Errorf("found %d PRIM-namespace headers, want 2", found)
	}
}

func TestEscapesVector(t *testing.T) {
	m, err := Parse(load(t, "escapes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	from, err := m.From()
	if err != nil || from.Name != `Jane "JJ" Smith` || from.URI != "im:%22Jane%20Smith%22@domain.com" {
		t.Errorf("From = %+v %v", from, err)
	}
	if got := m.Subjects()[0].Text; got != "tab\there, newline\nthere, backslash\\, bell\a, snowman \u2603" {
		t.Errorf("Subject = %q", got)
	}
	cc, err := m.CC()
	if err != nil || len(cc) != 1 || cc[0].Name != "Carol" {
		t.Errorf("cc = %+v %v", cc, err)
	}
	res, err := m.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	last := res[len(res)-1]
	if last.Name != "Flavour" || last.Namespace != "http://example.org/default-ns/" {
		t.Errorf("default-namespace NS not honoured: %+v", last)
	}
}

func TestEscapeGenerator(t *testing.T) {
	// RFC 3862 §3.2 generator rules (rfc-digest.md §6.3).
	tests := []struct{ in, out string }{
		{"plain text, \"quotes\" and 'apostrophes'", "plain text, \"quotes\" and 'apostrophes'"},
		{"a\\b", `a\\b`},
		{"\b\t\n\r", `\b\t\n\r`},
		{"\x00\x07\x0b\x0c\x0e\x1f\x7f", `\u0000\u0007\u000B\u000C\u000E\u001F\u007F`},
		{"caf\u00e9 \u2603", "caf\u00e9 \u2603"}, // nothing else escaped
	}
	for _, tc := range tests {
		if got := Escape(tc.in); got != tc.out {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.out)
		}
		if got := Unescape(tc.out); got != tc.in {
			t.Errorf("Unescape(%q) = %q, want %q", tc.out, got, tc.in)
		}
	}
	if got := Quote(`say "hi"`); got != `"say \"hi\""` {
		t.Errorf("Quote = %q", got)
	}
}

func TestUnescapeTolerance(t *testing.T) {
	// Parsers SHOULD accept any sequence anywhere, take \x as x, drop a lone trailing "\".
	tests := []struct{ in, out string }{
		{`\"\'`, `"'`},
		{`\q`, "q"},
		{`end\`, "end"},
		{`\u00e9`, "\u00e9"},
		{`\uD83D\uDE00`, "\U0001F600"}, // UTF-16 surrogate pair
		{`\u12`, "u12"},
	}
	for _, tc := range tests {
		if got := Unescape(tc.in); got != tc.out {
			t.Errorf("Unescape(%q) = %q, want %q", tc.in, got, tc.out)
		}
	}
}

func TestHeaderRules(t *testing.T) {
	good := []string{"From: <im:a@b>", "Subject:;lang=fr Objet", "X.Y: z", "cc: <im:c@d>"}
	for _, l := range good {
		h, err := ParseHeader(l)
		if err != nil {
			t.Errorf("ParseHeader(%q): %v", l, err)
			continue
		}
		if h.String() != l {
			t.Errorf("String(ParseHeader(%q)) = %q", l, h.String())
		}
	}
	bad := map[string]string{
		"From:<im:a@b>":      "no SP",
		"From:  <im:a@b>":    "two SP",
		" From: <im:a@b>":    "leading whitespace",
		"From: <im:a@b> ":    "trailing whitespace",
		"Fr om: x":           "SP in name",
		"From\x01: x":        "control in name",
		"Subject: a\tb":      "raw TAB must be escaped",
		"Subject;lang=fr: x": "msgfmt-00 lang placement (before the colon)",
		"a.b.c: x":           "two dots",
		".x: y":              "leading dot",
		": x":                "empty name",
	}
	for l, why := range bad {
		if _, err := ParseHeader(l); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseHeader(%q) (%s) = %v, want ErrSyntax", l, why, err)
		}
	}
	// Names are case-sensitive: "from" is not From (rfc-digest.md §6.7).
	m := &Message{Headers: []Header{{Name: "from", Value: "<im:a@b>"}}}
	if _, ok := m.Get("From"); ok {
		t.Error("Get(From) matched a from header")
	}
}

func TestPrefixBeforeNS(t *testing.T) {
	in := "Content-Type: message/cpim\r\n\r\nP.X: 1\r\nNS: P <urn:x:y>\r\n\r\nContent-Type: text/plain\r\n\r\n"
	m, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Resolve(); !errors.Is(err, ErrSyntax) {
		t.Errorf("Resolve with prefix before NS = %v, want ErrSyntax", err)
	}
}

func TestParseStructureErrors(t *testing.T) {
	for name, in := range map[string]string{
		"no blank after MIME":     "Content-Type: message/cpim\r\nFrom: <im:a@b>\r\n",
		"no blank after headers":  "Content-Type: message/cpim\r\n\r\nFrom: <im:a@b>\r\n",
		"bad message header":      "Content-Type: message/cpim\r\n\r\nFrom:<im:a@b>\r\n\r\nContent-Type: text/plain\r\n\r\n",
		"no content header block": "Content-Type: message/cpim\r\n\r\nFrom: <im:a@b>\r\n\r\n",
		"bare LF":                 "Content-Type: message/cpim\n\nFrom: <im:a@b>\n\nContent-Type: text/plain\n\nhi",
		"continuation first":      " x\r\n\r\n\r\n\r\n",
	} {
		if _, err := Parse([]byte(in)); !errors.Is(err, ErrSyntax) {
			t.Errorf("%s: err = %v, want ErrSyntax", name, err)
		}
	}
}

func TestValidateRequiresFromToAndContentType(t *testing.T) {
	base := "Content-Type: message/cpim\r\n\r\nFrom: <im:a@b>\r\nTo: <im:c@d>\r\n\r\nContent-Type: text/plain\r\n\r\nhi"
	m, err := Parse([]byte(base))
	if err != nil || m.Validate() != nil {
		t.Fatalf("base: %v %v", err, m.Validate())
	}
	for name, in := range map[string]string{
		"no To":          strings.Replace(base, "To: <im:c@d>\r\n", "", 1),
		"no From":        strings.Replace(base, "From: <im:a@b>\r\n", "", 1),
		"inner no CT":    strings.Replace(base, "Content-Type: text/plain\r\n", "X-Other: 1\r\n", 1),
		"outer not cpim": strings.Replace(base, "message/cpim", "text/plain", 1),
		"bad DateTime":   strings.Replace(base, "To: <im:c@d>\r\n", "To: <im:c@d>\r\nDateTime: yesterday\r\n", 1),
	} {
		m, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Validate() == nil {
			t.Errorf("%s: Validate accepted", name)
		}
	}
}

func TestAddress(t *testing.T) {
	tests := []struct {
		in   string
		want Address
	}{
		{"<im:a@b>", Address{URI: "im:a@b"}},
		{"MR SANDERS <im:piglet@100akerwood.com>", Address{"MR SANDERS", "im:piglet@100akerwood.com"}},
		{`"Jane \"JJ\" Smith" <im:j@d>`, Address{`Jane "JJ" Smith`, "im:j@d"}},
		{`"Zoë" <im:z@d>`, Address{"Zoë", "im:z@d"}},
	}
	for _, tc := range tests {
		got, err := ParseAddress(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseAddress(%q) = %+v, %v", tc.in, got, err)
		}
		if s := got.String(); s != tc.in {
			t.Errorf("String(%+v) = %q, want %q", got, s, tc.in)
		}
	}
	for _, bad := range []string{"im:a@b", "<>", "Name<im:a@b>", `"unterminated <im:a@b>`, "a, b <im:a@b>"} {
		if _, err := ParseAddress(bad); err == nil {
			t.Errorf("ParseAddress(%q) accepted", bad)
		}
	}
}

func TestBuildAndFormat(t *testing.T) {
	m := &Message{
		MIME:    []MIMEHeader{{"Content-Type", MediaType}},
		Content: []MIMEHeader{{"Content-Type", "text/plain; charset=UTF-8"}},
		Body:    []byte("hello"),
	}
	m.Add(HeaderFrom, Address{Name: "Alice", URI: "im:alice@example.net"}.String())
	m.Add(HeaderTo, Address{URI: "im:bob@domain.com"}.String())
	m.Add(HeaderDateTime, FormatDateTime(time.Date(2001, 2, 26, 9, 52, 8, 0, time.FixedZone("", 9*3600))))
	m.AddSubject("fr", "ligne\nsuivante")
	want := "Content-Type: message/cpim\r\n\r\n" +
		"From: Alice <im:alice@example.net>\r\nTo: <im:bob@domain.com>\r\n" +
		"DateTime: 2001-02-26T09:52:08+09:00\r\nSubject:;lang=fr ligne\\nsuivante\r\n\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\n\r\nhello"
	if got := string(m.Format()); got != want {
		t.Errorf("Format =\n%q\nwant\n%q", got, want)
	}
	back, err := Parse(m.Format())
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Errorf("Parse(Format(m)) = %+v, %v", back, err)
	}
}
