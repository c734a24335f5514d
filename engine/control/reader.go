package control

import (
	"errors"
	"path/filepath"
	"sync"
	"time"
)

// Reader reads the control files of a state directory for the engine, on every tick: a file
// is decoded again only when its size, modification time or inode changed, so an unchanged
// directory costs two stats. It is safe for concurrent use.
type Reader struct {
	dir string

	mu    sync.Mutex
	files [2]cached
	set   Set
}

type cached struct {
	name, path string
	id         fileID
	read       bool // id is what was last decoded
}

// NewReader returns a Reader of the control files in dir.
func NewReader(dir string) *Reader {
	return &Reader{dir: dir, set: Set{Acks: map[string]Ack{}}, files: [2]cached{
		{name: silencesFile, path: filepath.Join(dir, silencesFile)},
		{name: acksFile, path: filepath.Join(dir, acksFile)},
	}}
}

// Dir is the state directory.
func (r *Reader) Dir() string { return r.dir }

// Read returns the silences and acks: those of the files as last decoded, recently ended
// silences included (Set.Silencing looks at the active ones). When a file cannot be read or
// decoded, Read returns the error with what it read last, so that a broken edit does not
// lift every silence at once. The Set is shared with later calls until a file changes:
// read it, do not modify it.
func (r *Reader) Read(now time.Time) (Set, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for i := range r.files {
		f := &r.files[i]
		p := f.path
		id, err := statID(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if f.read && id == f.id {
			continue
		}
		switch f.name {
		case silencesFile:
			doc := silencesDoc{}
			if id.exists {
				if err := readDoc(p, &doc); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			r.set.Silences = prune(doc.Silences, now)
		case acksFile:
			doc := acksDoc{}
			if id.exists {
				if err := readDoc(p, &doc); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			if doc.Acks == nil {
				doc.Acks = map[string]Ack{}
			}
			r.set.Acks = doc.Acks
		}
		f.id, f.read = id, true
	}
	if len(errs) == 0 {
		return r.set, nil // the common case allocates nothing
	}
	return r.set, errors.Join(errs...)
}

// ClearAck is ClearAck on the Reader's directory.
func (r *Reader) ClearAck(rule string, firingSince time.Time) error {
	return ClearAck(r.dir, rule, firingSince)
}
