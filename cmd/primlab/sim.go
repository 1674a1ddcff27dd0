package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/primlab/primlab/sim/metrics"
	"github.com/primlab/primlab/sim/topology"
	"github.com/primlab/primlab/sim/workload"
)

func init() {
	register(command{
		name:    "sim",
		summary: "simulate a federation topology on virtual time and report latency, traffic and convergence",
		run:     runSim,
	})
}

func runSim(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	topoPath := fs.String("topology", "", "topology `FILE` (YAML, see fixtures/topologies)")
	seed := fs.Uint64("seed", 1, "seed of every random choice: the same seed gives the same metrics")
	duration := fs.Duration("duration", 0, "simulated span (default: the topology's duration)")
	tracePath := fs.String("trace", "", "write the simulator's trace to `FILE`")
	pcapPath := fs.String("pcap", "", "write a pcapng capture of every segment to `FILE`")
	outDir := fs.String("out", "", "write metrics.json and SVG plots into `DIR` (default: metrics JSON on stdout, no plots)")
	bench := fs.Bool("bench", false, "print wall time, time acceleration (simulated/wall) and memory on stderr")
	progress := fs.String("progress", "auto", "progress line on stderr: auto (when stderr is a terminal), on or off")
	gcPercent := fs.Int("gc-percent", 0, "garbage collector target (debug.SetGCPercent) for big runs: e.g. 400 trades about 2.5x memory for ~10% speed on 100x100 (0: the Go default; GOGC in the environment wins)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: primlab sim --topology FILE [--seed N] [--duration D] [--trace F] [--pcap F] [--out DIR] [--bench]")
		fmt.Fprintln(stderr, "\nBuilds the federation the topology describes on the reference engines (a server per domain,")
		fmt.Fprintln(stderr, "peered with every other; a client engine per user), runs its workload and fault schedule on")
		fmt.Fprintln(stderr, "virtual time and reports notification and IM latency, traffic per link class and convergence")
		fmt.Fprintln(stderr, "after each fault. Exit 0: ran; 2: bad flags or topology; 3: the simulation failed.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "primlab sim: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	if *topoPath == "" {
		fmt.Fprintln(stderr, "primlab sim: --topology is required")
		return exitUsage
	}
	if *duration < 0 {
		fmt.Fprintf(stderr, "primlab sim: --duration %v is negative\n", *duration)
		return exitUsage
	}
	showProgress := false
	switch *progress {
	case "auto":
		showProgress = isTerminal(stderr)
	case "on":
		showProgress = true
	case "off":
	default:
		fmt.Fprintf(stderr, "primlab sim: --progress %q: want auto, on or off\n", *progress)
		return exitUsage
	}
	top, err := topology.Load(*topoPath)
	if err != nil {
		fmt.Fprintf(stderr, "primlab sim: %v\n", err)
		return exitUsage
	}

	if os.Getenv("GOGC") == "" && *gcPercent > 0 {
		// A simulation allocates steadily and keeps a modest live heap, so collecting less often
		// buys some wall time at the cost of memory (measured on 100x100, 10 simulated minutes:
		// 400 gave 20.2x real time at 1.7 GB peak against 18.3x at 0.7 GB).
		defer debug.SetGCPercent(debug.SetGCPercent(*gcPercent))
	}
	opt := workload.Options{Seed: *seed, Duration: *duration}
	var closers []func() error
	defer func() {
		for _, c := range closers {
			_ = c() // errors on the success path are checked below; this only cleans up
		}
	}()
	openOut := func(path string) (io.Writer, func() error, error) {
		// --trace and --pcap may point into --out, which need not exist yet.
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, nil, err
		}
		f, err := os.Create(path)
		if err != nil {
			return nil, nil, err
		}
		bw := bufio.NewWriterSize(f, 1<<16)
		done := false
		closeFn := func() error {
			if done {
				return nil
			}
			done = true
			return errors.Join(bw.Flush(), f.Close())
		}
		closers = append(closers, closeFn)
		return bw, closeFn, nil
	}
	var finish []func() error
	if *tracePath != "" {
		w, c, err := openOut(*tracePath)
		if err != nil {
			fmt.Fprintf(stderr, "primlab sim: --trace: %v\n", err)
			return exitUsage
		}
		opt.Trace, finish = w, append(finish, c)
	}
	if *pcapPath != "" {
		w, c, err := openOut(*pcapPath)
		if err != nil {
			fmt.Fprintf(stderr, "primlab sim: --pcap: %v\n", err)
			return exitUsage
		}
		opt.Pcap, finish = w, append(finish, c)
	}
	if showProgress {
		opt.Progress = func(now, end time.Duration) {
			fmt.Fprintf(stderr, "\rprimlab sim: %s: %v / %v simulated (%.0f%%)   ", top.Name, now, end, 100*now.Seconds()/end.Seconds())
		}
	}

	start := time.Now()
	r, err := workload.New(top, opt)
	if err != nil {
		fmt.Fprintf(stderr, "primlab sim: %v\n", err)
		return exitHarness
	}
	built := time.Since(start)
	m, err := r.Run()
	wall := time.Since(start)
	if showProgress {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "primlab sim: %v\n", err)
		return exitHarness
	}
	for _, c := range finish {
		if err := c(); err != nil {
			fmt.Fprintf(stderr, "primlab sim: writing trace or capture: %v\n", err)
			return exitHarness
		}
	}

	if *outDir == "" {
		if err := m.WriteJSON(stdout); err != nil {
			fmt.Fprintf(stderr, "primlab sim: %v\n", err)
			return exitHarness
		}
	} else if code := writeSimOut(*outDir, m, stderr); code != exitOK {
		return code
	}
	if *bench {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		span, _ := time.ParseDuration(m.Simulated)
		fmt.Fprintf(stderr, "bench: %s seed %d: %d domains, %d users, %v simulated in %v wall (build %v): %.3gx real time; %d engine events (%.0f/s); heap in use %d MiB, total from OS %d MiB, %d GCs\n",
			m.Topology, m.Seed, m.Domains, m.Users, span, wall.Round(time.Millisecond), built.Round(time.Millisecond),
			span.Seconds()/wall.Seconds(), m.Events, float64(m.Events)/wall.Seconds(), ms.HeapInuse>>20, ms.Sys>>20, ms.NumGC)
	}
	return exitOK
}

func writeSimOut(dir string, m *metrics.Metrics, stderr io.Writer) int {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "primlab sim: --out: %v\n", err)
		return exitUsage
	}
	path := filepath.Join(dir, "metrics.json")
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "primlab sim: %v\n", err)
		return exitHarness
	}
	if err := errors.Join(m.WriteJSON(f), f.Close()); err != nil {
		fmt.Fprintf(stderr, "primlab sim: %s: %v\n", path, err)
		return exitHarness
	}
	plots, err := metrics.WritePlots(dir, m)
	if err != nil {
		fmt.Fprintf(stderr, "primlab sim: %v\n", err)
		return exitHarness
	}
	fmt.Fprintf(stderr, "primlab sim: wrote %s", path)
	for _, p := range plots {
		fmt.Fprintf(stderr, ", %s", p)
	}
	fmt.Fprintln(stderr)
	return exitOK
}

// isTerminal reports whether w is a character device (a terminal), where a progress line
// that rewrites itself makes sense.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
