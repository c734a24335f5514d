// Package tcp describes `probe "tcp" "<name>"`. Sampling arrives with the probes issue;
// until then such probes validate, and `run` reports them as not available yet.
package tcp

// Values is what rules read as `tcp.<name>.<field>`.
type Values struct {
	Up        bool    `expr:"up" json:"up"`
	LatencyMs float64 `expr:"latency_ms" json:"latency_ms"`
	Error     string  `expr:"error" json:"error"`
}
