//go:build linux

package exec_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
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
			res := run(t, tt.spec) // a command that hung would end at run's timeout, with an error
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
			if res.TimedOut {
				t.Error("TimedOut = true, want false")
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
	t.Setenv("NOTIMON_TEST_SECRET", "123:fake")
	t.Setenv("LC_TIME", "C.UTF-8")
	dir := t.TempDir()
	p := script(t, dir, "env.sh", `printf '%s|' "$NOTIMON_RULE" "$NOTIMON_SEVERITY" "$NOTIMON_TEST_CUSTOM" "$NOTIMON_TEST_INHERITED" "$NOTIMON_TEST_KEPT" "$NOTIMON_TEST_LABEL" "$NOTIMON_TEST_SECRET" "$LC_TIME"`+"\n")
	spec := exec.Spec{
		Argv: []string{p},
		Alert: map[string]string{
			"NOTIMON_RULE": "overload", "NOTIMON_SEVERITY": "critical",
			"NOTIMON_TEST_LABEL": "서버", "NOTIMON_TEST_CUSTOM": "from the alert",
		},
		Env:   map[string]string{"NOTIMON_TEST_CUSTOM": "from the step", "NOTIMON_TEST_INHERITED": "from the step"},
		Strip: []string{"NOTIMON_TEST_SECRET"},
	}
	for _, c := range []struct {
		inherit bool
		want    string
	}{
		// Clean: PATH, HOME, LANG, LC_*, TZ, the alert and the step's env; nothing else.
		{false, "overload|critical|from the step|from the step||서버||C.UTF-8|"},
		// inherit_env: everything but the variables secrets were read from.
		{true, "overload|critical|from the step|from the step|kept|서버||C.UTF-8|"},
	} {
		spec.InheritEnv = c.inherit
		res := run(t, spec)
		if res.Err != nil || res.Stdout != c.want {
			t.Errorf("inherit %v: environment seen = %q (err %v), want %q", c.inherit, res.Stdout, res.Err, c.want)
		}
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
			res := run(t, tt.spec) // a command blocked on a full pipe would time out: res.Err
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
// ignores SIGTERM too. Both must be dead when Run returns. Run is stopped by canceling its
// context once the child has set its trap (it writes its pid after): a timeout could come,
// on a loaded machine, before the script got that far. TestTimeout covers the timeout.
func TestStubbornGroupIsKilled(t *testing.T) {
	dir := t.TempDir()
	p := script(t, dir, "stubborn.sh", `trap '' TERM
echo $$ > "$DIR/parent.pid"
echo started
sh -c 'trap "" TERM; echo $$ > "$DIR/child.pid"; while :; do sleep 1; done' &
while :; do sleep 1; done
`)
	const grace = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	canceled := make(chan time.Time, 1)
	go func() {
		waitForLine(filepath.Join(dir, "child.pid"), 30*time.Second)
		canceled <- time.Now()
		cancel()
	}()
	res := exec.Run(ctx, exec.Spec{Argv: []string{p}, Env: map[string]string{"DIR": dir}, Timeout: time.Minute, Grace: grace})
	stopped := time.Since(<-canceled)

	if res.TimedOut || res.ExitCode != -1 || res.Stdout != "started\n" {
		t.Errorf("TimedOut, ExitCode, Stdout = %v, %d, %q; want false, -1, %q", res.TimedOut, res.ExitCode, res.Stdout, "started\n")
	}
	wantErr := regexp.MustCompile(`^` + regexp.QuoteMeta(p) + `: canceled \(context canceled\); killed process group \d+ \([2-9] processes, SIGKILL after 300ms grace\)$`)
	if !wantErr.MatchString(errString(res.Err)) || !errors.Is(res.Err, context.Canceled) {
		t.Errorf("Err = %q, want it to match %s", errString(res.Err), wantErr)
	}
	// SIGKILL comes after the grace; the upper bound is a failure bound for a loaded
	// machine, below the 5 s Run allows SIGKILLed processes to disappear.
	if stopped < grace || stopped > grace+4*time.Second {
		t.Errorf("Run returned %v after the cancel, want the grace (%v) and a little", stopped, grace)
	}
	assertGone(t, readPID(t, dir, "parent.pid"), readPID(t, dir, "child.pid"))
}

// A timeout stops the command: SIGTERM, which sleep does not ignore whenever it arrives,
// so Run returns long before the grace is out.
func TestTimeout(t *testing.T) {
	const timeout, grace = 200 * time.Millisecond, 5 * time.Second
	res := exec.Run(context.Background(), exec.Spec{Argv: []string{"sleep", "30"}, Timeout: timeout, Grace: grace})
	wantErr := regexp.MustCompile(`^sleep: timed out after 200ms; killed process group \d+ \(1 process, SIGTERM\)$`)
	if !res.TimedOut || res.ExitCode != -1 || !wantErr.MatchString(errString(res.Err)) || !errors.Is(res.Err, context.DeadlineExceeded) {
		t.Errorf("TimedOut, ExitCode, Err = %v, %d, %q; want true, -1, matching %s", res.TimedOut, res.ExitCode, errString(res.Err), wantErr)
	}
	// "SIGTERM" in the error says no SIGKILL was needed; the upper bound, a failure bound,
	// says Run did not sit out the grace anyway.
	if res.Duration < timeout || res.Duration >= timeout+grace/2 {
		t.Errorf("Duration = %v, want about the timeout (%v), far less than timeout + grace", res.Duration, timeout)
	}
}

func TestCanceledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := exec.Run(ctx, exec.Spec{Argv: []string{"sleep", "30"}, Timeout: time.Minute})
	if want := "sleep: not started: context canceled"; errString(res.Err) != want || res.ExitCode != -1 || !errors.Is(res.Err, context.Canceled) {
		t.Errorf("Run = %d, %q; want -1, %q", res.ExitCode, errString(res.Err), want)
	}
}

// What a command leaves running when it exits on its own is its business: detached or not,
// it is not touched, and Run does not wait for it although it holds the output pipes. Each
// command prints the pid of what it left behind.
func TestProcessesLeftRunningAreLeftAlone(t *testing.T) {
	tests := []struct {
		name  string
		shell string
	}{
		{"setsid cmd &", "setsid sleep 300 & echo $!"},
		{"nohup cmd &", "nohup sleep 300 & echo $!"},
		{"plain cmd &, ignoring SIGTERM", "(trap '' TERM; exec sleep 300) & echo $!"},
		{"double fork into a session of its own, as daemon(3) does", "(setsid sleep 300 & echo $!)"},
		{"setsid cmd &, then a failing exit", "setsid sleep 300 & echo $!; exit 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			res := run(t, exec.Spec{Shell: tt.shell, Timeout: 20 * time.Second})
			elapsed := time.Since(start)
			pid := leftPID(t, res.Stdout)
			if !alive(pid) {
				t.Errorf("process %d, left running by the command, was killed", pid)
			}
			// A failure bound, not a measure: Run must not wait for the 300 s sleep to close
			// the pipes it inherited, nor for the 20 s timeout.
			if elapsed > 10*time.Second {
				t.Errorf("Run took %v", elapsed)
			}
			if res.TimedOut || res.Stderr != "" {
				t.Errorf("TimedOut, Stderr = %v, %q; want false, empty", res.TimedOut, res.Stderr)
			}
		})
	}
}

