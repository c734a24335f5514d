//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package store

import (
	"errors"
	"os"
	"syscall"
)

// errLockHeld means another open file description holds the flock.
var errLockHeld = errors.New("lock held")

// tryLock takes an exclusive flock without blocking. flock (not fcntl) because its lock belongs
// to the open file description: a second Open in the same process conflicts too, and closing
// an unrelated descriptor of the same file does not drop it.
func tryLock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errLockHeld
		}
		return err
	}
}

// unlock releases the flock explicitly, so that it goes even if a descriptor of the same
// open file description survives somewhere.
func unlock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// canWrite asks the kernel whether this process may create and remove entries in dir
// (it also answers EROFS on a read-only file system).
func canWrite(dir string) error {
	const wOK, xOK = 0x2, 0x1
	return syscall.Access(dir, wOK|xOK)
}

// probeLock says whether another open file description holds f's flock. It asks for a shared
// lock without blocking and, when it gets one, lets it go at once: a notimon starting in that
// instant sees the lock held and tries again 10 ms later, as it does for any holder.
func probeLock(f *os.File) (held bool, err error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		switch {
		case err == nil:
			return false, syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return true, nil
		}
		return false, err
	}
}
