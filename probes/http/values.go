// Package http describes `probe "http" "<name>"`. Sampling arrives with the probes issue;
// until then such probes validate, and `run` reports them as not available yet.
package http

// Values is what rules read as `http.<name>.<field>`.
type Values struct {
	Up           bool    `expr:"up" json:"up"`
	Status       float64 `expr:"status" json:"status"`
	LatencyMs    float64 `expr:"latency_ms" json:"latency_ms"`
	Error        string  `expr:"error" json:"error"`
	CertDaysLeft float64 `expr:"cert_days_left" json:"cert_days_left"`
}
