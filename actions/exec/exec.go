package exec

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

const (
	// DefaultGrace is how long a process group has between SIGTERM and SIGKILL: long enough
	// for a well-behaved program to clean up, short enough not to hold up the chain.
	DefaultGrace = 2 * time.Second
	// DefaultMaxOutput is how much of stdout, and separately of stderr, is kept: plenty for
	// a message, far below anything that could hurt the agent.
	DefaultMaxOutput = 64 << 10

	// killWait bounds the wait for SIGKILLed processes to disappear. They normally go within
	// milliseconds; one stuck in uninterruptible sleep (a dead NFS mount) may never go, and
	// Run must return anyway.
	killWait = 5 * time.Second
	// drainMax bounds what is read from a pipe once the leader has exited: what the command
	// wrote fits in the pipe's buffer (64 KiB by default, at most 1 MiB, fs.pipe-max-size),
	// and a process it left running that keeps writing must not keep Run reading.
	drainMax = 1 << 20
	// defaultPath is searched when the command's environment has no PATH (systemd's default).
	defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// Spec is one command to run. Exactly one of Argv and Shell is set, and Timeout is required:
// a remediation that can hang forever would hold its rule's chain forever.
type Spec struct {
	// Argv is the program and its arguments, executed directly: no shell ever sees them, so
	// an argument holding "; rm -rf /" is just an argument. A program name without a slash
	// is looked up in the PATH of the command's environment, never in the current directory.
	Argv []string
	// Shell is a script for `/bin/sh -c`, the explicit opt-in for pipes, redirections and
	// globbing. Values interpolated into it are shell syntax: prefer Argv.
	Shell string
	// Env is added to the command's environment last, so it wins over Alert and over the
	// inherited environment (it can set PATH, LANG, …).
	Env map[string]string
	// Alert is the alert context (NOTIMON_RULE, NOTIMON_STATE, NOTIMON_SEVERITY,
	// NOTIMON_HOST, …), exported as given, over the base environment.
	Alert map[string]string
	// InheritEnv passes notimon's whole environment on, minus Strip. Without it the command
	// sees only the variables CleanEnv keeps (PATH, HOME, LANG, LC_*, TZ): notimon's
	// environment holds its secrets (env("NOTIMON_TELEGRAM_TOKEN")).
	InheritEnv bool
	// Strip names variables never passed on, even with InheritEnv: those secrets were read from.
	Strip []string
	// Timeout bounds the run; it must be > 0. When it passes the process group is stopped
	// (SIGTERM, then SIGKILL after Grace).
	Timeout time.Duration
	// Dir is the working directory; "" keeps notimon's.
	Dir string
	// Grace is the time between SIGTERM and SIGKILL; 0 means DefaultGrace.
	Grace time.Duration
	// MaxOutput is how many bytes of stdout, and separately of stderr, are kept; 0 means
	// DefaultMaxOutput. The rest is read and discarded so the command never blocks on it.
	MaxOutput int
}

// Result is what happened, in the terms an operator reads in a log line or a message.
type Result struct {
	// ExitCode is the command's exit status, or -1 when it did not run to completion on its
	// own: not started, killed by a signal, timed out or canceled.
	ExitCode int
	// Stdout and Stderr are the first MaxOutput bytes of each; when more was written the text
	// ends with "\n[… N bytes truncated]".
	Stdout string
	Stderr string
	// Duration is the time from start until the command exited (or was killed).
	Duration time.Duration
	// TimedOut is set when Spec.Timeout passed and the command was stopped; a canceled
	// context is reported in Err but is not a timeout.
	TimedOut bool
	// Err is nil exactly when the command exited with status 0 within its time; otherwise it
	// names the program and says what happened.
	Err error
}

// errTimedOut is the cause of Run's own deadline, to tell it apart from the caller's.
var errTimedOut = errors.New("timed out")

// command is a validated Spec, ready to start.
type command struct {
	name  string // the program as an operator would recognise it, for messages
	path  string // what is executed
	argv  []string
	env   []string
	dir   string
	spec  Spec
	grace time.Duration
	max   int
}

// Run runs s and waits for it, its process group and its output, all bounded by s.Timeout,
// s.Grace and fixed safety margins. It never panics on a bad Spec: the problem is in Err.
func Run(ctx context.Context, s Spec) Result {
	c, err := prepare(s)
	if err != nil {
		return Result{ExitCode: -1, Err: err}
	}
	if ctx.Err() != nil {
		return Result{ExitCode: -1, Err: fmt.Errorf("%s: not started: %w", c.name, context.Cause(ctx))}
	}
	return c.run(ctx)
}

func prepare(s Spec) (*command, error) {
	if !groupsSupported {
		return nil, errors.New("exec: commands need a Unix-like system (process groups)")
	}
	c := &command{spec: s, dir: s.Dir, grace: s.Grace, max: s.MaxOutput}
	if c.grace <= 0 {
		c.grace = DefaultGrace
	}
	if c.max <= 0 {
		c.max = DefaultMaxOutput
	}
	switch {
	case len(s.Argv) > 0 && s.Shell != "":
		return nil, errors.New("exec: both a command (argv) and a shell script are set; use one")
	case len(s.Argv) > 0:
		if s.Argv[0] == "" {
			return nil, errors.New("exec: the command's program (argv[0]) is empty")
		}
		c.name, c.argv = s.Argv[0], s.Argv
	case s.Shell != "":
		c.name, c.path, c.argv = shellName(s.Shell), "/bin/sh", []string{"/bin/sh", "-c", s.Shell}
	default:
		return nil, errors.New("exec: no command (argv) and no shell script")
	}
	if s.Timeout <= 0 {
		return nil, fmt.Errorf("%s: timeout must be > 0, got %v", c.name, s.Timeout)
	}
	env, err := environ(s.base(), s.Alert, s.Env)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	c.env = env
	if s.Dir != "" {
		// The child's chdir error would read like "program not found": check here instead.
		fi, err := os.Stat(s.Dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, errorIs(fs.ErrNotExist, "%s: working directory %s: not found", c.name, s.Dir)
		case err != nil:
			return nil, fmt.Errorf("%s: working directory: %w", c.name, err)
		case !fi.IsDir():
			return nil, fmt.Errorf("%s: working directory %s: not a directory", c.name, s.Dir)
		}
	}
	if c.path == "" {
		if c.path, err = lookPath(c.argv[0], lookupEnv(env, "PATH")); err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
	}
	return c, nil
}

// shellName is how a shell script is named in messages: short, and recognisable.
func shellName(script string) string {
	const limit = 40
	script = strings.Join(strings.Fields(script), " ")
	if utf8.RuneCountInString(script) > limit {
		script = string([]rune(script)[:limit-1]) + "…"
	}
	return fmt.Sprintf("sh -c %q", script)
}

// base is the environment a command starts from, before Alert and Env: CleanEnv of notimon's
// own, or all of it with InheritEnv; never a variable named in Strip.
func (s Spec) base() []string {
	env := os.Environ()
	if !s.InheritEnv {
		env = CleanEnv(env)
	}
	if len(s.Strip) == 0 {
		return env
	}
	kept := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(s.Strip, k) {
			kept = append(kept, kv)
		}
	}
	return kept
}

