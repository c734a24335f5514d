package alertmanager

import (
	"context"
	"encoding/json"
	"io"
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

type request struct {
	method, path, query string
	header              http.Header
	body                []byte
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
		s.requests = append(s.requests, request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
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

func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

var (
	t0     = time.Date(2024, 5, 1, 10, 2, 3, 456, time.FixedZone("CEST", 2*3600))
	firing = notify.Message{
		Notifier: "am", Rule: "overload", State: "firing", Severity: "critical", Host: "web-01",
		Labels: map[string]string{
			"team": "web", "alertname": "not-this", "instance": "nor-this",
			"app.kubernetes.io/name": "tomcat", "2fa": "on", "empty": "",
		},
		Text:   "\n  <b>[web-01 server]</b> &amp; co\ncpu usage is over its limit (50%)\n",
		Values: map[string]any{"cpu.avg3": 93.5},
		Time:   t0, StartsAt: t0.Add(-2 * time.Minute),
	}
)

func decodeAlerts(t *testing.T, body []byte) []any {
	t.Helper()
	var got []any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body is not a JSON list: %v\n%s", err, body)
	}
	return got
}

func TestAlertPayload(t *testing.T) {
	resolved := firing
	resolved.State, resolved.Time, resolved.EndsAt = "resolved", t0.Add(28*time.Minute), t0.Add(27*time.Minute)
	resolvedNoEnd := resolved
	resolvedNoEnd.EndsAt = time.Time{}
	labels := map[string]any{
		"alertname": "overload", "instance": "web-01", "severity": "critical",
		"team": "web", "app_kubernetes_io_name": "tomcat", "_2fa": "on",
	}
	annotations := map[string]any{
		"summary":     "[web-01 server] & co",
		"description": "\n  <b>[web-01 server]</b> &amp; co\ncpu usage is over its limit (50%)\n",
	}
	for _, tc := range []struct {
		name string
		m    notify.Message
		want map[string]any
	}{
		{"firing", firing, map[string]any{
			"labels": labels, "annotations": annotations,
			"startsAt": "2024-05-01T08:00:03Z", "generatorURL": "notimon://web-01/rules/overload",
		}},
		{"resolved", resolved, map[string]any{
			"labels": labels, "annotations": annotations,
			"startsAt": "2024-05-01T08:00:03Z", "endsAt": "2024-05-01T08:29:03Z", "generatorURL": "notimon://web-01/rules/overload",
		}},
		{"resolved without EndsAt ends at the message's time", resolvedNoEnd, map[string]any{
			"labels": labels, "annotations": annotations,
			"startsAt": "2024-05-01T08:00:03Z", "endsAt": "2024-05-01T08:30:03Z", "generatorURL": "notimon://web-01/rules/overload",
		}},
		{"sent by hand", notify.Message{Notifier: "am", Host: "web-01", Text: "hello", Time: t0}, map[string]any{
			"labels":      map[string]any{"alertname": "notimon", "instance": "web-01"},
			"annotations": map[string]any{"summary": "hello", "description": "hello"},
			"startsAt":    "2024-05-01T08:02:03Z", "generatorURL": "notimon://web-01/rules/",
		}},
		{"odd rule name, no text", notify.Message{Rule: "disk full/var", State: "firing", Host: "db-1", Time: t0}, map[string]any{
			"labels":   map[string]any{"alertname": "disk full/var", "instance": "db-1"},
			"startsAt": "2024-05-01T08:02:03Z", "generatorURL": "notimon://db-1/rules/disk%20full%2Fvar",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, status(200, ""))
			a, err := New("am", Config{URL: srv.URL + "/prefix/"})
			if err != nil {
				t.Fatal(err)
			}
			if retry, err := a.Notify(context.Background(), tc.m); err != nil || retry {
				t.Fatalf("Notify = %v, %v", retry, err)
			}
			r := srv.seen()[0]
			if r.method != "POST" || r.path != "/prefix/api/v2/alerts" {
				t.Errorf("request %s %s, want POST /prefix/api/v2/alerts", r.method, r.path)
			}
			if r.header.Get("Content-Type") != "application/json" || r.header.Get("User-Agent") != "notimon" {
				t.Errorf("headers %v", r.header)
			}
			if got, want := decodeAlerts(t, r.body), []any{tc.want}; !reflect.DeepEqual(got, want) {
				t.Errorf("alerts\n got %#v\nwant %#v", got, want)
			}
		})
	}
}

func TestAlertsURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://am:9093":                     "http://am:9093/api/v2/alerts",
		"http://am:9093/":                    "http://am:9093/api/v2/alerts",
		"https://host/alertmanager":          "https://host/alertmanager/api/v2/alerts",
		"https://host/alertmanager/":         "https://host/alertmanager/api/v2/alerts",
		"https://host/a/b//":                 "https://host/a/b/api/v2/alerts",
		"http://u:p@am/x/?token=t&o=1":       "http://u:p@am/x/api/v2/alerts?token=t&o=1",
		"http://am/api/v2/alerts":            "http://am/api/v2/alerts",
		"http://am/prefix/api/v2/alerts/":    "http://am/prefix/api/v2/alerts",
		"http://am/team%2Fops/":              "http://am/team%2Fops/api/v2/alerts",
		"not a url at all":                   "not a url at all",
		"http://[::1/broken":                 "http://[::1/broken",
		"http://am/api/v2/alerts?token=xyzw": "http://am/api/v2/alerts?token=xyzw",
	} {
		if got := AlertsURL(in); got != want {
			t.Errorf("AlertsURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLabelName(t *testing.T) {
	for in, want := range map[string]string{
		"team":                   "team",
		"Team_2":                 "Team_2",
		"_x":                     "_x",
		"app.kubernetes.io/name": "app_kubernetes_io_name",
		"2fa":                    "_2fa",
		"9":                      "_9",
		"a-b c":                  "a_b_c",
		"été":                    "_t_",
		"":                       "_",
	} {
		if got := LabelName(in); got != want {
			t.Errorf("LabelName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLabelsCollide(t *testing.T) {
	a := NewAlert(notify.Message{Rule: "r", Labels: map[string]string{"a.b": "dot", "a-b": "dash", "a_b": "underscore"}})
	if got := a.Labels["a_b"]; got != "dash" { // "a-b" < "a.b" < "a_b" in byte order
		t.Errorf("a_b = %q, want the first key in byte order to win", got)
	}
	if a.Labels["alertname"] != "r" || len(a.Labels) != 2 {
		t.Errorf("labels %v", a.Labels)
	}
}

func TestSummary(t *testing.T) {
	for in, want := range map[string]string{
		"":                                 "",
		"one line":                         "one line",
		"\n\n  \nsecond\nthird":            "second",
		"<b></b>\n<i>title</i> here\nmore": "title here",
		`<a href="https://x/?a=1&amp;b=2">link</a>`: "link",
		"load &lt; 2 &amp;&amp; ok":                 "load < 2 && ok",
		"load < 2 > 1":                              "load < 2 > 1",
		"<tg-spoiler>s</tg-spoiler><br/>x":          "sx",
		"   \t\n<code> </code>\n\tlast  ":           "last",
	} {
		if got := Summary(in); got != want {
			t.Errorf("Summary(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDelivery(t *testing.T) {
	for _, tc := range []struct {
		name      string
		handlers  []http.HandlerFunc
		ok        bool
		retryable bool
		requests  int
		sleeps    []time.Duration
		errHas    []string
	}{
		{name: "200", handlers: []http.HandlerFunc{status(200, "")}, ok: true, requests: 1},
		{name: "400 is final and says why", handlers: []http.HandlerFunc{status(400, `"invalid label set: invalid name \"a-b\""`+strings.Repeat(" ", 300)+"END")}, requests: 1,
			errHas: []string{"alertmanager: POST http://127.0.0.1", "/api/v2/alerts: 400 Bad Request", `invalid label set`}},
		{name: "502 then 200", handlers: []http.HandlerFunc{status(502, ""), status(200, "")}, ok: true, requests: 2, sleeps: []time.Duration{time.Second}},
		{name: "500 until the tries run out", handlers: []http.HandlerFunc{status(500, "")}, retryable: true, requests: 3, errHas: []string{"500 Internal Server Error"}},
		{name: "429 Retry-After seconds", handlers: []http.HandlerFunc{status(429, "", "Retry-After", "4"), status(200, "")}, ok: true, requests: 2, sleeps: []time.Duration{4 * time.Second}},
		{name: "dropped connection then 200", handlers: []http.HandlerFunc{hangUp, status(200, "")}, ok: true, requests: 2},
		{name: "redirect to file:// is refused", handlers: []http.HandlerFunc{status(301, "", "Location", "file:///etc/passwd")}, requests: 1,
			errHas: []string{"refused to follow a redirect to a file: URL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, tc.handlers...)
			var s sleeps
			a, err := New("am", Config{URL: srv.URL, Policy: policy(&s)})
			if err != nil {
				t.Fatal(err)
			}
			retryable, err := a.Notify(context.Background(), firing)
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
			if err != nil && strings.Contains(err.Error(), "END") {
				t.Errorf("error %q quotes more than 200 bytes of the body", err)
			}
		})
	}
}

func TestRetryAfterDate(t *testing.T) {
	when := time.Now().Add(5 * time.Second).UTC().Format(http.TimeFormat)
	srv := newServer(t, status(429, "", "Retry-After", when), status(200, ""))
	var s sleeps
	a, err := New("am", Config{URL: srv.URL, Policy: policy(&s)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Notify(context.Background(), firing); err != nil {
		t.Fatal(err)
	}
	if got := s.all(); len(got) != 1 || got[0] <= 3*time.Second || got[0] > 5*time.Second {
		t.Errorf("waits %v, want one of about 4-5s", got)
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
	t.Cleanup(func() { close(release) })
	var s sleeps
	a, err := New("am", Config{URL: srv.URL, Timeout: 50 * time.Millisecond, Policy: policy(&s)})
	if err != nil {
		t.Fatal(err)
	}
	retryable, err := a.Notify(context.Background(), firing)
	if err == nil || !retryable || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Fatalf("Notify = %v, %v; want a retryable timeout", retryable, err)
	}
	if n := len(srv.seen()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

// TestSecretsNeverInErrors: an Alertmanager behind a proxy that wants a password, a
// token in the query and an Authorization header, and answers every way it can fail.
func TestSecretsNeverInErrors(t *testing.T) {
	const (
		password = "hunter2-password"
		token    = "query-t0ken-value"
		bearer   = "bearer-t0ken-value"
	)
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
		"503 echoing the request": echo(503),
		"429":                     status(429, "", "Retry-After", "1"),
		"dropped connection":      hangUp,
		"timeout": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		},
		"redirect to file://": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "file:///x?token="+token, http.StatusFound)
		},
	}
	check := func(t *testing.T, err error) {
		t.Helper()
		if err == nil {
			t.Fatal("delivered")
		}
		for _, sec := range []string{password, token, bearer} {
			if strings.Contains(err.Error(), sec) {
				t.Errorf("error contains the secret %q: %s", sec, err)
			}
		}
	}
	headers := map[string]string{"Authorization": "Bearer " + bearer}
	for name, h := range faults {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t, h)
			u := strings.Replace(srv.URL, "http://", "http://notimon:"+password+"@", 1) + "/am/?token=" + token
			var s sleeps
			a, err := New("am", Config{URL: u, Headers: headers, Timeout: 100 * time.Millisecond, Policy: policy(&s)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = a.Notify(context.Background(), firing)
			check(t, err)
			t.Log(err)
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
		a, err := New("am", Config{URL: "http://notimon:" + password + "@" + addr + "/?token=" + token, Headers: headers, Policy: policy(&s)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.Notify(context.Background(), firing)
		check(t, err)
	})
	t.Run("bad configuration", func(t *testing.T) {
		for _, u := range []string{
			"ftp://notimon:" + password + "@host/?token=" + token,
			"http://notimon:" + password + "@host:port/?token=" + token,
		} {
			_, err := New("am", Config{URL: u})
			check(t, err)
		}
	})
}

func TestFromAttrs(t *testing.T) {
	srv := newServer(t, status(200, ""))
	n, err := FromAttrs("am", map[string]any{"url": srv.URL + "/am", "timeout": 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(context.Background(), firing); err != nil {
		t.Fatal(err)
	}
	if p := srv.seen()[0].path; p != "/am/api/v2/alerts" {
		t.Errorf("posted to %q", p)
	}
	if n, err := FromAttrs("am", map[string]any{"url": "gopher://h"}); err == nil || n != nil {
		t.Errorf("FromAttrs(gopher://) = %v, %v; want an error and a nil Notifier", n, err)
	}
}
