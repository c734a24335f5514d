package process

import (
	"cmp"
	"io/fs"
	"os"
	"slices"
	"sync"
	"time"
)

// Sampler computes the values of every process probe from one scan of /proc per tick. It
// remembers the CPU time of the processes it selected, so cpu_pct covers the time since the
// previous sample; State and Restore carry that across cron runs.
//
// cpu_pct is measured over at least the minimum interval (SetMinInterval): a sample that
// comes sooner after the previous one measures from the scan before it (the last interval
// plus the short stretch since) and leaves the previous scan in place, so the next sample
// still covers its whole interval.
//
// A Sampler is safe for concurrent use; concurrent samples are serialised.
type Sampler struct {
	// FS is rooted at /proc.
	FS fs.FS
	// ReadFile reads PID files; nil means os.ReadFile.
	ReadFile func(name string) ([]byte, error)
	// PageSize converts resident pages to bytes; 0 means os.Getpagesize().
	PageSize int
	tr       *tracker // the processes of earlier scans (cache.go)

	mu      sync.Mutex
	min     time.Duration // SetMinInterval
	prev    Times
	before  *Times
	spare   []ProcTimes // memory for the next Times
	matched []Proc      // memory for the processes a probe selects
}

// ticksAt returns the CPU time of p in procs, sorted by PID, if p (PID and start time) is
// there.
func ticksAt(procs []ProcTimes, p Proc) (uint64, bool) {
	i, ok := slices.BinarySearchFunc(procs, p.PID, func(t ProcTimes, pid int) int { return cmp.Compare(t.PID, pid) })
	if !ok || procs[i].StartTicks != p.StartTicks {
		return 0, false
	}
	return procs[i].Ticks, true
}

// New returns a sampler scanning fsys, a file system rooted at /proc.
func New(fsys fs.FS) *Sampler { return &Sampler{FS: fsys} }

// SetMinInterval sets the shortest interval cpu_pct is measured over; 0 (the default) takes
// any. The system sampler sets it to half the tick interval. It is safe while samples run.
func (s *Sampler) SetMinInterval(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.min = d
}

// State is what a sampler remembers between samples: the CPU time of each process it
// selected at the scan that closed the last interval, and at the scan before. JSON, so a
// cron run can hand it to the next one.
type State struct {
	Times
	// Before is the scan before, where the last closed interval starts: a sample too soon
	// after Times measures from it.
	Before *Times `json:"before,omitempty"`
}

// Times are the CPU times of one scan.
type Times struct {
	// Time is when the scan was taken; zero before the first one.
	Time time.Time `json:"time,omitzero"`
	// BootTime is the boot time of that scan: after a reboot, PIDs and times start over.
	BootTime int64       `json:"boot_time,omitempty"`
	Procs    []ProcTimes `json:"procs,omitempty"`
}

// ProcTimes identifies a process (PID and start time, since PIDs are reused) and holds its
// CPU time at the previous scan.
type ProcTimes struct {
	PID        int    `json:"pid"`
	StartTicks uint64 `json:"start"`
	Ticks      uint64 `json:"ticks"`
}

// clone copies t, its Procs sorted by PID.
func (t Times) clone() Times {
	t.Procs = append([]ProcTimes(nil), t.Procs...)
	slices.SortFunc(t.Procs, func(a, b ProcTimes) int { return cmp.Compare(a.PID, b.PID) })
	return t
}

// State returns a copy of what the sampler remembers.
func (s *Sampler) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Times: s.prev.clone()}
	if s.before != nil {
		b := s.before.clone()
		st.Before = &b
	}
	return st
}

// Restore replaces what the sampler remembers with st, typically saved by the previous run.
func (s *Sampler) Restore(st State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prev, s.before = st.Times.clone(), nil
	if st.Before != nil {
		b := st.Before.clone()
		s.before = &b
	}
}

// Sample scans /proc once at time now and returns the values of each selector by probe
// name. errs holds the probes that failed, by name: all of them when /proc cannot be
// scanned, one when its PID file cannot be read; their values are zero.
func (s *Sampler) Sample(now time.Time, sels map[string]Selector) (vals map[string]Values, errs map[string]error) {
	return s.sample(now, sels, 0, true)
}

