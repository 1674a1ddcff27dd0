package harness

import (
	"bytes"
	"testing"

	"github.com/primlab/primlab/reference/wire"
)

// simExchange logs alice in against a fresh simulated reference server and returns the
// transcript and the capture.
func simExchange(t *testing.T, seed uint64) (string, []byte) {
	t.Helper()
	cfg := Config{}.withDefaults()
	tr, err := newSimTransport(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	h := &H{cfg: cfg, tr: tr, peers: map[string]int{}}
	alice := h.Peer("alice").WithAccount("alice")
	init := alice.LoginInit(wire.VersionPresence, "CRAM-MD5")
	alice.Send(init)
	ev := alice.Next()
	if ev.Msg == nil || ev.Msg.Code != wire.StatusAuthContinued {
		t.Fatalf("LOGIN CRAM-MD5: %s", ev)
	}
	if err := tr.w.Flush(); err != nil {
		t.Fatal(err)
	}
	return h.transcript.String(), bytes.Clone(tr.pcap.Bytes())
}

// TestSimulatedCaseReplaysByteForByte: the same case seed gives the same transcript (the
// CRAM-MD5 challenge comes from the seeded engine) and the same capture; another seed does not.
func TestSimulatedCaseReplaysByteForByte(t *testing.T) {
	seed := caseSeed(5, "prim/server/12.1/4")
	t1, p1 := simExchange(t, seed)
	t2, p2 := simExchange(t, seed)
	if t1 != t2 {
		t.Errorf("transcripts differ:\n%s\n---\n%s", t1, t2)
	}
	if !bytes.Equal(p1, p2) || len(p1) == 0 {
		t.Errorf("captures differ or are empty (%d, %d bytes)", len(p1), len(p2))
	}
	if t3, _ := simExchange(t, seed+1); t3 == t1 {
		t.Error("another seed gave the same challenge")
	}
}
