package main

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/probes"
)

// What explain prints: the rule's lifecycle, its conditions as trees, what comes next.

func stamp(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") }

func lifecycleSummary(r *dsl.Rule) string {
	var parts []string
	if r.For > 0 {
		parts = append(parts, "for "+dsl.FormatDuration(r.For))
	}
	if r.Window > 1 {
		parts = append(parts, fmt.Sprintf("confirm %d of %d", r.Confirm, r.Window))
	}
	if r.Repeat > 0 {
		parts = append(parts, "repeat "+dsl.FormatDuration(r.Repeat))
	}
	parts = append(parts, "severity "+r.Severity)
	return ": " + strings.Join(parts, ", ")
}

// writeTree prints a condition as a tree, each line with its value and what it reads.
func writeTree(w io.Writer, label string, p *dsl.Program, cfg *dsl.Config, snap *probes.Snapshot) {
	root, err := cfg.Explain(p, snap)
	if err != nil {
		fmt.Fprintf(w, "%-11s %s → error: %v\n", label, p.Source, err)
		return
	}
	type line struct {
		prefix, src, val, reads string
	}
	var lines []line
	var walk func(x *dsl.Term, prefix, childPrefix string)
	walk = func(x *dsl.Term, prefix, childPrefix string) {
		l := line{prefix: prefix, src: x.Source}
		switch {
		case x.Err != nil:
			l.val = "error: " + x.Err.Error()
		default:
			l.val = fmt.Sprint(x.Value)
		}
		var reads []string
		for _, r := range x.Reads {
			reads = append(reads, r.Source+" = "+readValue(r))
		}
		if len(reads) > 0 {
			l.reads = "(" + strings.Join(reads, ", ") + ")"
		}
		lines = append(lines, l)
		for i, c := range x.Terms {
			if i == len(x.Terms)-1 {
				walk(c, childPrefix+"└─ ", childPrefix+"   ")
			} else {
				walk(c, childPrefix+"├─ ", childPrefix+"│  ")
			}
		}
	}
	walk(root, "", "")
	const maxWidth = 60 // longer expressions are not aligned
	width := 0
	for _, l := range lines {
		if n := utf8.RuneCountInString(l.prefix + l.src); n <= maxWidth {
			width = max(width, n)
		}
	}
	for i, l := range lines {
		head := fmt.Sprintf("%-11s ", label)
		if i > 0 {
			head = strings.Repeat(" ", 12)
		}
		text := l.prefix + l.src
		pad := max(width-utf8.RuneCountInString(text), 0)
		val := l.val
		if l.reads != "" {
			val = fmt.Sprintf("%-5s   %s", val, l.reads)
		}
		fmt.Fprintf(w, "%s%s%s   → %s\n", head, text, strings.Repeat(" ", pad), val)
	}
}

// readValue renders the value of a probe field or time window a term reads.
func readValue(r dsl.Read) string {
	switch {
	case r.Err != nil:
		return "<" + r.Err.Error() + ">"
	case r.NoData:
		return "no data yet"
	}
	if s, ok := r.Value.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return dsl.FormatValue(r.Value)
}

// outlook says what this tick does to the rule, and what would come next.
func outlook(r *dsl.Rule, v engine.Verdict, o engine.Outlook, now time.Time) string {
	resolves := "the condition stops holding"
	if r.ClearWhen != nil {
		resolves = "clear_when holds"
	}
	switch o.Kind {
	case engine.OutlookUnknown:
		return fmt.Sprintf("unknown: %v. The state does not change on this tick.", v.Err)
	case engine.OutlookFires:
		return fmt.Sprintf("fires: the fire chain would run (%s)", chainSummary(r.Fire))
	case engine.OutlookResolves:
		return fmt.Sprintf("resolves: on_resolve would run (%s)", chainSummary(r.Resolve))
	case engine.OutlookRepeats:
		return fmt.Sprintf("still firing after %s: its notify steps would run again", dsl.FormatDuration(r.Repeat))
	case engine.OutlookBecomesPending, engine.OutlookStaysPending:
		verb := "becomes pending"
		if o.Kind == engine.OutlookStaysPending {
			verb = fmt.Sprintf("pending for %s", dsl.FormatDuration(now.Sub(o.Since).Round(time.Second)))
		}
		return fmt.Sprintf("%s: fires at %s (in %s) if it keeps holding (for %s)", verb, stamp(o.At), dsl.FormatDuration(o.At.Sub(now).Round(time.Second)), dsl.FormatDuration(r.For))
	case engine.OutlookStopsPending:
		return "stops being pending: back to inactive; nothing is sent"
	case engine.OutlookStaysFiring:
		s := fmt.Sprintf("stays firing (since %s) until %s", stamp(o.Since), resolves)
		if !o.At.IsZero() {
			s += fmt.Sprintf("; next repeat at %s", stamp(o.At))
		}
		return s
	case engine.OutlookConfirming:
		if v.Holds {
			return fmt.Sprintf("stays inactive: when is true, but confirm needs %d of the last %d ticks true; %d so far", r.Confirm, r.Window, o.Trues)
		}
		return fmt.Sprintf("stays inactive: %d of the last %d ticks true (confirm needs %d)", o.Trues, o.Of, r.Confirm)
	}
	s := "stays inactive: the condition does not hold"
	if r.For > 0 {
		s += fmt.Sprintf(" (once it holds, it fires after %s)", dsl.FormatDuration(r.For))
	}
	return s
}

// chainSummary lists a chain's steps on one line.
func chainSummary(steps []*dsl.Step) string {
	var s []string
	for _, st := range steps {
		switch st.Kind {
		case dsl.StepNotify, dsl.StepRenotify:
			s = append(s, fmt.Sprintf("%s %q", st.Kind, st.Notifier))
		case dsl.StepExec:
			cmd := strings.Join(st.Command, " ")
			if st.Shell != "" {
				// A script on one line: its first line, and … when it has more.
				first, rest, _ := strings.Cut(strings.TrimSpace(st.Shell), "\n")
				if rest != "" {
					first += " …"
				}
				cmd = "sh -c '" + first + "'"
			}
			s = append(s, "exec "+cmd)
		case dsl.StepWait:
			s = append(s, "wait "+dsl.FormatDuration(st.Duration))
		}
	}
	if len(s) == 0 {
		return "no steps"
	}
	return strings.Join(s, ", ")
}
