package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/notimon/notimon/actions/exec"
	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/probes"
)

// startChain runs the rule's queued chains, one after another, in a goroutine of their own,
// with the configuration the rule comes from. e.mu is held.
func (e *Engine) startChain(r *dsl.Rule, snap *probes.Snapshot) {
	name := r.Name
	e.running[name] = true
	e.changedLocked()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for first := true; ; first = false {
			e.mu.Lock()
			st := e.state(name)
			if len(st.Chains) == 0 || e.ctx.Err() != nil {
				e.running[name] = false
				e.changedLocked()
				e.mu.Unlock()
				return
			}
			c := st.Chains[0]
			// Each chain runs with the rule as the current rules define it and, when it
			// waited behind another chain, with the latest tick's values.
			cfg := e.cfg
			if cur := ruleNamed(cfg, name); cur != nil {
				r = cur
			}
			if !first && e.lastSnap != nil {
				snap = e.lastSnap
			}
			e.mu.Unlock()

			if c.Chain == ChainResolve && c.Step == 0 && !c.Started {
				e.resolveResent(r, c)
			}
			if done := e.runChain(cfg, r, &c, snap); !done {
				e.mu.Lock()
				e.running[r.Name] = false
				e.changedLocked()
				e.mu.Unlock()
				return // stopped: the cursor is saved, the next run resumes it
			}
			e.mu.Lock()
			if st := e.state(r.Name); len(st.Chains) > 0 {
				st.Chains = st.Chains[1:]
			}
			e.mu.Unlock()
			e.save()
		}
	}()
}

