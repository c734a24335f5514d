package fd

// Values is what rules read as `fd.<field>`.
type Values struct {
	Used    float64 `expr:"used" json:"used"`         // file handles in use, system-wide
	Max     float64 `expr:"max" json:"max"`           // the limit, fs.file-max
	UsedPct float64 `expr:"used_pct" json:"used_pct"` // 100 × used / max
}
