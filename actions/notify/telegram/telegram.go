// Package telegram is the notifier that sends messages to a Telegram chat through the Bot
// API, with github.com/go-telegram/bot: it starts offline (no getMe), takes a context,
// points at any server (a self-hosted Bot API or a test double) and reports 429s with their
// retry_after.
//
// Delivery is made to survive what Telegram does to naive senders: messages longer than 4096
// UTF-16 units are split on line boundaries into numbered parts that are each valid markup;
// a 400 "can't parse entities" is resent once as plain text with a note, within the same
// attempt, so the alert still arrives; and the token, which the Bot API puts in the URL, is
// removed from every error. Notify makes one attempt and classifies its failure for the
// caller, who owns the retries: 429s (with retry_after), 5xx, timeouts and dropped
// connections are retryable; a part failure after earlier parts were delivered says so
// (notify.PartialError), so a retry sends only the rest.
// Errors name the HTTP status and Telegram's description ("HTTP 400: Bad Request: chat not
// found"); an answer that is not Bot API JSON (nginx's 502 page) is named by its status
// alone ("HTTP 502 Bad Gateway"), never quoted.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/notimon/notimon/actions/notify"
)

// Parse modes, as the parse_mode attribute spells them.
const (
	ModeHTML       = "HTML"
	ModeMarkdownV2 = "MarkdownV2"
	ModeNone       = "none"
)

// DefaultTimeout bounds one HTTP request to the Bot API.
const DefaultTimeout = 10 * time.Second

// Config is a telegram notifier's settings, decoded from its notifier block.
type Config struct {
	Token               string
	ChatID              string // a number, or "@channel"
	ThreadID            int    // message_thread_id, for forum topics; 0: none
	ParseMode           string // ModeHTML (default), ModeMarkdownV2 or ModeNone
	DisableNotification bool
	APIURL              string        // "" means the public Bot API
	Timeout             time.Duration // per request; 0 means DefaultTimeout
	Logger              *slog.Logger  // nil: discard
	// Commands puts the inline buttons (Ack, Silence 1h, Silence 24h) on firing messages,
	// and makes notimon read the bot's updates for commands (engine/chatops).
	Commands bool
	// AllowedUsers are who may command: user ids and "@username"s. Empty: the members of
	// ChatID.
	AllowedUsers []string
}

// Telegram sends messages to one chat.
type Telegram struct {
	cfg    Config
	chatID any // int64 or "@channel", as the API wants it
	client *bot.Bot
}

var _ notify.Notifier = (*Telegram)(nil)

