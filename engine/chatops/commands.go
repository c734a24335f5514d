package chatops

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/notimon/notimon/actions/notify/telegram"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/control"
	"github.com/notimon/notimon/internal/glob"
)

const helpText = `notimon commands:
/status: firing and pending rules with their values, silences, the last reload
/silence RULE DURATION [comment]: hold back RULE's notifications (a glob: web*, or a name; "quote it" if it has spaces) for DURATION (30m, 2h, 1d)
/unsilence ID: end a silence early
/ack RULE [comment]: stop RULE's repeats until it resolves
/help: this list
The buttons under an alert ack it or silence its rule for 1h or 24h.`

// allowedFor returns the access that lets from act in the chat, if one does.
func (b *Bot) allowedFor(chat models.Chat, from *models.User) (access, bool) {
	var u *userRef // nil: no sender (a channel post), which no access allows
	if from != nil {
		u = sender(from)
	}
	for _, a := range b.access {
		if a.allows(chat.ID, chat.Username, string(chat.Type), u) {
			return a, true
		}
	}
	return access{}, false
}

// sender is the user behind an update; a zero user when there is none.
func sender(from *models.User) *userRef {
	if from == nil {
		return &userRef{}
	}
	return &userRef{id: from.ID, username: from.Username, firstName: from.FirstName, isBot: from.IsBot}
}

// ignored logs an update from a chat or user that may not command.
func (b *Bot) ignored(what string, chat models.Chat, from *models.User) {
	args := []any{"what", what, "chat", chat.ID, "chat_type", string(chat.Type)}
	if from != nil {
		args = append(args, "user", from.ID, "username", from.Username)
	}
	b.log.Warn("ignored a Telegram update from a chat or user not allowed to command (see the notifier's chat_id and allowed_users)", args...)
}

// onMessage runs a command and replies in its chat.
func (b *Bot) onMessage(ctx context.Context, m *models.Message) {
	text := strings.TrimSpace(m.Text)
	name, args, ok := parseCommand(text, func() string { return b.botUsername(ctx) })
	switch {
	case !ok:
		b.log.Debug("Telegram command for another bot; ignored", "chat", m.Chat.ID)
		return
	case !strings.HasPrefix(text, "/"):
		name = "" // a message that is not a command
	}
	if _, allowed := b.allowedFor(m.Chat, m.From); !allowed {
		what := "a message"
		if name != "" {
			what = "/" + name
		}
		b.ignored(what, m.Chat, m.From)
		return
	}
	if name == "" {
		b.log.Debug("Telegram message that is not a command; ignored", "chat", m.Chat.ID)
		return
	}
	who := sender(m.From).who()
	b.log.Info("Telegram command", "command", "/"+name, "by", who, "chat", m.Chat.ID)
	reply := b.command(name, args, who)
	b.reply(ctx, m, reply)
}

// parseCommand splits "/cmd@bot arg …" into the command's name (lower case) and its
// arguments. ok is false for a command addressed to another bot.
func parseCommand(text string, username func() string) (name string, args []string, ok bool) {
	fields := splitArgs(text)
	if len(fields) == 0 || !strings.HasPrefix(fields[0], "/") {
		return "", fields, true
	}
	cmd := strings.TrimPrefix(fields[0], "/")
	cmd, to, addressed := strings.Cut(cmd, "@")
	if addressed {
		if me := username(); me != "" && !strings.EqualFold(to, me) {
			return "", nil, false
		}
	}
	return strings.ToLower(cmd), fields[1:], true
}

// splitArgs splits text at spaces, except inside double quotes (typographic ones too, which
// phones put in), so that a rule whose name has spaces can be named: /ack "disk full".
func splitArgs(text string) []string {
	var out []string
	var cur strings.Builder
	quoted, started := false, false
	for _, r := range text {
		switch {
		case r == '"' || r == '“' || r == '”':
			quoted, started = !quoted, true
		case !quoted && (r == ' ' || r == '\t' || r == '\n'):
			if started {
				out = append(out, cur.String())
				cur.Reset()
				started = false
			}
		default:
			cur.WriteRune(r)
			started = true
		}
	}
	if started {
		out = append(out, cur.String())
	}
	return out
}

