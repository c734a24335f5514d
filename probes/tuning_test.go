package probes

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestCPUBlockTunes: probe "cpu" { window = "30ms", samples = 3 } makes a stateless sample
// watch three 30 ms windows; Options, when set, win over the block.
func TestCPUBlockTunes(t *testing.T) {
	block := []Declared{{Ref: Ref{Kind: "cpu"}, Attrs: map[string]any{"window": 30 * time.Millisecond, "samples": 3.0}}}
	for _, tc := range []struct {
		name  string
		opts  Options
		waits []time.Duration
	}{
		{"block", Options{Declared: block}, []time.Duration{30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond}},
		{"options win", Options{Declared: block, CPUWindow: 10 * time.Millisecond, CPUSamples: 1}, []time.Duration{10 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var waited []time.Duration
			tc.opts.ProcFS = machine()
			tc.opts.Wait = func(_ context.Context, d time.Duration) error {
				waited = append(waited, d)
				return nil
			}
			NewSystem(tc.opts).Sample(context.Background(), t0, refs("cpu"))
			if !slices.Equal(waited, tc.waits) {
				t.Errorf("waited %v, want %v", waited, tc.waits)
			}
		})
	}
}
