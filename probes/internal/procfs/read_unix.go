//go:build unix

package procfs

import (
	"io/fs"
	"syscall"
)

func readInto(path, name string, buf []byte, record bool) (data, next []byte, err error) {
	fd, err := open(path, name)
	if err != nil {
		return nil, buf, err
	}
	defer syscall.Close(fd)
	return readFD(fd, name, buf, record)
}

func open(path, name string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return fd, nil
	}
}

// readFD reads fd from its start to its end (or, for a record, to the first read that
// leaves room in buf), with pread: a file of /proc read again from offset 0 is generated
// anew.
func readFD(fd int, name string, buf []byte, record bool) (data, next []byte, err error) {
	if len(buf) == 0 {
		buf = make([]byte, 4096)
	}
	n := 0
	for {
		m, err := syscall.Pread(fd, buf[n:], int64(n))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, buf, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if m == 0 {
			return buf[:n], buf, nil
		}
		n += m
		if record && n < len(buf) {
			return buf[:n], buf, nil
		}
		if n == len(buf) {
			buf = append(buf, make([]byte, len(buf))...)
		}
	}
}

func closeFD(fd int) { syscall.Close(fd) }

// MaxHeld is how many files a scan of /proc should keep open (File): 4,096, or a quarter of
// the file descriptors the process may open if that is less (Go raises the soft limit to
// the hard one at start). Each costs the kernel a 4 KB page, a file per process: 2.3 MB
// at 580 processes, 16 MB at most, where each process costs the kernel several times
// that (its task, its kernel stack of 16 KB, its page tables).
func MaxHeld() int {
	n := 4096
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && uint64(lim.Cur)/4 < uint64(n) {
		n = int(uint64(lim.Cur) / 4) // Cur is signed on some systems (FreeBSD)
	}
	return n
}
