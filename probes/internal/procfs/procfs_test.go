package procfs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// FS reads what os.DirFS reads, in fewer system calls, and fails the same way.
func TestReadsLikeDirFS(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1000) // 16,000 bytes: several reads
	files := map[string][]byte{"small": []byte("cpu 1 2 3\n"), "big": big, "empty": nil, "sub/stat": []byte("1 (x) S\n")}
	for name, data := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d := FS(dir)
	for name, want := range files {
		got, err := fs.ReadFile(d, name) // through ReadFileFS
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ReadFile(%q) = %d bytes, %v; want %d bytes", name, len(got), err, len(want))
		}
		got, _, err = d.ReadInto(name, make([]byte, 3))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ReadInto(%q) with a small buffer = %d bytes, %v", name, len(got), err)
		}
	}
	// A record that fills the buffer is read on to the end.
	got, _, err := d.ReadRecord("big", make([]byte, 100))
	if err != nil || !bytes.Equal(got, big) {
		t.Errorf("ReadRecord(big) = %d bytes, %v", len(got), err)
	}
	if err := fstest.TestFS(d, "small", "big", "sub/stat"); err != nil {
		t.Error(err)
	}

	for _, tt := range []struct {
		name string
		is   error
	}{
		{"missing", fs.ErrNotExist},
		{"sub/missing/stat", fs.ErrNotExist},
		{"../etc/passwd", fs.ErrInvalid},
		{"/etc/passwd", fs.ErrInvalid},
	} {
		_, err := d.ReadFile(tt.name)
		var pe *fs.PathError
		if !errors.Is(err, tt.is) || !errors.As(err, &pe) || pe.Path != tt.name {
			t.Errorf("ReadFile(%q) error %v, want %v about %q", tt.name, err, tt.is, tt.name)
		}
	}
	if os.Geteuid() != 0 {
		if err := os.WriteFile(filepath.Join(dir, "secret"), nil, 0o000); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ReadFile("secret"); !errors.Is(err, fs.ErrPermission) {
			t.Errorf("unreadable file: %v, want permission denied", err)
		}
	}
}

// The real /proc reads as os.DirFS reads it.
func TestProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	for _, name := range []string{"version", "self/cmdline", "filesystems"} {
		want, err := os.ReadFile("/proc/" + name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := FS("/proc").ReadFile(name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
	stat, _, err := FS("/proc").ReadRecord("self/stat", make([]byte, 1024))
	if err != nil || !strings.HasPrefix(string(stat), strconv.Itoa(os.Getpid())+" (") {
		t.Errorf("self/stat: %q, %v", stat, err)
	}
}

// A Held reads its files again through the descriptors it keeps, up to Max of them, and
// closes those not read since the last Sweep.
func TestHeld(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a", "b"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name+" 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := NewHeld(FS(dir), 1)
	defer h.Close()
	read := func(name string) string {
		t.Helper()
		data, _, err := h.ReadRecord(name, make([]byte, 64))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return string(data)
	}
	if got := read("a") + read("b"); got != "a 1\nb 1\n" || h.Len() != 1 {
		t.Fatalf("read %q with %d files held, want both files and 1 held", got, h.Len())
	}
	// The held file is read again from its start: what it holds now.
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("a 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := read("a"); got != "a 2\n" {
		t.Errorf("a read again: %q", got)
	}
	h.Sweep() // a was read since the last sweep: kept
	if h.Len() != 1 {
		t.Errorf("%d held after a sweep, want a", h.Len())
	}
	h.Sweep() // nothing read since: closed
	if h.Len() != 0 {
		t.Errorf("%d held after a sweep with nothing read, want 0", h.Len())
	}
	if _, _, err := h.ReadRecord("missing", nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

// A held /proc/<pid>/stat of a process that has gone fails as a missing file does.
func TestHeldProcessGone(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	name := strconv.Itoa(cmd.Process.Pid) + "/stat"
	h := NewHeld(FS("/proc"), 10)
	defer h.Close()
	data, _, err := h.ReadRecord(name, make([]byte, 1024))
	if err != nil || !strings.HasPrefix(string(data), strconv.Itoa(cmd.Process.Pid)+" (sleep) ") || h.Len() != 1 {
		t.Fatalf("%s: %q, %v, %d held", name, data, err, h.Len())
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, _, err := h.ReadRecord(name, make([]byte, 1024)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after the process was reaped: %v, want not exist", err)
	}
	if h.Len() != 0 {
		t.Errorf("%d files held for a process that has gone", h.Len())
	}
}
