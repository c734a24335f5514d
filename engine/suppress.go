package engine

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/control"
)

// Suppression is what is held back for a rule at one moment, and why. A suppressed rule is
// still evaluated and still moves through its lifecycle; only the steps are held back.
type Suppression struct {
	Notify bool `json:"notify,omitempty"` // notify and renotify steps
	Exec   bool `json:"exec,omitempty"`   // exec steps
	// Reason is human text for logs, explain and status: "silence 1a2b3c4d (rule=web*, by
	// alice: "deploy") until …".
	Reason string `json:"reason,omitempty"`
	// CatchUp heads the one notification sent when the rule still fires once nothing
	// suppresses it any more and a notification was held back ("still firing after the
	// silence").
	CatchUp string `json:"catch_up,omitempty"`
}

// suppressor is one source of suppression; ok is false when it holds nothing back for r at
// now. It is called with e.mu held, from Tick and from the chains' goroutines, and must not
// block: what it reads from disk is read by Tick beforehand (refreshControl).
type suppressor func(e *Engine, cfg *dsl.Config, r *dsl.Rule, now time.Time) (Suppression, bool)

// suppressors are every source of suppression, in the order their reasons are listed.
var suppressors = []suppressor{silenced, inMaintenance, parentFiring}

// CatchUpAfterSilence heads the notification sent when a silence ends while its rule fires.
const CatchUpAfterSilence = "still firing after the silence"

// silenced holds back the notifications of a rule that an active silence selects (and its
// exec steps when a silence says no_exec).
func silenced(e *Engine, _ *dsl.Config, r *dsl.Rule, now time.Time) (Suppression, bool) {
	list := e.control.Silencing(r.Name, r.Labels, now)
	if len(list) == 0 {
		return Suppression{}, false
	}
	s := Suppression{Notify: true, CatchUp: CatchUpAfterSilence}
	reasons := make([]string, len(list))
	for i, sil := range list {
		reasons[i] = sil.Describe()
		s.Exec = s.Exec || sil.NoExec
	}
	s.Reason = strings.Join(reasons, "; ")
	return s, true
}

// suppression combines every suppressor's verdict for r at now. e.mu is held.
func (e *Engine) suppression(cfg *dsl.Config, r *dsl.Rule, now time.Time) Suppression {
	var out Suppression
	var reasons []string
	for _, s := range suppressors {
		sup, ok := s(e, cfg, r, now)
		if !ok {
			continue
		}
		out.Notify = out.Notify || sup.Notify
		out.Exec = out.Exec || sup.Exec
		if sup.Reason != "" {
			reasons = append(reasons, sup.Reason)
		}
		if out.CatchUp == "" && sup.Notify {
			out.CatchUp = sup.CatchUp
		}
	}
	out.Reason = strings.Join(reasons, "; ")
	return out
}

// Held records notifications held back in a rule's current incident since the last one
// that went out: a catch-up is owed once nothing suppresses the rule any more.
type Held struct {
	Since  time.Time `json:"since"`  // when the first was held back
	Last   time.Time `json:"last"`   // when the latest was
	Steps  int       `json:"steps"`  // how many notify steps were held back
	Reason string    `json:"reason"` // why the latest was
	// CatchUp heads the catch-up notification (Suppression.CatchUp).
	CatchUp string `json:"catch_up,omitempty"`
}

// ControlSource is where the engine reads the operator's silences and acks on every tick
// (control.Reader reads the state directory's files), and clears an ack when its rule
// resolves.
type ControlSource interface {
	Read(now time.Time) (control.Set, error)
	ClearAck(rule string, firingSince time.Time) error
}

// SuppressedStep is a step that suppression held back (Options.Suppressed).
type SuppressedStep struct {
	Rule   string
	Chain  ChainKind
	Step   *dsl.Step
	Reason string
	Time   time.Time
}

