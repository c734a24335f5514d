package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/probes"
)

func newRunCmd() *cobra.Command {
	var once, dryRun bool
	cmd := &cobra.Command{
		Use:   "run [--once] [--dry-run] [PATH]",
		Short: "Evaluate the rules and act on them (one tick with --once, for cron)",
		Long: `run loads the rules directory (default ./rules.d), samples the probes the rules read,
evaluates every rule and carries out the steps of the rules that hold.

  --once      one tick, then exit: the mode for cron (* * * * * notimon run --once /etc/notimon/rules.d)
  --dry-run   print each rule's verdict, the values it read and the messages it would
              send; send and execute nothing

Exit status: 0 the tick ran cleanly; 1 the rules are invalid, or a rule or a delivery
failed (each is printed on stderr); 2 usage error.`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !once {
				return usageError{fmt.Errorf("daemon mode (run without --once) is not available yet in this version of notimon; run 'notimon run --once' from cron")}
			}
			path := "rules.d"
			if len(args) == 1 {
				path = args[0]
			}
			return runOnce(cmd, path, dryRun)
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "run one tick, then exit (cron mode)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print verdicts, values and messages; send and execute nothing")
	return cmd
}

func runOnce(cmd *cobra.Command, path string, dryRun bool) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	cfg, diags := dsl.Load([]string{path}, dsl.Options{})
	if len(diags) > 0 {
		dsl.WriteDiagnostics(stderr, cfg.Files, diags)
	}
	if diags.HasErrors() {
		fmt.Fprintf(stderr, "notimon: %s has errors; nothing was run. Fix them ('notimon validate %s' lists them).\n", path, path)
		return exitError{exitProblems}
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	eng := engine.New(cfg, engine.Options{
		Sampler: newSampler(cfg),
		DryRun:  dryRun,
		Stdout:  stdout,
		Logger:  logger,
	})
	rep := eng.Tick(cmd.Context(), time.Now())
	if dryRun {
		writeReport(stdout, rep)
	}
	if errs := rep.Errs(); len(errs) > 0 {
		for _, err := range errs {
			fmt.Fprintf(stderr, "notimon: %v\n", err)
		}
		return exitError{exitProblems}
	}
	return nil
}

// newSampler builds the system sampler with the configuration's tuning.
func newSampler(cfg *dsl.Config) *probes.System {
	opts := probes.Options{Hostname: cfg.Settings.Host}
	if p := cfg.Probe(probes.Ref{Kind: "cpu"}); p != nil {
		if w, ok := p.Attrs["window"].(time.Duration); ok {
			opts.CPUWindow = w
		}
		if n, ok := p.Attrs["samples"].(float64); ok {
			opts.CPUSamples = int(n)
		}
	}
	return probes.NewSystem(opts)
}

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
		fmt.Fprintf(w, "    %d. exec %s (timeout %s)", n, strings.Join(s.Command, " "), s.Timeout)
	case dsl.StepWait:
		fmt.Fprintf(w, "    %d. wait %s", n, s.Duration)
	}
	switch {
	case a.Err != nil:
		fmt.Fprintf(w, ": error: %v\n", a.Err)
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
}