// command runs one command and returns the reply.
func (b *Bot) command(name string, args []string, who string) string {
	now := b.opts.Now()
	switch name {
	case "help", "start":
		return helpText
	case "status":
		return b.statusText(now)
	case "silence":
		if len(args) < 2 {
			return "Usage: /silence RULE DURATION [comment], e.g. /silence disk-full 2h replacing the disk"
		}
		d, err := dsl.ParseDuration(args[1])
		if err != nil || d <= 0 {
			return fmt.Sprintf("Not silenced: %q is not a duration; write e.g. 30m, 2h or 1d.", args[1])
		}
		now := now.Truncate(time.Second) // as `notimon silence add`
		s, err := control.AddSilence(b.opts.StateDir, control.Silence{
			Matchers: []control.Matcher{{Rule: args[0]}},
			StartsAt: now,
			EndsAt:   now.Add(d),
			Comment:  strings.Join(args[2:], " "),
			By:       who,
		}, now)
		if err != nil {
			return "Not silenced: " + err.Error()
		}
		out := fmt.Sprintf("🔕 Silenced %s for %s, until %s: silence %s.\n/unsilence %s ends it.",
			args[0], shortDuration(d), clock(s.End()), s.ID, s.ID)
		if !b.matchesSomeRule(args[0]) {
			out += "\nNote: no rule of the configuration is called that now."
		}
		return out
	case "unsilence":
		if len(args) != 1 {
			return "Usage: /unsilence ID (the id /silence gave, or see /status)"
		}
		s, err := control.ExpireSilence(b.opts.StateDir, args[0], now)
		if err != nil {
			return "Not done: " + err.Error()
		}
		return fmt.Sprintf("🔔 Silence %s ended: %s.", s.ID, matchers(s))
	case "ack":
		if len(args) < 1 {
			return "Usage: /ack RULE [comment]"
		}
		a, err := control.AckRule(b.opts.StateDir, args[0], who, strings.Join(args[1:], " "), now)
		if err != nil {
			return "Not acked: " + err.Error()
		}
		return fmt.Sprintf("✅ Acked %s (%s): its repeats stop until it resolves.", a.Rule, a.Describe())
	}
	return fmt.Sprintf("Unknown command /%s.\n\n%s", name, helpText)
}

// matchesSomeRule reports whether glob selects a rule of the configuration in force.
func (b *Bot) matchesSomeRule(pattern string) bool {
	cfg := b.config()
	if cfg == nil {
		return true // unknown: say nothing
	}
	return slices.ContainsFunc(cfg.Rules, func(r *dsl.Rule) bool {
		ok, _ := glob.Match(pattern, r.Name)
		return ok
	})
}

func matchers(s control.Silence) string {
	out := make([]string, len(s.Matchers))
	for i, m := range s.Matchers {
		out[i] = m.String()
	}
	return strings.Join(out, " ")
}

// clock formats t for a chat: "17:05 UTC", with the date when it is not today.
func clock(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04 MST")
}

// reply sends text to the chat of m (in its forum topic), in as many parts as it needs.
func (b *Bot) reply(ctx context.Context, m *models.Message, text string) {
	if b.tg == nil {
		return
	}
	for i, part := range telegram.Split(text, telegram.ModeNone) {
		params := &bot.SendMessageParams{ChatID: m.Chat.ID, Text: part, MessageThreadID: m.MessageThreadID}
		if i == 0 {
			params.ReplyParameters = &models.ReplyParameters{MessageID: m.ID, AllowSendingWithoutReply: true}
		}
		rctx, cancel := context.WithTimeout(ctx, b.timeout)
		_, err := b.tg.SendMessage(rctx, params)
		cancel()
		if err != nil {
			b.log.Warn("cannot reply to a Telegram command", "chat", m.Chat.ID, "err", b.redact(err))
			return
		}
	}
}