func ruleNamed(cfg *dsl.Config, name string) *dsl.Rule {
	for _, r := range cfg.Rules {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// steps returns the steps a chain of kind k runs.
func steps(r *dsl.Rule, k ChainKind) []*dsl.Step {
	switch k {
	case ChainFire:
		return r.Fire
	case ChainResolve:
		return r.Resolve
	case ChainRepeat, ChainCatchUp:
		var out []*dsl.Step
		for _, s := range r.Fire {
			if s.Kind == dsl.StepNotify {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// runChain runs c's remaining steps and reports whether the chain is over (finished, or
// ended by a failing exec with on_failure = "stop"); false means it was stopped.
func (e *Engine) runChain(cfg *dsl.Config, r *dsl.Rule, c *Cursor, snap *probes.Snapshot) bool {
	machine := &dsl.VM{}
	list := steps(r, c.Chain)
	if c.Step < 0 { // a hand-edited or damaged state file
		c.Step = 0
	}
	for c.Step < len(list) {
		if e.ctx.Err() != nil {
			return false
		}
		step := list[c.Step]
		stop := false
		if c.Started && step.Kind == dsl.StepExec {
			e.log.Warn("exec step was interrupted by a stop before it finished; not running it again",
				"rule", r.Name, "chain", string(c.Chain), "step", c.Step+1, "at", dsl.Position(step.Range))
		} else {
			c.Started = true
			e.setCursor(r.Name, *c)
			var interrupted bool
			stop, interrupted = e.runStep(cfg, r, step, c, snap, machine)
			if interrupted {
				e.setCursor(r.Name, *c)
				return false
			}
		}
		c.Step++
		c.Started, c.WaitUntil = false, time.Time{}
		e.setCursor(r.Name, *c)
		if stop {
			break
		}
	}
	return true
}

// setCursor records the running chain's cursor and saves the state.
func (e *Engine) setCursor(rule string, c Cursor) {
	e.mu.Lock()
	if st := e.state(rule); len(st.Chains) > 0 {
		st.Chains[0] = c
	}
	e.mu.Unlock()
	e.save()
}

// runStep carries out one step. stop ends the chain; interrupted means the engine is
// stopping and the step should resume on the next run.
func (e *Engine) runStep(cfg *dsl.Config, r *dsl.Rule, step *dsl.Step, c *Cursor, snap *probes.Snapshot, machine *dsl.VM) (stop, interrupted bool) {
	log := e.log.With("rule", r.Name, "chain", string(c.Chain), "step", step.Kind.String())
	if reason, held := e.stepSuppression(cfg, r, step, c); held {
		e.holdStep(cfg, r, step, c, reason)
		return false, false
	}
	e.owedCatchUp(r, step, c)
	switch step.Kind {
	case dsl.StepNotify:
		e.notifyStep(cfg, r, step, c, snap, machine)
	case dsl.StepRenotify:
		fresh := e.resample(withHost(step.Message.Refs))
		e.notifyStep(cfg, r, step, c, fresh, machine)
	case dsl.StepWait:
		if c.WaitUntil.IsZero() {
			c.WaitUntil = e.now().Add(step.Duration)
			e.setCursor(r.Name, *c)
		}
		// A wait resumed after a restart waits what was left, never more than the step
		// says (the clock may have jumped while notimon was down).
		until := c.WaitUntil
		if limit := e.now().Add(step.Duration); limit.Before(until) {
			until = limit
		}
		e.setWaiting(r.Name, until)
		err := e.opts.SleepUntil(e.ctx, until)
		e.setWaiting(r.Name, time.Time{})
		if err != nil {
			return false, true
		}
	case dsl.StepExec:
		if step.MaxRuns > 0 {
			ok, notice, until, runs := e.allowRun(r.Name, execKey(c.Chain, c.Step), step, e.now())
			if !ok {
				log.Warn("exec skipped: max_runs reached; remediation suspended", "program", programName(step),
					"runs", runs, "per", dsl.FormatDuration(step.MaxRunsPer), "until", until)
				info := skippedExec(step, runs, until)
				c.LastExec = &info
				if e.opts.Suppressed != nil {
					e.opts.Suppressed(SuppressedStep{Rule: r.Name, Chain: c.Chain, Step: step, Reason: info.Error, Time: e.now()})
				}
				if notice {
					e.suspendNotice(cfg, r, c, step, snap, runs, until)
				}
				return false, false
			}
		}
		res := e.opts.Exec(e.ctx, exec.Spec{
			Argv: step.Command, Shell: step.Shell, Env: step.Env, Timeout: step.Timeout,
			Alert: alertEnv(r, c, snap), InheritEnv: step.InheritEnv, Strip: e.config().SecretEnv,
		})
		info := execInfo(step, res)
		c.LastExec = &info
		// Logs name the program only: arguments may carry secrets (a bearer token).
		prog := programName(step)
		if res.Err != nil {
			log.Error("exec failed", "program", prog, "err", res.Err, "exit_code", res.ExitCode)
			e.recordErr(&StepError{Rule: r.Name, Chain: c.Chain, Step: step, Err: &ExecError{
				Program: prog, At: dsl.Position(step.Range), ExitCode: res.ExitCode, TimedOut: res.TimedOut, Err: res.Err,
			}})
			if step.StopOnFailure {
				log.Warn("chain stopped: the exec step failed and on_failure is \"stop\"")
				return true, false
			}
		} else {
			log.Info("exec done", "program", prog, "duration", res.Duration.Round(time.Millisecond))
		}
	}
	return false, false
}

// programName is what logs say of a command: the program, or "sh -c" for a shell script.
func programName(step *dsl.Step) string {
	if step.Shell != "" || len(step.Command) == 0 {
		return "sh -c …"
	}
	return step.Command[0]
}

func execInfo(step *dsl.Step, res exec.Result) dsl.ExecInfo {
	cmd := step.Shell
	if cmd == "" {
		cmd = strings.Join(step.Command, " ")
	}
	info := dsl.ExecInfo{
		// Trailing whitespace trimmed: a message quoting {{ exec.output }} mid-sentence
		// would otherwise carry the command's final newline.
		ExitCode: res.ExitCode, Duration: res.Duration,
		Output:   strings.TrimRightFunc(res.Stdout, unicode.IsSpace),
		Stderr:   strings.TrimRightFunc(res.Stderr, unicode.IsSpace),
		TimedOut: res.TimedOut, Command: cmd, Succeeded: res.Err == nil,
	}
	if res.Err != nil {
		info.Error = res.Err.Error()
	}
	var crlf *exec.CRLFError
	if errors.As(res.Err, &crlf) {
		// The command printed nothing that says why (or only "bad interpreter"): the
		// output a message quotes ends with notimon's one-line explanation.
		info.Output = strings.TrimLeft(info.Output+"\nnotimon: "+crlf.Error(), "\n")
	}
	return info
}

// alertEnv is the alert context an exec step's command sees in its environment.
func alertEnv(r *dsl.Rule, c *Cursor, snap *probes.Snapshot) map[string]string {
	env := map[string]string{
		"NOTIMON_RULE":     r.Name,
		"NOTIMON_STATE":    chainState(c),
		"NOTIMON_SEVERITY": r.Severity,
		"NOTIMON_HOST":     hostName(snap),
		"NOTIMON_CHAIN":    string(c.Chain),
	}
	if !c.FiringSince.IsZero() {
		env["NOTIMON_FIRING_SINCE"] = c.FiringSince.UTC().Format(time.RFC3339)
	}
	for k, v := range r.Labels {
		env["NOTIMON_LABEL_"+strings.ToUpper(k)] = v
	}
	return env
}

func chainState(c *Cursor) string {
	if c.Chain == ChainResolve {
		return "resolved"
	}
	return "firing"
}

// messageEnv is what a message of the chain reads: the probes, rule and exec, shaped by the
// schema of the configuration the message was compiled with.
// op is what the operator did (opInfo).
func (e *Engine) messageEnv(cfg *dsl.Config, r *dsl.Rule, c *Cursor, snap *probes.Snapshot, op dsl.RuleInfo) map[string]any {
	env := cfg.Schema.Map(snap)
	end := c.ResolvedAt
	if end.IsZero() {
		end = e.now()
	}
	firingFor := time.Duration(0)
	if !c.FiringSince.IsZero() {
		firingFor = end.Sub(c.FiringSince)
	}
	info := op
	info.Name, info.Severity, info.Labels = r.Name, r.Severity, r.Labels
	info.State, info.FiringFor, info.Value = chainState(c), firingFor, c.Chain != ChainResolve
	env["rule"] = info
	env["exec"] = dsl.ExecInfo{}
	if c.LastExec != nil {
		env["exec"] = *c.LastExec
	}
	return env
}

// notifyStep renders the step's message and hands it to the outbox.
func (e *Engine) notifyStep(cfg *dsl.Config, r *dsl.Rule, step *dsl.Step, c *Cursor, snap *probes.Snapshot, machine *dsl.VM) {
	entry, _ := e.notifier(step.Notifier)
	env := e.messageEnv(cfg, r, c, snap, e.opInfo(r, c))
	text, err := step.Message.Render(machine, env, entry.escape)
	if err != nil {
		// The message still goes out, with <error> where a placeholder failed: an alert
		// with a hole beats no alert.
		e.recordErr(&StepError{Rule: r.Name, Chain: c.Chain, Step: step,
			Err: fmt.Errorf("rendering the message for %q (%s): %w", step.Notifier, dsl.Position(step.Range), err)})
	}
	if strings.TrimSpace(text) == "" {
		e.log.Warn("message rendered empty; nothing to send", "rule", r.Name, "notifier", step.Notifier, "at", dsl.Position(step.Range))
		return
	}
	if c.Note != "" {
		note := c.Note
		if entry.escape != nil {
			note = entry.escape(note)
		}
		text = note + "\n" + text
	}
	m := notify.Message{
		Notifier: step.Notifier, Rule: r.Name, State: chainState(c), Severity: r.Severity,
		Labels: r.Labels, Host: hostName(snap), Text: text, Values: c.Values,
		Time: e.now(), StartsAt: c.FiringSince, EndsAt: c.ResolvedAt,
		Link: statusLink(cfg.Server, hostName(snap), r.Name),
	}
	if entry.title != nil {
		title, err := entry.title.Render(machine, env, nil)
		if err != nil {
			e.recordErr(fmt.Errorf("rule %q: rendering the title of %q: %w", r.Name, step.Notifier, err))
		}
		m.Title = notify.HeaderValue(title)
	}
	e.announced(r, c)
	e.remember(r.Name, c, entry, m, e.deliver(m))
}

// preview is what a dry run shows for a rule that holds: its fire chain, rendered.
func (e *Engine) preview(r *dsl.Rule, snap *probes.Snapshot, env any) []Action {
	c := &Cursor{Chain: ChainFire, Values: inputValues(r, env)}
	sup := e.suppression(e.cfg, r, snap.Time)
	op := e.opInfoLocked(r, c)
	var out []Action
	for _, step := range r.Fire {
		a := Action{Step: step, Skipped: "dry run"}
		switch step.Kind {
		case dsl.StepNotify, dsl.StepRenotify:
			if sup.Notify {
				a.Suppressed = sup.Reason
			}
		case dsl.StepExec:
			if sup.Exec {
				a.Suppressed = sup.Reason
			}
		}
		if step.Message != nil {
			entry := e.notifiers[step.Notifier]
			a.Text, a.Err = step.Message.Render(&e.machine, e.messageEnv(e.cfg, r, c, snap, op), entry.escape)
		}
		out = append(out, a)
	}
	return out
}

func (e *Engine) now() time.Time {
	if e.opts.Now != nil {
		return e.opts.Now()
	}
	return time.Now()
}
