package host

import (
	"bytes"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
)

// UptimeFile is the name of the file the probe reads, relative to the /proc file system.
const UptimeFile = "uptime"

// Read returns the host values. name is settings.host; when empty the machine's hostname
// is used, so one rule set can be shared by many hosts. cores comes from /proc/stat, which
// the caller reads anyway for cpu and load.
func Read(fsys fs.FS, name string, cores int) (Values, error) {
	if name == "" {
		h, err := os.Hostname()
		if err != nil {
			return Values{}, fmt.Errorf("hostname: %w", err)
		}
		name = h
	}
	data, err := fs.ReadFile(fsys, UptimeFile)
	if err != nil {
		return Values{}, fmt.Errorf("read /proc/uptime: %w", err)
	}
	up, err := ParseUptime(data)
	if err != nil {
		return Values{}, err
	}
	return Values{Name: name, UptimeS: up, Cores: cores}, nil
}

// ParseUptime returns the first field of /proc/uptime ("227.87 418.81"), seconds since boot.
func ParseUptime(data []byte) (float64, error) {
	f := bytes.Fields(data)
	if len(f) == 0 {
		return 0, fmt.Errorf("/proc/uptime is empty")
	}
	v, err := strconv.ParseFloat(string(f[0]), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		s := f[0]
		if len(s) > 32 {
			s = s[:32]
		}
		return 0, fmt.Errorf("/proc/uptime: uptime %q is not a number of seconds", s)
	}
	return v, nil
}
