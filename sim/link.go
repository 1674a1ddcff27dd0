package sim

import (
	"fmt"
	"time"
)

// LinkConfig describes the path between two hosts, in one direction or both.
type LinkConfig struct {
	// Latency is the one-way propagation delay.
	Latency time.Duration
	// Jitter adds a uniformly random delay in [0, Jitter) to every segment. Links stay FIFO:
	// jitter never lets a segment overtake an earlier one (use Reorder for that).
	Jitter time.Duration
	// Bandwidth in bytes per second (0: unlimited). Segments queue behind each other.
	Bandwidth int64
	// Loss is the probability that one transmission of a segment is lost. The sender
	// retransmits after its retransmission timeout, so loss shows as delay (and as a
	// retransmission in the capture), never as missing bytes.
	Loss float64
	// Duplicate is the probability that a segment arrives twice. The receiver's TCP drops the
	// copy; only the capture shows it.
	Duplicate float64
	// Reorder is the probability that a segment is held back long enough for the next one to
	// overtake it. The receiver's TCP puts the bytes back in order.
	Reorder float64
}

func (c LinkConfig) validate() error {
	for _, p := range []float64{c.Loss, c.Duplicate, c.Reorder} {
		if p < 0 || p >= 1 {
			return fmt.Errorf("sim: link probability %v out of [0, 1)", p)
		}
	}
	if c.Latency < 0 || c.Jitter < 0 || c.Bandwidth < 0 {
		return fmt.Errorf("sim: link latency, jitter and bandwidth must not be negative")
	}
	return nil
}

type linkKey struct{ from, to *Host }

// linkState is one direction of the path between two hosts.
type linkState struct {
	cfg         LinkConfig
	cut         bool
	busyUntil   int64 // the end of the last transmission (bandwidth)
	lastArrival int64 // arrival of the last in-order segment (FIFO)
}

// linkFor returns the state of the path from one host to another, making it on first use.
func (w *World) linkFor(from, to *Host) *linkState {
	k := linkKey{from, to}
	ls := w.links[k]
	if ls == nil {
		ls = &linkState{cfg: w.link}
		w.links[k] = ls
	}
	return ls
}

// SetLink sets the path between hosts a and b, both directions.
func (w *World) SetLink(a, b string, cfg LinkConfig) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	ha, hb, err := w.pair(a, b)
	if err != nil {
		return err
	}
	w.linkFor(ha, hb).cfg = cfg
	w.linkFor(hb, ha).cfg = cfg
	return nil
}

// SetLinkOneWay sets the path from host a to host b only.
func (w *World) SetLinkOneWay(a, b string, cfg LinkConfig) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	ha, hb, err := w.pair(a, b)
	if err != nil {
		return err
	}
	w.linkFor(ha, hb).cfg = cfg
	return nil
}

func (w *World) pair(a, b string) (*Host, *Host, error) {
	ha, hb := w.Host(a), w.Host(b)
	if ha == nil {
		return nil, nil, fmt.Errorf("sim: %w: %q", ErrUnresolvable, a)
	}
	if hb == nil {
		return nil, nil, fmt.Errorf("sim: %w: %q", ErrUnresolvable, b)
	}
	return ha, hb, nil
}

// Partition cuts every link between a host of group a and a host of group b, both ways.
// Segments sent across the cut are lost; senders retransmit until they give up (Config.
// UserTimeout, Config.ConnectTimeout). Heal restores the links.
func (w *World) Partition(a, b []string) error { return w.setCut(a, b, true) }

// Heal restores the links Partition cut between groups a and b.
func (w *World) Heal(a, b []string) error { return w.setCut(a, b, false) }

// HealAll restores every cut link.
func (w *World) HealAll() {
	for _, ls := range w.links {
		ls.cut = false
	}
	w.trace.line(w, "heal", "*", "")
}

func (w *World) setCut(a, b []string, cut bool) error {
	var hs [2][]*Host
	for i, group := range [][]string{a, b} {
		for _, name := range group {
			h := w.Host(name)
			if h == nil {
				return fmt.Errorf("sim: partition: %w: %q", ErrUnresolvable, name)
			}
			hs[i] = append(hs[i], h)
		}
	}
	for _, x := range hs[0] {
		for _, y := range hs[1] {
			w.linkFor(x, y).cut = cut
			w.linkFor(y, x).cut = cut
		}
	}
	what := "partition"
	if !cut {
		what = "heal"
	}
	w.trace.line(w, what, fmt.Sprint(a), fmt.Sprint(b))
	return nil
}