// CleanEnv keeps the variables a command needs to behave as it does in a login shell and
// nothing else: PATH, HOME, LANG, LC_* and TZ.
func CleanEnv(env []string) []string {
	var kept []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k == "PATH" || k == "HOME" || k == "LANG" || k == "TZ" || strings.HasPrefix(k, "LC_") {
			kept = append(kept, kv)
		}
	}
	return kept
}

// environ is base with alert and then extra set over it, one entry per name, in base's
// order followed by new names sorted.
func environ(base []string, alert, extra map[string]string) ([]string, error) {
	env := make([]string, 0, len(base)+len(alert)+len(extra))
	index := make(map[string]int, cap(env))
	set := func(k, v string) {
		if i, ok := index[k]; ok {
			env[i] = k + "=" + v
			return
		}
		index[k] = len(env)
		env = append(env, k+"="+v)
	}
	for _, kv := range base {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k != "" {
			set(k, v)
		}
	}
	for _, m := range []map[string]string{alert, extra} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := m[k]
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return nil, fmt.Errorf("invalid environment variable name %q", k)
			}
			if strings.ContainsRune(v, 0) {
				return nil, fmt.Errorf("environment variable %s: value contains a NUL byte", k)
			}
			set(k, v)
		}
	}
	return env, nil
}

func lookupEnv(env []string, name string) string {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v
		}
	}
	return defaultPath
}

// lookPath finds a program without a slash in path. Unlike os/exec's it searches the
// command's PATH, not notimon's, skips relative entries (never the current directory), and
// tells "not there" from "there but not executable".
func lookPath(prog, path string) (string, error) {
	if strings.Contains(prog, "/") {
		return prog, nil
	}
	var notExec string
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, prog)
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() {
			continue
		}
		if fi.Mode()&0o111 != 0 {
			return p, nil
		}
		if notExec == "" {
			notExec = fmt.Sprintf("%s (mode %v)", p, fi.Mode())
		}
	}
	if notExec != "" {
		return "", errorIs(fs.ErrPermission, "not executable: %s", notExec)
	}
	return "", errorIs(fs.ErrNotExist, "not found in PATH (%s)", path)
}

