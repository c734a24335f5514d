package disk

import (
	"context"
	"fmt"
	"io/fs"
	"sync"
	"time"
)

// DefaultTimeout is how long a sample waits for statfs on each mount.
const DefaultTimeout = 2 * time.Second

// Stat is what statfs(2) reports about one file system. Block counts are in BlockSize units.
type Stat struct {
	// BlockSize is f_frsize, the unit of the block counts (f_bsize on kernels that leave
	// f_frsize 0).
	BlockSize uint64 `json:"block_size"`
	Blocks    uint64 `json:"blocks"`     // total data blocks
	Free      uint64 `json:"free"`       // free blocks, including those reserved for root
	Avail     uint64 `json:"avail"`      // free blocks an unprivileged user may use
	Files     uint64 `json:"files"`      // total inodes, 0 when the file system does not say
	FilesFree uint64 `json:"files_free"` // free inodes
}

// StatFunc measures the file system mounted at path. Statfs is the real one; tests hand in
// a table.
type StatFunc func(path string) (Stat, error)

// Probe measures every real mount of the machine. It reads the mount table each sample, so
// mounts that come and go are followed without a restart.
//
// statfs on a dead network mount can block forever and cannot be interrupted, so each call
// runs in its own goroutine and the sample stops waiting after Timeout: that mount is
// reported with an Error and the goroutine is left behind, blocked in the kernel. While it
// stays blocked, later samples report the mount as still blocked instead of starting
// another call, so a dead mount costs one goroutine, not one per tick.
//
// A Probe is safe for concurrent use; concurrent samples are serialised.
type Probe struct {
	// FS is rooted at /proc.
	FS fs.FS
	// StatFS measures one mount point; nil means Statfs (statfs(2)).
	StatFS StatFunc
	// Timeout is how long a sample waits for each mount's statfs (DefaultTimeout when ≤ 0).
	// All mounts are measured at once, so a sample takes at most about Timeout.
	Timeout time.Duration
	// IncludeTmpfs also measures tmpfs mounts (/run, /dev/shm, /tmp on some systems). They
	// are skipped by default: they hold memory, not disk, and mem and swap already watch it.
	IncludeTmpfs bool

	sample   sync.Mutex           // serialises Sample, so every in-flight call found is a stuck one
	mu       sync.Mutex           // guards inflight, also taken by finished statfs goroutines
	inflight map[string]time.Time // mount point → when its unfinished statfs started
}

// New returns a probe reading the mount table from fsys (rooted at /proc) and measuring
// the mounts with statfs(2).
func New(fsys fs.FS) *Probe { return &Probe{FS: fsys} }

type result struct {
	point string
	stat  Stat
	err   error
}

// Sample returns the measured mounts keyed by mount point. A mount that could not be
// measured is in the map with zero numbers and an Error; the error returned is only for a
// mount table that cannot be read, and then the map is nil. A file system that reports no
// blocks at all (an unlisted pseudo file system) is left out, as df leaves it out.
func (p *Probe) Sample(ctx context.Context) (map[string]Values, error) {
	p.sample.Lock()
	defer p.sample.Unlock()

	all, err := ReadMounts(p.FS)
	if err != nil {
		return nil, err
	}
	mounts := Select(all, p.IncludeTmpfs)
	statfs := p.StatFS
	if statfs == nil {
		statfs = Statfs
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}

	out := make(map[string]Values, len(mounts))
	fsType := make(map[string]string, len(mounts))
	results := make(chan result, len(mounts)) // buffered: a late goroutine never blocks on it
	pending := 0
	start := time.Now()
	p.mu.Lock()
	if p.inflight == nil {
		p.inflight = map[string]time.Time{}
	}
	for _, m := range mounts {
		fsType[m.Point] = m.FSType
		if since, stuck := p.inflight[m.Point]; stuck {
			out[m.Point] = failed(m.Point, m.FSType, fmt.Sprintf(
				"statfs %s: an earlier call is still blocked after %s (it timed out; not retried until it returns)",
				m.Point, start.Sub(since).Round(time.Second)))
			continue
		}
		p.inflight[m.Point] = start
		pending++
		go func(point string) {
			st, err := statfs(point)
			p.mu.Lock()
			delete(p.inflight, point)
			p.mu.Unlock()
			results <- result{point, st, err}
		}(m.Point)
	}
	p.mu.Unlock()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var late string
	for pending > 0 && late == "" {
		select {
		case r := <-results:
			pending--
			if r.err != nil {
				out[r.point] = failed(r.point, fsType[r.point], r.err.Error())
			} else if v, ok := compute(r.point, fsType[r.point], r.stat); ok {
				out[r.point] = v
			}
		case <-timer.C:
			late = fmt.Sprintf("did not answer within %s (a dead network mount?)", timeout)
		case <-ctx.Done():
			late = fmt.Sprintf("not measured: %v", ctx.Err())
		}
	}
	if late != "" {
		for point, typ := range fsType {
			if _, done := out[point]; done {
				continue
			}
			// A result may have arrived between the last receive and now.
			out[point] = failed(point, typ, "statfs "+point+" "+late)
		}
		drain(results, out, fsType)
	}
	return out, nil
}

// drain takes the results that arrived while the late ones were being written down, so a
// mount that answered just in time is reported with its numbers.
func drain(results chan result, out map[string]Values, fsType map[string]string) {
	for {
		select {
		case r := <-results:
			if r.err != nil {
				out[r.point] = failed(r.point, fsType[r.point], r.err.Error())
			} else if v, ok := compute(r.point, fsType[r.point], r.stat); ok {
				out[r.point] = v
			} else {
				delete(out, r.point)
			}
		default:
			return
		}
	}
}

func failed(point, fsType, msg string) Values {
	return Values{Mount: point, FS: fsType, Error: msg}
}

// compute turns statfs numbers into Values the way df does. ok is false for a file system
// with no blocks, which df hides as a dummy.
func compute(point, fsType string, st Stat) (v Values, ok bool) {
	if st.Blocks == 0 {
		return Values{}, false
	}
	v = Values{Mount: point, FS: fsType}
	used := uint64(0)
	if st.Free < st.Blocks {
		used = st.Blocks - st.Free
	}
	if denom := float64(used) + float64(st.Avail); denom > 0 {
		v.UsedPct = 100 * float64(used) / denom
	}
	v.FreeBytes = float64(st.Avail) * float64(st.BlockSize)
	if st.Files > 0 && st.FilesFree <= st.Files {
		v.InodesUsedPct = 100 * float64(st.Files-st.FilesFree) / float64(st.Files)
	}
	return v, true
}
