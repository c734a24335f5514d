package net

import (
	"bytes"
	"fmt"
	"io/fs"
	"strconv"
)

// DevFile is the per-interface counter file, relative to /proc.
const DevFile = "net/dev"

// Loopback is the interface left out of Values.Interfaces: traffic a machine sends itself
// never reaches the wire, and a busy local proxy or database would drown the real figures.
const Loopback = "lo"

// Counters are an interface's cumulative byte counters since it came up.
type Counters struct {
	Rx uint64 `json:"rx_bytes"`
	Tx uint64 `json:"tx_bytes"`
}

// ReadDev reads the byte counters of every interface from fsys, rooted at /proc.
func ReadDev(fsys fs.FS) (map[string]Counters, error) {
	data, err := fs.ReadFile(fsys, DevFile)
	if err != nil {
		return nil, fmt.Errorf("read /proc/%s: %w", DevFile, err)
	}
	return ParseDev(data)
}

// ParseDev parses /proc/net/dev: two header lines, then `name: rx_bytes rx_packets …
// (8 receive columns) tx_bytes …` per interface. Loopback is included; Sample drops it.
func ParseDev(data []byte) (map[string]Counters, error) {
	out := map[string]Counters{}
	for lineNo := 1; len(data) > 0; lineNo++ {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		name, rest, ok := bytes.Cut(line, []byte{':'}) // names cannot hold ':'
		if !ok {
			if bytes.Contains(line, []byte{'|'}) { // "Inter-|   Receive …", " face |bytes …"
				continue
			}
			return nil, fmt.Errorf("/proc/%s line %d: %q is neither a header nor an interface line", DevFile, lineNo, clip(line))
		}
		name = bytes.TrimSpace(name)
		f := bytes.Fields(rest)
		if len(name) == 0 || len(f) < 9 {
			return nil, fmt.Errorf("/proc/%s line %d: %q has %d counters, want at least 9 (8 receive, then transmit bytes)", DevFile, lineNo, clip(line), len(f))
		}
		rx, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("/proc/%s line %d: %s receive bytes %q is not a whole number", DevFile, lineNo, name, clip(f[0]))
		}
		tx, err := strconv.ParseUint(string(f[8]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("/proc/%s line %d: %s transmit bytes %q is not a whole number", DevFile, lineNo, name, clip(f[8]))
		}
		out[string(name)] = Counters{Rx: rx, Tx: tx}
	}
	return out, nil
}

// clip keeps error messages readable when a file holds garbage.
func clip(b []byte) string {
	const max = 60
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
