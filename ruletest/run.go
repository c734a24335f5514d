package ruletest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/engine/control"
	"github.com/notimon/notimon/probes"
)

// DefaultStart is the time of a test's first tick. Rules and messages cannot read the
// clock, and reports show offsets from it, so it matters little; it is fixed so that
// every run is the same.
var DefaultStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultHost is host.name in a test whose rules set no settings.host and which gives no
// host.name input: never the machine's own name, so a test passes on every machine.
const DefaultHost = "localhost"

// Result is the outcome of one test.
type Result struct {
	Test *Test
	// Diags are the problems that kept the test from running (the test is invalid, or its
	// rules are), plus warnings.
	Diags hcl.Diagnostics
	// Files holds every parsed source the diagnostics may point into.
	Files    map[string]*hcl.File
	Failures []Failure
	Ticks    int
	Interval time.Duration
	Elapsed  time.Duration // real time the simulation took
	// Timeline is everything that happened, in order, for `notimon test -v`.
	Timeline []Event
}

// Passed reports whether the test ran and everything it expected happened.
func (r *Result) Passed() bool { return !r.Diags.HasErrors() && len(r.Failures) == 0 }

// Failure is one difference between what a test expects and what happened.
type Failure struct {
	At    time.Duration // offset of the tick (or the moment) it is about
	Pos   *hcl.Range    // the expectation in the test file; nil for something unexpected
	Title string        // rule "overload"; notify "ops"; unexpected exec
	Lines []string      // "- expected", "+ got", "  common"
	order int
}

// Event is one line of a test's timeline.
type Event struct {
	At    time.Duration
	Title string   // overload: pending → firing (fired)
	Lines []string // a message's text
	// Order at one moment: what chains did before the tick, the tick's transitions, then
	// what the chains it started did, rule by rule.
	phase, rank, seq int
}

// Runner runs tests, one at a time (it is not safe for concurrent use). It loads each
// rules directory once per distinct env.
type Runner struct {
	// Start is the time of the first tick; zero means DefaultStart.
	Start time.Time
	// Env is the environment of env("NAME") under each test's own env (which wins), e.g.
	// from notimon test --env-file. The process environment is never read: a test runs the
	// same on every machine.
	Env   map[string]string
	cache map[string]loaded
	// warned lists the rules directories whose warnings about this machine's files (a
	// script with Windows line endings) a result has shown already.
	warned map[string]bool
}

type loaded struct {
	cfg   *dsl.Config
	diags hcl.Diagnostics
}

func (r *Runner) load(dir string, testEnv map[string]string) loaded {
	env := maps.Clone(r.Env)
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, testEnv)
	keys := slices.Sorted(maps.Keys(env))
	key := dir
	for _, k := range keys {
		key += "\x00" + k + "=" + env[k]
	}
	if l, ok := r.cache[key]; ok {
		return l
	}
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	cfg, diags := dsl.Load([]string{dir}, dsl.Options{LookupEnv: lookup})
	l := loaded{cfg: cfg, diags: diags}
	if r.cache == nil {
		r.cache = map[string]loaded{}
	}
	r.cache[key] = l
	return l
}

// machineWarnings returns, the first time it is asked about dir, the warnings of its rules
// that are about files on this machine rather than the rules' text: a test runs nothing, but
// the script an exec step names will fail in production all the same. Other warnings (an
// unset env()) depend on the test's own env and are not shown.
func (r *Runner) machineWarnings(dir string, diags hcl.Diagnostics) hcl.Diagnostics {
	if r.warned[dir] {
		return nil
	}
	if r.warned == nil {
		r.warned = map[string]bool{}
	}
	r.warned[dir] = true
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning && d.Summary == dsl.SummaryCRLFScript {
			out = append(out, d)
		}
	}
	return out
}

// plan is a validated test, ready to simulate.
type plan struct {
	test     *Test
	cfg      *dsl.Config // the rules under test
	interval time.Duration
	ticks    int
	host     string
	fields   []*Field
	series   [][]Sample
	expects  map[int]*Expect
	rules    map[string]int // rule name → order
	acks     map[int][]*Ack // by tick
}

