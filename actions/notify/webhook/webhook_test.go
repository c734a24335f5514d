package webhook

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/webhook/webhooktest"
)

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
	srv := webhooktest.NewServer(t, webhooktest.Status(204, ""))
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
			before := len(srv.Seen())
			if retry, err := w.Notify(context.Background(), tc.m); err != nil || retry {
				t.Fatalf("Notify = %v, %v; want delivered", retry, err)
			}
			reqs := srv.Seen()[before:]
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if got := decode(t, r.Body); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("payload\n got %#v\nwant %#v", got, tc.want)
			}
			if r.Method != "POST" || r.Path != "/hooks/notimon" || r.Query != "token=abc123" {
				t.Errorf("request %s %s?%s, want POST /hooks/notimon?token=abc123", r.Method, r.Path, r.Query)
			}
			for k, want := range map[string]string{"Content-Type": "application/json", "User-Agent": "notimon", "Authorization": "Bearer xyz789", "X-Team": "web"} {
				if got := r.Header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if r.Host != "hooks.example.test" {
				t.Errorf("Host = %q, want the configured hooks.example.test", r.Host)
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

// TestDelivery: one request per Notify, never a wait; the failure says whether another
// attempt can help and, for a 429, how long the receiver asked to wait (the outbox's
// schedule honours it, however long).
func TestDelivery(t *testing.T) {
	long := strings.Repeat("a", 200) + "TAIL-NOT-SHOWN"
	for _, tc := range []struct {
		name       string
		handler    http.HandlerFunc
		ok         bool
		retryable  bool
		retryAfter time.Duration
		errHas     []string
		errHasNot  []string
	}{
		{name: "200", handler: webhooktest.Status(200, "ok"), ok: true},
		{name: "202", handler: webhooktest.Status(202, ""), ok: true},
		{name: "400 is final, with the body's first 200 bytes", handler: webhooktest.Status(400, long),
			errHas: []string{"webhook: POST", "400 Bad Request", strings.Repeat("a", 200)}, errHasNot: []string{"TAIL"}},
		{name: "401 is final", handler: webhooktest.Status(401, `{"error":"bad token"}`), errHas: []string{"401 Unauthorized", `bad token`}},
		{name: "404 is final", handler: webhooktest.Status(404, ""), errHas: []string{"404 Not Found"}},
		{name: "500 is retryable", handler: webhooktest.Status(500, "oops"), retryable: true, errHas: []string{"500 Internal Server Error", "oops"}},
		{name: "503 is retryable", handler: webhooktest.Status(503, "busy"), retryable: true, errHas: []string{"503 Service Unavailable", "busy"}, errHasNot: []string{"gave up"}},
		{name: "408 is retryable", handler: webhooktest.Status(408, ""), retryable: true},
		{name: "429 Retry-After seconds", handler: webhooktest.Status(429, "slow down", "Retry-After", "7"), retryable: true, retryAfter: 7 * time.Second, errHas: []string{"429 Too Many Requests"}},
		{name: "429 Retry-After of an hour, as given", handler: webhooktest.Status(429, "", "Retry-After", "3600"), retryable: true, retryAfter: time.Hour},
		{name: "429 without Retry-After", handler: webhooktest.Status(429, ""), retryable: true},
		{name: "dropped connection", handler: webhooktest.HangUp, retryable: true, errHas: []string{"EOF"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := webhooktest.NewServer(t, tc.handler, webhooktest.Status(200, ""))
			w, err := New("oncall", Config{URL: srv.URL + "/hook"})
			if err != nil {
				t.Fatal(err)
			}
			retryable, err := w.Notify(context.Background(), firing)
			if tc.ok != (err == nil) || retryable != tc.retryable {
				t.Fatalf("Notify = %v, %v; want ok=%v retryable=%v", retryable, err, tc.ok, tc.retryable)
			}
			if n := len(srv.Seen()); n != 1 {
				t.Errorf("%d requests, want 1 (one attempt)", n)
			}
			if got := notify.RetryAfter(err); got != tc.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", got, tc.retryAfter)
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
	when := time.Now().Add(20 * time.Second).UTC().Format(http.TimeFormat)
	srv := webhooktest.NewServer(t, webhooktest.Status(429, "", "Retry-After", when))
	w, err := New("oncall", Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	retryable, err := w.Notify(context.Background(), firing)
	// An HTTP date has whole seconds: 20 s from now is between 19 and 20 s away, less the
	// time the request took (seconds, on a loaded machine).
	if got := notify.RetryAfter(err); !retryable || got <= 10*time.Second || got > 20*time.Second {
		t.Errorf("Notify = %v, %v (RetryAfter %v); want retryable, about 19-20s", retryable, err, got)
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

// TestTimeout: the timeout bounds the one request of an attempt.
func TestTimeout(t *testing.T) {
	srv := webhooktest.NewServer(t, webhooktest.Hang)
	// Long enough for the request to reach the server and be counted on a loaded machine.
	w, err := New("oncall", Config{URL: srv.URL, Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	retryable, err := w.Notify(context.Background(), firing)
	if err == nil || !retryable {
		t.Fatalf("Notify = %v, %v; want a retryable timeout", retryable, err)
	}
	if !strings.Contains(err.Error(), "no answer within 500ms") {
		t.Errorf("error %q does not say it timed out", err)
	}
	if n := len(srv.Seen()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if d := time.Since(start); d > 10*time.Second { // one try of 500 ms; a failure bound
		t.Errorf("took %v; the timeout is 500ms", d)
	}
}

func TestConnectionRefused(t *testing.T) {
	w, err := New("oncall", Config{URL: "http://" + webhooktest.ClosedAddr(t) + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	retryable, err := w.Notify(context.Background(), firing)
	if err == nil || !retryable || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Notify = %v, %v; want a retryable connection refused", retryable, err)
	}
}

// TestCallerCancels: a stop (the caller's context ending) ends a request in progress at
// once, and the failure is the caller's doing, not the receiver's: not retryable.
func TestCallerCancels(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv := webhooktest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		cancel() // the request is in progress: stop
		webhooktest.Hang(w, r)
	})
	w, err := New("oncall", Config{URL: srv.URL, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	retryable, err := w.Notify(ctx, firing)
	if err == nil || retryable || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("Notify = %v, %v; want a final context canceled", retryable, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("returned %s after the cancel", d)
	}
}

func TestRedirects(t *testing.T) {
	t.Run("to file:// is refused", func(t *testing.T) {
		srv := webhooktest.NewServer(t, webhooktest.Status(302, "", "Location", "file:///etc/passwd"))
		w, err := New("oncall", Config{URL: srv.URL})
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
		if n := len(srv.Seen()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("307 to http is followed with the body", func(t *testing.T) {
		srv := webhooktest.NewServer(t, webhooktest.Status(307, "", "Location", "/moved"), webhooktest.Status(200, ""))
		w, err := New("oncall", Config{URL: srv.URL + "/hook", Client: &http.Client{}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Notify(context.Background(), firing); err != nil {
			t.Fatal(err)
		}
		reqs := srv.Seen()
		if len(reqs) != 2 || reqs[1].Path != "/moved" || decode(t, reqs[1].Body)["rule"] != "overload" {
			t.Errorf("requests %+v; want the payload posted again to /moved", reqs)
		}
	})
	t.Run("an injected client's own redirect policy still applies", func(t *testing.T) {
		srv := webhooktest.NewServer(t, webhooktest.Status(302, "", "Location", "/elsewhere"), webhooktest.Status(200, ""))
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		w, err := New("oncall", Config{URL: srv.URL, Client: client})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Notify(context.Background(), firing); err == nil || !strings.Contains(err.Error(), "302 Found") {
			t.Errorf("error %v, want the 302 reported", err)
		}
	})
}

// TestSecretsNeverInErrors drives every fault with credentials in the URL's userinfo,
// its query, its path and an Authorization header, against a server that echoes them. It
// does so for both kinds of Sender: the webhook's, whose path is secret too (Slack- and
// Discord-style tokens), and one whose path errors show (the alertmanager notifier's).
func TestSecretsNeverInErrors(t *testing.T) {
	const (
		password = "hunter2-password"
		token    = "query-t0ken-value"
		bearer   = "bearer-t0ken-value"
		pathKey  = "T0000-B0000-XXXXXXXX"
	)
	headers := map[string]string{"Authorization": "Bearer " + bearer}
	faults := map[string]http.HandlerFunc{
		"400 echoing the request": webhooktest.Echo(400),
		"500 echoing the request": webhooktest.Echo(500),
		"503 echoing the request": webhooktest.Echo(503),
		"429":                     webhooktest.Status(429, "", "Retry-After", "1"),
		"dropped connection":      webhooktest.HangUp,
		"timeout":                 webhooktest.Hang,
		"redirect to file://": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "file:///"+pathKey+"?token="+token, http.StatusFound)
		},
		"redirect loop": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.String(), http.StatusTemporaryRedirect)
		},
	}
	for _, mode := range []struct {
		name       string
		secretPath bool
		path       string // below the host; pathKey in it is secret only when secretPath
		secrets    []string
		shows      string // what errors must show after the host:port
	}{
		{"webhook: path secret", true, "/services/" + pathKey, []string{password, token, bearer, pathKey}, "/***?token=***"},
		{"path shown", false, "/am/api/v2/alerts", []string{password, token, bearer}, "/am/api/v2/alerts?token=***"},
	} {
		// post builds the Sender the way the notifiers do (the webhook notifier itself when
		// the path is secret) and posts one message with it.
		post := func(t *testing.T, cfg Config) error {
			t.Helper()
			if mode.secretPath {
				w, err := New("oncall", cfg)
				if err != nil {
					t.Fatal(err)
				}
				_, err = w.Notify(context.Background(), firing)
				return err
			}
			s, err := NewSender("webhook", cfg, false)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Post(context.Background(), []byte(`{}`))
			return err
		}
		check := func(t *testing.T, err error) {
			t.Helper()
			if err == nil {
				t.Fatal("delivered")
			}
			t.Log(err)
			for _, sec := range mode.secrets {
				if strings.Contains(err.Error(), sec) {
					t.Errorf("error contains the secret %q: %s", sec, err)
				}
			}
		}
		t.Run(mode.name, func(t *testing.T) {
			for name, h := range faults {
				t.Run(name, func(t *testing.T) {
					srv := webhooktest.NewServer(t, h)
					u := strings.Replace(srv.URL, "http://", "http://notimon:"+password+"@", 1) + mode.path + "?token=" + token
					err := post(t, Config{URL: u, Headers: headers, Timeout: 100 * time.Millisecond})
					check(t, err)
					if want := "webhook: POST " + srv.URL + mode.shows; !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not name the target as %q", err, want)
					}
				})
			}
			t.Run("connection refused", func(t *testing.T) {
				err := post(t, Config{URL: "http://notimon:" + password + "@" + webhooktest.ClosedAddr(t) + mode.path + "?token=" + token, Headers: headers})
				check(t, err)
			})
			t.Run("bad configuration", func(t *testing.T) {
				for _, cfg := range []Config{
					{URL: "ftp://notimon:" + password + "@host" + mode.path + "?token=" + token},
					{URL: "http://notimon:" + password + "@host:port" + mode.path + "?token=" + token},
					{URL: "http://notimon:" + password + "@[::1" + mode.path},
					{URL: "http://host/", Headers: map[string]string{"Bad Header": bearer}},
					{URL: "http://host/", Headers: map[string]string{"X-Token": bearer + "\r\nInjected: 1"}},
				} {
					var err error
					if mode.secretPath {
						_, err = New("oncall", cfg)
					} else {
						_, err = NewSender("webhook", cfg, false)
					}
					if err == nil {
						t.Errorf("%+v accepted", cfg)
						continue
					}
					for _, sec := range mode.secrets {
						if strings.Contains(err.Error(), sec) {
							t.Errorf("error contains the secret %q: %s", sec, err)
						}
					}
				}
			})
		})
	}
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
	srv := webhooktest.NewServer(t, webhooktest.Status(200, ""))
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
	if r := srv.Seen()[0]; r.Header.Get("X-Key") != "k1" || r.Path != "/hook" {
		t.Errorf("request %+v, want X-Key: k1 to /hook", r)
	}
	if n, err := FromAttrs("oncall", map[string]any{}); err == nil || n != nil {
		t.Errorf("FromAttrs without url = %v, %v; want an error and a nil Notifier", n, err)
	}
	if n, _ := FromAttrs("x", map[string]any{"url": "http://h"}); n.(*Webhook).sender.timeout != DefaultTimeout {
		t.Errorf("default timeout is not %v", DefaultTimeout)
	}
}
