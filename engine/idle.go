package engine

import (
	"context"
	"time"
)

// WaitIdle waits until the engine has nothing to do before its clock moves on: every chain
// has finished or waits in a wait step that ends after Options.Now, and no delivery is in
// progress. It returns when the earliest of those waits ends (zero when no chain waits).
// A simulated clock (notimon test) moves to that time and calls WaitIdle again: a chain
// whose wait has ended counts as busy until it has moved on. Call it from the goroutine
// that calls Tick; it returns ctx's error when ctx ends first.
func (e *Engine) WaitIdle(ctx context.Context) (time.Time, error) {
	if next, idle := e.Idle(); idle {
		return next, nil
	}
	for {
		now := e.now()
		e.mu.Lock()
		next, idle := e.idleAt(now)
		gen := e.gen
		changed := e.changedChan()
		e.mu.Unlock()
		if !idle {
			select {
			case <-changed:
				continue
			case <-ctx.Done():
				return time.Time{}, ctx.Err()
			}
		}
		// Chains wait or are done, so no delivery starts now; let those under way end.
		// (Without a store there are none: a chain sends its messages itself.)
		if e.opts.Store != nil {
			if err := e.WaitDeliveries(ctx); err != nil {
				return time.Time{}, err
			}
		}
		e.mu.Lock()
		same := e.gen == gen
		e.mu.Unlock()
		if same {
			return next, nil
		}
	}
}

// Idle reports, without waiting, whether the engine is idle as WaitIdle means it, and when
// the earliest wait of a chain ends (zero when none waits).
func (e *Engine) Idle() (next time.Time, idle bool) {
	now := e.now()
	e.mu.Lock()
	next, idle = e.idleAt(now)
	e.mu.Unlock()
	if !idle {
		return time.Time{}, false
	}
	f := &e.flush
	f.kickMu.Lock()
	delivering := f.running
	f.kickMu.Unlock()
	if delivering {
		return time.Time{}, false
	}
	return next, true
}

// idleAt reports whether every running chain waits past now, and the earliest end of
// those waits. e.mu is held.
func (e *Engine) idleAt(now time.Time) (next time.Time, idle bool) {
	for name, running := range e.running {
		if !running {
			continue
		}
		until, waits := e.waiting[name]
		if !waits || !until.After(now) {
			return time.Time{}, false
		}
		if next.IsZero() || until.Before(next) {
			next = until
		}
	}
	return next, true
}

// setWaiting records that rule's chain waits until then, or (zero) no longer waits.
func (e *Engine) setWaiting(rule string, until time.Time) {
	e.mu.Lock()
	if until.IsZero() {
		delete(e.waiting, rule)
	} else {
		e.waiting[rule] = until
	}
	e.changedLocked()
	e.mu.Unlock()
}

// changedLocked tells WaitIdle that a chain started, waits, woke or ended. e.mu is held.
func (e *Engine) changedLocked() {
	e.gen++
	if e.changed != nil {
		close(e.changed)
		e.changed = nil
	}
}

// changedChan is closed at the next change. e.mu is held.
func (e *Engine) changedChan() chan struct{} {
	if e.changed == nil {
		e.changed = make(chan struct{})
	}
	return e.changed
}
