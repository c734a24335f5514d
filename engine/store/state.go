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

const stateFile = "state.json"

// corruptStamp dates a set-aside file, in UTC, without characters that need quoting in a shell.
const corruptStamp = "20060102T150405Z"

// Load decodes state.json into v, which must be a non-nil pointer. found is false when there
// is no state yet (the first run) and when the file was unusable: a truncated, garbled or
// wrongly typed document, or a file that cannot be read. An unusable file is never fatal,
// since an agent that refuses to start over a bad state file watches nothing: it is renamed to
// state.json.corrupt-<UTC time> for inspection, a warning names it and the reason, and the
// engine starts from an empty state. v is only written when found is true; fields the document
// lacks keep the value they had, as with json.Unmarshal.
//
// Errors are reserved for what starting over would not fix: the directory refusing the
// rename (a permission problem on the directory itself), or the process being out of
// descriptors or memory.
func (s *Store) Load(v any) (found bool, err error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false, fmt.Errorf("load state: need a non-nil pointer, got %T", v)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return false, ErrClosed
	}
	path := filepath.Join(s.dir, stateFile)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil && transient(err):
		return false, fmt.Errorf("load state: %w", err)
	case err == nil:
		if err = decode(data, rv); err == nil {
			return true, nil
		}
	}
	moved, aerr := moveAside(path, path+".corrupt-"+s.now().UTC().Format(corruptStamp))
	if aerr != nil {
		return false, fmt.Errorf("load state: %s is unusable (%v) and cannot be set aside: %w", path, err, aerr)
	}
	s.log.Warn("state file unusable; set aside, starting from an empty state",
		"file", path, "moved_to", moved, "err", err)
	return false, nil
}

// decode decodes a state document into v, a non-nil pointer. It decodes into a fresh value
// first, so that a document that fails halfway (a type error after some fields were set)
// leaves v untouched.
func decode(data []byte, v reflect.Value) error {
	if err := json.Unmarshal(data, reflect.New(v.Elem().Type()).Interface()); err != nil {
		return err
	}
	return json.Unmarshal(data, v.Interface())
}

// Save writes v as state.json, atomically: after a crash at any moment, Load finds either the
// previous document or this one, never a mix or a truncated file. When Save returns nil the
// new document is on disk (fsync'd, and the rename fsync'd in the directory).
func (s *Store) Save(v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	data = append(data, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return ErrClosed
	}
	if err := writeFileAtomic(s.dir, stateFile, data); err != nil {
		return fmt.Errorf("save state in %s: %w", s.dir, err)
	}
	return nil
}
