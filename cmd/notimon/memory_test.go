package main

import (
	"debug/elf"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// rssFile is the resident memory of this process that maps files (its executable, mostly),
// in kB, from /proc/self/status.
func rssFile(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status here")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatalf("RssFile %q", v)
			}
			return n
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// Dropping the executable's pages lowers the resident set, and the program runs on.
func TestDropExecutablePages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	if exe, err := os.Executable(); err != nil || !plainExecutable(exe) {
		t.Skip("this test binary is a PIE or has a RELRO segment (a race or cgo build): dropExecutablePages leaves such a binary alone")
	}
	before := rssFile(t)
	dropExecutablePages()
	after := rssFile(t)
	t.Logf("RssFile %d kB → %d kB", before, after)
	if after >= before {
		t.Errorf("RssFile %d kB → %d kB, want it lower", before, after)
	}
	// Code not run since is mapped again when it runs.
	if code, out, _ := notimon(t, "version"); code != exitOK || !strings.HasPrefix(out, "notimon ") {
		t.Errorf("version after dropping the pages: exit %d, %q", code, out)
	}
}

// settleMemory returns the heap a phase left as garbage (a load's syntax trees) at once,
// rather than as slowly as the runtime's scavenger would.
func TestSettleMemory(t *testing.T) {
	garbage := make([][]byte, 0, 256)
	for range 256 {
		garbage = append(garbage, make([]byte, 64<<10)) // 16 MB, then dropped
	}
	runtime.KeepAlive(garbage)
	garbage = nil
	settleMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	t.Logf("heap in use %d kB, free but kept %d kB, returned %d kB", m.HeapInuse>>10, (m.HeapIdle-m.HeapReleased)>>10, m.HeapReleased>>10)
	if kept := m.HeapIdle - m.HeapReleased; kept > 4<<20 {
		t.Errorf("%d kB of free heap kept after settleMemory, want it returned", kept>>10)
	}
}

// The daemon collects at GOGC=50 unless GOGC says otherwise.
func TestDaemonGOGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	leanDaemon()
	if got := debug.SetGCPercent(100); got != daemonGCPercent {
		t.Errorf("GOGC %d, want %d", got, daemonGCPercent)
	}
	t.Setenv("GOGC", "200")
	leanDaemon()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC=200 set, leanDaemon changed the percentage to %d", got)
	}
}

// A PIE (Debian's /bin/sh is one) has pages the loader relocated: they are never dropped.
func TestPIEPagesAreKept(t *testing.T) {
	f, err := elf.Open("/bin/sh")
	if err != nil {
		t.Skip("no ELF /bin/sh here")
	}
	pie := f.Type == elf.ET_DYN
	f.Close()
	if !pie {
		t.Skip("/bin/sh is not a PIE here")
	}
	if plainExecutable("/bin/sh") {
		t.Error("plainExecutable(/bin/sh) = true for a PIE")
	}
}
