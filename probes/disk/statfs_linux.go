package disk

import (
	"io/fs"
	"syscall"
)

// Statfs measures the file system mounted at path with statfs(2). It can block for as long
// as the file system does (a dead NFS server: forever); Probe runs it under a timeout.
func Statfs(path string) (Stat, error) {
	var s syscall.Statfs_t
	var err error
	for {
		if err = syscall.Statfs(path, &s); err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return Stat{}, &fs.PathError{Op: "statfs", Path: path, Err: err}
	}
	bs := uint64(s.Frsize)
	if bs == 0 {
		bs = uint64(s.Bsize)
	}
	return Stat{
		BlockSize: bs,
		Blocks:    uint64(s.Blocks),
		Free:      uint64(s.Bfree),
		Avail:     uint64(s.Bavail),
		Files:     uint64(s.Files),
		FilesFree: uint64(s.Ffree),
	}, nil
}
