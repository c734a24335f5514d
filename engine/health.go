package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/notimon/notimon/dsl"
)

// NotifierHealth is the delivery record of a notifier that is failing: kept in the state
// file, so that an outage is measured across cron runs and restarts. A delivery that goes
// through ends the episode and removes the record.
type NotifierHealth struct {
	// FailingSince is the first failed attempt since the last delivery.
	FailingSince time.Time `json:"failing_since"`
	// LastFailure and LastError are the latest failed attempt (the error cut to
	// maxHealthError bytes).
	LastFailure time.Time `json:"last_failure"`
	LastError   string    `json:"last_error,omitempty"`
	// Alerted is when the other notifiers were last told about this episode (zero: not yet).
	Alerted time.Time `json:"alerted,omitzero"`
}

// SelfAlertEvery is how often a self-alert about a fault that lasts is repeated: a
// notifier that keeps failing, a reload that keeps failing, a state directory that cannot
// be written (cron mode).
const SelfAlertEvery = time.Hour

// maxHealthError bounds the error text kept and sent about a failing notifier or reload.
const maxHealthError = 500

// noteAttempt records the outcome of one delivery attempt for name's health. An attempt cut
// short by a stop (ctx canceled) says nothing about the service and is not counted; a
// timeout is.
func (e *Engine) noteAttempt(ctx context.Context, name string, err error) {
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		return
	}
	now := e.now()
	e.mu.Lock()
	h := e.health[name]
	if err == nil {
		if h == nil {
			e.mu.Unlock()
			return
		}
		delete(e.health, name)
		if !h.Alerted.IsZero() {
			e.recovered = append(e.recovered, selfNote{
				skip: name, recovery: true,
				text: fmt.Sprintf("notimon: notifier %q delivers again (it failed from %s, for %s).",
					name, stamp(h.FailingSince), roundDur(now.Sub(h.FailingSince))),
			})
		}
		e.mu.Unlock()
		e.log.Info("notifier delivers again", "notifier", name, "failing_since", h.FailingSince, "for", roundDur(now.Sub(h.FailingSince)))
		e.save()
		return
	}
	first := h == nil
	if first {
		if e.health == nil {
			e.health = map[string]*NotifierHealth{}
		}
		h = &NotifierHealth{FailingSince: now}
		e.health[name] = h
	}
	h.LastFailure, h.LastError = now, dsl.CapText(e.cfg.Redact(err.Error()), maxHealthError)
	e.mu.Unlock()
	if first {
		e.save() // the episode's start must survive the run: it is what is measured
	}
}

// selfNote is one self-alert to send: text, to every notifier but skip.
type selfNote struct {
	text, skip string
	recovery   bool // good news: logged at INFO
}

// HealthAlerts sends the self-alerts that are due (nothing without a store: there is no
// memory to rate-limit them with): to the other notifiers about a notifier that has failed
// for settings.notifier_alert_after (then at most every SelfAlertEvery while its attempts
// keep failing) and once when it delivers again; to every notifier about reloads that
// have failed for that long (the daemon), likewise repeated, and once when they work
// again. Each goes out in one attempt per notifier, without the outbox, and is logged at
// ERROR (or INFO for a recovery) whether or not anyone could be told. Nothing is sent
// once ctx has ended (a cron run's spent delivery budget): what is due stays due.
func (e *Engine) HealthAlerts(ctx context.Context) {
	if e.opts.Store == nil || e.opts.DryRun || ctx.Err() != nil {
		return
	}
	cfg := e.config()
	after := cfg.Settings.NotifierAlertAfter
	if after <= 0 {
		after = dsl.DefaultNotifierAlertAfter
	}
	now := e.now()
	var notes []selfNote
	changed := false
	e.mu.Lock()
	for name, h := range e.health {
		if _, ok := e.notifiers[name]; !ok {
			delete(e.health, name) // no longer declared: nothing to measure
			changed = true
			continue
		}
		if now.Sub(h.FailingSince) < after {
			continue
		}
		if !h.Alerted.IsZero() && (now.Sub(h.Alerted) < SelfAlertEvery || !h.LastFailure.After(h.Alerted)) {
			continue // told within the hour, or no attempt has failed since
		}
		h.Alerted = now
		notes = append(notes, selfNote{skip: name, text: fmt.Sprintf(
			"notimon: notifier %q has failed since %s (%s): %s. Its messages wait in the outbox (kept for settings.outbox_max_age).",
			name, stamp(h.FailingSince), roundDur(now.Sub(h.FailingSince)), strings.TrimSuffix(h.LastError, "."))})
	}
	slices.SortFunc(notes, func(a, b selfNote) int { return strings.Compare(a.skip, b.skip) })
	if rs := e.reloadStatus; rs != nil && !rs.OK && !rs.FailingSince.IsZero() && now.Sub(rs.FailingSince) >= after &&
		(e.reloadAlerted.IsZero() || now.Sub(e.reloadAlerted) >= SelfAlertEvery) {
		e.reloadAlerted = now
		first, _, _ := strings.Cut(rs.Error, "\n")
		notes = append(notes, selfNote{text: fmt.Sprintf(
			"notimon: reloading the rules has failed since %s (%s): %s. The previous rules keep running; `notimon validate` lists the problems.",
			stamp(rs.FailingSince), roundDur(now.Sub(rs.FailingSince)), dsl.CapText(first, maxHealthError))})
	}
	notes = append(notes, e.recovered...)
	e.recovered = nil
	e.mu.Unlock()
	if len(notes) == 0 && !changed {
		return
	}
	for _, n := range notes {
		text := cfg.Redact(n.text)
		if n.recovery {
			e.log.Info("self-alert", "text", text)
		} else {
			e.log.Error("SELF-ALERT", "text", text)
		}
		sent, errs := e.selfAlert(ctx, now, text, n.skip)
		for _, err := range errs {
			e.log.Error("self-alert not delivered", "err", err)
			e.recordErr(err)
		}
		if sent == 0 && len(errs) == 0 {
			e.log.Error("self-alert: there is no other notifier to tell", "text", text)
		}
	}
	e.save()
}

// reloadRecovered notes, once reloads work again after a self-alert about them, that the
// notifiers are to be told. e.mu is held.
func (e *Engine) reloadRecovered(since time.Time, now time.Time) {
	if e.reloadAlerted.IsZero() {
		return
	}
	e.reloadAlerted = time.Time{}
	e.recovered = append(e.recovered, selfNote{recovery: true, text: fmt.Sprintf(
		"notimon: reloading the rules works again (it failed from %s, for %s).", stamp(since), roundDur(now.Sub(since)))})
}

// stamp formats a time for a self-alert.
func stamp(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") }

// roundDur rounds d for a person: to the second, or the minute beyond an hour.
func roundDur(d time.Duration) time.Duration {
	if d >= time.Hour {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}
