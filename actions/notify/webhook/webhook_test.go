package webhook

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
)

// sleeps records the waits notify.Retry asks for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// policy is notify.DefaultPolicy with 3 tries, no jitter and no real sleeping.
func policy(s *sleeps) notify.Policy {
	p := notify.DefaultPolicy
	p.Attempts = 3
	p.Sleep = s.sleep
	p.Jitter = func(time.Duration) time.Duration { return 0 }
	return p
}

// request is what the test server saw of one request.
type request struct {
	method, path, query, host string
	header                    http.Header
	body                      []byte
}

// server answers the i-th request with handlers[i] (the last one repeats) and records them.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
}

func newServer(t *testing.T, handlers ...http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		n := len(s.requests)
		s.requests = append(s.requests, request{r.Method, r.URL.Path, r.URL.RawQuery, r.Host, r.Header.Clone(), body})
		s.mu.Unlock()
		handlers[min(n, len(handlers)-1)](w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) seen() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.requests...)
}

func status(code int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

// hangUp drops the connection without answering.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

var (
	t0      = time.Date(2024, 5, 1, 10, 2, 3, 456, time.FixedZone("CEST", 2*3600))
	firing  = notify.Message{Notifier: "oncall", Rule: "overload", State: "firing", Severity: "critical", Labels: map[string]string{"team": "web", "tier": "front"}, Host: "web-01", Text: "<b>[web-01 server]</b>\ncpu usage: 93.5%\n", Values: map[string]any{"cpu.avg3": 93.5, "mem.real_pct": 41.25, "http.site.up": false, "http.site.error": "refused"}, Time: t0, StartsAt: t0.Add(-2 * time.Minute)}
	resolve = notify.Message{Notifier: "oncall", Rule: "overload", State: "resolved", Severity: "critical", Host: "web-01", Text: "overload resolved after 28m", Time: t0.Add(28 * time.Minute), StartsAt: t0.Add(-2 * time.Minute), EndsAt: t0.Add(28 * time.Minute)}
)

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, body)
	}
	return got
}

