// Package cpu measures how busy the processors are from the aggregate `cpu` line of
// /proc/stat.
//
// The kernel only offers cumulative tick counters, so usage exists only between two
// readings. A Probe keeps its previous reading: each Sample reads the counters again and
// reports the busy share of the interval since then (pct), its iowait and steal shares, and
// the busy share of the last three intervals together (avg3: Σ busy ticks / Σ total ticks,
// so a long interval weighs as much as its length, never as much as a short one). An
// interval shorter than the minimum (SetMinInterval) is not closed: the sample reports it merged with the
// last closed interval and the next sample measures from the same reading. A probe with no
// previous reading (a one-shot run without saved state) watches Samples windows of Window
// each instead, so a single run can still fill avg3. State and Restore carry the reading and
// the intervals across runs; a changed boot time discards a saved reading, since every
// counter restarted at zero. Peek reads usage between samples without closing anything.
//
//	/proc/stat ──ParseStat──▶ Stat{Counters, Cores, BootTime} ──Delta(prev, cur)──▶ Interval ──▶ Values
package cpu
