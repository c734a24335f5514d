package store

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestReaderReadsWhileLocked: a Reader reads the state a running notimon (which holds the
// lock) saved, at once; it says "no state yet" without a document, and names an unusable
// one without setting it aside or writing anything.
func TestReaderReadsWhileLocked(t *testing.T) {
	dir := stateDir(t)
	opts, _, _ := testOpts()
	s := mustOpen(t, dir, opts) // held for the whole test, as by a daemon
	r := NewReader(dir)
	if want := filepath.Join(dir, "state.json"); r.StateFile() != want {
		t.Errorf("StateFile() = %s, want %s", r.StateFile(), want)
	}
	var got ruleState
	if found, err := r.Load(&got); found || err != nil {
		t.Fatalf("no state yet: Load = %v, %v", found, err)
	}

	saved := ruleState{Version: 1, Rules: map[string]ruleEntry{"overload": {"firing", t0}}, Cursor: []int{1}}
	if err := s.Save(saved); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	found, err := r.Load(&got)
	if !found || err != nil || !reflect.DeepEqual(got, saved) {
		t.Fatalf("Load = %v, %v, %+v; want %+v", found, err, got, saved)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Load took %s: it waited for the lock", took)
	}

	if err := os.WriteFile(r.StateFile(), []byte(`{"version": 1, "rules": {"overload": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadDir(dir)
	got = ruleState{Version: 7}
	found, err = r.Load(&got)
	if found || err == nil || !strings.Contains(err.Error(), r.StateFile()+" is unusable (") || got.Version != 7 {
		t.Errorf("unusable document: Load = %v, %v, %+v", found, err, got)
	}
	if after, _ := os.ReadDir(dir); len(after) != len(before) {
		t.Errorf("the Reader changed the directory: %d entries before, %d after", len(before), len(after))
	}
	if _, err := r.Load(got); err == nil {
		t.Error("Load into a non-pointer was accepted")
	}
}
