package main

import (
	"os"
	"runtime"
	"sync"
)

// daemonProcs is the daemon's GOMAXPROCS between loads, unless GOMAXPROCS is set. A tick
// of 100 rules costs a few milliseconds of CPU a second, spread over a handful of
// goroutines (the probes that may block run beside the /proc reads): with a second
// processor each of them wakes another thread, which spins and sleeps again, and the
// runtime also rechecks the CPU quota every second. On one, the same ticks took 4–8 %
// less CPU time beside Monit, with fewer context switches. Loading is the daemon's only
// heavy work, and it gets every processor back (loadProcs).
const daemonProcs = 1

// leanProcs holds what leanDaemonProcs saved: GOMAXPROCS as the runtime chose it (the
// CPUs this process may use, or its cgroup's quota), for loads; 0 while the daemon leaves
// GOMAXPROCS alone. loading counts the loads in progress. Guarded by mu.
var leanProcs struct {
	mu      sync.Mutex
	all     int
	loading int
}

// leanDaemonProcs puts the daemon on daemonProcs processors, unless the environment sets
// GOMAXPROCS. Call it once the first load is done: later loads run on every processor
// again (loadProcs).
func leanDaemonProcs() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	p := &leanProcs
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.all == 0 {
		p.all = runtime.GOMAXPROCS(0)
	}
	if p.loading == 0 {
		runtime.GOMAXPROCS(daemonProcs)
	}
}

// loadProcs gives a load every processor (the loader parses large files on every core)
// until the returned function is called; the daemon goes back to daemonProcs once no load
// runs. It does nothing unless leanDaemonProcs took the processors away.
func loadProcs() (done func()) {
	p := &leanProcs
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.all == 0 {
		return func() {}
	}
	if p.loading == 0 {
		runtime.GOMAXPROCS(p.all)
	}
	p.loading++
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.loading--; p.loading == 0 {
			runtime.GOMAXPROCS(daemonProcs)
		}
	}
}
