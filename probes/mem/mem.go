package mem

import (
	"fmt"
	"io/fs"
)

// Read reads /proc/meminfo from fsys (rooted at /proc) and computes the mem values.
func Read(fsys fs.FS) (Values, error) {
	in, err := ReadInfo(fsys)
	if err != nil {
		return Values{}, err
	}
	return FromInfo(in)
}

// FromInfo computes the mem values the way `free` does:
//
//   - available is MemAvailable, the kernel's own estimate of what can be allocated without
//     swapping. Kernels before 3.14 lack it; there it is MemFree + Buffers + Cached, which
//     overstates it a little (not all page cache can be dropped).
//   - cache is Cached + SReclaimable, buffers is Buffers (free's buff/cache split).
//   - used is MemTotal − MemFree − Buffers − Cached − SReclaimable (the "used" column of
//     procps-ng 3.3.10 `free`, floored at 0), so used_pct ignores every kind of cache.
//   - real_pct is 100 × (1 − available/total): memory that cannot be had back by dropping
//     caches. It is the number an operator means by "memory usage", and free's own "used"
//     column over total since procps-ng 4.0.1 (used = total − available).
//   - free is MemFree, shared is Shmem, buff/cache is Buffers + Cached + SReclaimable: the
//     other columns of `free`.
func FromInfo(in Info) (Values, error) {
	var firstErr error
	get := func(key string, required bool) float64 {
		var v uint64
		var err error
		if required {
			v, err = in.Need(key)
		} else {
			v, err = in.optional(key)
		}
		if firstErr == nil {
			firstErr = err
		}
		return float64(v)
	}
	total := get("MemTotal", true)
	free := get("MemFree", true)
	buffers := get("Buffers", false)
	cached := get("Cached", false)
	reclaimable := get("SReclaimable", false)
	shared := get("Shmem", false)
	availRaw, hasAvail, err := in.Lookup("MemAvailable")
	if firstErr == nil {
		firstErr = err
	}
	if firstErr != nil {
		return Values{}, firstErr
	}
	if total == 0 {
		return Values{}, fmt.Errorf("/proc/meminfo says MemTotal is 0")
	}

	available := float64(availRaw)
	if !hasAvail {
		available = free + buffers + cached
	}
	available = min(available, total)
	used := max(total-free-buffers-cached-reclaimable, 0)
	return Values{
		TotalBytes:     total,
		AvailableBytes: available,
		UsedBytes:      used,
		CacheBytes:     cached + reclaimable,
		BuffersBytes:   buffers,
		RealPct:        100 * (1 - available/total),
		UsedPct:        100 * (used / total), // used/total ≤ 1 exactly; 100*used/total can round to 100.00000000000001
		FreeBytes:      free,
		SharedBytes:    shared,
		BuffCacheBytes: buffers + cached + reclaimable,
	}, nil
}
