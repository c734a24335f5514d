package process

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/notimon/notimon/probes/internal/procfs"
)

// These tests run real processes under the machine's /proc, where a Sampler keeps a file
// of each process open: the stat file of those a selector chose, the comm file of the
// others.

// liveProgram copies sleep under a name no other process has (the kernel names a process
// after its executable, at most 15 bytes), so that a `match` selector finds only the
// test's processes.
func liveProgram(t *testing.T, tag string) (path, name string) {
	t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	src, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep here")
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Skip(err)
	}
	name = fmt.Sprintf("nt%s%d", tag, os.Getpid()%100_000)
	path = filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return path, name
}

// startLive starts path with args and stops it when the test ends.
func startLive(t *testing.T, path string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(path, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// waitFor polls what /proc says of a process until ok holds: the kernel's view, not a sleep.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
	}
}

func liveSample(t *testing.T, s *Sampler, sels map[string]Selector) map[string]Values {
	t.Helper()
	vals, errs := s.Sample(time.Now(), sels)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return vals
}

// heldKind says which file of pid the sampler holds open.
func heldKind(s *Sampler, pid int) fileKind {
	if e := s.tr.procs[pid]; e != nil {
		return e.kind
	}
	return noFile
}

// A process a selector chooses is read through its stat file at every scan; one no selector
// chooses, through its comm file; and one that has gone is let go.
func TestLiveHeldFiles(t *testing.T) {
	path, name := liveProgram(t, "h")
	chosen := startLive(t, path, "61")
	other := startLive(t, path, "62")
	s := New(procfs.FS("/proc"))
	sels := map[string]Selector{
		"byname": sel(t, "^"+name+"$", "", ""),
		"bycmd":  sel(t, "", "^"+regexp.QuoteMeta(path)+" 61$", ""),
	}
	vals := liveSample(t, s, map[string]Selector{"bycmd": sels["bycmd"]})
	if vals["bycmd"].Count != 1 {
		t.Fatalf("bycmd: %+v, want 1", vals["bycmd"])
	}
	if k := heldKind(s, chosen.Process.Pid); k != statFile {
		t.Errorf("the chosen process: %v held, want its stat", k)
	}
	if k := heldKind(s, other.Process.Pid); k != commFile {
		t.Errorf("the other process: %v held, want its comm", k)
	}
	if k := heldKind(s, os.Getpid()); k != commFile {
		t.Errorf("this process: %v held, want its comm", k)
	}

	// Both chosen by name: the other's stat is read at that scan, and held from then on.
	vals = liveSample(t, s, sels)
	if vals["byname"].Count != 2 || vals["bycmd"].Count != 1 || vals["byname"].OldestAgeS < 0 {
		t.Fatalf("%+v, want 2 by name and 1 by command line", vals)
	}
	if k := heldKind(s, other.Process.Pid); k != statFile {
		t.Errorf("the other process, chosen now: %v held, want its stat", k)
	}
	// The values are read at every scan: the CPU time the chosen processes used since.
	st := s.State()
	if len(st.Procs) != 2 {
		t.Errorf("state %+v, want both processes", st)
	}

	// The chosen process goes. Nothing was created since (no fork): the scan reads the
	// processes it knows, and finds that one gone through its file.
	chosen.Process.Kill()
	chosen.Wait()
	vals = liveSample(t, s, sels)
	if vals["byname"].Count != 1 || vals["bycmd"].Count != 0 {
		t.Errorf("after one was reaped: %+v, want 1 by name and none by command line", vals)
	}
	if e := s.tr.procs[chosen.Process.Pid]; e != nil && e.p.Comm == name {
		t.Errorf("the reaped process is still tracked, %v held", e.kind)
	}

	// A new one is found.
	third := startLive(t, path, "61")
	vals = liveSample(t, s, sels)
	if vals["byname"].Count != 2 || vals["bycmd"].Count != 1 {
		t.Errorf("after a new one: %+v, want 2 by name and 1 by command line", vals)
	}
	if k := heldKind(s, third.Process.Pid); k != statFile {
		t.Errorf("the new chosen process: %v held, want its stat", k)
	}
}

