package procfs

import (
	"encoding/binary"
	"io/fs"
	"syscall"
)

// PIDs appends to pids the process IDs /proc lists (its directories named by a number), in
// its order (ascending), reading the directory with getdents64 into buf, which it
// returns for the next call: no string or DirEntry per process, as os.File.Readdirnames
// allocates.
func (d FS) PIDs(pids []int, buf []byte) ([]int, []byte, error) {
	fd, err := open(string(d), ".")
	if err != nil {
		return pids, buf, err
	}
	defer closeFD(fd)
	if len(buf) < 32<<10 {
		buf = make([]byte, 32<<10)
	}
	for {
		n, err := syscall.Getdents(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return pids, buf, &fs.PathError{Op: "readdirent", Path: ".", Err: err}
		}
		if n <= 0 {
			return pids, buf, nil
		}
		for b := buf[:n]; len(b) >= direntName; {
			// struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, name NUL-ended.
			reclen := int(binary.NativeEndian.Uint16(b[16:]))
			if reclen < direntName || reclen > len(b) {
				break
			}
			if pid, ok := parsePID(b[direntName:reclen]); ok {
				pids = append(pids, pid)
			}
			b = b[reclen:]
		}
	}
}

const direntName = 19 // offset of d_name in struct linux_dirent64

// parsePID parses a NUL-ended directory name as a PID: digits, not starting with 0.
func parsePID(name []byte) (int, bool) {
	if len(name) == 0 || name[0] < '1' || name[0] > '9' {
		return 0, false
	}
	n := 0
	for _, c := range name {
		if c == 0 {
			break
		}
		if c < '0' || c > '9' || n > 1<<31 {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
