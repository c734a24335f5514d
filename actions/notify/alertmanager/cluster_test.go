package alertmanager

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/webhook/webhooktest"
	"github.com/notimon/notimon/internal/syncbuf"
)

func newCluster(t *testing.T, cfg Config, members ...*webhooktest.Server) (*Alertmanager, *syncbuf.Buffer) {
	t.Helper()
	var logs syncbuf.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	for _, m := range members {
		cfg.URLs = append(cfg.URLs, m.URL+"/")
	}
	a, err := New("am", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a, &logs
}

// TestClusterEveryMember: every member gets the same alert.
func TestClusterEveryMember(t *testing.T) {
	m1 := webhooktest.NewServer(t, webhooktest.Status(200, ""))
	m2 := webhooktest.NewServer(t, webhooktest.Status(200, ""))
	m3 := webhooktest.NewServer(t, webhooktest.Status(200, ""))
	a, logs := newCluster(t, Config{}, m1, m2, m3)
	if got := a.Members(); len(got) != 3 || got[2] != m3.URL+"/api/v2/alerts" {
		t.Errorf("Members() = %q", got)
	}
	if retry, err := a.Notify(context.Background(), firing); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	first := m1.Seen()
	if len(first) != 1 || first[0].Path != "/api/v2/alerts" {
		t.Fatalf("member 1 saw %+v", first)
	}
	want := decodeAlerts(t, first[0].Body)
	if len(want) != 1 {
		t.Fatalf("member 1 got %d alerts", len(want))
	}
	for i, m := range []*webhooktest.Server{m2, m3} {
		seen := m.Seen()
		if len(seen) != 1 || !bytes.Equal(seen[0].Body, first[0].Body) {
			t.Errorf("member %d saw %d requests; want the same body as member 1", i+2, len(seen))
		}
	}
	if logs.String() != "" {
		t.Errorf("a delivery to every member logged %q", logs.String())
	}
}

// TestClusterMembersInParallel: members are posted to at once, so one that is slow to
// answer does not hold back the others: each member's handler answers only once the other
// has its request too, which a notifier posting one member after the other never allows.
func TestClusterMembersInParallel(t *testing.T) {
	arrived := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	meet := func(me int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			close(arrived[me])
			select {
			case <-arrived[1-me]:
				w.WriteHeader(200)
			case <-time.After(5 * time.Second):
				w.WriteHeader(500)
			case <-r.Context().Done():
			}
		}
	}
	m1, m2 := webhooktest.NewServer(t, meet(0)), webhooktest.NewServer(t, meet(1))
	a, logs := newCluster(t, Config{Timeout: 10 * time.Second}, m1, m2)
	if retry, err := a.Notify(context.Background(), firing); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	if logs.String() != "" {
		t.Errorf("both members met, yet the notifier logged %q", logs.String())
	}
}

