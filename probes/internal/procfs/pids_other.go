//go:build !linux

package procfs

import (
	"os"
	"strconv"
)

// PIDs appends to pids the process IDs /proc lists (its directories named by a number).
func (d FS) PIDs(pids []int, buf []byte) ([]int, []byte, error) {
	names, err := os.ReadDir(string(d))
	for _, e := range names {
		name := e.Name()
		if name == "" || name[0] < '1' || name[0] > '9' {
			continue
		}
		if pid, err := strconv.Atoi(name); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, buf, err
}
