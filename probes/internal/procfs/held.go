package procfs

import (
	"io/fs"
	"runtime"
)

// Held is an FS that keeps the files read with ReadRecord open between reads, for files
// read again at every tick (/proc/<pid>/stat of every process): reading an open file is
// one pread, where opening it costs the kernel a walk of its path and closing it another
// call, which made up more than half of a scan of /proc. It holds at most Max files; those
// beyond are opened and closed at each read.
//
// Each file held costs the kernel a page (4 KB: the buffer of a /proc file stays allocated
// while it is open), so Max bounds that too, and Sweep closes the files that were not read
// since the last Sweep (those of processes that have gone).
//
// A held /proc/<pid>/stat stays with its process: once the process has gone, reading it
// fails even if the PID is reused, so the file is closed and the path opened again.
//
// A Held is not safe for concurrent use.
type Held struct {
	FS
	Max int

	files *heldFiles
}

type heldFiles struct {
	fds  map[string]int
	read map[string]bool // since the last Sweep
}

// NewHeld returns a Held for d holding at most max files. Its files are closed when it is
// garbage collected, or by Close.
func NewHeld(d FS, max int) *Held {
	h := &Held{FS: d, Max: max, files: &heldFiles{fds: map[string]int{}, read: map[string]bool{}}}
	runtime.AddCleanup(h, func(f *heldFiles) { f.close() }, h.files)
	return h
}

var _ fs.ReadFileFS = (*Held)(nil)

// ReadRecord reads name as FS.ReadRecord does, through a file kept open.
func (h *Held) ReadRecord(name string, buf []byte) (data, next []byte, err error) {
	if !fs.ValidPath(name) {
		return nil, buf, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	f := h.files
	if fd, ok := f.fds[name]; ok {
		data, buf, err = readFD(fd, name, buf, true)
		if err == nil && len(data) > 0 {
			f.read[name] = true
			return data, buf, nil
		}
		// The process has gone (ESRCH), perhaps with its PID taken by another: the path
		// is opened again below, to find out which.
		closeFD(fd)
		delete(f.fds, name)
	}
	if len(f.fds) >= h.Max || !canHold {
		return h.FS.ReadRecord(name, buf)
	}
	fd, err := open(string(h.FS)+"/"+name, name)
	if err != nil {
		return nil, buf, err
	}
	data, buf, err = readFD(fd, name, buf, true)
	if err != nil {
		closeFD(fd)
		return nil, buf, err
	}
	f.fds[name], f.read[name] = fd, true
	return data, buf, nil
}

// Sweep closes the files not read since the last Sweep.
func (h *Held) Sweep() {
	f := h.files
	for name, fd := range f.fds {
		if !f.read[name] {
			closeFD(fd)
			delete(f.fds, name)
		}
	}
	clear(f.read)
}

// Len is the number of files held open.
func (h *Held) Len() int { return len(h.files.fds) }

// Holds reports whether name is held open.
func (h *Held) Holds(name string) bool {
	_, ok := h.files.fds[name]
	return ok
}

// Close closes every file held.
func (h *Held) Close() { h.files.close() }

func (f *heldFiles) close() {
	for name, fd := range f.fds {
		closeFD(fd)
		delete(f.fds, name)
	}
}
