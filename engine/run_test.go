package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/internal/syncbuf"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
)

// TestRunOnceResumesOnTheNextRun: a cron run whose chain waits longer than
// settings.chain_timeout stops it at the wait, says so, and saves its cursor; the next run,
// an hour and a half later, resumes the chain after the wait and finishes it.
func TestRunOnceResumesOnTheNextRun(t *testing.T) {
	cfg := load(t, `
notifier "console" "ops" {}
rule "hot" {
  when = "cpu.pct > 50"
  notify "ops" { message = "hot" }
  wait { duration = "1h" }
  notify "ops" { message = "still here after an hour" }
}
`)
	dir := t.TempDir()
	snap := probes.Snapshot{CPU: cpu.Values{Pct: 90}}
	// The first run must stop at the hour's wait, soon; the second must not be cut short
	// while it saves and sends (a few fsyncs, slow on a busy disk).
	run := func(now time.Time, chainTimeout time.Duration) (string, []error, persisted) {
		t.Helper()
		cfg.Settings.ChainTimeout = chainTimeout
		st, err := store.Open(dir, store.Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var out syncbuf.Buffer
		e := New(cfg, Options{Sampler: recorded(snap, nil), Store: st, Stdout: &out, Now: func() time.Time { return now }})
		if err := e.Restore(); err != nil {
			t.Fatal(err)
		}
		rep, errs := e.RunOnce(context.Background(), now)
		if len(rep.Verdicts) != 1 || !rep.Verdicts[0].Holds {
			t.Fatalf("report: %+v", rep.Verdicts)
		}
		var doc persisted
		if found, err := st.Load(&doc); !found || err != nil {
			t.Fatalf("state not saved: found %v, %v", found, err)
		}
		return out.String(), errs, doc
	}

	out, errs, doc := run(t0, 100*time.Millisecond)
	if !strings.Contains(out, "hot") || strings.Contains(out, "still here") {
		t.Errorf("first run sent:\n%s", out)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "chains still running after settings.chain_timeout (100ms) were stopped; they resume on the next run") {
		t.Errorf("first run: errors %v", errs)
	}
	if c := doc.Rules["hot"].Chains; len(c) != 1 || c[0].Step != 1 || !c[0].WaitUntil.Equal(t0.Add(time.Hour)) {
		t.Errorf("saved cursor: %+v, want the wait step, until t0+1h", c)
	}

	out, errs, doc = run(t0.Add(90*time.Minute), time.Minute)
	if !strings.HasSuffix(out, "\n    still here after an hour\n") || strings.Contains(out, "hot\n") || len(errs) != 0 {
		t.Errorf("second run sent %q, errors %v", out, errs)
	}
	if st := doc.Rules["hot"]; st.State != Firing || len(st.Chains) != 0 {
		t.Errorf("after the second run: %+v", st)
	}
}
