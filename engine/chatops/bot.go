package chatops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/telegram"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/internal/pause"
)

// allowedUpdates are the update types a Bot asks for.
var allowedUpdates = []string{"message", "callback_query"}

// maxDrain bounds the getUpdates calls of one Drain (100 updates each).
const maxDrain = 20

// maxBackoff is the longest wait between two failed polls.
const maxBackoff = time.Minute

// Bot reads one bot's updates and serves the chats of the notifiers that use it.
type Bot struct {
	names   []string // the notifiers that use the bot
	access  []access // theirs, in the same order
	token   string
	api     string        // base URL of the Bot API
	timeout time.Duration // per request
	httpc   *http.Client
	tg      *bot.Bot
	opts    Options
	config  func() *dsl.Config
	log     *slog.Logger

	file     string // the offset's file in the state directory
	loaded   bool
	last     int64  // the last update_id applied
	username string // the bot's, from getMe; "" until known
}

// botUsername is the bot's username, asked once (getMe) when a command names a bot; ""
// when it cannot be known now, and then /cmd@name is taken whatever the name.
func (b *Bot) botUsername(ctx context.Context) string {
	if b.username == "" && b.tg != nil {
		rctx, cancel := context.WithTimeout(ctx, b.timeout)
		defer cancel()
		if me, err := b.tg.GetMe(rctx); err == nil {
			b.username = me.Username
		} else {
			b.log.Debug("getMe failed; a command for any bot is taken as ours", "err", b.redact(err))
		}
	}
	return b.username
}

func newBot(c telegram.Config, o Options, config func() *dsl.Config) *Bot {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = telegram.DefaultTimeout
	}
	api := strings.TrimRight(c.APIURL, "/")
	if api == "" {
		api = "https://api.telegram.org"
	}
	b := &Bot{
		token:   c.Token,
		api:     api,
		timeout: timeout,
		// No client timeout: each request has a deadline of its own, longer for a long poll.
		httpc:  &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
		opts:   o,
		config: config,
		log:    o.Logger,
		file:   "telegram-" + tokenHash(c.Token) + ".json",
	}
	tg, err := bot.New(c.Token, bot.WithSkipGetMe(), bot.WithServerURL(api),
		bot.WithHTTPClient(timeout, &http.Client{Timeout: timeout, Transport: b.httpc.Transport}),
		bot.WithErrorsHandler(func(err error) { b.log.Debug("telegram client", "err", b.redact(err)) }))
	if err == nil {
		b.tg = tg
	}
	return b
}

// key identifies what the loop of the bot depends on: when it changes, the loop restarts.
func (b *Bot) key() string {
	var k strings.Builder
	fmt.Fprintf(&k, "%s\x00%s\x00%s", b.api, b.token, b.timeout)
	for _, a := range b.access {
		fmt.Fprintf(&k, "\x00%s|%d|%s|%s", a.notifier, a.chatID, a.chatName, strings.Join(a.users, ","))
	}
	return k.String()
}

func (b *Bot) chats() string {
	var out []string
	for _, a := range b.access {
		out = append(out, a.chat())
	}
	return strings.Join(out, ",")
}

func (b *Bot) redact(err error) string { return notify.Redact(err.Error(), b.token) }

// run long-polls until ctx ends, waiting longer after each failure (up to maxBackoff).
func (b *Bot) run(ctx context.Context) {
	failures := 0
	lastErr := ""
	for ctx.Err() == nil {
		_, err := b.poll(ctx, b.opts.PollTimeout)
		if err == nil {
			if failures > 0 {
				b.log.Info("reading Telegram commands again")
			}
			failures, lastErr = 0, ""
			continue
		}
		if ctx.Err() != nil {
			return
		}
		failures++
		wait := min(time.Second<<min(failures-1, 6), maxBackoff)
		if msg := b.redact(err); msg != lastErr {
			b.log.Warn("cannot read Telegram commands; retrying", "err", msg, "retry_in", wait)
			lastErr = msg
		} else {
			b.log.Debug("cannot read Telegram commands; retrying", "err", msg, "retry_in", wait)
		}
		if pause.For(ctx, wait) != nil {
			return
		}
	}
}

