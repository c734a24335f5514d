package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/internal/syncbuf"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
)

func TestRunDaemonReloadsAndKeepsState(t *testing.T) {
	v1 := load(t, `
notifier "console" "ops" {}
rule "hot" {
  when   = "cpu.pct > 50"
  repeat = "1m"
  notify "ops" { message = "v1 {{ cpu.pct }}" }
}
`)
	v2 := load(t, `
notifier "console" "ops" {}
rule "hot" {
  when   = "cpu.pct > 50"
  repeat = "1m"
  notify "ops" { message = "v2 {{ cpu.pct }}" }
}
rule "new" {
  when = "cpu.pct > 1000"
  notify "ops" { message = "never" }
}
`)
	configs := make(chan *dsl.Config, 1)
	load := func() (*dsl.Config, error) {
		select {
		case c := <-configs:
			return c, nil
		default:
			return nil, errors.New("rules.d/10-hot.hcl:3:12: error: Unknown probe field")
		}
	}
	clk := &clock{now: t0}
	st, err := store.Open(t.TempDir(), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out syncbuf.Buffer
	snap := probes.Snapshot{CPU: cpu.Values{Pct: 90}}
	e := New(v1, Options{Sampler: recorded(snap, nil), Stdout: &out, Store: st, Now: clk.Now})

	ticks := make(chan time.Time)
	ticked := make(chan *Report)
	reload := make(chan struct{})
	reloaded := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- e.RunDaemon(ctx, DaemonOptions{
			Load: load, Reload: reload,
			After:    func(time.Duration) <-chan time.Time { return ticks },
			Ticked:   func(r *Report) { ticked <- r },
			Reloaded: func() { reloaded <- struct{}{} },
		})
	}()
	tick := func(at time.Duration) *Report {
		clk.Set(t0.Add(at))
		ticks <- t0.Add(at)
		rep := <-ticked
		e.Wait(context.Background())
		return rep
	}
	tick(0)              // fires with v1
	reload <- struct{}{} // broken: v1 keeps running
	<-reloaded
	if rep := tick(time.Minute); rep.Verdicts[0].Event != Repeated || len(rep.Verdicts) != 1 {
		t.Fatalf("after a broken reload: %+v", rep.Verdicts)
	}
	configs <- v2
	reload <- struct{}{}
	<-reloaded
	rep := tick(2 * time.Minute)
	if len(rep.Verdicts) != 2 || rep.Verdicts[0].Event != Repeated || rep.Verdicts[0].From != Firing {
		t.Fatalf("after reloading v2 the firing rule should keep its state and repeat: %+v", rep.Verdicts)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"    v1 90\n", "    v1 90\n", "    v2 90\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("console lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "v1 90") != 2 || strings.Count(got, "v2 90") != 1 {
		t.Errorf("console:\n%s", got)
	}
	var doc persisted
	if found, err := st.Load(&doc); !found || err != nil || doc.Reload == nil || !doc.Reload.OK || doc.Rules["hot"].State != Firing {
		t.Errorf("saved state: found %v, err %v, %+v", found, err, doc)
	}
}

// TestSlowReloadNeverDelaysATick: a load that hangs (a huge file, a stuck disk) runs off the
// daemon loop: ticks go on with the running rules meanwhile, reload requests made during it
// give one more load after it, and its rules are swapped in between ticks when it is done.
func TestSlowReloadNeverDelaysATick(t *testing.T) {
	v1 := load(t, `
notifier "console" "ops" {}
rule "hot" {
  when = "cpu.pct > 50"
  notify "ops" { message = "v1" }
}
`)
	v2 := load(t, `
notifier "console" "ops" {}
rule "hot" {
  when = "cpu.pct > 50"
  notify "ops" { message = "v2" }
}
rule "new" {
  when = "cpu.pct > 1000"
  notify "ops" { message = "never" }
}
`)
	started := make(chan struct{})
	release := make(chan *dsl.Config)
	slowLoad := func() (*dsl.Config, error) {
		started <- struct{}{}
		return <-release, nil
	}
	clk := &clock{now: t0}
	e := New(v1, Options{Sampler: recorded(probes.Snapshot{CPU: cpu.Values{Pct: 90}}, nil), Stdout: &syncbuf.Buffer{}, Now: clk.Now})
	ticks := make(chan time.Time)
	ticked := make(chan *Report)
	reload := make(chan struct{})
	reloaded := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- e.RunDaemon(ctx, DaemonOptions{
			Load: slowLoad, Reload: reload,
			After:    func(time.Duration) <-chan time.Time { return ticks },
			Ticked:   func(r *Report) { ticked <- r },
			Reloaded: func() { reloaded <- struct{}{} },
		})
	}()
	tick := func(at time.Duration) *Report {
		clk.Set(t0.Add(at))
		ticks <- t0.Add(at)
		return <-ticked
	}
	tick(0)
	reload <- struct{}{}
	<-started // the load hangs from here on
	for i := 1; i <= 3; i++ {
		if rep := tick(time.Duration(i) * time.Minute); len(rep.Verdicts) != 1 {
			t.Fatalf("tick %d during the load: %d verdicts, want the running rule's 1", i, len(rep.Verdicts))
		}
	}
	reload <- struct{}{} // asked for during the load: one more load after it
	reload <- struct{}{}
	release <- v2
	<-reloaded
	if rep := tick(4 * time.Minute); len(rep.Verdicts) != 2 {
		t.Fatalf("after the load: %d verdicts, want v2's 2", len(rep.Verdicts))
	}
	<-started // the reload asked for during the first load
	release <- nil
	<-reloaded
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