// Run validates t against its rules and, when it is valid, simulates it and compares what
// happened with what it expects.
func (r *Runner) Run(ctx context.Context, t *Test) *Result {
	res := &Result{Test: t, Files: map[string]*hcl.File{}}
	maps.Copy(res.Files, t.File.Files)
	p, diags := r.prepare(t, res.Files)
	res.Diags = append(append(hcl.Diagnostics(nil), t.Diags...), diags...)
	if res.Diags.HasErrors() {
		return res
	}
	res.Ticks, res.Interval = p.ticks, p.interval
	start := t.Start
	if start.IsZero() {
		start = r.Start
	}
	if start.IsZero() {
		start = DefaultStart
	}
	began := time.Now()
	out, err := p.simulate(ctx, start)
	res.Elapsed = time.Since(began)
	if err != nil {
		res.Failures = append(res.Failures, Failure{Title: "the simulation stopped", Lines: []string{"+ " + err.Error()}})
		return res
	}
	res.Failures = append(res.Failures, p.check(out)...)
	res.Timeline = p.timeline(out)
	return res
}

// prepare loads the rules and checks everything in the test that depends on them.
func (r *Runner) prepare(t *Test, files map[string]*hcl.File) (*plan, hcl.Diagnostics) {
	l := r.load(t.RulesDir, t.Env)
	maps.Copy(files, l.cfg.Files)
	var diags hcl.Diagnostics
	if l.diags.HasErrors() {
		for _, d := range l.diags {
			if d.Severity == hcl.DiagError {
				diags = append(diags, d)
			}
		}
		n := len(diags)
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Rules do not load",
			Detail:  fmt.Sprintf("The rules in %s have %s (above); 'notimon validate %s' lists them.", t.RulesDir, plural(n, "error"), t.RulesDir),
			Subject: t.rulesRange.Ptr(),
		})
	}
	diags = append(diags, r.machineWarnings(t.RulesDir, l.diags)...)
	cfg := l.cfg
	p := &plan{test: t, interval: t.Interval, expects: map[int]*Expect{}, rules: map[string]int{}}
	if p.interval == 0 {
		p.interval = cfg.Settings.Interval
	}
	if p.interval <= 0 {
		p.interval = dsl.DefaultInterval
	}
	p.host = cfg.Settings.Host
	if p.host == "" {
		p.host = DefaultHost
	}
	all := map[string]bool{}
	var names []string
	for _, rule := range cfg.Rules {
		all[rule.Name] = true
		names = append(names, rule.Name)
	}
	unknownRule := func(n NameRef, where string) *hcl.Diagnostic {
		detail := fmt.Sprintf("%s names rule %q, which is not in %s; its rules are: %s.", where, n.Name, t.RulesDir, strings.Join(names, ", "))
		if s := dsl.Closest(n.Name, names); s != "" {
			detail = fmt.Sprintf("%s names rule %q, which is not in %s. Did you mean %q?", where, n.Name, t.RulesDir, s)
		}
		if len(names) == 0 {
			detail = fmt.Sprintf("%s names rule %q, but %s has no rules.", where, n.Name, t.RulesDir)
		}
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown rule", Detail: detail, Subject: n.Range.Ptr()}
	}
	// The rules under test.
	sub := *cfg
	if len(t.Only) > 0 {
		only := map[string]bool{}
		for _, n := range t.Only {
			if !all[n.Name] {
				diags = append(diags, unknownRule(n, "only"))
			}
			only[n.Name] = true
		}
		sub.Rules = nil
		for _, rule := range cfg.Rules {
			if only[rule.Name] {
				sub.Rules = append(sub.Rules, rule)
			}
		}
	}
	p.cfg = &sub
	inTest := map[string]bool{}
	for i, rule := range sub.Rules {
		p.rules[rule.Name] = i
		inTest[rule.Name] = true
	}
	checkRule := func(n NameRef, where string) {
		switch {
		case !all[n.Name]:
			diags = append(diags, unknownRule(n, where))
		case !inTest[n.Name]:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Rule not in this test",
				Detail:  fmt.Sprintf("%s names rule %q, which this test leaves out (only = [...]).", where, n.Name),
				Subject: n.Range.Ptr()})
		}
	}

	checkNotifier := func(block, name string, rng hcl.Range) {
		if cfg.Notifier(name) != nil {
			return
		}
		var declared []string
		for _, nn := range cfg.Notifiers {
			declared = append(declared, nn.Name)
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown notifier",
			Detail:  fmt.Sprintf("%s %q: no notifier of that name in %s; notifiers: %s.", block, name, t.RulesDir, strings.Join(declared, ", ")),
			Subject: rng.Ptr()})
	}

	// Inputs.
	for _, in := range t.Inputs {
		f, err := ResolveField(cfg.Schema, in.Path)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown probe field",
				Detail: fmt.Sprintf("input %q: %v.", in.Path, err), Subject: in.Range.Ptr()})
			continue
		}
		samples, d := in.convert(f)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		p.fields = append(p.fields, f)
		p.series = append(p.series, samples)
		p.ticks = max(p.ticks, len(samples))
	}

	// Expectations.
	byTick := map[int]*Expect{}
	for _, e := range t.Expects {
		if e.At%p.interval != 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Not a tick",
				Detail: fmt.Sprintf("at = %q is not a tick: this test ticks every %s from 0 (0, %s, %s, …).",
					e.AtText, dsl.FormatDuration(p.interval), dsl.FormatDuration(p.interval), dsl.FormatDuration(2*p.interval)),
				Subject: e.AtRange.Ptr()})
		} else if i := int(e.At / p.interval); t.inputsOK && len(p.fields) == len(t.Inputs) && i >= p.ticks {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "After the last tick",
				Detail: fmt.Sprintf("at = %q is after the test's last tick (%s): its longest series has %d values, one per %s tick. Lengthen a series (\"x\" repeats its last term).",
					e.AtText, dsl.FormatDuration(time.Duration(p.ticks-1)*p.interval), p.ticks, dsl.FormatDuration(p.interval)),
				Subject: e.AtRange.Ptr()})
		} else if prev, dup := byTick[i]; dup {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate expect",
				Detail:  fmt.Sprintf("Another expect block is at %s (%s); put everything about one tick in one block.", dsl.FormatDuration(e.At), short(prev.Range)),
				Subject: e.AtRange.Ptr()})
		} else {
			byTick[i] = e
		}
		for _, list := range [][]NameRef{e.Firing, e.Pending, e.Resolved, e.Inactive, e.Unknown} {
			for _, n := range list {
				checkRule(n, "expect")
			}
		}
		for _, n := range e.Notifies {
			checkNotifier("notify", n.Notifier, n.LabelRange)
			if n.Rule != nil {
				checkRule(*n.Rule, fmt.Sprintf("notify %q", n.Notifier))
			}
		}
		for _, x := range e.Execs {
			if x.Rule != nil {
				checkRule(*x.Rule, "exec")
			}
		}
		for _, n := range e.Suppressed {
			checkNotifier("suppressed", n.Notifier, n.LabelRange)
			if n.Rule != nil {
				checkRule(*n.Rule, fmt.Sprintf("suppressed %q", n.Notifier))
			}
		}
	}
	p.expects = byTick

	// What the operator does.
	var testNames []string
	for _, rule := range sub.Rules {
		testNames = append(testNames, rule.Name)
	}
	for _, s := range t.Silences {
		for _, g := range s.Rules {
			if d := globMatchesNone(g, testNames); d != nil {
				diags = append(diags, d)
			}
		}
	}
	p.acks = map[int][]*Ack{}
	for _, a := range t.Acks {
		checkRule(a.Rule, "ack")
		if a.At%p.interval != 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Not a tick",
				Detail: fmt.Sprintf("ack at = %q is not a tick: this test ticks every %s from 0 (0, %s, %s, …); the ack applies just before the tick.",
					a.AtText, dsl.FormatDuration(p.interval), dsl.FormatDuration(p.interval), dsl.FormatDuration(2*p.interval)),
				Subject: a.AtRange.Ptr()})
			continue
		}
		p.acks[int(a.At/p.interval)] = append(p.acks[int(a.At/p.interval)], a)
	}
	return p, diags
}

