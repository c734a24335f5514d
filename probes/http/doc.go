// Package http is `probe "http" "<name>"`: one request to a URL per tick, and whether the
// answer was good, read by rules as `http.<name>.up`, `.status`, `.latency_ms`, `.error`,
// `.cert_days_left` and `.body_matched`.
//
//	block attributes ──FromAttrs──▶ Config ──Sample(ctx, now)──▶ Values
//
// Sample never fails: an unreachable site is a value (`up = false`, `error = "connection
// refused"`), so a rule can fire on it. It is built to be safe to point at anything:
//
//   - Bounded. Config.Timeout (DefaultTimeout) covers the whole request: DNS, connect, TLS,
//     redirects, headers and reading the body. At most MaxBody (1 MiB) of the body is read;
//     body_match runs over that (line breaks at its end ignored, so "^ok$" matches "ok\n"),
//     and latency_ms is the time until it was read or the body ended. Every request uses a
//     fresh connection (no keep-alive), so latency_ms includes connecting and the TLS
//     handshake each time and nothing stays open between ticks.
//   - Only http and https. The URL must be one, and redirects (at most MaxRedirects) are
//     followed only to http and https: a redirect to file://, gopher:// … is refused when it
//     arrives, so a site cannot make notimon read local files.
//   - TLS is verified against the system's roots (Config.RootCAs in tests). A certificate
//     that does not verify is an error that says so; insecure_skip_verify turns verification
//     off (for a self-signed certificate whose expiry you still want in cert_days_left).
//     cert_days_left is the days, fractional, from now until the NotAfter of the soonest-
//     expiring leaf certificate met on the way (the URL's and any redirect target's); 0 when
//     no https response arrived.
//   - No surprises: no cookies are kept, the proxy is the one the environment names
//     (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, as everywhere in notimon; loopback addresses are
//     never proxied), the User-Agent is "notimon" unless headers set one, and errors never
//     quote the probe's URL, its query or its header values (they may hold tokens).
package http
