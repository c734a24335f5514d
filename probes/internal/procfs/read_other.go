//go:build !unix

package procfs

import (
	"errors"
	"os"
)

func readInto(path, name string, buf []byte, _ bool) (data, next []byte, err error) {
	data, err = os.ReadFile(path)
	if e, ok := err.(*os.PathError); ok {
		e.Path = name
	}
	return data, buf, err
}

var errNoHeld = errors.New("files are not held open on this platform")

func open(path, name string) (int, error) {
	return -1, &os.PathError{Op: "open", Path: name, Err: errNoHeld}
}

func readFD(int, string, []byte, bool) ([]byte, []byte, error) { return nil, nil, errNoHeld }

func closeFD(int) {}

// MaxHeld is 0: files are not held open here.
func MaxHeld() int { return 0 }
