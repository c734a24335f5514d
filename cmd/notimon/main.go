// Command notimon watches one server and tells people when something is wrong.
//
// main turns signals into a context and hands everything else to run, which returns the
// exit code; tests call run directly with their own arguments and writers.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	// `run` stops gracefully on its own (chains finish, the state is saved; the daemon
	// listens for signals itself); every other command only reads or prints, so a signal
	// ends it at once, with the shell's exit status for that signal.
	graceful := len(os.Args) > 1 && os.Args[1] == "run"
	go func() {
		sig := <-sigs
		cancel()
		if !graceful {
			os.Exit(signalExit(sig))
		}
		for range sigs { // later signals are the daemon's business
		}
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	signal.Stop(sigs)
	os.Exit(code)
}

// signalExit is the exit status of a command stopped by sig: 128 + its number, 130 for
// SIGINT and 143 for SIGTERM, as shells report it.
func signalExit(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}
