package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
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

// TestBotAPIDownForAWholeRun: a message that cannot be delivered stays in the outbox and is
// delivered, once, by the next run. The run that finds the Bot API down makes one attempt
// and exits: it does not wait for a retry (before the outbox owned the retries, it spent
// about 37 s in the notifier's own).
func TestBotAPIDownForAWholeRun(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	rules := writeRules(t, map[string]string{"rules.hcl": fmt.Sprintf(`
probe "cpu" { window = "10ms" }
notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = %d
  api_url = %q
}
rule "always" {
  when = "cpu.pct >= 0"
  notify "ops" { message = "첫 번째" }
  notify "ops" { message = "두 번째" }
}
`, telegramtest.DefaultChatID, srv.URL())})
	t.Setenv("NOTIMON_TELEGRAM_TOKEN", srv.Token())
	state := t.TempDir()
	now := fakeClock(t, time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))

	srv.Down()
	start := time.Now()
	code, _, errOut := notimon(t, "run", "--once", "--state-dir", state, rules)
	took := time.Since(start)
	if code != exitProblems || !strings.Contains(errOut, "undelivered messages stay in the outbox for the next run") ||
		!strings.Contains(errOut, `a message for "ops" waits behind an undelivered one`) {
		t.Fatalf("run 1 (server down): exit %d, stderr:\n%s", code, errOut)
	}
	if took > 10*time.Second {
		t.Errorf("run 1 took %s with the Bot API down; it must not wait for a retry", took)
	}
	t.Logf("run 1 with the Bot API down took %s", took.Round(time.Millisecond))
	entries, _ := filepath.Glob(filepath.Join(state, "outbox", "*.json"))
	if len(entries) != 2 {
		t.Fatalf("%d messages in the outbox, want 2", len(entries))
	}
	for i, path := range entries {
		b, _ := os.ReadFile(path)
		var entry struct{ Attempts int }
		json.Unmarshal(b, &entry)
		// The first was tried once; the second waits behind it, untried (in order).
		if want := 1 - i; entry.Attempts != want {
			t.Errorf("message %d: %d attempts, want %d", i+1, entry.Attempts, want)
		}
	}
	if strings.Contains(errOut, testToken) {
		t.Errorf("stderr shows the token:\n%s", errOut)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages delivered while down", n)
	}

	srv.Up()
	*now = now.Add(time.Minute)
	code, _, errOut = notimon(t, "run", "--once", "--state-dir", state, rules)
	if code != exitOK {
		t.Fatalf("run 2: exit %d, stderr:\n%s", code, errOut)
	}
	got := srv.Messages()
	if len(got) != 2 || got[0].Visible != "첫 번째" || got[1].Visible != "두 번째" {
		t.Fatalf("delivered %+v, want both messages once, in order", got)
	}
	*now = now.Add(time.Minute)
	if code, _, errOut := notimon(t, "run", "--once", "--state-dir", state, rules); code != exitOK || len(srv.Messages()) != 2 {
		t.Errorf("run 3: exit %d, %d messages (nothing new should be sent while firing)\n%s", code, len(srv.Messages()), errOut)
	}
}

// TestHungBotAPIWithinDeliveryBudget: a Bot API that accepts the request and never answers
// costs a cron run at most settings.delivery_budget (here 2 s, well under the notifier's
// 1-minute timeout), one attempt: the run exits 1 with both messages queued, and the next
// run, with the API back, delivers each once, in order.
func TestHungBotAPIWithinDeliveryBudget(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	rules := writeRules(t, map[string]string{"rules.hcl": fmt.Sprintf(`
settings { delivery_budget = "2s" }
probe "cpu" { window = "10ms" }
notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = %d
  api_url = %q
  timeout = "1m"
}
rule "always" {
  when = "cpu.pct >= 0"
  notify "ops" { message = "first" }
  notify "ops" { message = "second" }
}
`, telegramtest.DefaultChatID, srv.URL())})
	t.Setenv("NOTIMON_TELEGRAM_TOKEN", srv.Token())
	state := t.TempDir()
	now := fakeClock(t, time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))

	srv.Fail(1, telegramtest.Hang())
	start := time.Now()
	code, _, errOut := notimon(t, "run", "--once", "--state-dir", state, rules)
	took := time.Since(start)
	t.Logf("run 1 with a hung Bot API took %s", took.Round(time.Millisecond))
	if code != exitProblems || !strings.Contains(errOut, "undelivered messages stay in the outbox for the next run") {
		t.Fatalf("run 1 (hung): exit %d, stderr:\n%s", code, errOut)
	}
	if took > 20*time.Second { // the budget is 2 s; generous for a loaded machine
		t.Errorf("run 1 took %s with a 2s delivery budget", took)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("run 1 made %d requests, want 1 (no retry in the same run)", n)
	}
	if entries, _ := filepath.Glob(filepath.Join(state, "outbox", "*.json")); len(entries) != 2 {
		t.Fatalf("%d messages in the outbox, want 2", len(entries))
	}

	*now = now.Add(time.Minute)
	code, _, errOut = notimon(t, "run", "--once", "--state-dir", state, rules)
	if code != exitOK {
		t.Fatalf("run 2: exit %d, stderr:\n%s", code, errOut)
	}
	got := srv.Messages()
	if len(got) != 2 || got[0].Visible != "first" || got[1].Visible != "second" {
		t.Fatalf("delivered %+v, want both messages once, in order", got)
	}
}

// TestQueuedMessageForRenamedNotifier: a message left in the outbox for a notifier the
// rules then rename is dropped by the next run, which says so (rule, time, notifier) and
// exits 1; the run after it is clean, instead of every run failing for 24 h.
func TestQueuedMessageForRenamedNotifier(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	src := func(name string) string {
		return fmt.Sprintf(`
probe "cpu" { window = "10ms" }
notifier "telegram" %q {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = %d
  api_url = %q
}
rule "always" {
  when = "cpu.pct >= 0"
  notify %q { message = "hello" }
}
`, name, telegramtest.DefaultChatID, srv.URL(), name)
	}
	rules := writeRules(t, map[string]string{"rules.hcl": src("ops")})
	t.Setenv("NOTIMON_TELEGRAM_TOKEN", srv.Token())
	state := t.TempDir()
	now := fakeClock(t, time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))

	srv.Down()
	if code, _, errOut := notimon(t, "run", "--once", "--state-dir", state, rules); code != exitProblems {
		t.Fatalf("run 1 (server down): exit %d, stderr:\n%s", code, errOut)
	}
	srv.Up()
	if err := os.WriteFile(filepath.Join(rules, "rules.hcl"), []byte(src("team")), 0o644); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(time.Minute)
	code, _, errOut := notimon(t, "run", "--once", "--state-dir", state, rules)
	want := `outbox: the message of rule "always" at 2026-11-25 03:00:00 for notifier "ops" was dropped undelivered: notifier "ops" is no longer in the rules`
	if code != exitProblems || !strings.Contains(errOut, want) {
		t.Fatalf("run 2 (renamed): exit %d, stderr:\n%s\nwant: %s", code, errOut, want)
	}
	*now = now.Add(time.Minute)
	if code, _, errOut := notimon(t, "run", "--once", "--state-dir", state, rules); code != exitOK {
		t.Errorf("run 3: exit %d, stderr:\n%s", code, errOut)
	}
	if entries, _ := filepath.Glob(filepath.Join(state, "outbox", "*.json")); len(entries) != 0 {
		t.Errorf("%d messages left in the outbox", len(entries))
	}
	if strings.Contains(errOut, testToken) {
		t.Errorf("stderr shows the token")
	}
}
