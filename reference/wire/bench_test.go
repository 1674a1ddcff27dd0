package wire_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/primlab/primlab/reference/wire"
)

// benchStreams returns the commands of every §9 example as one PRIM stream, and an HTTP/1.1
// stream of as many requests, each the same size as its PRIM counterpart: same headers and
// body, and a padding header on whichever side is shorter.
func benchStreams(b *testing.B) (prim, httpStream []byte, n int) {
	files, _ := filepath.Glob(filepath.Join(repoRoot(b), "fixtures", "examples", "prim", "*.prim"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range decodeAll(data, wire.DefaultLimits()).msgs {
			var h strings.Builder
			h.WriteString("POST /prim HTTP/1.1\r\nHost: example.net\r\n")
			for _, x := range m.Headers {
				fmt.Fprintf(&h, "%s: %s\r\n", x.Name, x.Value)
			}
			fmt.Fprintf(&h, "Content-Length: %d\r\n", len(m.Body))
			pm := *m
			pm.Headers = append([]wire.Header(nil), m.Headers...)
			diff := (h.Len() + 2 + len(m.Body)) - len(pm.Bytes())
			switch {
			case diff > 0:
				pm.Add("X-Pad", strings.Repeat("p", max(1, diff-len("X-Pad: \r\n"))))
			case diff < 0:
				fmt.Fprintf(&h, "X-Pad: %s\r\n", strings.Repeat("p", max(1, -diff-len("X-Pad: \r\n"))))
			}
			h.WriteString("\r\n")
			hb := append([]byte(h.String()), m.Body...)
			pb := pm.Bytes()
			if len(hb) != len(pb) {
				b.Fatalf("sizes differ: PRIM %d, HTTP %d", len(pb), len(hb))
			}
			prim = append(prim, pb...)
			httpStream = append(httpStream, hb...)
			n++
		}
	}
	return prim, httpStream, n
}

const readSize = 4096 // octets per simulated socket read

func decodePRIM(b *testing.B, d *wire.Decoder, stream []byte, n int) {
	got := 0
	for off := 0; off < len(stream); off += readSize {
		d.Feed(stream[off:min(off+readSize, len(stream))])
		for {
			m, err := d.Next()
			if err != nil {
				b.Fatal(err)
			}
			if m == nil {
				break
			}
			got++
		}
	}
	if got != n {
		b.Fatalf("decoded %d of %d", got, n)
	}
}

func decodeHTTP(b *testing.B, br *bufio.Reader, r *bytes.Reader, stream, body []byte, n int) {
	r.Reset(stream)
	br.Reset(r)
	for i := 0; i < n; i++ {
		req, err := http.ReadRequest(br)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(req.Body, body[:req.ContentLength]); err != nil {
			b.Fatal(err)
		}
	}
}

// perMessage runs f b.N times over n messages and reports ns/msg and allocs/msg.
func perMessage(b *testing.B, n int, size int, f func()) {
	b.ReportAllocs()
	b.SetBytes(int64(size))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for range b.N {
		f()
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/msg")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*n), "allocs/msg")
}

func benchPRIM(b *testing.B) {
	prim, _, n := benchStreams(b)
	d := wire.NewDecoder(wire.DefaultLimits())
	perMessage(b, n, len(prim), func() { decodePRIM(b, d, prim, n) })
}

func benchHTTP(b *testing.B) {
	_, hs, n := benchStreams(b)
	body := make([]byte, 1<<16)
	r := bytes.NewReader(nil)
	br := bufio.NewReaderSize(r, readSize)
	perMessage(b, n, len(hs), func() { decodeHTTP(b, br, r, hs, body, n) })
}

// BenchmarkDecode decodes the §9 example commands with wire.Decoder and, side by side, as many
// equal-sized HTTP/1.1 requests with net/http.ReadRequest.
func BenchmarkDecode(b *testing.B) {
	b.Run("prim", benchPRIM)
	b.Run("net-http", benchHTTP)
}

// BenchmarkDecodeRatio measures both decoders in one run, alternating them in every iteration
// so both see the same machine load, and reports how many times faster the PRIM decoder is
// (x-faster = http ns/msg divided by prim ns/msg) and the allocations per message of each.
// (testing.Benchmark cannot be called from inside a benchmark, hence the manual timing.)
func BenchmarkDecodeRatio(b *testing.B) {
	prim, hs, n := benchStreams(b)
	d := wire.NewDecoder(wire.DefaultLimits())
	body := make([]byte, 1<<16)
	r := bytes.NewReader(nil)
	br := bufio.NewReaderSize(r, readSize)
	decodePRIM(b, d, prim, n) // warm up both
	decodeHTTP(b, br, r, hs, body, n)
	var primDur, httpDur time.Duration
	var primAllocs, httpAllocs uint64
	var m0, m1, m2 runtime.MemStats
	b.ResetTimer()
	for range b.N {
		runtime.ReadMemStats(&m0)
		t0 := time.Now()
		decodePRIM(b, d, prim, n)
		t1 := time.Now()
		runtime.ReadMemStats(&m1)
		t2 := time.Now()
		decodeHTTP(b, br, r, hs, body, n)
		t3 := time.Now()
		runtime.ReadMemStats(&m2)
		primDur += t1.Sub(t0)
		httpDur += t3.Sub(t2)
		primAllocs += m1.Mallocs - m0.Mallocs
		httpAllocs += m2.Mallocs - m1.Mallocs
	}
	msgs := float64(b.N * n)
	b.ReportMetric(float64(httpDur)/float64(primDur), "x-faster")
	b.ReportMetric(float64(primDur.Nanoseconds())/msgs, "prim-ns/msg")
	b.ReportMetric(float64(httpDur.Nanoseconds())/msgs, "http-ns/msg")
	b.ReportMetric(float64(primAllocs)/msgs, "prim-allocs/msg")
	b.ReportMetric(float64(httpAllocs)/msgs, "http-allocs/msg")
}
