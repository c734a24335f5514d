package procfs

import (
	"errors"
	"io/fs"
	"syscall"
)

// File is a file of /proc kept open to be read again from its start at every tick (the
// stat or comm file of each process): reading an open file is one pread, where opening
// it costs the kernel a walk of its path and closing it another call, which made up more
// than half of a scan of /proc. Each file held costs the kernel a page (4 KB: the buffer
// of a /proc file stays allocated while it is open), which is what MaxHeld bounds.
//
// A file of /proc/<pid> stays with its process: once the process has been reaped,
// reading it fails (ESRCH: Gone) even if the PID has been reused, so a file held says
// which process it is about without its start time.
//
// The zero File is not open; Hold opens one. Close it when done.
type File struct {
	fd int // the descriptor + 1: 0 is not open
}

// Hold opens name to be read again and again with ReadRecord. Where files cannot be held
// (CanHold is false) it fails.
func (d FS) Hold(name string) (File, error) {
	if !fs.ValidPath(name) {
		return File{}, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	fd, err := open(string(d)+"/"+name, name)
	if err != nil {
		return File{}, err
	}
	return File{fd: fd + 1}, nil
}

// Open reports whether f is open.
func (f File) Open() bool { return f.fd > 0 }

// ReadRecord reads the whole of the file again, as FS.ReadRecord does; name is for
// errors.
func (f File) ReadRecord(name string, buf []byte) (data, next []byte, err error) {
	return readFD(f.fd-1, name, buf, true)
}

// Close closes f; the zero File is left alone.
func (f *File) Close() {
	if f.fd > 0 {
		closeFD(f.fd - 1)
		f.fd = 0
	}
}

// Gone reports whether err, from opening or reading a file of /proc/<pid>, means the
// process has gone: its directory has disappeared (ENOENT) or it was reaped while the
// file was open (ESRCH).
func Gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}
