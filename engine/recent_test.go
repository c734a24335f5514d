package engine

import (
	"context"
	"testing"
	"time"

	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
)

// TestTransitionRing: a flapping rule's transitions are kept, the last maxTransitions of
// them, in order, with the values of their tick; they are saved with the state and restored
// from it.
func TestTransitionRing(t *testing.T) {
	cfg := load(t, `rule "flap" {
  when = "cpu.avg3 > 50"
  for  = "0s"
}`)
	var avg float64
	sampler := probes.SamplerFunc(func(_ context.Context, now time.Time, _ []probes.Ref) *probes.Snapshot {
		return &probes.Snapshot{Time: now, CPU: cpu.Values{Avg3: avg}}
	})
	e := New(cfg, Options{Sampler: sampler})
	defer e.Stop()
	const ticks = 130
	for i := range ticks {
		avg = float64(20 + 60*(i%2)) // 20, 80, 20 …: a transition on every tick but the first
		e.Tick(context.Background(), t0.Add(time.Duration(i)*time.Minute))
	}
	if _, err := e.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	ring := append([]Transition(nil), e.recent.transitions...)
	e.mu.Unlock()
	if len(ring) != maxTransitions {
		t.Fatalf("%d transitions kept, want %d", len(ring), maxTransitions)
	}
	for i, tr := range ring {
		tick := ticks - maxTransitions + i
		wantTo, wantEvent, wantCPU := Firing, "fired", 80.0
		if tick%2 == 0 {
			wantTo, wantEvent, wantCPU = Inactive, "resolved", 20.0
		}
		if tr.Rule != "flap" || !tr.At.Equal(t0.Add(time.Duration(tick)*time.Minute)) || tr.To != wantTo || tr.Event != wantEvent || tr.Values["cpu.avg3"] != wantCPU {
			t.Fatalf("transition %d: %+v, want tick %d to %s (%s) with cpu.avg3 %v", i, tr, tick, wantTo, wantEvent, wantCPU)
		}
	}

	// Saved with the state, read back as status reads it, restored by the next engine.
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e.opts.Store = st
	if err := e.Save(); err != nil {
		t.Fatal(err)
	}
	saved, found, err := ReadState(store.NewReader(dir))
	if err != nil || !found || len(saved.Transitions) != maxTransitions || !saved.Transitions[0].At.Equal(ring[0].At) {
		t.Fatalf("ReadState: found %v, err %v, %d transitions", found, err, len(saved.Transitions))
	}
	if fl := saved.Rules["flap"]; fl.State != Firing || fl.Values["cpu.avg3"] != 80.0 || !fl.ValuesAt.Equal(t0.Add((ticks-1)*time.Minute)) {
		t.Errorf("saved rule %+v, want firing with the last tick's values", fl)
	}
	e2 := New(cfg, Options{Sampler: sampler, Store: st})
	defer e2.Stop()
	if err := e2.Restore(); err != nil {
		t.Fatal(err)
	}
	avg = 20
	e2.Tick(context.Background(), t0.Add(ticks*time.Minute))
	e2.mu.Lock()
	ring2 := append([]Transition(nil), e2.recent.transitions...)
	e2.mu.Unlock()
	if len(ring2) != maxTransitions || !ring2[maxTransitions-2].At.Equal(ring[maxTransitions-1].At) || ring2[maxTransitions-1].To != Inactive {
		t.Errorf("after a restart and one more transition: %d kept, last two %+v", len(ring2), ring2[len(ring2)-2:])
	}
}
