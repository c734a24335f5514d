package telegram_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/telegram"
	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
)

const token = "123456789:AAE-secret-token-for-tests_only"

func newNotifier(t *testing.T, srv *telegramtest.Server, mutate func(*telegram.Config)) *telegram.Telegram {
	t.Helper()
	cfg := telegram.Config{
		Token:   srv.Token(),
		ChatID:  fmt.Sprint(telegramtest.DefaultChatID),
		APIURL:  srv.URL(),
		Timeout: 500 * time.Millisecond,
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

// TestEachFaultIsOneAttempt: Notify makes one request, never waits, and tells its caller
// (the outbox, which owns the retries) that trying again can help and, for flood control,
// how long Telegram asked to wait; the next attempt delivers. The engine's
// TestFaultsAreRetriedUntilDelivered retries the same faults through the outbox.
func TestEachFaultIsOneAttempt(t *testing.T) {
	for _, tc := range []struct {
		fault      telegramtest.Fault
		retryAfter time.Duration
	}{
		{telegramtest.TooManyRequests(3), 3 * time.Second},
		{telegramtest.TooManyRequests(600), 10 * time.Minute}, // reported as given, however long
		{telegramtest.ServerError(500), 0},
		{telegramtest.ServerErrorHTML(502), 0},
		{telegramtest.Hang(), 0},
		{telegramtest.Drop(), 0},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			srv := telegramtest.New(t, token)
			srv.Inject(tc.fault)
			n := newNotifier(t, srv, nil)
			start := time.Now()
			retryable, err := n.Notify(context.Background(), msg("disk 95%"))
			if err == nil || !retryable {
				t.Fatalf("Notify = %v, %v; want a retryable failure", retryable, err)
			}
			if got := notify.RetryAfter(err); got != tc.retryAfter {
				t.Errorf("RetryAfter = %v, want %v (err %v)", got, tc.retryAfter, err)
			}
			if _, partial := notify.Delivered(err); partial {
				t.Errorf("a one-part message reports parts delivered: %v", err)
			}
			// One request, bounded by the 500 ms timeout (a hang): no retry, no sleep.
			if reqs := srv.WaitRequests(t, 1, 5*time.Second); len(reqs) != 1 {
				t.Errorf("%d requests, want 1: %+v", len(reqs), srv.Requests())
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("one attempt took %s", d)
			}
			if _, err := n.Notify(context.Background(), msg("disk 95%")); err != nil {
				t.Fatalf("the next attempt: %v", err)
			}
			if got := srv.Messages(); len(got) != 1 || got[0].Visible != "disk 95%" {
				t.Errorf("delivered %+v, want the message once", got)
			}
		})
	}
}

// TestPartFailureResumes: when part 2 of 3 fails, the error says part 1 was delivered; the
// next attempt, told so in Message.Resume, sends parts 2 and 3 only, so the chat reads each
// part once. Resume for a message that now splits differently sends it whole.
func TestPartFailureResumes(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 2*telegramtest.MaxMessageLength+100; i++ {
		fmt.Fprintf(&b, "line %d of a long report\n", i)
	}
	m := msg(b.String())
	srv := telegramtest.New(t, token)
	srv.FailAt(2, telegramtest.ServerErrorHTML(502))
	n := newNotifier(t, srv, nil)
	retryable, err := n.Notify(context.Background(), m)
	parts, partial := notify.Delivered(err)
	if err == nil || !retryable || !partial || parts != (notify.Parts{Sent: 1, Of: 3}) {
		t.Fatalf("Notify = %v, %v (parts %+v); want a retryable failure after part 1 of 3", retryable, err, parts)
	}
	if want := "telegram: part 2 of 3 (1 delivered): HTTP 502 Bad Gateway"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	m.Resume = parts
	if _, err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, msg := range srv.Messages() {
		got = append(got, msg.Visible[:strings.Index(msg.Visible, "\n")])
	}
	if strings.Join(got, " ") != "(1/3) (2/3) (3/3)" {
		t.Errorf("the chat reads %q, want each part once, in order", got)
	}

	srv = telegramtest.New(t, token)
	n = newNotifier(t, srv, nil)
	m.Resume = notify.Parts{Sent: 1, Of: 2} // recorded when the message split in two
	if _, err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if len(srv.Messages()) != 3 {
		t.Errorf("%d parts sent, want all 3 when the recorded progress does not fit", len(srv.Messages()))
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
		srv.Inject(f) // one attempt: the failure is reported
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
	if len(got) != 1 || got[0].ParseMode != "" || len(srv.Requests()) != 2 {
		t.Fatalf("delivered %+v after %d requests, want one plain-text message after the refused HTML one", got, len(srv.Requests()))
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
	for _, tc := range []struct {
		fault     telegramtest.Fault
		want      string
		retryable bool
	}{
		{telegramtest.ServerErrorHTML(502), "telegram: HTTP 502 Bad Gateway", true},
		{telegramtest.ServerErrorHTML(504), "telegram: HTTP 504 Gateway Timeout", true},
		{telegramtest.ServerError(500), "telegram: HTTP 500: Internal Server Error", true},
		{telegramtest.TooManyRequests(1), "telegram: HTTP 429: Too Many Requests: retry after 1", true},
		{telegramtest.APIError(400, "Bad Request: chat not found"),
			"telegram: HTTP 400: Bad Request: chat not found (check chat_id, and that the bot was added to the chat)", false},
		{telegramtest.APIError(403, "Forbidden: bot was kicked from the group chat"),
			"telegram: HTTP 403: Forbidden: bot was kicked from the group chat (is the bot a member of the chat, and allowed to post?)", false},
		{telegramtest.APIError(401, "Unauthorized"), "telegram: HTTP 401: Unauthorized (check the bot token)", false},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			srv := telegramtest.New(t, token)
			srv.Fail(10, tc.fault)
			retryable, err := newNotifier(t, srv, nil).Notify(context.Background(), msg("x"))
			if err == nil || err.Error() != tc.want || retryable != tc.retryable {
				t.Errorf("Notify = %v, %v; want %v, %q", retryable, err, tc.retryable, tc.want)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests, want 1 (one attempt)", n)
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
		n, err := telegram.New(telegram.Config{Token: token, ChatID: "1", APIURL: srv.URL})
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