// drain applies the pending updates: getUpdates with timeout 0 until it returns none.
// The last call, with nothing left, confirms the last update to Telegram.
func (b *Bot) drain(ctx context.Context) error {
	for range maxDrain {
		n, err := b.poll(ctx, 0)
		if err != nil {
			return errors.New(b.redact(err))
		}
		if n == 0 {
			return nil
		}
	}
	b.log.Warn("more Telegram updates pending; the next run reads them", "read", maxDrain*100)
	return nil
}

// poll makes one getUpdates call after the last update applied and applies what it returns;
// it returns how many updates it got.
func (b *Bot) poll(ctx context.Context, wait time.Duration) (int, error) {
	if err := b.loadOffset(); err != nil {
		return 0, err
	}
	ups, err := b.getUpdates(ctx, wait)
	if err != nil {
		return 0, err
	}
	for _, u := range ups {
		if err := b.handle(ctx, u); err != nil {
			return len(ups), err
		}
	}
	return len(ups), nil
}

// getUpdates asks for the updates after the last one applied.
func (b *Bot) getUpdates(ctx context.Context, wait time.Duration) ([]models.Update, error) {
	params := map[string]any{
		"limit":           100,
		"timeout":         int(wait / time.Second),
		"allowed_updates": allowedUpdates,
	}
	if b.last > 0 {
		params["offset"] = b.last + 1
	}
	body, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, wait+b.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, b.api+"/bot"+b.token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("getUpdates: %s", notify.Redact(err.Error(), b.token))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.httpc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("getUpdates: %s", notify.Redact(err.Error(), b.token))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("getUpdates: %s, then reading the answer: %s", notify.HTTPStatus(resp.StatusCode), notify.Redact(err.Error(), b.token))
	}
	var ans struct {
		OK          *bool           `json:"ok"`
		Description string          `json:"description"`
		Result      json.RawMessage `json:"result"`
	}
	if json.Unmarshal(data, &ans) != nil || ans.OK == nil {
		return nil, fmt.Errorf("getUpdates: %s, and the answer is not Bot API JSON", notify.HTTPStatus(resp.StatusCode))
	}
	if !*ans.OK {
		if resp.StatusCode == http.StatusConflict {
			return nil, errConflict
		}
		return nil, fmt.Errorf("getUpdates: HTTP %d: %s", resp.StatusCode, notify.OneLine(notify.Redact(ans.Description, b.token), 512))
	}
	var ups []models.Update
	if err := json.Unmarshal(ans.Result, &ups); err != nil {
		return nil, fmt.Errorf("getUpdates: the updates do not decode: %v", err)
	}
	return ups, nil
}

// offsetDoc is the file of a bot's offset.
type offsetDoc struct {
	Version      int   `json:"version"`
	LastUpdateID int64 `json:"last_update_id"`
}

// loadOffset reads the last update applied, once. An unreadable file stops the bot:
// without it, an update could be applied twice.
func (b *Bot) loadOffset() error {
	if b.loaded {
		return nil
	}
	_ = store.RemoveParts(b.opts.StateDir, b.file) // left by a write cut short; only this bot writes the file
	path := filepath.Join(b.opts.StateDir, b.file)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("reading the last Telegram update applied: %w", err)
	default:
		var doc offsetDoc
		if err := json.Unmarshal(data, &doc); err != nil || doc.Version != 1 {
			return fmt.Errorf("%s is unusable (%v); remove it to read Telegram commands again (pending ones may then be applied again)", path, err)
		}
		b.last = doc.LastUpdateID
	}
	b.loaded = true
	return nil
}

// handle applies one update unless it was applied before. The update's id is saved first,
// so that a crash while applying it loses it rather than applies it twice.
func (b *Bot) handle(ctx context.Context, u models.Update) error {
	if u.ID <= b.last {
		b.log.Info("Telegram update already applied; skipped", "update_id", u.ID, "last_applied", b.last)
		return nil
	}
	data, _ := json.Marshal(offsetDoc{Version: 1, LastUpdateID: u.ID})
	if err := store.WriteFile(b.opts.StateDir, b.file, append(data, '\n')); err != nil {
		return fmt.Errorf("cannot record Telegram update %d as applied, so it is not applied: %w", u.ID, err)
	}
	b.last = u.ID
	switch {
	case u.Message != nil:
		b.onMessage(ctx, u.Message)
	case u.CallbackQuery != nil:
		b.onCallback(ctx, u.CallbackQuery)
	}
	return nil
}
