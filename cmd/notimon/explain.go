package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agext/levenshtein"
	"github.com/spf13/cobra"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/ruletest"
)

func newExplainCmd() *cobra.Command {
	var atValues, stateDir string
	cmd := &cobra.Command{
		Use:   "explain RULE [--at-values FILE] [--state-dir DIR] [PATH]",
		Short: "Show why a rule holds or not: its condition's tree with every value, its state, what happens next",
		Long: `explain loads the rules (PATH, default ./rules.d), samples the probes RULE reads now (or
takes their values from a JSON file), and prints RULE's condition as a tree: every
sub-expression joined by ||, && or ! with its value, and the probe fields each one reads.
clear_when is shown the same way. Then the rule's state from the state directory (read
without taking its lock, so a running daemon is not disturbed) and what this tick would
do: become pending, fire and when, repeat, resolve. Nothing is sent, run or saved.

  --at-values FILE   probe values as JSON, by field path as rules read them:
                     {"cpu.avg3": 72.5, "mem.real_pct": 31, "http.site.up": false,
                      "disk[\"/\"].used_pct": 91, "http.site.error": "timeout"}
                     fields it does not give are 0 (false, ""); null means the probe failed
  --state-dir DIR    where run keeps its state (default as run)

Exit status: 0 explained, 1 the rules are invalid or the values file is wrong,
2 usage error (including a rule that does not exist).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("explain needs the name of a rule")}
			}
			return maxArgs(2)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "rules.d"
			if len(args) == 2 {
				path = args[1]
			}
			return explain(cmd, args[0], path, atValues, stateDir)
		},
	}
	cmd.Flags().StringVar(&atValues, "at-values", "", "a JSON file of probe values by field path, instead of sampling the probes")
	cmd.Flags().StringVar(&stateDir, "state-dir", defaultStateDir(), "the state directory run uses, to show the rule's state")
	return cmd
}

func explain(cmd *cobra.Command, name, path, atValues, stateDir string) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	cfg, diags := dsl.Load([]string{path}, dsl.Options{})
	if diags.HasErrors() {
		dsl.WriteDiagnostics(stderr, cfg.Files, diags)
		fmt.Fprintf(stderr, "notimon: %s has errors; fix them ('notimon validate %s' lists them).\n", path, path)
		return exitError{exitProblems}
	}
	var rule *dsl.Rule
	var names []string
	for _, r := range cfg.Rules {
		names = append(names, r.Name)
		if r.Name == name {
			rule = r
		}
	}
	if rule == nil {
		if s := closest(name, names); s != "" {
			return usageError{fmt.Errorf("no rule %q in %s. Did you mean %q?", name, path, s)}
		}
		return usageError{fmt.Errorf("no rule %q in %s; its rules are: %s", name, path, strings.Join(names, ", "))}
	}

	// Only this rule, reading only its probes.
	sub := *cfg
	sub.Rules, sub.Refs = []*dsl.Rule{rule}, rule.Refs
	opts := engine.Options{DryRun: true, Now: clock, Stdout: io.Discard}
	source := ""
	if atValues != "" {
		snap, errs := valuesSnapshot(cfg, atValues)
		if len(errs) > 0 {
			for _, err := range errs {
				fmt.Fprintf(stderr, "notimon: %v\n", err)
			}
			return exitError{exitProblems}
		}
		opts.Sampler = probes.SamplerFunc(func(_ context.Context, now time.Time, _ []probes.Ref) *probes.Snapshot {
			s := *snap
			s.Time = now
			return &s
		})
		source = fmt.Sprintf("from %s (fields it does not give are 0)", atValues)
	} else {
		opts.Sampler = newSampler(cfg)
	}

	// The state: a copy of state.json in a store of our own, so the engine's own loader
	// reads it and the state directory's lock (held by a running daemon) is not needed.
	stateNote, st, cleanup := copyState(stateDir)
	defer cleanup()
	if st != nil {
		opts.Store = st
	}
	eng := engine.New(&sub, opts)
	defer eng.Stop()
	if err := eng.Restore(); err != nil {
		stateNote = fmt.Sprintf("unreadable (%v); shown as inactive", err)
	}
	before := eng.States()[rule.Name]
	now := clock()
	rep := eng.Tick(cmd.Context(), now)
	after := eng.States()[rule.Name]
	if source == "" {
		source = fmt.Sprintf("probes sampled at %s", stamp(now))
	}
	v := rep.Verdicts[0]

	w := stdout
	fmt.Fprintf(w, "rule %q (%s:%d)%s\n", rule.Name, rule.Range.Filename, rule.Range.Start.Line, lifecycleSummary(rule))
	fmt.Fprintf(w, "values      %s\n", source)
	for _, ref := range rule.Refs {
		if err := rep.Snapshot.Err(ref); err != nil {
			fmt.Fprintf(w, "failed      %v\n", err)
		}
	}
	writeTree(w, "when", rule.When, &sub, rep.Snapshot)
	if rule.ClearWhen != nil {
		writeTree(w, "clear_when", rule.ClearWhen, &sub, rep.Snapshot)
	}
	state := before.State.String()
	if !before.Since.IsZero() {
		state += fmt.Sprintf(" since %s (%s ago)", stamp(before.Since), ruletest.FormatOffset(now.Sub(before.Since).Round(time.Second)))
	}
	fmt.Fprintf(w, "state       %s; %s\n", state, stateNote)
	fmt.Fprintf(w, "now         %s\n", outlook(rule, v, after, now))
	return nil
}

// copyState copies stateDir/state.json into a temporary store. It returns a note on where
// the state comes from, the store (nil without a usable state) and a cleanup function.
func copyState(stateDir string) (string, *store.Store, func()) {
	nothing := func() {}
	file := filepath.Join(stateDir, "state.json")
	data, err := os.ReadFile(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("no state yet: %s does not exist (notimon has not run with this state directory; --state-dir)", file), nil, nothing
	case err != nil:
		return fmt.Sprintf("cannot read %s (%v); shown as inactive", file, unwrapPath(err)), nil, nothing
	}
	var doc struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Sprintf("%s is unusable (%v); shown as inactive", file, err), nil, nothing
	}
	tmp, err := os.MkdirTemp("", "notimon-explain-")
	if err != nil {
		return fmt.Sprintf("cannot read %s (%v)", file, err), nil, nothing
	}
	cleanup := func() { os.RemoveAll(tmp) }
	if err := os.WriteFile(filepath.Join(tmp, "state.json"), data, 0o600); err != nil {
		return fmt.Sprintf("cannot read %s (%v)", file, err), nil, cleanup
	}
	st, err := store.Open(tmp, store.Options{Now: clock, LockWait: time.Second})
	if err != nil {
		return fmt.Sprintf("cannot read %s (%v)", file, err), nil, cleanup
	}
	return "from " + file, st, func() { st.Close(); cleanup() }
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// valuesSnapshot builds a snapshot from a JSON file of field values.
func valuesSnapshot(cfg *dsl.Config, name string) (*probes.Snapshot, []error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, []error{fmt.Errorf("--at-values: %w", err)}
	}
	var values map[string]any
	if err := json.Unmarshal(data, &values); err != nil {
		return nil, []error{fmt.Errorf("--at-values %s: not a JSON object of values by field path, such as {\"cpu.avg3\": 72.5}: %v", name, err)}
	}
	snap := &probes.Snapshot{}
	snap.Host.Name = cfg.Settings.Host
	if snap.Host.Name == "" {
		snap.Host.Name, _ = os.Hostname()
	}
	var errs []error
	for _, path := range sortedKeys(values) {
		f, err := ruletest.ResolveField(cfg.Schema, path)
		if err != nil {
			errs = append(errs, fmt.Errorf("--at-values %s: %q: %v", name, path, err))
			continue
		}
		s, err := f.SampleOf(values[path])
		if err != nil {
			errs = append(errs, fmt.Errorf("--at-values %s: %v", name, err))
			continue
		}
		f.Set(snap, s)
	}
	ruletest.ClearFailed(snap)
	return snap, errs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func stamp(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") }

func lifecycleSummary(r *dsl.Rule) string {
	var parts []string
	if r.For > 0 {
		parts = append(parts, "for "+ruletest.FormatOffset(r.For))
	}
	if r.Window > 1 {
		parts = append(parts, fmt.Sprintf("confirm %d of %d", r.Confirm, r.Window))
	}
	if r.Repeat > 0 {
		parts = append(parts, "repeat "+ruletest.FormatOffset(r.Repeat))
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
func outlook(r *dsl.Rule, v engine.Verdict, after engine.RuleState, now time.Time) string {
	if v.Err != nil {
		return fmt.Sprintf("unknown: %v. The state does not change on this tick.", v.Err)
	}
	chain := func(steps []*dsl.Step) string {
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
				s = append(s, "wait "+ruletest.FormatOffset(st.Duration))
			}
		}
		if len(s) == 0 {
			return "no steps"
		}
		return strings.Join(s, ", ")
	}
	resolves := "the condition stops holding"
	if r.ClearWhen != nil {
		resolves = "clear_when holds"
	}
	switch {
	case v.Event == engine.Fired:
		return fmt.Sprintf("fires: the fire chain would run (%s)", chain(r.Fire))
	case v.Event == engine.Resolved:
		return fmt.Sprintf("resolves: on_resolve would run (%s)", chain(r.Resolve))
	case v.Event == engine.Repeated:
		return fmt.Sprintf("still firing after %s: its notify steps would run again", ruletest.FormatOffset(r.Repeat))
	case after.State == engine.Pending:
		fire := after.Since.Add(r.For)
		verb := "becomes pending"
		if v.From == engine.Pending {
			verb = fmt.Sprintf("pending for %s", ruletest.FormatOffset(now.Sub(after.Since).Round(time.Second)))
		}
		return fmt.Sprintf("%s: fires at %s (in %s) if it keeps holding (for %s)", verb, stamp(fire), ruletest.FormatOffset(fire.Sub(now).Round(time.Second)), ruletest.FormatOffset(r.For))
	case v.From == engine.Pending && after.State == engine.Inactive:
		return "stops being pending: back to inactive; nothing is sent"
	case after.State == engine.Firing:
		s := fmt.Sprintf("stays firing (since %s) until %s", stamp(after.FiringSince), resolves)
		if r.Repeat > 0 {
			s += fmt.Sprintf("; next repeat at %s", stamp(after.LastNotified.Add(r.Repeat)))
		}
		return s
	case r.Window > 1:
		n := 0
		for _, b := range after.Recent {
			if b {
				n++
			}
		}
		if v.Holds {
			return fmt.Sprintf("stays inactive: when is true, but confirm needs %d of the last %d ticks true; %d so far", r.Confirm, r.Window, n)
		}
		return fmt.Sprintf("stays inactive: %d of the last %d ticks true (confirm needs %d)", n, len(after.Recent), r.Confirm)
	}
	s := "stays inactive: the condition does not hold"
	if r.For > 0 {
		s += fmt.Sprintf(" (once it holds, it fires after %s)", ruletest.FormatOffset(r.For))
	}
	return s
}

// closest returns the name nearest to given when it is close enough to be a typo.
func closest(given string, names []string) string {
	best, bestDist := "", 3
	for _, n := range names {
		if d := levenshtein.Distance(given, n, nil); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}
