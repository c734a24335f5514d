// Package process describes `probe "process" "<name>"`. Sampling arrives with the probes
// issue; until then such probes validate, and `run` reports them as not available yet.
package process

// Values is what rules read as `process.<name>.<field>`.
type Values struct {
	Count      float64 `expr:"count" json:"count"`
	RSSBytes   float64 `expr:"rss_bytes" json:"rss_bytes"`
	CPUPct     float64 `expr:"cpu_pct" json:"cpu_pct"`
	OldestAgeS float64 `expr:"oldest_age_s" json:"oldest_age_s"`
}
