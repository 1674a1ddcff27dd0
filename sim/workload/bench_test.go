package workload

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/primlab/primlab/sim/topology"
)

// benchSpan reads PRIMLAB_SIM_SPAN (a Go duration), defaulting to def: the full one-hour run
// of the 100x100 federation takes a while, so `go test -bench` uses a shorter span unless asked.
func benchSpan(b *testing.B, def time.Duration) time.Duration {
	if s := os.Getenv("PRIMLAB_SIM_SPAN"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatalf("PRIMLAB_SIM_SPAN: %v", err)
		}
		return d
	}
	return def
}

// benchTopology runs a fixture topology for span and reports the time acceleration factor
// (simulated seconds per wall second), engine events per second and the heap in use at the
// end. It never asserts on wall time.
func benchTopology(b *testing.B, file string, span time.Duration) {
	top, err := topology.Load(filepath.Join("..", "..", "fixtures", "topologies", file))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		r, err := New(top, Options{Seed: 1, Duration: span})
		if err != nil {
			b.Fatal(err)
		}
		built := time.Since(start)
		m, err := r.Run()
		if err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(span.Seconds()/wall.Seconds(), "sim-s/wall-s")
		b.ReportMetric(float64(m.Events)/wall.Seconds(), "engine-events/s")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		b.ReportMetric(built.Seconds(), "build-s")
		b.Logf("%s for %v: wall %v (build %v), %.3gx, %d engine events, %d notifications (p50 %.1f ms), heap in use %d MiB, sys %d MiB",
			top.Name, span, wall.Round(time.Millisecond), built.Round(time.Millisecond), span.Seconds()/wall.Seconds(), m.Events,
			m.NotificationLatency.Count, m.NotificationLatency.P50, ms.HeapInuse>>20, ms.Sys>>20)
	}
}

func BenchmarkFederation100x100(b *testing.B) {
	benchTopology(b, "federation-100x100.yaml", benchSpan(b, 5*time.Minute))
}

func BenchmarkFederation1000x1000(b *testing.B) {
	benchTopology(b, "federation-1000x1000.yaml", benchSpan(b, 10*time.Second))
}

func BenchmarkTwoDomains(b *testing.B) {
	benchTopology(b, "two-domains.yaml", benchSpan(b, 6*time.Minute))
}
