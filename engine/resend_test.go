package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/alertmanager"
	"github.com/notimon/notimon/actions/notify/webhook"
	"github.com/notimon/notimon/actions/notify/webhook/webhooktest"
	"github.com/notimon/notimon/engine/control"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/host"
)

// cpuAt is a sampler whose cpu.pct the test sets between ticks.
type cpuAt struct {
	mu  sync.Mutex
	pct float64
}

func (c *cpuAt) set(pct float64) { c.mu.Lock(); c.pct = pct; c.mu.Unlock() }

func (c *cpuAt) sampler() probes.Sampler {
	return probes.SamplerFunc(func(_ context.Context, now time.Time, _ []probes.Ref) *probes.Snapshot {
		c.mu.Lock()
		defer c.mu.Unlock()
		return &probes.Snapshot{Time: now, Host: host.Values{Name: "web-01"}, CPU: cpu.Values{Pct: c.pct}}
	})
}

// alertsOf decodes each request the fake Alertmanager saw since from.
func alertsOf(t *testing.T, srv *webhooktest.Server, from int) []alertmanager.Alert {
	t.Helper()
	var out []alertmanager.Alert
	for _, r := range srv.Seen()[from:] {
		var alerts []alertmanager.Alert
		if err := json.Unmarshal(r.Body, &alerts); err != nil || len(alerts) != 1 {
			t.Fatalf("Alertmanager got %s (%v)", r.Body, err)
		}
		out = append(out, alerts[0])
	}
	return out
}

// TestResendAcrossCronRuns: from cron (one engine per run, the state kept in the state
// directory), a firing rule's alert reaches both Alertmanagers of urls again every
// resend_delay, unchanged, while the rule's other notifier hears nothing more; when the
// rule resolves, both get it resolved, endsAt the resolve time, although on_resolve does
// not notify them; after that, nothing.
func TestResendAcrossCronRuns(t *testing.T) {
	am1 := webhooktest.NewServer(t, webhooktest.Status(200, ""))
	am2 := webhooktest.NewServer(t, webhooktest.Status(200, ""))
	hook := webhooktest.NewServer(t, webhooktest.Status(204, ""))
	cfg := load(t, fmt.Sprintf(`
settings { host = "web-01" }
notifier "alertmanager" "am" {
  urls         = [%q, %q]
  resend_delay = "1m"
}
notifier "webhook" "hook" { url = %q }
rule "hot" {
  when     = "cpu.pct > 50"
  severity = "critical"
  labels   = { team = "web" }
  notify "am" { message = "cpu {{ cpu.pct }}%%" }
  notify "hook" { message = "cpu {{ cpu.pct }}%%" }
}
`, am1.URL, am2.URL, hook.URL))
	dir := t.TempDir()
	probe := &cpuAt{pct: 90}
	run := func(now time.Time) {
		t.Helper()
		st, err := store.Open(dir, store.Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		e := New(cfg, Options{Sampler: probe.sampler(), Store: st, Now: func() time.Time { return now }})
		if err := e.Restore(); err != nil {
			t.Fatal(err)
		}
		if _, errs := e.RunOnce(context.Background(), now); len(errs) != 0 {
			t.Fatalf("run at %s: %v", now.Sub(t0), errs)
		}
	}
	firing := alertmanager.Alert{
		Labels:      map[string]string{"alertname": "hot", "instance": "web-01", "severity": "critical", "team": "web"},
		Annotations: map[string]string{"summary": "cpu 90%", "description": "cpu 90%"},
		StartsAt:    webhook.Timestamp(t0), GeneratorURL: "notimon://web-01/rules/hot",
	}
	// The runs, a cron minute apart give or take a little (a run that starts a little early
	// still resends), and what each Alertmanager gets in each.
	for _, step := range []struct {
		at    time.Duration
		pct   float64
		want  []alertmanager.Alert
		hooks int
	}{
		{0, 90, []alertmanager.Alert{firing}, 1},
		{30 * time.Second, 95, nil, 0},                                               // not due yet
		{59*time.Second + 900*time.Millisecond, 95, []alertmanager.Alert{firing}, 0}, // the same alert, not re-rendered
		{2 * time.Minute, 95, []alertmanager.Alert{firing}, 0},
		{2*time.Minute + 30*time.Second, 10, []alertmanager.Alert{func() alertmanager.Alert {
			a := firing
			a.EndsAt = webhook.Timestamp(t0.Add(2*time.Minute + 30*time.Second))
			return a
		}()}, 0},
		{4 * time.Minute, 10, nil, 0},
		{10 * time.Minute, 10, nil, 0},
	} {
		before1, before2, hooks := len(am1.Seen()), len(am2.Seen()), len(hook.Seen())
		probe.set(step.pct)
		run(t0.Add(step.at))
		for i, got := range [][]alertmanager.Alert{alertsOf(t, am1, before1), alertsOf(t, am2, before2)} {
			if !reflect.DeepEqual(got, step.want) {
				t.Errorf("run at %s: Alertmanager %d got\n%+v\nwant\n%+v", step.at, i+1, got, step.want)
			}
		}
		if n := len(hook.Seen()) - hooks; n != step.hooks {
			t.Errorf("run at %s: the webhook got %d messages, want %d", step.at, n, step.hooks)
		}
	}
}

// TestResendWaitsForTheQueuedCopy: while Alertmanager is down, the copy in the outbox is not
// joined by another every resend_delay; once it is up again, the copy goes through and the
// resends resume.
func TestResendWaitsForTheQueuedCopy(t *testing.T) {
	down := true
	var mu sync.Mutex
	am := webhooktest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			w.WriteHeader(503)
			return
		}
		w.WriteHeader(200)
	})
	cfg := load(t, fmt.Sprintf(`
notifier "alertmanager" "am" { url = %q }
rule "hot" {
  when = "cpu.pct > 50"
  notify "am" { message = "hot" }
}
`, am.URL))
	dir := t.TempDir()
	probe := &cpuAt{pct: 90}
	run := func(now time.Time) int {
		t.Helper()
		st, err := store.Open(dir, store.Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		e := New(cfg, Options{Sampler: probe.sampler(), Store: st, Now: func() time.Time { return now }})
		if err := e.Restore(); err != nil {
			t.Fatal(err)
		}
		e.RunOnce(context.Background(), now)
		pending, err := st.Pending()
		if err != nil {
			t.Fatal(err)
		}
		return len(pending)
	}
	for i := range 5 { // resend_delay defaults to 1m
		if n := run(t0.Add(time.Duration(i) * time.Minute)); n != 1 {
			t.Fatalf("run %d during the outage: %d messages in the outbox, want the one copy", i+1, n)
		}
	}
	if n := len(am.Seen()); n != 5 {
		t.Errorf("%d attempts during the outage, want one a run", n)
	}
	mu.Lock()
	down = false
	mu.Unlock()
	seen := len(am.Seen())
	if n := run(t0.Add(5 * time.Minute)); n != 0 {
		t.Fatalf("after the outage: %d messages left", n)
	}
	if n := len(am.Seen()) - seen; n != 1 {
		t.Errorf("the run after the outage posted %d alerts, want the waiting copy only", n)
	}
	seen = len(am.Seen())
	run(t0.Add(6 * time.Minute))
	if n := len(am.Seen()) - seen; n != 1 {
		t.Errorf("a minute after the outage %d alerts, want the resend", n)
	}
}