// TestClusterOneMemberDown: the alert counts as delivered when one member took it; each
// member that did not is logged, with why and without the secrets of its URL.
func TestClusterOneMemberDown(t *testing.T) {
	for _, tc := range []struct {
		name string
		down string // the failing member's URL
		why  string // in the log
	}{
		{"refused", "http://" + webhooktest.ClosedAddr(t), "connection refused"},
		{"503", webhooktest.NewServer(t, webhooktest.Status(503, "")).URL, "HTTP 503 Service Unavailable"},
		{"400", webhooktest.NewServer(t, webhooktest.Status(400, "bad")).URL, "HTTP 400 Bad Request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := webhooktest.NewServer(t, webhooktest.Status(200, ""))
			var logs syncbuf.Buffer
			down := strings.Replace(tc.down, "http://", "http://ops:hunter22@", 1) + "/?token=s3cr3t"
			a, err := New("am", Config{URLs: []string{down, up.URL}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			if retry, err := a.Notify(context.Background(), firing); err != nil || retry {
				t.Fatalf("Notify = %v, %v; want delivered through the member that is up", retry, err)
			}
			if n := len(up.Seen()); n != 1 {
				t.Errorf("the member that is up saw %d requests", n)
			}
			log := logs.String()
			for _, want := range []string{"level=WARN", "notifier=am", "rule=overload", "accepted_by=1", "members=2", tc.why, "/api/v2/alerts?token=***"} {
				if !strings.Contains(log, want) {
					t.Errorf("log %q lacks %q", log, want)
				}
			}
			for _, secret := range []string{"hunter22", "s3cr3t"} {
				if strings.Contains(log, secret) {
					t.Errorf("log %q holds the secret %q", log, secret)
				}
			}
		})
	}
}

// TestClusterAllMembersDown: when no member took the alert, the error names each one, and
// the attempt is retryable when any failure may pass with time; a Retry-After is honoured
// only when every member asked to wait (the shortest wait).
func TestClusterAllMembersDown(t *testing.T) {
	for _, tc := range []struct {
		name      string
		answers   []http.HandlerFunc
		retryable bool
		wait      time.Duration
		says      []string
	}{
		{"both refuse the alert", []http.HandlerFunc{webhooktest.Status(400, "one"), webhooktest.Status(400, "two")}, false, 0,
			[]string{"none of the 2 cluster members took the alert", "HTTP 400 Bad Request: \"one\"", "HTTP 400 Bad Request: \"two\""}},
		{"one refuses, one is down", []http.HandlerFunc{webhooktest.Status(400, "one"), webhooktest.Status(503, "")}, true, 0,
			[]string{"HTTP 400 Bad Request", "HTTP 503 Service Unavailable"}},
		{"both ask to wait", []http.HandlerFunc{webhooktest.Status(429, "", "Retry-After", "7"), webhooktest.Status(429, "", "Retry-After", "3")}, true, 3 * time.Second,
			[]string{"HTTP 429 Too Many Requests"}},
		{"one asks to wait, one is down", []http.HandlerFunc{webhooktest.Status(429, "", "Retry-After", "7"), webhooktest.HangUp}, true, 0,
			[]string{"HTTP 429 Too Many Requests", "closed the connection"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m1, m2 := webhooktest.NewServer(t, tc.answers[0]), webhooktest.NewServer(t, tc.answers[1])
			a, logs := newCluster(t, Config{}, m1, m2)
			retry, err := a.Notify(context.Background(), firing)
			if err == nil || retry != tc.retryable {
				t.Fatalf("Notify = %v, %v; want an error, retryable %v", retry, err, tc.retryable)
			}
			for _, want := range append(tc.says, m1.URL+"/api/v2/alerts", m2.URL+"/api/v2/alerts") {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if got := notify.RetryAfter(err); got != tc.wait {
				t.Errorf("RetryAfter = %v, want %v", got, tc.wait)
			}
			if logs.String() != "" {
				t.Errorf("an undelivered alert logged %q (the caller reports the error)", logs.String())
			}
		})
	}
}

func TestFromAttrsURLs(t *testing.T) {
	m1 := webhooktest.NewServer(t, webhooktest.Status(200, ""))
	m2 := webhooktest.NewServer(t, webhooktest.Status(200, ""))
	n, err := FromAttrs("am", map[string]any{"urls": []string{m1.URL, m2.URL + "/prefix"}, "resend_delay": 30 * time.Second}, notify.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(context.Background(), firing); err != nil {
		t.Fatal(err)
	}
	if p1, p2 := m1.Seen()[0].Path, m2.Seen()[0].Path; p1 != "/api/v2/alerts" || p2 != "/prefix/api/v2/alerts" {
		t.Errorf("posted to %q and %q", p1, p2)
	}
	_, err = FromAttrs("am", map[string]any{"url": m1.URL, "urls": []string{m2.URL}}, notify.Env{})
	if err == nil || !strings.Contains(err.Error(), "url or urls, not both") {
		t.Errorf("url and urls: %v", err)
	}
	_, err = FromAttrs("am", map[string]any{"urls": []string{m1.URL, "gopher://h"}}, notify.Env{})
	if want := "urls item 2: alertmanager: url must start with http:// or https://"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a bad member: %v, want %q", err, want)
	}
}

func TestResendAndCheck(t *testing.T) {
	if d := Resend(map[string]any{"url": "http://am"}); d != time.Minute {
		t.Errorf("default resend = %v, want 1m", d)
	}
	if d := Resend(map[string]any{"resend_delay": 20 * time.Second}); d != 20*time.Second {
		t.Errorf("resend = %v", d)
	}
	for _, tc := range []struct {
		attrs map[string]any
		want  string
	}{
		{map[string]any{"url": "http://a", "resend_delay": 15 * time.Second}, ""},
		{map[string]any{"url": "http://a", "resend_delay": time.Duration(0)}, `resend_delay must be more than zero (leave it out for the default, "1m"); it is 0s`},
		{map[string]any{"url": "http://a", "urls": []string{"http://b"}}, "it takes url or urls, not both"},
	} {
		err := check(tc.attrs)
		if (err == nil) != (tc.want == "") || err != nil && err.Error() != tc.want {
			t.Errorf("check(%v) = %v, want %q", tc.attrs, err, tc.want)
		}
	}
}

// TestGeneratorURLLink: a message that links its rule's page (a server block) makes that
// link the generatorURL; without one it is notimon://<host>/rules/<rule>.
func TestGeneratorURLLink(t *testing.T) {
	m := firing
	m.Link = "https://web-01.example.org:9798/#rule-overload"
	if got := NewAlert(m).GeneratorURL; got != m.Link {
		t.Errorf("generatorURL %q, want the link %q", got, m.Link)
	}
	if got := NewAlert(firing).GeneratorURL; got != "notimon://web-01/rules/overload" {
		t.Errorf("generatorURL without a link %q", got)
	}
}
