// Package server is the daemon's HTTP server, configured by the `server` block: the status
// page at /, the JSON API under /api/v1/ (engine/status's handler), /metrics (server/metrics's
// handler) and the health endpoints /-/healthy and /-/ready.
//
// A request goes through, in order: cross-origin protection (browsers' cross-site writes
// are refused), then basic auth against the htpasswd users (bcrypt, with per-client rate
// limiting of failed logins) for everything but the health endpoints, then the mux. The
// page's forms carry a CSRF token bound to the logged-in user and call engine/control, the
// same functions as the CLI. The configuration is swapped in by Apply at each reload: users
// and read_only at once, a new listen address or TLS files by restarting the listener.
// Nothing here reads or writes state.json: the page renders engine/status's model.
package server
