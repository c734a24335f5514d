package engine

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/host"
)

const flapping = `
notifier "console" "ops" {}
rule "flappy" {
  when = "cpu.pct > 90"
  notify "ops" { message = "cpu {{ cpu.pct }}%" }
  exec {
    command  = ["systemctl", "restart", "tomcat"]
    max_runs = "2 per 1h"
  }
  notify "ops" { message = "restart: {{ exec.ok ? 'done' : exec.error }}" }
}
`

// TestMaxRunsAcrossCronRuns flaps a rule on every cron run (a new engine each time, on one
// state directory): the restart runs twice in the hour, is then skipped with one
// "remediation suspended" notice, and runs again once the first run is an hour old.
func TestMaxRunsAcrossCronRuns(t *testing.T) {
	cfg := load(t, flapping)
	dir := t.TempDir()
	var ran [][]string
	var out bytes.Buffer
	run := func(now time.Time, pct float64) string {
		t.Helper()
		st, err := store.Open(dir, store.Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		snap := probes.Snapshot{Host: host.Values{Name: "web-01"}, CPU: cpu.Values{Pct: pct}}
		e := New(cfg, Options{Sampler: recorded(snap, nil), Store: st, Stdout: &out, Exec: recordExec(&ran), Now: func() time.Time { return now }})
		if err := e.Restore(); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if _, errs := e.RunOnce(context.Background(), now); len(errs) != 0 {
			t.Fatalf("run at %s: %v", now.Format("15:04"), errs)
		}
		return out.String()
	}

	restarts := func() int { return len(ran) }
	for i, c := range []struct {
		at       time.Duration
		pct      float64
		restarts int    // in total, after the run
		says     string // in what the run sent
		silent   bool   // the run sends nothing
	}{
		{0, 95, 1, "restart: done", false},
		{10 * time.Minute, 10, 1, "", true},
		{20 * time.Minute, 95, 2, "restart: done", false},
		{30 * time.Minute, 10, 2, "", true},
		// The third firing within the hour: skipped, and one notice.
		{40 * time.Minute, 95, 2, "remediation suspended. The command systemctl ran 2 times in the last 1h", false},
		{45 * time.Minute, 10, 2, "", true},
		// Skipped again: the fire chain's messages, but no second notice.
		{50 * time.Minute, 95, 2, "restart: not run: it ran 2 times in the last 1h", false},
		{55 * time.Minute, 10, 2, "", true},
		// An hour after the first run, one more run is allowed.
		{61 * time.Minute, 95, 3, "restart: done", false},
	} {
		got := run(t0.Add(c.at), c.pct)
		if restarts() != c.restarts {
			t.Errorf("step %d (+%s): %d restarts in total, want %d", i, c.at, restarts(), c.restarts)
		}
		if c.silent != (got == "") || !strings.Contains(got, c.says) {
			t.Errorf("step %d (+%s) sent:\n%s\nwant it to contain %q", i, c.at, got, c.says)
		}
		if n := strings.Count(got, "remediation suspended"); n > 1 || (n == 1 && i != 4) {
			t.Errorf("step %d (+%s): %d suspension notices:\n%s", i, c.at, n, got)
		}
	}
}

// TestDefaultGuardStopsAFlappingRule: an exec step without max_runs is guarded by
// dsl.DefaultMaxRuns ("5 per 1h"): a rule flapping every other tick restarts 5 times in
// the hour, not 30, and says once that remediation is suspended. "unlimited" turns it off.
func TestDefaultGuardStopsAFlappingRule(t *testing.T) {
	for _, c := range []struct {
		maxRuns  string
		restarts int
	}{{"", 5}, {`max_runs = "unlimited"`, 30}} {
		cfg := load(t, strings.Replace(strings.Replace(flapping, `max_runs = "2 per 1h"`, c.maxRuns, 1), "systemctl", "restart-tomcat", 1))
		var ran [][]string
		var out bytes.Buffer
		clk := &clock{now: t0}
		e := New(cfg, Options{Sampler: probes.SamplerFunc(func(_ context.Context, now time.Time, _ []probes.Ref) *probes.Snapshot {
			pct := 10.0
			if now.Sub(t0)/time.Minute%2 == 0 {
				pct = 95 // fires on even minutes, resolves on odd ones
			}
			return &probes.Snapshot{CPU: cpu.Values{Pct: pct}}
		}), Stdout: &out, Exec: recordExec(&ran), Now: clk.Now, SleepUntil: clk.SleepUntil})
		for m := range 60 {
			at := t0.Add(time.Duration(m) * time.Minute)
			clk.Set(at)
			e.Tick(context.Background(), at)
			if err := e.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		e.Stop()
		if len(ran) != c.restarts {
			t.Errorf("%q: %d restarts in an hour of flapping, want %d", c.maxRuns, len(ran), c.restarts)
		}
		notices := strings.Count(out.String(), "remediation suspended")
		if want := min(1, 30-c.restarts); notices != want {
			t.Errorf("%q: %d 'remediation suspended' notices, want %d\n%s", c.maxRuns, notices, want, out.String())
		}
	}
}
