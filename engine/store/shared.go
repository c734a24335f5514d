package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// partMarker names the temp files of WriteFile. It differs from tmpMarker on purpose: Open
// removes tmpMarker files as leftovers, but a WriteFile may be in progress in another process
// (the CLI adding a silence while a daemon starts), so Open leaves part files alone and
// RemoveParts cleans them under the writer's own lock.
const partMarker = ".part-"

// WriteFile replaces dir/name with data as Save replaces state.json (temp file, fsync,
// rename, fsync of the directory), for files of the state directory that processes other
// than the lock holder write under a lock of their own (engine/control: silences, acks).
func WriteFile(dir, name string, data []byte) error {
	return writeFileTemp(dir, name, "."+name+partMarker+"*", data)
}

// RemoveParts removes the temp files a WriteFile of dir/name left when its writer died.
// Call it under the lock that serialises the writers of name.
func RemoveParts(dir, name string) error {
	matches, err := filepath.Glob(filepath.Join(dir, "."+name+partMarker+"*"))
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// FileLock is an flock(2) on a file of its own, held for a short read-modify-write.
type FileLock struct{ f *os.File }

// LockFile takes an exclusive flock on path (created 0600 if needed), polling for up to wait
// while another process holds it. It is for short critical sections that must not wait for the
// run lock (which a daemon holds for as long as it runs).
func LockFile(path string, wait time.Duration) (*FileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	deadline := time.Now().Add(wait)
	pause := 2 * time.Millisecond
	for {
		err := tryLock(f)
		if err == nil {
			return &FileLock{f: f}, nil
		}
		if !errors.Is(err, errLockHeld) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			f.Close()
			return nil, fmt.Errorf("lock %s: held by another process for more than %s", path, wait)
		}
		time.Sleep(min(pause, left))
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// Unlock releases the lock.
func (l *FileLock) Unlock() error {
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// isPart reports a temp file of WriteFile.
func isPart(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, partMarker)
}
