package engine

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
)

// TestTimeWindowsAcrossRuns feeds cpu.pct 90, 30, 60, 0 a minute apart, with the engine
// (and its history) restarted from the state directory between ticks, as cron runs are.
func TestTimeWindowsAcrossRuns(t *testing.T) {
	cfg := load(t, `
notifier "console" "ops" {}
rule "busy" {
  when = "avg_over(\"cpu.pct\", \"150s\") > 50"
  notify "ops" { message = "{{ min_over(\"cpu.pct\", \"150s\") }} {{ max_over(\"cpu.pct\", \"150s\") }} {{ rate_over(\"cpu.pct\", \"150s\") }}" }
}
`)
	if len(cfg.Windows) != 4 || cfg.Refs[0] != (probes.Ref{Kind: "cpu"}) {
		t.Fatalf("windows %v, refs %v", cfg.Windows, cfg.Refs)
	}
	dir := t.TempDir()
	series := []float64{90, 30, 60, 0}
	want := []struct {
		avg, min, max, rate float64
		holds               bool
	}{
		{90, 90, 90, 0, true},
		{60, 30, 90, -1, true},    // (30-90)/60s
		{60, 30, 90, -0.25, true}, // (60-90)/120s
		{30, 0, 60, -0.25, false}, // 90 fell out of the 150 s window: 30, 60, 0
	}
	for i, v := range series {
		st, err := store.Open(dir, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		now := t0.Add(time.Duration(i) * time.Minute)
		e := New(cfg, Options{Store: st, Stdout: io.Discard, Now: func() time.Time { return now },
			Sampler: recorded(probes.Snapshot{CPU: cpu.Values{Pct: v}}, nil)})
		if err := e.Restore(); err != nil {
			t.Fatal(err)
		}
		rep := e.Tick(context.Background(), now)
		w := rep.Snapshot.Windows
		if w["avg|cpu.pct|2m30s"] != want[i].avg || w["min|cpu.pct|2m30s"] != want[i].min ||
			w["max|cpu.pct|2m30s"] != want[i].max || w["rate|cpu.pct|2m30s"] != want[i].rate || rep.Verdicts[0].Holds != want[i].holds {
			t.Errorf("tick %d: windows %v, holds %v; want %+v", i, w, rep.Verdicts[0].Holds, want[i])
		}
		e.Wait(context.Background())
		e.Save()
		st.Close()
	}
}
