package cpu

// Values is what rules read as `cpu.<field>`. Percentages are 0–100 of all cores together.
type Values struct {
	Pct       float64 `expr:"pct" json:"pct"`               // busy % over the latest interval (since the previous sample)
	Avg3      float64 `expr:"avg3" json:"avg3"`             // busy % over the last three intervals, weighted by their length
	IOWaitPct float64 `expr:"iowait_pct" json:"iowait_pct"` // % of time idle waiting for I/O
	StealPct  float64 `expr:"steal_pct" json:"steal_pct"`   // % of time stolen by the hypervisor
}
