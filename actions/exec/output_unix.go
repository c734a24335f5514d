//go:build unix

package exec

import (
	"errors"
	"io"
	"os"
	"syscall"
	"time"
)

// drain copies into w what f, a pipe, holds right now, without waiting for more, and at
// most max bytes. f is in non-blocking mode, as os.Pipe leaves it, so an empty pipe reads
// EAGAIN.
func drain(f *os.File, w io.Writer, b []byte, max int) {
	if f.SetReadDeadline(time.Time{}) != nil {
		return
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	for total := 0; total < max; {
		var n int
		var rerr error
		// Returning true reads once and does not wait for the pipe to become readable.
		if err := rc.Read(func(fd uintptr) bool {
			n, rerr = syscall.Read(int(fd), b[:min(len(b), max-total)])
			return true
		}); err != nil {
			return
		}
		switch {
		case errors.Is(rerr, syscall.EINTR):
			continue
		case rerr != nil || n <= 0: // EAGAIN: empty; 0: every writer has closed it
			return
		}
		w.Write(b[:n])
		total += n
	}
}
