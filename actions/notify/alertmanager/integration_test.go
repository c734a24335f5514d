package alertmanager

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/alertmanager/alertmanagertest"
	"github.com/notimon/notimon/internal/syncbuf"
)

// TestRealAlertmanager sends a firing and then a resolved alert to a real Alertmanager
// (Debian's prometheus-alertmanager) and reads them back through its API.
func TestRealAlertmanager(t *testing.T) {
	start := time.Now()
	base := alertmanagertest.Start(t)

	am, err := New("am", Config{URL: base + "/", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	m := notify.Message{
		Notifier: "am", Rule: "overload", State: "firing", Severity: "critical", Host: "web-01",
		Labels: map[string]string{"team": "web", "app.kubernetes.io/name": "tomcat"},
		Text:   "<b>[web-01 server]</b>\ncpu usage: 93.5%\n",
		Time:   now, StartsAt: now.Add(-2 * time.Minute),
	}
	if _, err := am.Notify(context.Background(), m); err != nil {
		t.Fatalf("firing: %v", err)
	}

	// A new alert is "unprocessed" until the dispatcher has seen it; wait for "active".
	var got alertmanagertest.Alert
	alertmanagertest.Poll(t, "the firing alert to be active", func() bool {
		alerts := alertmanagertest.Alerts(t, base, "overload", "")
		if len(alerts) == 1 && alerts[0].Status.State == "active" {
			got = alerts[0]
			return true
		}
		return false
	})
	wantLabels := map[string]string{
		"alertname": "overload", "instance": "web-01", "severity": "critical",
		"team": "web", "app_kubernetes_io_name": "tomcat",
	}
	if !reflect.DeepEqual(got.Labels, wantLabels) {
		t.Errorf("labels %v, want %v", got.Labels, wantLabels)
	}
	wantAnnotations := map[string]string{"summary": "[web-01 server]", "description": m.Text}
	if !reflect.DeepEqual(got.Annotations, wantAnnotations) {
		t.Errorf("annotations %q, want %q", got.Annotations, wantAnnotations)
	}
	if !got.StartsAt.Equal(m.StartsAt.Truncate(time.Second)) {
		t.Errorf("startsAt %v, want %v", got.StartsAt, m.StartsAt.Truncate(time.Second))
	}
	if got.GeneratorURL != "notimon://web-01/rules/overload" {
		t.Errorf("generatorURL %q", got.GeneratorURL)
	}
	// No endsAt was sent: Alertmanager sets it to now + resolve_timeout (5m by default).
	if !got.EndsAt.After(time.Now()) {
		t.Errorf("endsAt %v is not in the future while firing", got.EndsAt)
	}

	resolved := m
	resolved.State, resolved.Time, resolved.EndsAt = "resolved", time.Now(), time.Now()
	if _, err := am.Notify(context.Background(), resolved); err != nil {
		t.Fatalf("resolved: %v", err)
	}
	// Alertmanager 0.25 keeps a resolved alert but lists none whose endsAt has passed,
	// whatever the filters: the default (active, silenced, inhibited, unprocessed all
	// true), active only, and everything but active.
	for _, query := range []string{"", "active=true", "active=false&silenced=true&inhibited=true&unprocessed=true"} {
		alertmanagertest.Poll(t, "the resolved alert to leave GET /api/v2/alerts?"+query, func() bool {
			return len(alertmanagertest.Alerts(t, base, "overload", query)) == 0
		})
	}
	t.Logf("whole test: %v", time.Since(start).Round(time.Millisecond))
}

// TestRealAlertmanagerCluster posts through urls to two real Alertmanagers: both list the
// alert; with one of them killed, an alert still counts as delivered through the other,
// which lists it, and the dead one is logged; with both dead, the attempt fails, retryable.
func TestRealAlertmanagerCluster(t *testing.T) {
	am1 := alertmanagertest.StartWith(t, alertmanagertest.Options{})
	am2 := alertmanagertest.StartWith(t, alertmanagertest.Options{})
	var logs syncbuf.Buffer
	am, err := New("am", Config{URLs: []string{am1.URL, am2.URL + "/"}, Timeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	m := notify.Message{Notifier: "am", Rule: "both", State: "firing", Host: "web-01", Text: "to both", Time: now, StartsAt: now}
	if retry, err := am.Notify(context.Background(), m); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	for i, base := range []string{am1.URL, am2.URL} {
		alertmanagertest.Poll(t, fmt.Sprintf("the alert to be active in Alertmanager %d", i+1), func() bool {
			alerts := alertmanagertest.Alerts(t, base, "both", "")
			return len(alerts) == 1 && alerts[0].Status.State == "active" && alerts[0].Labels["instance"] == "web-01"
		})
	}
	if logs.String() != "" {
		t.Errorf("logged %q with both members up", logs.String())
	}

	am2.Stop()
	m.Rule = "one_down"
	if retry, err := am.Notify(context.Background(), m); err != nil || retry {
		t.Fatalf("with one member down: Notify = %v, %v; want delivered through the other", retry, err)
	}
	alertmanagertest.Poll(t, "the alert to be active in the Alertmanager that is up", func() bool {
		alerts := alertmanagertest.Alerts(t, am1.URL, "one_down", "")
		return len(alerts) == 1 && alerts[0].Status.State == "active"
	})
	if log := logs.String(); !strings.Contains(log, "level=WARN") || !strings.Contains(log, am2.URL+"/api/v2/alerts") ||
		!strings.Contains(log, "accepted_by=1") || !strings.Contains(log, "rule=one_down") {
		t.Errorf("the member that is down is not logged: %q", log)
	}

	am1.Stop()
	m.Rule = "all_down"
	retry, err := am.Notify(context.Background(), m)
	if err == nil || !retry || !strings.Contains(err.Error(), "none of the 2 cluster members took the alert") {
		t.Fatalf("with both members down: Notify = %v, %v; want a retryable error", retry, err)
	}
}
