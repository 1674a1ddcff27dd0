package client

import (
	"strings"
	"testing"
)

func TestCRAMDigestMatchesRFC2195(t *testing.T) {
	// RFC 2195 §2's example: the keyed MD5 of the challenge, angle brackets included.
	got := CRAMDigest("tanstaaftanstaaf", "<1896.697170952@postoffice.reston.mci.net>")
	if want := "b913a602c7eda7a495b4e6e7334d3890"; got != want {
		t.Fatalf("CRAMDigest = %s, want %s", got, want)
	}
}

func TestSplitRawFramesByContentLength(t *testing.T) {
	raw := "\r\nSEND PRIM-IM/1.0 7 12\r\nFrom: im:a@x\r\n\r\nPING - 0\r\n\r\nPRIM-PR/1.0 8 0 200 OK\r\nTo: pres:b@x\r\n\r\n"
	cmds, err := splitRaw([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 2 {
		t.Fatalf("got %d commands, want 2: %+v", len(cmds), cmds)
	}
	if string(cmds[0].Body) != "PING - 0\r\n\r\n" || cmds[1].StartLine != "PRIM-PR/1.0 8 0 200 OK" {
		t.Fatalf("bad split: %+v", cmds)
	}
	for _, bad := range []string{
		"SEND PRIM-IM/1.0 7 x\r\n\r\n",          // length not a number
		"SEND PRIM-IM/1.0 7 5\r\n\r\nab",        // short body
		"SEND PRIM-IM/1.0 7\r\n\r\n",            // three fields
		"SEND PRIM-IM/1.0 7 0\r\nFrom: a@x\r\n", // no empty line
	} {
		if _, err := splitRaw([]byte(bad)); err == nil {
			t.Errorf("splitRaw(%q) accepted it", bad)
		}
	}
}

func TestHeaderLineProblems(t *testing.T) {
	c := rawCommand{StartLine: "FETCH PRIM-PR/1.0 1 0", Headers: []string{
		"From: pres:a@x", "To:pres:b@x", "Duration:  60", " folded", "Note: ", "nocolon",
	}}
	spacing, folding := headerLineProblems(c)
	if len(spacing) != 3 || !strings.Contains(spacing[0], "To:pres") || !strings.Contains(spacing[1], "Duration") ||
		!strings.Contains(spacing[2], "nocolon") {
		t.Errorf("spacing = %q", spacing)
	}
	if len(folding) != 1 {
		t.Errorf("folding = %q", folding)
	}
}

func TestWellFormedXML(t *testing.T) {
	for _, tc := range []struct {
		doc      string
		ok, pics bool
	}{
		{`<?xml version="1.0"?><presence a="1"><note>x</note></presence>`, true, false},
		{`<presence><?pi x?></presence>`, true, true},
		{`<presence><note><![CDATA[x]]></note></presence>`, true, true},
		{`<presence><note>x</presence>`, false, false},
		{`<a/><b/>`, false, false},
	} {
		_, pics, err := wellFormedXML([]byte(tc.doc))
		if (err == nil) != tc.ok || (err == nil && pics != tc.pics) {
			t.Errorf("wellFormedXML(%q) = pi/cdata %v, err %v", tc.doc, pics, err)
		}
	}
}

func TestMessageIDPattern(t *testing.T) {
	for id, ok := range map[string]bool{"20010226a@example.org": true, "a%20b": true, "im:x@y": true,
		"a b": false, "": false, "a<b>": false} {
		if messageIDPattern.MatchString(id) != ok {
			t.Errorf("Message-ID %q: match %v, want %v", id, !ok, ok)
		}
	}
}

func TestSameMediaType(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"text/plain; charset=UTF-8", "text/plain;charset=utf-8", true},
		{"Text/Plain", "text/plain", true},
		{"text/plain", "text/html", false},
		{"text/plain; charset=UTF-8", "text/plain", false},
	} {
		if got := sameMediaType(tc.a, tc.b); got != tc.same {
			t.Errorf("sameMediaType(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
