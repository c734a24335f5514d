package dsl_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/notimon/notimon/dsl"
)

func loadOK(t *testing.T, src string) *dsl.Config {
	t.Helper()
	cfg, diags := dsl.LoadSource(map[string][]byte{"a.hcl": []byte(src)}, dsl.Options{LookupEnv: lookupFake(nil)})
	if diags.HasErrors() {
		var buf bytes.Buffer
		dsl.WriteDiagnostics(&buf, cfg.Files, diags)
		t.Fatalf("load:\n%s", buf.String())
	}
	return cfg
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestWeeklyWindowAcrossDST checks a Sunday window in Europe/Berlin on ordinary Sundays
// and on both Sundays of a DST change, at the instants an operator there expects.
func TestWeeklyWindowAcrossDST(t *testing.T) {
	cfg := loadOK(t, `
rule "backup_load" { when = "cpu.pct > 90" }
maintenance "backup" {
  weekly   = ["sun 02:00-04:00", "sat 23:30-00:30"]
  timezone = "Europe/Berlin"
  rules    = ["backup_*"]
}
`)
	m := cfg.Maintenance[0]
	if !m.Covers(cfg.Rules[0]) {
		t.Fatal("the glob backup_* does not cover rule backup_load")
	}
	for _, c := range []struct {
		at         string
		open       bool
		start, end string // the open window's bounds, in UTC
	}{
		// An ordinary winter Sunday (CET, UTC+1): 01:00–03:00 UTC.
		{"2026-03-22T00:59:59Z", false, "", ""},
		{"2026-03-22T01:00:00Z", true, "2026-03-22T01:00:00Z", "2026-03-22T03:00:00Z"},
		{"2026-03-22T02:59:59Z", true, "2026-03-22T01:00:00Z", "2026-03-22T03:00:00Z"},
		{"2026-03-22T03:00:00Z", false, "", ""},
		// Spring forward, 29 March 2026: 02:00 CET never shows; the clock jumps to 03:00
		// CEST at 01:00 UTC, and 04:00 CEST is 02:00 UTC: one hour of window.
		{"2026-03-29T00:59:59Z", false, "", ""},
		{"2026-03-29T01:00:00Z", true, "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"},
		{"2026-03-29T01:59:59Z", true, "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"},
		{"2026-03-29T02:00:00Z", false, "", ""},
		// An ordinary summer Sunday (CEST, UTC+2): 00:00–02:00 UTC.
		{"2026-04-05T00:00:00Z", true, "2026-04-05T00:00:00Z", "2026-04-05T02:00:00Z"},
		{"2026-04-05T02:00:00Z", false, "", ""},
		// Fall back, 25 October 2026: 02:00 CEST is 00:00 UTC; 03:00 CEST becomes 02:00
		// CET at 01:00 UTC, and 04:00 CET is 03:00 UTC: three hours, open throughout the
		// repeated hour and never twice.
		{"2026-10-24T23:59:59Z", false, "", ""},
		{"2026-10-25T00:00:00Z", true, "2026-10-25T00:00:00Z", "2026-10-25T03:00:00Z"},
		{"2026-10-25T01:30:00Z", true, "2026-10-25T00:00:00Z", "2026-10-25T03:00:00Z"},
		{"2026-10-25T02:59:59Z", true, "2026-10-25T00:00:00Z", "2026-10-25T03:00:00Z"},
		{"2026-10-25T03:00:00Z", false, "", ""},
		// Across midnight: Saturday 23:30 to Sunday 00:30 local (CET).
		{"2026-03-21T22:29:59Z", false, "", ""},
		{"2026-03-21T22:30:00Z", true, "2026-03-21T22:30:00Z", "2026-03-21T23:30:00Z"},
		{"2026-03-21T23:29:59Z", true, "2026-03-21T22:30:00Z", "2026-03-21T23:30:00Z"},
		{"2026-03-21T23:30:00Z", false, "", ""},
		// A weekday.
		{"2026-03-25T01:30:00Z", false, "", ""},
	} {
		now := mustTime(t, c.at)
		start, end, open := m.Window(now)
		if open != c.open {
			t.Errorf("at %s (%s local): open = %v, want %v", c.at, now.In(m.Location).Format("Mon 15:04 MST"), open, c.open)
			continue
		}
		if open && (!start.Equal(mustTime(t, c.start)) || !end.Equal(mustTime(t, c.end))) {
			t.Errorf("at %s: window %s – %s, want %s – %s", c.at, start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), c.start, c.end)
		}
	}

	// The next window after the spring change's is that of the following Sunday.
	start, end, ok := m.Next(mustTime(t, "2026-03-29T02:00:00Z"))
	if !ok || !start.Equal(mustTime(t, "2026-04-04T21:30:00Z")) || !end.Equal(mustTime(t, "2026-04-04T22:30:00Z")) {
		t.Errorf("Next after the spring window = %v – %v, %v; want Saturday 23:30 CEST (21:30 UTC)", start.UTC(), end.UTC(), ok)
	}
}

