// Package cpu measures how busy the processors are from the aggregate `cpu` line of
// /proc/stat.
//
// The kernel only offers cumulative tick counters, so usage exists only between two
// readings. A Probe keeps its previous reading: each Sample reads the counters again and
// reports the busy share of the time since then (pct), the iowait and steal shares, and the
// mean of the last three pct values (avg3). A probe with no previous reading (a one-shot
// run without saved state) watches Samples windows of Window each instead, so a single run
// can still fill avg3. State and Restore carry the reading and the pct history across runs;
// a changed boot time discards a saved reading, since every counter restarted at zero.
//
//	/proc/stat ──ParseStat──▶ Stat{Counters, Cores, BootTime} ──Usage(prev, cur)──▶ Values
package cpu
