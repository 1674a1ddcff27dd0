package server

import (
	"bytes"
	"strings"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// §15 IM format and §16 CPIM interworking as seen at the server (prim-digest §5.3, §5.7):
// an IM is an opaque MIME payload that servers forward as is, never deleting or modifying a
// header of the command (PRIM-A15-5, -6). Per Decision D17 the no-modification rule covers
// the payload and every end-to-end header (From, To, Message-ID, Conversation-ID, Reply-To,
// Date, Content-Type and unknown headers); only the hop-by-hop AStrength may be rewritten.

// headerValues returns the values of every occurrence of name in m, in order.
func headerValues(m *wire.Message, name string) []string {
	var out []string
	for _, hd := range m.Headers {
		if hd.Name == name {
			out = append(out, hd.Value)
		}
	}
	return out
}

// expectIntact checks that got carries every end-to-end header of sent with the same values,
// the same number of times and, for repeated headers, in the same order, and the same body
// octets (PRIM-A15-5, PRIM-A15-6, Decisions D7, D8, D17). The order of different headers may
// change (Decision D36).
func expectIntact(sent, got *wire.Message) {
	ginkgo.GinkgoHelper()
	seen := map[string]bool{}
	for _, hd := range sent.Headers {
		if hd.Name == "AStrength" || seen[hd.Name] {
			continue
		}
		seen[hd.Name] = true
		Expect(headerValues(got, hd.Name)).To(Equal(headerValues(sent, hd.Name)), "header %q of the IM as passed on", hd.Name)
	}
	Expect(bytes.Equal(got.Body, sent.Body)).To(BeTrue(), "body of the IM as passed on: sent %d octets %q, got %d octets %q",
		len(sent.Body), clip(sent.Body), len(got.Body), clip(got.Body))
}

func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// deliverIntact sends an IM from alice to bob's listening inbox with the body and headers
// given (extra pairs; a Content-Type among them replaces the default) and checks bob's copy is
// intact.
func deliverIntact(h *H, body []byte, extra ...string) *wire.Message {
	ginkgo.GinkgoHelper()
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), body, extra...)
	got := imRoundTrip(h, alice, bob, req)
	expectIntact(req, got)
	return got
}

// cpimBody is a message/cpim object (CPIM-MSG, prim-digest §5.7): MIME headers, blank line,
// message headers, blank line, the encapsulated MIME entity.
func cpimBody(from, to string) []byte {
	return []byte("Content-type: message/cpim\r\n\r\n" +
		"From: Alice <" + from + ">\r\n" +
		"To: Bob <" + to + ">\r\n" +
		"DateTime: 2001-02-26T09:52:08+09:00\r\n" +
		"Subject: lunch\r\n" +
		"NS: PRIM <http://www.fujitsulabs.com/prim/>\r\n" +
		"PRIM.Conversation-ID: c7f3\r\n" +
		"\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n" +
		"Shall we have lunch at noon?\r\n")
}

// allOctets is every octet value 0-255, twice, so CR, LF, NUL and non-UTF-8 bytes all occur.
func allOctets() []byte {
	b := make([]byte, 0, 512)
	for i := 0; i < 512; i++ {
		b = append(b, byte(i))
	}
	return b
}

