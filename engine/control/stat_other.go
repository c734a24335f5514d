//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package control

import (
	"errors"
	"io/fs"
	"os"
)

type fileID struct {
	size      int64
	sec, nsec int64
	exists    bool
}

func statID(path string) (fileID, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fileID{}, nil
	}
	if err != nil {
		return fileID{}, err
	}
	t := fi.ModTime()
	return fileID{size: fi.Size(), sec: t.Unix(), nsec: int64(t.Nanosecond()), exists: true}, nil
}
