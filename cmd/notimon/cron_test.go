package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fakeClock replaces the run command's clock for a test.
func fakeClock(t *testing.T, start time.Time) *time.Time {
	t.Helper()
	now := start
	old := clock
	clock = func() time.Time { return now }
	t.Cleanup(func() { clock = old })
	return &now
}

// TestCronRunsRemember runs `notimon run --once` five times, a minute apart on a fake clock,
// against a rule with for = "2m": pending, pending, firing (one message), firing (no
// message), resolved (one message).
func TestCronRunsRemember(t *testing.T) {
	rules := writeRules(t, map[string]string{"rules.hcl": `
probe "cpu" { window = "10ms" }
notifier "console" "ops" {}
rule "marker" {
  when     = "cpu.pct >= 0"
  for      = "2m"
  severity = "critical"
  notify "ops" { message = "fired: {{ rule.name }} {{ rule.state }}" }
  on_resolve {
    notify "ops" { message = "resolved after {{ rule.firing_for }}" }
  }
}
`})
	// The condition is a fixed value the test switches by rewriting the rules: true for
	// four runs, false for the fifth.
	setCond := func(v string) {
		src, _ := os.ReadFile(filepath.Join(rules, "rules.hcl"))
		re := regexp.MustCompile(`when     = ".*"`)
		os.WriteFile(filepath.Join(rules, "rules.hcl"), re.ReplaceAll(src, []byte(`when     = "`+v+`"`)), 0o644)
	}
	state := t.TempDir()
	now := fakeClock(t, time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))

	want := []struct {
		cond   string
		output string
	}{
		{"cpu.pct >= 0", ""},
		{"cpu.pct >= 0", ""},
		{"cpu.pct >= 0", "[2026-11-25T03:02:00Z] ops · rule marker (critical) firing\n    fired: marker firing\n"},
		{"cpu.pct >= 0", ""},
		{"cpu.pct < 0", "[2026-11-25T03:04:00Z] ops · rule marker (critical) resolved\n    resolved after 2m0s\n"},
	}
	for i, w := range want {
		setCond(w.cond)
		code, out, errOut := notimon(t, "run", "--once", "--state-dir", state, rules)
		if code != exitOK {
			t.Fatalf("run %d: exit %d\n%s", i+1, code, errOut)
		}
		if out != w.output {
			t.Errorf("run %d (%s): printed %q, want %q", i+1, now.Format("15:04"), out, w.output)
		}
		*now = now.Add(time.Minute)
	}
	if _, err := os.Stat(filepath.Join(state, "state.json")); err != nil {
		t.Errorf("no state file: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(state, "outbox")); len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("outbox not empty after delivery: %s", strings.Join(names, ", "))
	}
}
