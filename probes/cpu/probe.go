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

// historyLen is how many intervals avg3 covers.
const historyLen = 3

// Probe turns successive /proc/stat readings into busy percentages. It keeps its own
// previous reading (gopsutil's cpu.Percent(0) compares against one process-wide sample that
// any other caller moves) and the tick counts of the last few intervals, so the daemon gets
// usage since its previous tick without blocking, and a cron run restored from State gets
// usage since the previous run.
//
// An interval runs from one reading to the next. A sample closes the open interval only
// when it spans at least the minimum interval (SetMinInterval); a sample that comes sooner
// reports the last closed interval merged with the short stretch since, and leaves the
// interval open, so that no value ever rests on a few milliseconds of counters (0 % or
// 100 % of almost nothing).
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
	min     time.Duration // SetMinInterval
	base    *reading      // where the open interval starts; nil before the first reading
	history []Interval    // the last closed intervals, oldest first, at most historyLen
}

// SetMinInterval sets the shortest interval a sample closes; 0 (the default) closes any.
// The system sampler sets it to half the tick interval. It is safe while samples run.
func (p *Probe) SetMinInterval(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.min = d
}

// reading is one read of /proc/stat and the time it was taken.
type reading struct {
	Stat
	at time.Time
}

// New returns a probe reading fsys (rooted at /proc) with the default window and one sample.
func New(fsys fs.FS) *Probe { return &Probe{FS: fsys} }

// Interval is what the counters moved by between two readings, in USER_HZ ticks summed over
// all cores. Intervals are kept as ticks, not percentages, so that intervals of different
// lengths add up with their true weight: avg3 is Σ busy / Σ total over the last three.
type Interval struct {
	Busy   uint64 `json:"busy"`
	IOWait uint64 `json:"iowait"`
	Steal  uint64 `json:"steal"`
	Total  uint64 `json:"total"`
}

// Delta returns the interval between two readings. Guest time is already counted in user
// and nice, so it is left out of the total; a counter that went backwards (reset, buggy
// hardware, iowait on some NO_HZ kernels) contributes 0.
func Delta(prev, cur Counters) Interval {
	d := func(a, b uint64) uint64 {
		if b < a {
			return 0
		}
		return b - a
	}
	idle := d(prev.Idle, cur.Idle)
	iv := Interval{IOWait: d(prev.IOWait, cur.IOWait), Steal: d(prev.Steal, cur.Steal)}
	iv.Total = d(prev.User, cur.User) + d(prev.Nice, cur.Nice) + d(prev.System, cur.System) +
		idle + iv.IOWait + d(prev.IRQ, cur.IRQ) + d(prev.SoftIRQ, cur.SoftIRQ) + iv.Steal
	iv.Busy = iv.Total - idle - iv.IOWait
	return iv
}

func (a Interval) add(b Interval) Interval {
	return Interval{Busy: a.Busy + b.Busy, IOWait: a.IOWait + b.IOWait, Steal: a.Steal + b.Steal, Total: a.Total + b.Total}
}

// plausible reports whether iv can have come from Delta (a restored state may hold anything).
func (iv Interval) plausible() bool {
	return iv.Busy <= iv.Total && iv.IOWait <= iv.Total-iv.Busy && iv.Steal <= iv.Busy
}

// usage returns pct, iowait_pct and steal_pct of iv (Avg3 is left 0); an empty interval
// is 0 %, not NaN.
func (iv Interval) usage() Values {
	if iv.Total == 0 {
		return Values{}
	}
	t := float64(iv.Total)
	return Values{
		Pct:       clampPct(100 * float64(iv.Busy) / t),
		IOWaitPct: clampPct(100 * float64(iv.IOWait) / t),
		StealPct:  clampPct(100 * float64(iv.Steal) / t),
	}
}

// Usage returns pct, iowait_pct and steal_pct between two readings (Avg3 is left 0).
func Usage(prev, cur Counters) Values { return Delta(prev, cur).usage() }

// report returns the values of cur, the latest interval, preceded by the closed intervals
// before: avg3 is the busy share of cur and the last historyLen−1 of them, by ticks.
func report(cur Interval, before []Interval) Values {
	v := cur.usage()
	sum := cur
	for _, iv := range before[max(0, len(before)-(historyLen-1)):] {
		sum = sum.add(iv)
	}
	v.Avg3 = sum.usage().Pct
	return v
}

// State is what a probe must remember between runs: the reading the open interval starts
// at and the last closed intervals. It is JSON so a cron run can hand it to the next one.
//
// State written by notimon before intervals were kept by weight held the last pct values
// under "history". A percentage without its length cannot be weighed against the others,
// so those are dropped when such a file is read: avg3 then covers the intervals measured
// since, and is complete again three intervals later.
type State struct {
	// Prev is the last reading; nil before the first one.
	Prev *Counters `json:"prev,omitempty"`
	// BootTime is the boot time Prev was read under (0 if unknown).
	BootTime int64 `json:"boot_time,omitempty"`
	// Time is when Prev was read. Zero (a state written before it was kept) makes the
	// interval since count as long enough to close.
	Time time.Time `json:"time,omitzero"`
	// Intervals are the last closed intervals, oldest first.
	Intervals []Interval `json:"intervals,omitempty"`
}

// State returns a copy of what the probe remembers.
func (p *Probe) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	var st State
	if p.base != nil {
		c := p.base.Counters
		st.Prev = &c
		st.BootTime = p.base.BootTime
		st.Time = p.base.at
	}
	if len(p.history) > 0 {
		st.Intervals = append([]Interval(nil), p.history...)
	}
	return st
}

