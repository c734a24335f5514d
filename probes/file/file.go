package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/notimon/notimon/spec"
)

// DefaultTimeout bounds one stat when the block sets no timeout.
const DefaultTimeout = 5 * time.Second

// Config is one file probe, checked by FromAttrs.
type Config struct {
	Path    string        // absolute
	Timeout time.Duration // DefaultTimeout when 0
}

// FromAttrs builds a Config from a probe block's decoded attributes: path (string) and
// timeout (time.Duration). The path must be absolute: notimon's working directory is not
// the same under cron, systemd and a shell.
func FromAttrs(attrs map[string]any) (Config, error) {
	c := Config{Timeout: DefaultTimeout}
	err := block.Each("a file probe", attrs, func(k string, v any) (err error) {
		switch k {
		case "path":
			c.Path, err = spec.As[string](k, v)
		case "timeout":
			c.Timeout, err = spec.Duration(k, v, DefaultTimeout)
		}
		return err
	})
	if err != nil {
		return Config{}, err
	}
	switch {
	case c.Path == "":
		return Config{}, errors.New("path is missing")
	case !filepath.IsAbs(c.Path):
		return Config{}, fmt.Errorf("path %q is relative; write an absolute path (notimon's working directory differs between cron, systemd and a shell)", c.Path)
	case c.Timeout < 0:
		return Config{}, fmt.Errorf("timeout %v is negative", c.Timeout)
	}
	return c, nil
}

// Sample stats c.Path and reports what it found, ages counted back from now. It returns
// within c.Timeout, or soon after ctx ends.
func Sample(ctx context.Context, c Config, now time.Time) Values {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	call := start(c.Path)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-call.done:
	case <-t.C:
		return Values{Error: fmt.Sprintf("stat timed out after %v (a hung network file system?)", timeout)}
	case <-ctx.Done():
		return Values{Error: fmt.Sprintf("canceled (%v)", context.Cause(ctx))}
	}
	r := call.result
	if r.err != "" || r.info == nil {
		return Values{Error: r.err}
	}
	return Values{
		Exists:    true,
		SizeBytes: float64(r.info.Size()),
		AgeS:      now.Sub(r.info.ModTime()).Seconds(),
		Type:      typeOf(r.info.Mode()),
	}
}

// result is what examining a path found: info when it exists, else err ("" when it
// simply does not).
type result struct {
	info fs.FileInfo
	err  string
}

// examine is replaced by tests that need a stat that hangs.
var examine = func(path string) result {
	info, err := os.Stat(path)
	switch {
	case err == nil:
		return result{info: info}
	case errors.Is(err, syscall.ENOENT):
		if l, lerr := os.Lstat(path); lerr == nil && l.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			return result{err: "dangling symlink to " + target}
		}
		return result{}
	case errors.Is(err, syscall.ENOTDIR):
		return result{} // a path through a file: nothing there
	case errors.Is(err, syscall.ELOOP):
		return result{err: "symlink loop (too many levels of symbolic links)"}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return result{err: pe.Err.Error()} // the path is the probe's own: no need to repeat it
	}
	return result{err: err.Error()}
}

// A call is one examination of a path, shared by every Sample that asks while it runs.
type call struct {
	done   chan struct{}
	result result
}

var (
	mu       sync.Mutex
	inflight = map[string]*call{}
)

// start returns the examination of path in progress, starting one if there is none.
func start(path string) *call {
	mu.Lock()
	defer mu.Unlock()
	if c, ok := inflight[path]; ok {
		return c
	}
	c := &call{done: make(chan struct{})}
	inflight[path] = c
	go func() {
		c.result = examine(path)
		mu.Lock()
		delete(inflight, path)
		mu.Unlock()
		close(c.done)
	}()
	return c
}

func typeOf(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "file"
	case m.IsDir():
		return "dir"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "char_device"
	case m&fs.ModeDevice != 0:
		return "block_device"
	}
	return "other"
}

// as returns v as a T, or an error naming the attribute and both types.
