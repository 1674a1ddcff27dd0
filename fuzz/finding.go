package fuzz

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/primlab/primlab/scenario"
)

// Modes of the fuzzer.
const (
	ModeModel = "model"
	ModeWire  = "wire"
	ModeSim   = "sim"
)

// Finding is one problem a fuzzer found, with the smallest input that shows it.
type Finding struct {
	Mode    string `json:"mode"`
	Kind    string `json:"kind"`    // mismatch, crash, hang, unknown-id, reply-to-dash, invariant, ...
	Seed    uint64 `json:"seed"`    // the seed of the run (and shard) that found it
	Case    int    `json:"case"`    // the case number within the run
	Summary string `json:"summary"` // one line
	Detail  string `json:"detail,omitempty"`
	// Script is the minimal scenario (model and sim modes), in the scenario file format.
	Script *scenario.Script `json:"-"`
	// ScriptFile is where Write put Script.
	ScriptFile string `json:"script,omitempty"`
	// Input is the minimal byte sequence (wire mode), Go-quoted in JSON.
	Input []byte `json:"-"`
	// InputText is Input, quoted.
	InputText string `json:"input,omitempty"`
	// Replay is the command that replays the finding.
	Replay string `json:"replay,omitempty"`
}

// Report is what one fuzz run did.
type Report struct {
	Mode     string    `json:"mode"`
	Seed     uint64    `json:"seed"`
	Shard    int       `json:"shard"`
	Shards   int       `json:"shards"`
	Cases    int       `json:"cases"`              // cases run, in model mode including rapid's shrinking runs
	Messages int       `json:"messages,omitempty"` // wire mode: messages sent to the target
	Target   string    `json:"target"`
	Findings []Finding `json:"findings"`
}

// Write stores the findings under dir: findings-<mode>-<seed>.json, and one scenario script
// (model, sim) or input file (wire) per finding. It fills ScriptFile and Replay.
func (r *Report) Write(dir string, replayFlags string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("fuzz: %w", err)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		base := fmt.Sprintf("%s-%d-%d-%s", f.Mode, f.Seed, f.Case, f.Kind)
		if f.Script != nil {
			path := filepath.Join(dir, base+".txt")
			if err := scenario.WriteFile(path, f.Script); err != nil {
				return err
			}
			f.ScriptFile = path
			f.Replay = strings.TrimSpace("primlab replay " + replayFlags + " " + path)
		}
		if f.Input != nil {
			path := filepath.Join(dir, base+".bin")
			if err := os.WriteFile(path, f.Input, 0o644); err != nil {
				return fmt.Errorf("fuzz: %w", err)
			}
			f.InputText = fmt.Sprintf("%q", f.Input)
			f.Replay = strings.TrimSpace("primlab fuzz --mode wire " + replayFlags + " --input " + path)
		}
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("fuzz: %w", err)
	}
	path := filepath.Join(dir, fmt.Sprintf("findings-%s-%d-shard%d.json", r.Mode, r.Seed, r.Shard))
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("fuzz: %w", err)
	}
	return nil
}
