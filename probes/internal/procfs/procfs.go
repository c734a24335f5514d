// Package procfs is /proc as an fs.FS that reads a file with the fewest system calls:
// open, read until the end, close. os.DirFS opens through os.Open, which also makes the
// descriptor non-blocking (two fcntl calls) and allocates an *os.File with a cleanup, and
// fs.ReadFile adds an fstat: scanning /proc/<pid>/stat of 600 processes spent more on
// those than on reading. Files of /proc are generated when read and report a size of 0,
// so the size is never asked for.
//
// Every probe reads /proc through it on the real machine; tests hand the probes recorded
// files (fstest.MapFS, os.DirFS) instead, which read the same.
package procfs

import (
	"bytes"
	"io/fs"
	"os"
	"sync"
)

// FS is the directory tree rooted at the directory it names, normally "/proc".
type FS string

var (
	_ fs.FS         = FS("")
	_ fs.ReadFileFS = FS("")
)

// Open opens name for streaming (a large file such as net/tcp), as os.DirFS does.
func (d FS) Open(name string) (fs.File, error) { return os.DirFS(string(d)).Open(name) }

// ReadFile reads the whole of name. The result is allocated to its size: the reading
// buffer is reused.
func (d FS) ReadFile(name string) ([]byte, error) {
	bp := buffers.Get().(*[]byte)
	defer buffers.Put(bp)
	data, next, err := d.ReadInto(name, *bp)
	*bp = next
	if err != nil {
		return nil, err
	}
	return bytes.Clone(data), nil
}

var buffers = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

// ReadInto reads the whole of name into buf, growing it as needed, and returns the data
// and the buffer to reuse for the next file. data is only good until then.
func (d FS) ReadInto(name string, buf []byte) (data, next []byte, err error) {
	if !fs.ValidPath(name) {
		return nil, buf, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return readInto(string(d)+"/"+name, name, buf, false)
}

// ReadRecord is ReadInto for a file the kernel writes whole in one read when buf is large
// enough, such as /proc/<pid>/stat: a read that leaves room in buf is the end, which
// saves the read that would only see the end of the file. Not for files written a page
// at a time (net/tcp).
func (d FS) ReadRecord(name string, buf []byte) (data, next []byte, err error) {
	if !fs.ValidPath(name) {
		return nil, buf, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return readInto(string(d)+"/"+name, name, buf, true)
}
