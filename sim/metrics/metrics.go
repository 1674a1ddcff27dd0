// Package metrics holds what a simulated federation run measures and how it is shown: latency
// distributions with percentiles, traffic per link class and over time, convergence after
// faults, as deterministic JSON and as SVG plots (gonum.org/v1/plot).
//
// The package offers:
//
//   - [Recorder]: the collector a run feeds (latency samples, messages and bytes per link
//     class, fault outcomes), all in virtual time.
//   - [Metrics]: the summary, written with [Metrics.WriteJSON]; the same seed and topology
//     give byte-identical JSON (no wall-clock value is in it).
//   - [WritePlots]: latency CDFs and traffic over time as SVG files.
package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"
)

// Link classes.
const (
	ClientServer = "client-server"
	ServerServer = "server-server"
)

// Recorder collects measurements of one run. Times are virtual (time since the run began).
type Recorder struct {
	// Bucket is the width of a traffic-over-time bucket (default 10 s).
	Bucket time.Duration

	notify []time.Duration
	im     []time.Duration
	cs, ss Traffic
	// bytes per bucket, per class
	csSeries, ssSeries []int64
	faults             []Fault
	counts             Counts
}

// Traffic is what crossed one class of links: PRIM messages and their bytes (TCP payload).
type Traffic struct {
	Messages int64 `json:"messages"`
	Bytes    int64 `json:"bytes"`
}

// Counts are workload totals.
type Counts struct {
	Logins         int64 `json:"logins"`
	LoginFailures  int64 `json:"login_failures"`
	Publishes      int64 `json:"publishes"`
	PublishFailed  int64 `json:"publish_failures"`
	Subscribes     int64 `json:"subscribes"`
	SubscribeFails int64 `json:"subscribe_failures"`
	Notifications  int64 `json:"notifications"`
	IMSent         int64 `json:"ims_sent"`
	IMAccepted     int64 `json:"ims_accepted"`
	IMFailed       int64 `json:"ims_failed"`
	IMDelivered    int64 `json:"ims_delivered"`
	Disconnects    int64 `json:"disconnects"`
}

// Fault is the outcome of one scheduled fault.
type Fault struct {
	Kind   string `json:"kind"`
	Target string `json:"target"`
	At     string `json:"at"`
	Healed string `json:"healed,omitempty"`
	// Lagging is how many (watcher, presentity) pairs did not yet show the presentity's
	// current presence when the fault healed.
	Lagging int `json:"lagging_at_heal"`
	// ConvergedMs is how long after the heal every watcher's view equalled the presence each
	// presentity had at the heal; nil when it did not happen before the run ended.
	ConvergedMs *float64 `json:"converged_after_ms"`
}

// Counts gives access to the totals for the run to update.
func (r *Recorder) Counts() *Counts { return &r.counts }

// Notify records the latency of one presence change reaching one watcher.
func (r *Recorder) Notify(d time.Duration) { r.notify = append(r.notify, d) }

// IM records the latency of one instant message reaching its recipient.
func (r *Recorder) IM(d time.Duration) { r.im = append(r.im, d) }

// Message records one PRIM message of n bytes written at virtual time at on a link class.
func (r *Recorder) Message(class string, at time.Duration, n int) {
	if r.Bucket <= 0 {
		r.Bucket = 10 * time.Second
	}
	b := int(at / r.Bucket)
	series := &r.csSeries
	t := &r.cs
	if class == ServerServer {
		series, t = &r.ssSeries, &r.ss
	}
	t.Messages++
	t.Bytes += int64(n)
	for len(*series) <= b {
		*series = append(*series, 0)
	}
	(*series)[b] += int64(n)
}

// AddFault records a fault's outcome.
func (r *Recorder) AddFault(f Fault) { r.faults = append(r.faults, f) }

// Metrics is the summary of a run, as primlab sim writes it (metrics.json).
type Metrics struct {
	Topology  string `json:"topology"`
	Seed      uint64 `json:"seed"`
	Simulated string `json:"simulated"`
	Domains   int    `json:"domains"`
	Users     int    `json:"users"`
	// Events counts the events the engines handled (the simulator's own segment and timer
	// events are not included).
	Events int64 `json:"engine_events"`

	NotificationLatency Latency `json:"notification_latency_ms"`
	IMLatency           Latency `json:"im_latency_ms"`

	Traffic struct {
		ClientServer Traffic `json:"client_server"`
		ServerServer Traffic `json:"server_server"`
	} `json:"traffic"`
	TrafficOverTime Series `json:"traffic_over_time"`

	Counts Counts  `json:"counts"`
	Faults []Fault `json:"faults"`

	notify, im []time.Duration
}

// Series is bytes per time bucket, per link class.
type Series struct {
	BucketSeconds float64 `json:"bucket_seconds"`
	ClientServer  []int64 `json:"client_server_bytes"`
	ServerServer  []int64 `json:"server_server_bytes"`
}

// Latency summarises a latency distribution in milliseconds. Percentiles use the
// nearest-rank method on the sorted samples.
type Latency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
}

// Summarize sorts the samples and returns the run's Metrics; the caller fills the header
// fields (Topology, Seed, ...).
func (r *Recorder) Summarize(span time.Duration) *Metrics {
	m := &Metrics{Simulated: span.String(), Counts: r.counts, Faults: r.faults}
	if m.Faults == nil {
		m.Faults = []Fault{}
	}
	m.notify = slices.Clone(r.notify)
	m.im = slices.Clone(r.im)
	slices.Sort(m.notify)
	slices.Sort(m.im)
	m.NotificationLatency = summarize(m.notify)
	m.IMLatency = summarize(m.im)
	m.Traffic.ClientServer = r.cs
	m.Traffic.ServerServer = r.ss
	bucket := r.Bucket
	if bucket <= 0 {
		bucket = 10 * time.Second
	}
	n := int((span + bucket - 1) / bucket)
	m.TrafficOverTime = Series{
		BucketSeconds: bucket.Seconds(),
		ClientServer:  pad(r.csSeries, n),
		ServerServer:  pad(r.ssSeries, n),
	}
	return m
}

func pad(s []int64, n int) []int64 {
	out := make([]int64, max(n, len(s)))
	copy(out, s)
	return out
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of sorted samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100+0.999999999) - 1
	rank = min(max(rank, 0), len(sorted)-1)
	return sorted[rank]
}

func summarize(sorted []time.Duration) Latency {
	if len(sorted) == 0 {
		return Latency{}
	}
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	return Latency{
		Count: len(sorted),
		P50:   ms(Percentile(sorted, 50)),
		P90:   ms(Percentile(sorted, 90)),
		P99:   ms(Percentile(sorted, 99)),
		Max:   ms(sorted[len(sorted)-1]),
		Mean:  ms(sum / time.Duration(len(sorted))),
	}
}

// ms converts to milliseconds, rounded to the microsecond so the JSON stays short.
func ms(d time.Duration) float64 {
	return float64(d.Round(time.Microsecond).Microseconds()) / 1000
}

// Ms converts a duration to the milliseconds the JSON uses.
func Ms(d time.Duration) float64 { return ms(d) }

// WriteJSON writes m as indented JSON followed by a newline.
func (m *Metrics) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("metrics: writing JSON: %w", err)
	}
	return nil
}