// ---- §15 ----

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/1", Section: "15", Level: reports.LevelMust,
	Requirement: "A UTF-8 text IM with non-ASCII characters reaches the recipient byte for byte, its Content-Type unchanged.",
	Statements:  []string{"PRIM-A15-5", "PRIM-A15-6", "PRIM-A15-1", "PRIM-A8.1-1"},
	RFC2779:     []string{"4.1.5", "4.1.6", "5.4.8"},
	Decisions:   []string{"D17"},
}), func(h *H) {
	deliverIntact(h, []byte("Gr\u00fc\u00dfe aus K\u00f6ln \u2014 \u65e5\u672c\u8a9e \U0001F600\r\nsecond line"))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/2", Section: "15", Level: reports.LevelMust,
	Requirement: "An IM with a binary payload (every octet value, CR, LF and NUL included) reaches the recipient byte for byte.",
	Statements:  []string{"PRIM-A8.1-2", "PRIM-A15-5", "PRIM-A15-2"},
	RFC2779:     []string{"4.1.5"},
}), func(h *H) {
	deliverIntact(h, allOctets(), "Content-Type", "application/octet-stream")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/3", Section: "15", Level: reports.LevelMust,
	Requirement: "A message/cpim IM (CPIM message headers and an encapsulated MIME entity) is carried intact.",
	Statements:  []string{"PRIM-A15-3", "PRIM-A15-5", "PRIM-A15-6"},
	RFC2779:     []string{"4.1.1", "4.1.2", "4.1.10"},
}), func(h *H) {
	deliverIntact(h, cpimBody(h.IM("alice"), h.IM("bob")), "Content-Type", "message/cpim")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/4", Section: "15", Level: reports.LevelMust,
	Requirement: "Headers the server does not know (extension and MIME headers) are forwarded unchanged with the IM.",
	Statements:  []string{"PRIM-A15-6", "PRIM-A15-2", "PRIM-A15-5"},
	RFC2779:     []string{"4.1.8"},
	Decisions:   []string{"D8", "D17"},
}), func(h *H) {
	deliverIntact(h, imText("with extension headers"), "X-Primlab-Trace", "k2-15-4; hop=0", "Content-Language", "en",
		"Subject", "extension headers survive")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/5", Section: "15", Level: reports.LevelMust,
	Requirement: "Reply-To is forwarded unchanged, so the recipient can answer where the sender asked.",
	Statements:  []string{"PRIM-A15-6", "PRIM-A9.4.3-1"},
	RFC2779:     []string{"4.1.3", "5.4.4"},
	Decisions:   []string{"D17"},
}), func(h *H) {
	deliverIntact(h, imText("reply elsewhere"), "Reply-To", h.IM("carol"))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/6", Section: "15", Level: reports.LevelMust,
	Requirement: "A Date header given by the sender is forwarded unchanged.",
	Statements:  []string{"PRIM-A15-6"},
	Decisions:   []string{"D17", "D24"},
}), func(h *H) {
	deliverIntact(h, imText("dated"), "Date", "Mon, 26 Feb 2001 09:52:08 +0900")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/7", Section: "15", Level: reports.LevelMust,
	Requirement: "A header that occurs several times is forwarded with every occurrence, in order.",
	Statements:  []string{"PRIM-A15-6"},
	Decisions:   []string{"D7", "D8"},
}), func(h *H) {
	deliverIntact(h, imText("repeated headers"), "X-Primlab-Note", "first", "X-Primlab-Note", "second", "X-Primlab-Note", "third")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/8", Section: "15", Level: reports.LevelMust,
	Requirement: "A header value holding UTF-8 text is forwarded unchanged.",
	Statements:  []string{"PRIM-A15-6", "PRIM-A8.1-1"},
	RFC2779:     []string{"4.1.6"},
	Decisions:   []string{"D8"},
}), func(h *H) {
	deliverIntact(h, imText("utf-8 header"), "Subject", "\u00bfQu\u00e9 tal? \u2014 \u4f60\u597d")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/9", Section: "15", Level: reports.LevelMust,
	Requirement: "A text IM in another charset (ISO-8859-1, with parameters on Content-Type) is not transcoded: octets and Content-Type arrive as sent.",
	Statements:  []string{"PRIM-A15-5", "PRIM-A15-6", "PRIM-A15-1"},
	RFC2779:     []string{"5.4.8", "4.1.5"},
	Decisions:   []string{"D17"},
}), func(h *H) {
	deliverIntact(h, []byte("caf\xe9 cr\xe8me br\xfbl\xe9e"), "Content-Type", "text/plain; charset=ISO-8859-1; format=flowed")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/10", Section: "15", Level: reports.LevelShould,
	Requirement: "A 16 KiB IM is carried intact (PRIM sets no size limit; the body is framed by its length).",
	Statements:  []string{"PRIM-A8.1-2", "PRIM-A15-5"},
	RFC2779:     []string{"4.1.5"},
}), func(h *H) {
	deliverIntact(h, bytes.Repeat([]byte("0123456789abcdef"), 1024), "Content-Type", "text/plain")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/11", Section: "15", Level: reports.LevelMust,
	Requirement: "An IM whose text looks like PRIM (a start line, headers, blank lines) is carried as opaque octets, not interpreted.",
	Statements:  []string{"PRIM-A8.1-2", "PRIM-A8.2.4-1", "PRIM-A15-5"},
	RFC2779:     []string{"4.1.5"},
}), func(h *H) {
	body := "\r\n\r\nSEND PRIM-IM/1.0 9999 0\r\nFrom: im:mallory@evil.example\r\nTo: im:bob@example.com\r\n\r\nLOGOUT PRIM-IM/1.0 - 0\r\n\r\n"
	deliverIntact(h, []byte(body))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/12", Section: "15", Level: reports.LevelMust,
	Requirement: "An IM relayed to another domain keeps its end-to-end and unknown headers and its body unchanged.",
	Statements:  []string{"PRIM-A15-5", "PRIM-A15-6"},
	RFC2779:     []string{"2.4.3", "4.1.3"},
	Decisions:   []string{"D8", "D17"},
}), func(h *H) {
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), h.PeerIM("eve"), cpimBody(alice.IM(), h.PeerIM("eve")), "Content-Type", "message/cpim",
		"Date", "Mon, 26 Feb 2001 09:52:08 +0900", "Reply-To", h.IM("carol"), "X-Primlab-Trace", "k2-15-12")
	alice.Send(req)
	got, on := h.ExpectS2SRequest("SEND", nil)
	expectIntact(req, got)
	on.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/13", Section: "15", Level: reports.LevelMust,
	Requirement: "An IM from another domain reaches the local UA with its end-to-end and unknown headers and its body unchanged.",
	Statements:  []string{"PRIM-A15-5", "PRIM-A15-6"},
	RFC2779:     []string{"2.4.3"},
	Decisions:   []string{"D8", "D17"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	remote := h.S2SLoggedIn("remote")
	req := remote.Request("SEND", "From", h.PeerIM("eve"), "To", bob.IM(), "Message-ID", h.Unique("msg"),
		"Conversation-ID", h.Unique("conv"), "Date", "Mon, 26 Feb 2001 09:52:08 +0900", "Content-Type", "message/cpim",
		"Reply-To", h.PeerIM("eve-desk"), "X-Primlab-Trace", "k2-15-13")
	req.Body = cpimBody(h.PeerIM("eve"), bob.IM())
	remote.Send(req)
	got := imAwait(h, bob, req.Value("Message-ID"))
	expectIntact(req, got)
	bob.Respond(got, wire.StatusOK)
	remote.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
})

