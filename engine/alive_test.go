package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/internal/syncbuf"
	"github.com/notimon/notimon/probes"
)

// TestAliveDuringALongTick runs RunDaemon with a sampler that blocks until the test lets it
// go, and asks Alive at chosen times of the fake clock: a tick that waits for its probes
// is alive, even far longer than a watchdog period, until it has run past TickLimit; the
// loop waiting for its next tick is alive; a reload is alive for StallMargin.
func TestAliveDuringALongTick(t *testing.T) {
	cfg := load(t, `
settings { interval = "10s" }
notifier "console" "ops" {}
probe "http" "site" {
  url     = "http://127.0.0.1:1/health"
  timeout = "45s"
}
rule "site" {
  when = "!http.site.up"
  notify "ops" { message = "down" }
}
`)
	limit := TickLimit(cfg)
	if want := 10*time.Second + 45*time.Second + StallMargin; limit != want {
		t.Fatalf("TickLimit = %s, want interval + the longest probe timeout + StallMargin = %s", limit, want)
	}
	clk := &clock{now: t0}
	sampling := make(chan struct{})
	release := make(chan struct{})
	sampler := probes.SamplerFunc(func(_ context.Context, now time.Time, _ []probes.Ref) *probes.Snapshot {
		sampling <- struct{}{}
		<-release
		return &probes.Snapshot{Time: now}
	})
	e := New(cfg, Options{Sampler: sampler, Now: clk.Now, Stdout: &syncbuf.Buffer{}})
	if err := e.Alive(t0); err != nil {
		t.Errorf("before RunDaemon: %v", err)
	}
	ticks := make(chan time.Time)
	ticked := make(chan struct{})
	reload := make(chan struct{})
	reloading := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- e.RunDaemon(ctx, DaemonOptions{
			Load: func() (*dsl.Config, error) {
				reloading <- struct{}{}
				<-reloading
				return nil, nil
			},
			Reload: reload,
			After:  func(time.Duration) <-chan time.Time { return ticks },
			Ticked: func(*Report) { ticked <- struct{}{} },
		})
	}()

	ticks <- t0
	<-sampling // the first tick started at t0 and waits for its probes
	for _, at := range []time.Duration{0, time.Second, 30 * time.Second, limit} {
		if err := e.Alive(t0.Add(at)); err != nil {
			t.Errorf("a tick waiting for its probes for %s: %v", at, err)
		}
	}
	err := e.Alive(t0.Add(limit + time.Second))
	if err == nil || !strings.Contains(err.Error(), "the tick that started at 2026-11-25T03:00:00Z has run for 1m56s") {
		t.Errorf("a tick past its limit: %v", err)
	}
	clk.Set(t0.Add(limit + time.Second))
	release <- struct{}{}
	<-ticked
	if err := e.Alive(t0.Add(24 * time.Hour)); err != nil {
		t.Errorf("waiting for the next tick: %v", err)
	}

	reload <- struct{}{}
	<-reloading // the load runs off the daemon loop: however long it takes, the loop is alive
	if err := e.Alive(t0.Add(limit + time.Second + StallMargin + time.Hour)); err != nil {
		t.Errorf("a load that runs for an hour: %v", err)
	}
	reloading <- struct{}{}

	ticks <- clk.Now()
	<-sampling
	release <- struct{}{}
	<-ticked
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
