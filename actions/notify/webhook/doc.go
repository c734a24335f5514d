// Package webhook is the notifier that POSTs each message as JSON to a URL of the
// operator's choosing (a chat bridge, an incident tool, a script behind a web server), and
// the HTTP delivery both it and the alertmanager notifier use (Sender).
//
//	notifier "webhook" "oncall" {
//	  url     = "https://hooks.example.com/notimon?token=${env("HOOK_TOKEN")}"
//	  headers = { Authorization = "Bearer ${env("HOOK_BEARER")}" }
//	  timeout = "5s"   # per attempt (one request); default 10s
//	}
//
// # Payload
//
// Every request is a POST with Content-Type: application/json, User-Agent: notimon and the
// configured headers (which may override those two). The body is one object; its field
// names are stable within a "version":
//
//	{
//	  "version":   "1",
//	  "notifier":  "oncall",                  // the notifier's name in the rules
//	  "rule":      "overload",                // "" for a message sent with `notimon send`
//	  "state":     "firing",                  // "firing", "resolved", or "" when sent by hand
//	  "severity":  "critical",                // "" when the rule sets none
//	  "labels":    {"team": "web"},           // the rule's labels; {} when none
//	  "host":      "web-01",
//	  "message":   "cpu usage: 93.5%\n…",     // the rendered text, not escaped
//	  "values":    {"cpu.avg3": 93.5},        // the probe fields the rule read, by path; {} when none
//	  "time":      "2024-05-01T10:02:00Z",    // when the tick that sent it ran
//	  "starts_at": "2024-05-01T10:00:00Z",    // when the rule started firing; omitted when unknown
//	  "ends_at":   "2024-05-01T10:30:00Z"     // when it resolved; omitted while firing
//	}
//
// Times are RFC 3339 in UTC, to the second. A value that JSON cannot hold (NaN, ±Inf) is
// null.
//
// # Delivery
//
// Any 2xx answer means delivered. Notify makes one attempt, one request bounded by the
// timeout, and leaves retrying to its caller (the engine's outbox): a 429 is retryable and
// carries its Retry-After (seconds or an HTTP date) as a *notify.RetryAfterError; 5xx,
// 408, timeouts and refused, reset or dropped connections are retryable; any other status
// is final and reported with the first 200 bytes of the answer's body. Redirects are
// followed only to http and https URLs (never file:// or the like).
//
// The URL and headers usually carry credentials, so errors never contain them: they name
// the target as scheme://host/*** with query values as ***, and every password, query
// value, path and header value (and the token after "Bearer ") is replaced by *** in
// whatever text a server or the network stack returns.
package webhook
