package alertmanager

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/webhook/webhooktest"
)

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
			srv := webhooktest.NewServer(t, webhooktest.Status(200, ""))
			a, err := New("am", Config{URL: srv.URL + "/prefix/"})
			if err != nil {
				t.Fatal(err)
			}
			if retry, err := a.Notify(context.Background(), tc.m); err != nil || retry {
				t.Fatalf("Notify = %v, %v", retry, err)
			}
			r := srv.Seen()[0]
			if r.Method != "POST" || r.Path != "/prefix/api/v2/alerts" {
				t.Errorf("request %s %s, want POST /prefix/api/v2/alerts", r.Method, r.Path)
			}
			if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("User-Agent") != "notimon" {
				t.Errorf("headers %v", r.Header)
			}
			if got, want := decodeAlerts(t, r.Body), []any{tc.want}; !reflect.DeepEqual(got, want) {
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
		// A receiver may put the summary in an email Subject: it stays one line.
		"x\r\nBcc: evil@example.org":     "x",
		"x\rBcc: evil@example.org\nmore": "x Bcc: evil@example.org",
		"a\u2028b\x00c\x1b[31m":          "a b c [31m",
	} {
		if got := Summary(in); got != want {
			t.Errorf("Summary(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDelivery: alertmanager posts through webhook.Sender, whose delivery rules
// (statuses, which failures are retryable, Retry-After, timeouts, dropped connections,
// redirects) the webhook package tests; these cases only show that they apply here, with
// errors that say "alertmanager" and show the alerts path.
func TestDelivery(t *testing.T) {
	t.Run("400 is final and says why", func(t *testing.T) {
		srv := webhooktest.NewServer(t, webhooktest.Status(400, `"invalid label set: invalid name \"a-b\"`+strings.Repeat(" x", 150)+`END"`+"\n", "Content-Type", "application/json"))
		a, err := New("am", Config{URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		retryable, err := a.Notify(context.Background(), firing)
		if err == nil || retryable {
			t.Fatalf("Notify = %v, %v; want a final error", retryable, err)
		}
		if want := "alertmanager: POST " + srv.URL + `/api/v2/alerts: HTTP 400 Bad Request: "invalid label set: invalid name \"a-b\" x x`; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %q does not contain %q and Alertmanager's reason", err, want)
		}
		if strings.Contains(err.Error(), "END") {
			t.Errorf("error %q quotes more than 200 bytes of the body", err)
		}
		if n := len(srv.Seen()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("502 is retryable, one request per attempt", func(t *testing.T) {
		srv := webhooktest.NewServer(t, webhooktest.Status(502, ""), webhooktest.Status(200, ""))
		a, err := New("am", Config{URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		if retryable, err := a.Notify(context.Background(), firing); err == nil || !retryable || !strings.Contains(err.Error(), "HTTP 502 Bad Gateway") {
			t.Fatalf("Notify = %v, %v; want a retryable 502", retryable, err)
		}
		if retryable, err := a.Notify(context.Background(), firing); err != nil || retryable {
			t.Fatalf("the next attempt: Notify = %v, %v; want delivered", retryable, err)
		}
		if n := len(srv.Seen()); n != 2 {
			t.Errorf("%d requests, want 2 (one per attempt)", n)
		}
	})
	t.Run("429 carries its Retry-After", func(t *testing.T) {
		srv := webhooktest.NewServer(t, webhooktest.Status(429, "", "Retry-After", "120"))
		a, err := New("am", Config{URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		retryable, err := a.Notify(context.Background(), firing)
		if err == nil || !retryable || notify.RetryAfter(err) != 2*time.Minute {
			t.Fatalf("Notify = %v, %v (RetryAfter %v); want retryable, 2m", retryable, err, notify.RetryAfter(err))
		}
	})
}

// TestSecretsNeverInErrors: an Alertmanager behind a proxy that wants a password, a token
// in the query and an Authorization header, and that fails every try echoing them. The
// webhook package tests every fault this way; here, that the alertmanager notifier's
// Sender knows its secrets once the alerts path is joined to the URL.
func TestSecretsNeverInErrors(t *testing.T) {
	const (
		password = "hunter2-password"
		token    = "query-t0ken-value"
		bearer   = "bearer-t0ken-value"
	)
	srv := webhooktest.NewServer(t, webhooktest.Echo(503))
	u := strings.Replace(srv.URL, "http://", "http://notimon:"+password+"@", 1) + "/am/?token=" + token
	a, err := New("am", Config{URL: u, Headers: map[string]string{"Authorization": "Bearer " + bearer}})
	if err != nil {
		t.Fatal(err)
	}
	retryable, err := a.Notify(context.Background(), firing)
	if err == nil || !retryable {
		t.Fatalf("Notify = %v, %v; want a retryable error", retryable, err)
	}
	t.Log(err)
	for _, sec := range []string{password, token, bearer} {
		if strings.Contains(err.Error(), sec) {
			t.Errorf("error contains the secret %q: %s", sec, err)
		}
	}
	if want := "alertmanager: POST " + srv.URL + "/am/api/v2/alerts?token=***: HTTP 503 Service Unavailable"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if n := len(srv.Seen()); n != 1 {
		t.Errorf("%d requests, want 1 (one attempt)", n)
	}
}

func TestFromAttrs(t *testing.T) {
	srv := webhooktest.NewServer(t, webhooktest.Status(200, ""))
	n, err := FromAttrs("am", map[string]any{"url": srv.URL + "/am", "timeout": 2 * time.Second}, notify.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(context.Background(), firing); err != nil {
		t.Fatal(err)
	}
	if p := srv.Seen()[0].Path; p != "/am/api/v2/alerts" {
		t.Errorf("posted to %q", p)
	}
	if n, err := FromAttrs("am", map[string]any{"url": "gopher://h"}, notify.Env{}); err == nil || n != nil {
		t.Errorf("FromAttrs(gopher://) = %v, %v; want an error and a nil Notifier", n, err)
	}
}
