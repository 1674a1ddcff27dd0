package workload

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/sim/metrics"
	"github.com/primlab/primlab/sim/topology"
)

func load(t *testing.T, file string) *topology.Topology {
	t.Helper()
	top, err := topology.Load(filepath.Join("..", "..", "fixtures", "topologies", file))
	if err != nil {
		t.Fatal(err)
	}
	return top
}

func run(t *testing.T, top *topology.Topology, opt Options) *metrics.Metrics {
	t.Helper()
	r, err := New(top, opt)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Run()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func jsonOf(t *testing.T, m *metrics.Metrics) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := m.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The same seed gives byte-identical metrics JSON; another seed gives other numbers.
func TestDeterministicMetrics(t *testing.T) {
	top := load(t, "two-domains.yaml")
	a := jsonOf(t, run(t, top, Options{Seed: 7}))
	b := jsonOf(t, run(t, top, Options{Seed: 7}))
	if !bytes.Equal(a, b) {
		t.Fatalf("seed 7 twice gave different metrics:\n%s\n---\n%s", a, b)
	}
	c := jsonOf(t, run(t, top, Options{Seed: 8}))
	if bytes.Equal(a, c) {
		t.Fatal("seeds 7 and 8 gave identical metrics: the seed does not reach the run")
	}
}

// The trace and the capture are deterministic too, and tracing does not change the run.
func TestTraceAndCaptureDeterministic(t *testing.T) {
	top := load(t, "two-domains.yaml")
	var tr1, tr2, pc1, pc2 bytes.Buffer
	m1 := run(t, top, Options{Seed: 3, Duration: 30 * time.Second, Trace: &tr1, Pcap: &pc1})
	run(t, top, Options{Seed: 3, Duration: 30 * time.Second, Trace: &tr2, Pcap: &pc2})
	m3 := run(t, top, Options{Seed: 3, Duration: 30 * time.Second})
	if tr1.Len() == 0 || pc1.Len() == 0 {
		t.Fatal("no trace or capture written")
	}
	if !bytes.Equal(tr1.Bytes(), tr2.Bytes()) || !bytes.Equal(pc1.Bytes(), pc2.Bytes()) {
		t.Fatal("trace or capture differ between two runs with one seed")
	}
	if !bytes.Equal(jsonOf(t, m1), jsonOf(t, m3)) {
		t.Fatal("tracing changed the metrics")
	}
	if !strings.Contains(tr1.String(), `"PUBLISH PRIM-PR/1.0`) || !strings.Contains(tr1.String(), `"NOTIFY PRIM/1.0`) {
		t.Error("trace shows no client PUBLISH or server-server NOTIFY")
	}
}

func TestTwoDomains(t *testing.T) {
	top := load(t, "two-domains.yaml")
	m := run(t, top, Options{Seed: 1})
	if m.Domains != 2 || m.Users != 20 || m.Simulated != "6m0s" {
		t.Fatalf("header %+v", m)
	}
	c := m.Counts
	if c.Logins < 20 {
		t.Errorf("%d logins for 20 users", c.Logins)
	}
	if c.Publishes == 0 || c.Notifications == 0 || c.IMDelivered == 0 {
		t.Fatalf("workload did not run: %+v", c)
	}
	// Latency cannot beat the links: a notification crosses at least one access link twice
	// (publisher to server, server to watcher): 2 x 10 ms.
	n := m.NotificationLatency
	if n.Count == 0 || n.P50 < 20 || n.P50 > n.P90 || n.P90 > n.P99 || n.P99 > n.Max {
		t.Errorf("notification latency %+v", n)
	}
	if m.IMLatency.Count != int(c.IMDelivered) || m.IMLatency.P50 < 20 {
		t.Errorf("IM latency %+v with %d delivered", m.IMLatency, c.IMDelivered)
	}
	// Half the buddies are remote: both link classes carry traffic, client-server more.
	cs, ss := m.Traffic.ClientServer, m.Traffic.ServerServer
	if ss.Messages == 0 || cs.Messages <= ss.Messages || cs.Bytes == 0 || ss.Bytes == 0 {
		t.Errorf("traffic client-server %+v server-server %+v", cs, ss)
	}
	var sum int64
	for _, b := range m.TrafficOverTime.ServerServer {
		sum += b
	}
	if sum != ss.Bytes {
		t.Errorf("server-server bytes over time sum to %d, total %d", sum, ss.Bytes)
	}
	// The crash drops b.example's users, who reconnect.
	if c.Disconnects < 10 {
		t.Errorf("%d disconnects; the crash of b.example should drop its 10 users", c.Disconnects)
	}
	if len(m.Faults) != 2 {
		t.Fatalf("faults %+v", m.Faults)
	}
	for _, f := range m.Faults {
		if f.Healed == "" || f.ConvergedMs == nil {
			t.Errorf("fault %+v did not heal and converge within the run", f)
		}
	}
	if p := m.Faults[0]; p.Kind != "partition" || p.Lagging == 0 {
		t.Errorf("partition %+v: publishes during the cut should leave remote watchers behind", p)
	}
}

// Traffic is counted where engines write it. During a partition, servers keep writing on the
// server-server connection until the simulator's TCP gives up on it (30 s user timeout); after
// that they cannot reconnect, so nothing is written until the heal.
func TestPartitionStopsFederationTraffic(t *testing.T) {
	top := load(t, "two-domains.yaml")
	top.Faults = []topology.Fault{{Kind: topology.FaultPartition, At: topology.Duration(time.Minute), For: topology.Duration(2 * time.Minute), A: []string{"a.example"}}}
	m := run(t, top, Options{Seed: 2, Duration: 4 * time.Minute, Bucket: 10 * time.Second})
	ss := m.TrafficOverTime.ServerServer
	// Buckets 10..17 cover 100 s..180 s: after the cut (60 s) plus the user timeout, before
	// the heal.
	for i := 10; i < 18; i++ {
		if ss[i] != 0 {
			t.Errorf("bucket %d (%ds): %d server-server bytes written during the partition", i, i*10, ss[i])
		}
	}
	var before, after int64
	for i := 0; i < 6; i++ {
		before += ss[i]
	}
	for i := 18; i < len(ss); i++ {
		after += ss[i]
	}
	if before == 0 || after == 0 {
		t.Errorf("server-server bytes before %d, after %d: want traffic on both sides of the cut", before, after)
	}
}

func TestMesh20Short(t *testing.T) {
	top := load(t, "mesh-20.yaml")
	m := run(t, top, Options{Seed: 1, Duration: 4 * time.Minute})
	if m.Domains != 20 || m.Users != 400 {
		t.Fatalf("header %+v", m)
	}
	if m.Counts.Logins < 400 || m.NotificationLatency.Count == 0 || m.IMLatency.Count == 0 {
		t.Errorf("counts %+v", m.Counts)
	}
	if m.Traffic.ServerServer.Messages == 0 {
		t.Error("no federation traffic in a 20-domain mesh")
	}
	// The partition (3m-4m) heals exactly at the end: it is reported, its convergence not
	// yet; the crash (6m) lies beyond the span and never happens.
	if len(m.Faults) != 2 || m.Faults[1].Healed != "" || m.Faults[1].ConvergedMs != nil {
		t.Errorf("faults %+v", m.Faults)
	}
}

func TestNoWorkloadIsQuiet(t *testing.T) {
	top := load(t, "two-domains.yaml")
	top.Workload = topology.Workload{}
	top.Faults = nil
	m := run(t, top, Options{Seed: 1, Duration: time.Minute})
	if m.Counts.Logins != 20 || m.Counts.Notifications != 0 || m.Traffic.ServerServer.Messages != 0 {
		t.Errorf("users without buddies or rates should log in, publish and nothing more: %+v %+v", m.Counts, m.Traffic)
	}
	// Each user publishes once at login (version 1) and nobody watches it.
	if m.Counts.Publishes != 20 || m.NotificationLatency.Count != 0 {
		t.Errorf("publishes %d, notifications %d", m.Counts.Publishes, m.NotificationLatency.Count)
	}
}

// The merged Poisson processes give the rates the topology asks for: 20 users changing
// presence once a minute for about 6 minutes, plus one publish each at login; half an IM a
// minute each. The seed is fixed, so the bounds are not flaky; they allow for Poisson noise
// (three standard deviations) and for users offline during the crash.
func TestWorkloadRates(t *testing.T) {
	top := load(t, "two-domains.yaml")
	top.Faults = nil
	for _, seed := range []uint64{1, 2, 3} {
		m := run(t, top, Options{Seed: seed})
		if p := m.Counts.Publishes; p < 20+85 || p > 20+155 {
			t.Errorf("seed %d: %d publishes, want about 20 + 120", seed, p)
		}
		if n := m.Counts.IMSent; n < 35 || n > 85 {
			t.Errorf("seed %d: %d IMs, want about 60", seed, n)
		}
		// Every user renews its subscriptions every 96 s (80% of 2m) after the first ones.
		if s := m.Counts.Subscribes; s < 4*20*3 {
			t.Errorf("seed %d: %d subscriptions placed, want at least three rounds of 80", seed, s)
		}
	}
}

func TestSplitTag(t *testing.T) {
	for _, c := range []struct {
		in   string
		user int32
		tag  string
		ok   bool
	}{{"17|shared", 17, "shared", true}, {"0|shared@h:1", 0, "shared@h:1", true}, {"shared", 0, "", false}, {"|x", 0, "", false}, {"a|x", 0, "", false}} {
		u, tag, ok := splitTag(c.in)
		if u != c.user || tag != c.tag || ok != c.ok {
			t.Errorf("splitTag(%q) = %d %q %v", c.in, u, tag, ok)
		}
	}
}

// Idle clients PING at the workload's ping interval (Decision D45): over a quiet minute, a
// 10 s interval makes each of the 20 users send about five more messages than the 1 m default.
func TestPingInterval(t *testing.T) {
	top := load(t, "two-domains.yaml")
	top.Workload = topology.Workload{}
	top.Faults = nil
	base := run(t, top, Options{Seed: 1, Duration: time.Minute}).Traffic.ClientServer.Messages
	top.Workload.PingInterval = topology.Duration(10 * time.Second)
	fast := run(t, top, Options{Seed: 1, Duration: time.Minute}).Traffic.ClientServer.Messages
	if fast-base < 20*4 {
		t.Errorf("client-server messages: %d with 10 s pings, %d with the default; want at least 80 more", fast, base)
	}
}

// Watching progress (running the world in smaller chunks) does not change the run.
func TestProgressDoesNotChangeRun(t *testing.T) {
	top := load(t, "two-domains.yaml")
	var calls int
	a := jsonOf(t, run(t, top, Options{Seed: 4, ProgressEvery: 7 * time.Second, Progress: func(now, end time.Duration) {
		calls++
		if now > end {
			t.Errorf("progress %v past the end %v", now, end)
		}
	}}))
	b := jsonOf(t, run(t, top, Options{Seed: 4, ProgressEvery: time.Minute}))
	if !bytes.Equal(a, b) {
		t.Error("metrics depend on the progress chunk size")
	}
	if calls != 52 { // ceil(6m / 7s)
		t.Errorf("%d progress calls, want 52", calls)
	}
}
