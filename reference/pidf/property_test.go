package pidf

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func genPresence(t *rapid.T) Presence {
	entity := fmt.Sprintf("pres:%s@%s.example", rapid.StringMatching(`[a-z][a-z0-9._-]{0,8}`).Draw(t, "local"),
		rapid.StringMatching(`[a-z][a-z0-9-]{0,8}`).Draw(t, "domain"))
	p := Presence{Entity: entity,
		DisplayName: rapid.StringMatching(`[ -~é☃]{0,10}`).Draw(t, "display"),
		Note:        rapid.StringMatching(`[ -~é☃\n]{0,10}`).Draw(t, "note")}
	n := rapid.IntRange(1, 4).Draw(t, "tuples")
	base := time.Date(2001, 6, 1, 8, 35, 44, 0, time.UTC)
	for i := 0; i < n; i++ {
		tu := Tuple{
			ID:      fmt.Sprintf("t%d-%s", i, rapid.StringMatching(`[a-zA-Z0-9]{0,4}`).Draw(t, "id")),
			Status:  rapid.SampledFrom([]Status{Open, Closed}).Draw(t, "status"),
			Contact: rapid.SampledFrom([]string{"im:", "tel:+", "mailto:"}).Draw(t, "scheme") + rapid.StringMatching(`[a-z0-9]{1,8}`).Draw(t, "contact"),
			Note:    rapid.StringMatching(`[ -~é☃]{0,10}`).Draw(t, "tnote"),
			Timestamp: base.Add(time.Duration(rapid.IntRange(0, 1<<30).Draw(t, "secs")) * time.Second).
				In(time.FixedZone("", 60*rapid.IntRange(-14*60, 14*60).Draw(t, "zone"))),
		}
		if rapid.Bool().Draw(t, "haspref") {
			tu.Priority = Pref(rapid.Uint32().Draw(t, "pref"))
		}
		p.Tuples = append(p.Tuples, tu)
	}
	return p
}

// Decision D2: a model written in any of the three formats and read back keeps what that format
// carries; what all three carry (Common) survives every path.
func TestPropertyConversions(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genPresence(t)

		ct, body, err := FormatClientBody(p)
		if err != nil {
			t.Fatalf("FormatClientBody: %v", err)
		}
		fromPrim, err := ParseClientBody(ct, body, "")
		if err != nil {
			t.Fatalf("ParseClientBody: %v\n%s", err, body)
		}
		if !Equal(fromPrim, p) { // PRIM carries every field of the model
			t.Fatalf("PRIM round trip:\n%+v\n%+v", fromPrim, p)
		}

		c, err := FormatCPIMPIDF(p)
		if err != nil {
			t.Fatal(err)
		}
		fromC, err := ParseCPIMPIDF(c)
		if err != nil {
			t.Fatalf("ParseCPIMPIDF: %v\n%s", err, c)
		}
		x, err := FormatPIDF(fromC)
		if err != nil {
			t.Fatal(err)
		}
		fromX, err := ParsePIDF(x)
		if err != nil {
			t.Fatalf("ParsePIDF: %v\n%s", err, x)
		}
		// PRIM -> CPIM-PIDF -> PIDF -> PRIM.
		ct2, body2, err := FormatClientBody(fromX)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseClientBody(ct2, body2, "")
		if err != nil {
			t.Fatal(err)
		}
		for name, q := range map[string]Presence{"CPIM-PIDF": fromC, "PIDF": fromX, "PRIM again": back} {
			if !Equal(Common(q), Common(p)) {
				t.Fatalf("via %s:\n%+v\n%+v", name, Common(q), Common(p))
			}
		}
	})
}
