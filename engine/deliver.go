package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/store"
)

// flushState serialises deliveries: one flush at a time keeps each notifier's messages in
// order.
type flushState struct {
	mu sync.Mutex // one Flush at a time

	kickMu  sync.Mutex // guards what follows
	running bool       // a background flush loop runs
	again   bool       // a message arrived while it ran: flush once more
	wg      sync.WaitGroup
	// retries is the context during which a timer wakes the flush loop when the next
	// waiting message is due (RunDaemon's); nil or ended: waiting messages are tried by
	// the next flush that comes anyway (a tick, a new message, the next run).
	retries context.Context
	timer   *time.Timer // the next wake-up

	// jitter returns a random duration in [0, d); nil means math/rand. Tests fix it.
	jitter func(d time.Duration) time.Duration

	// once is the delivery budget of the cron run in progress (RunOnce); nil in the
	// daemon. Guarded by mu.
	once *onceRun
}

// onceRun is what a cron run allows its deliveries: settings.delivery_budget of attempts in
// all (attempts are serialised by flushState.mu, so their sum is the run's delivery time),
// and one attempt per message: a message that failed in this run, a timeout included,
// waits in the outbox for the next run, so that a hung service costs at most one
// duplicate per message and run.
type onceRun struct {
	budget time.Duration
	left   time.Duration
	failed map[string]bool // outbox IDs
}

// The outbox's retry schedule, the only one: a notifier makes one attempt per call. After
// its n-th failed attempt a message waits retryBase × 2^(n−1), at most retryCap, less a
// random part of up to a half (so that notimons that lost the same API do not all come
// back in the same second). A failure that says how long to wait (Telegram's retry_after,
// an HTTP 429's Retry-After) is waited exactly that long, however long: the message waits
// in the outbox meanwhile, and outbox_max_age still bounds its life.
const (
	retryBase = time.Second
	retryCap  = time.Minute
)

// backoff is how long a message waits after its attempts-th failed attempt, when the
// service did not say.
func (e *Engine) backoff(attempts int) time.Duration {
	d := retryBase
	for i := 1; i < attempts && d < retryCap; i++ {
		d *= 2
	}
	d = min(d, retryCap)
	jitter := e.flush.jitter
	if jitter == nil {
		jitter = func(d time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(d))) }
	}
	return d - jitter(d/2)
}

// deliver sends m through the outbox: it is written to the state directory first, so that a
// message survives a notifier outage, a crash or a kill, and then a delivery is started.
// Without a store the message is sent directly, in one attempt. It returns the message's
// outbox ID, or "" when it was sent directly.
func (e *Engine) deliver(m notify.Message) (queued string) {
	if e.opts.Store == nil {
		if err := e.send(e.ctx, m); err != nil {
			e.recordErr(err)
		}
		return ""
	}
	en, err := e.opts.Store.Enqueue(m.Notifier, m)
	if err != nil {
		e.log.Error("outbox: cannot store the message; sending it directly", "notifier", m.Notifier, "err", err)
		if err := e.send(e.ctx, m); err != nil {
			e.recordErr(err)
		}
		return ""
	}
	e.kickFlush()
	return en.ID
}

// kickFlush delivers the outbox in the background: one loop at a time, which flushes once
// more when messages arrived while it ran.
func (e *Engine) kickFlush() {
	f := &e.flush
	f.kickMu.Lock()
	defer f.kickMu.Unlock()
	e.kickFlushLocked()
}

// kickFlushLocked is kickFlush with f.kickMu held.
func (e *Engine) kickFlushLocked() {
	f := &e.flush
	if f.running {
		f.again = true
		return
	}
	f.running = true
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			if err := e.Flush(e.ctx); err != nil {
				e.log.Debug("outbox: messages wait for their next attempt", "err", err)
			}
			f.kickMu.Lock()
			daemon := f.retries != nil
			f.kickMu.Unlock()
			if daemon { // a cron run sends its self-alerts at its end, within its budget
				e.HealthAlerts(e.ctx)
			}
			f.kickMu.Lock()
			if !f.again || e.ctx.Err() != nil {
				f.running = false
				f.kickMu.Unlock()
				return
			}
			f.again = false
			f.kickMu.Unlock()
		}
	}()
}

// flushDue reports whether the daemon's tick has anything to start a flush loop for: an
// outbox that is not known to be empty (a message waiting for its retry, or to expire), or
// a self-alert that may be due (a notifier failing or back, reloads failing). A quiet
// daemon then spends no goroutine and no directory listing on its outbox per tick; a
// message enqueued later starts its own flush (deliver).
func (e *Engine) flushDue() bool {
	if e.opts.Store == nil {
		return false
	}
	if !e.opts.Store.Empty() {
		return true
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.health) > 0 || len(e.recovered) > 0 || (e.reloadStatus != nil && !e.reloadStatus.OK)
}

