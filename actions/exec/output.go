package exec

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unicode/utf8"
)

// output is one of the command's output pipes, read as the command writes so that it never
// blocks on a full pipe, into a capture that keeps the first max bytes.
//
// The pipe is not read to its end. A process the command leaves running (a daemon started
// with `setsid cmd &`) inherits the write end and may hold it for as long as it lives, so
// finish takes what the command wrote before it exited, which is all in the pipe by then,
// and closes the read end. A process still holding the write end afterwards gets EPIPE (and
// SIGPIPE) if it writes: a daemon must send its output elsewhere.
type output struct {
	r, w *os.File
	buf  capture
	done chan struct{} // closed when the reader has stopped
}

func newOutput(max int) (*output, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	return &output{r: r, w: w, buf: capture{max: max}, done: make(chan struct{})}, nil
}

// start closes our copy of the write end, the started command having its own, and starts
// reading: the pipe ends (EOF) when every process holding the write end has closed it.
func (o *output) start() {
	o.w.Close()
	go func() {
		defer close(o.done)
		b := make([]byte, 32<<10)
		for {
			n, err := o.r.Read(b)
			o.buf.Write(b[:n])
			if errors.Is(err, os.ErrDeadlineExceeded) {
				// finish has been called: what is left in the pipe was written before the
				// command exited.
				drain(o.r, &o.buf, b, drainMax)
				return
			}
			if err != nil {
				return // EOF: every holder of the write end has closed it
			}
		}
	}()
}

// finish returns the output once the command has exited: the reader stops waiting for
// more, takes what is in the pipe, and the pipe is closed.
func (o *output) finish() string {
	if err := o.r.SetReadDeadline(time.Now()); err != nil {
		o.r.Close() // not pollable (never so for a pipe on Linux): closing also ends the Read
	}
	<-o.done
	o.r.Close()
	return o.buf.String()
}

// close releases both ends; Run defers it, so that an early return releases them too.
func (o *output) close() {
	o.w.Close()
	o.r.Close()
}

// capture keeps the first max bytes written to it and counts the rest. It never fails, so
// the reader copying into it keeps draining the pipe.
type capture struct {
	max     int
	buf     []byte
	dropped int64
}

func (c *capture) Write(p []byte) (int, error) {
	keep := min(max(c.max-len(c.buf), 0), len(p))
	c.buf = append(c.buf, p[:keep]...)
	c.dropped += int64(len(p) - keep)
	return len(p), nil
}

// String is the kept text; when bytes were dropped it is cut back to a whole UTF-8
// character and ends with a note saying how many bytes are missing.
func (c *capture) String() string {
	if c.dropped == 0 {
		return string(c.buf)
	}
	b := c.buf
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				b = b[:i]
			}
			break
		}
	}
	dropped := c.dropped + int64(len(c.buf)-len(b))
	return fmt.Sprintf("%s\n[… %d bytes truncated]", b, dropped)
}
