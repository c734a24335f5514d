//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package control

import (
	"errors"
	"io/fs"
	"syscall"
)

// fileID is what tells that a file changed: replaced (inode), rewritten (size, time).
type fileID struct {
	dev, ino  uint64
	size      int64
	sec, nsec int64
	exists    bool
}

// statID stats path without the allocations of os.Stat (one for the path, none for the
// result): the engine does it twice a tick.
func statID(path string) (fileID, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Stat(path, &st)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if errors.Is(err, syscall.ENOENT) {
			return fileID{}, nil
		}
		if err != nil {
			return fileID{}, &fs.PathError{Op: "stat", Path: path, Err: err}
		}
		break
	}
	sec, nsec := mtime(&st)
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino), size: st.Size, sec: sec, nsec: nsec, exists: true}, nil
}
