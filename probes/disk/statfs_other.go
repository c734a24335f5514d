//go:build !linux

package disk

import (
	"errors"
	"io/fs"
)

// Statfs is only implemented on Linux, the one system notimon samples; elsewhere the
// package builds so the rest of notimon can be developed there.
func Statfs(path string) (Stat, error) {
	return Stat{}, &fs.PathError{Op: "statfs", Path: path, Err: errors.ErrUnsupported}
}
