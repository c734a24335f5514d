package cpu

import (
	"bytes"
	"fmt"
	"io/fs"
	"strconv"
)

// Counters are the aggregate `cpu` line of /proc/stat, in USER_HZ ticks summed over all
// cores. They only make sense as differences between two readings, which is why they are
// kept (and persisted) rather than the percentages derived from them.
type Counters struct {
	User      uint64 `json:"user"`
	Nice      uint64 `json:"nice"`
	System    uint64 `json:"system"`
	Idle      uint64 `json:"idle"`
	IOWait    uint64 `json:"iowait"`
	IRQ       uint64 `json:"irq"`
	SoftIRQ   uint64 `json:"softirq"`
	Steal     uint64 `json:"steal"`
	Guest     uint64 `json:"guest"`
	GuestNice uint64 `json:"guest_nice"`
}

// Stat is what one read of /proc/stat tells the system probes.
type Stat struct {
	Counters Counters
	// Cores counts the per-core `cpuN` lines, i.e. the online logical CPUs, which is what
	// load per core and host.cores are about.
	Cores int
	// BootTime is the `btime` line (seconds since the epoch), 0 when absent. Counters
	// restart from zero at boot, so a different boot time means a saved reading is useless.
	BootTime int64
}

// StatFile is the name of the file the probe reads, relative to the /proc file system.
const StatFile = "stat"

// ReadStat reads and parses stat from fsys, a file system rooted at /proc.
func ReadStat(fsys fs.FS) (Stat, error) {
	data, err := fs.ReadFile(fsys, StatFile)
	if err != nil {
		return Stat{}, fmt.Errorf("read /proc/stat: %w", err)
	}
	return ParseStat(data)
}

// ParseStat parses the contents of /proc/stat. It needs the aggregate `cpu` line with at
// least user, nice, system and idle (older kernels stop before steal or guest; missing
// columns count as 0). Columns newer kernels may add after guest_nice are ignored.
func ParseStat(data []byte) (Stat, error) {
	var st Stat
	found := false
	for lineNo := 1; len(data) > 0; lineNo++ {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		switch {
		case bytes.HasPrefix(line, []byte("cpu ")):
			if found {
				continue
			}
			c, err := parseCPULine(line)
			if err != nil {
				return Stat{}, fmt.Errorf("/proc/stat line %d: %w", lineNo, err)
			}
			st.Counters = c
			found = true
		case len(line) > 3 && bytes.HasPrefix(line, []byte("cpu")) && line[3] >= '0' && line[3] <= '9':
			st.Cores++
		case bytes.HasPrefix(line, []byte("btime ")):
			v, err := strconv.ParseInt(string(bytes.TrimSpace(line[len("btime "):])), 10, 64)
			if err == nil {
				st.BootTime = v
			}
		}
	}
	if !found {
		return Stat{}, fmt.Errorf("/proc/stat: no aggregate \"cpu\" line")
	}
	return st, nil
}

func parseCPULine(line []byte) (Counters, error) {
	fields := bytes.Fields(line[len("cpu"):])
	if len(fields) < 4 {
		return Counters{}, fmt.Errorf("aggregate cpu line has only %d values, want at least 4 (user nice system idle)", len(fields))
	}
	var c Counters
	dst := []*uint64{&c.User, &c.Nice, &c.System, &c.Idle, &c.IOWait, &c.IRQ, &c.SoftIRQ, &c.Steal, &c.Guest, &c.GuestNice}
	names := []string{"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"}
	for i, f := range fields {
		if i >= len(dst) {
			break
		}
		v, err := strconv.ParseUint(string(f), 10, 64)
		if err != nil {
			return Counters{}, fmt.Errorf("aggregate cpu %s value %q is not a whole number", names[i], clip(f))
		}
		*dst[i] = v
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
