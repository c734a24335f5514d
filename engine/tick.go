package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/probes"
)

// Report is what one tick saw and did.
type Report struct {
	Time     time.Time
	Snapshot *probes.Snapshot
	Env      any // the values rules were evaluated on (the schema's struct)
	Verdicts []Verdict
	Sampling time.Duration // time spent sampling probes
}

// Verdict is one rule's outcome on one tick.
type Verdict struct {
	Rule  *dsl.Rule
	Holds bool  // the rule's condition is true
	Err   error // evaluation failed, or a probe it reads failed: the rule is unknown
	// From and State are the rule's lifecycle state before and after the tick; Event is
	// what the transition started.
	From, State State
	Event       Event
	// Actions are what a dry run would do for a rule that holds.
	Actions []Action
	// Suppression is what held the rule's steps back at this tick (silences …).
	Suppression Suppression
}

// Action is one step a dry run would carry out.
type Action struct {
	Step    *dsl.Step
	Text    string // the rendered message, for notify steps
	Err     error
	Skipped string // why the step did not run: "dry run" …
	// Suppressed says why the step would be held back (a silence …); "" when it would run.
	Suppressed string
}

// Errs collects the errors of the report: rules that could not be evaluated, and messages
// that could not be rendered in a dry run.
func (r *Report) Errs() []error {
	var errs []error
	for _, v := range r.Verdicts {
		if v.Err != nil {
			errs = append(errs, v.Err)
		}
		for _, a := range v.Actions {
			if a.Err != nil {
				errs = append(errs, a.Err)
			}
		}
	}
	return errs
}

// lifecycle is the part of a rule the state machine needs.
func lifecycle(r *dsl.Rule) Lifecycle {
	return Lifecycle{For: r.For, Repeat: r.Repeat, Confirm: r.Confirm, Window: r.Window, HasClear: r.ClearWhen != nil}
}

// Tick samples what the rules read, evaluates every rule at now, moves each rule through its
// lifecycle and starts the chains the transitions call for. Chains run in the background:
// Wait lets them finish.
func (e *Engine) Tick(ctx context.Context, now time.Time) *Report {
	e.refreshControl(now)
	start := time.Now()
	snap := e.opts.Sampler.Sample(ctx, now, e.refs)
	rep := &Report{Time: now, Snapshot: snap, Sampling: time.Since(start)}
	e.updateWindows(e.cfg, snap, now)
	rep.Env = e.cfg.Schema.Env(snap)
	rep.Verdicts = append([]Verdict(nil), e.Evaluate(snap, rep.Env)...)

	e.mu.Lock()
	e.lastSnap = snap
	e.recent.noteTick(rep.Env, now)
	dirty := false // a rule's state changed: worth an fsync'd save
	var acks []clearedAck
	for i := range rep.Verdicts {
		v := &rep.Verdicts[i]
		r := v.Rule
		st := e.state(r.Name)
		obs := Observation{Unknown: v.Err != nil, When: v.Holds}
		if r.ClearWhen != nil && st.State == Firing && v.Err == nil {
			obs.Clear, obs.Unknown = e.evalClear(r, snap, rep.Env)
		}
		prev := *st
		next, ev := next(prev, obs, now, lifecycle(r))
		next.Chains = prev.Chains
		*st = next
		v.From, v.State, v.Event = prev.State, next.State, ev
		if prev.State != next.State || ev != NoEvent || r.Window > 1 {
			dirty = true
		}
		e.recent.noteErr(r.Name, v.Err)
		if prev.State != next.State || ev != NoEvent {
			values := inputValues(r, rep.Env)
			e.log.Info("rule transition", "rule", r.Name, "from", prev.State.String(), "to", next.State.String(),
				"event", ev.String(), "values", values)
			if prev.State != next.State {
				t := Transition{Rule: r.Name, From: prev.State, To: next.State, At: now, Values: values}
				if ev != NoEvent {
					t.Event = ev.String()
				}
				e.recent.add(t)
			}
		}
		before := operational(prev)
		queue, clearAck := e.operate(e.cfg, r, prev, st, ev, now, inputValues(r, rep.Env))
		if st.Suppressed != nil {
			v.Suppression = *st.Suppressed
		}
		if operational(*st) != before {
			dirty = true
		}
		if e.opts.DryRun {
			if v.Holds {
				v.Actions = e.preview(r, snap, rep.Env)
			}
			continue
		}
		if clearAck {
			acks = append(acks, clearedAck{rule: r.Name, firingSince: prev.FiringSince})
		}
		if queue != nil {
			st.Chains = append(st.Chains, *queue)
		}
		if len(st.Chains) > 0 && !e.running[r.Name] {
			e.startChain(r, snap)
		}
	}
	// The values status shows are kept at most valuesSaveEvery old.
	dirty = dirty || now.Sub(e.recent.savedAt) >= valuesSaveEvery
	e.mu.Unlock()
	e.clearAcks(acks)
	// A tick that changed no rule saves nothing (but once every valuesSaveEvery): probe
	// counters alone are saved when a run ends (Save), so a quiet daemon does not fsync
	// every tick.
	if dirty && !e.opts.DryRun {
		if err := e.Save(); err != nil {
			e.recordErr(err)
		}
	}
	if f := e.opts.Observer.Tick; f != nil {
		f(e.cfg, rep, time.Since(start))
	}
	return rep
}

