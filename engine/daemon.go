package engine

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/notimon/notimon/dsl"
)

// DaemonOptions configure RunDaemon.
type DaemonOptions struct {
	// Load loads and validates the whole rules directory, usually RuleSource.LoadChanged.
	// It returns an error (with the diagnostics, file:line:col) when the rules have any
	// error; the engine then keeps the rules it runs. A nil configuration without error
	// means nothing changed.
	Load func() (*dsl.Config, error)
	// Reload says the rules may have changed: SIGHUP, the directory watcher, the periodic
	// content check.
	Reload <-chan struct{}
	// Hard, once closed, stops running chains at once (a second SIGTERM).
	Hard <-chan struct{}
	// Grace is how long running chains may go on after ctx ends (default 30 s).
	Grace time.Duration
	// After is time.After; tests replace it.
	After func(d time.Duration) <-chan time.Time
	// Ticked is called after every tick (systemd watchdog pings, tests).
	Ticked func(*Report)
	// Reloaded is called after each load's outcome is applied (tests).
	Reloaded func()
}

// loaded is the outcome of one load, made off the daemon loop.
type loaded struct {
	cfg   *dsl.Config
	err   error
	start time.Time
}

// DefaultGrace is how long running chains may finish after a stop signal.
const DefaultGrace = 30 * time.Second

// ReloadStatus is the outcome of the latest reload; it is kept in the state file, so a
// broken save stays visible after the log has scrolled away.
type ReloadStatus struct {
	Time  time.Time `json:"time"`
	OK    bool      `json:"ok"`
	Error string    `json:"error,omitempty"`
	// FailingSince is, while reloads fail, the first failed reload since the last good one.
	FailingSince time.Time `json:"failing_since,omitzero"`
}

// RunDaemon ticks every settings.interval until ctx ends, reloading the rules whenever
// Reload fires. The cadence starts when the first tick ends: that tick may block for the
// cpu window (no saved reading) or wait on slow probes, and the second tick then still
// comes a whole interval after the readings it measures from, not the few milliseconds
// left of the interval. Ticks never overlap: a tick that takes longer than the interval is
// followed by the next one at once. Loads run beside the ticks, and their rules are
// swapped in between two ticks. A reload with any error keeps the running rules and logs
// the diagnostics at error level. When ctx ends, ticking stops and the run ends as
// RunOnce ends one (finish): running chains get Grace to finish (or until Hard closes),
// deliveries in progress what is left of it, and the state is saved.
func (e *Engine) RunDaemon(ctx context.Context, o DaemonOptions) error {
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	after := o.After
	if after == nil {
		after = time.After
	}
	// Outbox retries wake on a timer rather than waiting for the next tick; a stop ends it.
	e.retryWhile(ctx)
	lastErrs := map[string]string{} // rule → its last error, to log each problem once
	timer := after(0)
	first := true
	// Loads run off this loop, so a slow load (a huge file, a slow disk) never delays a
	// tick; the new rules are swapped in here, between ticks. One load at a time: a reload
	// asked for during a load starts another when it ends.
	results := make(chan loaded, 1)
	loading, again := false, false
	startLoad := func() {
		loading, again = true, false
		go func() {
			start := time.Now()
			cfg, err := o.Load()
			results <- loaded{cfg, err, start}
		}()
	}
	for {
		select {
		case <-ctx.Done():
			e.busy("shutdown", o.Grace+StallMargin)
			return e.shutdown(o)
		case <-o.Reload:
			if loading {
				again = true
			} else {
				startLoad()
			}
			continue
		case r := <-results:
			loading = false
			e.busy("reload", StallMargin)
			e.reload(r)
			e.idle()
			if o.Reloaded != nil {
				o.Reloaded()
			}
			if again {
				startLoad()
			}
			continue
		case <-timer:
		}
		start := e.now()
		e.busy("tick", TickLimit(e.config()))
		rep := e.Tick(ctx, start)
		e.logChanges(rep, lastErrs)
		if e.flushDue() {
			e.kickFlush() // retries what earlier ticks could not deliver
		}
		e.idle() // before Ticked: a tick is over when Ticked hears of it
		if o.Ticked != nil {
			o.Ticked(rep)
		}
		if first {
			start, first = e.now(), false
		}
		wait := e.config().Settings.Interval - e.now().Sub(start)
		timer = after(max(wait, 0))
	}
}

