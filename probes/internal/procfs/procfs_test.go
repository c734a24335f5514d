package procfs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// A File held is read again from its start, and shows what the file holds now.
func TestHold(t *testing.T) {
	if MaxHeld() == 0 {
		t.Skip("files are not held here")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("a 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := FS(dir).Hold("a")
	if err != nil || !f.Open() {
		t.Fatal(err)
	}
	read := func() string {
		t.Helper()
		data, _, err := f.ReadRecord("a", make([]byte, 2)) // a small buffer grows
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	if got := read(); got != "a 1\n" {
		t.Errorf("read %q", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("a 22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "a 22\n" {
		t.Errorf("read again: %q", got)
	}
	f.Close()
	f.Close() // twice is harmless
	if f.Open() {
		t.Error("open after Close")
	}
	if _, err := FS(dir).Hold("missing"); !errors.Is(err, fs.ErrNotExist) || !Gone(err) {
		t.Errorf("missing: %v", err)
	}
	if _, err := FS(filepath.Join(dir, "sub")).Hold("../a"); !errors.Is(err, fs.ErrInvalid) {
		t.Error("held a path outside the tree")
	}
}

// A held /proc/<pid>/stat or comm of a process that has been reaped fails as a process
// gone, and does not read the process that takes its PID.
func TestHeldProcessGone(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil || MaxHeld() == 0 {
		t.Skip("no /proc here")
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	var files []File
	for _, name := range []string{"stat", "comm"} {
		f, err := FS("/proc").Hold(pid + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		data, _, err := f.ReadRecord(name, make([]byte, 1024))
		if err != nil || !strings.Contains(string(data), "sleep") {
			t.Fatalf("%s: %q, %v", name, data, err)
		}
		files = append(files, f)
	}
	cmd.Process.Kill()
	cmd.Wait()
	for _, f := range files {
		if _, _, err := f.ReadRecord("x", make([]byte, 1024)); !Gone(err) {
			t.Errorf("after the process was reaped: %v, want gone", err)
		}
	}
}

// PIDs lists the processes of /proc as the directory's numeric names, this one among them.
func TestPIDs(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	pids, buf, err := FS("/proc").PIDs(nil, make([]byte, 100)) // a buffer too small grows
	if err != nil {
		t.Fatal(err)
	}
	if len(buf) < 100 || !slices.Contains(pids, os.Getpid()) {
		t.Errorf("%d PIDs without this one (%d)", len(pids), os.Getpid())
	}
	names, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range names {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			n++
		}
	}
	// Processes come and go between the two listings: the counts are close, not equal.
	if d := n - len(pids); d < -50 || d > 50 {
		t.Errorf("%d PIDs, os.ReadDir lists %d", len(pids), n)
	}
	// A directory of numbered files and others.
	dir := t.TempDir()
	for _, name := range []string{"1", "42", "0", "07", "self", "12a"} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, _, err := FS(dir).PIDs(nil, nil)
	slices.Sort(got)
	if err != nil || !slices.Equal(got, []int{1, 42}) {
		t.Errorf("PIDs = %v, %v; want [1 42]", got, err)
	}
	if _, _, err := FS(filepath.Join(dir, "missing")).PIDs(nil, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory: %v", err)
	}
}
