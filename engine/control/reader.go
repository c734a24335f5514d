package control

import (
	"errors"
	"io/fs"
	"os"
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
	name string
	fi   fs.FileInfo // nil: absent
}

// NewReader returns a Reader of the control files in dir.
func NewReader(dir string) *Reader {
	return &Reader{dir: dir, files: [2]cached{{name: silencesFile}, {name: acksFile}}, set: Set{Acks: map[string]Ack{}}}
}

// Dir is the state directory.
func (r *Reader) Dir() string { return r.dir }

// Read returns the silences (those Silences returns at now) and acks. When a file cannot be
// read or decoded, Read returns the error with what it read last, so that a broken edit does
// not lift every silence at once.
func (r *Reader) Read(now time.Time) (Set, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for i := range r.files {
		f := &r.files[i]
		p := filepath.Join(r.dir, f.name)
		fi, err := os.Stat(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		if same(f.fi, fi) {
			continue
		}
		switch f.name {
		case silencesFile:
			doc := silencesDoc{}
			if fi != nil {
				if err := readDoc(p, &doc); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			r.set.Silences = doc.Silences
		case acksFile:
			doc := acksDoc{}
			if fi != nil {
				if err := readDoc(p, &doc); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			r.set.Acks = doc.Acks
			if r.set.Acks == nil {
				r.set.Acks = map[string]Ack{}
			}
		}
		f.fi = fi
	}
	out := Set{Silences: prune(append([]Silence(nil), r.set.Silences...), now), Acks: make(map[string]Ack, len(r.set.Acks))}
	for k, v := range r.set.Acks {
		out.Acks[k] = v
	}
	return out, errors.Join(errs...)
}

// ClearAck is ClearAck on the Reader's directory.
func (r *Reader) ClearAck(rule string, firingSince time.Time) error {
	return ClearAck(r.dir, rule, firingSince)
}

func same(a, b fs.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Size() == b.Size() && a.ModTime().Equal(b.ModTime()) && os.SameFile(a, b)
}
