// Package mem reports memory use from /proc/meminfo the way `free` does, so that
// `mem.real_pct` is the share of memory that cannot be had back (total − available), not
// the inflated "everything but MemFree" that counts reclaimable page cache as used.
//
//	/proc/meminfo ──ParseInfo──▶ Info (bytes by key) ──FromInfo──▶ Values
//
// Info is exported because the swap probe reads the same file; a sampler reads it once and
// hands it to both.
package mem
