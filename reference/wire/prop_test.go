package wire_test

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/primlab/primlab/reference/wire"
	"pgregory.net/rapid"
)

var (
	genAlnum = rapid.StringMatching(`[A-Za-z0-9]{1,12}`)
	genToken = rapid.StringMatching(`[a-z0-9][a-z0-9._~-]{0,10}`)
	genLabel = rapid.StringMatching(`[a-z][a-z0-9-]{0,8}`)
)

func genDomain(t *rapid.T) string {
	n := rapid.IntRange(1, 3).Draw(t, "labels")
	ls := make([]string, n)
	for i := range ls {
		ls[i] = genLabel.Draw(t, "label")
	}
	return strings.Join(ls, ".")
}

func genID(t *rapid.T, scheme string) string {
	local := rapid.StringMatching(`[a-z0-9!$&'*.+=?_~-]{1,8}(%2[02C]){0,1}`).Draw(t, "local")
	return scheme + ":" + local + "@" + genDomain(t)
}

func genDate(t *rapid.T) string {
	day := rapid.SampledFrom([]string{"", "Mon, ", "tue, ", "SUN, "}).Draw(t, "day")
	mon := rapid.SampledFrom([]string{"Jan", "feb", "MAR", "Dec"}).Draw(t, "month")
	return fmt.Sprintf("%s%d %s %04d %02d:%02d:%02d %s%04d", day, rapid.IntRange(1, 31).Draw(t, "d"), mon,
		rapid.IntRange(1970, 2100).Draw(t, "y"), rapid.IntRange(0, 23).Draw(t, "h"), rapid.IntRange(0, 59).Draw(t, "m"),
		rapid.IntRange(0, 59).Draw(t, "s"), rapid.SampledFrom([]string{"+", "-"}).Draw(t, "sign"), rapid.IntRange(0, 1400).Draw(t, "z"))
}

// genValue draws a valid value for a well-known header in the context of spec's service.
func genValue(t *rapid.T, p wire.Profile, spec *wire.MethodSpec, name string) string {
	scheme := "pres"
	if spec.Service == wire.ServiceIM {
		scheme = "im"
	}
	digits := func() string { return fmt.Sprint(rapid.IntRange(0, 1<<20).Draw(t, name)) }
	switch name {
	case "From", "To":
		return genID(t, scheme)
	case "Reply-To":
		return genID(t, "im")
	case "Domain":
		return genDomain(t)
	case "Auth-State":
		return rapid.SampledFrom([]string{"init", "abort"}).Draw(t, name)
	case "SASL-Mech":
		mechs := rapid.SliceOfN(rapid.SampledFrom([]string{"PLAIN", "CRAM-MD5", "EXTERNAL", "ANONYMOUS", "X_1"}), 1, 3).Draw(t, name)
		return strings.Join(mechs, rapid.SampledFrom([]string{" ", ",", ", "}).Draw(t, "sep"))
	case "Server-Address":
		return fmt.Sprintf("%s192.0.2.%d", rapid.SampledFrom([]string{"", "::"}).Draw(t, "pfx"), rapid.IntRange(0, 255).Draw(t, name))
	case "AStrength":
		return rapid.SampledFrom([]string{"strong", "medium", "weak", "none"}).Draw(t, name)
	case "Max-Content-Length", "Duration":
		return digits()
	case "Date":
		return genDate(t)
	case "Content-Type":
		return rapid.SampledFrom([]string{"text/plain", "text/plain; charset=UTF-8", "application/presence",
			"application/cpim-pidf+xml", `multipart/mixed; boundary="b1"`}).Draw(t, name)
	case "Class":
		return strings.Join(rapid.SliceOfN(genToken, 1, 3).Draw(t, name), " ")
	case "Tuple-ID":
		return rapid.StringMatching(`[!-~]{1,16}`).Draw(t, name)
	case "PI-Type":
		return rapid.SampledFrom([]string{"leased", "permanent", "renew", "revert"}).Draw(t, name)
	case "Watcher-Type":
		return rapid.SampledFrom([]string{"fetch", "subscribe"}).Draw(t, name)
	case "Message-ID":
		return genToken.Draw(t, name) + rapid.SampledFrom([]string{"", "@example.org"}).Draw(t, "at")
	default: // Subscription-ID, Conversation-ID
		return genToken.Draw(t, name)
	}
}

// genExtension draws an unknown header, which every receiver must carry through (Decision D8).
func genExtension(t *rapid.T) wire.Header {
	return wire.Header{
		Name:  "X-" + rapid.StringMatching(`[A-Za-z0-9!#$%&'*+.^_|~-]{1,10}`).Draw(t, "xname"),
		Value: rapid.StringMatching(`[!-~é€]([ -~é€]{0,20}[!-~é€])?`).Draw(t, "xvalue"),
	}
}