// retryWhile makes a timer wake the delivery loop when the next waiting message is due,
// for as long as ctx lasts: RunDaemon's context, so that retries need not wait for a tick
// and a stop ends the timer instead of waiting for it. Without it (a cron run), a waiting
// message is tried by the next flush that comes anyway.
func (e *Engine) retryWhile(ctx context.Context) {
	f := &e.flush
	f.kickMu.Lock()
	f.retries = ctx
	f.kickMu.Unlock()
	context.AfterFunc(ctx, func() { e.armRetry(time.Time{}) })
}

// armRetry sets the wake-up for at (on the engine's clock), replacing the previous one;
// a zero at, or no retry context, clears it. The wake-up is a real timer for the span from
// the engine's now to at: it only wakes the loop, and whether a message is due is decided
// by Flush on the engine's clock.
func (e *Engine) armRetry(at time.Time) {
	f := &e.flush
	f.kickMu.Lock()
	defer f.kickMu.Unlock()
	if f.timer != nil {
		f.timer.Stop()
		f.timer = nil
	}
	ctx := f.retries
	if at.IsZero() || ctx == nil || ctx.Err() != nil {
		return
	}
	f.timer = time.AfterFunc(max(at.Sub(e.now()), 0), func() {
		f.kickMu.Lock()
		defer f.kickMu.Unlock()
		if ctx.Err() == nil { // checked under kickMu: see WaitDeliveries
			e.kickFlushLocked()
		}
	})
}

