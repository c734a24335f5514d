package load

import (
	"bytes"
	"fmt"
	"io/fs"
	"math"
	"strconv"
)

// LoadavgFile is the name of the file the probe reads, relative to the /proc file system.
const LoadavgFile = "loadavg"

// Read reads /proc/loadavg from fsys (rooted at /proc). cores is the number of logical CPUs;
// it is a parameter because it comes from /proc/stat, which the caller may have read anyway.
func Read(fsys fs.FS, cores int) (Values, error) {
	data, err := fs.ReadFile(fsys, LoadavgFile)
	if err != nil {
		return Values{}, fmt.Errorf("read /proc/loadavg: %w", err)
	}
	return Parse(data, cores)
}

// Parse parses the contents of /proc/loadavg ("0.22 0.13 0.05 2/79 2933"); only the three
// averages are used. A load only means something relative to the cores, so a core count
// below 1 is an error rather than a per_core1 of +Inf.
func Parse(data []byte, cores int) (Values, error) {
	if cores < 1 {
		return Values{}, fmt.Errorf("load per core: number of cores is %d", cores)
	}
	f := bytes.Fields(data)
	if len(f) < 3 {
		return Values{}, fmt.Errorf("/proc/loadavg has %d fields, want at least 3 (1, 5 and 15 minute averages)", len(f))
	}
	var avg [3]float64
	names := [3]string{"1", "5", "15"}
	for i := range avg {
		v, err := strconv.ParseFloat(string(f[i]), 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return Values{}, fmt.Errorf("/proc/loadavg: %s minute average %q is not a load", names[i], clip(f[i]))
		}
		avg[i] = v
	}
	return Values{Avg1: avg[0], Avg5: avg[1], Avg15: avg[2], PerCore1: avg[0] / float64(cores)}, nil
}

// clip keeps error messages readable when a file holds garbage.
func clip(b []byte) string {
	const max = 32
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