// startError explains why the program could not be started.
func (c *command) startError(err error) error {
	p := c.path
	if !filepath.IsAbs(p) && c.dir != "" {
		p = filepath.Join(c.dir, p)
	}
	fi, statErr := os.Stat(p)
	switch {
	case errors.Is(err, syscall.ENOENT) && statErr == nil:
		return c.explainCRLF(errorIs(fs.ErrNotExist, "%s: interpreter not found (check the #! line)", c.name), true)
	case errors.Is(err, syscall.ENOENT):
		return errorIs(fs.ErrNotExist, "%s: not found", c.name)
	case errors.Is(err, syscall.EACCES) && statErr == nil && fi.IsDir():
		return errorIs(fs.ErrPermission, "%s: is a directory, not a program", c.name)
	case errors.Is(err, syscall.EACCES) && statErr == nil && fi.Mode()&0o111 == 0:
		return errorIs(fs.ErrPermission, "%s: not executable (mode %v)", c.name, fi.Mode())
	case errors.Is(err, syscall.EACCES):
		return errorIs(fs.ErrPermission, "%s: permission denied", c.name)
	case errors.Is(err, syscall.ENOEXEC):
		return fmt.Errorf("%s: not executable: exec format error (a script needs a #! line)", c.name)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: cannot start: %w", c.name, err)
}

// quietError is a message that carries a cause for errors.Is without repeating its text:
// "x: not found" rather than "x: not found: file does not exist".
type quietError struct {
	msg   string
	cause error
}

func (e *quietError) Error() string { return e.msg }
func (e *quietError) Unwrap() error { return e.cause }

func errorIs(cause error, format string, a ...any) error {
	return &quietError{msg: fmt.Sprintf(format, a...), cause: cause}
}

// exit is how the group's leader ended, as seen by cmd.Wait.
type exit struct {
	err error
	ps  *os.ProcessState
	at  time.Time
}

func (c *command) run(ctx context.Context) Result {
	res := Result{ExitCode: -1}
	// Our own pipes rather than os/exec's: cmd.Wait then returns when the leader exits, not
	// when every holder of the pipe has (a daemon the command started may hold it for
	// months), and Run takes the output once the leader is gone.
	stdout, err := newOutput(c.max)
	if err != nil {
		res.Err = fmt.Errorf("%s: cannot start: %w", c.name, err)
		return res
	}
	defer stdout.close()
	stderr, err := newOutput(c.max)
	if err != nil {
		res.Err = fmt.Errorf("%s: cannot start: %w", c.name, err)
		return res
	}
	defer stderr.close()

	cmd := &osexec.Cmd{
		Path: c.path, Args: c.argv, Env: c.env, Dir: c.dir,
		Stdin: nil, Stdout: stdout.w, Stderr: stderr.w, // nil Stdin is /dev/null
		SysProcAttr: groupAttr(),
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		res.Err = c.startError(err) // the deferred closes release the pipes
		return res
	}
	stdout.start()
	stderr.start()
	pgid := cmd.Process.Pid

	exited := make(chan exit, 1)
	go func() {
		err := cmd.Wait()
		exited <- exit{err: err, ps: cmd.ProcessState, at: time.Now()}
	}()

	runCtx, cancel := context.WithTimeoutCause(ctx, c.spec.Timeout, errTimedOut)
	defer cancel()

	// The group is stopped only when the command is: at the timeout or when ctx ends. When
	// the leader exits on its own, whatever it left running, in its group or detached, is
	// left alone: a process on its way to a session of its own (`setsid cmd &`) is still in
	// the group for a moment after the leader exits, and nothing tells it apart from one
	// that means to stay there (`nohup cmd &`).
	var (
		ex          exit
		reaped      = true
		interrupted bool
		stop        stopReport
	)
	select {
	case ex = <-exited:
	case <-runCtx.Done():
		select {
		case ex = <-exited: // exited just as time ran out: that is an exit
		default:
			interrupted = true
			stop = stopGroup(pgid, c.grace, cmd.Process)
			select {
			case ex = <-exited:
			case <-time.After(killWait):
				reaped = false
			}
			if stop.processes == 0 && reaped {
				interrupted = false // it ended on its own before it could be stopped
			}
		}
	}

	// The leader has ended, so all it wrote is in the pipes: take that, and do not wait for
	// the pipes to close, which a process it left running may never do.
	res.Stdout, res.Stderr = stdout.finish(), stderr.finish()

	if !reaped {
		res.Duration = time.Since(start)
	} else {
		res.Duration = ex.at.Sub(start)
	}
	if interrupted {
		res.TimedOut = context.Cause(runCtx) == errTimedOut
		res.Err = c.interruptError(runCtx, res.TimedOut, pgid, stop, reaped)
		return res
	}
	res.ExitCode = ex.ps.ExitCode()
	if ex.err != nil || res.ExitCode != 0 {
		res.Err = c.exitError(ex)
	}
	return res
}

// interruptError says why the command was stopped and how the group ended.
func (c *command) interruptError(ctx context.Context, timedOut bool, pgid int, stop stopReport, reaped bool) error {
	var what string
	var cause error
	if timedOut {
		what, cause = fmt.Sprintf("timed out after %v", c.spec.Timeout), context.DeadlineExceeded
	} else {
		cause = context.Cause(ctx)
		what = fmt.Sprintf("canceled (%v)", cause)
	}
	how := "SIGTERM"
	if stop.killed {
		how = fmt.Sprintf("SIGKILL after %v grace", c.grace)
	}
	count := ""
	switch {
	case stop.processes == 1:
		count = "1 process, "
	case stop.processes > 1:
		count = fmt.Sprintf("%d processes, ", stop.processes)
	}
	msg := fmt.Sprintf("%s; killed process group %d (%s%s)", what, pgid, count, how)
	if stop.survivors != 0 {
		msg += fmt.Sprintf("; %s still running after SIGKILL", plural(stop.survivors, "process", "processes"))
	} else if !reaped {
		msg += fmt.Sprintf("; the command had not exited %v after SIGKILL", killWait)
	}
	return errorIs(cause, "%s: %s", c.name, msg)
}

func plural(n int, one, many string) string {
	if n < 0 {
		return "some " + many
	}
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// exitError describes an exit that was not status 0, or a failed wait.
func (c *command) exitError(ex exit) error {
	if ex.ps == nil {
		return fmt.Errorf("%s: %w", c.name, ex.err)
	}
	if desc, ok := signalDescription(ex.ps); ok {
		return fmt.Errorf("%s: %s", c.name, desc)
	}
	return c.explainCRLF(fmt.Errorf("%s: exit status %d", c.name, ex.ps.ExitCode()), false)
}

// stopReport is how stopping a process group went.
type stopReport struct {
	processes int  // members running when stopping began; -1: some, uncounted
	killed    bool // SIGKILL was needed
	survivors int  // members still running after SIGKILL and killWait; -1: some, uncounted
}

// stopGroup ends every process of the group: SIGTERM (with SIGCONT, so stopped members can
// act on it), up to grace for them to go, then SIGKILL. It returns once none is running, or
// killWait after SIGKILL. A leader that is still running is signalled directly as well, in
// case it moved itself out of its group.
func stopGroup(pgid int, grace time.Duration, leader *os.Process) stopReport {
	n, alive := groupMembers(pgid)
	if !alive {
		if !running(leader) {
			return stopReport{}
		}
		n = 1 // the leader, no longer in its group (or an unreaped zombie at the deadline)
	}
	r := stopReport{processes: n}
	termGroup(pgid)
	if leader != nil {
		_ = leader.Signal(syscall.SIGTERM)
	}
	if waitGroupGone(pgid, leader, grace) {
		return r
	}
	r.killed = true
	killGroup(pgid)
	if leader != nil {
		_ = leader.Kill()
	}
	if !waitGroupGone(pgid, leader, killWait) {
		r.survivors, _ = groupMembers(pgid)
	}
	return r
}

// running reports whether p (if any) has not been waited for. os.Process knows once the
// Wait goroutine has reaped it, so this never signals a recycled pid.
func running(p *os.Process) bool {
	return p != nil && p.Signal(syscall.Signal(0)) == nil
}

// waitGroupGone polls until no member of the group, nor the leader, is running, for at
// most d.
func waitGroupGone(pgid int, leader *os.Process, d time.Duration) bool {
	deadline := time.Now().Add(d)
	pause := 2 * time.Millisecond
	for {
		if _, alive := groupMembers(pgid); !alive && !running(leader) {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		time.Sleep(min(pause, left))
		pause = min(2*pause, 50*time.Millisecond)
	}
}
