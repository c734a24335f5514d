package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
)

// logLine is one JSON log record of the daemon.
type logLine struct {
	Time time.Time
	Msg  string
	All  map[string]any
}

// daemon is a running `notimon run` process.
type daemon struct {
	t     *testing.T
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []logLine
	done  chan error
}

func startDaemon(t *testing.T, rules, state string, srv *telegramtest.Server) *daemon {
	t.Helper()
	cmd := exec.Command(binary(t), "run", "--state-dir", state, "--log-format", "json", rules)
	cmd.Env = append(os.Environ(), "NOTIMON_TELEGRAM_TOKEN="+srv.Token())
	return launch(t, cmd, func(d *daemon) { d.cmd.Process.Kill() })
}

// launch starts cmd, a daemon logging JSON to stderr, and collects its log lines; at the
// end of the test stop ends it if it still runs.
func launch(t *testing.T, cmd *exec.Cmd, stop func(*daemon)) *daemon {
	t.Helper()
	d := &daemon{t: t, cmd: cmd, done: make(chan error, 1)}
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var all map[string]any
			if json.Unmarshal(sc.Bytes(), &all) != nil {
				all = map[string]any{"msg": sc.Text()}
			}
			l := logLine{Msg: fmt.Sprint(all["msg"]), All: all}
			l.Time, _ = time.Parse(time.RFC3339Nano, fmt.Sprint(all["time"]))
			d.mu.Lock()
			d.lines = append(d.lines, l)
			d.mu.Unlock()
		}
		d.done <- d.cmd.Wait()
	}()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			stop(d)
		}
	})
	return d
}

// waitLog waits for a log line with msg after index from, and returns its index.
func (d *daemon) waitLog(from int, msg string, timeout time.Duration) (int, logLine) {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		d.mu.Lock()
		for i := from; i < len(d.lines); i++ {
			if d.lines[i].Msg == msg {
				l := d.lines[i]
				d.mu.Unlock()
				return i + 1, l
			}
		}
		d.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	d.t.Fatalf("no log line %q within %s; the daemon said:\n%s", msg, timeout, d.log())
	return 0, logLine{}
}

// stop sends the daemon SIGTERM and fails the test unless it exits cleanly within timeout.
func (d *daemon) stop(timeout time.Duration) {
	d.t.Helper()
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.done:
		if err != nil {
			d.t.Fatalf("exit after SIGTERM: %v\n%s", err, d.log())
		}
	case <-time.After(timeout):
		d.t.Fatalf("no exit %s after SIGTERM\n%s", timeout, d.log())
	}
}

