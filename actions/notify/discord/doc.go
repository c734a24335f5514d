// Package discord is the notifier that posts to a Discord channel webhook:
//
//	notifier "discord" "ops" {
//	  url     = env("DISCORD_WEBHOOK_URL")   # https://discord.com/api/webhooks/<id>/<token>
//	  timeout = "5s"                         # per attempt (one request); default 10s
//	}
//
// Each message is a POST of {"content": "<message>", "allowed_mentions": {"parse": []}}:
// the template's own Discord markdown works (**bold**, `code`), every placeholder's output
// is escaped with a backslash before each markdown character, and no message pings anyone
// (allowed_mentions with an empty parse list: "@everyone", "@here" or a role in a value,
// or in the template, stays text).
//
// Discord refuses content longer than 2000 characters. A longer message is split on line
// boundaries (a line longer than a part at a space, else between characters, never inside
// an escape) into parts numbered "(1/3)", "(2/3)" …, a code block open at a cut closed at
// the end of the part and reopened in the next. The parts are one attempt; when one fails
// after others were delivered, the error is a *notify.PartialError and the retry sends the
// rest only.
//
// The webhook URL is a secret (its path holds the token): errors show
// https://discord.com/***. A 429 waits for its Retry-After, 5xx and network errors are
// retried with the outbox's backoff, other refusals are final and quote Discord's reason.
package discord
