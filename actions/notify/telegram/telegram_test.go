package telegram_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
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

// TestErrorsNameStatusAndDescription: every error says the HTTP status and Telegram's
// description, and never quotes an answer that is not Bot API JSON (an nginx page).
func TestErrorsNameStatusAndDescription(t *testing.T) {
	const gaveUp = " (gave up for now after the retry budget)"
	for _, tc := range []struct {
		fault     telegramtest.Fault
		want      string
		retryable bool
	}{
		{telegramtest.ServerErrorHTML(502), "telegram: HTTP 502 Bad Gateway" + gaveUp, true},
		{telegramtest.ServerErrorHTML(504), "telegram: HTTP 504 Gateway Timeout" + gaveUp, true},
		{telegramtest.ServerError(500), "telegram: HTTP 500: Internal Server Error" + gaveUp, true},
		{telegramtest.TooManyRequests(1), "telegram: HTTP 429: Too Many Requests: retry after 1" + gaveUp, true},
		{telegramtest.APIError(400, "Bad Request: chat not found"),
			"telegram: HTTP 400: Bad Request: chat not found (check chat_id, and that the bot was added to the chat)", false},
		{telegramtest.APIError(403, "Forbidden: bot was kicked from the group chat"),
			"telegram: HTTP 403: Forbidden: bot was kicked from the group chat (is the bot a member of the chat, and allowed to post?)", false},
		{telegramtest.APIError(401, "Unauthorized"), "telegram: HTTP 401: Unauthorized (check the bot token)", false},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			srv := telegramtest.New(t, token)
			srv.Fail(10, tc.fault) // more than the retry budget
			retryable, err := newNotifier(t, srv, nil).Notify(context.Background(), msg("x"))
			if err == nil || err.Error() != tc.want || retryable != tc.retryable {
				t.Errorf("Notify = %v, %v; want %v, %q", retryable, err, tc.retryable, tc.want)
			}
		})
	}
}

// TestAnswersThatAreNotBotAPIJSON: a server that is not a Bot API (a wrong api_url, a
// captive portal, a proxy) answers HTML; the error names the status and says so, once,
// without the page.
func TestAnswersThatAreNotBotAPIJSON(t *testing.T) {
	page := "<!DOCTYPE html>\n<html><head><title>Sign in to the Wi-Fi</title></head><body>" + strings.Repeat("x", 5000) + "</body></html>"
	for _, tc := range []struct {
		status int
		want   string
	}{
		{404, "telegram: HTTP 404 Not Found, and the answer is not Bot API JSON (is api_url a Bot API server? a proxy in the way?)"},
		{200, "telegram: HTTP 200 OK, but the answer is not Bot API JSON (is api_url a Bot API server?)"},
	} {
		var requests atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(tc.status)
			io.WriteString(w, page)
		}))
		n, err := telegram.New(telegram.Config{Token: token, ChatID: "1", APIURL: srv.URL, Policy: fastPolicy(nil)})
		if err != nil {
			t.Fatal(err)
		}
		retryable, err := n.Notify(context.Background(), msg("x"))
		if err == nil || err.Error() != tc.want || retryable {
			t.Errorf("HTTP %d with a page: Notify = %v, %v; want false, %q", tc.status, retryable, err, tc.want)
		}
		if requests.Load() != 1 {
			t.Errorf("HTTP %d with a page: %d requests, want 1 (not retried)", tc.status, requests.Load())
		}
		srv.Close()
	}
}
