package load

// Values is what rules read as `load.<field>`.
type Values struct {
	Avg1     float64 `expr:"avg1" json:"avg1"`
	Avg5     float64 `expr:"avg5" json:"avg5"`
	Avg15    float64 `expr:"avg15" json:"avg15"`
	PerCore1 float64 `expr:"per_core1" json:"per_core1"` // avg1 divided by the number of cores
}
