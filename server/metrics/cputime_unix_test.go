//go:build unix

package metrics

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used (user and system, the garbage collector
// included). On a shared machine it says more than the wall clock, which also counts the
// time other processes held the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
