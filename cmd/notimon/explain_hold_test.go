package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/exec"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
)

const holdRules = `
notifier "console" "ops" {}
rule "db_down" {
  when = "cpu.pct > 90"
  notify "ops" { message = "db down" }
  exec {
    command  = ["systemctl", "restart", "postgresql"]
    max_runs = "1 per 1h"
  }
}
rule "site_down" {
  when       = "mem.real_pct > 90"
  depends_on = ["db_down"]
  notify "ops" { message = "site down" }
}
maintenance "sunday_backup" {
  weekly   = ["sun 02:00-04:00"]
  timezone = "Europe/Berlin"
  rules    = ["site_*"]
  suppress = ["notify"]
}
`

// TestExplainHeldBack: explain shows the open maintenance window of a rule, its firing
// parent, and the parent's max_runs guard, from a state a real cron run left.
func TestExplainHeldBack(t *testing.T) {
	dir := writeRules(t, map[string]string{"rules.hcl": holdRules})
	state := t.TempDir()
	// Sunday 29 March 2026, 03:30 CEST (the clocks went forward at 02:00): 01:30 UTC.
	at := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
	cfg, diags := dsl.Load([]string{dir}, dsl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	st, err := store.Open(state, store.Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(cfg, engine.Options{
		Store: st, Stdout: io.Discard, Now: func() time.Time { return at },
		Sampler: probes.SamplerFunc(func(_ context.Context, now time.Time, _ []probes.Ref) *probes.Snapshot {
			return &probes.Snapshot{Time: now, CPU: cpu.Values{Pct: 95}}
		}),
		Exec: func(context.Context, exec.Spec) exec.Result { return exec.Result{} },
	})
	if _, errs := e.RunOnce(context.Background(), at); len(errs) > 0 {
		t.Fatal(errs)
	}
	e.Stop()
	st.Close()

	setClock(t, at.Add(10*time.Minute))
	values := writeValues(t, `{"mem.real_pct": 95}`)
	code, out, errOut := notimon(t, "explain", "site_down", "--at-values", values, "--state-dir", state, dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"\nmaintenance \"sunday_backup\" (" + dir + "/rules.hcl:16) open since 2026-03-29 03:00:00 CEST until 2026-03-29 04:00:00 CEST (20m left): notify held back\n",
		"\ndepends_on  \"db_down\" firing since 2026-03-29 01:30:00 UTC: this rule's notifications are held back until it resolves\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain site_down does not say\n%s\n%s", want, out)
		}
	}
	code, out, errOut = notimon(t, "explain", "db_down", "--at-values", values, "--state-dir", state, dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "\nmax_runs    exec systemctl (" + dir + "/rules.hcl:6) max_runs \"1 per 1h\": ran 1 time in the last 1h; suspended until 2026-03-29 02:30:00 UTC\n"
	if !strings.Contains(out, want) {
		t.Errorf("explain db_down does not say\n%s\n%s", want, out)
	}

	code, out, _ = notimon(t, "explain", "site_down", "--at-values", values, "--state-dir", state, "--format", "json", dir)
	if code != exitOK || !strings.Contains(out, `"kind": "maintenance"`) || !strings.Contains(out, `"until": "2026-03-29T02:00:00Z"`) {
		t.Errorf("explain --format json: exit %d\n%s", code, out)
	}
}

// TestDryRunSaysWhatIsHeldBack: a dry run names the maintenance window and the firing
// parent that would hold a notification back.
func TestDryRunSaysWhatIsHeldBack(t *testing.T) {
	dir := writeRules(t, map[string]string{"rules.hcl": `
notifier "console" "ops" {}
rule "db_down" {
  when = "mem.total_bytes > 0"
  notify "ops" { message = "db down" }
}
rule "site_down" {
  when       = "mem.total_bytes > 0"
  depends_on = ["db_down"]
  notify "ops" { message = "site down" }
}
maintenance "migration" {
  from  = "2026-11-25T03:00:00Z"
  until = "2026-11-25T04:00:00Z"
  rules = ["db_*"]
}
`})
	setClock(t, time.Date(2026, 11, 25, 3, 30, 0, 0, time.UTC))
	code, out, errOut := notimon(t, "run", "--once", "--dry-run", "--state-dir", t.TempDir(), dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`1. notify "ops" would be suppressed by maintenance "migration" until 2026-11-25T04:00:00Z; it would have sent:`,
		`1. notify "ops" would be suppressed by depends_on: db_down is firing; it would have sent:`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the dry run does not say\n%s\n%s", want, out)
		}
	}
}
