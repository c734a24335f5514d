package procfs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
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
