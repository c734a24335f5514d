package probes

import (
	"context"
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"
	"time"

	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/disk"
	"github.com/notimon/notimon/probes/host"
	"github.com/notimon/notimon/probes/internal/procfs"
	"github.com/notimon/notimon/probes/load"
	"github.com/notimon/notimon/probes/mem"
	"github.com/notimon/notimon/probes/net"
	"github.com/notimon/notimon/probes/process"
	"github.com/notimon/notimon/probes/swap"
)

// Options configures the system sampler. The zero value samples the real machine.
type Options struct {
	// ProcFS is the file system rooted at /proc; nil means the real /proc. Tests hand in
	// recorded files.
	ProcFS fs.FS
	// Hostname is settings.host; empty means the machine's hostname.
	Hostname string
	// CPUWindow is how long cpu watches the counters when it has no previous reading; when
	// 0, the cpu block's window, else cpu.DefaultWindow.
	CPUWindow time.Duration
	// CPUSamples is how many such windows fill cpu.avg3 in one stateless run; when 0, the
	// cpu block's samples, else 1.
	CPUSamples int
	// Wait blocks for d or until ctx ends; nil means a timer. Tests replace it so they
	// do not sleep.
	Wait func(ctx context.Context, d time.Duration) error
	// Declared are the rules' probe blocks: named probes to sample, and the tuning of
	// built-in ones (cpu window and samples, disk timeout).
	Declared []Declared
}

// System samples the built-in probes of the machine it runs on from /proc. It keeps the
// previous cpu and swap counters, so successive samples report usage between them; State
// and Restore carry those across cron runs.
//
// A System is safe for concurrent use.
type System struct {
	fs       fs.FS
	hostname string
	cpu      *cpu.Probe
	swap     *swap.Probe
	disk     *disk.Probe
	net      *net.Probe
	proc     *process.Sampler
	named    map[Ref]named
	namedErr map[Ref]error // declared probes whose attributes cannot be used

	intervals map[Ref]time.Duration // probes sampled at most this often (their `interval`)
	cacheMu   sync.Mutex
	cache     map[Ref]cachedValue // their last sample

	peekMin atomic.Int64 // the shortest stretch a Peek measures rates over on its own
}

// MinPeek is the shortest stretch a Peek measures rates over on its own: a renotify less
// than this after its tick reports the tick's interval extended to now.
const MinPeek = time.Second

// SetInterval tells the sampler the tick interval (settings.interval). Rates (cpu, net,
// swap, process cpu_pct) close an interval only once it spans half of it: a tick that comes
// sooner (the second tick after a first one that blocked for its cpu window, a tick
// delayed by a busy machine) reports the last interval extended to now and leaves the
// interval open, so no value rests on a few milliseconds of counters. Without a call, any
// interval closes. It is safe while samples run.
func (s *System) SetInterval(tick time.Duration) {
	least := max(tick/2, 0)
	s.cpu.SetMinInterval(least)
	s.swap.SetMinInterval(least)
	s.net.SetMinInterval(least)
	s.proc.SetMinInterval(least)
	s.peekMin.Store(int64(min(MinPeek, least)))
}

var _ Sampler = (*System)(nil)

// NewSystem returns a sampler with no previous readings.
func NewSystem(opts Options) *System {
	fsys := opts.ProcFS
	if fsys == nil {
		fsys = procfs.FS("/proc")
	}
	s := &System{
		fs:       fsys,
		hostname: opts.Hostname,
		cpu: &cpu.Probe{
			FS:      fsys,
			Window:  opts.CPUWindow,
			Samples: opts.CPUSamples,
			Wait:    opts.Wait,
		},
		swap:      swap.New(fsys),
		disk:      disk.New(fsys),
		net:       net.New(fsys),
		proc:      process.New(fsys),
		named:     map[Ref]named{},
		namedErr:  map[Ref]error{},
		intervals: map[Ref]time.Duration{},
		cache:     map[Ref]cachedValue{},
	}
	for _, d := range opts.Declared {
		if every, ok := d.Attrs["interval"].(time.Duration); ok && every > 0 {
			s.intervals[d.Ref] = every
		}
		if d.Ref.Kind == "disk" {
			if t, ok := d.Attrs["timeout"].(time.Duration); ok {
				s.disk.Timeout = t
			}
		}
		if d.Ref.Kind == "cpu" {
			if w, ok := d.Attrs["window"].(time.Duration); ok && opts.CPUWindow == 0 {
				s.cpu.Window = w
			}
			if n, ok := d.Attrs["samples"].(float64); ok && opts.CPUSamples == 0 {
				s.cpu.Samples = int(n)
			}
		}
		if d.Ref.Name == "" {
			continue
		}
		k, ok := LookupKind(d.Ref.Kind)
		if !ok {
			s.namedErr[d.Ref] = fmt.Errorf("unknown probe kind %q", d.Ref.Kind)
			continue
		}
		n, err := newNamed(k, d.Attrs, fsys)
		if err != nil {
			s.namedErr[d.Ref] = err
			continue
		}
		s.named[d.Ref] = n
	}
	return s
}

// SystemState is what a System must remember between runs.
type SystemState struct {
	CPU     cpu.State     `json:"cpu"`
	Swap    swap.State    `json:"swap"`
	Net     net.State     `json:"net"`
	Process process.State `json:"process"`
}

// State returns a copy of the previous readings, for the state store.
func (s *System) State() SystemState {
	return SystemState{CPU: s.cpu.State(), Swap: s.swap.State(), Net: s.net.State(), Process: s.proc.State()}
}

