package store

import (
	"encoding/json"
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

// Outbox returns the entries waiting in the outbox, in enqueue order, without the lock:
// what a running notimon has queued and not yet delivered. An entry file that cannot be read
// or parsed (one being replaced as it is read, or a corrupt one the holder will set aside) is
// skipped; unreadable counts them.
func (r *Reader) Outbox() (entries []Entry, unreadable int, err error) {
	dir := filepath.Join(r.dir, outboxDir)
	des, err := os.ReadDir(dir) // sorted by name: enqueue order
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("outbox %s: %w", dir, err)
	}
	for _, de := range des {
		id, ok := entryID(de.Name())
		if !ok {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // delivered meanwhile
		}
		var e Entry
		if err == nil {
			err = json.Unmarshal(data, &e)
		}
		if err != nil || e.ID != id || e.Notifier == "" {
			unreadable++
			continue
		}
		e.Payload = nil // the message texts are not the reader's business
		entries = append(entries, e)
	}
	return entries, unreadable, nil
}

// Holder reports the process holding the state directory's lock, without taking it for
// longer than a probe: pid is what the holder wrote in the lock file (0 when it has not yet,
// or is an older notimon), held says whether anyone holds the lock at all. A directory
// without a lock file has never been used: nobody holds it.
func (r *Reader) Holder() (pid int, held bool, err error) {
	path := filepath.Join(r.dir, lockFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("lock %s: %w", path, err)
	}
	defer f.Close()
	if held, err = probeLock(f); err != nil {
		return 0, false, fmt.Errorf("lock %s: %w", path, err)
	}
	if !held {
		return 0, false, nil
	}
	return holderPID(f), true, nil
}
