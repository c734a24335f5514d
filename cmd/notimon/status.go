package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/status"
)

func newStatusCmd() *cobra.Command {
	var stateDir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [--state-dir DIR] [--json] [PATH]",
		Short: "Show what notimon thinks: every rule's state and values, the outbox, the last reload, the daemon",
		Long: `status reads the state directory and prints one line per rule (state, for how long,
severity, the last values of its condition's fields, when it repeats, silences and acks),
then the outbox (messages queued per notifier, the oldest's age, the last delivery error),
the last reload of a daemon (ok, or its errors with file:line), the silences, the latest
transitions, and the pid of the notimon holding the state directory.

It works in cron mode and beside a running daemon: it reads without taking the state
directory's lock and changes nothing. The rules (PATH, default ./rules.d) give each rule's
severity, labels and repeat, and list rules that have not run yet; when they do not load,
status still shows what the state says and reports why.

  --state-dir DIR   the state directory run uses (default as run)
  --json            the same as one JSON document, as GET /api/v1/status serves it (see
                    the README)

Exit status: 0 no rule is firing, 1 at least one rule is firing (so scripts can use it),
2 usage error.`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "rules.d"
			if len(args) == 1 {
				path = args[0]
			}
			return showStatus(cmd, path, stateDir, asJSON)
		},
	}
	cmd.Flags().StringVar(&stateDir, "state-dir", defaultStateDir(), "the state directory run uses")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

func showStatus(cmd *cobra.Command, path, stateDir string, asJSON bool) error {
	stdout := cmd.OutOrStdout()
	var cfg *dsl.Config
	var loadErr string
	if c, diags := dsl.Load([]string{path}, dsl.Options{}); diags.HasErrors() {
		errs := diags.Errs()
		loadErr = fmt.Sprintf("the rules in %s do not load (%s); rules are shown as the state has them: %v",
			path, plural(len(errs), "error"), errs[0])
	} else {
		cfg = c
	}
	st, err := status.Read(stateDir, cfg, clock())
	if err != nil {
		return usageError{err}
	}
	if loadErr != "" {
		st.Problems = append([]string{loadErr}, st.Problems...)
	}
	if asJSON {
		writeJSON(stdout, st)
	} else {
		printStatus(stdout, st)
	}
	if st.Firing {
		return exitError{exitProblems}
	}
	return nil
}

