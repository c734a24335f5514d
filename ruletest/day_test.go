package ruletest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dayRules is a rule with every lifecycle feature: confirm, for, repeat, clear_when, and a
// chain whose wait spans two ticks.
const dayRules = `
settings {
  host     = "web-01"
  interval = "15s"
}
notifier "console" "ops" {}
rule "busy" {
  when       = "cpu.avg3 > 80"
  clear_when = "cpu.avg3 < 50"
  confirm    = "3 of 5"
  for        = "2m"
  repeat     = "1h"
  notify "ops" { message = "cpu {{ cpu.avg3 }}%" }
  exec { command = ["systemctl", "restart", "app"] }
  wait { duration = "30s" }
  renotify "ops" { message = "after restart: cpu {{ cpu.avg3 }}%" }
  on_resolve {
    notify "ops" { message = "busy resolved after {{ rule.firing_for }}" }
  }
}
`

// dayTest is 24 hours at 15 s ticks (5,760): three episodes of 2 h at 90 % cpu, each
// followed by 6 h at 20 %; in the second episode the cpu probe fails for one tick.
//
// In an episode starting at T: the condition holds from T (confirm: the third true tick,
// T+30s, makes it hold), pending from T+30s, firing at T+2m30s (notify and exec), the
// renotify after the 30 s wait at T+3m, one repeat at T+1h2m30s, and resolved at T+2h when
// clear_when holds.
func dayTest() string {
	episode := "90x479 20x1439" // 480 ticks high (2 h), 1440 low (6 h)
	second := "90x239 _ 90x238 20x1439"
	return fmt.Sprintf(`
test "a day at 15 s ticks" {
  input "cpu.avg3" { values = "%s %s %s" }

  expect {
    at      = "30s"
    pending = ["busy"]
  }
  expect {
    at     = "2m30s"
    firing = ["busy"]
    notify "ops" { text = "cpu 90%%" }
    exec { command = ["systemctl", "restart", "app"] }
  }
  expect {
    at     = "3m"
    firing = ["busy"]
    notify "ops" { text = "after restart: cpu 90%%" }
  }
  expect {
    at     = "1h2m30s"
    firing = ["busy"]
    notify "ops" { text = "cpu 90%%" }
  }
  expect {
    at       = "2h"
    resolved = ["busy"]
    notify "ops" { text = "busy resolved after 1h57m30s" }
  }
  expect {
    at      = "9h"                # the second episode's failed tick
    firing  = ["busy"]
    unknown = ["busy"]
  }
  expect {
    at       = "18h"
    resolved = ["busy"]
    notify "ops" { text = "busy resolved after 1h57m30s" }
  }
  expect_nothing_else = false     # the other episodes' messages are not listed
}
`, episode, second, episode)
}

func writeDay(t testing.TB) *Test {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.hcl"), []byte(dayRules), 0o644); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "day_test.hcl")
	if err := os.WriteFile(name, []byte(dayTest()), 0o644); err != nil {
		t.Fatal(err)
	}
	f, diags := LoadFile(name)
	if diags.HasErrors() {
		t.Fatalf("test file: %v", diags)
	}
	return f.Tests[0]
}

// TestDayIsFast: a simulated day at 15 s ticks, with a rule using for, repeat, clear_when,
// confirm, a wait across ticks and a probe failure, runs in well under a second.
func TestDayIsFast(t *testing.T) {
	test := writeDay(t)
	start := time.Now()
	res := (&Runner{}).Run(context.Background(), test)
	took := time.Since(start)
	if !res.Passed() {
		var b strings.Builder
		res.Write(&b, false)
		t.Fatalf("the day test failed:\n%s", b.String())
	}
	if res.Ticks != 5760 {
		t.Errorf("%d ticks, want 5760", res.Ticks)
	}
	var msgs, execs int
	for _, ev := range res.Timeline {
		switch {
		case strings.HasPrefix(ev.Title, "notify"):
			msgs++
		case strings.HasPrefix(ev.Title, "exec"):
			execs++
		}
	}
	// Per episode: notify, renotify, one repeat, the resolve message; one restart.
	if msgs != 12 || execs != 3 {
		t.Errorf("%d messages and %d commands, want 12 and 3:\n%v", msgs, execs, res.Timeline)
	}
	limit := 500 * time.Millisecond
	if raceEnabled {
		limit = 10 * time.Second // the race detector slows everything 5–20×
	}
	t.Logf("5,760 ticks in %s (simulation %s)", took, res.Elapsed)
	if took > limit {
		t.Errorf("a simulated day took %s, want under %s", took, limit)
	}
}

// BenchmarkDay measures a whole test run: loading the rules, validating, 5,760 ticks.
func BenchmarkDay(b *testing.B) {
	test := writeDay(b)
	b.ReportAllocs()
	for b.Loop() {
		res := (&Runner{}).Run(context.Background(), test)
		if !res.Passed() {
			b.Fatal(res.Failures)
		}
	}
}
