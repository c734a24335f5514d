package fd

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"strconv"
)

// FileNrFile is the name of the file the probe reads, relative to the /proc file system.
const FileNrFile = "sys/fs/file-nr"

// Read reads /proc/sys/fs/file-nr from fsys (rooted at /proc).
func Read(fsys fs.FS) (Values, error) {
	data, err := readSysctl(fsys, FileNrFile)
	if err != nil {
		return Values{}, fmt.Errorf("read /proc/%s: %w", FileNrFile, err)
	}
	return Parse(data)
}

// readSysctl reads a /proc/sys file. Those answer the first read only, and a later read
// at an offset gets nothing: fs.ReadFile, on a file system without ReadFile of its own,
// sizes its first read by Stat, which says 0 for every /proc file, and so gets one byte.
func readSysctl(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 4096)) // its first read asks for 512 bytes
}

// Parse parses the contents of /proc/sys/fs/file-nr: the file handles allocated, those of
// them free, and the maximum ("1002	0	2466116"). In use is allocated − free; since Linux
// 2.6 the kernel frees handles at once and reports 0 free.
func Parse(data []byte) (Values, error) {
	f := bytes.Fields(data)
	if len(f) != 3 {
		return Values{}, fmt.Errorf("/proc/%s has %d fields, want 3 (allocated, free, maximum)", FileNrFile, len(f))
	}
	var n [3]uint64
	names := [3]string{"allocated", "free", "maximum"}
	for i := range n {
		v, err := strconv.ParseUint(string(f[i]), 10, 64)
		if err != nil {
			return Values{}, fmt.Errorf("/proc/%s: %s %.32q is not a count", FileNrFile, names[i], f[i])
		}
		n[i] = v
	}
	allocated, free, limit := n[0], n[1], n[2]
	switch {
	case free > allocated:
		return Values{}, fmt.Errorf("/proc/%s: %d free of %d allocated", FileNrFile, free, allocated)
	case limit == 0:
		return Values{}, fmt.Errorf("/proc/%s: the maximum is 0", FileNrFile)
	}
	used := float64(allocated - free)
	return Values{Used: used, Max: float64(limit), UsedPct: 100 * used / float64(limit)}, nil
}
