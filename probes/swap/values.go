package swap

// Values is what rules read as `swap.<field>`.
type Values struct {
	TotalBytes float64 `expr:"total_bytes" json:"total_bytes"`
	UsedBytes  float64 `expr:"used_bytes" json:"used_bytes"`
	UsedPct    float64 `expr:"used_pct" json:"used_pct"`   // 0 when there is no swap
	InPerS     float64 `expr:"in_per_s" json:"in_per_s"`   // pages swapped in per second since the previous sample
	OutPerS    float64 `expr:"out_per_s" json:"out_per_s"` // pages swapped out per second since the previous sample
}
