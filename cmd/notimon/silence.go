package main

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/control"
	"github.com/notimon/notimon/internal/glob"
)

// The operator's commands: silences and acks, written to the state directory under a lock
// of their own (engine/control), so they work within a second while a daemon runs; the
// daemon sees them at its next tick, a cron run at its next run.

func newSilenceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "silence add|list|expire",
		Short: "Hold back a rule's notifications for a while (and list or end silences)",
		Long: `A silence holds back the notifications of the rules it selects for a while. The rules
are still evaluated and move through their lifecycle; their exec steps still run unless
the silence says --no-exec. When a silence ends while a rule it held back still fires, one
notification says "still firing after the silence", then the rule's repeats resume.

Silences live in the state directory (silences.json): a running daemon sees a change at
its next tick, a cron run at its next run.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("silence needs a subcommand: add, list or expire")}
			}
			return usageError{fmt.Errorf("unknown silence subcommand %q: use add, list or expire", args[0])}
		},
		RunE: func(*cobra.Command, []string) error { return nil },
	}
	var stateDir string
	cmd.PersistentFlags().StringVar(&stateDir, "state-dir", defaultStateDir(), "the state directory run uses")
	cmd.AddCommand(newSilenceAddCmd(&stateDir), newSilenceListCmd(&stateDir), newSilenceExpireCmd(&stateDir))
	return cmd
}

// defaultBy is who runs the command: the user behind sudo, else the user.
func defaultBy() string {
	for _, k := range []string{"SUDO_USER", "USER"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

func addStateDirFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "state-dir", defaultStateDir(), "the state directory run uses")
}

func newSilenceAddCmd(dir *string) *cobra.Command {
	var forText, comment, by string
	var rules, labels []string
	var noExec bool
	cmd := &cobra.Command{
		Use:   "add [--state-dir DIR] (--rule GLOB | --label KEY=VALUE)... --for DURATION [--comment TEXT] [--by NAME] [--no-exec]",
		Short: "Silence the rules that match every --rule and --label given, for DURATION",
		Long: `add silences the rules that match all of its matchers, from now for DURATION, and prints
the new silence's id alone on its last line (for 'notimon silence expire ID').

  --rule GLOB        the rule's name matches GLOB (* any run of characters, ? one, [a-z])
  --label KEY=VALUE  the rule's labels have KEY = VALUE
  --for DURATION     how long: 30m, 2h, 1d, 1w
  --no-exec          hold back exec steps too (by default remediation still runs)
  --by NAME          who (default $SUDO_USER or $USER); --comment TEXT why

Exit status: 0 added, 1 the state directory cannot be written, 2 usage error.`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var ms []control.Matcher
			for _, g := range rules {
				ms = append(ms, control.Matcher{Rule: g})
			}
			for _, l := range labels {
				m, err := control.ParseLabel(l)
				if err != nil {
					return usageError{fmt.Errorf("--label: %w", err)}
				}
				ms = append(ms, m)
			}
			if len(ms) == 0 {
				return usageError{errors.New("silence add needs at least one --rule GLOB or --label KEY=VALUE")}
			}
			for _, m := range ms {
				if err := m.Validate(); err != nil {
					return usageError{fmt.Errorf("--rule: %w", err)}
				}
			}
			if forText == "" {
				return usageError{errors.New("silence add needs --for DURATION (30m, 2h, 1d)")}
			}
			d, err := dsl.ParseDuration(forText)
			if err != nil {
				return usageError{fmt.Errorf("--for %q: %w", forText, err)}
			}
			if d <= 0 {
				return usageError{fmt.Errorf("--for %q: the duration must be positive", forText)}
			}
			now := clock().Truncate(time.Second) // a silence list reads better in whole seconds
			s, err := control.AddSilence(*dir, control.Silence{
				Matchers: ms, StartsAt: now, EndsAt: now.Add(d), Comment: comment, By: by, NoExec: noExec,
			}, now)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "notimon: %v\n", err)
				return exitError{exitProblems}
			}
			warnUnmatched(cmd, *dir, ms)
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "silenced %s until %s (%s)%s\n", matchersText(ms), stamp(s.EndsAt), dsl.FormatDuration(d), execNote(s))
			fmt.Fprintln(w, s.ID)
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&rules, "rule", nil, "a glob on rule names (repeatable; every matcher must match)")
	cmd.Flags().StringArrayVar(&labels, "label", nil, "KEY=VALUE on rule labels (repeatable)")
	cmd.Flags().StringVar(&forText, "for", "", "how long the silence lasts: 30m, 2h, 1d")
	cmd.Flags().StringVar(&comment, "comment", "", "why")
	cmd.Flags().StringVar(&by, "by", defaultBy(), "who silences")
	cmd.Flags().BoolVar(&noExec, "no-exec", false, "hold back exec steps too")
	_ = cmd.RegisterFlagCompletionFunc("rule", completeRuleGlob)
	return cmd
}

func execNote(s control.Silence) string {
	if s.NoExec {
		return "; exec steps are held back too"
	}
	return "; exec steps still run"
}

func matchersText(ms []control.Matcher) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return strings.Join(parts, " ")
}

// warnUnmatched warns when rule globs match no rule the state directory knows of (a typo
// silences nothing). Label matchers are not checked: the state holds no labels.
func warnUnmatched(cmd *cobra.Command, stateDir string, ms []control.Matcher) {
	states, found, err := control.RuleStates(stateDir)
	if err != nil || !found || len(states) == 0 {
		return
	}
	for _, m := range ms {
		if m.Rule == "" {
			continue
		}
		hit := false
		for name := range states {
			if ok, _ := glob.Match(m.Rule, name); ok {
				hit = true
				break
			}
		}
		if !hit {
			fmt.Fprintf(cmd.ErrOrStderr(), "notimon: warning: --rule %q matches no rule in the state of %s (yet)\n", m.Rule, stateDir)
		}
	}
}

// silenceJSON is a silence in `silence list --json`: the stored fields and its status.
type silenceJSON struct {
	control.Silence
	Status string `json:"status"` // active, pending or expired
}

func newSilenceListCmd(dir *string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--state-dir DIR] [--json]",
		Short: "List active silences and those that ended in the last 24 hours",
		Args:  maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := clock()
			list, err := control.Silences(*dir, now)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "notimon: %v\n", err)
				return exitError{exitProblems}
			}
			w := cmd.OutOrStdout()
			if asJSON {
				out := make([]silenceJSON, 0, len(list))
				for _, s := range list {
					out = append(out, silenceJSON{s, s.Status(now)})
				}
				writeJSON(w, out)
				return nil
			}
			if len(list) == 0 {
				fmt.Fprintln(w, "no silences")
				return nil
			}
			// Active first, then pending, then expired; by end within each.
			rank := map[string]int{"active": 0, "pending": 1, "expired": 2}
			sort.SliceStable(list, func(i, j int) bool {
				ri, rj := rank[list[i].Status(now)], rank[list[j].Status(now)]
				if ri != rj {
					return ri < rj
				}
				return list[i].End().Before(list[j].End())
			})
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tMATCHERS\tENDS\tBY\tCOMMENT")
			for _, s := range list {
				status := s.Status(now)
				ends := stamp(s.End())
				switch status {
				case "active":
					ends += " (in " + dsl.FormatDuration(s.End().Sub(now).Round(time.Second)) + ")"
				case "expired":
					ends += " (" + dsl.FormatDuration(now.Sub(s.End()).Round(time.Second)) + " ago)"
				}
				if s.NoExec {
					status += ", no exec"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, status, matchersText(s.Matchers), ends, s.By, oneLine(s.Comment))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the silences as a JSON array")
	return cmd
}

func newSilenceExpireCmd(dir *string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "expire [--state-dir DIR] ID",
		Short: "End a silence now",
		Long: `expire ends the silence ID now. A rule it held back that still fires sends one