// Peek is Sample for an extra read between ticks (a renotify step): cpu_pct since the
// previous sample, measured over at least `least`, and the previous scan stays where it is, so
// the next tick's interval is not shortened.
func (s *Sampler) Peek(now time.Time, sels map[string]Selector, least time.Duration) (vals map[string]Values, errs map[string]error) {
	return s.sample(now, sels, least, false)
}

func (s *Sampler) sample(now time.Time, sels map[string]Selector, peekMin time.Duration, tick bool) (vals map[string]Values, errs map[string]error) {
	vals = make(map[string]Values, len(sels))
	errs = map[string]error{}
	if len(sels) == 0 {
		return vals, errs
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	least := peekMin
	if tick {
		least = s.min
	}

	t, err := s.scan(now, sels)
	if err != nil {
		for name := range sels {
			vals[name] = Values{}
			errs[name] = err
		}
		return vals, errs
	}
	defer s.tr.finish(t)
	t.ReadFile = s.ReadFile
	page := s.PageSize
	if page <= 0 {
		page = os.Getpagesize()
	}

	if !s.prev.Time.IsZero() && now.Before(s.prev.Time) {
		// The clock was set back: the open interval counts as just begun, and the closed one
		// cannot be measured against now.
		s.prev.Time, s.before = now, nil
	}
	from, closes := &s.prev, true
	if !s.prev.Time.IsZero() && now.Sub(s.prev.Time) < least {
		from, closes = s.before, false
	}
	// The previous CPU times are usable only from the same boot and an earlier time. They
	// are sorted by PID (Restore sorts them).
	var prev []ProcTimes
	var secs float64
	if from != nil {
		secs = now.Sub(from.Time).Seconds()
		if !from.Time.IsZero() && secs > 0 && sameBoot(from.BootTime, t.BootTime) {
			prev = from.Procs
		}
	}

	var seen []ProcTimes
	if tick && closes {
		seen = s.spare[:0] // the Procs of the scan that is let go below
	}
	for name, sel := range sels {
		procs, err := t.match(sel, s.matched[:0])
		s.matched = procs
		if err != nil {
			vals[name] = Values{}
			errs[name] = err
			continue
		}
		var v Values
		var ticks uint64
		for _, p := range procs {
			v.Count++
			v.RSSBytes += float64(p.RSSPages) * float64(page)
			if before, ok := ticksAt(prev, p); ok && p.Ticks >= before {
				ticks += p.Ticks - before
			}
			started := float64(t.BootTime) + float64(p.StartTicks)/ClockTicks
			age := float64(now.UnixNano())/1e9 - started
			v.OldestAgeS = max(v.OldestAgeS, age)
			if tick && closes {
				seen = append(seen, ProcTimes{PID: p.PID, StartTicks: p.StartTicks, Ticks: p.Ticks})
			}
		}
		if len(prev) > 0 {
			v.CPUPct = 100 * float64(ticks) / ClockTicks / secs
		}
		vals[name] = v
	}

	if !tick || !closes {
		return vals, errs
	}
	// A process two selectors chose is kept once.
	slices.SortFunc(seen, func(a, b ProcTimes) int { return cmp.Compare(a.PID, b.PID) })
	seen = slices.CompactFunc(seen, func(a, b ProcTimes) bool { return a.PID == b.PID })
	next := Times{Time: now, BootTime: t.BootTime, Procs: seen}
	s.spare = nil
	if s.before != nil {
		s.spare = s.before.Procs
	}
	s.before = nil
	if !s.prev.Time.IsZero() {
		b := s.prev
		s.before = &b
	}
	s.prev = next
	return vals, errs
}

// sameBoot reports whether two boot times are the same boot. btime is derived from the
// wall clock, so it may wobble by a second.
func sameBoot(a, b int64) bool {
	d := a - b
	return d >= -2 && d <= 2
}
