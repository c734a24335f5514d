package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/notimon/notimon/actions"
	"github.com/notimon/notimon/actions/exec"
	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/control"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/internal/pause"
	"github.com/notimon/notimon/probes"
)

// Options configure an Engine.
type Options struct {
	Sampler probes.Sampler
	// Store keeps rule states, chain cursors, probe counters and the outbox in the state
	// directory. nil keeps them in memory only and delivers directly (tests, dry runs).
	Store *store.Store
	// DryRun evaluates and renders what the fire chains would send and execute, and does
	// nothing: no chain runs, no state is saved.
	DryRun bool
	// Stdout is where the console notifier prints (nil: os.Stdout).
	Stdout io.Writer
	Logger *slog.Logger // nil: discard
	// Observer hears of ticks, deliveries and reloads (metrics); its zero value hears nothing.
	Observer Observer
	// Now is the engine's clock: when chain steps run (renotify samples, exec start
	// times, a wait's end, message times), what RunDaemon's loop and Alive measure, when
	// a reload happened. Ticks are stamped with the time Tick is given. nil: time.Now.
	Now func() time.Time
	// SleepUntil waits until Now reaches t, or ctx ends (wait steps); nil: a timer. A
	// simulated clock (notimon test) returns once it has been moved to t.
	SleepUntil func(ctx context.Context, t time.Time) error
	// Exec runs a command (exec steps); nil: exec.Run.
	Exec func(ctx context.Context, s exec.Spec) exec.Result
	// Notify, when set, receives every message instead of the configured notifiers (each
	// still escapes for its kind): `notimon test` records messages this way.
	Notify notify.Notifier
	// Control is where each tick reads the operator's silences and acks; nil: the files
	// of Store's directory (control.Reader), or none without a Store.
	Control ControlSource
	// Suppressed, when set, hears of every step that suppression held back (notimon test).
	Suppressed func(SuppressedStep)
}

// Engine evaluates one compiled configuration and carries out its rules' chains. Tick is
// called from one goroutine; chains and deliveries run in goroutines of their own.
type Engine struct {
	cfg       *dsl.Config
	opts      Options
	log       *slog.Logger
	notifiers map[string]notifierEntry
	machine   dsl.VM    // reused across rules by Tick: programs are shared, a VM is not
	verdicts  []Verdict // reused by Evaluate
	holds     []bool    // reused by Evaluate
	batches   []batch
	refs      []probes.Ref // what a tick samples: the configuration's refs and host

	ctx    context.Context // chains and deliveries; cancelled by Stop
	cancel context.CancelFunc
	wg     sync.WaitGroup // running chains and deliveries

	mu      sync.Mutex            // guards what follows
	states  map[string]*RuleState // by rule name
	running map[string]bool       // rules with a chain goroutine
	waiting map[string]time.Time  // rules whose chain is in a wait step, until when
	changed chan struct{}         // closed when a chain starts, waits, wakes or ends (made by WaitIdle)
	gen     uint64                // counts those changes
	errs    []error               // chain and delivery failures since the last Errs
	flush   flushState
	saveMu  sync.Mutex // one Save at a time, so the last one written is the newest

	reloadStatus *ReloadStatus             // the latest reload, guarded by mu
	history      map[string][]WindowSample // time-window fields by path, guarded by mu
	lastSnap     *probes.Snapshot          // the latest tick's values, guarded by mu
	recent       recent                    // values, errors and transitions for status readers, guarded by mu
	maintenance  maintenanceCache          // which maintenance windows are open, guarded by mu
	control      control.Set               // silences and acks read by the latest tick, guarded by mu
	controlErr   string                    // the latest error reading them, logged once; guarded by mu
	// health holds the notifiers that are failing, by name; reloadAlerted is when the
	// notifiers were last told that reloads fail; recovered are the notes that a fault is
	// over, waiting for HealthAlerts. Guarded by mu.
	health        map[string]*NotifierHealth
	reloadAlerted time.Time
	recovered     []selfNote

	loop loopState // what RunDaemon's loop is doing, for Alive
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
	title    *dsl.Message // the notifier's title template, or nil
	kind     string
	err      error // why it could not be constructed
	// resend is how often a firing rule's last message to this notifier is sent again
	// (spec.Notifier.Resend); 0: never.
	resend time.Duration
}

