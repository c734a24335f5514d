//go:build linux

package exec_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/exec"
)

// The tests start real processes from scripts in t.TempDir(). None of them calls
// t.Parallel: a script file being written while another test forks could be inherited
// open for writing by that fork, and executing it would then fail with ETXTBSY.

// script writes body as an executable /bin/sh script and returns its path.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	script(t, dir, "ok.sh", "echo hello\n")
	script(t, dir, "fail.sh", "echo 'disk is full' >&2\nexit 3\n")
	script(t, dir, "signal.sh", "echo before\nkill -9 $$\n")
	script(t, dir, "korean.sh", "printf '%s\\n' '[web-01 서버] 메모리 사용량이 한도를 넘었습니다 ✅'\n")
	script(t, dir, "args.sh", `printf '<%s>' "$@"`+"\n")
	script(t, dir, "stdin.sh", "cat\nreadlink /proc/$$/fd/0\n")
	script(t, dir, "pwd.sh", "pwd\n")
	if err := os.WriteFile(filepath.Join(dir, "noexec.sh"), []byte("#!/bin/sh\necho hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "badinterp.sh"), []byte("#!/nonexistent/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	script(t, bin, "notimon-fix", "echo fixed by $0\n")
	if err := os.WriteFile(filepath.Join(bin, "notimon-plain"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		spec       exec.Spec
		wantExit   int
		wantStdout string
		wantStderr string
		wantErr    string // the whole message, $DIR standing for dir; "" means nil
		wantIs     error
	}{
		{
			name:       "exit 0 with stdout",
			spec:       exec.Spec{Argv: []string{dir + "/ok.sh"}},
			wantStdout: "hello\n",
		},
		{
			name:       "exit 3 with stderr",
			spec:       exec.Spec{Argv: []string{dir + "/fail.sh"}},
			wantExit:   3,
			wantStderr: "disk is full\n",
			wantErr:    "$DIR/fail.sh: exit status 3",
		},
		{
			name:       "killed by a signal",
			spec:       exec.Spec{Argv: []string{dir + "/signal.sh"}},
			wantExit:   -1,
			wantStdout: "before\n",
			wantErr:    "$DIR/signal.sh: killed by signal 9 (killed)",
		},
		{
			name:     "not found",
			spec:     exec.Spec{Argv: []string{"/usr/bin/notimon-nosuch"}},
			wantExit: -1,
			wantErr:  "/usr/bin/notimon-nosuch: not found",
			wantIs:   fs.ErrNotExist,
		},
		{
			name:     "not found in PATH, which is named",
			spec:     exec.Spec{Argv: []string{"notimon-nosuch"}, Env: map[string]string{"PATH": "/usr/bin:/bin"}},
			wantExit: -1,
			wantErr:  "notimon-nosuch: not found in PATH (/usr/bin:/bin)",
			wantIs:   fs.ErrNotExist,
		},
		{
			name:       "looked up in the command's PATH",
			spec:       exec.Spec{Argv: []string{"notimon-fix"}, Env: map[string]string{"PATH": bin + ":/usr/bin:/bin"}},
			wantStdout: "fixed by $DIR/bin/notimon-fix\n", // the kernel hands sh the path it executed
		},
		{
			name:     "not executable",
			spec:     exec.Spec{Argv: []string{dir + "/noexec.sh"}},
			wantExit: -1,
			wantErr:  "$DIR/noexec.sh: not executable (mode -rw-r--r--)",
			wantIs:   fs.ErrPermission,
		},
		{
			name:     "not executable in PATH",
			spec:     exec.Spec{Argv: []string{"notimon-plain"}, Env: map[string]string{"PATH": bin}},
			wantExit: -1,
			wantErr:  "notimon-plain: not executable: $DIR/bin/notimon-plain (mode -rw-r--r--)",
			wantIs:   fs.ErrPermission,
		},
		{
			name:     "a directory",
			spec:     exec.Spec{Argv: []string{bin}},
			wantExit: -1,
			wantErr:  "$DIR/bin: is a directory, not a program",
			wantIs:   fs.ErrPermission,
		},
		{
			name:     "missing interpreter",
			spec:     exec.Spec{Argv: []string{dir + "/badinterp.sh"}},
			wantExit: -1,
			wantErr:  "$DIR/badinterp.sh: interpreter not found (check the #! line)",
			wantIs:   fs.ErrNotExist,
		},
		{
			name:       "arguments are not shell syntax",
			spec:       exec.Spec{Argv: []string{dir + "/args.sh", "a b", "$(id)", "; rm -rf /", "*"}},
			wantStdout: "<a b><$(id)><; rm -rf /><*>",
		},
		{
			name:       "Korean text survives",
			spec:       exec.Spec{Argv: []string{dir + "/korean.sh"}},
			wantStdout: "[web-01 서버] 메모리 사용량이 한도를 넘었습니다 ✅\n",
		},
		{
			name:       "stdin is /dev/null",
			spec:       exec.Spec{Argv: []string{dir + "/stdin.sh"}},
			wantStdout: "/dev/null\n",
		},
		{
			name:       "working directory",
			spec:       exec.Spec{Argv: []string{"./pwd.sh"}, Dir: dir},
			wantStdout: dir + "\n",
		},
		{
			name:     "missing working directory",
			spec:     exec.Spec{Argv: []string{dir + "/ok.sh"}, Dir: dir + "/nosuch"},
			wantExit: -1,
			wantErr:  "$DIR/ok.sh: working directory $DIR/nosuch: not found",
			wantIs:   fs.ErrNotExist,
		},
		{
			name:       "shell mode",
			spec:       exec.Spec{Shell: "for i in 1 2 3; do printf %s $i; done | tr 2 x; echo"},
			wantStdout: "1x3\n",
		},
		{
			name:     "shell mode exit status",
			spec:     exec.Spec{Shell: "exit 4"},
			wantExit: 4,
			wantErr:  `sh -c "exit 4": exit status 4`,
		},
		{
			name:     "argv and shell together",
			spec:     exec.Spec{Argv: []string{"true"}, Shell: "true"},
			wantExit: -1,
			wantErr:  "exec: both a command (argv) and a shell script are set; use one",
		},
		{
			name:     "neither argv nor shell",
			spec:     exec.Spec{},
			wantExit: -1,
			wantErr:  "exec: no command (argv) and no shell script",
		},
		{
			name:     "bad environment variable name",
			spec:     exec.Spec{Argv: []string{"true"}, Env: map[string]string{"A=B": "x"}},
			wantExit: -1,
			wantErr:  `true: invalid environment variable name "A=B"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			res := run(t, tt.spec)
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Run took %v", elapsed)
			}
			if res.ExitCode != tt.wantExit {
				t.Errorf("ExitCode = %d, want %d", res.ExitCode, tt.wantExit)
			}
			if want := strings.ReplaceAll(tt.wantStdout, "$DIR", dir); res.Stdout != want {
				t.Errorf("Stdout = %q, want %q", res.Stdout, want)
			}
			if res.Stderr != tt.wantStderr {
				t.Errorf("Stderr = %q, want %q", res.Stderr, tt.wantStderr)
			}
			wantErr := strings.ReplaceAll(tt.wantErr, "$DIR", dir)
			if got := errString(res.Err); got != wantErr {
				t.Errorf("Err = %q\nwant  %q", got, wantErr)
			}
			if tt.wantIs != nil && !errors.Is(res.Err, tt.wantIs) {
				t.Errorf("errors.Is(Err, %v) = false", tt.wantIs)
			}
			if res.TimedOut || res.Leftovers != 0 {
				t.Errorf("TimedOut = %v, Leftovers = %d, want false, 0", res.TimedOut, res.Leftovers)
			}
		})
	}
}

func TestTimeoutIsRequired(t *testing.T) {
	res := exec.Run(context.Background(), exec.Spec{Argv: []string{"true"}})
	if want := "true: timeout must be > 0, got 0s"; errString(res.Err) != want || res.ExitCode != -1 {
		t.Errorf("Run without a timeout = %d, %q; want -1, %q", res.ExitCode, errString(res.Err), want)
	}
}

func TestOwnProcessGroup(t *testing.T) {
	dir := t.TempDir()
	res := run(t, exec.Spec{Argv: []string{script(t, dir, "pgrp.sh", "read -r pid comm state ppid pgrp rest < /proc/$$/stat\necho $pid $pgrp $(cut -d' ' -f5 /proc/self/stat)\n")}})
	f := strings.Fields(res.Stdout)
	if res.Err != nil || len(f) != 3 || f[0] != f[1] || f[1] != f[2] || f[0] == strconv.Itoa(syscall.Getpgrp()) {
		t.Errorf("pid, its pgrp, its child's pgrp = %q (err %v), want three equal numbers, not ours (%d)", res.Stdout, res.Err, syscall.Getpgrp())
	}
}

func TestEnvironment(t *testing.T) {
	t.Setenv("NOTIMON_TEST_INHERITED", "from notimon")
	t.Setenv("NOTIMON_TEST_KEPT", "kept")
	dir := t.TempDir()
	p := script(t, dir, "env.sh", `printf '%s|' "$NOTIMON_RULE" "$NOTIMON_SEVERITY" "$NOTIMON_TEST_CUSTOM" "$NOTIMON_TEST_INHERITED" "$NOTIMON_TEST_KEPT" "$NOTIMON_TEST_LABEL"`+"\n")
	res := run(t, exec.Spec{
		Argv: []string{p},
		Alert: map[string]string{
			"NOTIMON_RULE": "overload", "NOTIMON_SEVERITY": "critical",
			"NOTIMON_TEST_LABEL": "서버", "NOTIMON_TEST_CUSTOM": "from the alert",
		},
		Env: map[string]string{"NOTIMON_TEST_CUSTOM": "from the step", "NOTIMON_TEST_INHERITED": "from the step"},
	})
	want := "overload|critical|from the step|from the step|kept|서버|"
	if res.Err != nil || res.Stdout != want {
		t.Errorf("environment seen = %q (err %v), want %q", res.Stdout, res.Err, want)
	}
}

func TestOutputIsBounded(t *testing.T) {
	const total = 10 << 20
	tests := []struct {
		name string
		spec exec.Spec
		max  int
	}{
		{"stdout, default bound", exec.Spec{Shell: fmt.Sprintf("head -c %d /dev/zero | tr '\\0' x", total)}, exec.DefaultMaxOutput},
		{"stderr, own bound", exec.Spec{Shell: fmt.Sprintf("head -c %d /dev/zero | tr '\\0' x >&2", total), MaxOutput: 1000}, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			res := run(t, tt.spec)
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("writing 10 MiB took %v", elapsed)
			}
			out := res.Stdout + res.Stderr
			marker := fmt.Sprintf("\n[… %d bytes truncated]", total-tt.max)
			if res.Err != nil || len(out) != tt.max+len(marker) || !strings.HasSuffix(out, marker) ||
				strings.Trim(out[:tt.max], "x") != "" {
				t.Errorf("Run = %d bytes ending %q (err %v), want %d x's then %q", len(out), tail(out), res.Err, tt.max, marker)
			}
		})
	}
}

// The case the brief calls out: a parent that ignores SIGTERM, and a child of it that
// ignores SIGTERM too. Both must be dead when Run returns.
func TestTimeoutKillsStubbornGroup(t *testing.T) {
	dir := t.TempDir()
	p := script(t, dir, "stubborn.sh", `trap '' TERM
echo $$ > "$DIR/parent.pid"
sh -c 'trap "" TERM; echo $$ > "$DIR/child.pid"; while :; do sleep 1; done' &
echo started
while :; do sleep 1; done
`)
	const timeout, grace = 500 * time.Millisecond, 300 * time.Millisecond
	start := time.Now()
	res := exec.Run(context.Background(), exec.Spec{Argv: []string{p}, Env: map[string]string{"DIR": dir}, Timeout: timeout, Grace: grace})
	elapsed := time.Since(start)

	if !res.TimedOut || res.ExitCode != -1 || res.Stdout != "started\n" {
		t.Errorf("TimedOut, ExitCode, Stdout = %v, %d, %q; want true, -1, %q", res.TimedOut, res.ExitCode, res.Stdout, "started\n")
	}
	wantErr := regexp.MustCompile(`^` + regexp.QuoteMeta(p) + `: timed out after 500ms; killed process group \d+ \([2-9] processes, SIGKILL after 300ms grace\)$`)
	if !wantErr.MatchString(errString(res.Err)) || !errors.Is(res.Err, context.DeadlineExceeded) {
		t.Errorf("Err = %q, want it to match %s", errString(res.Err), wantErr)
	}
	if res.Duration < timeout+grace || res.Duration > timeout+grace+2*time.Second {
		t.Errorf("Duration = %v, want timeout + grace = %v (+ at most 2s)", res.Duration, timeout+grace)
	}
	if elapsed > timeout+grace+3*time.Second {
		t.Errorf("Run took %v", elapsed)
	}
	assertGone(t, readPID(t, dir, "parent.pid"), readPID(t, dir, "child.pid"))
}

func TestTimeoutPoliteCommandEndsWithinGrace(t *testing.T) {
	dir := t.TempDir()
	p := script(t, dir, "polite.sh", "echo $$ > \"$DIR/pid\"\nsleep 30\n")
	const timeout, grace = 200 * time.Millisecond, 5 * time.Second
	res := exec.Run(context.Background(), exec.Spec{Argv: []string{p}, Env: map[string]string{"DIR": dir}, Timeout: timeout, Grace: grace})
	if res.Duration > timeout+time.Second {
		t.Errorf("Duration = %v, want about the timeout (%v), far less than timeout + grace", res.Duration, timeout)
	}
	wantErr := regexp.MustCompile(`: timed out after 200ms; killed process group \d+ \(2 processes, SIGTERM\)$`)
	if !res.TimedOut || res.ExitCode != -1 || !wantErr.MatchString(errString(res.Err)) {
		t.Errorf("TimedOut, ExitCode, Err = %v, %d, %q; want true, -1, matching %s", res.TimedOut, res.ExitCode, errString(res.Err), wantErr)
	}
	assertGone(t, readPID(t, dir, "pid"))
}

func TestContextCancellation(t *testing.T) {
	dir := t.TempDir()
	p := script(t, dir, "stubborn.sh", "trap '' TERM\necho $$ > \"$DIR/pid\"\nwhile :; do sleep 1; done\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	res := exec.Run(ctx, exec.Spec{Argv: []string{p}, Env: map[string]string{"DIR": dir}, Timeout: time.Minute, Grace: 200 * time.Millisecond})
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("Run took %v after a cancel at 200ms", elapsed)
	}
	wantErr := regexp.MustCompile(`: canceled \(context canceled\); killed process group \d+ \(2 processes, SIGKILL after 200ms grace\)$`)
	if res.TimedOut || res.ExitCode != -1 || !wantErr.MatchString(errString(res.Err)) || !errors.Is(res.Err, context.Canceled) {
		t.Errorf("TimedOut, ExitCode, Err = %v, %d, %q; want false, -1, matching %s", res.TimedOut, res.ExitCode, errString(res.Err), wantErr)
	}
	assertGone(t, readPID(t, dir, "pid"))

	t.Run("already canceled: not started", func(t *testing.T) {
		res := exec.Run(ctx, exec.Spec{Argv: []string{p}, Env: map[string]string{"DIR": dir}, Timeout: time.Minute})
		if want := p + ": not started: context canceled"; errString(res.Err) != want || res.ExitCode != -1 {
			t.Errorf("Run = %d, %q; want -1, %q", res.ExitCode, errString(res.Err), want)
		}
	})
}

// A grandchild that keeps the output pipe open must not hold Run up, and being in the
// command's process group it is stopped once the command exits.
func TestLeftoversAreStopped(t *testing.T) {
	tests := []struct {
		name string
		body string
		max  time.Duration
	}{
		{"background sleep holding stdout", "sleep 60 &\necho $! > \"$DIR/bg.pid\"\necho started\n", time.Second},
		{"background that ignores SIGTERM", "(trap '' TERM; exec sleep 60) &\necho $! > \"$DIR/bg.pid\"\necho started\n", 300*time.Millisecond + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := script(t, dir, "bg.sh", tt.body)
			start := time.Now()
			res := exec.Run(context.Background(), exec.Spec{Argv: []string{p}, Env: map[string]string{"DIR": dir}, Timeout: 10 * time.Second, Grace: 300 * time.Millisecond})
			if elapsed := time.Since(start); elapsed > tt.max {
				t.Errorf("Run took %v, want at most %v", elapsed, tt.max)
			}
			if res.ExitCode != 0 || res.Err != nil || res.Stdout != "started\n" || res.Leftovers != 1 || res.TimedOut {
				t.Errorf("Run = exit %d, err %v, stdout %q, leftovers %d, timed out %v; want 0, nil, %q, 1, false",
					res.ExitCode, res.Err, res.Stdout, res.Leftovers, res.TimedOut, "started\n")
			}
			assertGone(t, readPID(t, dir, "bg.pid"))
		})
	}
}

// A process that detached into a session of its own (the documented way to leave a daemon
// running) is not touched, and Run does not wait for it to close the pipe.
func TestDetachedProcessIsLeftAlone(t *testing.T) {
	setsid, err := osexec.LookPath("setsid")
	if err != nil {
		t.Skip("no setsid(1)")
	}
	dir := t.TempDir()
	p := script(t, dir, "detach.sh", setsid+" sleep 30 &\necho $! > \"$DIR/daemon.pid\"\necho detached\n")
	start := time.Now()
	res := exec.Run(context.Background(), exec.Spec{Argv: []string{p}, Env: map[string]string{"DIR": dir}, Timeout: 10 * time.Second})
	elapsed := time.Since(start)
	pid := readPID(t, dir, "daemon.pid")
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if elapsed > 2*time.Second {
		t.Errorf("Run took %v with a detached process holding stdout", elapsed)
	}
	if res.Err != nil || res.Stdout != "detached\n" || res.Leftovers != 0 {
		t.Errorf("Run = err %v, stdout %q, leftovers %d; want nil, %q, 0", res.Err, res.Stdout, res.Leftovers, "detached\n")
	}
	if !alive(pid) {
		t.Errorf("the detached process %d was killed", pid)
	}
}

func run(t *testing.T, s exec.Spec) exec.Result {
	t.Helper()
	if s.Timeout == 0 {
		s.Timeout = 5 * time.Second
	}
	return exec.Run(context.Background(), s)
}

func readPID(t *testing.T, dir, name string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("the script did not get as far as writing its pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// assertGone checks that each process has ended. Run promises that on return, so there is
// only a short grace for the kernel to finish an exit already under way.
func assertGone(t *testing.T, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(500 * time.Millisecond)
	for _, pid := range pids {
		for alive(pid) {
			if time.Now().After(deadline) {
				t.Errorf("process %d is still running after Run returned", pid)
				syscall.Kill(pid, syscall.SIGKILL)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// alive reports whether pid is a running process: kill(pid, 0) finds it and it is not a
// zombie waiting for a reaper (in a container, PID 1 may never reap it).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
	f := strings.Fields(rest)
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func tail(s string) string {
	if len(s) > 60 {
		return "…" + s[len(s)-60:]
	}
	return s
}
