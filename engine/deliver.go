package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/store"
)

// flushState serialises deliveries: one flush at a time keeps each notifier's messages in
// order.
type flushState struct {
	mu       sync.Mutex           // one Flush at a time
	failedAt map[string]time.Time // notifier → when it last failed (guarded by mu)

	kickMu  sync.Mutex // guards running and again
	running bool       // a background flush loop runs
	again   bool       // a message arrived while it ran: flush once more
	wg      sync.WaitGroup
}

// notifierBackoff is how long a notifier that failed is left alone by later flushes: its
// own retry policy has just spent up to two minutes on it. Its messages wait in the outbox.
const notifierBackoff = 30 * time.Second

// deliver sends m through the outbox: it is written to the state directory first, so that a
// message survives a notifier outage, a crash or a kill, and then a delivery is started.
// Without a store the message is sent directly.
func (e *Engine) deliver(m notify.Message) {
	if e.opts.Store == nil {
		if err := e.send(e.ctx, m); err != nil {
			e.recordErr(err)
		}
		return
	}
	if _, err := e.opts.Store.Enqueue(m.Notifier, m); err != nil {
		e.log.Error("outbox: cannot store the message; sending it directly", "notifier", m.Notifier, "err", err)
		if err := e.send(e.ctx, m); err != nil {
			e.recordErr(err)
		}
		return
	}
	e.kickFlush()
}

// kickFlush delivers the outbox in the background: one loop at a time, which flushes once
// more when messages arrived while it ran.
func (e *Engine) kickFlush() {
	f := &e.flush
	f.kickMu.Lock()
	defer f.kickMu.Unlock()
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
				e.log.Debug("outbox: messages wait for the next attempt", "err", err)
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

// WaitDeliveries waits for background deliveries, or until ctx ends.
func (e *Engine) WaitDeliveries(ctx context.Context) error {
	done := make(chan struct{})
	go func() { e.flush.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// send delivers one message now.
func (e *Engine) send(ctx context.Context, m notify.Message) error {
	_, err := e.sendOnce(ctx, m)
	return err
}

// sendOnce delivers one message and says whether a failure may pass with time (an outage)
// or is about this message or configuration (retryable false).
func (e *Engine) sendOnce(ctx context.Context, m notify.Message) (retryable bool, err error) {
	entry, ok := e.notifier(m.Notifier)
	switch {
	case !ok:
		return false, fmt.Errorf("notifier %q is no longer in the rules", m.Notifier)
	case entry.err != nil:
		return false, entry.err
	}
	if retryable, err := entry.notifier.Notify(ctx, m); err != nil {
		return retryable, fmt.Errorf("rule %q: notify %q: %w", m.Rule, m.Notifier, err)
	}
	e.log.Info("delivered", "rule", m.Rule, "notifier", m.Notifier, "state", m.State)
	return false, nil
}

// Flush tries to deliver every message of the outbox, oldest first. When a notifier fails
// with an outage (timeouts, 5xx, 429 past the retry budget), its later messages wait behind
// the failed one, so they arrive in order, and the notifier is left alone for
// notifierBackoff; when a message itself is refused (a 400), it is kept and retried, but
// it does not hold back the messages after it. Failed messages are kept for later flushes
// (a later tick or run) until they are older than settings.outbox_max_age. Flush returns
// what is still undelivered.
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
		e.log.Error("OUTBOX: MESSAGE DROPPED UNDELIVERED: older than settings.outbox_max_age",
			"notifier", en.Notifier, "created", en.Created, "attempts", en.Attempts, "last_error", en.LastError, "max_age", maxAge)
		e.recordErr(fmt.Errorf("outbox: a message for %q created %s was dropped undelivered after %d attempts (last error: %s)",
			en.Notifier, en.Created.Format("2006-01-02 15:04:05"), en.Attempts, en.LastError))
	}
	pending, err := st.Pending()
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if e.flush.failedAt == nil {
		e.flush.failedAt = map[string]time.Time{}
	}
	blocked := map[string]error{}
	var undelivered []error
	for _, en := range pending {
		if err := blocked[en.Notifier]; err != nil {
			undelivered = append(undelivered, fmt.Errorf("a message for %q waits behind an undelivered one", en.Notifier))
			continue
		}
		if at, ok := e.flush.failedAt[en.Notifier]; ok && time.Since(at) < notifierBackoff {
			undelivered = append(undelivered, fmt.Errorf("a message for %q waits: the notifier failed %s ago", en.Notifier, time.Since(at).Round(time.Second)))
			continue
		}
		var m notify.Message
		if err := json.Unmarshal(en.Payload, &m); err != nil {
			e.log.Error("outbox: unreadable message dropped", "id", en.ID, "err", err)
			_ = st.Ack(en.ID)
			continue
		}
		if retryable, err := e.sendOnce(ctx, m); err != nil {
			undelivered = append(undelivered, err)
			if retryable {
				blocked[en.Notifier] = err
				e.flush.failedAt[en.Notifier] = time.Now()
			}
			e.log.Error("delivery failed; kept in the outbox for the next attempt", "rule", m.Rule, "notifier", en.Notifier,
				"attempts", en.Attempts+1, "err", err)
			if ferr := st.Fail(en.ID, store.Failure{Err: err, Retryable: retryable}); ferr != nil {
				e.log.Error("outbox: cannot record the failed attempt", "err", ferr)
			}
			continue
		}
		delete(e.flush.failedAt, en.Notifier)
		if err := st.Ack(en.ID); err != nil {
			e.log.Error("outbox: delivered but cannot remove the message; it may be sent again", "err", err)
		}
	}
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
