package engine

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/internal/syncbuf"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
)

// TestLastReloadRecovers drives RunDaemon's reloads through every outcome and reads
// last_reload back from the state store after each: a failure, then files that are valid
// again but equal the running rules (Load says "unchanged"), then a failure whose
// diagnostics are huge, then a real reload.
func TestLastReloadRecovers(t *testing.T) {
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
`)
	huge := strings.Repeat("rules.d/99-big.hcl:1:1: error: Unsupported block type — 블록\n", 2000)
	type outcome struct {
		cfg *dsl.Config
		err error
	}
	outcomes := make(chan outcome, 1)
	clk := &clock{now: t0}
	st, err := store.Open(t.TempDir(), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logs syncbuf.Buffer
	e := New(v1, Options{
		Sampler: recorded(probes.Snapshot{CPU: cpu.Values{Pct: 10}}, nil), Store: st, Now: clk.Now,
		Stdout: &syncbuf.Buffer{}, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	reload := make(chan struct{})
	ticks := make(chan time.Time)
	ticked := make(chan struct{})
	reloaded := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- e.RunDaemon(ctx, DaemonOptions{
			Load:     func() (*dsl.Config, error) { o := <-outcomes; return o.cfg, o.err },
			Reload:   reload,
			After:    func(time.Duration) <-chan time.Time { return ticks },
			Ticked:   func(*Report) { ticked <- struct{}{} },
			Reloaded: func() { reloaded <- struct{}{} },
		})
	}()
	// step has the daemon reload with o, then tick once, so that the reload is over and
	// saved when it returns the saved last_reload.
	step := func(o outcome) *ReloadStatus {
		t.Helper()
		clk.Set(clk.Now().Add(time.Minute))
		outcomes <- o
		reload <- struct{}{}
		<-reloaded
		ticks <- clk.Now()
		<-ticked
		var doc persisted
		if _, err := st.Load(&doc); err != nil {
			t.Fatal(err)
		}
		return doc.Reload // nil when no reload was recorded, or nothing saved at all
	}
	ticks <- t0
	<-ticked

	if r := step(outcome{nil, nil}); r != nil {
		t.Errorf("unchanged rules with no failure before recorded a reload: %+v", r)
	}
	if r := step(outcome{nil, errors.New("rules.d/20-broken.hcl:1:1: error: Unsupported block type")}); r == nil || r.OK || !strings.Contains(r.Error, "20-broken.hcl:1:1") {
		t.Fatalf("after a broken save: last_reload %+v", r)
	}
	r := step(outcome{nil, nil}) // the broken file was removed: the files equal the running rules
	if r == nil || !r.OK || r.Error != "" || !r.Time.Equal(clk.Now()) {
		t.Errorf("files valid again, equal to the running rules: last_reload %+v, want ok at %v", r, clk.Now())
	}
	if n := strings.Count(logs.String(), "rules are valid again"); n != 1 {
		t.Errorf("%d lines say the rules are valid again, want 1:\n%s", n, logs.String())
	}
	if r2 := step(outcome{nil, nil}); r2 == nil || !r2.Time.Equal(r.Time) {
		t.Errorf("an unchanged reload after a good one recorded a new reload: %+v", r2)
	}

	r = step(outcome{nil, errors.New(huge)})
	if r == nil || r.OK || len(r.Error) > maxReloadError+200 || !utf8.ValidString(r.Error) ||
		!strings.HasPrefix(huge, r.Error[:maxReloadError/2]) || !strings.Contains(r.Error, "more bytes") {
		t.Errorf("a huge error is kept as %d bytes (valid UTF-8 %v), want at most about %d and a note", len(r.Error), utf8.ValidString(r.Error), maxReloadError)
	}
	if n := strings.Count(logs.String(), "99-big.hcl:1:1"); n != 2000 {
		t.Errorf("the log has %d of the huge error's 2000 lines: it should have them all", n)
	}
	if r := step(outcome{v2, nil}); r == nil || !r.OK || r.Error != "" {
		t.Errorf("after a good reload: last_reload %+v", r)
	}
	if !strings.Contains(logs.String(), "msg=\"rules reloaded\" rules=1 notifiers=1") || !strings.Contains(logs.String(), "valid_again=true") {
		t.Errorf("the reload after a failure is not logged as valid again:\n%s", tail(logs.String(), 2))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func TestCapReloadError(t *testing.T) {
	if got := capReloadError("short"); got != "short" {
		t.Errorf("capReloadError(short) = %q", got)
	}
	// A cut that would fall inside a 3-byte character moves before it.
	s := strings.Repeat("a", maxReloadError-1) + "블록"
	got := capReloadError(s)
	if !strings.HasPrefix(got, strings.Repeat("a", maxReloadError-1)+"\n…") || !utf8.ValidString(got) ||
		!strings.Contains(got, "(6 more bytes") {
		t.Errorf("capReloadError cut at %q", got[maxReloadError-3:])
	}
}
