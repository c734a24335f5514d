package telegram_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/telegram"
	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
)

const token = "123456789:AAE-secret-token-for-tests_only"

// fastPolicy retries like the default policy, without sleeping; it records the waits.
func fastPolicy(waits *[]time.Duration) notify.Policy {
	var mu sync.Mutex
	p := notify.DefaultPolicy
	p.Sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		if waits != nil {
			*waits = append(*waits, d)
		}
		return nil
	}
	p.Jitter = func(time.Duration) time.Duration { return 0 }
	return p
}

func newNotifier(t *testing.T, srv *telegramtest.Server, mutate func(*telegram.Config)) *telegram.Telegram {
	t.Helper()
	cfg := telegram.Config{
		Token:   srv.Token(),
		ChatID:  fmt.Sprint(telegramtest.DefaultChatID),
		APIURL:  srv.URL(),
		Timeout: 500 * time.Millisecond,
		Policy:  fastPolicy(nil),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	n, err := telegram.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func msg(text string) notify.Message {
	return notify.Message{Notifier: "ops", Rule: "overload", Text: text, Time: time.Now()}
}

func TestDeliversHTML(t *testing.T) {
	srv := telegramtest.New(t, token)
	n := newNotifier(t, srv, func(c *telegram.Config) { c.ThreadID = 7; c.DisableNotification = true })
	text := "<b>[web-01 서버]</b>\n" + telegram.EscapeHTML("<defunct> & co") + "\ncpu 72.46%"
	if _, err := n.Notify(context.Background(), msg(text)); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("%d messages delivered, want 1", len(got))
	}
	m := got[0]
	if m.Visible != "[web-01 서버]\n<defunct> & co\ncpu 72.46%" || m.ParseMode != "HTML" || m.ThreadID != 7 || !m.DisableNotification {
		t.Errorf("delivered %+v", m)
	}
}

func TestLongKoreanMessageArrivesInOrderedValidParts(t *testing.T) {
	srv := telegramtest.New(t, token)
	n := newNotifier(t, srv, nil)
	var b strings.Builder
	for i := 0; b.Len() < 40000; i++ { // 10,000+ characters of Korean
		fmt.Fprintf(&b, "<b>%d</b> 메모리 사용량이 한계를 넘었습니다 &lt;경고&gt;\n", i)
	}
	text := b.String()
	if _, err := n.Notify(context.Background(), msg(text)); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) < 3 {
		t.Fatalf("%d parts, want at least 3 for %d characters", len(got), len([]rune(text)))
	}
	var joined strings.Builder
	for i, m := range got {
		prefix := fmt.Sprintf("(%d/%d)\n", i+1, len(got))
		if !strings.HasPrefix(m.Visible, prefix) {
			t.Errorf("part %d starts %.20q, want %q", i+1, m.Visible, prefix)
		}
		if u := telegramtest.UTF16Len(m.Visible); u > telegramtest.MaxMessageLength {
			t.Errorf("part %d has %d UTF-16 units", i+1, u)
		}
		joined.WriteString(strings.TrimPrefix(m.Visible, prefix) + "\n")
	}
	if want := telegram.PlainText(text, telegram.ModeHTML); joined.String() != want {
		t.Errorf("the parts do not add up to the message (%d vs %d bytes)", joined.Len(), len(want))
	}
}

func TestFaultsAreRetriedUntilDelivered(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults []telegramtest.Fault
	}{
		{"429 retry_after", []telegramtest.Fault{telegramtest.TooManyRequests(3)}},
		{"500", []telegramtest.Fault{telegramtest.ServerError(500)}},
		{"502 nginx page", []telegramtest.Fault{telegramtest.ServerErrorHTML(502)}},
		{"hang", []telegramtest.Fault{telegramtest.Hang()}},
		{"dropped connection", []telegramtest.Fault{telegramtest.Drop()}},
		{"all of them", []telegramtest.Fault{telegramtest.TooManyRequests(1), telegramtest.ServerError(503), telegramtest.Hang(), telegramtest.Drop()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := telegramtest.New(t, token)
			srv.Inject(tc.faults...)
			var waits []time.Duration
			n := newNotifier(t, srv, func(c *telegram.Config) {
				c.Policy = fastPolicy(&waits)
				// The hang lasts this long; the request after it must be answered within it,
				// on a loaded machine too.
				c.Timeout = time.Second
			})
			retryable, err := n.Notify(context.Background(), msg("disk 95%"))
			if err != nil {
				t.Fatalf("not delivered (retryable %v): %v", retryable, err)
			}
			if got := srv.Messages(); len(got) != 1 || got[0].Visible != "disk 95%" {
				t.Errorf("delivered %+v, want the message once", got)
			}
			// The server records a hung request when it sees the client hang up, which may
			// come after the retry was answered: wait for it rather than read at once.
			if reqs := srv.WaitRequests(t, len(tc.faults)+1, 10*time.Second); len(reqs) != len(tc.faults)+1 {
				t.Errorf("%d requests, want %d (one per fault, then success)", len(reqs), len(tc.faults)+1)
			}
			if tc.name == "429 retry_after" && (len(waits) != 1 || waits[0] != 3*time.Second) {
				t.Errorf("waited %v, want retry_after = 3s", waits)
			}
		})
	}
}