// Restore replaces the previous readings, typically with those saved by the previous run,
// so a cron run measures cpu since that run instead of blocking for a window.
func (s *System) Restore(st SystemState) {
	s.cpu.Restore(st.CPU)
	s.swap.Restore(st.Swap)
	s.net.Restore(st.Net)
	s.proc.Restore(st.Process)
}

// Sample reads only the probes named in refs: each costs a file read or more, and cpu
// without a previous reading blocks for its window. A probe that fails is recorded in the
// snapshot's Errors with its values left zero; the others are still sampled.
func (s *System) Sample(ctx context.Context, now time.Time, refs []Ref) *Snapshot {
	return s.sample(ctx, now, refs, false)
}

// Peek is Sample for an extra read between ticks (a renotify step): rates cover the time
// since the last tick (at least MinPeek, or the tick's interval extended to now) and no
// probe moves the reading its next tick measures from, so the next tick's interval is not
// shortened.
func (s *System) Peek(ctx context.Context, now time.Time, refs []Ref) *Snapshot {
	return s.sample(ctx, now, refs, true)
}

func (s *System) sample(ctx context.Context, now time.Time, refs []Ref, peek bool) *Snapshot {
	snap := &Snapshot{Time: now}
	want := map[string]bool{}
	named := map[Ref]bool{}
	for _, r := range refs {
		k, ok := LookupKind(r.Kind)
		switch {
		case !ok:
			snap.SetErr(r, fmt.Errorf("unknown probe kind %q", r.Kind))
		case k.Named && r.Name == "": // values(process): every declared one
			for ref := range s.named {
				if ref.Kind == r.Kind {
					named[ref] = true
				}
			}
			for ref := range s.namedErr {
				if ref.Kind == r.Kind {
					named[ref] = true
				}
			}
		case k.Named:
			named[r] = true
		case r.Name != "":
			snap.SetErr(r, fmt.Errorf("%s is a built-in probe and has no instance %q", r.Kind, r.Name))
		default:
			want[r.Kind] = true
		}
	}
	// The probes that may take their timeout run beside the /proc files, so that neither
	// delays the other's readings: the counters rates are measured from are read at now.
	var mu sync.Mutex // guards snap.Errors, which both write
	slow := make(chan struct{})
	go func() {
		defer close(slow)
		s.sampleSlow(ctx, now, snap, want, named, peek, &mu)
	}()
	record := func(kind string, err error) {
		if err != nil {
			mu.Lock()
			defer mu.Unlock()
			snap.SetErr(Ref{Kind: kind}, fmt.Errorf("%s: %w", kind, err))
		}
	}

	// /proc/stat gives cpu its counters and host and load the core count: read it once.
	var (
		stat     cpu.Stat
		statErr  error
		statRead bool
	)
	readStat := func() (cpu.Stat, error) {
		if !statRead {
			stat, statErr = cpu.ReadStat(s.fs)
			statRead = true
		}
		return stat, statErr
	}
	cores := func() (int, error) {
		st, err := readStat()
		if err != nil {
			return 0, fmt.Errorf("count cores: %w", err)
		}
		return st.Cores, nil
	}
	// meminfo feeds both mem and swap.
	var (
		info     mem.Info
		infoErr  error
		infoRead bool
	)
	readInfo := func() (mem.Info, error) {
		if !infoRead {
			info, infoErr = mem.ReadInfo(s.fs)
			infoRead = true
		}
		return info, infoErr
	}

	if want["host"] {
		n, err := cores()
		if err == nil {
			snap.Host, err = host.Read(s.fs, s.hostname, n)
		}
		record("host", err)
	}
	if want["cpu"] {
		st, err := readStat()
		if err == nil {
			if peek {
				snap.CPU, err = s.cpu.Peek(ctx, now, st, time.Duration(s.peekMin.Load()))
			} else {
				snap.CPU, err = s.cpu.SampleFrom(ctx, now, st)
			}
		}
		record("cpu", err)
	}
	if want["mem"] {
		in, err := readInfo()
		if err == nil {
			snap.Mem, err = mem.FromInfo(in)
		}
		record("mem", err)
	}
	if want["swap"] {
		in, err := readInfo()
		if err == nil {
			if peek {
				snap.Swap, err = s.swap.PeekInfo(now, in, time.Duration(s.peekMin.Load()))
			} else {
				snap.Swap, err = s.swap.SampleInfo(now, in)
			}
		}
		record("swap", err)
	}
	if want["load"] {
		n, err := cores()
		if err == nil {
			snap.Load, err = load.Read(s.fs, n)
		}
		record("load", err)
	}
	<-slow
	s.sampleOthers(ctx, now, snap, want)
	return snap
}

// sampleOthers samples the built-in kinds that read their own files (a descriptor with a
// Sample: fd). It runs once every other probe of the tick is done, so it has snap to itself.
func (s *System) sampleOthers(ctx context.Context, now time.Time, snap *Snapshot, want map[string]bool) {
	for _, k := range Kinds {
		if k.Named || k.Sample == nil || !want[k.Name] {
			continue
		}
		v, err := k.Sample(ctx, nil, s.fs, now)
		if err != nil {
			snap.SetErr(Ref{Kind: k.Name}, fmt.Errorf("%s: %w", k.Name, err))
			continue
		}
		snap.Put(Ref{Kind: k.Name}, v)
	}
}
