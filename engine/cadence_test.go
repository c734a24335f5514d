package engine

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/notimon/notimon/internal/syncbuf"
	"github.com/notimon/notimon/probes"
)

// The first tick blocks for its cpu window; the cadence starts when it ends, so the second
// tick comes a whole interval later, not at once.
func TestDaemonCadenceStartsAfterTheFirstTick(t *testing.T) {
	cfg := load(t, `
settings { interval = "1s" }
rule "hot" { when = "cpu.pct > 50" }
`)
	clk := &clock{now: t0}
	took := []time.Duration{time.Second, 300 * time.Millisecond, 0} // how long each tick samples
	sampler := probes.SamplerFunc(func(ctx context.Context, now time.Time, _ []probes.Ref) *probes.Snapshot {
		if len(took) > 0 {
			clk.SleepUntil(ctx, clk.Now().Add(took[0]))
			took = took[1:]
		}
		return &probes.Snapshot{Time: now}
	})
	e := New(cfg, Options{Sampler: sampler, Now: clk.Now})
	type timer struct {
		d time.Duration
		c chan time.Time
	}
	timers := make(chan timer)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- e.RunDaemon(ctx, DaemonOptions{After: func(d time.Duration) <-chan time.Time {
			c := make(chan time.Time, 1)
			timers <- timer{d, c}
			return c
		}})
	}()
	var waits []time.Duration
	for range 4 { // the first tick's timer, then the one after each of three ticks
		tm := <-timers
		waits = append(waits, tm.d)
		clk.Set(clk.Now().Add(tm.d))
		tm.c <- clk.Now()
	}
	cancel()
	for stopped := false; !stopped; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			stopped = true
		case <-timers: // the timer set after the last tick, if the loop got that far
		}
	}
	// At once; then a whole interval after the first tick (which took 1 s) ended, not 0;
	// then 1 s − 300 ms after the second tick began; then 1 s.
	if want := []time.Duration{0, time.Second, 700 * time.Millisecond, time.Second}; fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits before each tick = %v, want %v", waits, want)
	}
}

// loadFS is a 2-core machine whose /proc/stat follows the fake clock: 90 % busy for the
// first 6 s after t0, 10 % after.
type loadFS struct{ clk *clock }

func (l loadFS) Open(name string) (fs.File, error) {
	ms := uint64(l.clk.Now().Sub(t0).Milliseconds())
	busy := (180*min(ms, 6000) + 20*(max(ms, 6000)-6000)) / 1000
	total := 200 * ms / 1000
	stat := fmt.Sprintf("cpu  %d 0 0 %d 0 0 0 0 0 0\ncpu0 0 0 0 0\ncpu1 0 0 0 0\nbtime 1767225600\n", busy, total-busy)
	return fstest.MapFS{"stat": {Data: []byte(stat)}}.Open(name)
}

// A renotify samples the probes again between ticks; the next tick still measures its whole
// interval, from the previous tick's reading, not from the renotify's.
func TestRenotifyDoesNotShortenTheNextInterval(t *testing.T) {
	cfg := load(t, `
settings { interval = "15s" }
notifier "console" "ops" {}
rule "hot" {
  when = "cpu.pct > 50"
  notify "ops" { message = "fired {{ cpu.pct }}" }
  wait { duration = "10s" }
  renotify "ops" { message = "after {{ cpu.pct }}" }
}
`)
	clk := &clock{now: t0}
	sampler := probes.NewSystem(probes.Options{ProcFS: loadFS{clk}, Wait: func(ctx context.Context, d time.Duration) error {
		return clk.SleepUntil(ctx, clk.Now().Add(d))
	}})
	var out syncbuf.Buffer
	e := New(cfg, Options{Sampler: sampler, Stdout: &out, Now: clk.Now, SleepUntil: clk.SleepUntil})
	baseline := func() time.Time { return sampler.State().CPU.Time } // where the next interval starts
	tick := func(at time.Duration) *Report {
		clk.Set(t0.Add(at))
		rep := e.Tick(context.Background(), t0.Add(at))
		if err := e.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if errs := append(rep.Errs(), e.Errs()...); len(errs) > 0 {
			t.Fatal(errs)
		}
		return rep
	}
	// No saved reading: the tick watches 0–1 s, 180 of 200 ticks → 90 %, and fires. The
	// chain waits 10 s and the renotify reads 1–11 s: 1000 of 2000 → 50 %. 10 s is more
	// than half the interval: had the renotify been a tick's sample, it would have closed
	// the interval there.
	if rep := tick(0); rep.Verdicts[0].Event != Fired || rep.Snapshot.CPU.Pct != 90 {
		t.Fatalf("first tick: %s, cpu %+v; want fired at 90 %%", rep.Verdicts[0].Event, rep.Snapshot.CPU)
	}
	if got := out.String(); !strings.Contains(got, "fired 90") || !strings.Contains(got, "after 50") {
		t.Fatalf("console:\n%s\nwant the fire message at 90 and the renotify at 50", got)
	}
	if b := baseline(); !b.Equal(t0.Add(time.Second)) {
		t.Errorf("after the renotify the next interval starts at %v, want the first tick's reading at +1s", b.Sub(t0))
	}
	// The tick at 15 s covers 1–15 s: 5 s at 90 % and 9 s at 10 %, 1080 of 2800 ticks →
	// 38.57 %; avg3 (180 + 1080)/(200 + 2800) = 42.
	rep := tick(15 * time.Second)
	if cpu := rep.Snapshot.CPU; math.Abs(cpu.Pct-100*1080.0/2800) > 1e-9 || math.Abs(cpu.Avg3-42) > 1e-9 {
		t.Errorf("tick at 15 s: cpu %+v, want pct 38.57 and avg3 42", cpu)
	}
	if rep.Verdicts[0].Event != Resolved {
		t.Errorf("tick at 15 s: event %s, want resolved", rep.Verdicts[0].Event)
	}
	if b := baseline(); !b.Equal(t0.Add(15 * time.Second)) {
		t.Errorf("after the tick at 15 s the next interval starts at %v, want +15s", b.Sub(t0))
	}
	// The tick at 30 s covers 15–30 s: 300 of 3000 → 10 %; avg3 (180 + 1080 + 300)/6000 = 26.
	if cpu := tick(30 * time.Second).Snapshot.CPU; math.Abs(cpu.Pct-10) > 1e-9 || math.Abs(cpu.Avg3-26) > 1e-9 {
		t.Errorf("tick at 30 s: cpu %+v, want pct 10 and avg3 26", cpu)
	}
}