// ---- §16 signed and encrypted IMs pass through ----

// signedCPIM is a multipart/signed S/MIME object around a message/cpim part: the server
// must not touch a single octet, or the signature breaks (RFC 2779 §5.4.7).
func signedCPIM(from, to string) ([]byte, string) {
	boundary := "primlab-k2-boundary"
	sig := allOctets()[:200]
	var b strings.Builder
	b.WriteString("--" + boundary + "\r\n")
	b.Write(cpimBody(from, to))
	b.WriteString("\r\n--" + boundary + "\r\n")
	b.WriteString("Content-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: binary\r\n\r\n")
	b.Write(sig)
	b.WriteString("\r\n--" + boundary + "--\r\n")
	ct := `multipart/signed; boundary="` + boundary + `"; protocol="application/pkcs7-signature"; micalg=sha-256`
	return []byte(b.String()), ct
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/16/1", Section: "16", Level: reports.LevelMust,
	Requirement: "A signed IM (multipart/signed around message/cpim) is carried octet for octet, so the recipient can verify the signature.",
	Statements:  []string{"PRIM-A16.2-4", "PRIM-A15-5", "PRIM-A15-6"},
	RFC2779:     []string{"5.4.7", "5.4.9", "2.5.1"},
}), func(h *H) {
	body, ct := signedCPIM(h.IM("alice"), h.IM("bob"))
	deliverIntact(h, body, "Content-Type", ct)
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/16/2", Section: "16", Level: reports.LevelMust,
	Requirement: "An encrypted IM (application/pkcs7-mime enveloped data) is carried octet for octet without the server needing to read it.",
	Statements:  []string{"PRIM-A16.2-4", "PRIM-A15-5", "PRIM-A8.1-2"},
	RFC2779:     []string{"5.4.6", "2.5.3", "4.1.5"},
}), func(h *H) {
	deliverIntact(h, append([]byte{0x30, 0x82, 0x01, 0xfe}, allOctets()...),
		"Content-Type", "application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/14", Section: "15", Level: reports.LevelMust,
	Requirement: "A SEND without Content-Type is either refused (400) or delivered as the I2 default text/plain; charset=UTF-8, its body unchanged; it is never relabelled as anything else.",
	Statements:  []string{"PRIM-A15-1", "PRIM-A9.2.1-2", "PRIM-A15-5"},
	Decisions:   []string{"D18", "D44"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("unlabelled"))
	req.Del("Content-Type")
	alice.Send(req)
	got := imNext(h, bob, req.Value("Message-ID"), h.Quiet())
	if got == nil {
		alice.ExpectResponse(req.ID, HaveCode(wire.StatusBadRequest), HaveNoBody())
		h.Saw("D44: 400 Bad Request")
		return
	}
	Expect(bytes.Equal(got.Body, req.Body)).To(BeTrue(), "body %q", got.Body)
	if ct, ok := got.Get("Content-Type"); ok {
		Expect(ct).To(Equal("text/plain; charset=UTF-8"), "the only Content-Type a server may supply is the I2 default")
		h.Saw("D18: delivered with the default Content-Type made explicit")
	} else {
		h.Saw("D18: delivered unlabelled (the default applies)")
	}
	bob.Respond(got, wire.StatusOK)
	alice.ExpectResponse(req.ID, HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/15", Section: "15", Level: reports.LevelShould,
	Requirement: "Non-IM addresses (tel:, mailto:) in the message/cpim headers of an IM are carried unchanged.",
	Statements:  []string{"PRIM-A15-5", "PRIM-A15-3"},
	RFC2779:     []string{"4.1.4"},
}), func(h *H) {
	body := []byte("Content-type: message/cpim\r\n\r\n" +
		"From: Alice <" + h.IM("alice") + ">\r\n" +
		"To: Bob <" + h.IM("bob") + ">\r\n" +
		"cc: Bob's phone <tel:+1-800-555-0100>\r\n" +
		"cc: Bob's mail <mailto:bob@example.org>\r\n" +
		"DateTime: 2001-02-26T09:52:08+09:00\r\n\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\n\r\ncall me\r\n")
	deliverIntact(h, body, "Content-Type", "message/cpim")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/16", Section: "15", Level: reports.LevelMust,
	Requirement: "An IM re-sent with the same Message-ID keeps that Message-ID (or is suppressed as a duplicate), so the recipient can recognise the replay.",
	Statements:  []string{"PRIM-A15-6", "PRIM-A9.4.1-1"},
	RFC2779:     []string{"2.5.2", "5.4.2"},
	Decisions:   []string{"D17", "D9"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	first := imMsg(h, alice.IM(), bob.IM(), imText("once"), "Date", "Mon, 26 Feb 2001 09:52:08 +0900")
	imRoundTrip(h, alice, bob, first)
	again := imMsg(h, alice.IM(), bob.IM(), first.Body)
	for _, name := range []string{"Message-ID", "Conversation-ID", "Date"} {
		again.Set(name, first.Value(name))
	}
	alice.Send(again)
	ev := bob.NextWithin(h.Quiet())
	if ev.Msg == nil {
		Expect(ev).To(BeQuiet())
		h.Saw("duplicate suppressed")
		alice.ExpectResponse(again.ID, HaveNoBody())
		return
	}
	Expect(ev.Msg).To(SatisfyAll(BeRequest("SEND"), HaveHeader("Message-ID", first.Value("Message-ID")),
		HaveHeader("Date", first.Value("Date"))))
	expectIntact(again, ev.Msg)
	h.Saw("replay delivered with its original Message-ID and Date")
	bob.Respond(ev.Msg, wire.StatusOK)
	alice.ExpectResponse(again.ID, HaveCode(wire.StatusOK))
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/15/17", Section: "15", Level: reports.LevelMust,
	Requirement: "Header values are passed on verbatim: a value containing \": \", quotes and %-escapes, and a Message-ID with \"@\" and \":\", are not rewritten or unescaped.",
	Statements:  []string{"PRIM-A15-6", "PRIM-A8.1.1-1"},
	Decisions:   []string{"D9", "D8", "D17"},
}), func(h *H) {
	bob := listeningInbox(h, "bob")
	alice := imUser(h, "alice")
	req := imMsg(h, alice.IM(), bob.IM(), imText("verbatim headers"), "X-Primlab-Note", `a: b; c="d e"; f=%41%2F`)
	req.Set("Message-ID", h.Unique("20010226a")+"@"+h.Domain()+":1")
	req.Set("Conversation-ID", h.Unique("conv%20thread")) // %20: SP is not unreserved (PRIM-A7.1-1, -2)
	expectIntact(req, imRoundTrip(h, alice, bob, req))
})
