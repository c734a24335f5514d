// Package telegramtest is a fake Telegram Bot API server for tests: it refuses what
// Telegram refuses, with Telegram's status codes and descriptions, records what it
// delivers, and fails on demand the ways the real service fails.
//
// Every Telegram test in notimon uses it: the notifier's unit tests, `notimon send`
// end-to-end tests, and daemon tests that run the real binary. A test starts one with
// New(t, token), hands its URL() to the client under test (bot.WithServerURL, or a
// notifier's api_url in a rules.d written for a child process), sends, and then asserts on
// Messages() (what a user would read) and Requests() (what was attempted and answered,
// every attempt included). WaitMessages and WaitRequests wait for asynchronous senders;
// WaitHanging waits until requests hang on a Hang fault, so that a test cuts them (Close,
// Down) only once the server has them.
//
// # What is modelled
//
// Requests go to /bot<token>/<method> by GET or POST, with parameters in the query string
// or a multipart/form-data (what github.com/go-telegram/bot sends), urlencoded or JSON body;
// method names are case-insensitive. A wrong token answers 401 Unauthorized, a token not of
// the 123456:ABC… form and an unknown method 404 Not Found. getMe answers a fixed bot whose
// id is the token's number. sendMessage is checked in the Bot API's order: chat_id present,
// text present, parse_mode supported ("HTML", "MarkdownV2", legacy "Markdown", or
// none; case-insensitive), markup parsed, chat known (by id or @username, see Chat), group
// not migrated (400 with parameters.migrate_to_chat_id), visible text not empty and at most
// 4096 UTF-16 code units. A delivered message gets an increasing message_id, and the answer
// carries it with the chat, the date and the visible text.
//
// The markup parsers follow TDLib's (td/telegram/MessageEntity.cpp), which the Bot API runs:
// the same scanning rules, byte offsets and error texts, e.g. "can't parse entities:
// Unsupported start tag "defunct" at byte offset 12".
//
//   - HTML: the tags b strong i em u ins s strike del a code pre blockquote tg-spoiler
//     tg-emoji and span (only with class="tg-spoiler"); attributes quoted or bare; tags
//     closed in order ("</>" closes any); &lt; &gt; &amp; &quot; and numeric references,
//     with or without ';'. As in Telegram, an "&" that starts no such reference (a bare
//     "&", "&nbsp;", "&foo;") is kept as text, not refused; StrictAmpersands refuses it, to
//     prove that a sender escapes what it inserts.
//   - MarkdownV2: every character of _*[]()~`>#+-=|{}.! outside entity syntax must be
//     escaped with '\'; *bold*, _italic_, __underline__, ~strike~, ||spoiler||, `code`,
//     ```lang pre```, [text](url), ![emoji](tg://emoji?id=N), and > block quotes (with
//     "**>" … "||" expandable ones) are entities; inside code only '`' is reserved.
//   - Markdown (legacy): _italic_, *bold*, `code`, ```pre```, [text](url), an unclosed one
//     refused with "Can't find end of the entity starting at byte offset N".
//
// The visible text is then cleaned as Telegram cleans it: '\r' removed, other control
// characters and tabs made spaces, U+2028–U+202E removed, trailing spaces and line breaks
// trimmed, leading ones trimmed up to the first formatting entity. Its length is counted in
// UTF-16 code units: a Korean syllable counts 1, an emoji outside the BMP 2, tags and
// escapes nothing.
//
// Updates: a test queues what users do with PostText (a text message from a User in a
// chat; a command carries its bot_command entity) and Press (a User presses an inline
// button of a delivered message: a callback_query). getUpdates delivers them as Telegram
// does: update ids increase from a large number; offset confirms every update before it
// (Confirmed, WaitConfirmed), a negative offset keeps the last ones; limit 1–100; timeout
// long-polls until an update is queued or the timeout passes (WaitPolling sees one
// waiting); a newer getUpdates ends a waiting one with 409 Conflict; allowed_updates is
// kept until given again, and an update of a type it excludes is never created.
// answerCallbackQuery answers a query once (Callbacks shows the answers); an unknown or
// answered query is 400 "query is too old and response timeout expired or query ID is
// invalid". editMessageText changes a message the bot sent, checked like a new one (text,
// parse_mode, markup), and refuses a missing message ("message to edit not found"), a
// user's ("message can't be edited") and an edit that changes nothing ("message is not
// modified: …"); without reply_markup it removes the keyboard, as Telegram does.
// reply_markup on sendMessage and editMessageText is parsed: an inline keyboard must have
// buttons with an action (a text-only button is refused), callback_data of 1–64 bytes
// (else BUTTON_DATA_INVALID), at most 100 buttons ("reply markup is too long"); the
// buttons are recorded in Message.Buttons and echoed in answers.
//
// Faults (Inject, Fail, FailAt) replace the answer to the next requests: 429 with
// retry_after, 5xx with a JSON or an nginx HTML body, any other API error, a request that
// hangs until its client gives up, a dropped connection. Down closes the listening socket,
// so connections are refused until Up.
//
// # What is not modelled
//
// Methods other than getMe, sendMessage, getUpdates, answerCallbackQuery and
// editMessageText (they answer 404); entities passed as "entities", reply keyboards other
// than inline ones (accepted, not checked), the 8-buttons-per-row limit, the expiry of
// callback queries after some seconds, inline messages, webhooks, link previews and the other optional sendMessage fields (they
// are recorded in Request.Params, not checked); the entities of a delivered message (only
// its visible text is kept); whether an <a href> or [text](url) link is valid, which only
// decides whether Telegram keeps the link, never refuses the message; forum topics
// (message_thread_id is recorded and echoed, never checked against the chat); whether the
// bot may post in a chat (use APIError(403, …)); rate limits by themselves (inject
// TooManyRequests); Telegram's automatic detection of URLs, mentions and hashtags; and the
// invisible characters Telegram treats as empty text, which are approximated.
//
// The token is never logged and never recorded: Request keeps the method, not the path, and
// a Server prints as its URL.
package telegramtest
