package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/alertmanager"
	"github.com/notimon/notimon/actions/notify/alertmanager/alertmanagertest"
	"github.com/notimon/notimon/actions/notify/webhook"
	"github.com/notimon/notimon/actions/notify/webhook/webhooktest"
	"github.com/notimon/notimon/probes"
)

// TestEveryMessageCarriesTheHost runs the real engine on the real machine's /proc with rules
// that read only mem.*, and checks that the alert posted to Alertmanager has its instance
// label and the webhook payload its host, for the notify step and for the renotify step
// (which samples afresh): the host is sampled whether or not a rule reads it.
func TestEveryMessageCarriesTheHost(t *testing.T) {
	machine, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, settings, want string
	}{
		{"the machine's host name", "", machine},
		{"settings.host", `settings { host = "web-07" }`, "web-07"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			am := webhooktest.NewServer(t, webhooktest.Status(200, ""))
			hook := webhooktest.NewServer(t, webhooktest.Status(204, ""))
			cfg := load(t, fmt.Sprintf(`
%s
notifier "alertmanager" "am" { url = %q }
notifier "webhook" "hook" { url = %q }
rule "memory" {
  when = "mem.total_bytes > 0"
  notify "am" { message = "memory {{ mem.real_pct }}%%" }
  renotify "hook" { message = "memory now {{ mem.real_pct }}%%" }
}
`, tc.settings, am.URL, hook.URL+"/hook"))
			for _, ref := range cfg.Refs {
				if ref.Kind == "host" {
					t.Fatalf("the rules read host (%v): the test would prove nothing", cfg.Refs)
				}
			}
			var asked []probes.Ref
			system := probes.NewSystem(probes.Options{Hostname: cfg.Settings.Host})
			sampler := probes.SamplerFunc(func(ctx context.Context, now time.Time, refs []probes.Ref) *probes.Snapshot {
				asked = append(asked, refs...)
				return system.Sample(ctx, now, refs)
			})
			e := New(cfg, Options{Sampler: sampler})
			rep := e.Tick(context.Background(), t0)
			if err := e.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			if errs := append(rep.Errs(), e.Errs()...); len(errs) != 0 {
				t.Fatalf("errors: %v", errs)
			}

			posts := am.Seen()
			if len(posts) != 1 {
				t.Fatalf("%d posts to Alertmanager, want 1", len(posts))
			}
			var alerts []alertmanager.Alert
			if err := json.Unmarshal(posts[0].Body, &alerts); err != nil || len(alerts) != 1 {
				t.Fatalf("Alertmanager got %s (%v)", posts[0].Body, err)
			}
			if got := alerts[0].Labels["instance"]; got != tc.want {
				t.Errorf("instance label %q, want %q; labels %v", got, tc.want, alerts[0].Labels)
			}
			if got, want := alerts[0].GeneratorURL, "notimon://"+tc.want+"/rules/memory"; got != want {
				t.Errorf("generatorURL %q, want %q", got, want)
			}

			hooks := hook.Seen()
			if len(hooks) != 1 {
				t.Fatalf("%d posts to the webhook (the renotify step), want 1", len(hooks))
			}
			var p webhook.Payload
			if err := json.Unmarshal(hooks[0].Body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Host != tc.want {
				t.Errorf("renotify payload host %q, want %q", p.Host, tc.want)
			}
			hosts := 0
			for _, ref := range asked {
				if ref.Kind == "host" {
					hosts++
				}
			}
			if hosts != 2 {
				t.Errorf("host was asked for %d times in %v, want 2 (the tick and the renotify)", hosts, asked)
			}
		})
	}
}

// TestRealAlertmanagerAlertHasInstance: the real engine posts, for a rule that reads only
// mem.*, to a real Alertmanager (skipped when none is installed), and the alert it lists
// has the machine's host name as its instance label.
func TestRealAlertmanagerAlertHasInstance(t *testing.T) {
	base := alertmanagertest.Start(t)
	machine, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	cfg := load(t, fmt.Sprintf(`
notifier "alertmanager" "am" { url = %q }
rule "memory_only" {
  when     = "mem.total_bytes > 0"
  severity = "info"
  notify "am" { message = "memory {{ mem.real_pct }}%%" }
}
`, base))
	e := New(cfg, Options{Sampler: probes.NewSystem(probes.Options{})})
	rep := e.Tick(context.Background(), time.Now())
	if err := e.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if errs := append(rep.Errs(), e.Errs()...); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	var got alertmanagertest.Alert
	alertmanagertest.Poll(t, "the alert to be active", func() bool {
		alerts := alertmanagertest.Alerts(t, base, "memory_only", "")
		if len(alerts) == 1 && alerts[0].Status.State == "active" {
			got = alerts[0]
			return true
		}
		return false
	})
	if got.Labels["instance"] != machine {
		t.Errorf("labels %v, want instance %q", got.Labels, machine)
	}
}
