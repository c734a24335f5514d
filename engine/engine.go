package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/hashicorp/hcl/v2"

	"github.com/notimon/notimon/actions"
	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/host"
)

// Options configure an Engine.
type Options struct {
	Sampler probes.Sampler
	// DryRun renders every message a step would send but sends and executes nothing.
	DryRun bool
	// Stdout is where the console notifier prints (nil: os.Stdout).
	Stdout io.Writer
	Logger *slog.Logger // nil: discard
}

// Engine evaluates one compiled configuration. It is not safe for concurrent Ticks.
type Engine struct {
	cfg       *dsl.Config
	opts      Options
	log       *slog.Logger
	notifiers map[string]notifierEntry
	machine   vm.VM     // reused across rules: compiled programs are shared, a VM is not
	verdicts  []Verdict // reused by Evaluate
	holds     []bool    // reused by Evaluate
	batches   []batch
}

// batch is a run of consecutive rules whose conditions evaluate as one dsl.Batch.
type batch struct {
	start, end int
	b          *dsl.Batch
}

// batchSize bounds how many conditions share one program: large enough to keep the program
// contiguous, small enough that a runtime error in one rule re-evaluates few others.
const batchSize = 500

type notifierEntry struct {
	notifier notify.Notifier
	escape   func(string) string
	kind     string
	err      error // why it could not be constructed
}

// New prepares an engine for cfg. A notifier that cannot be constructed does not stop the
// engine: steps that use it report why.
func New(cfg *dsl.Config, opts Options) *Engine {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{cfg: cfg, opts: opts, log: log, notifiers: map[string]notifierEntry{}}
	for _, n := range cfg.Notifiers {
		entry := notifierEntry{kind: n.Kind, escape: actions.Escaper(n.Kind, n.Attrs)}
		if !opts.DryRun {
			entry.notifier, entry.err = actions.NewNotifier(n.Kind, n.Name, n.Attrs, actions.Env{Stdout: opts.Stdout, Logger: log})
		}
		e.notifiers[n.Name] = entry
	}
	for start := 0; start < len(cfg.Rules); start += batchSize {
		end := min(start+batchSize, len(cfg.Rules))
		conds := make([]*dsl.Program, 0, end-start)
		for _, r := range cfg.Rules[start:end] {
			conds = append(conds, r.When)
		}
		b, err := cfg.NewBatch(conds)
		if err != nil {
			// Not a problem with the rules (each compiled on its own): these are simply
			// evaluated one by one.
			log.Debug("conditions evaluated one by one", "rules", end-start, "err", err)
			continue
		}
		e.batches = append(e.batches, batch{start: start, end: end, b: b})
	}
	return e
}

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
	Rule    *dsl.Rule
	Holds   bool  // the rule's condition is true
	Err     error // evaluation failed, or a probe it reads failed: the rule is unknown
	Actions []Action
}

// Action is one step the tick carried out (or, in a dry run, would have).
type Action struct {
	Step    *dsl.Step
	Text    string // the rendered message, for notify steps
	Err     error
	Skipped string // why the step did not run: "dry run", "not available yet" …
}

// Errs collects every error of the report: failed rules and failed steps.
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

// Tick samples what the rules read, evaluates every rule at now, and runs the steps of the
// rules whose condition holds.
func (e *Engine) Tick(ctx context.Context, now time.Time) *Report {
	start := time.Now()
	snap := e.opts.Sampler.Sample(ctx, now, e.cfg.Refs)
	rep := &Report{Time: now, Snapshot: snap, Sampling: time.Since(start)}
	rep.Env = e.cfg.Schema.Env(snap)
	rep.Verdicts = append([]Verdict(nil), e.Evaluate(snap, rep.Env)...)
	for i := range rep.Verdicts {
		v := &rep.Verdicts[i]
		if v.Holds {
			v.Actions = e.fire(ctx, now, v, snap, rep.Env)
		}
	}
	return rep
}

// Evaluate runs every rule's condition on env (built from snap by the schema). It does no
// I/O and is what the evaluation benchmark measures. The returned slice is reused by the
// next call.
func (e *Engine) Evaluate(snap *probes.Snapshot, env any) []Verdict {
	if cap(e.verdicts) < len(e.cfg.Rules) {
		e.verdicts = make([]Verdict, len(e.cfg.Rules))
	}
	verdicts := e.verdicts[:len(e.cfg.Rules)]
	if cap(e.holds) < len(e.cfg.Rules) {
		e.holds = make([]bool, len(e.cfg.Rules))
	}
	batched := e.holds[:len(e.cfg.Rules)]
	done := 0 // rules before this index have a verdict
	for _, bt := range e.batches {
		e.evalEach(snap, env, verdicts, done, bt.start)
		if err := bt.b.Eval(&e.machine, env, batched[bt.start:bt.end]); err != nil {
			e.evalEach(snap, env, verdicts, bt.start, bt.end) // find who failed
		} else {
			for i := bt.start; i < bt.end; i++ {
				r := e.cfg.Rules[i]
				verdicts[i] = Verdict{Rule: r, Holds: batched[i], Err: probeErr(r, snap)}
				if verdicts[i].Err != nil {
					verdicts[i].Holds = false
				}
			}
		}
		done = bt.end
	}
	e.evalEach(snap, env, verdicts, done, len(e.cfg.Rules))
	return verdicts
}

