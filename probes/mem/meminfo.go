package mem

import (
	"bytes"
	"fmt"
	"io/fs"
	"math"
	"strconv"
)

// InfoFile is the name of the file mem and swap read, relative to the /proc file system.
const InfoFile = "meminfo"

// Info is a parsed /proc/meminfo in bytes. It is shared by the mem and swap probes so one
// sample reads the file once.
//
// Lines that do not parse are remembered rather than failing the whole file: a kernel that
// formats one field we never read should not take the memory probe down, while a probe
// that needs that field still gets an error naming the line.
type Info struct {
	values map[string]uint64
	bad    map[string]string // key → why its line did not parse
}

// ReadInfo reads and parses meminfo from fsys, a file system rooted at /proc.
func ReadInfo(fsys fs.FS) (Info, error) {
	data, err := fs.ReadFile(fsys, InfoFile)
	if err != nil {
		return Info{}, fmt.Errorf("read /proc/meminfo: %w", err)
	}
	return ParseInfo(data), nil
}

// ParseInfo parses the contents of /proc/meminfo: `Key:   123 kB` lines (kB are 1024
// bytes), or a bare count for the HugePages_ lines.
func ParseInfo(data []byte) Info {
	in := Info{values: map[string]uint64{}}
	for lineNo := 1; len(data) > 0; lineNo++ {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		key, rest, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue // blank or garbage with no key: nobody can ask for it
		}
		k := string(bytes.TrimSpace(key))
		v, err := parseValue(rest)
		if err != nil {
			if in.bad == nil {
				in.bad = map[string]string{}
			}
			in.bad[k] = fmt.Sprintf("line %d: %s", lineNo, err)
			continue
		}
		if _, dup := in.values[k]; !dup {
			in.values[k] = v
		}
	}
	return in
}

func parseValue(b []byte) (uint64, error) {
	f := bytes.Fields(b)
	var mult uint64 = 1
	switch {
	case len(f) == 2 && string(f[1]) == "kB":
		mult = 1024
	case len(f) == 1:
	default:
		return 0, fmt.Errorf("value %q is not a number of kB", clip(bytes.TrimSpace(b)))
	}
	n, err := strconv.ParseUint(string(f[0]), 10, 64)
	if err != nil || n > math.MaxUint64/mult {
		return 0, fmt.Errorf("value %q is not a number of kB", clip(bytes.TrimSpace(b)))
	}
	return n * mult, nil
}

// Lookup returns the value of key in bytes. ok is false when the file has no such line;
// err says why a line that is there did not parse.
func (in Info) Lookup(key string) (v uint64, ok bool, err error) {
	if why, isBad := in.bad[key]; isBad {
		return 0, false, fmt.Errorf("/proc/meminfo %s: %s", key, why)
	}
	v, ok = in.values[key]
	return v, ok, nil
}

// Need is Lookup for a key the caller cannot do without.
func (in Info) Need(key string) (uint64, error) {
	v, ok, err := in.Lookup(key)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("/proc/meminfo has no %s line", key)
	}
	return v, nil
}

// optional is Lookup for a key that counts as 0 when absent.
func (in Info) optional(key string) (uint64, error) {
	v, _, err := in.Lookup(key)
	return v, err
}

// clip keeps error messages readable when a file holds garbage.
func clip(b []byte) string {
	const max = 32
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
