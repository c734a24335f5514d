package process

import (
	"io/fs"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/notimon/notimon/probes/internal/procfs"
)

// Sampler computes the values of every process probe from one scan of /proc per tick. It
// remembers the CPU time of the processes it selected, so cpu_pct covers the time since the
// previous sample; State and Restore carry that across cron runs.
//
// A Sampler is safe for concurrent use; concurrent samples are serialised.
type Sampler struct {
	// FS is rooted at /proc.
	FS fs.FS
	// ReadFile reads PID files; nil means os.ReadFile.
	ReadFile func(name string) ([]byte, error)
	// PageSize converts resident pages to bytes; 0 means os.Getpagesize().
	PageSize int
	cmds     *cmdlines    // command lines read by earlier scans (cache.go)
	held     *procfs.Held // the stat files of the machine's /proc, kept open (cache.go)

	mu   sync.Mutex
	prev State
}

// New returns a sampler scanning fsys, a file system rooted at /proc.
func New(fsys fs.FS) *Sampler { return &Sampler{FS: fsys} }

// State is what a sampler remembers between samples: the CPU time of each process it
// selected. JSON, so a cron run can hand it to the next one.
type State struct {
	// Time is when the previous scan was taken; zero before the first one.
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

// State returns a copy of what the sampler remembers.
func (s *Sampler) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.prev
	st.Procs = append([]ProcTimes(nil), s.prev.Procs...)
	return st
}

// Restore replaces what the sampler remembers with st, typically saved by the previous run.
func (s *Sampler) Restore(st State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prev = st
	s.prev.Procs = append([]ProcTimes(nil), st.Procs...)
}

// Sample scans /proc once at time now and returns the values of each selector by probe
// name. errs holds the probes that failed, by name: all of them when /proc cannot be
// scanned, one when its PID file cannot be read; their values are zero.
func (s *Sampler) Sample(now time.Time, sels map[string]Selector) (vals map[string]Values, errs map[string]error) {
	vals = make(map[string]Values, len(sels))
	errs = map[string]error{}
	if len(sels) == 0 {
		return vals, errs
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	t, err := s.scan(now, sels)
	if err != nil {
		for name := range sels {
			vals[name] = Values{}
			errs[name] = err
		}
		return vals, errs
	}
	t.ReadFile = s.ReadFile
	page := s.PageSize
	if page <= 0 {
		page = os.Getpagesize()
	}

	// The previous CPU times are usable only from the same boot and an earlier time.
	prev := map[ProcTimes]uint64{} // {PID, StartTicks} → Ticks
	secs := now.Sub(s.prev.Time).Seconds()
	if !s.prev.Time.IsZero() && secs > 0 && sameBoot(s.prev.BootTime, t.BootTime) {
		for _, p := range s.prev.Procs {
			prev[ProcTimes{PID: p.PID, StartTicks: p.StartTicks}] = p.Ticks
		}
	}

	seen := map[int]ProcTimes{}
	for name, sel := range sels {
		procs, err := t.Match(sel)
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
			id := ProcTimes{PID: p.PID, StartTicks: p.StartTicks}
			if before, ok := prev[id]; ok && p.Ticks >= before {
				ticks += p.Ticks - before
			}
			started := float64(t.BootTime) + float64(p.StartTicks)/ClockTicks
			age := float64(now.UnixNano())/1e9 - started
			v.OldestAgeS = max(v.OldestAgeS, age)
			id.Ticks = p.Ticks
			seen[p.PID] = id
		}
		if len(prev) > 0 {
			v.CPUPct = 100 * float64(ticks) / ClockTicks / secs
		}
		vals[name] = v
	}

	next := State{Time: now, BootTime: t.BootTime, Procs: make([]ProcTimes, 0, len(seen))}
	for _, p := range seen {
		next.Procs = append(next.Procs, p)
	}
	sort.Slice(next.Procs, func(i, j int) bool { return next.Procs[i].PID < next.Procs[j].PID })
	s.prev = next
	return vals, errs
}

// sameBoot reports whether two boot times are the same boot. btime is derived from the
// wall clock, so it may wobble by a second.
func sameBoot(a, b int64) bool {
	d := a - b
	return d >= -2 && d <= 2
}
