package main

import (
	"runtime"
	"strings"
	"testing"
)

// The daemon ticks on daemonProcs processors and loads on all of them, unless GOMAXPROCS
// is set.
func TestDaemonProcs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	t.Cleanup(func() { leanProcs.all, leanProcs.loading = 0, 0 })
	const all = 3 // what the runtime chose at start, whatever this machine has
	runtime.GOMAXPROCS(all)
	t.Setenv("GOMAXPROCS", "")
	leanDaemonProcs()
	if got := runtime.GOMAXPROCS(0); got != daemonProcs {
		t.Fatalf("GOMAXPROCS %d after leanDaemonProcs, want %d", got, daemonProcs)
	}
	small := writeRules(t, map[string]string{"a.hcl": "rule \"a\" { when = \"true\" }\n"})
	loadProcs(small)()
	if got := runtime.GOMAXPROCS(0); got != daemonProcs {
		t.Errorf("GOMAXPROCS %d after a small load, want %d", got, daemonProcs)
	}
	big := writeRules(t, map[string]string{
		"a.hcl":     strings.Repeat("#", parallelLoad/2),
		"b.hcl":     strings.Repeat("#", parallelLoad/2),
		"notes.txt": strings.Repeat("x", parallelLoad), // not read by a load
	})
	if got := rulesSize(big); got != parallelLoad {
		t.Fatalf("rulesSize %d, want %d", got, parallelLoad)
	}
	first := loadProcs(big)
	if got := runtime.GOMAXPROCS(0); got != all {
		t.Errorf("GOMAXPROCS %d during a large load, want %d", got, all)
	}
	second := loadProcs(big) // loads overlap: the first to end leaves the other its processors
	first()
	if got := runtime.GOMAXPROCS(0); got != all {
		t.Errorf("GOMAXPROCS %d while a second load runs, want %d", got, all)
	}
	second()
	if got := runtime.GOMAXPROCS(0); got != daemonProcs {
		t.Errorf("GOMAXPROCS %d after the loads, want %d", got, daemonProcs)
	}

	// GOMAXPROCS set: left alone, loads included.
	leanProcs.all = 0
	runtime.GOMAXPROCS(2)
	t.Setenv("GOMAXPROCS", "2")
	leanDaemonProcs()
	loadProcs(big)()
	if got := runtime.GOMAXPROCS(0); got != 2 {
		t.Errorf("with GOMAXPROCS=2 set, the daemon changed it to %d", got)
	}
}
