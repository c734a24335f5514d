// Package tcp is `probe "tcp" "<name>"`: can a TCP connection to host:port be opened, and
// how long did it take. Rules read `tcp.<name>.up`, `.latency_ms` and `.error`.
//
//	block attributes ──FromAttrs──▶ Config ──Sample(ctx, now)──▶ Values
//
// Sample connects (resolving the host name first, if it is one), closes the connection at
// once without sending anything, and reports. It returns within Config.Timeout
// (DefaultTimeout); a failure is a value (`up = false`, `error = "connection refused"`),
// never an error, so a rule can fire on it. latency_ms is the connect time, name lookup
// included.
package tcp