func genBody(t *rapid.T, min, max int) []byte {
	if max == 0 {
		return nil
	}
	b := rapid.SliceOfN(rapid.Byte(), min, max).Draw(t, "body")
	if len(b) == 0 {
		return nil
	}
	return b
}

// genMessage draws a valid command of any method of either profile, and the method a response
// answers.
func genMessage(t *rapid.T) (*wire.Message, wire.Profile, string) {
	p := rapid.SampledFrom([]wire.Profile{wire.ProfileClient, wire.ProfileServer}).Draw(t, "profile")
	method := rapid.SampledFrom(wire.Methods(p)).Draw(t, "method")
	spec, _ := wire.LookupMethod(p, method)
	m := &wire.Message{Version: wire.VersionFor(p, method)}
	if p == wire.ProfileClient && spec.Service == wire.ServiceGeneral {
		m.Version = rapid.SampledFrom([]string{wire.VersionPresence, wire.VersionIM}).Draw(t, "version")
	}
	if spec.Response && rapid.Bool().Draw(t, "response") {
		codes := []int{}
		for _, c := range spec.Codes {
			if wire.KnownIn(p, c) {
				codes = append(codes, c)
			}
		}
		m.Code = rapid.SampledFrom(codes).Draw(t, "code")
		m.Phrase = wire.Phrase(m.Code)
		m.ID = genAlnum.Draw(t, "id")
		if m.Code < 300 {
			for _, r := range spec.ResponseRequired {
				m.Add(r.Name, genValue(t, p, spec, r.Name))
			}
		}
		if m.Code == wire.StatusRedirect {
			m.Add("Redirect", genDomain(t)+" "+fmt.Sprint(rapid.IntRange(1, 65535).Draw(t, "port")))
		}
		if spec.BodyAllowedIn(m.Code) {
			m.Body = genBody(t, 0, 300)
		}
	} else {
		m.Method = method
		m.ID = wire.NoResponse
		if spec.Response {
			m.ID = genAlnum.Draw(t, "id")
		}
		for _, r := range spec.Required {
			if r.Name != "Content-Type" {
				m.Add(r.Name, genValue(t, p, spec, r.Name))
			}
		}
		for _, name := range spec.Optional {
			if name != "Content-Type" && name != "Duration" && rapid.Bool().Draw(t, "opt "+name) {
				m.Add(name, genValue(t, p, spec, name))
			}
		}
		switch spec.RequestBody {
		case wire.BodyRequired:
			m.Body = genBody(t, 1, 300)
		case wire.BodyOptional:
			m.Body = genBody(t, 0, 60)
		}
		if method == "PUBLISH" {
			// PRIM-A11.1.1-8 and Decision D29: Duration exactly with leased and renew.
			pi := rapid.SampledFrom([]string{"leased", "permanent", "renew"}).Draw(t, "pi")
			m.Set("PI-Type", pi)
			if pi != "permanent" {
				m.Add("Duration", genValue(t, p, spec, "Duration"))
			}
		}
	}
	if len(m.Body) > 0 {
		m.Add("Content-Type", genValue(t, p, spec, "Content-Type")) // Decision D18
	}
	for range rapid.IntRange(0, 3).Draw(t, "extensions") {
		m.Headers = append(m.Headers, genExtension(t))
	}
	// Decision D36: any header order is accepted.
	if len(m.Headers) > 1 {
		m.Headers = rapid.Permutation(m.Headers).Draw(t, "order")
	}
	return m, p, method
}

// Every valid command of every method and both profiles survives encode → decode → encode, and
// the validator accepts what the generator calls valid.
func TestPropertyRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, p, method := genMessage(t)
		enc := m.Bytes()
		got := decodeAll(enc, wire.DefaultLimits())
		if len(got.errs) != 0 || len(got.msgs) != 1 || got.rest != 0 {
			t.Fatalf("decode %q: %d msgs, errs %v, rest %d", enc, len(got.msgs), got.errs, got.rest)
		}
		d := got.msgs[0]
		if !reflect.DeepEqual(normal(d), normal(m)) {
			t.Fatalf("decoded %+v\nwant    %+v", d, m)
		}
		if re := d.Bytes(); !bytes.Equal(re, enc) {
			t.Fatalf("re-encoding differs:\n%q\n%q", re, enc)
		}
		var vs []wire.Violation
		if m.IsRequest() {
			vs = wire.Validate(d, p)
		} else {
			vs = wire.ValidateResponse(d, p, method)
		}
		if len(vs) != 0 {
			t.Fatalf("%s profile, %q: %v", p, enc, vs)
		}
	})
}