// TestResendFollowsTheRulesOwnMessages (the daemon's ticks, a fake clock): a resend is the
// latest message the rule itself sent to the notifier, counted from when it was sent: after
// the rule's repeat, the repeat's message is resent. When on_resolve notifies the
// Alertmanager itself, its message is the resolve and no copy is added.
func TestResendFollowsTheRulesOwnMessages(t *testing.T) {
	am := webhooktest.NewServer(t, webhooktest.Status(200, ""))
	cfg := load(t, fmt.Sprintf(`
notifier "alertmanager" "am" {
  url          = %q
  resend_delay = "30s"
}
rule "hot" {
  when   = "cpu.pct > 50"
  repeat = "2m"
  notify "am" { message = "cpu {{ cpu.pct }}%%" }
  on_resolve {
    notify "am" { message = "cpu back to {{ cpu.pct }}%%" }
  }
}
`, am.URL))
	clk := &clock{now: t0}
	probe := &cpuAt{}
	e := New(cfg, Options{Sampler: probe.sampler(), Now: clk.Now, SleepUntil: clk.SleepUntil})
	type sent struct {
		description string
		endsAt      string
	}
	for _, step := range []struct {
		at   time.Duration
		pct  float64
		want []sent
	}{
		{0, 90, []sent{{"cpu 90%", ""}}},
		{15 * time.Second, 91, nil},
		{30 * time.Second, 92, []sent{{"cpu 90%", ""}}},
		{45 * time.Second, 93, nil},
		{60 * time.Second, 94, []sent{{"cpu 90%", ""}}},
		{2 * time.Minute, 95, []sent{{"cpu 95%", ""}}}, // the repeat, not a resend besides
		{2*time.Minute + 15*time.Second, 96, nil},
		{2*time.Minute + 30*time.Second, 97, []sent{{"cpu 95%", ""}}},
		{2*time.Minute + 40*time.Second, 10, []sent{{"cpu back to 10%", webhook.Timestamp(t0.Add(2*time.Minute + 40*time.Second))}}},
		{3*time.Minute + 30*time.Second, 10, nil},
	} {
		before := len(am.Seen())
		clk.Set(t0.Add(step.at))
		probe.set(step.pct)
		rep := e.Tick(context.Background(), clk.Now())
		if err := e.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if errs := append(rep.Errs(), e.Errs()...); len(errs) != 0 {
			t.Fatalf("tick at %s: %v", step.at, errs)
		}
		var got []sent
		for _, a := range alertsOf(t, am, before) {
			got = append(got, sent{a.Annotations["description"], a.EndsAt})
			if a.StartsAt != webhook.Timestamp(t0) {
				t.Errorf("tick at %s: startsAt %s, want when the rule started firing", step.at, a.StartsAt)
			}
		}
		if !reflect.DeepEqual(got, step.want) {
			t.Errorf("tick at %s: Alertmanager got %+v, want %+v", step.at, got, step.want)
		}
	}
	if rs := e.States()["hot"].Resend; rs != nil {
		t.Errorf("a resolved rule keeps messages to resend: %+v", rs)
	}
}

