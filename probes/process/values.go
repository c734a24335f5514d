package process

// Values is what rules read as `process.<name>.<field>`.
type Values struct {
	// Count is the number of processes selected, zombies included.
	Count float64 `expr:"count" json:"count"`
	// RSSBytes is their summed resident memory.
	RSSBytes float64 `expr:"rss_bytes" json:"rss_bytes"`
	// CPUPct is their summed CPU use since the previous sample; 100 is one full core.
	CPUPct float64 `expr:"cpu_pct" json:"cpu_pct"`
	// OldestAgeS is how long the longest-running of them has been running, in seconds.
	OldestAgeS float64 `expr:"oldest_age_s" json:"oldest_age_s"`
}