// rateSampler is a sampler whose rates (cpu, net, swap, process cpu_pct) are measured
// between ticks (probes.System): it is told the tick interval, so a tick that comes too
// soon after the previous one does not close an interval of a few milliseconds, and it
// samples between ticks without moving the readings the next tick measures from.
type rateSampler interface {
	SetInterval(tick time.Duration)
	Peek(ctx context.Context, now time.Time, refs []probes.Ref) *probes.Snapshot
}

// setInterval tells a rateSampler the tick interval of cfg.
func (e *Engine) setInterval(cfg *dsl.Config) {
	if s, ok := e.opts.Sampler.(rateSampler); ok {
		s.SetInterval(cfg.Settings.Interval)
	}
}

// resample samples refs again between ticks (a renotify step): fresh values, without
// shortening the next tick's interval.
func (e *Engine) resample(refs []probes.Ref) *probes.Snapshot {
	if s, ok := e.opts.Sampler.(rateSampler); ok {
		return s.Peek(e.ctx, e.now(), refs)
	}
	return e.opts.Sampler.Sample(e.ctx, e.now(), refs)
}

// state returns the state of the rule called name, creating it. e.mu is held.
func (e *Engine) state(name string) *RuleState {
	st, ok := e.states[name]
	if !ok {
		st = &RuleState{}
		e.states[name] = st
	}
	return st
}

// evalClear evaluates clear_when; an error makes the observation unknown and is kept for
// Errs. e.mu is held.
func (e *Engine) evalClear(r *dsl.Rule, snap *probes.Snapshot, env any) (clear, unknown bool) {
	for _, ref := range r.ClearWhen.Refs {
		if err := snap.Err(ref); err != nil {
			return false, true
		}
	}
	v, err := r.ClearWhen.Eval(&e.machine, env)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("rule %q (%s): evaluating clear_when: %w", r.Name, dsl.Position(r.ClearWhen.Range), err))
		return false, true
	}
	b, _ := v.(bool)
	return b, false
}

// inputValues are the probe fields the rule's condition read, by path.
func inputValues(r *dsl.Rule, env any) map[string]any {
	values := make(map[string]any, len(r.When.Inputs))
	for _, in := range r.When.Inputs {
		if val, err := in.Eval(env); err == nil {
			values[in.Path] = val
		}
	}
	return values
}

// States returns a copy of every rule's state, by name.
func (e *Engine) States() map[string]RuleState {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]RuleState, len(e.states))
	for k, v := range e.states {
		cp := *v
		cp.ExecRuns = cloneExecRuns(v.ExecRuns)
		out[k] = cp
	}
	return out
}

// operational is what of a rule's state the operator's doings change, to tell whether a
// tick changed it.
func operational(st RuleState) string {
	var b strings.Builder
	if st.Suppressed != nil {
		b.WriteString(st.Suppressed.Reason)
	}
	if st.Ack != nil {
		b.WriteString("|ack " + st.Ack.At.String())
	}
	if st.Held != nil {
		fmt.Fprintf(&b, "|held %d", st.Held.Steps)
	}
	return b.String()
}
