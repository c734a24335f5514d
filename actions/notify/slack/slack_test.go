package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/webhook"
)

// fakeSlack answers as hooks.slack.com does: 200 "ok" for a valid payload, 400 with
// Slack's error code for a malformed one (wrong content type, bad JSON, no text, a text
// over the limit: the real service truncates it, the fake refuses it so that a test sees
// notimon's own cut). Delivered texts are recorded; fail, when set, answers instead.
type fakeSlack struct {
	mu    sync.Mutex
	texts []string
	fail  http.HandlerFunc
}

func (f *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		fail(w, r)
		return
	}
	refuse := func(code string) { w.WriteHeader(http.StatusBadRequest); io.WriteString(w, code) }
	if r.Method != http.MethodPost || r.URL.Path != "/services/T000/B000/secretpath123" {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "no_service")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		refuse("invalid_payload")
		return
	}
	var p map[string]any
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&p); err != nil || dec.More() {
		refuse("invalid_payload")
		return
	}
	text, ok := p["text"].(string)
	switch {
	case !ok || strings.TrimSpace(text) == "":
		refuse("no_text")
		return
	case utf8.RuneCountInString(text) > MaxText:
		refuse("msg_too_long")
		return
	}
	f.mu.Lock()
	f.texts = append(f.texts, text)
	f.mu.Unlock()
	io.WriteString(w, "ok")
}

func (f *fakeSlack) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.texts...)
}

func (f *fakeSlack) setFail(h http.HandlerFunc) {
	f.mu.Lock()
	f.fail = h
	f.mu.Unlock()
}

func start(t *testing.T) (*fakeSlack, *Slack, string) {
	t.Helper()
	fake := &fakeSlack{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	url := srv.URL + "/services/T000/B000/secretpath123"
	n, err := Kind.New("ops", map[string]any{"url": url, "timeout": 5 * time.Second}, notify.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return fake, n.(*Slack), url
}

func TestFakeRefusesMalformedPayloads(t *testing.T) {
	fake := &fakeSlack{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	url := srv.URL + "/services/T000/B000/secretpath123"
	for _, tc := range []struct{ ctype, body, want string }{
		{"text/plain", `{"text":"hi"}`, "invalid_payload"},
		{"application/json", `{"text":`, "invalid_payload"},
		{"application/json", `{"content":"hi"}`, "no_text"},
		{"application/json", `{"text":"` + strings.Repeat("a", MaxText+1) + `"}`, "msg_too_long"},
	} {
		resp, err := http.Post(url, tc.ctype, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || string(b) != tc.want {
			t.Errorf("%s %.30s: %d %q, want 400 %q", tc.ctype, tc.body, resp.StatusCode, b, tc.want)
		}
	}
	if len(fake.seen()) != 0 {
		t.Errorf("the fake recorded refused payloads: %q", fake.seen())
	}
}

func TestDeliversEscapedText(t *testing.T) {
	fake, s, _ := start(t)
	esc := Kind.Escape(nil)
	value := "<!channel> & <https://evil.example|click> 서버 과부하"
	text := "*overload* on web-01: " + esc(value)
	if retry, err := s.Notify(context.Background(), notify.Message{Text: text}); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	got := fake.seen()
	want := "*overload* on web-01: &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; 서버 과부하"
	if len(got) != 1 || got[0] != want {
		t.Fatalf("delivered %q, want %q", got, want)
	}
}

func TestLongTextIsTruncatedWithMarker(t *testing.T) {
	fake, s, _ := start(t)
	line := strings.Repeat("과부하 &amp; ", 10) + "\n" // 101 characters
	text := strings.Repeat(line, 1000)              // 101,000 characters
	if retry, err := s.Notify(context.Background(), notify.Message{Text: text}); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	got := fake.seen()[0]
	if n := utf8.RuneCountInString(got); n > MaxText || n < MaxText-len(line)-100 {
		t.Errorf("delivered %d characters, want at most %d and not much less", n, MaxText)
	}
	head, marker, ok := strings.Cut(got, "\n… [notimon: ")
	if !ok || !strings.HasPrefix(text, head+"\n") || !strings.HasSuffix(marker, "Slack takes at most 40000]") {
		t.Fatalf("not cut at a line with a marker: ...%q", got[len(got)-120:])
	}
	left := utf8.RuneCountInString(text) - utf8.RuneCountInString(head)
	if !strings.HasPrefix(marker, itoa(left)+" more characters") {
		t.Errorf("marker %q does not count the %d characters left out", marker, left)
	}
	// One long line: cut between characters, never inside an escape.
	one := strings.Repeat("&amp;", MaxText)
	cut := Truncate(one, MaxText)
	head, _, _ = strings.Cut(cut, "\n… [notimon: ")
	if utf8.RuneCountInString(cut) > MaxText || strings.Count(head, "&") != strings.Count(head, "&amp;") {
		t.Errorf("one long line: %d characters, ends %q", utf8.RuneCountInString(cut), head[len(head)-12:])
	}
	if short := "short & sweet"; Truncate(short, MaxText) != short {
		t.Errorf("a short text was changed")
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestFailuresAreClassifiedAndRedacted(t *testing.T) {
	fake, s, url := start(t)
	for _, tc := range []struct {
		name      string
		h         http.HandlerFunc
		retryable bool
		wait      time.Duration
		quote     string
	}{
		{"rate limited", status(429, "rate_limited", "Retry-After", "7"), true, 7 * time.Second, "rate_limited"},
		{"server error", status(503, "", ""), true, 0, "503"},
		{"archived", status(410, "channel_is_archived", ""), false, 0, "channel_is_archived"},
		{"revoked", status(403, "invalid_token", ""), false, 0, "invalid_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake.setFail(tc.h)
			retry, err := s.Notify(context.Background(), notify.Message{Text: "x"})
			if err == nil || retry != tc.retryable {
				t.Fatalf("Notify = %v, %v; want retryable=%v", retry, err, tc.retryable)
			}
			if got := notify.RetryAfter(err); got != tc.wait {
				t.Errorf("RetryAfter = %s, want %s", got, tc.wait)
			}
			if !strings.Contains(err.Error(), tc.quote) {
				t.Errorf("error %q does not say %q", err, tc.quote)
			}
			if strings.Contains(err.Error(), "secretpath123") || strings.Contains(err.Error(), url) {
				t.Errorf("error shows the webhook URL: %q", err)
			}
		})
	}
	fake.setFail(nil)
	if retry, err := s.Notify(context.Background(), notify.Message{Text: "back"}); err != nil || retry {
		t.Fatalf("after the outage: %v, %v", retry, err)
	}
}

func status(code int, body, h string, hv ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if h != "" {
			w.Header().Set(h, hv[0])
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

func TestConnectionRefusedIsRetryableAndRedacted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/services/T000/B000/secretpath123"
	srv.Close()
	s, err := New(webhook.Config{URL: url, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	retry, err := s.Notify(context.Background(), notify.Message{Text: "x"})
	if err == nil || !retry || strings.Contains(err.Error(), "secretpath123") {
		t.Fatalf("Notify = %v, %v; want a retryable error without the path", retry, err)
	}
	var ra *notify.RetryAfterError
	if errors.As(err, &ra) {
		t.Errorf("a refused connection carries a Retry-After")
	}
}
