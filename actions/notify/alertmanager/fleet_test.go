package alertmanager_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/alertmanager/alertmanagertest"
	"github.com/notimon/notimon/actions/notify/webhook/webhooktest"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/host"
)

// TestRealAlertmanagerFleet runs the real engine, ticking in real time, against two real
// Alertmanagers (urls) that resolve a firing alert they have not heard of for 3 s
// (resolve_timeout), the first routing to a webhook receiver:
//
//   - the alert's generatorURL is the rule on the status page (the server block);
//   - the firing alert stays active in both well past resolve_timeout, because it is sent
//     again every resend_delay, and the receiver is notified of it once (the resends are
//     the same alert, which Alertmanager deduplicates);
//   - when the rule resolves, both end the alert at once (well before resolve_timeout) and
//     the receiver gets it resolved, endsAt the time the rule resolved, although the rule's
//     on_resolve does not notify the Alertmanagers.
func TestRealAlertmanagerFleet(t *testing.T) {
	const resolveTimeout = 3 * time.Second
	receiver := webhooktest.NewServer(t, webhooktest.Status(200, ""))
	am1 := alertmanagertest.StartWith(t, alertmanagertest.Options{ResolveTimeout: resolveTimeout, Webhook: receiver.URL})
	am2 := alertmanagertest.StartWith(t, alertmanagertest.Options{ResolveTimeout: resolveTimeout})
	cfg, diags := dsl.LoadSource(map[string][]byte{"rules.hcl": fmt.Appendf(nil, `
server { listen = "127.0.0.1:9798" } # read for the alerts' generatorURL; no listener here
notifier "alertmanager" "am" {
  urls         = [%q, %q]
  resend_delay = "500ms"
}
rule "fleet_hot" {
  when     = "cpu.pct > 50"
  severity = "critical"
  notify "am" { message = "cpu {{ cpu.pct }}%%" }
}
`, am1.URL, am2.URL)}, dsl.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var mu sync.Mutex
	pct := 90.0
	sampler := probes.SamplerFunc(func(_ context.Context, now time.Time, _ []probes.Ref) *probes.Snapshot {
		mu.Lock()
		defer mu.Unlock()
		return &probes.Snapshot{Time: now, Host: host.Values{Name: "web-01"}, CPU: cpu.Values{Pct: pct}}
	})
	e := engine.New(cfg, engine.Options{Sampler: sampler})
	ctx, stop := context.WithCancel(context.Background())
	ticking := make(chan struct{})
	go func() { // the daemon's loop, every 100 ms
		defer close(ticking)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			e.Tick(ctx, time.Now())
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { stop(); <-ticking; e.Stop() })

	active := func(base string) bool {
		alerts := alertmanagertest.Alerts(t, base, "fleet_hot", "active=true")
		if len(alerts) != 1 {
			return false
		}
		if a := alerts[0]; a.Labels["instance"] != "web-01" || a.GeneratorURL != "http://127.0.0.1:9798/#rule-fleet_hot" {
			t.Fatalf("alert %+v; want instance web-01 and the generatorURL of the rule on the status page", a)
		}
		return true
	}
	alertmanagertest.Poll(t, "the alert to be active in both Alertmanagers", func() bool { return active(am1.URL) && active(am2.URL) })
	until := time.Now().Add(resolveTimeout + 2*time.Second)
	alertmanagertest.PollFor(t, "resolve_timeout to pass twice over", 3*resolveTimeout+10*time.Second, func() bool {
		for i, base := range []string{am1.URL, am2.URL} {
			if !active(base) {
				t.Fatalf("Alertmanager %d let the firing alert go before %s", i+1, until.Format(time.StampMilli))
			}
		}
		return time.Now().After(until)
	})
	notifications := func() (firing, resolved []alertmanagertest.Notification) {
		for _, r := range receiver.Seen() {
			var n alertmanagertest.Notification
			if err := json.NewDecoder(bytes.NewReader(r.Body)).Decode(&n); err != nil {
				t.Fatalf("receiver got %s: %v", r.Body, err)
			}
			if n.Status == "resolved" {
				resolved = append(resolved, n)
			} else {
				firing = append(firing, n)
			}
		}
		return firing, resolved
	}
	if firing, resolved := notifications(); len(firing) != 1 || len(resolved) != 0 {
		t.Fatalf("while firing, the receiver got %d firing and %d resolved notifications, want 1 and 0", len(firing), len(resolved))
	}

	mu.Lock()
	pct = 10
	mu.Unlock()
	var resolvedAt time.Time
	alertmanagertest.Poll(t, "the rule to resolve", func() bool {
		st := e.States()["fleet_hot"]
		resolvedAt = st.Since
		return st.State == engine.Inactive
	})
	// Its last resend was at most resend_delay before: without the resolved alert,
	// Alertmanager would list it for resolve_timeout less that.
	for i, base := range []string{am1.URL, am2.URL} {
		alertmanagertest.PollFor(t, fmt.Sprintf("Alertmanager %d to end the alert", i+1), time.Until(resolvedAt.Add(resolveTimeout-time.Second)), func() bool {
			return len(alertmanagertest.Alerts(t, base, "fleet_hot", "")) == 0
		})
	}
	var resolved []alertmanagertest.Notification
	alertmanagertest.Poll(t, "the receiver to be told the alert resolved", func() bool {
		_, resolved = notifications()
		return len(resolved) > 0
	})
	a := resolved[0].Alerts
	if len(a) != 1 || a[0].Status != "resolved" || !a[0].EndsAt.Equal(resolvedAt.Truncate(time.Second)) {
		t.Errorf("resolved notification %+v, want the alert resolved, endsAt %s", resolved[0], resolvedAt.Truncate(time.Second))
	}
	if errs := e.Errs(); len(errs) != 0 {
		t.Errorf("engine errors: %v", errs)
	}
}