func TestTokenNeverShown(t *testing.T) {
	srv := telegramtest.New(t, token)
	faults := []telegramtest.Fault{
		telegramtest.TooManyRequests(1), telegramtest.ServerError(500), telegramtest.ServerErrorHTML(502),
		telegramtest.Hang(), telegramtest.Drop(), telegramtest.APIError(403, "Forbidden: bot was kicked from the group chat"),
		telegramtest.APIError(400, "Bad Request: chat not found"),
	}
	for _, f := range faults {
		srv.Fail(10, f) // more than the retry budget: the failure is reported
		n := newNotifier(t, srv, nil)
		_, err := n.Notify(context.Background(), msg("x"))
		if err == nil {
			t.Fatalf("%s: delivered despite the fault", f)
		}
		if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "AAE-secret") {
			t.Errorf("%s: the error shows the token: %v", f, err)
		}
		srv = telegramtest.New(t, token)
	}
	// A server that is down: connection refused.
	srv.Down()
	n := newNotifier(t, srv, nil)
	if _, err := n.Notify(context.Background(), msg("x")); err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("down server: err = %v", err)
	}
	// A wrong token.
	bad := newNotifier(t, srv, func(c *telegram.Config) { c.Token = "987654321:wrong-token-value" })
	srv.Up()
	retryable, err := bad.Notify(context.Background(), msg("x"))
	if err == nil || retryable || strings.Contains(err.Error(), "wrong-token-value") || !strings.Contains(err.Error(), "check the bot token") {
		t.Errorf("wrong token: retryable %v, err %v", retryable, err)
	}
}

func TestRejectedMarkupIsResentAsPlainText(t *testing.T) {
	srv := telegramtest.New(t, token)
	n := newNotifier(t, srv, nil)
	// A template with a literal "<" that is not a tag: Telegram refuses the HTML.
	if _, err := n.Notify(context.Background(), msg("<b>load</b> < 2 is fine")); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].ParseMode != "" {
		t.Fatalf("delivered %+v, want one plain-text message", got)
	}
	if !strings.HasPrefix(got[0].Visible, "[notimon: Telegram could not parse this message as HTML") ||
		!strings.HasSuffix(got[0].Visible, "load < 2 is fine") {
		t.Errorf("plain-text fallback = %q", got[0].Visible)
	}
}

func TestFinalErrors(t *testing.T) {
	srv := telegramtest.New(t, token, telegramtest.Chat{ID: -100, MigrateTo: -1001234567890})
	n := newNotifier(t, srv, func(c *telegram.Config) { c.ChatID = "-100" })
	retryable, err := n.Notify(context.Background(), msg("x"))
	if err == nil || retryable || !strings.Contains(err.Error(), "set chat_id = -1001234567890") {
		t.Errorf("migrated chat: retryable %v, err %v", retryable, err)
	}
	n = newNotifier(t, srv, func(c *telegram.Config) { c.ChatID = "-999" })
	retryable, err = n.Notify(context.Background(), msg("x"))
	if err == nil || retryable || !strings.Contains(err.Error(), "chat not found") || !strings.Contains(err.Error(), "check chat_id") {
		t.Errorf("unknown chat: retryable %v, err %v", retryable, err)
	}
	if len(srv.Requests()) != 2 {
		t.Errorf("%d requests: final errors must not be retried", len(srv.Requests()))
	}
	if _, err := n.Notify(context.Background(), msg("  \n")); err == nil {
		t.Error("an empty message was accepted")
	}
}

func TestMarkdownV2(t *testing.T) {
	srv := telegramtest.New(t, token)
	n := newNotifier(t, srv, func(c *telegram.Config) { c.ParseMode = telegram.ModeMarkdownV2 })
	text := "*cpu* " + telegram.EscapeMarkdownV2("72.5% (high)!")
	if _, err := n.Notify(context.Background(), msg(text)); err != nil {
		t.Fatal(err)
	}
	if got := srv.Messages(); len(got) != 1 || got[0].Visible != "cpu 72.5% (high)!" {
		t.Errorf("delivered %+v", got)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, cfg := range []telegram.Config{
		{ChatID: "1"},
		{Token: token},
		{Token: token, ChatID: "ops"},
		{Token: token, ChatID: "1", ParseMode: "html"},
	} {
		if _, err := telegram.New(cfg); err == nil || strings.Contains(err.Error(), token) {
			t.Errorf("New(%+v) = %v", cfg, err)
		}
	}
}
