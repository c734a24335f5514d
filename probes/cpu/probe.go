package cpu

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"sync"
	"time"

	"github.com/notimon/notimon/internal/pause"
)

// DefaultWindow is how long a probe without a previous reading watches the counters.
const DefaultWindow = time.Second

// historyLen is how many pct samples avg3 averages.
const historyLen = 3

// Probe turns successive /proc/stat readings into busy percentages. It keeps its own
// previous counters (gopsutil's cpu.Percent(0) compares against one process-wide sample
// that any other caller moves) and the last few pct values, so the daemon gets usage since
// its previous tick without blocking, and a cron run restored from State gets usage since
// the previous run.
//
// A Probe is safe for concurrent use; concurrent samples are serialised.
type Probe struct {
	// FS is rooted at /proc.
	FS fs.FS
	// Window is how long a sample without a previous reading waits between its readings
	// (DefaultWindow when ≤ 0).
	Window time.Duration
	// Samples is how many consecutive windows a sample without a previous reading measures,
	// so that one stateless run can fill avg3 (1 when < 1).
	Samples int
	// Wait blocks for d or until ctx ends; tests replace it to step through fixtures
	// instead of sleeping. Nil means a timer.
	Wait func(ctx context.Context, d time.Duration) error

	mu      sync.Mutex
	prev    *Stat
	history []float64
}

// New returns a probe reading fsys (rooted at /proc) with the default window and one sample.
func New(fsys fs.FS) *Probe { return &Probe{FS: fsys} }

// State is what a probe must remember between runs: the last reading and the recent pct
// values. It is JSON so a cron run can hand it to the next one.
type State struct {
	// Prev is the last reading; nil before the first one.
	Prev *Counters `json:"prev,omitempty"`
	// BootTime is the boot time Prev was read under (0 if unknown).
	BootTime int64 `json:"boot_time,omitempty"`
	// History holds the last pct values, oldest first.
	History []float64 `json:"history,omitempty"`
}

// State returns a copy of what the probe remembers.
func (p *Probe) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	var st State
	if p.prev != nil {
		c := p.prev.Counters
		st.Prev = &c
		st.BootTime = p.prev.BootTime
	}
	if len(p.history) > 0 {
		st.History = append([]float64(nil), p.history...)
	}
	return st
}

// Restore replaces what the probe remembers with st, typically saved by the previous run.
// History values that are not percentages are dropped rather than trusted.
func (p *Probe) Restore(st State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prev = nil
	if st.Prev != nil {
		p.prev = &Stat{Counters: *st.Prev, BootTime: st.BootTime}
	}
	p.history = p.history[:0]
	for _, v := range st.History {
		if v >= 0 && v <= 100 { // also false for NaN
			p.history = append(p.history, v)
		}
	}
	if n := len(p.history); n > historyLen {
		p.history = append(p.history[:0], p.history[n-historyLen:]...)
	}
}

// Sample reads /proc/stat and returns usage since the previous reading. Without one it
// measures Samples windows of Window each, which blocks for Samples × Window.
func (p *Probe) Sample(ctx context.Context) (Values, error) {
	cur, err := ReadStat(p.FS)
	if err != nil {
		return Values{}, err
	}
	return p.SampleFrom(ctx, cur)
}

// SampleFrom is Sample with the first reading already done, so a caller that also needs
// the core count reads /proc/stat once.
func (p *Probe) SampleFrom(ctx context.Context, cur Stat) (Values, error) {
	p.mu.Lock()
	defer p.mu.Unlock()

	if p.prev != nil && !sameBoot(*p.prev, cur) {
		// Every counter restarted at boot: a delta against the old reading means nothing.
		p.prev = nil
	}
	if p.prev != nil {
		v := p.advance(cur)
		return v, nil
	}

	window := p.Window
	if window <= 0 {
		window = DefaultWindow
	}
	samples := max(p.Samples, 1)
	wait := p.Wait
	if wait == nil {
		wait = pause.For
	}
	p.prev = &cur // an interrupted window still leaves a baseline for the next sample
	var v Values
	for i := 0; i < samples; i++ {
		if err := wait(ctx, window); err != nil {
			return Values{}, fmt.Errorf("waiting for the %s sample window: %w", window, err)
		}
		next, err := ReadStat(p.FS)
		if err != nil {
			return Values{}, err
		}
		v = p.advance(next)
	}
	return v, nil
}

// advance computes usage from p.prev to cur, records it and makes cur the previous reading.
func (p *Probe) advance(cur Stat) Values {
	v := Usage(p.prev.Counters, cur.Counters)
	p.prev = &cur
	p.history = append(p.history, v.Pct)
	if n := len(p.history); n > historyLen {
		p.history = append(p.history[:0], p.history[n-historyLen:]...)
	}
	sum := 0.0
	for _, h := range p.history {
		sum += h
	}
	v.Avg3 = sum / float64(len(p.history))
	return v
}

// Usage returns pct, iowait_pct and steal_pct between two readings (Avg3 is left 0).
// Guest time is already counted in user and nice, so it is left out of the total; a counter
// that went backwards (reset, buggy hardware, iowait on some NO_HZ kernels) contributes 0.
func Usage(prev, cur Counters) Values {
	d := func(a, b uint64) float64 {
		if b < a {
			return 0
		}
		return float64(b - a)
	}
	idle := d(prev.Idle, cur.Idle)
	iowait := d(prev.IOWait, cur.IOWait)
	steal := d(prev.Steal, cur.Steal)
	total := d(prev.User, cur.User) + d(prev.Nice, cur.Nice) + d(prev.System, cur.System) +
		idle + iowait + d(prev.IRQ, cur.IRQ) + d(prev.SoftIRQ, cur.SoftIRQ) + steal
	if total == 0 {
		return Values{}
	}
	busy := total - idle - iowait
	return Values{
		Pct:       clampPct(100 * busy / total),
		IOWaitPct: clampPct(100 * iowait / total),
		StealPct:  clampPct(100 * steal / total),
	}
}

func clampPct(v float64) float64 {
	return math.Min(100, math.Max(0, v))
}

// sameBoot reports whether two readings can be compared. Boot time is derived from the
// wall clock, so it may drift by a second or jump with a clock step; a false "rebooted"
// only costs one short window.
func sameBoot(a, b Stat) bool {
	if a.BootTime == 0 || b.BootTime == 0 {
		return true
	}
	diff := a.BootTime - b.BootTime
	return diff >= -2 && diff <= 2
}
