package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/notimon/notimon/actions/exec"
	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/probes"
)

// The remediation guard (exec max_runs = "3 per 1h"): the engine keeps, in the rule's
// state, when each limited exec step started within its period, so the count holds across
// restarts and cron runs. Past the limit the step is skipped, and one notification (to the
// notifiers of the rule's notify steps) says remediation is suspended; the next one comes
// only after the step has been allowed to run again and was stopped again.

// ExecRuns is the remediation guard's memory of one exec step.
type ExecRuns struct {
	// Runs are when the step started, oldest first, within its max_runs period.
	Runs []time.Time `json:"runs,omitempty"`
	// Suspended is when the step was first skipped since it last ran: the suspension
	// notice has been sent.
	Suspended time.Time `json:"suspended,omitzero"`
}

// execKey names an exec step in RuleState.ExecRuns: its chain and its place in it.
func execKey(c ChainKind, index int) string { return fmt.Sprintf("%s/%d", c, index) }

// allowRun decides whether the limited exec step may run at now, and records the run if so.
// When it may not, notice says the suspension notice is due (the first skip since the
// step last ran) and until is when a run is allowed again. e.mu is not held.
func (e *Engine) allowRun(rule, key string, step *dsl.Step, now time.Time) (ok, notice bool, until time.Time, runs int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.state(rule)
	if st.ExecRuns == nil {
		st.ExecRuns = map[string]*ExecRuns{}
	}
	g := st.ExecRuns[key]
	if g == nil {
		g = &ExecRuns{}
		st.ExecRuns[key] = g
	}
	g.Runs = slices.DeleteFunc(g.Runs, func(t time.Time) bool { return !t.After(now.Add(-step.MaxRunsPer)) || t.After(now) })
	if len(g.Runs) < step.MaxRuns {
		g.Runs = append(g.Runs, now)
		g.Suspended = time.Time{}
		return true, false, time.Time{}, len(g.Runs)
	}
	notice = g.Suspended.IsZero()
	if notice {
		g.Suspended = now
	}
	return false, notice, g.Runs[0].Add(step.MaxRunsPer), len(g.Runs)
}

// ExecGuard is the max_runs state of one limited exec step, for explain.
type ExecGuard struct {
	Step *dsl.Step
	// Runs in the period ending now; Suspended: the step would be skipped now, until Until.
	Runs      int
	Suspended bool
	Until     time.Time
}

// ExecGuards are the max_runs states of r's limited exec steps at now, read from st.
func ExecGuards(r *dsl.Rule, st RuleState, now time.Time) []ExecGuard {
	var out []ExecGuard
	for _, chain := range []ChainKind{ChainFire, ChainResolve} {
		for i, s := range steps(r, chain) {
			if s.Kind != dsl.StepExec || s.MaxRuns == 0 {
				continue
			}
			g := ExecGuard{Step: s}
			if runs := st.ExecRuns[execKey(chain, i)]; runs != nil {
				var recent []time.Time
				for _, t := range runs.Runs {
					if t.After(now.Add(-s.MaxRunsPer)) && !t.After(now) {
						recent = append(recent, t)
					}
				}
				g.Runs = len(recent)
				if g.Runs >= s.MaxRuns {
					g.Suspended, g.Until = true, recent[0].Add(s.MaxRunsPer)
				}
			}
			out = append(out, g)
		}
	}
	return out
}

// skippedExec is what a message reads as exec.* after a step the guard skipped.
func skippedExec(step *dsl.Step, runs int, until time.Time) dsl.ExecInfo {
	info := execInfo(step, exec.Result{})
	info.ExitCode, info.Succeeded = -1, false
	info.Error = fmt.Sprintf("not run: it ran %s in the last %s (max_runs = \"%d per %s\"); remediation is suspended until %s",
		times(runs), dsl.FormatDuration(step.MaxRunsPer), step.MaxRuns, dsl.FormatDuration(step.MaxRunsPer), until.UTC().Format(time.RFC3339))
	return info
}

// suspendNotice tells the rule's notifiers, once, that its remediation is suspended, unless
// the rule's notifications are held back now.
func (e *Engine) suspendNotice(cfg *dsl.Config, r *dsl.Rule, c *Cursor, step *dsl.Step, snap *probes.Snapshot, runs int, until time.Time) {
	e.mu.Lock()
	sup := e.suppression(cfg, r, e.now())
	if sup.Notify {
		// Held back like the rule's notifications (a silence, a firing parent): the next
		// skip once nothing holds them back sends it.
		if g := e.state(r.Name).ExecRuns[execKey(c.Chain, c.Step)]; g != nil {
			g.Suspended = time.Time{}
		}
		e.mu.Unlock()
		e.log.Info("remediation suspended; the notice is held back", "rule", r.Name, "reason", sup.Reason)
		return
	}
	e.mu.Unlock()
	var sent []string
	for _, s := range r.Fire {
		if (s.Kind != dsl.StepNotify && s.Kind != dsl.StepRenotify) || slices.Contains(sent, s.Notifier) {
			continue
		}
		sent = append(sent, s.Notifier)
		entry, _ := e.notifier(s.Notifier)
		esc := entry.escape
		if esc == nil {
			esc = func(s string) string { return s }
		}
		text := fmt.Sprintf("[%s] %s: remediation suspended. The command %s ran %s in the last %s (max_runs = \"%d per %s\", %s), so it is not run again until %s. The rule is still firing; act by hand.",
			esc(hostName(snap)), esc(r.Name), esc(programName(step)), times(runs), dsl.FormatDuration(step.MaxRunsPer),
			step.MaxRuns, dsl.FormatDuration(step.MaxRunsPer), esc(dsl.Position(step.Range)), until.UTC().Format(time.RFC3339))
		e.deliver(notify.Message{
			Notifier: s.Notifier, Rule: r.Name, State: chainState(c), Severity: r.Severity,
			Labels: r.Labels, Host: hostName(snap), Text: text, Values: c.Values,
			Time: e.now(), StartsAt: c.FiringSince, EndsAt: c.ResolvedAt,
		})
	}
	if len(sent) == 0 {
		e.log.Warn("remediation suspended, and the rule has no notify step to say so", "rule", r.Name, "at", dsl.Position(step.Range))
	}
}

// cloneExecRuns copies m deeply: the copy may be encoded while chains record new runs.
func cloneExecRuns(m map[string]*ExecRuns) map[string]*ExecRuns {
	if m == nil {
		return nil
	}
	out := make(map[string]*ExecRuns, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = &ExecRuns{Runs: slices.Clone(v.Runs), Suspended: v.Suspended}
		}
	}
	return out
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}