// A process that execs another program keeps its PID and start time but is named after
// the new program, which its comm file, read at every scan, says at once.
func TestLiveExec(t *testing.T) {
	path, name := liveProgram(t, "x")
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh here")
	}
	cmd := exec.Command(sh, "-c", `read line; exec "$0" 63`, path)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	pid := cmd.Process.Pid
	comm := func() string {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		return strings.TrimSuffix(string(b), "\n")
	}
	cmdline := func() string {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		return string(b)
	}
	// The shell has started (it has read its own command line) before the first scan.
	waitFor(t, "sh to run", func() bool { return strings.Contains(cmdline(), "read line") })

	s := New(procfs.FS("/proc"))
	sels := map[string]Selector{
		"byname":  sel(t, "^"+name+"$", "", ""),
		"bycmd":   sel(t, "", "^"+regexp.QuoteMeta(path)+" 63$", ""),
		"thecmd":  sel(t, "", "exec ", ""),
		"unknown": sel(t, "^no such program$", "", ""),
	}
	vals := liveSample(t, s, sels)
	if vals["byname"].Count != 0 || vals["bycmd"].Count != 0 || vals["thecmd"].Count < 1 {
		t.Fatalf("before the exec: %+v", vals)
	}
	// The shell's command line matched "exec ": it is chosen, its stat held.
	if k := heldKind(s, pid); k != statFile {
		t.Errorf("the shell: %v held, want its stat", k)
	}
	delete(sels, "thecmd")
	liveSample(t, s, sels) // no longer chosen: its comm held
	if k := heldKind(s, pid); k != commFile {
		t.Errorf("the shell, not chosen: %v held, want its comm", k)
	}

	io.WriteString(in, "go\n")
	waitFor(t, "the exec", func() bool { return comm() == name && strings.HasPrefix(cmdline(), path) })
	vals = liveSample(t, s, sels)
	if vals["byname"].Count != 1 || vals["bycmd"].Count != 1 {
		t.Errorf("after the exec: %+v, want it by its new name and command line", vals)
	}
	if e := s.tr.procs[pid]; e == nil || e.p.Comm != name || e.kind != statFile {
		t.Errorf("after the exec, tracked as %+v", e)
	}
}

// A process that has become a zombie has no command line: a cmdline selector no longer
// counts it, even though its command line was read while it ran; a name counts it still.
func TestLiveZombie(t *testing.T) {
	path, name := liveProgram(t, "z")
	cmd := startLive(t, path, "64")
	// Another, whose command line a selector reads without choosing it: not chosen, its
	// comm file is held, its command line kept.
	other := startLive(t, path, "68")
	s := New(procfs.FS("/proc"))
	sels := map[string]Selector{
		"byname": sel(t, "^"+name+"$", "", ""),
		"bycmd":  sel(t, "", "^"+regexp.QuoteMeta(path)+" 64$", ""),
		"none":   sel(t, "", "^"+regexp.QuoteMeta(path)+" 6[89]x$", ""),
	}
	if vals := liveSample(t, s, sels); vals["byname"].Count != 2 || vals["bycmd"].Count != 1 || vals["none"].Count != 0 {
		t.Fatalf("running: %+v", vals)
	}
	delete(sels, "byname")
	liveSample(t, s, sels)
	if k := heldKind(s, other.Process.Pid); k != commFile || s.tr.procs[other.Process.Pid].cmd == nil {
		t.Fatalf("the other: %v held, %+v", k, s.tr.procs[other.Process.Pid])
	}

	// Both killed and not reaped: zombies until the test's cleanup waits for them.
	state := func(pid int) string {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) {
			return string(b[i+2])
		}
		return ""
	}
	for _, c := range []*exec.Cmd{cmd, other} {
		c.Process.Signal(syscall.SIGKILL)
		waitFor(t, "a zombie", func() bool { return state(c.Process.Pid) == "Z" })
	}
	// A selector that would have chosen the other by the command line it had.
	sels["other"] = sel(t, "", "^"+regexp.QuoteMeta(path)+" 68$", "")
	if vals := liveSample(t, s, sels); vals["bycmd"].Count != 0 || vals["other"].Count != 0 {
		t.Errorf("zombies: %+v, want none by command line", vals)
	}
	sels["byname"] = sel(t, "^"+name+"$", "", "")
	if vals := liveSample(t, s, sels); vals["byname"].Count != 2 || vals["bycmd"].Count != 0 || vals["other"].Count != 0 {
		t.Errorf("zombies: %+v, want them by name only", vals)
	}
}

// A PID reused by another process is another process, whatever the sampler held or read of
// the first: its command line is read anew. The kernel hands out PIDs in turn; the test
// sets the last one handed out (root only), and skips if another process takes the PID first.
func TestLivePIDReuse(t *testing.T) {
	path, _ := liveProgram(t, "r")
	const lastPID = "/proc/sys/kernel/ns_last_pid"
	if f, err := os.OpenFile(lastPID, os.O_WRONLY, 0); err != nil {
		t.Skipf("cannot set the next PID: %v", err)
	} else {
		f.Close()
	}
	for _, chosenFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("first chosen %v", chosenFirst), func(t *testing.T) {
			firstArg, secondArg := "65", "66"
			s := New(procfs.FS("/proc"))
			sels := map[string]Selector{"second": sel(t, "", "^"+regexp.QuoteMeta(path)+" "+secondArg+"$", "")}
			if chosenFirst {
				sels["first"] = sel(t, "", "^"+regexp.QuoteMeta(path)+" "+firstArg+"$", "")
			}
			var second *exec.Cmd
			for try := 0; second == nil; try++ {
				if try == 20 {
					t.Skip("another process took the PID every time")
				}
				first := exec.Command(path, firstArg)
				if err := first.Start(); err != nil {
					t.Fatal(err)
				}
				vals := liveSample(t, s, sels)
				if vals["second"].Count != 0 || (chosenFirst && vals["first"].Count != 1) {
					t.Fatalf("first: %+v", vals)
				}
				want := map[bool]fileKind{true: statFile, false: commFile}[chosenFirst]
				if k := heldKind(s, first.Process.Pid); k != want {
					t.Fatalf("the first process: %v held, want %v", k, want)
				}
				pid := first.Process.Pid
				first.Process.Kill()
				first.Wait()
				if err := os.WriteFile(lastPID, []byte(strconv.Itoa(pid-1)), 0); err != nil {
					t.Skipf("cannot set the next PID: %v", err)
				}
				c := exec.Command(path, secondArg)
				if err := c.Start(); err != nil {
					t.Fatal(err)
				}
				if c.Process.Pid == pid {
					second = c
				}
				t.Cleanup(func() {
					c.Process.Kill()
					c.Wait()
				})
			}
			vals := liveSample(t, s, sels)
			if vals["second"].Count != 1 || vals["first"].Count != 0 {
				t.Errorf("after PID %d was reused: %+v, want the second process only", second.Process.Pid, vals)
			}
			if e := s.tr.procs[second.Process.Pid]; e == nil || e.cmd == nil || !strings.HasSuffix(e.cmd.text, " "+secondArg) {
				t.Errorf("PID %d tracked as %+v, want the second process's command line", second.Process.Pid, e)
			}
		})
	}
}

