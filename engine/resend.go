package engine

import (
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/dsl"
)

// Resends: a notifier whose kind forgets an alert that is not sent again (spec.Notifier
// .Resend: an Alertmanager ends an alert resolve_timeout after it last heard of it) gets
// the last firing message of each firing rule again every resend period, as Prometheus
// re-sends its firing alerts every resend_delay. This is the notifier's business, not the
// rule's: the rule's repeat, its other notifiers and `notimon test` see none of it.
//
//	notify step to such a notifier, rule still firing ──▶ RuleState.Resend[notifier] = message
//	tick, rule firing, resend period passed since    ──▶ the same message queued again
//	resolve chain starts                               ──▶ a resolved copy (endsAt = resolve time)
//	                                                       to each such notifier on_resolve does
//	                                                       not notify itself; the entries dropped
//
// The entries live in the rule's state, so cron runs resend too. A copy still waiting in the
// outbox (the service is down) is not queued again: an outage does not fill the outbox with
// one copy per period.

// resendEarly lets a resend go on the tick before it is due when that tick comes at most a
// tenth of the period early: with cron every minute and resend_delay "1m", a run that
// starts a few milliseconds early must not push the resend to the run after.
const resendEarly = 10

// remember keeps m, just queued (as queued; "" when sent directly) by a chain of the rule
// called rule, for resending when its notifier wants that and the message belongs to the
// firing the rule is in.
func (e *Engine) remember(rule string, c *Cursor, entry notifierEntry, m notify.Message, queued string) {
	if entry.resend <= 0 || c.Chain == ChainResolve {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	st, ok := e.states[rule]
	if !ok || st.State != Firing || !st.FiringSince.Equal(c.FiringSince) {
		return // resolved (or fired anew) while the chain ran: nothing to keep alive
	}
	if st.Resend == nil {
		st.Resend = map[string]*Resent{}
	}
	st.Resend[m.Notifier] = &Resent{Message: m, At: m.Time, Queued: queued}
}

// resendJob is one message due to be sent again.
type resendJob struct {
	rule, notifier string
	prev           *Resent
}

// dueResends lists the messages of firing rules whose resend period has passed at now,
// but for notifiers that a chain this tick queued (queued, by rule) notifies anyway with
// a message rendered afresh: a repeat, a catch-up after a silence. e.mu is held.
func (e *Engine) dueResends(verdicts []Verdict, queued map[string]ChainKind, now time.Time) []resendJob {
	var jobs []resendJob
	for _, v := range verdicts {
		st := e.states[v.Rule.Name]
		if st == nil || st.State != Firing || v.Event == Fired || len(st.Resend) == 0 {
			continue
		}
		chain, sending := queued[v.Rule.Name]
		for name, rs := range st.Resend {
			entry, ok := e.notifiers[name]
			if !ok || entry.resend <= 0 || !rs.Message.StartsAt.Equal(st.FiringSince) {
				continue
			}
			if sending && notifies(steps(v.Rule, chain), name) {
				continue
			}
			if now.Sub(rs.At) >= entry.resend-entry.resend/resendEarly {
				jobs = append(jobs, resendJob{rule: v.Rule.Name, notifier: name, prev: rs})
			}
		}
	}
	return jobs
}

// resend queues each job's message again, stamped now, and reports whether a rule's state
// changed (worth a save).
func (e *Engine) resend(jobs []resendJob, now time.Time) (changed bool) {
	for _, j := range jobs {
		if j.prev.Queued != "" && e.opts.Store != nil {
			if waiting, err := e.opts.Store.Queued(j.prev.Queued); err != nil || waiting {
				e.log.Debug("resend skipped: the previous copy is still in the outbox", "rule", j.rule, "notifier", j.notifier, "err", err)
				continue
			}
		}
		m := j.prev.Message
		m.Time = now
		queued := e.deliver(m)
		e.log.Debug("firing alert sent again", "rule", j.rule, "notifier", j.notifier)
		e.mu.Lock()
		if st := e.states[j.rule]; st != nil && st.Resend[j.notifier] == j.prev {
			st.Resend[j.notifier] = &Resent{Message: j.prev.Message, At: now, Queued: queued}
			changed = true
		}
		e.mu.Unlock()
	}
	return changed
}

// resolveResent runs as the rule's resolve chain c starts: the messages kept for resending
// from the firing it ends (or an earlier one) are dropped, and each notifier they were for
// that on_resolve does not notify itself gets the last one again, resolved, ending when the
// rule resolved, so the service ends the alert now rather than when it times out.
func (e *Engine) resolveResent(r *dsl.Rule, c Cursor) {
	var out []notify.Message
	e.mu.Lock()
	if st := e.states[r.Name]; st != nil {
		for name, rs := range st.Resend {
			if rs.Message.StartsAt.After(c.FiringSince) {
				continue // a later firing's (it fired again before this chain ran)
			}
			delete(st.Resend, name)
			if _, ok := e.notifiers[name]; !ok || notifies(r.Resolve, name) || !rs.Message.StartsAt.Equal(c.FiringSince) {
				continue
			}
			m := rs.Message
			m.State, m.EndsAt, m.Time = "resolved", c.ResolvedAt, e.now()
			out = append(out, m)
		}
		if len(st.Resend) == 0 {
			st.Resend = nil
		}
	}
	e.mu.Unlock()
	for _, m := range out {
		e.deliver(m)
		e.log.Info("resolved alert sent to the notifier that had the firing one", "rule", r.Name, "notifier", m.Notifier)
	}
	if len(out) > 0 {
		e.save()
	}
}

// notifies says whether one of steps sends a message to the notifier called name.
func notifies(steps []*dsl.Step, name string) bool {
	for _, s := range steps {
		if s.Message != nil && s.Notifier == name {
			return true
		}
	}
	return false
}