// The race behind the rule above: a child on its way to a session of its own (`setsid cmd
// &`, the README's advice for starting a daemon) is still in the command's process group
// when the shell exits. Run must leave it running every time, not nearly every time.
func TestDetachedChildSurvivesEveryTime(t *testing.T) {
	runs := 1000
	if testing.Short() {
		runs = 100
	}
	const workers = 4
	var (
		mu       sync.Mutex
		failures []string
		next     = make(chan int)
		done     sync.WaitGroup
	)
	fail := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, a...))
	}
	for range workers {
		done.Go(func() {
			for i := range next {
				res := exec.Run(context.Background(), exec.Spec{Shell: "setsid sleep 30 & echo $!", Timeout: 20 * time.Second})
				pid, err := strconv.Atoi(strings.TrimSpace(res.Stdout))
				if res.Err != nil || err != nil {
					fail("run %d: err %v, stdout %q", i, res.Err, res.Stdout)
					continue
				}
				if !alive(pid) {
					fail("run %d: the detached process %d was killed", i, pid)
				}
				reap(pid)
			}
		})
	}
	start := time.Now()
	for i := range runs {
		next <- i
	}
	close(next)
	done.Wait()
	t.Logf("%d runs, %d workers: %v", runs, workers, time.Since(start).Round(time.Millisecond))
	if len(failures) > 0 {
		t.Errorf("%d of %d detached processes did not survive; first: %s", len(failures), runs, failures[0])
	}
}

// The output a command wrote before exiting is all there, even when a process it left
// running holds the pipe open: Run takes what is in the pipe without waiting for its end.
func TestOutputIsCompleteWhenAPipeStaysOpen(t *testing.T) {
	var want strings.Builder
	for i := 1; i <= 10000; i++ {
		fmt.Fprintln(&want, i)
	}
	for i := range 20 {
		res := run(t, exec.Spec{Shell: "setsid sleep 300 & echo $! >&2; seq 1 10000", Timeout: 20 * time.Second})
		reap(leftPID(t, res.Stderr))
		if res.Err != nil || res.Stdout != want.String() {
			t.Fatalf("run %d: err %v, %d bytes of stdout ending %q; want the %d bytes of seq 1 10000",
				i, res.Err, len(res.Stdout), tail(res.Stdout), want.Len())
		}
	}
}

// leftPID reads the pid a command printed of the process it left running, and kills that
// process when the test ends.
func leftPID(t *testing.T, out string) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil || pid <= 1 {
		t.Fatalf("the command printed %q, want the pid of the process it left running", out)
	}
	t.Cleanup(func() { reap(pid) })
	return pid
}

// reap kills a process a command left running and, the test binary being its subreaper
// (TestMain), collects its exit status so that no zombie is left behind.
func reap(pid int) {
	if syscall.Kill(pid, syscall.SIGKILL) != nil {
		return
	}
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
			return
		}
	}
}

// TestMain makes the test binary the subreaper of the processes the commands leave running
// on purpose (prctl PR_SET_CHILD_SUBREAPER): when their parent, the command, exits they
// become our children rather than PID 1's, so reap can collect them; a container's PID 1 may
// never reap, and a thousand zombies would be left behind.
func TestMain(m *testing.M) {
	const prSetChildSubreaper = 36
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		fmt.Fprintln(os.Stderr, "prctl(PR_SET_CHILD_SUBREAPER):", errno)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func run(t *testing.T, s exec.Spec) exec.Result {
	t.Helper()
	if s.Timeout == 0 {
		s.Timeout = 5 * time.Second
	}
	return exec.Run(context.Background(), s)
}

// waitForLine waits until the file at path holds a whole line (a script's `echo $$ >
// file`, which may be seen empty but never cut), for at most d.
func waitForLine(path string, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
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

// assertGone checks that each process has ended. Run promises that on return, so the wait
// is only a failure bound for the kernel to finish an exit already under way.
func assertGone(t *testing.T, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
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
