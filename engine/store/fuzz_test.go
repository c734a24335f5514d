package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReaders feeds arbitrary bytes to the two readers of files on disk that a crash, a full
// disk or a careless operator can leave in any shape: state.json and an outbox entry. Either
// reads it or sets it aside with an error; neither panics, and a set-aside file is gone from
// its place.
func FuzzReaders(f *testing.F) {
	f.Add([]byte(`{"rules":{"hot":{"state":"firing"}}}`))
	f.Add([]byte(`{"id":"00000000000000000001-0123456789abcdef","notifier":"ops","payload":{"text":"hi"},"created":"2026-11-25T03:00:00Z"}`))
	f.Add([]byte(`{"id":"00000000000000000001-0123456789abcdef","notifier":"","payload":null}`))
	f.Add([]byte("\x00\xff{"))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := os.WriteFile(filepath.Join(dir, stateFile), data, 0o600); err != nil {
			t.Fatal(err)
		}
		var v struct {
			Rules map[string]struct {
				State string `json:"state"`
			} `json:"rules"`
		}
		s.Load(&v)
		id := "00000000000000000001-0123456789abcdef"
		if err := os.WriteFile(filepath.Join(dir, outboxDir, id+entryExt), data, 0o600); err != nil {
			t.Fatal(err)
		}
		entries, err := s.Pending()
		if err != nil && !strings.Contains(err.Error(), id) {
			t.Errorf("the error does not name the entry: %v", err)
		}
		for _, e := range entries {
			if e.ID != id || e.Notifier == "" {
				t.Errorf("an entry with id %q, notifier %q was accepted", e.ID, e.Notifier)
			}
		}
		if err != nil {
			if _, serr := os.Stat(filepath.Join(dir, outboxDir, id+entryExt)); serr == nil {
				t.Errorf("an unusable entry stays in the outbox: %v", err)
			}
		}
	})
}
