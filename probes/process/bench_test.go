package process

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/notimon/notimon/probes/internal/fixture"
	"github.com/notimon/notimon/probes/internal/procfs"
)

// startSleepers starts n `sleep` children whose command lines carry a mark nothing else
// has, and stops them when the benchmark ends.
func startSleepers(b *testing.B, n int) string {
	b.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("no /proc here")
	}
	mark := fmt.Sprintf("3600.%06d", os.Getpid()%1_000_000)
	cmds := make([]*exec.Cmd, 0, n)
	b.Cleanup(func() {
		for _, c := range cmds {
			c.Process.Kill()
		}
		for _, c := range cmds {
			c.Wait()
		}
	})
	for range n {
		c := exec.Command("sleep", mark)
		if err := c.Start(); err != nil {
			b.Skipf("cannot start %d sleep processes (started %d): %v", n, len(cmds), err)
		}
		cmds = append(cmds, c)
	}
	return mark
}

// BenchmarkCmdline500 is a tick of a process probe that matches 500 processes by command
// line, among everything else running. Target: ≤ 3 ms per tick.
func BenchmarkCmdline500(b *testing.B) {
	mark := startSleepers(b, 500)
	s := New(procfs.FS("/proc"))
	sel, err := NewSelector("", "^sleep "+regexp.QuoteMeta(mark)+"$", "")
	if err != nil {
		b.Fatal(err)
	}
	sels := map[string]Selector{"sleepers": sel}
	now := time.Now()
	procs := 0
	cpu := fixture.CPUTime()
	for i := 0; b.Loop(); i++ {
		vals, errs := s.Sample(now.Add(time.Duration(i)*time.Second), sels)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		if vals["sleepers"].Count != 500 {
			b.Fatalf("%v sleepers found, want 500", vals["sleepers"].Count)
		}
	}
	b.ReportMetric(float64(fixture.CPUTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	if t, err := Scan(os.DirFS("/proc")); err == nil {
		procs = len(t.Procs)
	}
	b.ReportMetric(float64(procs), "procs")
}

// BenchmarkDaemonProbes is a tick of the 16 process probes of .ci/daemon-cost's 100 rules
// (12 by name, 4 by command line) on a machine running 500 processes more that none of
// them chooses (a copy of sleep named idle), as most of a machine's processes are.
func BenchmarkDaemonProbes(b *testing.B) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("no /proc here")
	}
	src, err := exec.LookPath("sleep")
	if err != nil {
		b.Skip("no sleep here")
	}
	data, err := os.ReadFile(src)
	if err != nil {
		b.Skip(err)
	}
	idle := filepath.Join(b.TempDir(), "idle")
	if err := os.WriteFile(idle, data, 0o755); err != nil {
		b.Fatal(err)
	}
	var cmds []*exec.Cmd
	b.Cleanup(func() {
		for _, c := range cmds {
			c.Process.Kill()
			c.Wait()
		}
	})
	for range 500 {
		c := exec.Command(idle, "3600")
		if err := c.Start(); err != nil {
			b.Skipf("cannot start 500 processes (started %d): %v", len(cmds), err)
		}
		cmds = append(cmds, c)
	}
	sels := map[string]Selector{}
	for i, name := range []string{"sshd", "cron", "systemd-journal", "rsyslogd", "nginx", "postgres", "redis-server", "dockerd", "containerd", "php-fpm", "java", "mysqld"} {
		sels[fmt.Sprint("p", i)], err = NewSelector("^"+name+"$", "", "")
		if err != nil {
			b.Fatal(err)
		}
	}
	for i, re := range []string{`^/usr/bin/python3 .*`, `^sleep `, `node .*server\.js`, `java .*-jar `} {
		sels[fmt.Sprint("c", i)], err = NewSelector("", re, "")
		if err != nil {
			b.Fatal(err)
		}
	}
	s := New(procfs.FS("/proc"))
	now := time.Now()
	cpu := fixture.CPUTime()
	for i := 0; b.Loop(); i++ {
		if _, errs := s.Sample(now.Add(time.Duration(i)*time.Second), sels); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
	b.ReportMetric(float64(fixture.CPUTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	if t, err := Scan(os.DirFS("/proc")); err == nil {
		b.ReportMetric(float64(len(t.Procs)), "procs")
	}
}
