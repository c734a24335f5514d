package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
)

// lastReload is last_reload as state.json has it.
type lastReload struct {
	Time  time.Time `json:"time"`
	OK    bool      `json:"ok"`
	Error string    `json:"error"`
}

// waitLastReload waits until state.json's last_reload has ok == want and returns it, with
// how long it took from start.
func waitLastReload(t *testing.T, d *daemon, state string, want bool, start time.Time, timeout time.Duration) (lastReload, time.Duration) {
	t.Helper()
	deadline := start.Add(timeout)
	var doc struct {
		Reload *lastReload `json:"last_reload"`
	}
	for {
		// state.json is replaced by a rename, so a read sees a whole document.
		if b, err := os.ReadFile(filepath.Join(state, "state.json")); err == nil {
			doc.Reload = nil
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatalf("state.json: %v\n%s", err, b)
			}
			if doc.Reload != nil && doc.Reload.OK == want {
				return *doc.Reload, time.Since(start)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("last_reload.ok never became %v within %s (last: %+v); the daemon said:\n%s", want, timeout, doc.Reload, d.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDaemonLastReloadRecovers runs the real daemon and breaks its rules the two ways an
// operator does: a broken file added and then removed (the files then equal the running
// rules, so nothing is reloaded), and a broken edit that is then fixed. Each time
// state.json's last_reload must say ok again within a second, and the log must say once
// that the rules are valid again.
func TestDaemonLastReloadRecovers(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	rules := writeRules(t, map[string]string{
		"00-base.hcl": `settings { interval = "200ms" }
notifier "console" "out" {}
`,
		"10-rule.hcl": `rule "never" {
  when = "mem.total_bytes < 0"
  notify "out" { message = "never" }
}
`,
	})
	state := t.TempDir()
	d := startDaemon(t, rules, state, srv)
	at, _ := d.waitLog(0, "notimon started", 10*time.Second)

	// 1. A broken file added, then removed.
	broken := filepath.Join(rules, "20-broken.hcl")
	start := time.Now()
	if err := os.WriteFile(broken, []byte(`rule "x" { when = "cpu.avgg > 1" }`), 0o644); err != nil {
		t.Fatal(err)
	}
	at, _ = d.waitLog(at, "reload failed: the previous rules keep running", 3*time.Second)
	r, _ := waitLastReload(t, d, state, false, start, 3*time.Second)
	if !strings.Contains(r.Error, "20-broken.hcl:1:") || !strings.Contains(r.Error, "Unknown probe field") {
		t.Errorf("last_reload.error does not point at the broken file: %q", r.Error)
	}
	start = time.Now()
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	r, took := waitLastReload(t, d, state, true, start, 3*time.Second)
	if took > time.Second {
		t.Errorf("broken file removed: last_reload.ok after %s, want ≤ 1s", took)
	} else {
		t.Logf("broken file removed: last_reload.ok after %s", took.Round(time.Millisecond))
	}
	if r.Error != "" {
		t.Errorf("last_reload.error = %q after recovering", r.Error)
	}
	at, _ = d.waitLog(at, "rules are valid again; they equal the running rules, which keep running", time.Second)

	// 2. A broken edit, then a fix that differs from the running rules.
	rule := filepath.Join(rules, "10-rule.hcl")
	start = time.Now()
	atomicWrite(t, rule, `rule "never" { when = "mem.total_bytes <" }`)
	at, _ = d.waitLog(at, "reload failed: the previous rules keep running", 3*time.Second)
	waitLastReload(t, d, state, false, start, 3*time.Second)
	start = time.Now()
	atomicWrite(t, rule, `rule "never" {
  when = "mem.total_bytes < 1"
  notify "out" { message = "never either" }
}
`)
	_, took = waitLastReload(t, d, state, true, start, 3*time.Second)
	if took > time.Second {
		t.Errorf("broken edit fixed: last_reload.ok after %s, want ≤ 1s", took)
	} else {
		t.Logf("broken edit fixed: last_reload.ok after %s", took.Round(time.Millisecond))
	}
	_, l := d.waitLog(at, "rules reloaded", time.Second)
	if l.All["valid_again"] != true {
		t.Errorf("the reload after a failure does not say valid_again: %v", l.All)
	}

	d.stop(10 * time.Second)
	if n := strings.Count(d.log(), `"msg":"rules are valid again`); n != 1 {
		t.Errorf("%d log lines say the rules are valid again, want 1:\n%s", n, d.log())
	}
}