// convert checks an input's values against its field and returns one sample per tick.
func (in *Input) convert(f *Field) ([]Sample, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	if in.list != nil {
		out := make([]Sample, len(in.list))
		for i, v := range in.list {
			s, err := f.SampleOf(v)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value",
					Detail: fmt.Sprintf("In input %q: %v.", in.Path, err), Subject: in.listRanges[i].Ptr()})
			}
			out[i] = s
		}
		return out, diags
	}
	if f.Kind == Text {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid series",
			Detail:  fmt.Sprintf(`In input %q: %s is text, and a series is numbers: give a list of strings, one per tick, e.g. values = ["", "", "connection refused"] (null: the probe failed).`, in.Path, f.Path),
			Subject: in.valsRange.Ptr()}}
	}
	for i, s := range in.samples {
		if err := f.checkNumber(s); err != nil {
			rng := in.valsRange
			for _, sp := range seriesSpans(in.series) {
				if i >= sp.first && i < sp.first+sp.count {
					rng = in.seriesRange(sp.off, sp.len)
				}
			}
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid series",
				Detail: fmt.Sprintf("In input %q: %v.", in.Path, err), Subject: rng.Ptr()}}
		}
	}
	return in.samples, nil
}

// outcome is what a simulation recorded.
type outcome struct {
	t0      time.Time
	ticks   map[int][]status // rule statuses at the expect ticks
	changes []Event          // transitions, for the timeline
	unknown []unknownAt      // rules that could not be evaluated for another reason than a failed probe
	errs    []errAt          // chain errors (rendering a message, clear_when)
	sent    []sentMsg
	execs   []execCall
	held    []heldMsg // notifications suppression held back
	ackErrs []Failure // acks of rules that were not firing
}

