package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readOnlyStateDir returns a state directory on a tmpfs of its own, and a function that
// remounts that tmpfs read-only (as errors=remount-ro does to a failing disk). It skips
// the test where mounting is not permitted.
func readOnlyStateDir(t *testing.T) (string, func()) {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (%v: %s)", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	remount := func() {
		t.Helper()
		if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
			t.Fatalf("remount read-only: %v: %s", err, out)
		}
	}
	return dir, remount
}

// TestReadOnlyStateDirDegradedMode: with its state directory read-only, a cron run still
// samples, evaluates (with the state it can read) and delivers, directly; every notifier
// gets one self-alert, repeated at most once an hour; each such run exits 1 saying why.
func TestReadOnlyStateDirDegradedMode(t *testing.T) {
	state, remount := readOnlyStateDir(t)
	t.Setenv("TMPDIR", t.TempDir()) // where the self-alert's hourly marker goes
	rules := writeRules(t, map[string]string{"rules.hcl": `
probe "cpu" { window = "10ms" }
notifier "console" "ops" {}
rule "old" {
  when = "cpu.pct >= 0"
  notify "ops" { message = "old fired" }
}
`})
	now := fakeClock(t, time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))
	code, out, errOut := notimon(t, "run", "--once", "--state-dir", state, rules)
	if code != exitOK || !strings.Contains(out, "old fired") {
		t.Fatalf("run 1 (writable): exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	remount()

	// A second rule, firing for the first time: its message must get out.
	if err := os.WriteFile(filepath.Join(rules, "rules.hcl"), []byte(`
probe "cpu" { window = "10ms" }
notifier "console" "ops" {}
rule "old" {
  when = "cpu.pct >= 0"
  notify "ops" { message = "old fired" }
}
rule "new" {
  when = "cpu.pct >= 0"
  notify "ops" { message = "new fired" }
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	selfAlert := "notimon cannot write its state directory: state directory " + state
	*now = now.Add(time.Minute)
	code, out, errOut = notimon(t, "run", "--once", "--state-dir", state, rules)
	if code != exitProblems || !strings.Contains(errOut, "degraded run") || !strings.Contains(errOut, "read-only file system") {
		t.Fatalf("run 2 (read-only): exit %d, stderr:\n%s", code, errOut)
	}
	t.Logf("run 2 printed:\n%sstderr:\n%s", out, errOut)
	if !strings.Contains(out, "new fired") || strings.Contains(out, "old fired") || strings.Count(out, selfAlert) != 1 {
		t.Errorf("run 2 printed %q; want the new rule's message (not the old one's: its state was read) and one self-alert", out)
	}

	*now = now.Add(time.Minute)
	code, out, errOut = notimon(t, "run", "--once", "--state-dir", state, rules)
	if code != exitProblems || strings.Contains(out, selfAlert) {
		t.Errorf("run 3 (same hour): exit %d, printed %q; want exit 1 and no second self-alert\n%s", code, out, errOut)
	}

	*now = now.Add(time.Hour)
	code, out, errOut = notimon(t, "run", "--once", "--state-dir", state, rules)
	if code != exitProblems || strings.Count(out, selfAlert) != 1 {
		t.Errorf("run 4 (an hour later): exit %d, printed %q; want the self-alert again\n%s", code, out, errOut)
	}
	if entries, _ := os.ReadDir(filepath.Join(state, "outbox")); len(entries) != 0 {
		t.Errorf("the read-only outbox has %d entries", len(entries))
	}
}
