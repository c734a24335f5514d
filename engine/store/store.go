package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultLockWait is how long Open waits for another notimon when Options.LockWait is zero:
// long enough for an overlapping cron run to finish a short chain, short enough that a stuck
// run shows up in cron's mail within the minute.
const DefaultLockWait = 10 * time.Second

// ErrClosed is returned by every method called after Close.
var ErrClosed = errors.New("state store is closed")

// Options configure Open.
type Options struct {
	// LockWait bounds how long Open waits while another notimon holds the state directory,
	// so that a cron run overlapping a slow previous run waits for it instead of racing it.
	// Zero means DefaultLockWait; negative means try once and do not wait.
	LockWait time.Duration
	// Now stamps outbox entries, ages them for Expire, and dates set-aside files
	// (nil: time.Now). The lock wait does not use it: it waits on another process, in wall time.
	Now    func() time.Time
	Logger *slog.Logger // nil: discard
}

// Store is an open, exclusively locked state directory. Its methods are safe for concurrent
// use by the goroutines of one process (action chains enqueue and ack concurrently); other
// processes are kept out by the lock.
type Store struct {
	dir    string // absolute
	outbox string
	now    func() time.Time
	log    *slog.Logger

	mu   sync.Mutex
	lock *os.File // nil once closed
	seq  uint64   // sequence number of the last outbox entry named
	// entries counts the outbox's entry files as this process knows them: counted by Open,
	// recounted by every listing (Pending, Expire), and moved by Enqueue, Ack and Expire.
	// Only the lock holder writes the outbox, so it is never lower than the true count.
	entries int
}

const (
	lockFile   = "lock"
	outboxDir  = "outbox"
	corruptDir = "corrupt"
	tmpMarker  = ".tmp-" // temp files are "." + final name + tmpMarker + random
)

// Open opens the state directory dir, creating it with mode 0700 if needed, and takes its
// exclusive lock, waiting up to opts.LockWait for another holder to let go. It fails with a
// *LockError naming the holder's PID when the wait runs out, and with an error naming the
// path when the directory cannot be created or written. Temp files left by a process that
// died mid-write are removed.
func Open(dir string, opts Options) (*Store, error) {
	if dir == "" {
		return nil, errors.New("state directory: empty path")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("state directory %s: %w", dir, err)
	}
	s := &Store{dir: abs, outbox: filepath.Join(abs, outboxDir), now: opts.Now, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.prepareDir(); err != nil {
		return nil, err
	}
	wait := opts.LockWait
	if wait == 0 {
		wait = DefaultLockWait
	}
	if s.lock, err = s.acquire(wait); err != nil {
		return nil, err
	}
	if err := s.recover(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// prepareDir creates the state directory if needed and checks that this process can write it,
// so that a wrong owner fails here, with the path, rather than at the first Save.
func (s *Store) prepareDir() error {
	fi, err := os.Stat(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		// Another process (a second cron run started the same second) may create it
		// meanwhile: that is no error, its lock decides who goes first.
		if err := mkdirDurable(s.dir); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("state directory %s: %w", s.dir, err)
		}
		fi, err = os.Stat(s.dir)
	}
	switch {
	case err != nil:
		return fmt.Errorf("state directory %s: %w", s.dir, err)
	case !fi.IsDir():
		return fmt.Errorf("state directory %s: not a directory", s.dir)
	case fi.Mode().Perm()&0o077 != 0:
		// Not changed behind the operator's back, but the outbox holds message texts.
		s.log.Warn("state directory is accessible to other users; 0700 is recommended",
			"dir", s.dir, "mode", fmt.Sprintf("%#o", fi.Mode().Perm()))
	}
	if err := canWrite(s.dir); err != nil {
		return fmt.Errorf("state directory %s is not writable by uid %d: %w", s.dir, os.Geteuid(), err)
	}
	return nil
}

// acquire opens the lock file and polls for its flock until wait runs out. The descriptor is
// close-on-exec (Go's default), so commands run by exec steps never inherit the lock.
func (s *Store) acquire(wait time.Duration) (*os.File, error) {
	path := filepath.Join(s.dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state directory %s: lock: %w", s.dir, err)
	}
	start := time.Now()
	deadline := start.Add(wait)
	pause := 10 * time.Millisecond
	for waited := false; ; waited = true {
		err := tryLock(f)
		if err == nil {
			break
		}
		if !errors.Is(err, errLockHeld) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !waited && wait > 0 {
			s.log.Info("waiting for another notimon to release the state directory",
				"lock", path, "pid", holderPID(f), "wait", wait)
		}
		left := time.Until(deadline)
		if left <= 0 {
			pid := holderPID(f)
			f.Close()
			return nil, &LockError{Path: path, PID: pid, Waited: max(wait, 0)}
		}
		time.Sleep(min(pause, left))
		pause = min(2*pause, 100*time.Millisecond)
	}
	// The PID is only for the message another process shows while waiting; failing to
	// record it costs nothing else.
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := f.Truncate(0); err != nil {
		s.log.Warn("cannot record pid in lock file", "lock", path, "err", err)
	} else if _, err := f.WriteAt(pid, 0); err != nil {
		s.log.Warn("cannot record pid in lock file", "lock", path, "err", err)
	}
	return f, nil
}

// holderPID reads the PID the holder wrote into the lock file; 0 when unknown (the holder may
// be between taking the lock and writing it, or be an older notimon).
func holderPID(f *os.File) int {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// LockError says that another process held the state directory for longer than Open waited.
type LockError struct {
	Path   string        // the lock file
	PID    int           // the holder's PID, 0 when unknown
	Waited time.Duration // how long Open waited
}

func (e *LockError) Error() string {
	who := "another notimon"
	if e.PID > 0 {
		who = fmt.Sprintf("another notimon (pid %d)", e.PID)
	}
	return fmt.Sprintf("%s holds %s; waited %s", who, e.Path, e.Waited)
}

// recover runs once the lock is held: it creates the outbox, removes temp files whose writer
// died before renaming them (nobody else can be writing them), and continues the outbox
// sequence after the highest entry left.
func (s *Store) recover() error {
	if err := mkdirDurable(s.outbox); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("state directory %s: %w", s.dir, err)
	}
	for _, dir := range []string{s.dir, s.outbox} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("state directory %s: %w", s.dir, err)
		}
		for _, de := range entries {
			name := de.Name()
			if strings.HasPrefix(name, ".") && strings.Contains(name, tmpMarker) && !isPart(name) {
				if err := os.Remove(filepath.Join(dir, name)); err != nil {
					s.log.Warn("cannot remove leftover temp file", "file", filepath.Join(dir, name), "err", err)
				} else {
					s.log.Debug("removed temp file left by an interrupted write", "file", filepath.Join(dir, name))
				}
				continue
			}
			if dir == s.outbox {
				if seq, ok := parseEntryName(name); ok {
					s.seq = max(s.seq, seq)
					s.entries++
				}
			}
		}
	}
	return nil
}

