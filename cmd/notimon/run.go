package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/engine/chatops"
	"github.com/notimon/notimon/engine/control"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/server/metrics"
)

// clock is the time source of run; tests replace it to step through minutes instantly.
var clock = time.Now

// defaultStateDir is /var/lib/notimon for root, else $XDG_STATE_HOME/notimon
// (~/.local/state/notimon).
func defaultStateDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/notimon"
	}
	if x := os.Getenv("XDG_STATE_HOME"); x != "" {
		return filepath.Join(x, "notimon")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "notimon")
	}
	return filepath.Join(os.TempDir(), "notimon-state")
}

func newRunCmd() *cobra.Command {
	var once, dryRun bool
	var stateDir, logFormat, logLevel, envFile, format, metricsFile string
	cmd := &cobra.Command{
		Use:   "run [--once] [--dry-run [--format text|json]] [--state-dir DIR] [--env-file FILE] [PATH]",
		Short: "Evaluate the rules and act on them: a daemon, or one tick with --once (cron)",
		Long: `run loads the rules directory (default ./rules.d), samples the probes the rules read,
evaluates every rule, moves it through its lifecycle and runs its action chains.

Without --once, run is a daemon: it ticks every settings.interval and reloads the rules
within a second of a change (directory watch, SIGHUP, a periodic content check); a broken
save keeps the running rules and logs the errors. SIGTERM or SIGINT stops it after
running chains finish (at most 30 s); a second signal stops them at once. State is saved.

  --once      one tick, then exit: the mode for cron
              (* * * * * root /usr/local/bin/notimon run --once --env-file /etc/notimon/env /etc/notimon/rules.d)
  --dry-run   with --once: print each rule's verdict, the values it read and the messages
              it would send; send, execute and save nothing
  --format json   with --once --dry-run: the same as one JSON document (verdicts,
              values, the rendered chain); see the README
  --env-file  KEY=VALUE lines (systemd's EnvironmentFile syntax) for env("NAME") in the rules,
              e.g. the Telegram credentials; they win over the process environment
  --metrics-file PATH   with --once: write the run's metrics (the daemon's /metrics, without
              go_* and process_*) to PATH for node_exporter's textfile collector, atomically
              (e.g. /var/lib/prometheus/node-exporter/notimon.prom)

Exit status: 0 clean; 1 the rules are invalid, or a rule, command or delivery failed
(each is printed on stderr); 2 usage error.`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "rules.d"
			if len(args) == 1 {
				path = args[0]
			}
			if logLevel == "" {
				logLevel = "info"
				if once {
					logLevel = "warn" // cron mails whatever a run prints: only problems
				}
			}
			logger, err := newLogger(cmd.ErrOrStderr(), logFormat, logLevel)
			if err != nil {
				return usageError{err}
			}
			loadOpts, err := loadOptions(cmd, envFile)
			if err != nil {
				return err
			}
			if format != formatText && !(once && dryRun) {
				return usageError{fmt.Errorf("--format %s goes with --once --dry-run", format)}
			}
			if metricsFile != "" && (!once || dryRun) {
				return usageError{fmt.Errorf("--metrics-file goes with --once, without --dry-run (the daemon serves /metrics from its server block)")}
			}
			if !once {
				if dryRun {
					return usageError{fmt.Errorf("--dry-run goes with --once")}
				}
				return runDaemon(cmd, path, stateDir, loadOpts, logger)
			}
			return runOnce(cmd, path, stateDir, dryRun, format, metricsFile, loadOpts, logger)
		},
	}
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "text, or json for journald and log collectors")
	cmd.Flags().StringVar(&logLevel, "log-level", "", "debug, info, warn or error (default: info for the daemon, warn with --once)")
	cmd.Flags().StringVar(&stateDir, "state-dir", defaultStateDir(), "where rule states, chain cursors, probe counters and the outbox are kept")
	cmd.Flags().BoolVar(&once, "once", false, "run one tick, then exit (cron mode)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print verdicts, values and messages; send and execute nothing")
	cmd.Flags().StringVar(&metricsFile, "metrics-file", "", "with --once: write the run's metrics to this file (node_exporter textfile collector format)")
	addEnvFileFlag(cmd, &envFile)
	addFormatFlag(cmd, &format, formatText, formatJSON)
	return cmd
}

// newLogger builds the slog logger of --log-format and --log-level. It hides the secrets
// of the configurations given to addLogSecrets, whatever the level.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(redacting(slog.NewTextHandler(w, opts), &logSecrets{})), nil
	case "json":
		return slog.New(redacting(slog.NewJSONHandler(w, opts), &logSecrets{})), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