// refreshControl reads the silences and acks for a tick at now. A file that cannot be read
// keeps what was read last and is logged once per distinct error.
func (e *Engine) refreshControl(now time.Time) {
	src := e.opts.Control
	if src == nil {
		return
	}
	set, err := src.Read(now)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.control = set
	if msg != e.controlErr {
		if msg != "" {
			e.log.Error("cannot read silences or acks; the last ones read stay in force", "err", err)
			e.errs = append(e.errs, err)
		} else {
			e.log.Info("silences and acks readable again")
		}
		e.controlErr = msg
	}
}

// operate applies suppression and acks to rule r after a tick's transition (prev → st, event
// ev) and returns the chain to queue for the event, if any. e.mu is held.
func (e *Engine) operate(cfg *dsl.Config, r *dsl.Rule, prev RuleState, st *RuleState, ev Event, now time.Time, values map[string]any) (queue *Cursor, clearAck bool) {
	sup := e.suppression(cfg, r, now)
	st.Suppressed = nil
	if sup.Notify || sup.Exec {
		st.Suppressed = &sup
	}
	switch ev {
	case Fired: // a new incident: nothing held, announced or acknowledged yet
		st.Held, st.Announced, st.Ack = nil, false, nil
	case Resolved:
		st.Held, st.Announced, st.Ack = nil, false, nil
	}
	if st.State == Firing {
		st.Ack = nil
		if a, ok := e.control.Ack(r.Name, st.FiringSince); ok {
			st.Ack = &a
		}
	}
	switch ev {
	case Fired:
		return &Cursor{Chain: ChainFire, FiringSince: now, Values: values}, false
	case Repeated:
		switch {
		case st.Ack != nil:
			e.log.Info("repeat skipped: the incident is acknowledged", "rule", r.Name, "ack", st.Ack.Describe())
			return nil, false
		case len(st.Chains) > 0: // a chain still running will have said it all
			// Not sent: the next tick tries again, instead of waiting a whole period.
			st.LastNotified = prev.LastNotified
			e.log.Info("repeat deferred: the rule's chain is still running", "rule", r.Name)
			return nil, false
		}
		c := &Cursor{Chain: ChainRepeat, FiringSince: prev.FiringSince, Values: values}
		if st.Held != nil && !sup.Notify {
			c.Chain, c.Note = ChainCatchUp, st.Held.CatchUp
		}
		return c, false
	case Resolved:
		c := &Cursor{Chain: ChainResolve, FiringSince: prev.FiringSince, ResolvedAt: now, Values: values}
		// The resolve of an incident whose firing was never announced would answer a
		// question nobody was asked.
		c.Unannounced = prev.Held != nil && !prev.Announced
		_, acked := e.control.Acks[r.Name]
		return c, prev.Ack != nil || acked
	}
	// Still firing, a notification held back, and nothing holds it back any more: one
	// catch-up, then the repeat schedule resumes from it. An acknowledged incident needs
	// none, and a chain still running sends its own notifications.
	if st.State == Firing && st.Held != nil && !sup.Notify && st.Ack == nil && len(st.Chains) == 0 {
		st.LastNotified = now
		return &Cursor{Chain: ChainCatchUp, FiringSince: st.FiringSince, Values: values, Note: st.Held.CatchUp}, false
	}
	return nil, false
}

// clearAcks removes the acks of rules that resolved (outside e.mu: it writes a file).
func (e *Engine) clearAcks(acks []clearedAck) {
	if e.opts.Control == nil {
		return
	}
	var errs []error
	for _, a := range acks {
		if err := e.opts.Control.ClearAck(a.rule, a.firingSince); err != nil {
			errs = append(errs, err)
		} else {
			e.log.Info("ack cleared: the rule resolved", "rule", a.rule)
		}
	}
	if err := errors.Join(errs...); err != nil {
		e.log.Error("cannot clear the ack of a resolved rule", "err", err)
		e.recordErr(err)
	}
}

type clearedAck struct {
	rule        string
	firingSince time.Time
}