// WaitDeliveries waits for the delivery attempts in progress, or until ctx ends. It never
// waits for a retry: a message whose next attempt is not due yet waits in the outbox.
func (e *Engine) WaitDeliveries(ctx context.Context) error {
	// A retry timer that fires now either has started its flush already (wg counts it) or
	// will see its context ended: once a stop has ended it, no flush starts after this,
	// and the timer is cleared here.
	f := &e.flush
	f.kickMu.Lock()
	if f.timer != nil && f.retries != nil && f.retries.Err() != nil {
		f.timer.Stop()
		f.timer = nil
	}
	f.kickMu.Unlock()
	done := make(chan struct{})
	go func() { f.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// send delivers one message now, in one attempt.
func (e *Engine) send(ctx context.Context, m notify.Message) error {
	_, err := e.sendOnce(ctx, m)
	return err
}

// sendOnce makes one attempt to deliver m and says whether a failure may pass with time (an
// outage) or is about this message or configuration (retryable false).
func (e *Engine) sendOnce(ctx context.Context, m notify.Message) (retryable bool, err error) {
	defer func() { e.observeDelivery(m.Notifier, retryable, err) }()
	entry, ok := e.notifier(m.Notifier)
	switch {
	case !ok:
		return false, fmt.Errorf("notifier %q is no longer in the rules", m.Notifier)
	case entry.err != nil:
		e.noteAttempt(ctx, m.Notifier, entry.err)
		return false, entry.err
	}
	retryable, err = entry.notifier.Notify(ctx, m)
	e.noteAttempt(ctx, m.Notifier, err)
	if err != nil {
		return retryable, fmt.Errorf("rule %q: notify %q: %w", m.Rule, m.Notifier, err)
	}
	e.log.Info("delivered", "rule", m.Rule, "notifier", m.Notifier, "state", m.State)
	return false, nil
}

// Flush makes one attempt at every message of the outbox that is due, oldest first, and
// records each failure with the message's next attempt (see retryBase). When a notifier
// fails with an outage (timeouts, 5xx, 429), its later messages wait behind the failed one,
// so they arrive in order, until that one is due again and goes through; when a message
// itself is refused (a 400), it is kept and retried on the same schedule, but it does not
// hold back the messages after it. Failed messages are kept for later flushes (a retry
// timer in the daemon, a later tick or run) until they are older than
// settings.outbox_max_age. Flush never waits for a message to be due, and returns what is
// still undelivered.
func (e *Engine) Flush(ctx context.Context) error {
	st := e.opts.Store
	if st == nil {
		return nil
	}
	e.flush.mu.Lock()
	defer e.flush.mu.Unlock()
	maxAge := e.config().Settings.OutboxMaxAge
	if maxAge <= 0 {
		maxAge = dsl.DefaultOutboxMaxAge
	}
	expired, err := st.Expire(maxAge)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	for _, en := range expired {
		e.observeDropped(en.Notifier)
		e.log.Error("OUTBOX: MESSAGE DROPPED UNDELIVERED: older than settings.outbox_max_age",
			"notifier", en.Notifier, "created", en.Created, "attempts", en.Attempts, "last_error", en.LastError, "max_age", maxAge)
		e.recordErr(fmt.Errorf("outbox: a message for %q created %s was dropped undelivered after %d attempts (last error: %s)",
			en.Notifier, en.Created.Format("2006-01-02 15:04:05"), en.Attempts, en.LastError))
	}
	pending, err := st.Pending()
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	var next time.Time // the earliest next attempt of a message left waiting
	wake := func(at time.Time) {
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	blocked := map[string]bool{} // notifiers whose later messages wait behind an earlier one
	var undelivered []error
	for _, en := range pending {
		switch now := e.now(); {
		case ctx.Err() != nil:
			undelivered = append(undelivered, fmt.Errorf("a message for %q was not tried: %w", en.Notifier, ctx.Err()))
			continue
		case blocked[en.Notifier]:
			undelivered = append(undelivered, fmt.Errorf("a message for %q waits behind an undelivered one", en.Notifier))
			continue
		case en.NextAttempt.After(now):
			wake(en.NextAttempt)
			blocked[en.Notifier] = en.Retryable
			undelivered = append(undelivered, fmt.Errorf("a message for %q waits for its next attempt in %s (%d failed; last error: %s)",
				en.Notifier, en.NextAttempt.Sub(now).Round(time.Second), en.Attempts, en.LastError))
			continue
		}
		var m notify.Message
		if err := json.Unmarshal(en.Payload, &m); err != nil {
			e.log.Error("outbox: unreadable message dropped", "id", en.ID, "err", err)
			_ = st.Ack(en.ID)
			continue
		}
		if _, ok := e.notifier(en.Notifier); !ok {
			// Renamed or removed since: no attempt can ever succeed, so the message is
			// dropped now, once, rather than failing every run until outbox_max_age.
			e.observeDropped(en.Notifier)
			e.log.Error("OUTBOX: MESSAGE DROPPED UNDELIVERED: its notifier is no longer in the rules",
				"rule", m.Rule, "time", m.Time, "state", m.State, "notifier", en.Notifier, "created", en.Created)
			e.recordErr(fmt.Errorf("outbox: the message of rule %q at %s for notifier %q was dropped undelivered: notifier %q is no longer in the rules",
				m.Rule, m.Time.Format("2006-01-02 15:04:05"), en.Notifier, en.Notifier))
			if err := st.Ack(en.ID); err != nil {
				e.log.Error("outbox: cannot remove the message", "err", err)
			}
			continue
		}
		once := e.flush.once
		if once != nil && once.failed[en.ID] {
			blocked[en.Notifier] = en.Retryable
			undelivered = append(undelivered, fmt.Errorf("a message for %q failed in this run and waits for the next (last error: %s)", en.Notifier, en.LastError))
			continue
		}
		if once != nil && once.left <= 0 {
			undelivered = append(undelivered, fmt.Errorf("a message for %q was not tried: this run's settings.delivery_budget (%s) is spent", en.Notifier, once.budget))
			continue
		}
		m.Resume = notify.Parts{Sent: en.PartsSent, Of: en.Parts}
		attempt, cancelAttempt := ctx, context.CancelFunc(func() {})
		start := time.Now() // real time: the budget bounds real waits on the network
		if once != nil {
			attempt, cancelAttempt = context.WithTimeout(ctx, once.left)
		}
		retryable, err := e.sendOnce(attempt, m)
		cancelAttempt()
		if once != nil {
			once.left -= time.Since(start)
			if err != nil {
				once.failed[en.ID] = true
			}
		}
		if err == nil {
			if err := st.Ack(en.ID); err != nil {
				e.log.Error("outbox: delivered but cannot remove the message; it may be sent again", "err", err)
			}
			continue
		}
		undelivered = append(undelivered, err)
		if ctx.Err() != nil {
			// Cut short by a stop, not refused by the service: the message keeps its place
			// and its schedule for the next start.
			continue
		}
		f := store.Failure{Err: err, Retryable: retryable, PartsSent: en.PartsSent, Parts: en.Parts}
		if p, ok := notify.Delivered(err); ok {
			f.PartsSent, f.Parts = p.Sent, p.Of
		}
		wait := notify.RetryAfter(err)
		if wait <= 0 {
			wait = e.backoff(en.Attempts + 1)
		}
		f.NextAttempt = e.now().Add(wait)
		wake(f.NextAttempt)
		if retryable {
			blocked[en.Notifier] = true
			e.log.Error("delivery failed; kept in the outbox, the notifier's later messages wait behind it",
				"rule", m.Rule, "notifier", en.Notifier, "attempts", en.Attempts+1, "next_attempt_in", wait.Round(time.Millisecond), "err", err)
		} else {
			e.log.Error("delivery refused; kept in the outbox and tried again later, without holding back the messages after it",
				"rule", m.Rule, "notifier", en.Notifier, "attempts", en.Attempts+1, "next_attempt_in", wait.Round(time.Millisecond), "err", err)
		}
		if ferr := st.Fail(en.ID, f); ferr != nil {
			e.log.Error("outbox: cannot record the failed attempt", "err", ferr)
		}
	}
	e.armRetry(next)
	return errors.Join(undelivered...)
}

// Wait lets running chains and deliveries finish. When ctx ends first, chains are stopped
// at their current step (their cursors are saved, the next run resumes them) and Wait
// returns ctx's error.
func (e *Engine) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		e.cancel()
		<-done
		return ctx.Err()
	}
}

// Stop stops chains at their current step and waits for them.
func (e *Engine) Stop() {
	e.cancel()
	e.wg.Wait()
}

// recordErr keeps a chain or delivery failure for Errs.
func (e *Engine) recordErr(err error) {
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
}

// Errs returns the chain and delivery failures recorded since the last call.
func (e *Engine) Errs() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	errs := e.errs
	e.errs = nil
	return errs
}