// reload loads the rules and swaps them in, or keeps the running ones. After a failed
// reload, files that are valid again are recorded as a good reload and logged once, even
// when they equal the running rules (a broken file added, then removed) and nothing is
// swapped.
func (e *Engine) reload(r loaded) {
	start, cfg, err := r.start, r.cfg, r.err
	e.mu.Lock()
	prev := e.reloadStatus
	e.mu.Unlock()
	failing := prev != nil && !prev.OK
	status := ReloadStatus{Time: e.now(), OK: err == nil}
	switch {
	case err != nil:
		status.Error = capReloadError(err.Error())
		status.FailingSince = status.Time
		if failing && !prev.FailingSince.IsZero() {
			status.FailingSince = prev.FailingSince
		}
		e.log.Error("reload failed: the previous rules keep running", "err", err)
	case cfg == nil && !failing:
		e.log.Debug("rules unchanged; nothing to reload")
		return
	case cfg == nil:
		e.log.Info("rules are valid again; they equal the running rules, which keep running")
	default:
		e.Reload(cfg)
		args := []any{"rules", len(cfg.Rules), "notifiers", len(cfg.Notifiers), "took", time.Since(start).Round(time.Millisecond)}
		if failing {
			args = append(args, "valid_again", true)
		}
		e.log.Info("rules reloaded", args...)
	}
	e.mu.Lock()
	e.reloadStatus = &status
	if status.OK && failing {
		e.reloadRecovered(prev.FailingSince, status.Time)
	}
	e.mu.Unlock()
	if f := e.opts.Observer.Reload; f != nil {
		f(status)
	}
	e.save()
}

// maxReloadError bounds last_reload.error in the state file: a directory full of broken
// files can produce megabytes of diagnostics, which the log has in full.
const maxReloadError = 4096

// capReloadError cuts s to maxReloadError bytes, on a character boundary, and says so.
func capReloadError(s string) string {
	if len(s) <= maxReloadError {
		return s
	}
	n := maxReloadError
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + fmt.Sprintf("\n… (%d more bytes: the log has them all, and `notimon validate` lists every problem)", len(s)-n)
}

// logChanges logs a rule's evaluation error when it appears or changes, not on every tick.
func (e *Engine) logChanges(rep *Report, last map[string]string) {
	for _, v := range rep.Verdicts {
		name := v.Rule.Name
		switch {
		case v.Err != nil && last[name] != v.Err.Error():
			e.log.Warn("rule is unknown this tick", "rule", name, "err", v.Err)
			last[name] = v.Err.Error()
		case v.Err == nil && last[name] != "":
			e.log.Info("rule evaluates again", "rule", name)
			delete(last, name)
		}
	}
	for _, err := range e.Errs() {
		e.log.Error("action failed", "err", err)
	}
}

// shutdown ends the daemon as RunOnce ends a run (finish), with the grace period or the
// hard stop as its deadline, saves the state and logs what failed.
func (e *Engine) shutdown(o DaemonOptions) error {
	e.log.Info("stopping: letting running chains finish", "grace", o.Grace)
	ctx, cancel := context.WithTimeout(context.Background(), o.Grace)
	defer cancel()
	go func() {
		select {
		case <-o.Hard:
			cancel()
		case <-ctx.Done():
		}
	}()
	var errs []error
	chains, deliveries := e.finish(ctx)
	if chains != nil {
		errs = append(errs, fmt.Errorf("chains still running were stopped; they resume on the next start: %w", chains))
	}
	if deliveries != nil {
		e.log.Warn("undelivered messages stay in the outbox for the next start")
	}
	if err := e.Save(); err != nil {
		errs = append(errs, err)
	}
	for _, err := range e.Errs() {
		e.log.Error("action failed", "err", err)
	}
	return errors.Join(errs...)
}