notification ("still firing after the silence") at the next tick or run.

Exit status: 0 expired, 1 no such silence (or it already ended), 2 usage error.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{errors.New("silence expire needs one silence ID ('notimon silence list' shows them)")}
			}
			return nil
		},
		ValidArgsFunction: completeSilenceIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := control.ExpireSilence(*dir, args[0], clock())
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "notimon: %v\n", err)
				return exitError{exitProblems}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "silence %s (%s) expired\n", s.ID, matchersText(s.Matchers))
			return nil
		},
	}
	return cmd
}

func newAckCmd() *cobra.Command {
	var stateDir, comment, by string
	cmd := &cobra.Command{
		Use:   "ack [--state-dir DIR] RULE [--comment TEXT] [--by NAME]",
		Short: "Acknowledge a firing rule: its repeats stop until it resolves",
		Long: `ack acknowledges the current incident of RULE, which must be firing: its repeat
notifications stop until it resolves, and then the ack is cleared (the next incident
notifies and repeats as usual). Messages can say who acknowledged it ({{ rule.acked_by }}).

Exit status: 0 acknowledged, 1 the rule is not firing or unknown, 2 usage error.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{errors.New("ack needs the name of one firing rule")}
			}
			return nil
		},
		ValidArgsFunction: completeFiringRules,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := control.AckRule(stateDir, args[0], by, comment, clock())
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "notimon: %v\n", err)
				return exitError{exitProblems}
			}
			since := ""
			if !a.FiringSince.IsZero() {
				since = " (firing since " + stamp(a.FiringSince) + ")"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "acknowledged %s%s: its repeats stop until it resolves\n", a.Rule, since)
			return nil
		},
	}
	addStateDirFlag(cmd, &stateDir)
	cmd.Flags().StringVar(&comment, "comment", "", "why, or what is being done")
	cmd.Flags().StringVar(&by, "by", defaultBy(), "who acknowledges")
	return cmd
}

// completeSilenceIDs offers the silences that have not ended, described by their matchers.
func completeSilenceIDs(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	dir, _ := cmd.Flags().GetString("state-dir")
	now := clock()
	list, _ := control.Silences(dir, now)
	var ids []string
	for _, s := range list {
		if now.Before(s.End()) {
			ids = append(ids, s.ID+"\t"+oneLine(matchersText(s.Matchers)+" "+s.Comment))
		}
	}
	return matching(strings.ToLower(toComplete), ids), cobra.ShellCompDirectiveNoFileComp
}

// completeFiringRules offers the rules firing in the state directory.
func completeFiringRules(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	dir, _ := cmd.Flags().GetString("state-dir")
	states, _, _ := control.RuleStates(dir)
	var names []string
	for name, st := range states {
		if st.State == "firing" {
			names = append(names, name+"\tfiring since "+stamp(st.FiringSince))
		}
	}
	return matching(toComplete, names), cobra.ShellCompDirectiveNoFileComp
}

// completeRuleGlob offers the rule names the state directory knows of.
func completeRuleGlob(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	dir, _ := cmd.Flags().GetString("state-dir")
	states, _, _ := control.RuleStates(dir)
	var names []string
	for name, st := range states {
		names = append(names, name+"\t"+st.State)
	}
	return matching(toComplete, names), cobra.ShellCompDirectiveNoFileComp
}