// New prepares an engine for cfg. A notifier that cannot be constructed does not stop the
// engine: steps that use it report why.
func New(cfg *dsl.Config, opts Options) *Engine {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Exec == nil {
		opts.Exec = exec.Run
	}
	if opts.Control == nil && opts.Store != nil {
		opts.Control = control.NewReader(opts.Store.Dir())
	}
	e := &Engine{opts: opts, log: log, states: map[string]*RuleState{}, running: map[string]bool{}, waiting: map[string]time.Time{}}
	if e.opts.SleepUntil == nil {
		e.opts.SleepUntil = func(ctx context.Context, t time.Time) error { return pause.For(ctx, t.Sub(e.now())) }
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.cfg = cfg
	e.notifiers, e.batches = e.prepare(cfg)
	e.refs = withHost(cfg.Refs)
	e.setInterval(cfg)
	return e
}

// prepare builds what a configuration needs besides itself: its notifiers and its batches
// of conditions; and it tells the sampler what the configuration reads.
func (e *Engine) prepare(cfg *dsl.Config) (map[string]notifierEntry, []batch) {
	e.tune(cfg)
	notifiers := map[string]notifierEntry{}
	for _, n := range cfg.Notifiers {
		entry := notifierEntry{kind: n.Kind, escape: actions.Escaper(n.Kind, n.Attrs), title: n.Title}
		switch {
		case e.opts.Notify != nil:
			entry.notifier = e.opts.Notify
		case !e.opts.DryRun:
			entry.notifier, entry.err = actions.NewNotifier(n.Kind, n.Name, n.Attrs,
				actions.Env{Stdout: e.opts.Stdout, Logger: e.log})
			// Resends keep an alert alive in the service; `notimon test` (Options.Notify)
			// records the rules' messages, which resends are not.
			entry.resend = actions.Resend(n.Kind, n.Attrs)
		}
		notifiers[n.Name] = entry
	}
	var batches []batch
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
			e.log.Debug("conditions evaluated one by one", "rules", end-start, "err", err)
			continue
		}
		batches = append(batches, batch{start: start, end: end, b: b})
	}
	return notifiers, batches
}

// Reload swaps in a new configuration between ticks (call it from the goroutine that calls
// Tick). Rules whose name is unchanged keep their state (pending since, firing since, chain
// cursors); new rules start inactive; removed rules lose their state, but a chain of theirs
// that is running finishes with the definition it started with.
func (e *Engine) Reload(cfg *dsl.Config) {
	notifiers, batches := e.prepare(cfg)
	names := make(map[string]bool, len(cfg.Rules))
	for _, r := range cfg.Rules {
		names[r.Name] = true
	}
	e.mu.Lock()
	e.cfg, e.notifiers, e.batches, e.refs = cfg, notifiers, batches, withHost(cfg.Refs)
	for name := range e.states {
		if !names[name] && !e.running[name] {
			delete(e.states, name)
		}
	}
	e.verdicts, e.holds = nil, nil
	e.recent.env = nil // read by the previous rules' schema
	e.mu.Unlock()
	e.setInterval(cfg)
}

// notifier returns the notifier called name in the current configuration.
func (e *Engine) notifier(name string) (notifierEntry, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n, ok := e.notifiers[name]
	return n, ok
}

// config returns the current configuration.
func (e *Engine) config() *dsl.Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
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
			return fmt.Errorf("rule %q (%s): probe %s failed: %w", r.Name, dsl.Position(r.When.Range), ref, err)
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
		return false, fmt.Errorf("rule %q (%s): evaluating when: %w", r.Name, dsl.Position(r.When.Range), err)
	}
	holds, _ := v.(bool) // compiled with AsBool
	return holds, nil
}

// withHost is refs plus the host probe. Host is sampled on every tick and renotify, read by
// a rule or not, because every message carries the host name (Alertmanager's instance
// label, the webhook's host, NOTIMON_HOST); it costs microseconds.
func withHost(refs []probes.Ref) []probes.Ref {
	host := probes.Ref{Kind: "host"}
	if slices.Contains(refs, host) {
		return refs
	}
	out := make([]probes.Ref, 0, len(refs)+1)
	out = append(out, host) // host is first in registry order
	return append(out, refs...)
}

func hostName(snap *probes.Snapshot) string { return snap.Host.Name }
