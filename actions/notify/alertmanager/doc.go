// Package alertmanager is the notifier that hands alerts to a Prometheus Alertmanager, so
// notimon's rules join the routing, grouping, silences and inhibitions a team already has.
//
//	notifier "alertmanager" "am" {
//	  url     = "http://alertmanager.internal:9093"   # or with a prefix: http://host/alertmanager/
//	  timeout = "5s"                                   # per attempt; default 10s
//	}
//
//	notifier "alertmanager" "fleet" {                # an Alertmanager cluster: each member gets every alert
//	  urls         = ["http://am-1:9093", "http://am-2:9093"]
//	  resend_delay = "1m"                              # a firing alert is sent again this often; the default
//	}
//
// # Cluster
//
// Members of an Alertmanager cluster gossip silences and notification logs, not alerts, so
// Notify posts each alert to every member of urls, at once, and waits for them all (each
// bounded by timeout). The message is delivered when one member accepted it; each member
// that did not is logged at warning level (Config.Logger) and gets the alert with the next
// resend. When none accepted it, the error names every member's failure, and the attempt
// is retryable when one of them was.
//
// # Resends
//
// Resend (spec.Notifier.Resend) tells the engine to send the last firing alert of each
// firing rule again every resend_delay: Alertmanager ends an alert it has not heard of for
// its resolve_timeout. The engine also sends that alert resolved (endsAt the resolve time)
// when the rule resolves and on_resolve does not notify the notifier itself.
//
// # Request
//
// Each message is one POST to <url>/api/v2/alerts (the url's path prefix is kept, a
// trailing slash does not double, a url that already ends in /api/v2/alerts is used as
// is, and its query string is kept) with Content-Type: application/json and User-Agent:
// notimon. The body is a list with one alert in the API v2 format:
//
//	[{
//	  "labels": {
//	    "alertname": "overload",     // the rule; "notimon" for a message sent by hand
//	    "instance":  "web-01",       // host.name
//	    "severity":  "critical",     // the rule's severity, when it has one
//	    "team":      "web"           // the rule's labels
//	  },
//	  "annotations": {
//	    "summary":     "[web-01 server]",          // first non-empty line, HTML tags removed
//	    "description": "<b>[web-01 server]</b>\n…" // the whole message
//	  },
//	  "startsAt":     "2024-05-01T10:00:00Z",      // when the rule started firing, else the message's time
//	  "endsAt":       "2024-05-01T10:30:00Z",      // only when resolved: when it resolved, else the message's time
//	  "generatorURL": "notimon://web-01/rules/overload" // or Message.Link: the rule on the status page
//	}]
//
// Labels: the rule's labels come first, then severity, alertname and instance are set
// over them, so a rule label never replaces those three (severity only when the rule has
// one). Label names must be valid Prometheus label names or Alertmanager refuses the whole
// alert, so each rule label key is sanitized by LabelName: every character outside
// [a-zA-Z0-9_] becomes "_" and a leading digit gets a "_" in front ("app.kubernetes.io/name"
// → "app_kubernetes_io_name", "2fa" → "_2fa"). When two keys sanitize to the same name,
// the first in byte order wins. Labels with an empty value are left out (Alertmanager reads
// an empty label as an absent one).
//
// Times are RFC 3339 in UTC, to the second. While firing, endsAt is left out and
// Alertmanager sets it to now + its resolve_timeout (5m by default): an alert that is not
// sent again within that time is resolved by Alertmanager on its own. A resolved alert
// (endsAt in the past) is kept by Alertmanager 0.25 but no longer listed by
// GET /api/v2/alerts, whatever the filters.
//
// Delivery (one request per attempt, which failures are retryable, Retry-After, redirects,
// and keeping the URL's password and query values and the headers' values out of errors)
// is the webhook package's Sender; the engine's outbox retries.
package alertmanager
