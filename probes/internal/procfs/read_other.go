//go:build !unix

package procfs

import (
	"os"
)

func readInto(path, name string, buf []byte, _ bool) (data, next []byte, err error) {
	data, err = os.ReadFile(path)
	if e, ok := err.(*os.PathError); ok {
		e.Path = name
	}
	return data, buf, err
}
