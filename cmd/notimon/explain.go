package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/engine/control"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/ruletest"
)

func newExplainCmd() *cobra.Command {
	var atValues, stateDir, format string
	cmd := &cobra.Command{
		Use:   "explain RULE [--at-values FILE] [--state-dir DIR] [--format text|json] [PATH]",
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
  --format json      the same as one JSON document (the tree with every value); see
                     the README

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
			return explain(cmd, args[0], path, atValues, stateDir, format)
		},
	}
	cmd.Flags().StringVar(&atValues, "at-values", "", "a JSON file of probe values by field path, instead of sampling the probes")
	cmd.Flags().StringVar(&stateDir, "state-dir", defaultStateDir(), "the state directory run uses, to show the rule's state")
	addFormatFlag(cmd, &format, formatText, formatJSON)
	return cmd
}

func explain(cmd *cobra.Command, name, path, atValues, stateDir, format string) error {
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
		if s := dsl.Closest(name, names); s != "" {
			return usageError{fmt.Errorf("no rule %q in %s. Did you mean %q?", name, path, s)}
		}
		return usageError{fmt.Errorf("no rule %q in %s; its rules are: %s", name, path, strings.Join(names, ", "))}
	}

	// Only this rule, reading only its probes.
	sub := *cfg
	sub.Rules, sub.Refs = []*dsl.Rule{rule}, rule.Refs
	opts := engine.Options{DryRun: true, Now: clock, Stdout: io.Discard, Control: control.NewReader(stateDir)}
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

	// The state, read without the state directory's lock (a running daemon holds it).
	eng := engine.New(&sub, opts)
	defer eng.Stop()
	reader := store.NewReader(stateDir)
	stateNote := "from " + reader.StateFile()
	found, stateErr := eng.RestoreFrom(reader)
	switch err := stateErr; {
	case err != nil:
		stateNote = fmt.Sprintf("%v; shown as inactive", err)
	case !found:
		stateNote = fmt.Sprintf("no state yet: %s does not exist (notimon has not run with this state directory; --state-dir)", reader.StateFile())
	}
	before := eng.States()[rule.Name]
	states, _, _ := engine.ReadStates(reader) // the parents' too; its error is stateErr's
	now := clock()
	held := holds(cfg, rule, states, now)
	rep := eng.Tick(cmd.Context(), now)
	after := eng.States()[rule.Name]
	if source == "" {
		source = fmt.Sprintf("probes sampled at %s", stamp(now))
	}
	v := rep.Verdicts[0]

	w := stdout
	if format == formatJSON {
		j := explainJSON(&sub, rule, rep, v, explainedState{
			before: before, after: after, file: reader.StateFile(), found: found, err: stateErr,
		}, atValues, now)
		j.HeldBack = held
		writeJSON(w, j)
		return nil
	}
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
		state += fmt.Sprintf(" since %s (%s ago)", stamp(before.Since), dsl.FormatDuration(now.Sub(before.Since).Round(time.Second)))
	}
	fmt.Fprintf(w, "state       %s; %s\n", state, stateNote)
	for _, h := range held {
		fmt.Fprintf(w, "%-11s %s\n", h.Kind, h.Text)
	}
	fmt.Fprintf(w, "now         %s\n", outlook(rule, v, v.Outlook(after), now))
	writeOperator(w, v, after, now)
	return nil
}

// writeOperator prints what the operator's silences and acks do to the rule, and what they
// held back.
func writeOperator(w io.Writer, v engine.Verdict, st engine.RuleState, now time.Time) {
	if s := v.Suppression; s.Notify || s.Exec {
		what := "notifications held back, exec steps still run"
		switch {
		case s.Notify && s.Exec:
			what = "notifications and exec steps held back"
		case s.Exec:
			what = "exec steps held back"
		}
		fmt.Fprintf(w, "suppressed  %s: %s\n", what, s.Reason)
	}
	if a := st.Ack; a != nil {
		fmt.Fprintf(w, "acked       %s: no repeats until it resolves\n", a.Describe())
	}
	if h := st.Held; h != nil {
		fmt.Fprintf(w, "held back   %s since %s (%s ago), the latest by %s; one notification follows once nothing holds it back\n",
			plural(h.Steps, "notification"), stamp(h.Since), dsl.FormatDuration(now.Sub(h.Since).Round(time.Second)), h.Reason)
	}
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
