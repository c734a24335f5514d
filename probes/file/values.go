// Package file describes `probe "file" "<name>"`. Sampling arrives with the probes issue;
// until then such probes validate, and `run` reports them as not available yet.
package file

// Values is what rules read as `file.<name>.<field>`.
type Values struct {
	Exists    bool    `expr:"exists" json:"exists"`
	SizeBytes float64 `expr:"size_bytes" json:"size_bytes"`
	AgeS      float64 `expr:"age_s" json:"age_s"`
}