// TestRuleTestsSeeNoResends: `notimon test` records the rules' messages (Options.Notify);
// resends are not messages of the rule, so it records one.
func TestRuleTestsSeeNoResends(t *testing.T) {
	cfg := load(t, `
notifier "alertmanager" "am" { url = "http://127.0.0.1:1" }
rule "hot" {
  when = "cpu.pct > 50"
  notify "am" { message = "hot" }
}
`)
	var mu sync.Mutex
	var got []string
	probe := &cpuAt{pct: 90}
	clk := &clock{now: t0}
	e := New(cfg, Options{Sampler: probe.sampler(), Now: clk.Now, Notify: notify.NotifierFunc(func(_ context.Context, m notify.Message) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, m.Notifier+": "+m.Text)
		return false, nil
	})})
	for i := range 4 {
		clk.Set(t0.Add(time.Duration(i) * time.Minute))
		e.Tick(context.Background(), clk.Now())
		if err := e.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(got, "|") != "am: hot" {
		t.Errorf("recorded %q, want the one message", got)
	}
}

// TestResendAndSilences: a rule that fires under a notimon silence sends Alertmanager
// nothing, so nothing is resent; the catch-up when the silence ends is the alert, resent
// from then on. A silence added once Alertmanager knows the alert does not stop the
// resends (Alertmanager would end the alert and report it resolved), nor the resolve.
func TestResendAndSilences(t *testing.T) {
	am := webhooktest.NewServer(t, webhooktest.Status(200, ""))
	cfg := load(t, fmt.Sprintf(`
notifier "alertmanager" "am" { url = %q }
rule "hot" {
  when = "cpu.pct > 50"
  notify "am" { message = "hot" }
}
`, am.URL))
	dir := t.TempDir()
	clk := &clock{now: t0}
	probe := &cpuAt{pct: 90}
	e := New(cfg, Options{Sampler: probe.sampler(), Now: clk.Now, SleepUntil: clk.SleepUntil, Control: control.NewReader(dir)})
	t.Cleanup(e.Stop)
	silence := func(from, d time.Duration) {
		t.Helper()
		if _, err := control.AddSilence(dir, control.Silence{Matchers: []control.Matcher{{Rule: "hot"}}, StartsAt: t0.Add(from), EndsAt: t0.Add(from + d), By: "alice"}, t0.Add(from)); err != nil {
			t.Fatal(err)
		}
	}
	const m = time.Minute
	silence(0, 10*m)
	for _, step := range []struct {
		at   time.Duration
		pct  float64
		want string // descriptions, "|"-separated; "(resolved)" after one that ends
	}{
		{0, 90, ""},
		{2 * m, 90, ""},
		{5 * m, 90, ""},
		{11 * m, 90, "still firing after the silence\nhot"},
		{12 * m, 90, "still firing after the silence\nhot"},
		{12*m + 30*time.Second, 90, ""},
		{13 * m, 90, "still firing after the silence\nhot"}, // under the second silence
		{13*m + 30*time.Second, 10, "still firing after the silence\nhot (resolved)"},
		{20 * m, 10, ""},
	} {
		if step.at == 12*m+30*time.Second {
			silence(step.at, 10*m)
		}
		before := len(am.Seen())
		clk.Set(t0.Add(step.at))
		probe.set(step.pct)
		e.Tick(context.Background(), clk.Now())
		if err := e.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range alertsOf(t, am, before) {
			d := a.Annotations["description"]
			if a.EndsAt != "" {
				d += " (resolved)"
			}
			got = append(got, d)
		}
		if strings.Join(got, "|") != step.want {
			t.Errorf("tick at %s: Alertmanager got %q, want %q", step.at, got, step.want)
		}
	}
}
