//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

import (
	"errors"
	"os"
)

var errLockHeld = errors.New("lock held")

var errUnsupported = errors.New("the state store needs flock(2), which this platform lacks")

func tryLock(*os.File) error           { return errUnsupported }
func unlock(*os.File) error            { return errUnsupported }
func canWrite(dir string) error        { return nil }
func probeLock(*os.File) (bool, error) { return false, errUnsupported }
