//go:build unix

package procfs

import (
	"io/fs"
	"syscall"
)

func readInto(path, name string, buf []byte, record bool) (data, next []byte, err error) {
	var fd int
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, buf, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	if len(buf) == 0 {
		buf = make([]byte, 4096)
	}
	n := 0
	for {
		m, err := syscall.Read(fd, buf[n:])
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
