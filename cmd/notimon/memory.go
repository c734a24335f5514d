package main

import (
	"os"
	"runtime/debug"
)

// daemonGCPercent is the daemon's GOGC unless the environment sets one. The daemon keeps
// a small heap (the compiled rules: about 3 MB with 100 of them) and allocates little per
// tick (under 100 KB), so collecting at half the default growth costs a few more
// collections an hour and keeps 1.5 MB fewer pages resident.
const daemonGCPercent = 50

// leanDaemon sets up the daemon's memory: a lower GOGC (daemonGCPercent) unless GOGC is
// set, and the executable's pages that start-up mapped and will not use again let go
// (dropExecutablePages; the daemon does so again after its first tick, once the rules are
// loaded). GOMEMLIMIT is left to the environment: a fixed limit would have a large
// configuration collect continually.
func leanDaemon() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(daemonGCPercent)
	}
	dropExecutablePages()
}