type status struct {
	rule    string
	state   string // firing, pending, inactive, resolved (this tick)
	unknown string // why the rule could not be evaluated; "" when it was
}

type unknownAt struct {
	tick int
	rule string
	err  error
}

type errAt struct {
	at  time.Time
	err error
}

// simulate runs the engine through every tick.
func (p *plan) simulate(ctx context.Context, t0 time.Time) (*outcome, error) {
	s := &sim{t0: t0, interval: p.interval, now: t0, stubs: map[int][]*ExecExpect{}, used: map[*ExecExpect]bool{}}
	for i, e := range p.expects {
		s.stubs[i] = e.Execs
	}
	sampler := probes.SamplerFunc(func(_ context.Context, now time.Time, _ []probes.Ref) *probes.Snapshot {
		i := min(max(s.tickOf(now), 0), p.ticks-1)
		snap := &probes.Snapshot{Time: now}
		snap.Host.Name = p.host
		for k, f := range p.fields {
			series := p.series[k]
			f.Set(snap, series[min(i, len(series)-1)])
		}
		if len(snap.Errors) > 0 {
			ClearFailed(snap)
		}
		return snap
	})
	ctl := &testControl{acks: map[string]control.Ack{}}
	for k, sil := range p.test.Silences {
		ctl.silences = append(ctl.silences, sil.silence(fmt.Sprintf("test%04d", k+1), t0))
	}
	e := engine.New(p.cfg, engine.Options{
		Sampler:    sampler,
		Now:        s.Now,
		SleepUntil: s.SleepUntil,
		Exec:       s.exec,
		Notify:     notify.NotifierFunc(s.notify),
		Control:    ctl,
		Suppressed: s.suppressed,
	})
	defer e.Stop()
	out := &outcome{t0: t0, ticks: map[int][]status{}}
	// Commands are never run: one fails only when the test's exec block says it exits
	// non-zero, and the engine's report of that failure (a *engine.StepError wrapping the
	// stub's error) is not a problem of the rules.
	stubbed := func(err error) bool {
		var stub *stubError
		return errors.As(err, &stub)
	}
	collect := func() {
		now := s.Now()
		for _, err := range e.Errs() {
			if !stubbed(err) {
				out.errs = append(out.errs, errAt{at: now, err: err})
			}
		}
	}
	for i := range p.ticks {
		at := t0.Add(time.Duration(i) * p.interval)
		if err := s.advance(e, at); err != nil {
			return nil, err
		}
		collect()
		// Rules with a chain still running (all blocked in a wait now): a repeat due for
		// one of them is deferred by the engine.
		var running map[string]engine.RuleState
		if s.waiting {
			running = e.States()
		}
		for _, a := range p.acks[i] {
			if f := ctl.ack(e, a, at); f != nil {
				out.ackErrs = append(out.ackErrs, *f)
			}
		}
		s.mark()
		rep := e.Tick(ctx, at)
		if _, err := s.settle(e); err != nil {
			return nil, err
		}
		collect()
		_, expected := p.expects[i]
		var statuses []status
		for _, v := range rep.Verdicts {
			st := status{rule: v.Rule.Name, state: v.State.String()}
			if v.Event == engine.Resolved {
				st.state = "resolved"
			}
			st.unknown = unknownReason(v, rep.Snapshot)
			if v.Err != nil && !errors.Is(v.Err, ErrProbeFailed) {
				out.unknown = append(out.unknown, unknownAt{tick: i, rule: v.Rule.Name, err: v.Err})
			}
			if v.From != v.State || v.Event != engine.NoEvent {
				title := fmt.Sprintf("rule %q: %s → %s", v.Rule.Name, v.From, v.State)
				switch {
				case v.Event == engine.Repeated && len(running[v.Rule.Name].Chains) > 0:
					title += " (repeat deferred: the rule's chain is still running)"
				case v.Event != engine.NoEvent:
					title += fmt.Sprintf(" (%s)", v.Event)
				}
				out.changes = append(out.changes, Event{At: at.Sub(t0), Title: title, phase: i + 1, rank: p.rules[v.Rule.Name], seq: -1})
			}
			if expected {
				statuses = append(statuses, st)
			}
		}
		if expected {
			out.ticks[i] = statuses
		}
	}
	// Chain steps still due before the end of the last tick's interval run; later ones
	// are outside the test.
	if err := s.advance(e, t0.Add(time.Duration(p.ticks)*p.interval-1)); err != nil {
		return nil, err
	}
	collect()
	e.Stop()
	s.mu.Lock()
	out.sent = append([]sentMsg(nil), s.sent...)
	out.execs = append([]execCall(nil), s.execs...)
	out.held = append([]heldMsg(nil), s.held...)
	for k := range out.sent {
		out.sent[k].phase = s.phase(out.sent[k].seq)
	}
	for k := range out.execs {
		out.execs[k].phase = s.phase(out.execs[k].seq)
	}
	for k := range out.held {
		out.held[k].phase = s.phase(out.held[k].seq)
	}
	s.mu.Unlock()
	// Chains of different rules that act at the same simulated moment run concurrently:
	// order what they did by time, then rule order, so every run reads the same.
	sort.SliceStable(out.sent, func(i, j int) bool {
		a, b := out.sent[i], out.sent[j]
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		if p.rules[a.Rule] != p.rules[b.Rule] {
			return p.rules[a.Rule] < p.rules[b.Rule]
		}
		return a.seq < b.seq
	})
	sort.SliceStable(out.execs, func(i, j int) bool {
		a, b := out.execs[i], out.execs[j]
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		if p.rules[a.rule] != p.rules[b.rule] {
			return p.rules[a.rule] < p.rules[b.rule]
		}
		return a.seq < b.seq
	})
	return out, nil
}

// unknownReason says why a rule could not be evaluated on a tick, or "".
func unknownReason(v engine.Verdict, snap *probes.Snapshot) string {
	r := v.Rule
	if v.Err != nil {
		for _, ref := range r.When.Refs {
			if snap.Err(ref) != nil {
				return fmt.Sprintf("probe %s failed", ref)
			}
		}
		return v.Err.Error()
	}
	// A firing rule whose clear_when reads a failed probe is unknown too: it neither
	// resolves nor stays firing because of it.
	if r.ClearWhen != nil && v.From == engine.Firing && v.State == engine.Firing {
		for _, ref := range r.ClearWhen.Refs {
			if snap.Err(ref) != nil {
				return fmt.Sprintf("probe %s failed (read by clear_when)", ref)
			}
		}
	}
	return ""
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
