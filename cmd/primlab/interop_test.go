package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/primlab/primlab/reports"
)

// reference client × reference server over loopback, through the recording proxy: every
// scenario passes, and the page shows the matrix with a transcript behind the cell.
func TestInteropReferenceAgainstReference(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := runInterop([]string{"--out", out}, nil, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	data, err := os.ReadFile(filepath.Join(out, "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m reports.InteropMatrix
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	cell := m.Cell("reference", "reference")
	if cell == nil || len(m.Cells) != 1 {
		t.Fatalf("want one reference × reference cell, got %+v", m.Cells)
	}
	if cell.Verdict != reports.Pass || len(cell.Scenarios) != len(interopScenarios) {
		t.Fatalf("cell %s with %d scenarios:\n%s", cell.Verdict, len(cell.Scenarios), stdout.String())
	}
	for _, s := range cell.Scenarios {
		if s.Verdict != reports.Pass {
			t.Errorf("%s: %s %s", s.Name, s.Verdict, s.Message)
		}
		if !strings.Contains(s.Transcript, "LOGIN PRIM-") {
			t.Errorf("%s: the transcript lacks the LOGIN on the wire:\n%s", s.Name, s.Transcript)
		}
	}
	byName := map[string]string{}
	for _, s := range cell.Scenarios {
		byName[s.Name] = s.Transcript
	}
	if tr := byName["send-closed-inbox"]; !strings.Contains(tr, " 408 Inbox Is Closed") {
		t.Errorf("send-closed-inbox transcript lacks the 408 response:\n%s", tr)
	}
	if tr := byName["publish-subscribe-notify"]; !strings.Contains(tr, "NOTIFY PRIM-PR/1.0") {
		t.Errorf("publish-subscribe-notify transcript lacks the NOTIFY:\n%s", tr)
	}
	page, err := os.ReadFile(filepath.Join(out, "matrix.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, want := range []string{`<table class="interop" id="matrix">`, `<th>reference</th>`, `class="v-pass"`, `<pre class="transcript">`, "SUBSCRIBE PRIM-PR/1.0"} {
		if !strings.Contains(html, want) {
			t.Errorf("matrix.html lacks %q", want)
		}
	}
}

func TestInteropUsage(t *testing.T) {
	for _, args := range [][]string{{"--server", "nohostport"}, {"--client", "x"}, {"--no-reference"}, {"stray"}} {
		var stdout, stderr bytes.Buffer
		if code := runInterop(args, nil, &stdout, &stderr); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, stderr.String())
		}
	}
}

// A server nobody listens on: its cell is an error (the scenarios could not run), not a pass,
// and the run exits 1; the reference cell still passes.
func TestInteropUnreachableServerIsAnError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := runInterop([]string{"--out", out, "--server", "dead=" + dead, "--timeout", "2s"}, nil, &stdout, &stderr)
	if code != exitFail {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFail, stdout.String(), stderr.String())
	}
	data, err := os.ReadFile(filepath.Join(out, "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m reports.InteropMatrix
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if c := m.Cell("reference", "dead"); c == nil || c.Verdict != reports.Error {
		t.Fatalf("dead server cell: %+v", c)
	}
	if c := m.Cell("reference", "reference"); c == nil || c.Verdict != reports.Pass {
		t.Fatalf("reference cell: %+v", c)
	}
	if !strings.Contains(stdout.String(), "reference        × dead") {
		t.Errorf("summary lacks the dead cell:\n%s", stdout.String())
	}
}