// Restore replaces what the probe remembers with st, typically saved by the previous run.
// Intervals that Delta cannot have produced are dropped rather than trusted.
func (p *Probe) Restore(st State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.base = nil
	if st.Prev != nil {
		p.base = &reading{Stat: Stat{Counters: *st.Prev, BootTime: st.BootTime}, at: st.Time}
	}
	p.history = p.history[:0]
	for _, iv := range st.Intervals {
		if iv.plausible() {
			p.history = append(p.history, iv)
		}
	}
	if n := len(p.history); n > historyLen {
		p.history = append(p.history[:0], p.history[n-historyLen:]...)
	}
}

// Sample reads /proc/stat at now and returns usage since the previous reading. Without one
// it measures Samples windows of Window each, which blocks for Samples × Window.
func (p *Probe) Sample(ctx context.Context, now time.Time) (Values, error) {
	cur, err := ReadStat(p.FS)
	if err != nil {
		return Values{}, err
	}
	return p.SampleFrom(ctx, now, cur)
}

// SampleFrom is Sample with the first reading, taken at now, already done, so a caller that
// also needs the core count reads /proc/stat once.
//
// When the open interval spans at least the minimum interval, the sample closes it: pct is
// usage over it, and avg3 over it and the two closed before. When it is shorter, the sample
// reports the last closed interval merged with it and leaves it open: the next sample
// measures from the same reading. A probe with a reading but nothing closed yet waits until
// the interval spans the minimum or Window, whichever is shorter, and closes it then.
func (p *Probe) SampleFrom(ctx context.Context, now time.Time, cur Stat) (Values, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.check(now, cur)
	if p.base == nil {
		return p.measure(ctx, now, cur)
	}
	span := now.Sub(p.base.at)
	switch {
	case span >= p.min:
		return p.close(now, cur), nil
	case len(p.history) > 0:
		return p.merged(cur), nil
	}
	rest := min(p.min, p.window()) - span
	if rest <= 0 {
		return p.close(now, cur), nil
	}
	if err := p.wait(ctx, rest); err != nil {
		return Values{}, err
	}
	next, err := ReadStat(p.FS)
	if err != nil {
		return Values{}, err
	}
	return p.close(now.Add(rest), next), nil
}

// Peek returns usage up to cur, read at now, without closing the open interval: an extra
// sample between ticks (a renotify step) reads fresh values and the next tick still
// measures its whole interval. pct covers the open interval, or, when that spans less than
// least, the last closed interval merged with it; avg3 covers it and the two closed before.
// A probe with nothing to measure from samples as SampleFrom does.
func (p *Probe) Peek(ctx context.Context, now time.Time, cur Stat, least time.Duration) (Values, error) {
	p.mu.Lock()
	p.check(now, cur)
	if p.base == nil || len(p.history) == 0 {
		p.mu.Unlock()
		return p.SampleFrom(ctx, now, cur)
	}
	defer p.mu.Unlock()
	if now.Sub(p.base.at) < least {
		return p.merged(cur), nil
	}
	return report(Delta(p.base.Counters, cur.Counters), p.history), nil
}

// check drops a reading from another boot, since every counter restarted at zero, and
// re-times one from the future (the clock was set back): its counters stay the start of
// the open interval, which then counts as just begun. p.mu is held.
func (p *Probe) check(now time.Time, cur Stat) {
	switch {
	case p.base == nil:
	case !sameBoot(p.base.Stat, cur):
		p.base = nil
	case now.Before(p.base.at):
		b := *p.base
		b.at = now
		p.base = &b
	}
}

// measure watches Samples windows from cur, a first reading taken at now, closing one
// interval per window. p.mu is held.
func (p *Probe) measure(ctx context.Context, now time.Time, cur Stat) (Values, error) {
	p.base = &reading{Stat: cur, at: now} // an interrupted window still leaves a baseline
	window := p.window()
	var v Values
	for i := 0; i < max(p.Samples, 1); i++ {
		if err := p.wait(ctx, window); err != nil {
			return Values{}, err
		}
		next, err := ReadStat(p.FS)
		if err != nil {
			return Values{}, err
		}
		now = now.Add(window)
		v = p.close(now, next)
	}
	return v, nil
}

// close ends the open interval at cur, read at now, and reports it. p.mu is held.
func (p *Probe) close(now time.Time, cur Stat) Values {
	iv := Delta(p.base.Counters, cur.Counters)
	v := report(iv, p.history)
	p.base = &reading{Stat: cur, at: now}
	p.history = append(p.history, iv)
	if n := len(p.history); n > historyLen {
		p.history = append(p.history[:0], p.history[n-historyLen:]...)
	}
	return v
}

// merged reports the last closed interval extended to cur, and closes nothing. p.mu is
// held and p.history is not empty.
func (p *Probe) merged(cur Stat) Values {
	n := len(p.history)
	return report(p.history[n-1].add(Delta(p.base.Counters, cur.Counters)), p.history[:n-1])
}

func (p *Probe) window() time.Duration {
	if p.Window <= 0 {
		return DefaultWindow
	}
	return p.Window
}

func (p *Probe) wait(ctx context.Context, d time.Duration) error {
	wait := p.Wait
	if wait == nil {
		wait = pause.For
	}
	if err := wait(ctx, d); err != nil {
		return fmt.Errorf("waiting for the %s sample window: %w", d, err)
	}
	return nil
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
