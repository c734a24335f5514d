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
	// Prev is the last reading; nil before the first one.
	Prev *Reading `json:"prev,omitempty"`
}

// Probe reports swap space from /proc/meminfo and swap traffic from /proc/vmstat. Traffic
// is a rate, so it keeps the previous counters: the first sample of a fresh probe reports 0
// pages per second rather than blocking to measure.
//
// A Probe is safe for concurrent use.
type Probe struct {
	// FS is rooted at /proc.
	FS fs.FS

	mu   sync.Mutex
	prev *Reading
}

// New returns a probe reading fsys, a file system rooted at /proc.
func New(fsys fs.FS) *Probe { return &Probe{FS: fsys} }

// State returns a copy of what the probe remembers.
func (p *Probe) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.prev == nil {
		return State{}
	}
	r := *p.prev
	return State{Prev: &r}
}

// Restore replaces what the probe remembers with st, typically saved by the previous run.
func (p *Probe) Restore(st State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prev = nil
	if st.Prev != nil {
		r := *st.Prev
		p.prev = &r
	}
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
	v, err := Space(in)
	if err != nil {
		return Values{}, err
	}
	cur, err := ReadCounters(p.FS)
	if err != nil {
		return Values{}, err
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.prev != nil {
		v.InPerS, v.OutPerS = Rates(*p.prev, Reading{Counters: cur, Time: now})
	}
	p.prev = &Reading{Counters: cur, Time: now}
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
		v.UsedPct = 100 * v.UsedBytes / v.TotalBytes
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
