package main

import (
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// parallelLoad is the size of rules from which a load gets every processor: the loader
// decodes rules on every core from 256 of them and parses a file of 256 KB or more in
// pieces; below, a load takes milliseconds, and a second processor only adds its
// thread's and its cache's memory to the daemon's peak (about 1 MB with 100 rules).
const parallelLoad = 64 << 10

// daemonProcs is the daemon's GOMAXPROCS between loads, unless GOMAXPROCS is set. A tick
// of 100 rules costs a few milliseconds of CPU a second, spread over a handful of
// goroutines (the probes that may block run beside the /proc reads): with a second
// processor each of them wakes another thread, which spins and sleeps again, and the
// runtime also rechecks the CPU quota every second. On one, the same ticks took 17 %
// less CPU time (the same binary with GOMAXPROCS=2 in the same window), with fewer
// context switches. Loading is the daemon's only heavy work, and a large load gets every
// processor back (loadProcs).
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
// GOMAXPROCS. Call it before the first load: loads of parallelLoad bytes or more run on
// every processor again (loadProcs).
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

// loadProcs gives a load of the rules at path every processor, when they are
// parallelLoad bytes or more, until the returned function is called; the daemon goes
// back to daemonProcs once no such load runs. It does nothing unless leanDaemonProcs took
// the processors away.
func loadProcs(path string) (done func()) {
	p := &leanProcs
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.all == 0 || rulesSize(path) < parallelLoad {
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

// rulesSize is the size of what a load of path reads: the file, or the *.hcl files of the
// directory (what cannot be read counts nothing; the load reports it).
func rulesSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	if !fi.IsDir() {
		return fi.Size()
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return 0
	}
	var n int64
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".hcl" {
			continue
		}
		if fi, err := os.Stat(filepath.Join(path, e.Name())); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
}
