package http

// Values is what rules read as `http.<name>.<field>`.
type Values struct {
	// Up is true when a response arrived with a status below 400 and, when body_match is
	// set, a body that matches it.
	Up bool `expr:"up" json:"up"`
	// Status is the final response's status code; 0 when no response arrived.
	Status float64 `expr:"status" json:"status"`
	// LatencyMs is the time from sending the request to having read the response (its
	// first MaxBody bytes), redirects included; 0 when no full response arrived.
	LatencyMs float64 `expr:"latency_ms" json:"latency_ms"`
	// Error says why Up is false, briefly ("connection refused", "status 502"); "" when up.
	Error string `expr:"error" json:"error"`
	// CertDaysLeft is the days until the soonest-expiring leaf certificate met expires,
	// fractional; 0 for plain http. It is negative only for an expired certificate
	// that insecure_skip_verify let through: otherwise verification fails first.
	CertDaysLeft float64 `expr:"cert_days_left" json:"cert_days_left"`
	// BodyMatched is true when body_match is set and the body matches it.
	BodyMatched bool `expr:"body_matched" json:"body_matched"`
}