// Dir returns the state directory's absolute path.
func (s *Store) Dir() string { return s.dir }

// Close releases the lock. Calling it again does nothing.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return nil
	}
	f := s.lock
	s.lock = nil
	_ = f.Truncate(0) // the PID names the holder only while it holds
	errUnlock := unlock(f)
	if err := errors.Join(errUnlock, f.Close()); err != nil {
		return fmt.Errorf("release %s: %w", f.Name(), err)
	}
	return nil
}

// writeFileAtomic replaces dir/name with data so that a crash at any moment leaves either the
// old file or the new one, complete: temp file in the same directory, write, fsync, rename,
// fsync the directory (which makes the rename itself durable).
func writeFileAtomic(dir, name string, data []byte) error {
	return writeFileTemp(dir, name, "."+name+tmpMarker+"*", data)
}

// writeFileTemp is writeFileAtomic with a temp file named after pattern (os.CreateTemp).
func writeFileTemp(dir, name, pattern string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, pattern) // mode 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes the directory's entries (creations, renames, removals) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}

// mkdirDurable creates dir (and missing parents) with mode 0700 and fsyncs each parent so the
// new entries survive a power loss. It returns an fs.ErrExist error if dir already exists.
func mkdirDurable(dir string) error {
	var created []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || !errors.Is(err, fs.ErrNotExist) || d == filepath.Dir(d) {
			break
		}
		created = append(created, d)
	}
	if len(created) == 0 {
		return &fs.PathError{Op: "mkdir", Path: dir, Err: fs.ErrExist}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, d := range created {
		if err := syncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

// moveAside renames src to dst (adding .1, .2 … if dst exists) and fsyncs both directories.
// It returns where src went.
func moveAside(src, dst string) (string, error) {
	target := dst
	for i := 1; ; i++ {
		if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
			break
		}
		target = fmt.Sprintf("%s.%d", dst, i)
	}
	if err := os.Rename(src, target); err != nil {
		return "", err
	}
	if err := syncDir(filepath.Dir(target)); err != nil {
		return target, err
	}
	if filepath.Dir(src) != filepath.Dir(target) {
		return target, syncDir(filepath.Dir(src))
	}
	return target, nil
}

// transient reports errors that say nothing about the file itself (the process is out of
// descriptors or memory): a file that cannot be read for these reasons is not set aside.
func transient(err error) bool {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOMEM, syscall.ENOBUFS, syscall.EINTR} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}