func runOnce(cmd *cobra.Command, path, stateDir string, dryRun bool, format, metricsFile string, loadOpts dsl.Options, logger *slog.Logger) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	cfg, diags := dsl.Load([]string{path}, loadOpts)
	addLogSecrets(logger, cfg)
	if len(diags) > 0 {
		dsl.WriteDiagnostics(stderr, cfg.Files, diags)
	}
	if diags.HasErrors() {
		fmt.Fprintf(stderr, "notimon: %s has errors; nothing was run. Fix them ('notimon validate %s' lists them).\n", path, path)
		return exitError{exitProblems}
	}
	opts := engine.Options{
		Sampler: newSampler(cfg),
		DryRun:  dryRun,
		Stdout:  stdout,
		Logger:  logger,
		Now:     clock,
		// Silences and acks are read beside a running daemon, as the CLI writes them, and
		// also by a dry run (which shows what they would hold back) and a degraded run.
		Control: control.NewReader(stateDir),
	}
	if format == formatJSON {
		opts.Stdout = io.Discard // standard output is the JSON document's alone
	}
	var reg *metrics.Metrics
	if metricsFile != "" {
		// The outbox is the state directory's, opened below; a degraded run has none.
		reg = newMetrics(func() *store.Store { return opts.Store }, logger)
		opts.Observer = reg.Observer()
	}
	if !dryRun {
		// A dry run changes nothing, so it neither needs nor takes the state directory.
		st, err := store.Open(stateDir, store.Options{Now: clock, Logger: logger})
		var le *store.LockError
		switch {
		case errors.As(err, &le):
			fmt.Fprintf(stderr, "notimon: %v\n", err)
			return exitError{exitProblems}
		case err != nil:
			return runDegraded(cmd, cfg, opts, stateDir, err, reg, metricsFile, logger)
		}
		defer st.Close()
		opts.Store = st
	}
	if opts.Store != nil && chatops.Enabled(cfg) {
		// Commands queued since the last run act before this tick.
		ops := chatops.New(chatops.Options{StateDir: opts.Store.Dir(), Logger: logger, Now: clock})
		for _, err := range ops.Drain(cmd.Context(), cfg) {
			logger.Warn("Telegram commands not read", "err", err)
		}
	}
	eng := engine.New(cfg, opts)
	if err := eng.Restore(); err != nil {
		fmt.Fprintf(stderr, "notimon: %v\n", err)
		return exitError{exitProblems}
	}
	rep, errs := eng.RunOnce(cmd.Context(), clock())
	errs = append(errs, writeMetricsFile(reg, metricsFile)...)
	switch {
	case dryRun && format == formatJSON:
		writeJSON(stdout, dryRunJSON(rep))
	case dryRun:
		writeReport(stdout, rep)
	}
	if len(errs) > 0 {
		for _, err := range errs {
			fmt.Fprintf(stderr, "notimon: %v\n", err)
		}
		return exitError{exitProblems}
	}
	return nil
}

// newSampler builds the system sampler with the configuration's probe blocks.
func newSampler(cfg *dsl.Config) *probes.System {
	opts := probes.Options{Hostname: cfg.Settings.Host}
	for _, p := range cfg.Probes {
		opts.Declared = append(opts.Declared, probes.Declared{Ref: p.Ref, Attrs: p.Attrs})
	}
	return probes.NewSystem(opts)
}

// selfAlertEvery is how often a degraded cron run repeats its self-alert.
const selfAlertEvery = time.Hour

// runDegraded is a cron run whose state directory cannot be used (read-only, gone, wrong
// owner; openErr says why): rather than stay silent it samples, evaluates with the state
// it can still read, and delivers directly, one attempt per message and no outbox, and
// it tells every notifier, at most once an hour, that rules run without memory. It exits
// 1 with the reason.
func runDegraded(cmd *cobra.Command, cfg *dsl.Config, opts engine.Options, stateDir string, openErr error, reg *metrics.Metrics, metricsFile string, logger *slog.Logger) error {
	stderr := cmd.ErrOrStderr()
	logger.Error("DEGRADED: the state directory cannot be used; rules run without memory and messages are sent directly",
		"state_dir", stateDir, "err", openErr)
	eng := engine.New(cfg, opts)
	if _, err := eng.RestoreFrom(store.NewReader(stateDir)); err != nil {
		logger.Warn("degraded: the saved state cannot be read either; rules start fresh", "err", err)
	}
	now := clock()
	_, errs := eng.RunOnce(cmd.Context(), now)
	marker, merr := selfAlertMarker(stateDir)
	var last time.Time
	if merr == nil {
		if fi, err := os.Stat(marker); err == nil {
			last = fi.ModTime()
		}
	}
	if last.IsZero() || now.Sub(last) >= selfAlertEvery || last.After(now) {
		text := fmt.Sprintf("notimon cannot write its state directory: %v. Rules run without memory until it is fixed.", openErr)
		errs = append(errs, eng.SelfAlert(cmd.Context(), now, text)...)
		if merr == nil {
			merr = touch(marker, now)
		}
		if merr != nil {
			logger.Warn("degraded: cannot record the self-alert; the next run sends it again", "err", merr)
		}
	}
	errs = append(errs, writeMetricsFile(reg, metricsFile)...)
	fmt.Fprintf(stderr, "notimon: degraded run: %v; rules ran without memory (nothing saved, failed messages not kept)\n", openErr)
	for _, err := range errs {
		fmt.Fprintf(stderr, "notimon: %v\n", err)
	}
	return exitError{exitProblems}
}

// selfAlertMarker is the file whose modification time is the last self-alert about
// stateDir: in a private directory of the temporary directory (the state directory cannot
// be written), notimon-<uid>, created 0700 and used only if it is a directory of ours that
// nobody else can write, so that nothing planted there is followed.
func selfAlertMarker(stateDir string) (string, error) {
	abs, err := filepath.Abs(stateDir)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("notimon-%d", os.Geteuid()))
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !fi.IsDir() || fi.Mode().Perm()&0o022 != 0 || !ok || int(st.Uid) != os.Geteuid() {
		return "", fmt.Errorf("%s is not a private directory of uid %d", dir, os.Geteuid())
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(dir, "degraded-"+hex.EncodeToString(sum[:8])), nil
}

// touch creates path if needed and sets its modification time to t.
func touch(path string, t time.Time) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chtimes(path, t, t)
}
