// Package slack is the notifier that posts to a Slack incoming webhook, or to anything that
// speaks its format (Mattermost's incoming webhooks do):
//
//	notifier "slack" "ops" {
//	  url     = env("SLACK_WEBHOOK_URL")   # https://hooks.slack.com/services/T…/B…/…
//	  timeout = "5s"                       # per attempt (one request); default 10s
//	}
//
// Each message is one POST of {"text": "<message>"} (Content-Type: application/json). The
// text is Slack's mrkdwn: the template's own *bold*, _italic_ and <https://…|links> work,
// and every placeholder's output is escaped as Slack asks (& < > become &amp; &lt; &gt;),
// so a value cannot open a link or a mention (<!channel>).
//
// Slack truncates a text longer than 40,000 characters. notimon cuts it first, at a line
// boundary where it can, and ends it with a marker saying how much was left out: an alert
// that long is a mistake in its template (an exec output in full), and 40,000 characters
// split over several posts would flood the channel. The cut never falls inside an escape.
//
// The webhook URL is a secret (its path is the token): no error, log line or outbox entry
// shows more than https://hooks.slack.com/***. A 429 is retried after its Retry-After, 5xx
// and network errors with the outbox's backoff; other refusals (400 invalid_payload, 403,
// 404 no_service, 410 channel_is_archived) are final and quote Slack's reason.
package slack