// printStatus writes st for people.
func printStatus(w io.Writer, st *status.Status) {
	now := st.Time
	ago := func(t time.Time) string { return dsl.FormatDuration(now.Sub(t).Round(time.Second)) }
	in := func(t time.Time) string {
		if d := t.Sub(now).Round(time.Second); d > 0 {
			return "in " + dsl.FormatDuration(d)
		}
		return "now"
	}

	if len(st.Rules) == 0 {
		fmt.Fprintln(w, "no rules (none in the rules directory, none in the state)")
	} else {
		var table strings.Builder
		tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tSTATE\tFOR\tSEVERITY\tVALUES\tNEXT REPEAT\tNOTES")
		for _, r := range st.Rules {
			since, repeat := "-", "-"
			if !r.Since.IsZero() {
				since = ago(r.Since)
			}
			if !r.NextRepeat.IsZero() {
				repeat = in(r.NextRepeat)
			}
			sev := r.Severity
			if sev == "" {
				sev = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.State, since, sev, formatValues(r.Values), repeat, strings.Join(ruleNotes(r, ago, in), "; "))
		}
		tw.Flush()
		for _, l := range strings.SplitAfter(table.String(), "\n") {
			io.WriteString(w, strings.TrimRight(l, " \n")+strings.Repeat("\n", strings.Count(l, "\n")))
		}
	}
	c := st.Counts
	fmt.Fprintf(w, "\n%s: %d firing, %d pending, %d inactive", plural(c.Rules, "rule"), c.Firing, c.Pending, c.Inactive)
	if c.Silenced > 0 || c.Acked > 0 {
		fmt.Fprintf(w, "; %d silenced, %d acked", c.Silenced, c.Acked)
	}
	fmt.Fprintln(w)

	fmt.Fprintf(w, "outbox: %d queued", st.Outbox.Queued)
	if st.Outbox.Unreadable > 0 {
		fmt.Fprintf(w, " (%d unreadable entries)", st.Outbox.Unreadable)
	}
	fmt.Fprintln(w)
	for _, n := range st.Outbox.Notifiers {
		if n.Queued == 0 {
			continue
		}
		line := fmt.Sprintf("  %s: %d queued, oldest %s old", n.Name, n.Queued, ago(n.Oldest))
		if n.Attempts > 0 {
			line += ", " + plural(n.Attempts, "attempt")
		}
		if !n.NextAttempt.IsZero() {
			line += ", next attempt " + in(n.NextAttempt)
		}
		if n.LastError != "" {
			line += ", last error: " + firstLine(n.LastError)
		}
		fmt.Fprintln(w, line)
	}

	switch r := st.LastReload; {
	case r == nil:
		fmt.Fprintln(w, "last reload: none recorded (cron mode, or the daemon has not reloaded)")
	case r.OK:
		fmt.Fprintf(w, "last reload: ok at %s (%s ago)\n", stamp(r.Time), ago(r.Time))
	default:
		fmt.Fprintf(w, "last reload: FAILED at %s (%s ago); the previous rules keep running:\n", stamp(r.Time), ago(r.Time))
		for _, l := range strings.Split(strings.TrimRight(r.Error, "\n"), "\n") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}

	if d := st.Daemon; d != nil {
		who := "pid unknown"
		if d.PID > 0 {
			who = "pid " + strconv.Itoa(d.PID)
		}
		if d.Mode == "once" {
			who += ", a run --once in progress"
		}
		fmt.Fprintf(w, "daemon: running (%s) with %s\n", who, st.StateDir)
	} else {
		fmt.Fprintf(w, "daemon: none holds %s (cron mode, or not running)\n", st.StateDir)
	}
	if !st.StateFound {
		fmt.Fprintf(w, "state: none yet in %s (notimon has not run with this state directory; --state-dir)\n", st.StateDir)
	}

	if len(st.Silences) > 0 {
		fmt.Fprintln(w, "silences:")
		for _, s := range st.Silences {
			line := fmt.Sprintf("  %s  %s", s.Silence.Describe(), s.Status)
			if len(s.Rules) > 0 && s.Status != "expired" {
				line += ", selects " + strings.Join(s.Rules, ", ")
			}
			fmt.Fprintln(w, line)
		}
	}
	if len(st.Maintenance) > 0 {
		fmt.Fprintln(w, "maintenance:")
		for _, m := range st.Maintenance {
			state := "inactive"
			if m.Active {
				state = "active until " + stamp(m.Until)
			} else if !m.From.IsZero() {
				state = "next " + stamp(m.From) + " – " + stamp(m.Until)
			}
			fmt.Fprintf(w, "  %s: %s\n", m.Name, state)
		}
	}
	if len(st.Transitions) > 0 {
		fmt.Fprintln(w, "recent transitions:")
		for _, t := range st.Transitions[:min(len(st.Transitions), 5)] {
			fmt.Fprintf(w, "  %s  %s %s → %s  %s\n", stamp(t.At), t.Rule, t.From, t.To, formatValues(t.Values))
		}
	}
	for _, p := range st.Problems {
		fmt.Fprintf(w, "problem: %s\n", firstLine(p))
	}
}

// ruleNotes are the remarks of a rule's line: silences, ack, the chain under way, why it
// could not be evaluated, whether the rules have it.
func ruleNotes(r status.Rule, ago, in func(time.Time) string) []string {
	var notes []string
	for _, s := range r.Silenced {
		n := "silenced " + s.ID
		if s.By != "" {
			n += " by " + s.By
		}
		notes = append(notes, n+" until "+stamp(s.EndsAt))
	}
	if a := r.Ack; a != nil {
		n := "acked"
		if a.By != "" {
			n += " by " + a.By
		}
		n += " " + ago(a.At) + " ago"
		if a.Comment != "" {
			n += fmt.Sprintf(" (%q)", a.Comment)
		}
		notes = append(notes, n)
	}
	for _, m := range r.Maintenance {
		notes = append(notes, "in maintenance "+m)
	}
	if r.Suppressed != "" && len(r.Silenced) == 0 && len(r.Maintenance) == 0 {
		notes = append(notes, "held back: "+r.Suppressed)
	}
	if c := r.Chain; c != nil {
		n := fmt.Sprintf("%s chain at step %d", c.Kind, c.Step)
		if c.Steps > 0 {
			n += fmt.Sprintf(" of %d", c.Steps)
		}
		if !c.WaitUntil.IsZero() {
			n += ", waiting until " + stamp(c.WaitUntil)
		}
		notes = append(notes, n)
	}
	if r.Error != "" {
		notes = append(notes, "unknown: "+firstLine(r.Error))
	}
	if !r.InRules {
		notes = append(notes, "not in the rules")
	}
	return notes
}

// formatValues writes a rule's values as path=value, sorted by path; floats to 2 decimals.
func formatValues(vs map[string]any) string {
	if len(vs) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(vs))
	for _, k := range slices.Sorted(maps.Keys(vs)) {
		parts = append(parts, k+"="+formatValue(vs[k]))
	}
	return strings.Join(parts, " ")
}

func formatValue(v any) string {
	switch v := v.(type) {
	case float64:
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	case string:
		if v == "" || strings.ContainsAny(v, " \t\n\"") {
			return strconv.Quote(firstLine(v))
		}
		return v
	}
	return fmt.Sprint(v)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
