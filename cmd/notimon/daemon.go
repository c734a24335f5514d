package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/engine/chatops"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/engine/watch"
)

// runDaemon is `notimon run` without --once: tick every settings.interval, reload the rules
// when they change (directory watch, SIGHUP, a periodic content check), stop gracefully on
// SIGTERM or SIGINT, at once on a second one.
func runDaemon(cmd *cobra.Command, path, stateDir string, loadOpts dsl.Options, logger *slog.Logger) error {
	leanDaemon()
	leanDaemonProcs()
	stderr := cmd.ErrOrStderr()
	rules := &engine.RuleSource{Path: path, Load: func() (*dsl.Config, error) {
		defer loadProcs(path)()
		cfg, diags := dsl.Load([]string{path}, loadOpts)
		addLogSecrets(logger, cfg)
		if diags.HasErrors() {
			var b strings.Builder
			dsl.WriteDiagnostics(&b, cfg.Files, diags)
			return nil, errors.New(strings.TrimSpace(b.String()))
		}
		for _, d := range diags { // warnings
			at := ""
			if d.Subject != nil {
				at = dsl.Position(*d.Subject)
			}
			logger.Warn(d.Summary, "at", at, "detail", d.Detail)
		}
		return cfg, nil
	}}
	// Watch before the first load, so that no change between the two is missed.
	watchCtx, stopWatch := context.WithCancel(cmd.Context())
	defer stopWatch()
	changes, werr := watch.Watch(watchCtx, path, watch.Options{Logger: logger})
	cfg, err := rules.LoadChanged()
	if err != nil {
		fmt.Fprintf(stderr, "%v\nnotimon: %s has errors; not starting. Fix them ('notimon validate %s' lists them).\n", err, path, path)
		return exitError{exitProblems}
	}
	// The loader's code (HCL, expr's compiler) and its garbage are not needed until a
	// reload: let them go before the ticks map their own, or the two add up to the peak.
	settleMemory()
	st, err := store.Open(stateDir, store.Options{Logger: logger})
	if err != nil {
		fmt.Fprintf(stderr, "notimon: %v\n", err)
		return exitError{exitProblems}
	}
	defer st.Close()
	// The metrics are kept whether or not a server block serves them: a reload may add one.
	reg := newMetrics(func() *store.Store { return st }, logger)
	web, err := startWeb(cfg, st.Dir(), reg.Handler(), logger)
	if err != nil {
		fmt.Fprintf(stderr, "notimon: %v\n", err)
		return exitError{exitProblems}
	}
	defer web.close()

	// Signals become a context, a reload channel and a hard-stop channel here, and nowhere else.
	ctx, stop := context.WithCancel(cmd.Context())
	defer stop()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	reload := make(chan struct{}, 1)
	hard := make(chan struct{})
	kick := func() {
		select {
		case reload <- struct{}{}:
		default:
		}
	}
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		stops := 0
		done := ctx.Done()
		for {
			select {
			case <-quit:
				return
			case s := <-sigs:
				if s == syscall.SIGHUP {
					logger.Info("SIGHUP: reloading the rules")
					rules.Forget() // reload even if the files look the same
					kick()
					continue
				}
				stops++
				if stops == 1 {
					logger.Info("stopping", "signal", s.String())
					stop()
				} else {
					logger.Warn("second signal: stopping running chains now", "signal", s.String())
					close(hard)
					return
				}
			case <-done:
				// Seen once: a closed channel must not spin this loop. Signals are counted
				// from sigs alone (main's handler sees the same ones), so one SIGTERM
				// never counts twice.
				done = nil
			}
		}
	}()
	if werr != nil {
		logger.Warn("cannot watch the rules directory; reloads come from SIGHUP only", "dir", path, "err", werr)
	} else {
		go func() {
			for range changes {
				kick()
			}
		}()
	}

	// Telegram commands: a long poll per bot of the commands notifiers, following reloads.
	ops := chatops.New(chatops.Options{StateDir: st.Dir(), Logger: logger, Now: clock})
	defer ops.Stop()
	ops.Update(ctx, cfg)

	eng := engine.New(cfg, engine.Options{
		Sampler: newSampler(cfg), Store: st, Stdout: cmd.OutOrStdout(), Logger: logger, Now: clock,
		Observer: reg.Observer(),
	})
	if err := eng.Restore(); err != nil {
		fmt.Fprintf(stderr, "notimon: %v\n", err)
		return exitError{exitProblems}
	}
	logger.Info("notimon started", "rules", len(cfg.Rules), "dir", path, "interval", cfg.Settings.Interval, "state_dir", st.Dir())
	notifier := newSystemdNotifier()
	stopPings := startWatchdog(notifier, eng, cfg.Settings.Interval, logger)
	first := true
	dropExecutablePages() // start-up's code: the state directory, the server, the notifiers
	err = eng.RunDaemon(ctx, engine.DaemonOptions{
		Load: web.load(func() (*dsl.Config, error) {
			cfg, err := rules.LoadChanged()
			if err == nil && cfg != nil {
				ops.Update(ctx, cfg)
			}
			return cfg, err
		}),
		Reload: reload,
		Hard:   hard,
		Ticked: func(*engine.Report) {
			if first {
				settleMemory() // the first tick's one-off work: the cpu window, the first save
				notifier.notify("READY=1")
				first = false
				web.ready()
			}
		},
		Reloaded: web.reloaded,
	})
	stopPings()
	notifier.notify("STOPPING=1")
	if err != nil {
		logger.Error("stopped with problems", "err", err)
		return exitError{exitProblems}
	}
	logger.Info("stopped; state saved")
	return nil
}

// startWatchdog pings systemd's watchdog, when one applies to this process, every half
// period for as long as the daemon loop is alive; the returned function stops it.
func startWatchdog(notifier *systemdNotifier, eng *engine.Engine, interval time.Duration, logger *slog.Logger) (stop func()) {
	period, err := watchdogPeriod(os.Getenv, os.Getpid())
	if err != nil {
		logger.Warn("not pinging the systemd watchdog", "err", err)
	}
	if period == 0 || notifier.socket == "" {
		return func() {}
	}
	if interval > period {
		logger.Warn("settings.interval is longer than the systemd watchdog period (WatchdogSec); notimon pings the watchdog on a timer of its own, every half period, so it is not restarted for it, but check that this is what you meant",
			"interval", interval.String(), "watchdog", period.String())
	}
	ticker := time.NewTicker(period / 2)
	done := make(chan struct{})
	finished := make(chan struct{})
	w := &watchdogPinger{
		send:  notifier.notify,
		alive: func() error { return eng.Alive(clock()) },
		ticks: ticker.C,
		log:   logger,
	}
	go func() {
		defer close(finished)
		w.run(done)
	}()
	logger.Debug("pinging the systemd watchdog", "every", (period / 2).String())
	return func() {
		ticker.Stop()
		close(done)
		<-finished
	}
}
