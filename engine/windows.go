package engine

import (
	"math"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/probes"
)

// WindowSample is one remembered value of a windowed probe field.
type WindowSample struct {
	T time.Time `json:"t"`
	V float64   `json:"v"`
}

// updateWindows records this tick's value of every field a time window reads, forgets what
// no window reaches back to any more, and computes the windows into snap.Windows. Only the
// fields some window reads are kept; the history is saved with the state, so cron runs
// build windows across runs.
func (e *Engine) updateWindows(cfg *dsl.Config, snap *probes.Snapshot, now time.Time) {
	if len(cfg.Windows) == 0 {
		return
	}
	env := cfg.Schema.Env(snap)
	longest := map[string]time.Duration{}
	inputs := map[string]dsl.Window{}
	for _, w := range cfg.Windows {
		longest[w.Path] = max(longest[w.Path], w.Over)
		inputs[w.Path] = w
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.history == nil {
		e.history = map[string][]WindowSample{}
	}
	for path, w := range inputs {
		failed := false
		for _, ref := range w.Refs {
			failed = failed || snap.Err(ref) != nil
		}
		if !failed {
			if v, err := w.Input.Eval(env); err == nil {
				if f, ok := toFloat(v); ok {
					e.history[path] = append(e.history[path], WindowSample{T: now, V: f})
				}
			}
		}
		h := e.history[path]
		cut := 0
		for cut < len(h) && now.Sub(h[cut].T) > longest[path] {
			cut++
		}
		e.history[path] = append(h[:0:0], h[cut:]...)
	}
	for path := range e.history {
		if _, used := inputs[path]; !used {
			delete(e.history, path)
		}
	}
	snap.Windows = make(map[string]float64, len(cfg.Windows))
	for _, w := range cfg.Windows {
		if v, ok := windowValue(w, e.history[w.Path], now); ok {
			snap.Windows[w.Key()] = v
		}
	}
}

// windowValue computes one window over the samples of the last w.Over. With no sample
// there is no value: a rule that reads it is unknown until there is one.
func windowValue(w dsl.Window, h []WindowSample, now time.Time) (float64, bool) {
	var in []WindowSample
	for _, s := range h {
		if now.Sub(s.T) <= w.Over {
			in = append(in, s)
		}
	}
	if len(in) == 0 {
		return 0, false
	}
	switch w.Func {
	case "avg":
		sum := 0.0
		for _, s := range in {
			sum += s.V
		}
		return sum / float64(len(in)), true
	case "min", "max":
		v := in[0].V
		for _, s := range in[1:] {
			if w.Func == "min" {
				v = math.Min(v, s.V)
			} else {
				v = math.Max(v, s.V)
			}
		}
		return v, true
	case "rate":
		first, last := in[0], in[len(in)-1]
		if dt := last.T.Sub(first.T).Seconds(); dt > 0 {
			return (last.V - first.V) / dt, true
		}
		return 0, true
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}
