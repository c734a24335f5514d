package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
)

// Reader reads the state document of a state directory without taking its lock and
// without changing anything in it: for commands that show the state of a notimon that may
// be running (explain). Save replaces state.json by a rename, so a Reader sees a whole
// document, the previous one or the new one.
type Reader struct {
	dir string
}

// NewReader returns a Reader of the state directory dir. Nothing is read yet.
func NewReader(dir string) *Reader { return &Reader{dir: dir} }

// StateFile is the path of the state document, for messages.
func (r *Reader) StateFile() string { return filepath.Join(r.dir, stateFile) }

// Load decodes the state document into v, a non-nil pointer, as Store.Load does; found is
// false when there is no state yet. Unlike Store.Load it leaves an unusable document where
// it is: it fails with an error naming the file and what is wrong with it.
func (r *Reader) Load(v any) (found bool, err error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false, fmt.Errorf("read state: need a non-nil pointer, got %T", v)
	}
	path := r.StateFile()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return false, fmt.Errorf("cannot read %s (%w)", path, err)
	}
	if err := decode(data, rv); err != nil {
		return false, fmt.Errorf("%s is unusable (%w)", path, err)
	}
	return true, nil
}
