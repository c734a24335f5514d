package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
	"github.com/notimon/notimon/engine/status"
)

// statusRules: a rule on a marker file the test creates and removes, so that its values
// are known; and a rule that never holds.
func statusRules(marker string) string {
	return fmt.Sprintf(`settings {
  host     = "web-01"
  interval = "200ms"
}
notifier "console" "ops" {}
probe "file" "marker" { path = %q }

rule "marker" {
  when     = "file.marker.exists"
  repeat   = "1h"
  severity = "critical"
  labels   = { team = "web" }
  notify "ops" { message = "marker is there" }
}

rule "never" {
  when = "file.marker.size_bytes > 1000000"
  for  = "5m"
  notify "ops" { message = "huge" }
}
`, marker)
}

// statusLine returns the line of rule in status's table, its columns collapsed to one space.
func statusLine(t *testing.T, out, rule string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, rule+" ") {
			return strings.Join(strings.Fields(l), " ")
		}
	}
	t.Fatalf("no line for %s in:\n%s", rule, out)
	return ""
}

// TestStatusCron runs `notimon run --once` on a fake clock and reads `notimon status`
// between runs: one line per rule with state, for how long, severity, values, next repeat;
// exit 1 while a rule fires and 0 after it resolves; --json decodes to the same; rules
// that do not load still leave the state shown, with the load error.
func TestStatusCron(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "marker")
	os.WriteFile(marker, []byte("12345"), 0o644)
	rules := writeRules(t, map[string]string{"rules.hcl": statusRules(marker)})
	state := filepath.Join(dir, "state")
	t0 := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	now := fakeClock(t, t0)

	// Before any run: nothing fires, no state yet.
	code, out, errOut := notimon(t, "status", "--state-dir", state, rules)
	if code != 0 || statusLine(t, out, "marker") != "marker inactive - critical - -" || !strings.Contains(out, "state: none yet in "+state) {
		t.Fatalf("before any run: exit %d\n%s%s", code, out, errOut)
	}

	if code, out, errOut := notimon(t, "run", "--once", "--state-dir", state, rules); code != 0 {
		t.Fatalf("run --once: exit %d\n%s%s", code, out, errOut)
	}
	*now = t0.Add(5 * time.Minute)
	code, out, _ = notimon(t, "status", "--state-dir", state, rules)
	if code != 1 {
		t.Errorf("a rule fires: exit %d, want 1\n%s", code, out)
	}
	if got, want := statusLine(t, out, "marker"), "marker firing 5m critical file.marker.exists=true in 55m"; got != want {
		t.Errorf("marker line:\n got %q\nwant %q\n%s", got, want, out)
	}
	if got, want := statusLine(t, out, "never"), "never inactive - warning file.marker.size_bytes=5 -"; got != want {
		t.Errorf("never line:\n got %q\nwant %q", got, want)
	}
	for _, want := range []string{
		"2 rules: 1 firing, 0 pending, 1 inactive",
		"outbox: 0 queued",
		"last reload: none recorded",
		"daemon: none holds " + state,
		"2026-11-25 03:00:00 UTC  marker inactive → firing  file.marker.exists=true",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = notimon(t, "status", "--json", "--state-dir", state, rules)
	var st status.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if code != 1 || !st.Firing || st.Host != "web-01" || len(st.Rules) != 2 || st.Rules[0].Name != "marker" || st.Rules[0].State != "firing" ||
		!st.Rules[0].NextRepeat.Equal(t0.Add(time.Hour)) || st.Rules[0].Values["file.marker.exists"] != true {
		t.Errorf("--json: exit %d, %+v", code, st)
	}

	// The rules break: the state is still shown, with the reason.
	broken := writeRules(t, map[string]string{"rules.hcl": "rule \"marker\" {\n  when = \n}\n"})
	code, out, _ = notimon(t, "status", "--state-dir", state, broken)
	if code != 1 || statusLine(t, out, "marker") != "marker firing 5m - file.marker.exists=true - not in the rules" ||
		!regexp.MustCompile(`problem: the rules in .* do not load \(1 error\); rules are shown as the state has them: .*rules\.hcl:2`).MatchString(out) {
		t.Errorf("broken rules: exit %d\n%s", code, out)
	}

	// The marker goes: the next run resolves the rule; status exits 0.
	os.Remove(marker)
	*now = t0.Add(10 * time.Minute)
	if code, out, errOut := notimon(t, "run", "--once", "--state-dir", state, rules); code != 0 {
		t.Fatalf("run --once: exit %d\n%s%s", code, out, errOut)
	}
	*now = t0.Add(12 * time.Minute)
	code, out, _ = notimon(t, "status", "--state-dir", state, rules)
	if code != 0 || statusLine(t, out, "marker") != "marker inactive 2m critical file.marker.exists=false -" {
		t.Errorf("after resolving: exit %d\n%s", code, out)
	}
}

// TestStatusBesideDaemon runs the real daemon and asks `notimon status` while it holds the
// state directory: the answer comes at once, with the daemon's pid and the rule it fires;
// a broken edit shows as a failed reload naming file and line; after the daemon stops,
// nobody holds the directory.
func TestStatusBesideDaemon(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "marker")
	os.WriteFile(marker, []byte("x"), 0o644)
	rules := writeRules(t, map[string]string{"rules.hcl": statusRules(marker)})
	state := filepath.Join(dir, "state")
	d := startDaemon(t, rules, state, telegramtest.New(t, testToken))
	// The transition is logged before the state is saved: wait for the saved state.
	for deadline := time.Now().Add(10 * time.Second); ; {
		st, err := status.Read(state, nil, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if st.Firing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("marker never fired in the state; the daemon said:\n%s", d.log())
		}
		time.Sleep(10 * time.Millisecond)
	}

	start := time.Now()
	code, out, errOut := notimon(t, "status", "--state-dir", state, rules)
	took := time.Since(start)
	if took > 2*time.Second {
		t.Errorf("status took %s beside the daemon: it must not wait for the lock", took)
	}
	if code != 1 || !strings.Contains(out, fmt.Sprintf("daemon: running (pid %d) with %s", d.cmd.Process.Pid, state)) ||
		!strings.HasPrefix(statusLine(t, out, "marker"), "marker firing ") {
		t.Errorf("beside the daemon: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = notimon(t, "status", "--json", "--state-dir", state, rules)
	var st status.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 1 || st.Daemon == nil || st.Daemon.PID != d.cmd.Process.Pid || st.Daemon.Mode != "daemon" {
		t.Errorf("--json beside the daemon: exit %d, err %v, daemon %+v", code, err, st.Daemon)
	}

	// A broken edit: the daemon keeps its rules and records the failure.
	reloadStart := time.Now()
	atomicWrite(t, filepath.Join(rules, "rules.hcl"), statusRules(marker)+"rule \"bad\" {\n  when = \"nosuch.field > 1\"\n}\n")
	waitLastReload(t, d, state, false, reloadStart, 5*time.Second)
	_, out, _ = notimon(t, "status", "--state-dir", state)
	if !regexp.MustCompile(`last reload: FAILED at .*; the previous rules keep running:\n  .*rules\.hcl:\d+`).MatchString(out) {
		t.Errorf("after a broken edit:\n%s", out)
	}

	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the daemon did not stop; it said:\n%s", d.log())
	}
	_, out, _ = notimon(t, "status", "--state-dir", state, rules)
	if !strings.Contains(out, "daemon: none holds "+state) {
		t.Errorf("after the daemon stopped:\n%s", out)
	}
}
