package probes

import (
	"context"
	"fmt"
	"io/fs"
	"sync"
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
	// CPUWindow is how long cpu watches the counters when it has no previous reading
	// (cpu.DefaultWindow when 0).
	CPUWindow time.Duration
	// CPUSamples is how many such windows fill cpu.avg3 in one stateless run (1 when 0).
	CPUSamples int
	// Wait blocks for d or until ctx ends; nil means a timer. Tests replace it so they
	// do not sleep.
	Wait func(ctx context.Context, d time.Duration) error
	// Declared are the rules' probe blocks: named probes to sample, and the tuning of
	// built-in ones (disk timeout).
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
		if d.Ref.Name == "" {
			continue
		}
		n, err := newNamed(d.Ref.Kind, d.Attrs)
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
	s.sampleSlow(ctx, now, snap, want, named)

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
		s.record(snap, "host", err)
	}
	if want["cpu"] {
		st, err := readStat()
		if err == nil {
			snap.CPU, err = s.cpu.SampleFrom(ctx, st)
		}
		s.record(snap, "cpu", err)
	}
	if want["mem"] {
		in, err := readInfo()
		if err == nil {
			snap.Mem, err = mem.FromInfo(in)
		}
		s.record(snap, "mem", err)
	}
	if want["swap"] {
		in, err := readInfo()
		if err == nil {
			snap.Swap, err = s.swap.SampleInfo(now, in)
		}
		s.record(snap, "swap", err)
	}
	if want["load"] {
		n, err := cores()
		if err == nil {
			snap.Load, err = load.Read(s.fs, n)
		}
		s.record(snap, "load", err)
	}
	return snap
}

// record notes a failed probe. Every probe package returns zero values with its error, so
// the values are already what Snapshot promises.
func (s *System) record(snap *Snapshot, kind string, err error) {
	if err != nil {
		snap.SetErr(Ref{Kind: kind}, fmt.Errorf("%s: %w", kind, err))
	}
}