// onCallback acts on a button press, answers it, and edits the message to say who did what.
func (b *Bot) onCallback(ctx context.Context, q *models.CallbackQuery) {
	msg := q.Message.Message
	var chat models.Chat
	switch {
	case msg != nil:
		chat = msg.Chat
	case q.Message.InaccessibleMessage != nil:
		chat = q.Message.InaccessibleMessage.Chat
	default:
		b.log.Debug("Telegram button press without a message; ignored")
		return
	}
	if _, ok := b.allowedFor(chat, &q.From); !ok {
		b.ignored("button "+q.Data, chat, &q.From)
		return
	}
	who := sender(&q.From).who()
	action, ref, ok := telegram.ParseButton(q.Data)
	if !ok {
		b.answer(ctx, q, "This button is not one of notimon's.", true)
		return
	}
	rule, ok := b.ruleByRef(ref)
	if !ok {
		b.answer(ctx, q, "notimon no longer knows this rule (removed or renamed).", true)
		return
	}
	now := b.opts.Now()
	b.log.Info("Telegram button", "action", action, "rule", rule, "by", who, "chat", chat.ID)
	var done, short string
	switch action {
	case telegram.ButtonAck:
		if _, err := control.AckRule(b.opts.StateDir, rule, who, "", now); err != nil {
			b.answer(ctx, q, "Not acked: "+err.Error(), true)
			return
		}
		done, short = fmt.Sprintf("✅ Acked by %s at %s", who, clock(now)), "Acked: repeats stop until it resolves."
	case telegram.ButtonSilence1h, telegram.ButtonSilence1d:
		d, label := time.Hour, "1h"
		if action == telegram.ButtonSilence1d {
			d, label = 24*time.Hour, "24h" // as the button says
		}
		now := now.Truncate(time.Second) // as `notimon silence add`
		s, err := control.AddSilence(b.opts.StateDir, control.Silence{
			Matchers: []control.Matcher{{Rule: literalGlob(rule)}},
			StartsAt: now,
			EndsAt:   now.Add(d),
			Comment:  "from a Telegram button",
			By:       who,
		}, now)
		if err != nil {
			b.answer(ctx, q, "Not silenced: "+err.Error(), true)
			return
		}
		done = fmt.Sprintf("🔕 Silenced for %s by %s at %s, until %s (silence %s; /unsilence %s ends it)",
			label, who, clock(now), clock(s.End()), s.ID, s.ID)
		short = fmt.Sprintf("Silenced for %s: silence %s.", label, s.ID)
	}
	b.answer(ctx, q, short, false)
	if msg != nil {
		b.edit(ctx, msg, done)
	}
}

// ruleByRef finds the rule whose telegram.RuleRef is ref, among the rules in force and the
// rules of the state directory.
func (b *Bot) ruleByRef(ref string) (string, bool) {
	if cfg := b.config(); cfg != nil {
		for _, r := range cfg.Rules {
			if telegram.RuleRef(r.Name) == ref {
				return r.Name, true
			}
		}
	}
	states, _, err := control.RuleStates(b.opts.StateDir)
	if err != nil {
		b.log.Warn("cannot read the rules of the state directory", "err", err)
	}
	for name := range states {
		if telegram.RuleRef(name) == ref {
			return name, true
		}
	}
	return "", false
}

// literalGlob is a glob that matches name alone.
func literalGlob(name string) string {
	var b strings.Builder
	for _, r := range name {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// shortDuration writes d as people do in chat: whole days as 1d, else as a rules file does
// (1h, 1h30m, 90s).
func shortDuration(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return dsl.FormatDuration(d)
}

// maxAnswer is the longest text answerCallbackQuery shows.
const maxAnswer = 200

func (b *Bot) answer(ctx context.Context, q *models.CallbackQuery, text string, alert bool) {
	if b.tg == nil {
		return
	}
	if r := []rune(text); len(r) > maxAnswer {
		text = string(r[:maxAnswer-1]) + "…"
	}
	rctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	if _, err := b.tg.AnswerCallbackQuery(rctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: q.ID, Text: text, ShowAlert: alert}); err != nil {
		// A press older than some seconds (read by a cron run) cannot be answered any more.
		b.log.Info("cannot answer a Telegram button press", "err", b.redact(err))
	}
}

// edit adds line under the text of msg, keeping its formatting and its buttons.
func (b *Bot) edit(ctx context.Context, msg *models.Message, line string) {
	if b.tg == nil {
		return
	}
	params := &bot.EditMessageTextParams{
		ChatID:    msg.Chat.ID,
		MessageID: msg.ID,
		Text:      msg.Text + "\n\n" + line,
		Entities:  msg.Entities,
	}
	if msg.ReplyMarkup != nil {
		params.ReplyMarkup = msg.ReplyMarkup
	}
	rctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	if _, err := b.tg.EditMessageText(rctx, params); err != nil {
		b.log.Warn("cannot edit the Telegram message to show what was done", "chat", msg.Chat.ID, "message_id", msg.ID, "err", b.redact(err))
	}
}
