// Package load reads the run-queue load averages from /proc/loadavg. A load of 4 is idle
// on 32 cores and saturated on 2, so the probe also divides the 1-minute average by the
// number of cores, which the caller supplies from /proc/stat.
//
//	/proc/loadavg ──Parse(cores)──▶ Values
package load
