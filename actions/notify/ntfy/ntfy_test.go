package ntfy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/notimon/notimon/actions/notify"
)

const token = "tk_secrettoken0123456789"

// fakeNtfy answers as an ntfy server does to JSON publishing at its root: 200 with the
// message as JSON, 401 without the right Bearer token, 400 for a body that is not the JSON
// form (bad JSON, unknown fields, no topic or a bad one, a priority out of 1–5, a title
// with a line break), 413 for a message over 4096 bytes (the real server turns it into an
// attachment when attachments are on; the fake refuses it so that tests see notimon's
// cut). fail, while set, answers instead.
type fakeNtfy struct {
	prefix string
	mu     sync.Mutex
	got    []Payload
	fail   http.HandlerFunc
}

func (f *fakeNtfy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		fail(w, r)
		return
	}
	refuse := func(code, ntfyCode int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"code":%d,"http":%d,"error":%q}`+"\n", ntfyCode, code, msg)
	}
	if r.Method != http.MethodPost || r.URL.Path != f.prefix+"/" {
		refuse(404, 40401, "page not found")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+token {
		refuse(401, 40101, "unauthorized")
		return
	}
	var p Payload
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		refuse(400, 40024, "invalid request: request body must be JSON")
		return
	}
	switch {
	case !topicRE.MatchString(p.Topic):
		refuse(400, 40009, "invalid topic")
	case p.Priority < 1 || p.Priority > 5:
		refuse(400, 40007, "invalid priority")
	case strings.ContainsAny(p.Title, "\r\n"):
		refuse(400, 40000, "test: title is one line")
	case p.Message == "":
		refuse(400, 40000, "test: empty message")
	case len(p.Message) > MaxMessage:
		refuse(413, 41301, "message too large")
	default:
		f.mu.Lock()
		f.got = append(f.got, p)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"x1","time":1,"event":"message","topic":%q}`+"\n", p.Topic)
	}
}

func (f *fakeNtfy) seen() []Payload {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Payload(nil), f.got...)
}

func (f *fakeNtfy) setFail(h http.HandlerFunc) {
	f.mu.Lock()
	f.fail = h
	f.mu.Unlock()
}

