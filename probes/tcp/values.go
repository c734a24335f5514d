package tcp

// Values is what rules read as `tcp.<name>.<field>`.
type Values struct {
	// Up is true when the connection was established.
	Up bool `expr:"up" json:"up"`
	// LatencyMs is the time to connect, name lookup included; 0 when it failed.
	LatencyMs float64 `expr:"latency_ms" json:"latency_ms"`
	// Error says why Up is false, briefly ("connection refused", "timeout after 3s").
	Error string `expr:"error" json:"error"`
}
