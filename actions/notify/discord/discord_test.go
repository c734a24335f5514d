package discord

import (
	"context"
	"encoding/json"
	"fmt"
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
)

const hookPath = "/api/webhooks/123456/tokensecret789"

// fakeDiscord answers as a Discord webhook does: 204 for a valid message, 400 with
// Discord's JSON error for a malformed one (wrong content type, bad JSON, no content,
// content over 2000 characters). It also refuses a payload without
// allowed_mentions {"parse": []}, notimon's promise that no message pings anyone. fail,
// while set, answers every request instead; after, when set, answers requests from the
// after-th on.
type fakeDiscord struct {
	mu       sync.Mutex
	contents []string
	fail     http.HandlerFunc
	after    int
}

func (f *fakeDiscord) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	fail := f.fail
	if fail != nil && len(f.contents) < f.after {
		fail = nil
	}
	f.mu.Unlock()
	if fail != nil {
		fail(w, r)
		return
	}
	refuse := func(msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"message": %q, "code": 50006}`, msg)
	}
	if r.Method != http.MethodPost || r.URL.Path != hookPath {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message": "Unknown Webhook", "code": 10015}`)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		refuse("Cannot send an empty message")
		return
	}
	var p struct {
		Content         *string `json:"content"`
		AllowedMentions *struct {
			Parse []string `json:"parse"`
		} `json:"allowed_mentions"`
	}
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		refuse("The request body contains invalid JSON.")
		return
	}
	switch {
	case p.Content == nil || strings.TrimSpace(*p.Content) == "":
		refuse("Cannot send an empty message")
	case utf8.RuneCountInString(*p.Content) > MaxContent:
		refuse("Invalid Form Body: content: Must be 2000 or fewer in length.")
	case p.AllowedMentions == nil || p.AllowedMentions.Parse == nil || len(p.AllowedMentions.Parse) != 0:
		refuse("test: allowed_mentions must be {\"parse\": []}")
	default:
		f.mu.Lock()
		f.contents = append(f.contents, *p.Content)
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}
}

func (f *fakeDiscord) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.contents...)
}

func (f *fakeDiscord) setFail(h http.HandlerFunc, after int) {
	f.mu.Lock()
	f.fail, f.after = h, after
	f.mu.Unlock()
}