func start(t *testing.T, prefix string, attrs map[string]any) (*fakeNtfy, *Ntfy) {
	t.Helper()
	fake := &fakeNtfy{prefix: prefix}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	all := map[string]any{"url": srv.URL + prefix + "/web01-alerts_3f9a", "token": token}
	for k, v := range attrs {
		all[k] = v
	}
	n, err := Kind.New("phone", all, notify.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return fake, n.(*Ntfy)
}

func TestFakeRefusesMalformedPayloads(t *testing.T) {
	fake := &fakeNtfy{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	for _, tc := range []struct {
		body string
		want int
	}{
		{`{"topic":"a","message":`, 400},
		{`{"topic":"a b","message":"x","priority":3}`, 400},
		{`{"topic":"a","message":"x","priority":9}`, 400},
		{`{"topic":"a","text":"x","priority":3}`, 400},
		{`{"topic":"a","message":"x","title":"a\r\nb","priority":3}`, 400},
		{`{"topic":"a","message":"` + strings.Repeat("x", MaxMessage+1) + `","priority":3}`, 413},
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%.50s: %d, want %d", tc.body, resp.StatusCode, tc.want)
		}
	}
	if len(fake.seen()) != 0 {
		t.Errorf("the fake recorded refused payloads")
	}
}

func TestPublishesTitleTagsAndPriority(t *testing.T) {
	fake, n := start(t, "/ntfy", map[string]any{"tags": []string{"computer", "web"}})
	msgs := []notify.Message{
		{Rule: "overload", State: "firing", Severity: "critical", Title: "[web-01] overload firing", Text: "CPU 사용량이 50%를 넘었습니다\ncpu: 93.5%"},
		{Rule: "disk", State: "firing", Severity: "warning", Title: "disk", Text: "disk 91%"},
		{Rule: "overload", State: "resolved", Severity: "critical", Title: "[web-01] overload resolved", Text: "resolved after 28m"},
		{Rule: "info", State: "firing", Severity: "info", Text: "fyi"},
		// A title with a line break from a placeholder (the engine makes it one line;
		// the notifier does too, whoever built the message).
		{State: "firing", Severity: "page-me", Title: "x\r\nBcc: evil@example.org", Text: "x"},
	}
	for _, m := range msgs {
		if retry, err := n.Notify(context.Background(), m); err != nil || retry {
			t.Fatalf("Notify(%s) = %v, %v", m.Rule, retry, err)
		}
	}
	got := fake.seen()
	want := []Payload{
		{Topic: "web01-alerts_3f9a", Message: "CPU 사용량이 50%를 넘었습니다\ncpu: 93.5%", Title: "[web-01] overload firing", Tags: []string{"computer", "web"}, Priority: 5},
		{Topic: "web01-alerts_3f9a", Message: "disk 91%", Title: "disk", Tags: []string{"computer", "web"}, Priority: 4},
		{Topic: "web01-alerts_3f9a", Message: "resolved after 28m", Title: "[web-01] overload resolved", Tags: []string{"computer", "web"}, Priority: 3},
		{Topic: "web01-alerts_3f9a", Message: "fyi", Tags: []string{"computer", "web"}, Priority: 3},
		{Topic: "web01-alerts_3f9a", Message: "x", Title: "x Bcc: evil@example.org", Tags: []string{"computer", "web"}, Priority: 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("published\n%+v\nwant\n%+v", got, want)
	}
}

func TestLongMessageIsCut(t *testing.T) {
	fake, n := start(t, "", nil)
	text := strings.Repeat("디스크 사용률 경고 line\n", 400) // 12,400 bytes
	if retry, err := n.Notify(context.Background(), notify.Message{State: "firing", Text: text}); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	msg := fake.seen()[0].Message
	head, marker, ok := strings.Cut(msg, "\n… [notimon: ")
	if !ok || len(msg) > MaxMessage || len(msg) < MaxMessage-64 || !utf8.ValidString(msg) || !strings.HasPrefix(text, head+"\n") {
		t.Fatalf("cut to %d bytes, marker %q", len(msg), marker)
	}
	if want := fmt.Sprintf("%d more bytes left out; ntfy keeps 4096]", len(text)-len(head)); marker != want {
		t.Errorf("marker %q, want %q", marker, want)
	}
	one := strings.Repeat("가", 3000) // no line break: cut between characters
	if cut := Truncate(one, MaxMessage); len(cut) > MaxMessage || !utf8.ValidString(cut) {
		t.Errorf("one line: %d bytes, valid UTF-8 %v", len(cut), utf8.ValidString(cut))
	}
}

func TestFailuresAreClassifiedAndRedacted(t *testing.T) {
	fake, n := start(t, "", nil)
	for _, tc := range []struct {
		name      string
		code      int
		header    string
		retryable bool
		wait      time.Duration
	}{
		{"rate limited", 429, "11", true, 11 * time.Second},
		{"server error", 502, "", true, 0},
		{"forbidden", 403, "", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake.setFail(func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				w.WriteHeader(tc.code)
				// A careless server echoing the token and the topic.
				io.WriteString(w, `{"error":"denied for `+r.Header.Get("Authorization")+` on web01-alerts_3f9a"}`)
			})
			retry, err := n.Notify(context.Background(), notify.Message{State: "firing", Text: "x"})
			if err == nil || retry != tc.retryable || notify.RetryAfter(err) != tc.wait {
				t.Fatalf("Notify = %v, %v (wait %s)", retry, err, notify.RetryAfter(err))
			}
			if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "3f9a") {
				t.Errorf("error shows a secret: %q", err)
			}
		})
	}
	// The wrong token: a 401 from the server itself, final.
	fake.setFail(nil)
	bad, err := New(Config{URL: n.sender.URL() + "web01-alerts_3f9a", Token: "tk_wrong0000000000"})
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := bad.Notify(context.Background(), notify.Message{Text: "x"}); err == nil || retry || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "tk_wrong") {
		t.Errorf("wrong token: %v, %v", retry, err)
	}
}

func TestConfigMistakes(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "https://ntfy.sh/"}, "no topic"},
		{Config{URL: "https://ntfy.sh/my topic!"}, "1 to 64 letters"},
		{Config{URL: "https://ntfy.sh/t?auth=x"}, "without a query"},
		{Config{URL: "https://ntfy.sh/t", Token: "tk_abc\n"}, "line break"},
		{Config{URL: "https://ntfy.sh/t", Tags: []string{"a,b"}}, "comma"},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "tk_abc") {
			t.Errorf("error quotes the token: %v", err)
		}
	}
}