func (d *daemon) log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var b strings.Builder
	for _, l := range d.lines {
		j, _ := json.Marshal(l.All)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// waitText waits until a delivered message has the visible text want.
func waitText(t *testing.T, srv *telegramtest.Server, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, m := range srv.Messages() {
			if m.Visible == want {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no message %q within %s; got %q", want, timeout, visibleTexts(srv.Messages()))
}

// countText counts the delivered messages whose visible text is text.
func countText(srv *telegramtest.Server, text string) int {
	n := 0
	for _, m := range srv.Messages() {
		if m.Visible == text {
			n++
		}
	}
	return n
}

// waitCount waits until at least n delivered messages have the visible text text.
func waitCount(t *testing.T, srv *telegramtest.Server, text string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for countText(srv, text) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d messages %q within %s, want %d; got %q", countText(srv, text), text, timeout, n, visibleTexts(srv.Messages()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func atomicWrite(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func ruleFile(text string) string {
	return fmt.Sprintf(`rule "hot" {
  when   = "true"
  repeat = "300ms"
  notify "ops" { message = %q }
}
`, text)
}

// TestDaemonHotReload runs the real binary as a daemon with a 200 ms tick against the fake
// Bot API and changes its rules every way an operator does, asserting each reload within 1 s.
func TestDaemonHotReload(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	root := t.TempDir()
	base := fmt.Sprintf(`settings { interval = "200ms" }
notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = %d
  api_url = %q
}
`, telegramtest.DefaultChatID, srv.URL())
	// rules is a symlink to a versioned directory, so that the test can swap it like a
	// Kubernetes ConfigMap does at the end.
	v1 := filepath.Join(root, "v1")
	os.Mkdir(v1, 0o755)
	os.WriteFile(filepath.Join(v1, "00-base.hcl"), []byte(base), 0o644)
	rules := filepath.Join(root, "rules.d")
	if err := os.Symlink(v1, rules); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(root, "state")
	d := startDaemon(t, rules, state, srv)
	at, _ := d.waitLog(0, "notimon started", 10*time.Second)

	reloaded := func(what string, change func()) {
		t.Helper()
		start := time.Now()
		change()
		next, l := d.waitLog(at, "rules reloaded", 3*time.Second)
		at = next
		if lat := l.Time.Sub(start); lat > time.Second {
			t.Errorf("%s: reloaded after %s, want ≤ 1s", what, lat)
		} else {
			t.Logf("%s: reloaded after %s", what, lat.Round(time.Millisecond))
		}
	}
	hot := filepath.Join(v1, "10-hot.hcl")
	reloaded("add a rule file", func() { os.WriteFile(hot, []byte(ruleFile("v1 fires")), 0o644) })
	waitText(t, srv, "v1 fires", 5*time.Second)

	reloaded("edit by atomic rename", func() { atomicWrite(t, hot, ruleFile("v2 text")) })
	waitText(t, srv, "v2 text", 5*time.Second)

	// A broken save: the old rule keeps firing, the error is logged with file:line.
	os.WriteFile(hot, []byte(`rule "hot" { when = "cpu.avgg > 1" }`), 0o644)
	next, l := d.waitLog(at, "reload failed: the previous rules keep running", 3*time.Second)
	at = next
	if err := fmt.Sprint(l.All["err"]); !strings.Contains(err, "10-hot.hcl:1:") || !strings.Contains(err, "Unknown probe field") {
		t.Errorf("the reload error does not point at the file and line: %s", err)
	}
	before := len(srv.Messages())
	if ms := srv.WaitMessages(t, before+2, 10*time.Second)[before:]; ms[len(ms)-1].Visible != "v2 text" {
		t.Errorf("after a broken save the running rule should keep repeating v2; got %q", visibleTexts(ms))
	}

	reloaded("fix it", func() { atomicWrite(t, hot, ruleFile("v3 fixed")) })
	waitText(t, srv, "v3 fixed", 5*time.Second)

	// A rule that notifies at every tick: its messages show ticks going by, so that "no
	// more messages from the deleted rule" is judged over ticks, not by a sleep.
	reloaded("add a second file", func() {
		os.WriteFile(filepath.Join(v1, "20-beat.hcl"), []byte(`rule "beat" {
  when   = "true"
  repeat = "100ms"
  notify "ops" { message = "beat" }
}
`), 0o644)
	})
	waitCount(t, srv, "beat", 1, 2*time.Second)

	reloaded("delete it", func() { os.Remove(hot) })
	// A repeat of v3 already under way when the rule went may still arrive: it would be
	// delivered before the beats of the ticks that followed it.
	waitCount(t, srv, "beat", countText(srv, "beat")+2, 5*time.Second)
	v3 := countText(srv, "v3 fixed")
	waitCount(t, srv, "beat", countText(srv, "beat")+4, 5*time.Second)
	if n := countText(srv, "v3 fixed") - v3; n != 0 {
		t.Errorf("%d messages from the deleted rule over 4 ticks after it was deleted", n)
	}

	// A ConfigMap-style swap of the whole directory.
	v2 := filepath.Join(root, "v2")
	os.Mkdir(v2, 0o755)
	os.WriteFile(filepath.Join(v2, "00-base.hcl"), []byte(base), 0o644)
	os.WriteFile(filepath.Join(v2, "10-hot.hcl"), []byte(ruleFile("v4 swapped")), 0o644)
	reloaded("replace the directory by a symlink swap", func() {
		tmp := filepath.Join(root, "rules.d.tmp")
		os.Symlink(v2, tmp)
		os.Rename(tmp, rules)
	})
	waitText(t, srv, "v4 swapped", 5*time.Second)

	reloaded("SIGHUP", func() { d.cmd.Process.Signal(syscall.SIGHUP) })

	d.stop(10 * time.Second)
	d.waitLog(at, "stopped; state saved", time.Second)
	b, err := os.ReadFile(filepath.Join(state, "state.json"))
	if err != nil || !strings.Contains(string(b), `"state": "firing"`) || !strings.Contains(string(b), `"last_reload"`) {
		t.Errorf("state after SIGTERM: %v\n%s", err, b)
	}
}
