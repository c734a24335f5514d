package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
)

// writeReport prints a dry run: each rule's verdict, the values it read, and what it would do.
func writeReport(w io.Writer, rep *engine.Report) {
	holding := 0
	for _, v := range rep.Verdicts {
		r := v.Rule
		verdict := "false"
		switch {
		case v.Err != nil:
			verdict = "unknown (error)"
		case v.Holds:
			verdict = "TRUE"
			holding++
		}
		fmt.Fprintf(w, "rule %q (%s:%d): %s\n", r.Name, r.Range.Filename, r.Range.Start.Line, verdict)
		fmt.Fprintf(w, "    when  %s\n", r.When.Source)
		for _, in := range r.When.Inputs {
			val, err := in.Eval(rep.Env)
			if err != nil {
				fmt.Fprintf(w, "          %s = <%v>\n", in.Path, err)
				continue
			}
			fmt.Fprintf(w, "          %s = %s\n", in.Path, dsl.FormatValue(val))
		}
		if v.Err != nil {
			fmt.Fprintf(w, "    error %v\n", v.Err)
		}
		if v.Holds {
			switch v.State {
			case engine.Pending:
				fmt.Fprintf(w, "    would be pending: fires once the condition has held for %s\n", r.For)
			case engine.Firing:
				fmt.Fprintf(w, "    would fire:\n")
			case engine.Inactive:
				fmt.Fprintf(w, "    would not fire yet: confirm = \"%d of %d\" needs more true ticks\n", r.Confirm, r.Window)
			}
		}
		for i, a := range v.Actions {
			writeAction(w, i+1, a)
		}
	}
	fmt.Fprintf(w, "%s, %d holding; probes sampled in %s; dry run: nothing was sent or executed\n",
		plural(len(rep.Verdicts), "rule"), holding, rep.Sampling.Round(time.Millisecond))
}

func writeAction(w io.Writer, n int, a engine.Action) {
	s := a.Step
	switch s.Kind {
	case dsl.StepNotify, dsl.StepRenotify:
		fmt.Fprintf(w, "    %d. %s %q", n, s.Kind, s.Notifier)
	case dsl.StepExec:
		if s.Shell != "" {
			fmt.Fprintf(w, "    %d. exec sh -c (timeout %s)", n, s.Timeout)
		} else {
			fmt.Fprintf(w, "    %d. exec %s (timeout %s)", n, strings.Join(s.Command, " "), s.Timeout)
		}
	case dsl.StepWait:
		fmt.Fprintf(w, "    %d. wait %s", n, s.Duration)
	}
	switch {
	case a.Err != nil:
		fmt.Fprintf(w, ": error: %v\n", a.Err)
	case a.Suppressed != "" && a.Text != "":
		fmt.Fprintf(w, " would be suppressed by %s; it would have sent:\n", a.Suppressed)
		for _, line := range strings.Split(strings.TrimRight(a.Text, "\n"), "\n") {
			fmt.Fprintf(w, "         | %s\n", line)
		}
	case a.Suppressed != "":
		fmt.Fprintf(w, ": would be suppressed by %s\n", a.Suppressed)
	case a.Text != "":
		fmt.Fprintf(w, " would send:\n")
		for _, line := range strings.Split(strings.TrimRight(a.Text, "\n"), "\n") {
			fmt.Fprintf(w, "         | %s\n", line)
		}
	case a.Skipped != "":
		fmt.Fprintf(w, ": skipped: %s\n", a.Skipped)
	default:
		fmt.Fprintln(w)
	}
	if s.Kind == dsl.StepExec && s.Shell != "" {
		// The script, under the step's line: it may be several lines long.
		for _, line := range strings.Split(strings.TrimRight(s.Shell, "\n"), "\n") {
			fmt.Fprintf(w, "         $ %s\n", line)
		}
	}
}