func TestPayloadAndHeaders(t *testing.T) {
	srv := newServer(t, status(204, ""))
	w, err := New("oncall", Config{
		URL:     srv.URL + "/hooks/notimon?token=abc123",
		Headers: map[string]string{"Authorization": "Bearer xyz789", "X-Team": "web", "Host": "hooks.example.test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		m    notify.Message
		want map[string]any
	}{
		{"firing", firing, map[string]any{
			"version": "1", "notifier": "oncall", "rule": "overload", "state": "firing", "severity": "critical",
			"labels": map[string]any{"team": "web", "tier": "front"}, "host": "web-01",
			"message": "<b>[web-01 server]</b>\ncpu usage: 93.5%\n",
			"values":  map[string]any{"cpu.avg3": 93.5, "mem.real_pct": 41.25, "http.site.up": false, "http.site.error": "refused"},
			"time":    "2024-05-01T08:02:03Z", "starts_at": "2024-05-01T08:00:03Z",
		}},
		{"resolved", resolve, map[string]any{
			"version": "1", "notifier": "oncall", "rule": "overload", "state": "resolved", "severity": "critical",
			"labels": map[string]any{}, "host": "web-01", "message": "overload resolved after 28m", "values": map[string]any{},
			"time": "2024-05-01T08:30:03Z", "starts_at": "2024-05-01T08:00:03Z", "ends_at": "2024-05-01T08:30:03Z",
		}},
		{"sent by hand", notify.Message{Host: "web-01", Text: "hello", Time: t0}, map[string]any{
			"version": "1", "notifier": "oncall", "rule": "", "state": "", "severity": "",
			"labels": map[string]any{}, "host": "web-01", "message": "hello", "values": map[string]any{},
			"time": "2024-05-01T08:02:03Z",
		}},
		{"values JSON cannot hold", notify.Message{Notifier: "oncall", Rule: "r", State: "firing", Values: map[string]any{"a": math.NaN(), "b": math.Inf(1), "c": 3, "d": time.Second}, Time: t0}, map[string]any{
			"version": "1", "notifier": "oncall", "rule": "r", "state": "firing", "severity": "",
			"labels": map[string]any{}, "host": "", "message": "", "values": map[string]any{"a": nil, "b": nil, "c": 3.0, "d": 1e9},
			"time": "2024-05-01T08:02:03Z",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(srv.seen())
			if retry, err := w.Notify(context.Background(), tc.m); err != nil || retry {
				t.Fatalf("Notify = %v, %v; want delivered", retry, err)
			}
			reqs := srv.seen()[before:]
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if got := decode(t, r.body); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("payload\n got %#v\nwant %#v", got, tc.want)
			}
			if r.method != "POST" || r.path != "/hooks/notimon" || r.query != "token=abc123" {
				t.Errorf("request %s %s?%s, want POST /hooks/notimon?token=abc123", r.method, r.path, r.query)
			}
			for k, want := range map[string]string{"Content-Type": "application/json", "User-Agent": "notimon", "Authorization": "Bearer xyz789", "X-Team": "web"} {
				if got := r.header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if r.host != "hooks.example.test" {
				t.Errorf("Host = %q, want the configured hooks.example.test", r.host)
			}
		})
	}
}

// TestPayloadFieldNames pins the JSON names: receivers depend on them.
func TestPayloadFieldNames(t *testing.T) {
	b, err := json.Marshal(NewPayload("n", resolve))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range decode(t, b) {
		keys = append(keys, k)
	}
	want := "ends_at host labels message notifier rule severity starts_at state time values version"
	if got := strings.Join(sortStrings(keys), " "); got != want {
		t.Errorf("fields %q, want %q", got, want)
	}
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func TestDelivery(t *testing.T) {
	long := strings.Repeat("a", 200) + "TAIL-NOT-SHOWN"
	for _, tc := range []struct {
		name      string
		handlers  []http.HandlerFunc
		ok        bool
		retryable bool
		requests  int
		sleeps    []time.Duration
		errHas    []string
		errHasNot []string
	}{
		{name: "200", handlers: []http.HandlerFunc{status(200, "ok")}, ok: true, requests: 1},
		{name: "202", handlers: []http.HandlerFunc{status(202, "")}, ok: true, requests: 1},
		{name: "400 is final, with the body's first 200 bytes", handlers: []http.HandlerFunc{status(400, long)}, requests: 1,
			errHas: []string{"webhook: POST", "400 Bad Request", strings.Repeat("a", 200)}, errHasNot: []string{"TAIL"}},
		{name: "401 is final", handlers: []http.HandlerFunc{status(401, `{"error":"bad token"}`)}, requests: 1,
			errHas: []string{"401 Unauthorized", `bad token`}},
		{name: "404 is final", handlers: []http.HandlerFunc{status(404, "")}, requests: 1, errHas: []string{"404 Not Found"}},
		{name: "500 then 200", handlers: []http.HandlerFunc{status(500, "oops"), status(200, "")}, ok: true, requests: 2, sleeps: []time.Duration{time.Second}},
		{name: "503 until the tries run out", handlers: []http.HandlerFunc{status(503, "busy")}, retryable: true, requests: 3,
			sleeps: []time.Duration{time.Second, 2 * time.Second}, errHas: []string{"503 Service Unavailable", "busy", "gave up for now"}},
		{name: "408 is retried", handlers: []http.HandlerFunc{status(408, ""), status(200, "")}, ok: true, requests: 2, sleeps: []time.Duration{time.Second}},
		{name: "429 Retry-After seconds", handlers: []http.HandlerFunc{status(429, "slow down", "Retry-After", "7"), status(200, "")}, ok: true, requests: 2, sleeps: []time.Duration{7 * time.Second}},
		{name: "429 Retry-After beyond the policy's Max", handlers: []http.HandlerFunc{status(429, "", "Retry-After", "3600"), status(200, "")}, ok: true, requests: 2, sleeps: []time.Duration{30 * time.Second}},
		{name: "429 without Retry-After backs off", handlers: []http.HandlerFunc{status(429, ""), status(200, "")}, ok: true, requests: 2, sleeps: []time.Duration{time.Second}},
		{name: "429 until the tries run out", handlers: []http.HandlerFunc{status(429, "", "Retry-After", "2")}, retryable: true, requests: 3,
			sleeps: []time.Duration{2 * time.Second, 2 * time.Second}, errHas: []string{"429 Too Many Requests"}},
		{name: "dropped connection then 200", handlers: []http.HandlerFunc{hangUp, status(200, "")}, ok: true, requests: 2, sleeps: []time.Duration{time.Second}},
		{name: "dropped connection every time", handlers: []http.HandlerFunc{hangUp}, retryable: true, requests: 3, errHas: []string{"EOF"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, tc.handlers...)
			var s sleeps
			w, err := New("oncall", Config{URL: srv.URL + "/hook", Policy: policy(&s)})
			if err != nil {
				t.Fatal(err)
			}
			retryable, err := w.Notify(context.Background(), firing)
			if tc.ok != (err == nil) || retryable != tc.retryable {
				t.Fatalf("Notify = %v, %v; want ok=%v retryable=%v", retryable, err, tc.ok, tc.retryable)
			}
			if n := len(srv.seen()); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			if got := s.all(); tc.sleeps != nil && !reflect.DeepEqual(got, tc.sleeps) {
				t.Errorf("waits %v, want %v", got, tc.sleeps)
			}
			for _, want := range tc.errHas {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			for _, bad := range tc.errHasNot {
				if strings.Contains(err.Error(), bad) {
					t.Errorf("error %q contains %q", err, bad)
				}
			}
		})
	}
}

func TestRetryAfterDate(t *testing.T) {
	when := time.Now().Add(5 * time.Second).UTC().Format(http.TimeFormat)
	srv := newServer(t, status(429, "", "Retry-After", when), status(200, ""))
	var s sleeps
	w, err := New("oncall", Config{URL: srv.URL, Policy: policy(&s)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Notify(context.Background(), firing); err != nil {
		t.Fatal(err)
	}
	// An HTTP date has whole seconds: 5 s from now is between 4 and 5 s away, less the
	// time the request took.
	if got := s.all(); len(got) != 1 || got[0] <= 3*time.Second || got[0] > 5*time.Second {
		t.Errorf("waits %v, want one of about 4-5s", got)
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		" 12 ":                          12 * time.Second,
		"0":                             0,
		"-3":                            0,
		"soon":                          0,
		"Wed, 01 May 2024 10:00:30 GMT": 30 * time.Second,
		"Wed, 01 May 2024 09:59:00 GMT": 0,
		"99999999999999999":             24 * time.Hour,
	} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // before srv.Close, which waits for handlers
	var s sleeps
	w, err := New("oncall", Config{URL: srv.URL, Timeout: 50 * time.Millisecond, Policy: policy(&s)})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	retryable, err := w.Notify(context.Background(), firing)
	if err == nil || !retryable {
		t.Fatalf("Notify = %v, %v; want a retryable timeout", retryable, err)
	}
	if !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Errorf("error %q does not say it timed out", err)
	}
	if n := len(srv.seen()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v; the timeout is per try", d)
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var s sleeps
	w, err := New("oncall", Config{URL: "http://" + addr + "/hook", Policy: policy(&s)})
	if err != nil {
		t.Fatal(err)
	}
	retryable, err := w.Notify(context.Background(), firing)
	if err == nil || !retryable {
		t.Fatalf("Notify = %v, %v; want a retryable error", retryable, err)
	}
	if !strings.Contains(err.Error(), "refused") || len(s.all()) != 2 {
		t.Errorf("error %q after %d waits; want connection refused after 2", err, len(s.all()))
	}
}

func TestCallerCancels(t *testing.T) {
	srv := newServer(t, status(503, ""))
	ctx, cancel := context.WithCancel(context.Background())
	var s sleeps
	p := policy(&s)
	p.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	w, err := New("oncall", Config{URL: srv.URL, Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Notify(ctx, firing); err == nil {
		t.Fatal("delivered after cancel")
	}
	if n := len(srv.seen()); n != 1 {
		t.Errorf("%d requests after the caller cancelled, want 1", n)
	}
}

func TestRedirects(t *testing.T) {
	t.Run("to file:// is refused", func(t *testing.T) {
		srv := newServer(t, status(302, "", "Location", "file:///etc/passwd"))
		var s sleeps
		w, err := New("oncall", Config{URL: srv.URL, Policy: policy(&s)})
		if err != nil {
			t.Fatal(err)
		}
		retryable, err := w.Notify(context.Background(), firing)
		if err == nil || retryable {
			t.Fatalf("Notify = %v, %v; want a final error", retryable, err)
		}
		if !strings.Contains(err.Error(), "refused to follow a redirect to a file: URL") {
			t.Errorf("error %q does not say the redirect was refused", err)
		}
		if n := len(srv.seen()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("307 to http is followed with the body", func(t *testing.T) {
		srv := newServer(t, status(307, "", "Location", "/moved"), status(200, ""))
		w, err := New("oncall", Config{URL: srv.URL + "/hook", Client: &http.Client{}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Notify(context.Background(), firing); err != nil {
			t.Fatal(err)
		}
		reqs := srv.seen()
		if len(reqs) != 2 || reqs[1].path != "/moved" || decode(t, reqs[1].body)["rule"] != "overload" {
			t.Errorf("requests %+v; want the payload posted again to /moved", reqs)
		}
	})
	t.Run("an injected client's own redirect policy still applies", func(t *testing.T) {
		srv := newServer(t, status(302, "", "Location", "/elsewhere"), status(200, ""))
		var s sleeps
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		w, err := New("oncall", Config{URL: srv.URL, Client: client, Policy: policy(&s)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Notify(context.Background(), firing); err == nil || !strings.Contains(err.Error(), "302 Found") {
			t.Errorf("error %v, want the 302 reported", err)
		}
	})
}

// TestSecretsNeverInErrors drives every fault with credentials in the URL's userinfo,
// its query, its path and an Authorization header, against a server that echoes them.
func TestSecretsNeverInErrors(t *testing.T) {
	const (
		password = "hunter2-password"
		token    = "query-t0ken-value"
		bearer   = "bearer-t0ken-value"
		pathKey  = "T0000-B0000-XXXXXXXX"
	)
	secrets := []string{password, token, bearer, pathKey}
	echo := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			_, pw, _ := r.BasicAuth()
			w.WriteHeader(code)
			io.WriteString(w, pw+" "+r.Header.Get("Authorization")+" "+r.URL.String())
		}
	}
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	faults := map[string]http.HandlerFunc{
		"400 echoing the request": echo(400),
		"500 echoing the request": echo(500),
		"429":                     status(429, "", "Retry-After", "1"),
		"dropped connection":      hangUp,
		"timeout": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		},
		"redirect to file://": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "file:///"+pathKey+"?token="+token, http.StatusFound)
		},
		"redirect loop": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.String(), http.StatusTemporaryRedirect)
		},
	}
	for name, h := range faults {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t, h)
			u := strings.Replace(srv.URL, "http://", "http://notimon:"+password+"@", 1) + "/services/" + pathKey + "?token=" + token
			var s sleeps
			w, err := New("oncall", Config{URL: u, Headers: map[string]string{"Authorization": "Bearer " + bearer}, Timeout: 100 * time.Millisecond, Policy: policy(&s)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = w.Notify(context.Background(), firing)
			if err == nil {
				t.Fatal("delivered")
			}
			t.Log(err)
			for _, sec := range secrets {
				if strings.Contains(err.Error(), sec) {
					t.Errorf("error contains the secret %q: %s", sec, err)
				}
			}
			if !strings.Contains(err.Error(), "webhook: POST http://127.0.0.1") {
				t.Errorf("error %q does not name the target", err)
			}
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		var s sleeps
		w, err := New("oncall", Config{URL: "http://notimon:" + password + "@" + addr + "/" + pathKey + "?token=" + token, Headers: map[string]string{"Authorization": "Bearer " + bearer}, Policy: policy(&s)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.Notify(context.Background(), firing)
		for _, sec := range secrets {
			if err == nil || strings.Contains(err.Error(), sec) {
				t.Errorf("error %v contains the secret %q", err, sec)
			}
		}
	})
	t.Run("bad configuration", func(t *testing.T) {
		for _, cfg := range []Config{
			{URL: "ftp://notimon:" + password + "@host/" + pathKey + "?token=" + token},
			{URL: "http://notimon:" + password + "@host:port/" + pathKey + "?token=" + token},
			{URL: "http://notimon:" + password + "@[::1/" + pathKey},
			{URL: "http://host/", Headers: map[string]string{"Bad Header": bearer}},
			{URL: "http://host/", Headers: map[string]string{"X-Token": bearer + "\r\nInjected: 1"}},
		} {
			_, err := New("oncall", cfg)
			if err == nil {
				t.Errorf("New(%+v) accepted it", cfg)
				continue
			}
			for _, sec := range []string{password, token, pathKey, bearer} {
				if strings.Contains(err.Error(), sec) {
					t.Errorf("New error contains the secret %q: %s", sec, err)
				}
			}
		}
	})
}

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "url is empty"},
		{Config{URL: "file:///etc/passwd"}, `must start with http:// or https://, not "file:"`},
		{Config{URL: "http:///path"}, "url has no host"},
		{Config{URL: "http://h/", Headers: map[string]string{"X Y": "v"}}, `header name "X Y"`},
		{Config{URL: "http://h/", Headers: map[string]string{"X-Y": "a\nb"}}, "line break"},
	} {
		_, err := New("n", tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", tc.cfg, err, tc.want)
		}
	}
}

func TestFromAttrs(t *testing.T) {
	srv := newServer(t, status(200, ""))
	n, err := FromAttrs("oncall", map[string]any{
		"url":     srv.URL + "/hook",
		"headers": map[string]string{"X-Key": "k1"},
		"timeout": 3 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if w := n.(*Webhook); w.sender.timeout != 3*time.Second {
		t.Errorf("timeout %v, want 3s", w.sender.timeout)
	}
	if _, err := n.Notify(context.Background(), firing); err != nil {
		t.Fatal(err)
	}
	if r := srv.seen()[0]; r.header.Get("X-Key") != "k1" || r.path != "/hook" {
		t.Errorf("request %+v, want X-Key: k1 to /hook", r)
	}
	if n, err := FromAttrs("oncall", map[string]any{}); err == nil || n != nil {
		t.Errorf("FromAttrs without url = %v, %v; want an error and a nil Notifier", n, err)
	}
	if n, _ := FromAttrs("x", map[string]any{"url": "http://h"}); n.(*Webhook).sender.timeout != DefaultTimeout {
		t.Errorf("default timeout is not %v", DefaultTimeout)
	}
}
