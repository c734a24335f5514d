// Package chatops lets operators answer notimon from the Telegram chat its alerts arrive
// in: commands (/status, /silence, /unsilence, /ack, /help) and the inline buttons of firing
// messages (Ack, Silence 1h, Silence 24h).
//
// A telegram notifier with commands = true makes notimon read its bot's updates. A Service
// groups those notifiers by bot (token and api_url: Telegram allows one reader of a bot's
// updates at a time) and, for each bot, either long-polls getUpdates for as long as the
// daemon runs (Update starts, restarts and stops the loops as the rules change), or, in
// cron mode, drains what is pending before the tick (Drain, getUpdates with timeout 0).
//
// Each update passes three gates before it acts:
//
//   - its update_id must be above the last one applied, kept in the state directory
//     (telegram-<hash of the token>.json, written atomically before the update is applied):
//     a replayed update, after a crash or from a second poller, is never applied twice;
//   - it must come from an allowed chat and user (allowed): the notifier's chat_id, or with
//     allowed_users, one of those users in that chat or in a private chat with the bot.
//     Anything else is logged and ignored: no reply, no state change;
//   - a command must be one of ours, for this bot (/cmd@otherbot is not).
//
// Commands and buttons act through engine/control, the functions `notimon silence` and
// `notimon ack` call, so their effect is the CLI's; /status renders engine/status. A button's
// callback_data names the rule by a 12-character hash (telegram.RuleRef), found again among
// the rules of the configuration and of the state directory.
//
// The token is in every request's URL: errors go through notify.Redact before they are
// logged, and requests are never logged.
package chatops
