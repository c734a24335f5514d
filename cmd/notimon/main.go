// Command notimon watches one server and tells people when something is wrong.
//
// main turns signals into a context and hands everything else to run, which returns the
// exit code; tests call run directly with their own arguments and writers.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

// stopWait bounds how long a command other than run may take to end once a signal has
// cancelled its context: long enough for the command probes it runs to stop their process
// groups (SIGTERM, then SIGKILL after the probe's grace, 1 s by default), so that no probe
// outlives it; short enough to feel immediate.
const stopWait = 3 * time.Second

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	// `run` stops gracefully on its own (chains finish, the state is saved; the daemon
	// listens for signals itself); every other command only reads or prints, so a signal
	// ends it promptly, with the shell's exit status for that signal. It is not ended on
	// the spot: its context is cancelled, which stops the process groups of the command
	// probes it is running, and what it prints from then on is dropped.
	graceful := len(os.Args) > 1 && os.Args[1] == "run"
	var stopped atomic.Int32 // the exit status of the signal that stopped the command
	stdout := &untilStopped{w: os.Stdout, stopped: &stopped}
	stderr := &untilStopped{w: os.Stderr, stopped: &stopped}
	go func() {
		sig := <-sigs
		if !graceful {
			code := signalExit(sig)
			stopped.Store(int32(code))
			time.AfterFunc(stopWait, func() { os.Exit(code) })
			cancel()
			<-sigs // a second signal: at once
			os.Exit(code)
		}
		cancel()
		for range sigs { // later signals are the daemon's business
		}
	}()
	code := run(ctx, os.Args[1:], stdout, stderr)
	signal.Stop(sigs)
	if c := stopped.Load(); c != 0 {
		code = int(c)
	}
	os.Exit(code)
}

// untilStopped writes to w until a signal has stopped the command, and then discards: the
// half-done output of an interrupted command (probes failing with "context canceled")
// would only mislead.
type untilStopped struct {
	w       io.Writer
	stopped *atomic.Int32
}

func (u *untilStopped) Write(p []byte) (int, error) {
	if u.stopped.Load() != 0 {
		return len(p), nil
	}
	return u.w.Write(p)
}

// signalExit is the exit status of a command stopped by sig: 128 + its number, 130 for
// SIGINT and 143 for SIGTERM, as shells report it.
func signalExit(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}
