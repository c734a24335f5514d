package engine

import (
	"fmt"
	"sync"
	"time"

	"github.com/notimon/notimon/dsl"
)

// loopState is what RunDaemon's loop is doing, for Alive.
type loopState struct {
	mu    sync.Mutex
	what  string        // "tick", "reload", "shutdown"; "" while it waits for the next tick
	since time.Time     // when it started, on the engine's clock
	limit time.Duration // how long that may legitimately take
}

// StallMargin is how much longer than its probes can make it wait a tick may run before
// the daemon loop counts as stuck: evaluating, saving the state (an fsync on a slow disk),
// a machine under heavy load. It is also how long a reload may take.
const StallMargin = time.Minute

// busy records that the loop started what at the engine's now.
func (e *Engine) busy(what string, limit time.Duration) {
	now := e.now()
	e.loop.mu.Lock()
	e.loop.what, e.loop.since, e.loop.limit = what, now, limit
	e.loop.mu.Unlock()
}

// idle records that the loop waits for its next tick.
func (e *Engine) idle() {
	e.loop.mu.Lock()
	e.loop.what = ""
	e.loop.mu.Unlock()
}

// Alive reports whether RunDaemon's loop is alive at now (on the engine's clock): waiting
// for its next tick, or in a tick, reload or shutdown that has not run longer than it can
// legitimately take. A tick may take long (a probe waiting for its timeout, cpu measuring
// its first window) and is alive meanwhile; one that runs past TickLimit is stuck, and Alive
// says so. The systemd watchdog is pinged only while the loop is alive.
func (e *Engine) Alive(now time.Time) error {
	e.loop.mu.Lock()
	defer e.loop.mu.Unlock()
	if e.loop.what == "" {
		return nil
	}
	if ran := now.Sub(e.loop.since); ran > e.loop.limit {
		return fmt.Errorf("the %s that started at %s has run for %s, longer than it can take (%s)",
			e.loop.what, e.loop.since.Format(time.RFC3339), ran.Round(time.Second), e.loop.limit)
	}
	return nil
}

// TickLimit is how long a tick of cfg may run before the daemon loop counts as stuck:
// settings.interval, plus the longest a tick can wait for its probes (the longest timeout
// of any probe block; cpu's window times its samples), plus StallMargin. Probes are
// sampled concurrently, each under its own timeout, so a tick waits at most about the
// longest one; the default timeouts (5 s at most) are within the margin.
func TickLimit(cfg *dsl.Config) time.Duration {
	longest := time.Duration(0)
	for _, p := range cfg.Probes {
		if d, ok := p.Attrs["timeout"].(time.Duration); ok {
			longest = max(longest, d)
		}
		if w, ok := p.Attrs["window"].(time.Duration); ok {
			n, _ := p.Attrs["samples"].(float64)
			longest = max(longest, w*time.Duration(max(n, 1)))
		}
	}
	return cfg.Settings.Interval + longest + StallMargin
}