// evalEach evaluates rules [from, to) one by one.
func (e *Engine) evalEach(snap *probes.Snapshot, env any, verdicts []Verdict, from, to int) {
	for i := from; i < to; i++ {
		r := e.cfg.Rules[i]
		holds, err := e.evalRule(r, snap, env)
		verdicts[i] = Verdict{Rule: r, Holds: holds, Err: err}
	}
}

// probeErr reports the first probe that r's condition reads and that failed this tick.
func probeErr(r *dsl.Rule, snap *probes.Snapshot) error {
	if len(snap.Errors) == 0 {
		return nil
	}
	for _, ref := range r.When.Refs {
		if err := snap.Err(ref); err != nil {
			return fmt.Errorf("rule %q (%s): probe %s failed: %w", r.Name, position(r.When.Range), ref, err)
		}
	}
	return nil
}

func (e *Engine) evalRule(r *dsl.Rule, snap *probes.Snapshot, env any) (bool, error) {
	if err := probeErr(r, snap); err != nil {
		return false, err
	}
	v, err := r.When.Eval(&e.machine, env)
	if err != nil {
		return false, fmt.Errorf("rule %q (%s): evaluating when: %w", r.Name, position(r.When.Range), err)
	}
	holds, _ := v.(bool) // compiled with AsBool
	return holds, nil
}

// fire runs the fire chain of a rule that holds: its notify steps send the rendered message;
// the other steps are not available yet.
func (e *Engine) fire(ctx context.Context, now time.Time, v *Verdict, snap *probes.Snapshot, env any) []Action {
	r := v.Rule
	values := map[string]any{}
	for _, in := range r.When.Inputs {
		if val, err := in.Eval(env); err == nil {
			values[in.Path] = val
		}
	}
	msgEnv := e.cfg.Schema.Map(snap)
	msgEnv["rule"] = dsl.RuleInfo{Name: r.Name, Severity: r.Severity, Labels: r.Labels, State: "firing", Value: v.Holds}
	actions := make([]Action, 0, len(r.Fire))
	for _, step := range r.Fire {
		a := Action{Step: step}
		switch step.Kind {
		case dsl.StepNotify:
			e.notify(ctx, now, r, step, msgEnv, values, &a)
		default:
			a.Skipped = fmt.Sprintf("the %s step is not available yet in this version of notimon", step.Kind)
			if !e.opts.DryRun {
				e.log.Warn("step not available yet", "rule", r.Name, "step", step.Kind.String(), "at", position(step.Range))
			}
		}
		actions = append(actions, a)
	}
	return actions
}

func (e *Engine) notify(ctx context.Context, now time.Time, r *dsl.Rule, step *dsl.Step, env map[string]any, values map[string]any, a *Action) {
	entry := e.notifiers[step.Notifier]
	text, err := step.Message.Render(&e.machine, env, entry.escape)
	a.Text = text
	if err != nil {
		a.Err = fmt.Errorf("rule %q: rendering the message for %q (%s): %w", r.Name, step.Notifier, position(step.Range), err)
		return
	}
	if e.opts.DryRun {
		a.Skipped = "dry run"
		return
	}
	if entry.err != nil {
		a.Err = fmt.Errorf("rule %q: %w", r.Name, entry.err)
		return
	}
	m := notify.Message{
		Notifier: step.Notifier, Rule: r.Name, State: "firing", Severity: r.Severity,
		Labels: r.Labels, Host: hostName(env), Text: text, Values: values, Time: now, StartsAt: now,
	}
	if _, err := entry.notifier.Notify(ctx, m); err != nil {
		a.Err = fmt.Errorf("rule %q: notify %q: %w", r.Name, step.Notifier, err)
		e.log.Error("delivery failed", "rule", r.Name, "notifier", step.Notifier, "err", err)
		return
	}
	e.log.Info("notified", "rule", r.Name, "notifier", step.Notifier)
}

func hostName(env map[string]any) string {
	h, _ := env["host"].(host.Values)
	return h.Name
}

// position renders a range's start as file:line:col.
func position(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}
