package metrics

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Plot file names WritePlots writes.
const (
	LatencyCDFFile  = "latency-cdf.svg"
	TrafficTimeFile = "traffic.svg"
)

// cdfPoints bounds the points of a CDF line: quantiles are sampled, not every sample drawn.
const cdfPoints = 400

// WritePlots writes the latency CDF (notifications and IMs) and traffic over time (bytes per
// second per link class) as SVG files into dir. gonum/plot renders deterministically, so the
// same metrics give the same files.
func WritePlots(dir string, m *Metrics) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	var written []string
	cdf, err := latencyCDF(m)
	if err != nil {
		return nil, err
	}
	traffic, err := trafficPlot(m)
	if err != nil {
		return nil, err
	}
	for name, p := range map[string]*plot.Plot{LatencyCDFFile: cdf, TrafficTimeFile: traffic} {
		path := filepath.Join(dir, name)
		if err := p.Save(7*vg.Inch, 4*vg.Inch, path); err != nil {
			return nil, fmt.Errorf("metrics: writing %s: %w", path, err)
		}
		written = append(written, path)
	}
	if written[0] > written[1] {
		written[0], written[1] = written[1], written[0]
	}
	return written, nil
}

var (
	blue   = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	orange = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
)

func latencyCDF(m *Metrics) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: latency CDF (seed %d, %s simulated)", m.Topology, m.Seed, m.Simulated)
	p.X.Label.Text = "latency (ms, log scale)"
	p.Y.Label.Text = "fraction of deliveries"
	// Latencies span milliseconds (a quiet link) to tens of seconds (a partition), so the
	// x axis is logarithmic.
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = 0, 1
	p.Add(plotter.NewGrid())
	for _, s := range []struct {
		name    string
		samples []time.Duration
		c       color.Color
	}{
		{"presence notification", m.notify, blue},
		{"instant message", m.im, orange},
	} {
		if len(s.samples) == 0 {
			continue
		}
		pts := cdf(s.samples)
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("metrics: %s CDF: %w", s.name, err)
		}
		l.Color = s.c
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (n=%d)", s.name, len(s.samples)), l)
	}
	p.Legend.Top = false
	p.Legend.Left = false
	return p, nil
}

// cdf returns at most cdfPoints+1 points (latency ms, fraction) of sorted samples.
func cdf(sorted []time.Duration) plotter.XYs {
	n := len(sorted)
	step := max(1, n/cdfPoints)
	var pts plotter.XYs
	for i := 0; i < n; i += step {
		pts = append(pts, plotter.XY{X: logSafe(ms(sorted[i])), Y: float64(i+1) / float64(n)})
	}
	if last := pts[len(pts)-1]; last.Y != 1 {
		pts = append(pts, plotter.XY{X: logSafe(ms(sorted[n-1])), Y: 1})
	}
	return pts
}

// logSafe keeps a value plottable on a log axis (a zero latency becomes 1 µs).
func logSafe(x float64) float64 { return max(x, 0.001) }

func trafficPlot(m *Metrics) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: traffic over time", m.Topology)
	p.X.Label.Text = "virtual time (s)"
	p.Y.Label.Text = "PRIM bytes per second"
	p.Add(plotter.NewGrid())
	s := m.TrafficOverTime
	span, _ := time.ParseDuration(m.Simulated)
	p.X.Min, p.X.Max = 0, span.Seconds()
	p.Y.Min = 0
	for _, c := range []struct {
		name   string
		series []int64
		c      color.Color
	}{
		{"client-server", s.ClientServer, blue},
		{"server-server", s.ServerServer, orange},
	} {
		if len(c.series) == 0 {
			continue
		}
		pts := make(plotter.XYs, len(c.series))
		for i, b := range c.series {
			pts[i] = plotter.XY{X: float64(i) * s.BucketSeconds, Y: float64(b) / s.BucketSeconds}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("metrics: %s traffic: %w", c.name, err)
		}
		l.Color = c.c
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(c.name, l)
	}
	p.Legend.Top = true
	for _, f := range m.Faults {
		// Mark each fault's start with a dashed vertical line.
		at, err := time.ParseDuration(f.At)
		if err != nil || at > span {
			continue
		}
		x := at.Seconds()
		l, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: maxBytes(s) / max(s.BucketSeconds, 1)}})
		if err != nil {
			continue
		}
		l.Color = color.Gray{Y: 0x80}
		l.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
		p.Add(l)
	}
	return p, nil
}

func maxBytes(s Series) float64 {
	var m int64
	for _, v := range append(append([]int64{}, s.ClientServer...), s.ServerServer...) {
		m = max(m, v)
	}
	return float64(m)
}
