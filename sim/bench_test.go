package sim

import (
	"container/heap"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// bareItem and bareHeap are the yardstick: the textbook container/heap loop over the same
// (time, sequence) keys, without anything a simulator needs.
type bareItem struct {
	at  int64
	seq uint64
}

type bareHeap []bareItem

func (h bareHeap) Len() int { return len(h) }
func (h bareHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h bareHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *bareHeap) Push(x any)   { *h = append(*h, x.(bareItem)) }
func (h *bareHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// eventTimes is a fixed pseudo-random schedule: each popped event schedules one later event,
// with a queue of `depth` events in flight, like a busy simulation.
const depth = 1024

func nextDelay(x *uint64) int64 {
	*x = *x*6364136223846793005 + 1442695040888963407
	return int64(*x>>40) % 1_000_000
}

// BenchmarkKernelVsBareHeap reports the world's events per second against a bare
// container/heap loop doing the same pushes and pops, measured side by side in one run
// (metric kernel/bare; the goal is at least 0.5).
func BenchmarkKernelVsBareHeap(b *testing.B) {
	const events = 1 << 16
	var kernel, bare time.Duration
	for i := 0; i < b.N; i++ {
		// world kernel: queue, clock, dispatch
		w := New(Config{})
		x := uint64(1)
		for j := 0; j < depth; j++ {
			w.q.push(nextDelay(&x), event{kind: evNop})
		}
		t0 := time.Now()
		for j := 0; j < events; j++ {
			w.Step()
			w.q.push(w.now+nextDelay(&x), event{kind: evNop})
		}
		kernel += time.Since(t0)

		// bare loop
		h := &bareHeap{}
		x = 1
		var seq uint64
		for j := 0; j < depth; j++ {
			seq++
			heap.Push(h, bareItem{nextDelay(&x), seq})
		}
		var now int64
		t0 = time.Now()
		for j := 0; j < events; j++ {
			it := heap.Pop(h).(bareItem)
			now = it.at
			seq++
			heap.Push(h, bareItem{now + nextDelay(&x), seq})
		}
		bare += time.Since(t0)
	}
	n := float64(b.N) * events
	b.ReportMetric(n/kernel.Seconds(), "kernel-events/s")
	b.ReportMetric(n/bare.Seconds(), "bare-events/s")
	b.ReportMetric(bare.Seconds()/kernel.Seconds(), "kernel/bare")
}

// BenchmarkVirtualTCP measures bytes moved through a virtual TCP connection, 1460-byte
// segments, no capture, no trace.
func BenchmarkVirtualTCP(b *testing.B) {
	w := New(Config{})
	w.MustAddHost(HostConfig{Name: "a", IP: "10.0.0.1"})
	w.MustAddHost(HostConfig{Name: "b", IP: "10.0.0.2"})
	l, _ := w.Listen("b", 1)
	c := w.Connect("a", "b:1")
	w.RunUntil(func() bool { return l.Pending() > 0 }, time.Second)
	s := l.Accept()
	chunk := make([]byte, 64<<10)
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Write(chunk)
		w.RunUntil(func() bool { return len(s.Received()) >= len(chunk) }, time.Minute)
		s.Consume(len(chunk))
	}
}

// BenchmarkTopology builds 100 domains of 100 users each (one agent engine per user, one
// server per domain), connects every user to its server and reports the memory that costs
// per host and the events per second of the whole run.
func BenchmarkTopology(b *testing.B) {
	const domains, users = 100, 100
	b.ReportAllocs()
	var heapPerHost float64
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		w := New(Config{Seed: uint64(i)})
		for d := 0; d < domains; d++ {
			server := fmt.Sprintf("s%d", d)
			w.MustAddHost(HostConfig{Name: server, IP: fmt.Sprintf("10.%d.0.1", d), New: newPrimServer,
				Listen: map[string]uint16{"client": 7000}, KeepFacts: -1})
			for u := 0; u < users; u++ {
				h := w.MustAddHost(HostConfig{Name: fmt.Sprintf("u%d.%d", d, u), IP: fmt.Sprintf("10.%d.%d.%d", d, 1+u/200, 2+u%200),
					New: newAgent, KeepFacts: -1})
				h.Call(dialOp{tag: "home", addr: server + ":7000", send: []byte("LOGIN PRIM-PR/1.0 1 0\r\n\r\n")})
			}
		}
		w.RunUntilQuiet()
		runtime.GC()
		runtime.ReadMemStats(&after)
		heapPerHost = float64(after.HeapAlloc-before.HeapAlloc) / (domains * (users + 1))
		runtime.KeepAlive(w)
	}
	b.ReportMetric(heapPerHost, "heap-B/host")
}