func start(t *testing.T) (*fakeDiscord, *Discord) {
	t.Helper()
	fake := &fakeDiscord{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	n, err := Kind.New("ops", map[string]any{"url": srv.URL + hookPath, "timeout": 5 * time.Second}, notify.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return fake, n.(*Discord)
}

func TestFakeRefusesMalformedPayloads(t *testing.T) {
	fake := &fakeDiscord{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ok := `,"allowed_mentions":{"parse":[]}}`
	for _, tc := range []struct{ ctype, body string }{
		{"text/plain", `{"content":"hi"` + ok},
		{"application/json", `{"content":`},
		{"application/json", `{"text":"hi"` + ok},
		{"application/json", `{"content":"` + strings.Repeat("가", MaxContent+1) + `"` + ok},
		{"application/json", `{"content":"hi"}`},
	} {
		resp, err := http.Post(srv.URL+hookPath, tc.ctype, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("%s %.40s: %d, want 400", tc.ctype, tc.body, resp.StatusCode)
		}
	}
	if len(fake.seen()) != 0 {
		t.Errorf("the fake recorded refused payloads")
	}
}

func TestEscapesPlaceholdersAndPingsNoOne(t *testing.T) {
	fake, d := start(t)
	esc := Kind.Escape(nil)
	value := "@everyone **now** <@&123> [x](https://evil.example) web-01 `rm` 서버"
	text := "**overload** @here: " + esc(value)
	if retry, err := d.Notify(context.Background(), notify.Message{Text: text}); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	want := "**overload** @here: @everyone \\*\\*now\\*\\* \\<@&123\\> \\[x\\]\\(https://evil.example\\) web\\-01 \\`rm\\` 서버"
	if got := fake.seen(); len(got) != 1 || got[0] != want {
		t.Fatalf("delivered %q\nwant %q", got, want)
	}
}

func TestLongMessageSplitsAndResumes(t *testing.T) {
	fake, d := start(t)
	var lines []string
	for i := range 120 {
		lines = append(lines, fmt.Sprintf("line %03d 디스크 사용률 %s", i, strings.Repeat("=", 20)))
	}
	lines[50] = "```"
	lines[90] = "```"
	lines[100] = strings.Repeat("긴", 3000) // one line longer than a part
	text := strings.Join(lines, "\n")
	parts := Split(text, MaxContent)
	if len(parts) < 3 {
		t.Fatalf("%d parts, want several", len(parts))
	}
	// The third part fails with a 502 once two were delivered: a partial error, retryable.
	fake.setFail(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(502) }, 2)
	retry, err := d.Notify(context.Background(), notify.Message{Text: text})
	p, ok := notify.Delivered(err)
	if err == nil || !retry || !ok || p != (notify.Parts{Sent: 2, Of: len(parts)}) {
		t.Fatalf("Notify = %v, %v (parts %v); want a retryable partial error after 2 of %d", retry, err, p, len(parts))
	}
	fake.setFail(nil, 0)
	if retry, err := d.Notify(context.Background(), notify.Message{Text: text, Resume: p}); err != nil || retry {
		t.Fatalf("resume: %v, %v", retry, err)
	}
	got := fake.seen()
	if len(got) != len(parts) {
		t.Fatalf("delivered %d parts, want %d: each once", len(got), len(parts))
	}
	var joined []string
	for i, c := range got {
		prefix := fmt.Sprintf("(%d/%d)\n", i+1, len(parts))
		if !strings.HasPrefix(c, prefix) {
			t.Fatalf("part %d starts %q", i+1, c[:20])
		}
		if strings.Count(c, fence)%2 != 0 {
			t.Errorf("part %d leaves a code block open", i+1)
		}
		joined = append(joined, strings.TrimPrefix(c, prefix))
	}
	// The parts, numbering and fences taken off, are the message: nothing lost.
	flat := func(s string) string { return strings.NewReplacer("\n", "", fence, "").Replace(s) }
	if flat(strings.Join(joined, "")) != flat(text) {
		t.Errorf("the parts do not add up to the message")
	}
}

func TestCutNeverSplitsAnEscape(t *testing.T) {
	text := strings.Repeat("\\*", MaxContent) // one line of escapes, no space
	for i, p := range Split(text, MaxContent) {
		body := p[strings.IndexByte(p, '\n')+1:]
		if utf8.RuneCountInString(p) > MaxContent || len(body)%2 != 0 || strings.Contains(body, "**") {
			t.Errorf("part %d (%d characters) cuts an escape: ends %q", i+1, utf8.RuneCountInString(p), body[len(body)-6:])
		}
	}
}

func TestFailuresAreClassifiedAndRedacted(t *testing.T) {
	fake, d := start(t)
	for _, tc := range []struct {
		name      string
		h         http.HandlerFunc
		retryable bool
		wait      time.Duration
	}{
		{"rate limited", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "3")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(429)
			io.WriteString(w, `{"message": "You are being rate limited.", "retry_after": 2.5, "global": false}`)
		}, true, 3 * time.Second},
		{"server error", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }, true, 0},
		{"deleted webhook", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(404)
			io.WriteString(w, `{"message": "Unknown Webhook", "code": 10015}`)
		}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake.setFail(tc.h, 0)
			retry, err := d.Notify(context.Background(), notify.Message{Text: "x"})
			if err == nil || retry != tc.retryable || notify.RetryAfter(err) != tc.wait {
				t.Fatalf("Notify = %v, %v (wait %s); want retryable=%v wait %s", retry, err, notify.RetryAfter(err), tc.retryable, tc.wait)
			}
			if strings.Contains(err.Error(), "tokensecret789") || strings.Contains(err.Error(), "123456") {
				t.Errorf("error shows the webhook URL: %q", err)
			}
		})
	}
}