func normal(m *wire.Message) wire.Message {
	c := *m
	if len(c.Body) == 0 {
		c.Body = nil
	}
	if len(c.Headers) == 0 {
		c.Headers = nil
	}
	return c
}

// However a stream is cut into Feed calls, it decodes to the same commands (with empty lines
// between commands skipped, PRIM-A8.1-4).
func TestPropertySplitInvariance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 5).Draw(t, "n")
		var stream []byte
		var want []*wire.Message
		for range n {
			m, _, _ := genMessage(t)
			stream = append(stream, bytes.Repeat([]byte("\r\n"), rapid.IntRange(0, 2).Draw(t, "crlfs"))...)
			stream = wire.Append(stream, m)
			want = append(want, m)
		}
		cuts := rapid.SliceOfNDistinct(rapid.IntRange(1, max(1, len(stream)-1)), 0, 12, rapid.ID[int]).Draw(t, "cuts")
		var chunks [][]byte
		prev := 0
		for _, c := range sortedInts(cuts) {
			if c > prev && c < len(stream) {
				chunks = append(chunks, stream[prev:c])
				prev = c
			}
		}
		chunks = append(chunks, stream[prev:])
		got := decodeChunks(chunks, wire.DefaultLimits())
		if len(got.errs) != 0 || got.rest != 0 || len(got.msgs) != len(want) {
			t.Fatalf("%d chunks: %d msgs (want %d), errs %v, rest %d", len(chunks), len(got.msgs), len(want), got.errs, got.rest)
		}
		for i := range want {
			if !reflect.DeepEqual(normal(got.msgs[i]), normal(want[i])) {
				t.Fatalf("message %d: %+v, want %+v", i, got.msgs[i], want[i])
			}
		}
	})
}

func sortedInts(xs []int) []int {
	out := append([]int(nil), xs...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Arbitrary bytes never panic the decoder, and it never holds more than one command's worth of
// bytes under its limits, nor returns anything beyond them.
func TestPropertyHostileInput(t *testing.T) {
	lim := wire.Limits{MaxStartLine: 80, MaxHeaderLine: 80, MaxHeaders: 8, MaxBody: 200, MaxIDLen: 8}
	command := rapid.Custom(func(t *rapid.T) []byte {
		m, _, _ := genMessage(t)
		b := m.Bytes()
		if rapid.Bool().Draw(t, "mutate") {
			b[rapid.IntRange(0, len(b)-1).Draw(t, "at")] = rapid.Byte().Draw(t, "to")
		}
		return b
	})
	piece := rapid.OneOf(
		command,
		rapid.SliceOfN(rapid.Byte(), 0, 40),
		rapid.Map(rapid.SampledFrom([]string{"\r\n", "\r", "\n", " ", ": ", "PING PRIM-PR/1.0 - 0\r\n",
			"SEND PRIM-IM/1.0 1 ", "PRIM/1.0 7 3 200 OK\r\n", "From: im:a@b\r\n", "99", "0", "-", "\r\n\r\n"}),
			func(s string) []byte { return []byte(s) }),
	)
	rapid.Check(t, func(t *rapid.T) {
		d := wire.NewDecoder(lim)
		for _, p := range rapid.SliceOfN(piece, 1, 60).Draw(t, "pieces") {
			d.Feed(p)
			for {
				m, err := d.Next()
				if err != nil {
					e, ok := err.(*wire.Error)
					if !ok || e.Kind == 0 {
						t.Fatalf("error %v is not a classified *wire.Error", err)
					}
					if e.Fatal {
						if d.Buffered() != 0 {
							t.Fatalf("poisoned decoder keeps %d octets", d.Buffered())
						}
						break
					}
					continue
				}
				if m == nil {
					break
				}
				if len(m.Body) > lim.MaxBody || len(m.Headers) > lim.MaxHeaders || len(m.ID) > lim.MaxIDLen {
					t.Fatalf("decoded past the limits: %d body, %d headers, id %q", len(m.Body), len(m.Headers), m.ID)
				}
				if again := decodeAll(m.Bytes(), lim); len(again.msgs) != 1 || !reflect.DeepEqual(normal(again.msgs[0]), normal(m)) {
					t.Fatalf("a decoded command does not survive re-encoding: %q", m.Bytes())
				}
			}
			if d.Buffered() > lim.MaxCommand() {
				t.Fatalf("decoder holds %d octets, more than one command's limit %d", d.Buffered(), lim.MaxCommand())
			}
		}
	})
}