func TestOneOffWindow(t *testing.T) {
	cfg := loadOK(t, `
rule "site_down" {
  when   = "cpu.pct > 90"
  labels = { team = "web" }
}
rule "db_down" { when = "cpu.pct > 90" }
maintenance "migration" {
  from     = "2026-12-24T22:00:00+01:00"
  until    = "2026-12-25T02:00:00+01:00"
  labels   = { team = "web" }
  suppress = ["notify"]
}
`)
	m := cfg.Maintenance[0]
	if !m.SuppressNotify || m.SuppressExec {
		t.Errorf("suppress = [\"notify\"] gives notify %v, exec %v", m.SuppressNotify, m.SuppressExec)
	}
	covered := map[string]bool{}
	for _, r := range cfg.Rules {
		covered[r.Name] = m.Covers(r)
	}
	if !covered["site_down"] || covered["db_down"] {
		t.Errorf("labels = { team = \"web\" } covers %v; want site_down only", covered)
	}
	for at, want := range map[string]bool{
		"2026-12-24T20:59:59Z": false,
		"2026-12-24T21:00:00Z": true,
		"2026-12-25T00:59:59Z": true,
		"2026-12-25T01:00:00Z": false,
	} {
		if _, _, open := m.Window(mustTime(t, at)); open != want {
			t.Errorf("at %s: open = %v, want %v", at, open, want)
		}
	}
	if _, _, ok := m.Next(mustTime(t, "2026-12-25T01:00:00Z")); ok {
		t.Error("a one-off window that is over has a next window")
	}
}

// TestRulesGlobSpansSlashes: a rule name is not a path, so "*" covers a name with a '/'
// (path.Match's * stops at one), and such a glob is no "matches no rule" warning.
func TestRulesGlobSpansSlashes(t *testing.T) {
	cfg, diags := dsl.LoadSource(map[string][]byte{"a.hcl": []byte(`
rule "web/api down" { when = "cpu.pct > 90" }
maintenance "all" {
  weekly = ["sun 02:00-04:00"]
  rules  = ["*", "web*down"]
}
`)}, dsl.Options{LookupEnv: lookupFake(nil)})
	if len(diags) != 0 {
		var buf bytes.Buffer
		dsl.WriteDiagnostics(&buf, cfg.Files, diags)
		t.Fatalf("diagnostics:\n%s", buf.String())
	}
	if !cfg.Maintenance[0].Covers(cfg.Rules[0]) {
		t.Error(`rules = ["*"] does not cover "web/api down"`)
	}
}

func TestParseWeekly(t *testing.T) {
	for _, c := range []struct {
		in         string
		days       string // the days it covers, sun first
		start, end int
	}{
		{"sun 02:00-04:00", "S......", 120, 240},
		{"mon-fri 12:00-12:30", ".MTWTF.", 720, 750},
		{"fri-mon 22:00-06:00", "SM...FS", 1320, 360},
		{"Sat,sun 00:00-24:00", "S.....S", 0, 1440},
		{"tuesday 9:05-9:10", "..T....", 545, 550},
	} {
		w, err := dsl.ParseWeekly(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		days := []byte(".......")
		for d, on := range w.Days {
			if on {
				days[d] = "SMTWTFS"[d]
			}
		}
		if string(days) != c.days || w.Start != c.start || w.End != c.end {
			t.Errorf("%q = days %s %d-%d, want %s %d-%d", c.in, days, w.Start, w.End, c.days, c.start, c.end)
		}
	}
	for _, bad := range []string{"", "sun", "sun 02:00", "sun 2-4", "sun 02:00-02:00", "son 02:00-04:00", "sun 24:00-01:00", "sun 02:60-03:00", "sun 02:00-24:01", "mon- 01:00-02:00", "sun +1:00-02:00", "sun 01:-5-02:00", "mon,,tue 01:00-02:00"} {
		if _, err := dsl.ParseWeekly(bad); err == nil {
			t.Errorf("%q parses; want an error", bad)
		}
	}
}

func TestParseMaxRuns(t *testing.T) {
	n, per, err := dsl.ParseMaxRuns("3 per 1h")
	if err != nil || n != 3 || per != time.Hour {
		t.Errorf(`"3 per 1h" = %d, %v, %v`, n, per, err)
	}
	for _, bad := range []string{"3", "3 per", "per 1h", "0 per 1h", "-1 per 1h", "3 per 0s", "3 per 500ms", "three per 1h"} {
		if _, _, err := dsl.ParseMaxRuns(bad); err == nil {
			t.Errorf("%q parses; want an error", bad)
		}
	}
}

// TestRulesInDependencyOrder: a parent comes before its children whatever the file order,
// and unrelated rules keep theirs.
func TestRulesInDependencyOrder(t *testing.T) {
	cfg := loadOK(t, `
rule "site_a" {
  when       = "cpu.pct > 90"
  depends_on = ["db", "network"]
}
rule "other" { when = "cpu.pct > 90" }
rule "db" {
  when       = "cpu.pct > 90"
  depends_on = ["network"]
}
rule "site_b" {
  when       = "cpu.pct > 90"
  depends_on = ["db"]
}
rule "network" { when = "cpu.pct > 90" }
`)
	var names []string
	for _, r := range cfg.Rules {
		names = append(names, r.Name)
	}
	want := []string{"network", "db", "site_a", "other", "site_b"}
	if !slices.Equal(names, want) {
		t.Errorf("rules in order %v, want %v", names, want)
	}
}
