package sim

import (
	"bytes"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// TestCaptureIsCoherentTCP reads the capture back with gopacket: one interface per host,
// timestamps from the virtual clock, and per direction the payloads laid out by sequence
// number rebuild exactly the bytes the application saw, even with loss, duplication and
// reordering on the link.
func TestCaptureIsCoherentTCP(t *testing.T) {
	var pcap bytes.Buffer
	w := newTestWorld(t, Config{Seed: 3, MSS: 300, Pcap: &pcap,
		Link: &LinkConfig{Latency: 4 * time.Millisecond, Loss: 0.2, Duplicate: 0.2, Reorder: 0.2}})
	c := w.Connect("alice", "server:7000")
	var sent []byte
	for i := 0; i < 20; i++ {
		sent = append(sent, "SUBSCRIBE PRIM-PR/1.0 1 0\r\nTo: pres:someone.with.a.long.name@example.com\r\n\r\n"...)
	}
	c.Write(sent)
	if !w.RunUntil(func() bool { return bytes.Count(c.Received(), []byte("200 OK")) == 20 }, time.Minute) {
		t.Fatalf("responses missing: %q", c.Received())
	}
	received := append([]byte(nil), c.Received()...)
	c.Close()
	w.RunUntilQuiet()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(pcap.Bytes(), []byte(runtime.GOOS)) && runtime.GOOS != "" {
		t.Errorf("capture embeds GOOS %q: section options are not deterministic", runtime.GOOS)
	}

	r, err := pcapgo.NewNgReader(bytes.NewReader(pcap.Bytes()), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	type seg struct {
		seq  uint32
		data []byte
	}
	var isn [2]uint32
	var segs [2][]seg
	var last time.Time
	packets := 0
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		packets++
		if ci.Timestamp.Before(last) {
			t.Errorf("packet %d at %v goes back in time", packets, ci.Timestamp)
		}
		last = ci.Timestamp
		if ci.Timestamp.Before(DefaultStart) || ci.Timestamp.After(DefaultStart.Add(time.Minute)) {
			t.Errorf("packet %d at %v is not on the virtual clock", packets, ci.Timestamp)
		}
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		tl, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tl == nil {
			t.Fatalf("packet %d is not TCP: %v", packets, p)
		}
		dir := 0
		if tl.SrcPort == 7000 {
			dir = 1
		}
		if tl.SYN {
			isn[dir] = tl.Seq
			continue
		}
		if len(tl.Payload) > 0 {
			segs[dir] = append(segs[dir], seg{tl.Seq - isn[dir] - 1, tl.Payload})
		}
	}
	if n := r.NInterfaces(); n != 3 {
		t.Errorf("%d interfaces, want one per host (3)", n)
	}
	for i, name := range []string{"alice", "bob", "server"} {
		if intf, err := r.Interface(i); err != nil || intf.Name != name {
			t.Errorf("interface %d: %q %v, want %q", i, intf.Name, err, name)
		}
	}
	for dir, want := range [][]byte{sent, received} {
		sort.SliceStable(segs[dir], func(i, j int) bool { return segs[dir][i].seq < segs[dir][j].seq })
		var stream []byte
		for _, s := range segs[dir] {
			switch {
			case int(s.seq) == len(stream):
				stream = append(stream, s.data...)
			case int(s.seq)+len(s.data) <= len(stream):
				if !bytes.Equal(stream[s.seq:int(s.seq)+len(s.data)], s.data) {
					t.Fatalf("direction %d: a copy of the segment at %d differs from the original", dir, s.seq)
				}
			default:
				t.Fatalf("direction %d: gap or overlap at %d (have %d)", dir, s.seq, len(stream))
			}
		}
		if !bytes.Equal(stream, want) {
			t.Errorf("direction %d: the capture's stream (%d bytes) differs from what the application saw (%d)", dir, len(stream), len(want))
		}
	}
}
