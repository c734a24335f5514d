// Package disk describes the per-mount disk probe. Sampling arrives with the probes issue;
// until then rules that read `disk` validate, and `run` reports the probe as not available yet.
package disk

// Values is one mount point, read as `disk["/"].<field>` or through `values(disk)`.
type Values struct {
	Mount         string  `expr:"mount" json:"mount"`
	FS            string  `expr:"fs" json:"fs"`
	UsedPct       float64 `expr:"used_pct" json:"used_pct"`
	FreeBytes     float64 `expr:"free_bytes" json:"free_bytes"`
	InodesUsedPct float64 `expr:"inodes_used_pct" json:"inodes_used_pct"`
}
