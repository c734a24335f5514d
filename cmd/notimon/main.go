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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
