package metrics

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {90, 90 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.5, time.Millisecond}} {
		if got := Percentile(s, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if got := Percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("single sample p99 = %v", got)
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("empty p50 = %v", got)
	}
}

func TestSummarize(t *testing.T) {
	r := &Recorder{Bucket: 10 * time.Second}
	for _, d := range []time.Duration{30, 10, 20, 40} {
		r.Notify(d * time.Millisecond)
	}
	r.IM(5 * time.Millisecond)
	r.Message(ClientServer, 0, 100)
	r.Message(ClientServer, 25*time.Second, 50)
	r.Message(ServerServer, 12*time.Second, 7)
	m := r.Summarize(time.Minute)
	n := m.NotificationLatency
	if n.Count != 4 || n.P50 != 20 || n.P90 != 40 || n.Max != 40 || n.Mean != 25 {
		t.Errorf("notification latency %+v", n)
	}
	if m.Traffic.ClientServer != (Traffic{Messages: 2, Bytes: 150}) || m.Traffic.ServerServer != (Traffic{Messages: 1, Bytes: 7}) {
		t.Errorf("traffic %+v", m.Traffic)
	}
	s := m.TrafficOverTime
	if len(s.ClientServer) != 6 || s.ClientServer[0] != 100 || s.ClientServer[2] != 50 || s.ServerServer[1] != 7 || len(s.ServerServer) != 6 {
		t.Errorf("series %+v: want 6 buckets of 10 s each", s)
	}
	if m.Faults == nil {
		t.Error("faults must encode as [] rather than null")
	}
}

// Plots render the same bytes from the same metrics, so a run's output directory is
// reproducible.
func TestPlotsDeterministic(t *testing.T) {
	r := &Recorder{Bucket: time.Second}
	for i := 0; i < 1000; i++ {
		r.Notify(time.Duration(i*i) * time.Microsecond)
		r.Message(ServerServer, time.Duration(i)*10*time.Millisecond, i)
	}
	r.AddFault(Fault{Kind: "crash", Target: "x", At: "3s"})
	m := r.Summarize(10 * time.Second)
	m.Topology = "unit"
	var got [2][]byte
	for i := range got {
		dir := t.TempDir()
		files, err := WritePlots(dir, m)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 2 || filepath.Base(files[0]) != LatencyCDFFile || filepath.Base(files[1]) != TrafficTimeFile {
			t.Fatalf("files %q", files)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got[i] = append(got[i], b...)
		}
	}
	if !bytes.Equal(got[0], got[1]) {
		t.Error("two renders of the same metrics differ")
	}
	if !bytes.Contains(got[0], []byte("presence notification (n=1000)")) {
		t.Error("CDF legend missing")
	}
}