// New builds the notifier. It makes no request: notimon must start offline.
func New(cfg Config) (*Telegram, error) {
	cfg.Token = strings.TrimSpace(cfg.Token)
	if cfg.Token == "" {
		return nil, errors.New("telegram: the token is empty (set token, or token_file, or the environment variable it reads)")
	}
	cfg.ChatID = strings.TrimSpace(cfg.ChatID)
	if cfg.ChatID == "" {
		return nil, errors.New("telegram: chat_id is empty (set chat_id, or chat_id_file, or the environment variable it reads)")
	}
	var chatID any = cfg.ChatID
	if n, err := strconv.ParseInt(cfg.ChatID, 10, 64); err == nil {
		chatID = n
	} else if !strings.HasPrefix(cfg.ChatID, "@") {
		return nil, fmt.Errorf("telegram: chat_id %q is neither a number nor an @channel name", cfg.ChatID)
	}
	switch cfg.ParseMode {
	case "":
		cfg.ParseMode = ModeHTML
	case ModeHTML, ModeMarkdownV2, ModeNone:
	default:
		return nil, fmt.Errorf("telegram: parse_mode %q is not one of HTML, MarkdownV2, none", cfg.ParseMode)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// The default transport honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY.
	httpClient := &http.Client{Timeout: cfg.Timeout, Transport: apiTransport{next: http.DefaultTransport.(*http.Transport).Clone()}}
	opts := []bot.Option{
		bot.WithSkipGetMe(),
		bot.WithHTTPClient(cfg.Timeout, httpClient),
		bot.WithErrorsHandler(func(err error) {
			cfg.Logger.Debug("telegram client", "err", notify.Redact(err.Error(), cfg.Token))
		}),
	}
	if cfg.APIURL != "" {
		opts = append(opts, bot.WithServerURL(strings.TrimRight(cfg.APIURL, "/")))
	}
	client, err := bot.New(cfg.Token, opts...)
	if err != nil {
		return nil, notify.RedactError(fmt.Errorf("telegram: %w", err), cfg.Token)
	}
	return &Telegram{cfg: cfg, chatID: chatID, client: client}, nil
}

// Notify makes one attempt to send m.Text, in parts if it is too long: one request per
// part, each bounded by the timeout. It stops at the first part that fails and returns its
// error; when parts before it were delivered, the error is a *notify.PartialError saying
// how many, and an attempt with that count in m.Resume starts after them (provided the
// message still splits into as many parts).
func (t *Telegram) Notify(ctx context.Context, m notify.Message) (bool, error) {
	if strings.TrimSpace(m.Text) == "" {
		return false, errors.New("telegram: the message is empty; Telegram refuses empty messages")
	}
	parts := split(m.Text, t.cfg.ParseMode)
	first := 0
	if m.Resume.Of == len(parts) && m.Resume.Sent > 0 && m.Resume.Sent < len(parts) {
		first = m.Resume.Sent
	}
	buttons := t.buttons(m)
	for i := first; i < len(parts); i++ {
		var kb models.ReplyMarkup
		if i == len(parts)-1 {
			kb = buttons // under the last part, so that they are under the whole message
		}
		retryable, err := t.sendPart(ctx, parts[i], kb)
		if err == nil {
			continue
		}
		if len(parts) > 1 {
			err = fmt.Errorf("part %d of %d (%d delivered): %w", i+1, len(parts), i, err)
		}
		err = notify.RedactError(fmt.Errorf("telegram: %w", err), t.cfg.Token)
		if i > 0 {
			err = &notify.PartialError{Parts: notify.Parts{Sent: i, Of: len(parts)}, Err: err}
		}
		return retryable, err
	}
	return false, nil
}

// sendPart sends one part; a part Telegram cannot parse is sent once more as plain text,
// in the same attempt.
func (t *Telegram) sendPart(ctx context.Context, text string, kb models.ReplyMarkup) (bool, error) {
	mode := t.cfg.ParseMode
	retryable, err := t.send(ctx, text, mode, kb)
	if err == nil || mode == ModeNone || !isParseError(err) {
		return retryable, err
	}
	t.cfg.Logger.Warn("Telegram could not parse the message; sending it as plain text",
		"parse_mode", mode, "err", notify.Redact(err.Error(), t.cfg.Token))
	plain := fmt.Sprintf("[notimon: Telegram could not parse this message as %s (%s); sent as plain text]\n%s",
		mode, parseErrorReason(err), PlainText(text, mode))
	ps := split(plain, ModeNone)
	for i, p := range ps {
		var pkb models.ReplyMarkup
		if i == len(ps)-1 {
			pkb = kb
		}
		if retryable, err := t.send(ctx, p, ModeNone, pkb); err != nil {
			return retryable, err
		}
	}
	return false, nil
}

// send makes one sendMessage request and classifies its failure: retryable or not, and
// Telegram's retry_after as a *notify.RetryAfterError.
func (t *Telegram) send(ctx context.Context, text, mode string, kb models.ReplyMarkup) (bool, error) {
	params := &bot.SendMessageParams{
		ChatID:              t.chatID,
		Text:                text,
		MessageThreadID:     t.cfg.ThreadID,
		DisableNotification: t.cfg.DisableNotification,
		ReplyMarkup:         kb,
	}
	if mode != ModeNone {
		params.ParseMode = models.ParseMode(mode)
	}
	var ans answer
	_, orig := t.client.SendMessage(context.WithValue(ctx, answerKey{}, &ans), params)
	if orig == nil {
		return false, nil
	}
	var notAPI *statusError
	if errors.As(orig, &notAPI) {
		return ctx.Err() == nil && notAPI.retryable(), notAPI
	}
	// Classify on the library's error; hand on the HTTP status and Telegram's description
	// when there was an error answer, else the redacted text (a transport error).
	err := notify.RedactError(orig, t.cfg.Token)
	if ans.status != 0 && (ans.status < 200 || ans.status > 299) {
		err = notify.RedactError(errors.New(ans.String()), t.cfg.Token)
	}
	var tooMany *bot.TooManyRequestsError
	var migrate *bot.MigrateError
	switch {
	case errors.As(orig, &tooMany):
		return true, &notify.RetryAfterError{Wait: time.Duration(tooMany.RetryAfter) * time.Second, Err: err}
	case errors.As(orig, &migrate):
		return false, fmt.Errorf("the group was upgraded to a supergroup: set chat_id = %d in the notifier (%v)", migrate.MigrateToChatID, err)
	case errors.Is(orig, bot.ErrorBadRequest):
		if strings.Contains(orig.Error(), "can't parse entities") {
			return false, &parseError{err}
		}
		if strings.Contains(orig.Error(), "chat not found") {
			return false, fmt.Errorf("%w (check chat_id, and that the bot was added to the chat)", err)
		}
		return false, err
	case errors.Is(orig, bot.ErrorUnauthorized), errors.Is(orig, bot.ErrorNotFound):
		return false, fmt.Errorf("%w (check the bot token)", err)
	case errors.Is(orig, bot.ErrorForbidden):
		return false, fmt.Errorf("%w (is the bot a member of the chat, and allowed to post?)", err)
	}
	// 5xx and other answers, timeouts, refused and dropped connections, an HTML error page.
	return ctx.Err() == nil, err
}

// parseError is Telegram's 400 "can't parse entities".
type parseError struct{ err error }

func (e *parseError) Error() string { return e.err.Error() }
func (e *parseError) Unwrap() error { return e.err }

func isParseError(err error) bool {
	var pe *parseError
	return errors.As(err, &pe)
}

func parseErrorReason(err error) string {
	s := err.Error()
	if i := strings.Index(s, "can't parse entities"); i >= 0 {
		s = s[i:]
	}
	return s
}

// Escaper returns how placeholder output is escaped for mode, so that values such as
// "<defunct> & co" arrive as written.
func Escaper(mode string) func(string) string {
	switch mode {
	case "", ModeHTML:
		return EscapeHTML
	case ModeMarkdownV2:
		return EscapeMarkdownV2
	}
	return nil
}

// EscapeHTML escapes the three characters Telegram's HTML parser requires escaped.
func EscapeHTML(s string) string {
	return htmlEscaper.Replace(s)
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// EscapeMarkdownV2 escapes every character MarkdownV2 reserves.
func EscapeMarkdownV2(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("_*[]()~`>#+-=|{}.!\\", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
