package swap

import (
	"bytes"
	"fmt"
	"io/fs"
	"strconv"
	"sync"
	"time"

	"github.com/notimon/notimon/probes/mem"
)

// VMStatFile is the name of the file holding the swap counters, relative to /proc.
const VMStatFile = "vmstat"

// Counters are the cumulative pages swapped in and out since boot (pswpin, pswpout).
type Counters struct {
	In  uint64 `json:"pswpin"`
	Out uint64 `json:"pswpout"`
}

// Reading is a Counters value and when it was taken, which is what a rate needs.
type Reading struct {
	Counters
	Time time.Time `json:"time"`
}

// State is what a probe must remember between runs; JSON so a cron run can hand it to the
// next one.
type State struct {
	// Prev is the last reading that closed an interval, where the open one starts; nil
	// before the first reading.
	Prev *Reading `json:"prev,omitempty"`
	// Before is the reading before Prev, where the last closed interval starts: a sample
	// too soon after Prev measures from it.
	Before *Reading `json:"before,omitempty"`
}

// Probe reports swap space from /proc/meminfo and swap traffic from /proc/vmstat. Traffic
// is a rate, so it keeps the previous counters: the first sample of a fresh probe reports 0
// pages per second rather than blocking to measure.
//
// A rate is measured over at least the minimum interval (SetMinInterval): a sample that
// comes sooner after the previous one measures from the reading before it (the last
// interval plus the short stretch since) and leaves the previous reading in place, so the
// next sample still covers its whole interval.
//
// A Probe is safe for concurrent use.
type Probe struct {
	// FS is rooted at /proc.
	FS fs.FS

	mu     sync.Mutex
	min    time.Duration // SetMinInterval
	prev   *Reading
	before *Reading
}

// New returns a probe reading fsys, a file system rooted at /proc.
func New(fsys fs.FS) *Probe { return &Probe{FS: fsys} }

// SetMinInterval sets the shortest interval a rate is measured over; 0 (the default) takes
// any. The system sampler sets it to half the tick interval. It is safe while samples run.
func (p *Probe) SetMinInterval(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.min = d
}

// State returns a copy of what the probe remembers.
func (p *Probe) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return State{Prev: p.prev.clone(), Before: p.before.clone()}
}

// Restore replaces what the probe remembers with st, typically saved by the previous run.
func (p *Probe) Restore(st State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prev, p.before = st.Prev.clone(), st.Before.clone()
}

// clone copies r; nil stays nil.
func (r *Reading) clone() *Reading {
	if r == nil {
		return nil
	}
	c := *r
	return &c
}

// Sample reads /proc/meminfo and /proc/vmstat at time now.
func (p *Probe) Sample(now time.Time) (Values, error) {
	in, err := mem.ReadInfo(p.FS)
	if err != nil {
		return Values{}, err
	}
	return p.SampleInfo(now, in)
}

// SampleInfo is Sample with /proc/meminfo already read, so mem and swap share one read.
func (p *Probe) SampleInfo(now time.Time, in mem.Info) (Values, error) {
	return p.sample(now, in, 0, true)
}

// PeekInfo is SampleInfo for an extra read between ticks (a renotify step): rates since
// the previous sample, measured over at least `least`, and the previous reading stays where it
// is, so the next tick's interval is not shortened. A probe with no previous reading
// reports 0.
func (p *Probe) PeekInfo(now time.Time, in mem.Info, least time.Duration) (Values, error) {
	return p.sample(now, in, least, false)
}

func (p *Probe) sample(now time.Time, in mem.Info, peekMin time.Duration, tick bool) (Values, error) {
	v, err := Space(in)
	if err != nil {
		return Values{}, err
	}
	c, err := ReadCounters(p.FS)
	if err != nil {
		return Values{}, err
	}
	cur := &Reading{Counters: c, Time: now}

	p.mu.Lock()
	defer p.mu.Unlock()
	least := peekMin
	if tick {
		least = p.min
	}
	if p.prev != nil && now.Before(p.prev.Time) {
		// The clock was set back: the open interval counts as just begun, and the closed one
		// cannot be measured against now.
		p.prev.Time, p.before = now, nil
	}
	from, closes := p.prev, true
	if p.prev != nil && now.Sub(p.prev.Time) < least {
		from, closes = p.before, false
	}
	if from != nil {
		v.InPerS, v.OutPerS = Rates(*from, *cur)
	}
	if tick && closes {
		p.before, p.prev = p.prev, cur
	}
	return v, nil
}

// Space returns the swap space values (everything but the rates) from meminfo.
func Space(in mem.Info) (Values, error) {
	total, err := in.Need("SwapTotal")
	if err != nil {
		return Values{}, err
	}
	free, err := in.Need("SwapFree")
	if err != nil {
		return Values{}, err
	}
	v := Values{TotalBytes: float64(total)}
	if free < total {
		v.UsedBytes = float64(total - free)
	}
	if total > 0 {
		v.UsedPct = 100 * (v.UsedBytes / v.TotalBytes) // ≤ 100 exactly, unlike 100*used/total
	}
	return v, nil
}

// Rates returns pages swapped in and out per second between two readings. A counter that
// went backwards (reboot) or a clock that did not move gives 0, never a negative or
// infinite rate.
func Rates(prev, cur Reading) (inPerS, outPerS float64) {
	secs := cur.Time.Sub(prev.Time).Seconds()
	if secs <= 0 {
		return 0, 0
	}
	rate := func(a, b uint64) float64 {
		if b < a {
			return 0
		}
		return float64(b-a) / secs
	}
	return rate(prev.In, cur.In), rate(prev.Out, cur.Out)
}

// ReadCounters reads pswpin and pswpout from /proc/vmstat in fsys. A kernel built without
// swap support has neither line; both then count as 0.
func ReadCounters(fsys fs.FS) (Counters, error) {
	data, err := fs.ReadFile(fsys, VMStatFile)
	if err != nil {
		return Counters{}, fmt.Errorf("read /proc/vmstat: %w", err)
	}
	return ParseCounters(data)
}

// ParseCounters parses the contents of /proc/vmstat (`name value` lines).
func ParseCounters(data []byte) (Counters, error) {
	var c Counters
	for lineNo := 1; len(data) > 0; lineNo++ {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		name, value, _ := bytes.Cut(line, []byte{' '})
		var dst *uint64
		switch string(name) {
		case "pswpin":
			dst = &c.In
		case "pswpout":
			dst = &c.Out
		default:
			continue
		}
		n, err := strconv.ParseUint(string(bytes.TrimSpace(value)), 10, 64)
		if err != nil {
			return Counters{}, fmt.Errorf("/proc/vmstat line %d: %s value %q is not a whole number", lineNo, name, clip(bytes.TrimSpace(value)))
		}
		*dst = n
	}
	return c, nil
}

// clip keeps error messages readable when a file holds garbage.
func clip(b []byte) string {
	const max = 32
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
