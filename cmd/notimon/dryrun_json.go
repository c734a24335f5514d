package main

import (
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
)

// What `run --once --dry-run --format json` prints: the dry run's report as one document.

// jsonDryRun is the dry run of one tick.
type jsonDryRun struct {
	Time     string        `json:"time"`     // the tick (RFC 3339)
	Sampling float64       `json:"sampling"` // seconds spent sampling the probes
	Holding  int           `json:"holding"`  // rules whose condition holds
	Rules    []jsonVerdict `json:"rules"`
}

// jsonVerdict is one rule's verdict on the tick, the values its condition read, and what it
// would do.
type jsonVerdict struct {
	Rule    string `json:"rule"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	When    string `json:"when"`
	Verdict string `json:"verdict"` // "true", "false" or "unknown" (see error)
	Error   string `json:"error,omitempty"`
	// Values are the probe fields `when` reads, with their values.
	Values []jsonRead `json:"values"`
	// From and State: the rule's lifecycle state before the tick (a dry run does not read
	// the state directory, so it starts from inactive) and the one the tick leads to;
	// Event is what the transition would start: none, fired, repeated or resolved.
	From  string `json:"from"`
	State string `json:"state"`
	Event string `json:"event"`
	// Actions are the steps of the chain the rule would run, messages rendered.
	Actions []jsonAction `json:"actions"`
}

// jsonAction is one step a dry run would carry out.
type jsonAction struct {
	Step     int      `json:"step"` // 1, 2, … in the chain
	Kind     string   `json:"kind"` // notify, renotify, exec, wait
	Notifier string   `json:"notifier,omitempty"`
	Text     string   `json:"text,omitempty"`    // the rendered message (notify, renotify)
	Command  []string `json:"command,omitempty"` // exec: argv
	Shell    string   `json:"shell,omitempty"`   // exec: a /bin/sh -c script
	Timeout  string   `json:"timeout,omitempty"` // exec
	Duration string   `json:"duration,omitempty"`
	Skipped  string   `json:"skipped,omitempty"` // why it did not run: "dry run"
	// Suppressed says why a real run would hold the step back (an active silence …).
	Suppressed string `json:"suppressed,omitempty"`
	Error      string `json:"error,omitempty"` // e.g. a message that could not be rendered
}

func dryRunJSON(rep *engine.Report) jsonDryRun {
	j := jsonDryRun{Time: jsonTime(rep.Time), Sampling: rep.Sampling.Round(time.Millisecond).Seconds(), Rules: []jsonVerdict{}}
	for _, v := range rep.Verdicts {
		r := v.Rule
		jv := jsonVerdict{
			Rule: r.Name, File: r.Range.Filename, Line: r.Range.Start.Line, When: r.When.Source,
			Verdict: "false", Values: []jsonRead{}, From: v.From.String(), State: v.State.String(),
			Event: v.Event.String(), Actions: []jsonAction{},
		}
		switch {
		case v.Err != nil:
			jv.Verdict, jv.Error = "unknown", v.Err.Error()
		case v.Holds:
			jv.Verdict = "true"
			j.Holding++
		}
		for _, in := range r.When.Inputs {
			jr := jsonRead{Expr: in.Path}
			if val, err := in.Eval(rep.Env); err != nil {
				jr.Error = err.Error()
			} else {
				jr.Value = jsonValue(val)
			}
			jv.Values = append(jv.Values, jr)
		}
		for i, a := range v.Actions {
			jv.Actions = append(jv.Actions, jsonStep(i+1, a))
		}
		j.Rules = append(j.Rules, jv)
	}
	return j
}

func jsonStep(n int, a engine.Action) jsonAction {
	s := a.Step
	j := jsonAction{Step: n, Kind: s.Kind.String(), Text: a.Text, Skipped: a.Skipped, Suppressed: a.Suppressed}
	switch s.Kind {
	case dsl.StepNotify, dsl.StepRenotify:
		j.Notifier = s.Notifier
	case dsl.StepExec:
		j.Command, j.Shell, j.Timeout = s.Command, s.Shell, dsl.FormatDuration(s.Timeout)
	case dsl.StepWait:
		j.Duration = dsl.FormatDuration(s.Duration)
	}
	if a.Err != nil {
		j.Error = a.Err.Error()
	}
	return j
}
