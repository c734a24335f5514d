// Package swap reports swap space (SwapTotal and SwapFree in /proc/meminfo) and swap
// traffic (pswpin and pswpout in /proc/vmstat). Steady swap traffic, not a full swap area,
// is what makes a machine slow, hence the rates.
//
// Traffic counters are cumulative, so a Probe keeps the previous reading and its time and
// reports pages per second since then (over at least its minimum interval: a sample that
// comes sooner measures from the reading before); the first sample of a fresh probe
// reports 0 rather than blocking. State and Restore carry the readings across cron runs.
//
//	/proc/meminfo ──mem.Info──▶ Space ─┐
//	/proc/vmstat ──ParseCounters──▶ Rates(prev, cur) ─┴─▶ Values
package swap
