package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSharedFiles: WriteFile's temp files survive Open (their writer may be another process
// at work) until RemoveParts; LockFile excludes a second holder and gives up after its wait.
func TestSharedFiles(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(dir, "silences.json", []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "silences.json")); err != nil || string(b) != "{}\n" {
		t.Fatalf("WriteFile: %q, %v", b, err)
	}
	part := filepath.Join(dir, ".silences.json.part-123")
	tmp := filepath.Join(dir, ".state.json.tmp-123")
	for _, p := range []string{part, tmp} {
		if err := os.WriteFile(p, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("Open left the state's temp file: %v", err)
	}
	if _, err := os.Stat(part); err != nil {
		t.Errorf("Open removed a part file another writer may be writing: %v", err)
	}
	if err := RemoveParts(dir, "silences.json"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(part); !os.IsNotExist(err) {
		t.Errorf("RemoveParts left %s: %v", part, err)
	}

	l, err := LockFile(filepath.Join(dir, "control.lock"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := LockFile(filepath.Join(dir, "control.lock"), 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "held by another process for more than 50ms") {
		t.Fatalf("second LockFile: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the second LockFile waited %s", took)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := LockFile(filepath.Join(dir, "control.lock"), 0)
	if err != nil {
		t.Fatalf("LockFile after Unlock: %v", err)
	}
	l2.Unlock()
}