// stepSuppression says whether step of chain c is held back now, and why. e.mu is not held.
func (e *Engine) stepSuppression(cfg *dsl.Config, r *dsl.Rule, step *dsl.Step, c *Cursor) (string, bool) {
	notify := step.Kind == dsl.StepNotify || step.Kind == dsl.StepRenotify
	if notify && c.Chain == ChainResolve {
		if c.Unannounced {
			return "the firing of this incident was never announced (its notifications were held back)", true
		}
		return "", false // an announced incident's resolve is sent, silenced or not
	}
	if !notify && step.Kind != dsl.StepExec {
		return "", false
	}
	e.mu.Lock()
	sup := e.suppression(cfg, r, e.now())
	e.mu.Unlock()
	if (notify && sup.Notify) || (step.Kind == dsl.StepExec && sup.Exec) {
		return sup.Reason, true
	}
	return "", false
}

// holdStep records a notify or exec step that suppression held back: a log line, the rule's
// state (Held, for the catch-up and explain), and Options.Suppressed.
func (e *Engine) holdStep(cfg *dsl.Config, r *dsl.Rule, step *dsl.Step, c *Cursor, reason string) {
	now := e.now()
	notify := step.Kind == dsl.StepNotify || step.Kind == dsl.StepRenotify
	if notify {
		e.log.Info("notification suppressed", "rule", r.Name, "chain", string(c.Chain), "notifier", step.Notifier, "reason", reason)
	} else {
		e.log.Info("exec step suppressed", "rule", r.Name, "chain", string(c.Chain), "program", programName(step), "reason", reason)
	}
	if notify && c.Chain != ChainResolve {
		e.mu.Lock()
		st := e.state(r.Name)
		sup := e.suppression(cfg, r, now)
		if st.Held == nil {
			st.Held = &Held{Since: now}
		}
		st.Held.Last, st.Held.Reason = now, reason
		st.Held.Steps++
		if sup.CatchUp != "" {
			st.Held.CatchUp = sup.CatchUp
		}
		e.mu.Unlock()
	}
	if e.opts.Suppressed != nil {
		e.opts.Suppressed(SuppressedStep{Rule: r.Name, Chain: c.Chain, Step: step, Reason: reason, Time: now})
	}
}

// announced records that a notification of the rule's firing went out: nothing is held
// back any more.
func (e *Engine) announced(r *dsl.Rule, c *Cursor) {
	if c.Chain == ChainResolve {
		return
	}
	e.mu.Lock()
	st := e.state(r.Name)
	st.Held, st.Announced = nil, true
	e.mu.Unlock()
}

// opInfo is what messages read of the operator's doings (rule.acked, rule.silenced …).
func (e *Engine) opInfo(r *dsl.Rule, c *Cursor) (info dsl.RuleInfo) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.opInfoLocked(r, c)
}

// opInfoLocked is opInfo with e.mu held.
func (e *Engine) opInfoLocked(r *dsl.Rule, c *Cursor) (info dsl.RuleInfo) {
	if st, ok := e.states[r.Name]; ok && st.Ack != nil && c.Chain != ChainResolve {
		info.Acked, info.AckedBy, info.AckComment = true, st.Ack.By, st.Ack.Comment
	} else if a, ok := e.control.Ack(r.Name, c.FiringSince); ok && !c.FiringSince.IsZero() {
		info.Acked, info.AckedBy, info.AckComment = true, a.By, a.Comment
	}
	if list := e.control.Silencing(r.Name, r.Labels, e.now()); len(list) > 0 {
		info.Silenced = true
		info.SilencedBy = list[0].By
		info.SilenceComment = list[0].Comment
		info.SilenceIDs = make([]string, len(list))
		for i, s := range list {
			info.SilenceIDs[i] = s.ID
		}
		slices.Sort(info.SilenceIDs)
	}
	info.CatchUp = c.Chain == ChainCatchUp
	return info
}