// With fewer files allowed open than there are processes, the others are read by their
// path at every scan, and told apart by their start time.
func TestLiveFewHeld(t *testing.T) {
	path, name := liveProgram(t, "f")
	for range 5 {
		startLive(t, path, "67")
	}
	s := New(procfs.FS("/proc"))
	s.tr = newTracker(3)
	sels := map[string]Selector{"byname": sel(t, "^"+name+"$", "", ""), "bycmd": sel(t, "", "^"+regexp.QuoteMeta(path)+" 67$", "")}
	for i := range 3 {
		vals := liveSample(t, s, sels)
		if vals["byname"].Count != 5 || vals["bycmd"].Count != 5 {
			t.Errorf("scan %d: %+v, want 5 and 5", i, vals)
		}
		if s.tr.held > 3 {
			t.Errorf("scan %d: %d files held, want at most 3", i, s.tr.held)
		}
		n := 0
		for _, e := range s.tr.procs {
			if e.kind != noFile {
				n++
			}
		}
		if n != s.tr.held {
			t.Errorf("scan %d: %d files held, counted %d", i, n, s.tr.held)
		}
	}
	s.tr.closeAll()
	if s.tr.held != 0 {
		t.Errorf("%d held after closing all", s.tr.held)
	}
}

// On a /proc mounted with hidepid=1, the processes of other users are listed but cannot be
// read: they are counted as hidden and no selector chooses them, and no file of theirs is
// held. The test mounts such a /proc (root only) and samples it as nobody, in a child.
func TestLiveHidden(t *testing.T) {
	if os.Getenv("NOTIMON_HIDDEN_PROC") != "" {
		liveHiddenChild(t)
		return
	}
	path, name := liveProgram(t, "p")
	if os.Geteuid() != 0 {
		t.Skip("mounting a /proc with hidepid needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("proc", dir, "proc", 0, "hidepid=1"); err != nil {
		t.Skipf("cannot mount a /proc with hidepid: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	startLive(t, path, "69") // root's: hidden from nobody
	// nobody must reach the mount and the test binary.
	exe := filepath.Join(filepath.Dir(path), "process.test")
	data, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	for d := filepath.Dir(path); d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	for d := dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	cmd := exec.Command(exe, "-test.run=^TestLiveHidden$", "-test.v")
	cmd.Env = append(os.Environ(), "NOTIMON_HIDDEN_PROC="+dir, "NOTIMON_HIDDEN_NAME="+name)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child as nobody: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestLiveHidden") {
		t.Errorf("the child did not run the test:\n%s", out)
	}
	t.Logf("%s", out)
}

// liveHiddenChild is TestLiveHidden as nobody.
func liveHiddenChild(t *testing.T) {
	dir, name := os.Getenv("NOTIMON_HIDDEN_PROC"), os.Getenv("NOTIMON_HIDDEN_NAME")
	s := New(procfs.FS(dir))
	sels := map[string]Selector{
		"hidden": sel(t, "^"+name+"$", "", ""),
		"self":   sel(t, "", "-test.run=\\^TestLiveHidden\\$", ""),
	}
	for i := range 2 {
		vals := liveSample(t, s, sels)
		if vals["hidden"].Count != 0 || vals["self"].Count != 1 {
			t.Errorf("scan %d as nobody: %+v, want only this process", i, vals)
		}
	}
	if k := heldKind(s, os.Getpid()); k != statFile {
		t.Errorf("this process: %v held, want its stat", k)
	}
	for pid, e := range s.tr.procs {
		if e.p.Comm == name {
			t.Errorf("the hidden process %d is tracked: %+v", pid, e)
		}
	}
	table, err := Scan(procfs.FS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if table.Hidden == 0 {
		t.Errorf("no process hidden from nobody")
	}
	t.Logf("%d processes, %d hidden", len(table.Procs), table.Hidden)
}
