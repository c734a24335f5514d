package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/webhook/webhooktest"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/internal/syncbuf"
	"github.com/notimon/notimon/probes"
)

// switchable is a webhook server that answers 500 while down is set, else 204.
func switchable(t *testing.T, down *atomic.Bool) *webhooktest.Server {
	return webhooktest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "backend unavailable", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// hookPosts are the "rule: message" fields of the webhook posts srv received.
func hookPosts(t *testing.T, srv *webhooktest.Server) []string {
	t.Helper()
	var out []string
	for _, r := range srv.Seen() {
		var p struct {
			Rule    string `json:"rule"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatalf("webhook body %q: %v", r.Body, err)
		}
		out = append(out, p.Rule+": "+p.Message)
	}
	return out
}

// healthRules: a rule that notifies "pager" only; "chat" hears of pager's troubles.
func healthRules(t *testing.T, pager, chat string, extra string) *dsl.Config {
	return load(t, fmt.Sprintf(`
settings { notifier_alert_after = "15m" %s }
notifier "webhook" "pager" { url = %q }
notifier "webhook" "chat" { url = %q }
rule "disk" {
  when = "true"
  notify "pager" { message = "disk full" }
}
`, extra, pager, chat))
}

// TestNotifierFailingSelfAlertAcrossCronRuns: cron runs, each a new engine on the same
// state directory, deliver to a notifier that answers 500. The other notifier hears
// nothing for the first 15 minutes (settings.notifier_alert_after), then one self-alert,
// then nothing within the hour while the failure lasts, a second one an hour later, and
// once the failing notifier delivers again one note that it recovered; the pager gets its
// message then. The first failure's time comes from the state file: each run is a new
// engine.
func TestNotifierFailingSelfAlertAcrossCronRuns(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	pager := switchable(t, &down)
	chat := webhooktest.NewServer(t, webhooktest.Status(204, ""))
	cfg := healthRules(t, pager.URL, chat.URL, "")
	dir := t.TempDir()
	run := func(at time.Time) []error {
		t.Helper()
		clk := &clock{now: at}
		st, err := store.Open(dir, store.Options{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		e := New(cfg, Options{Sampler: recorded(probes.Snapshot{}, nil), Store: st, Now: clk.Now})
		e.flush.jitter = func(time.Duration) time.Duration { return 0 }
		if err := e.Restore(); err != nil {
			t.Fatal(err)
		}
		_, errs := e.RunOnce(context.Background(), at)
		return errs
	}
	alerts := func() []string { return hookPosts(t, chat) }

	for _, m := range []time.Duration{0, 5, 10, 14} {
		if errs := run(t0.Add(m * time.Minute)); len(errs) == 0 {
			t.Fatalf("run at +%dm: no error while the pager answers 500", m)
		}
		if got := alerts(); len(got) != 0 {
			t.Fatalf("run at +%dm (before notifier_alert_after): chat got %q", m, got)
		}
	}
	if n := len(pager.Seen()); n != 4 {
		t.Fatalf("the pager saw %d attempts in 4 runs, want 4", n)
	}
	run(t0.Add(15 * time.Minute))
	got := alerts()
	want := `notimon: notimon: notifier "pager" has failed since 2026-11-25 03:00:00 UTC (15m0s)`
	if len(got) != 1 || !strings.HasPrefix(got[0], want) || !strings.Contains(got[0], "500") {
		t.Fatalf("after 15 minutes of failures chat got %q, want one self-alert starting %q and naming the error", got, want)
	}
	for _, m := range []time.Duration{20, 45, 74} {
		run(t0.Add(m * time.Minute))
	}
	if got := alerts(); len(got) != 1 {
		t.Fatalf("within the hour after the self-alert chat got %d messages, want still 1: %q", len(got), got)
	}
	run(t0.Add(75 * time.Minute))
	if got := alerts(); len(got) != 2 || !strings.Contains(got[1], "(1h15m0s)") {
		t.Fatalf("an hour after the first self-alert chat got %q, want a second one (1h15m0s)", got)
	}
	down.Store(false)
	if errs := run(t0.Add(80 * time.Minute)); len(errs) != 0 {
		t.Fatalf("run after the pager recovered: %v", errs)
	}
	got = alerts()
	if len(got) != 3 || !strings.Contains(got[2], `notifier "pager" delivers again (it failed from 2026-11-25 03:00:00 UTC, for 1h20m0s)`) {
		t.Fatalf("after the recovery chat got %q, want a recovery note", got)
	}
	if p := hookPosts(t, pager); p[len(p)-1] != "disk: disk full" {
		t.Errorf("the pager's last post is %q, want the alert", p[len(p)-1])
	}
	// The episode is over: nothing more, and the state file forgets it.
	run(t0.Add(3 * time.Hour))
	if got := alerts(); len(got) != 3 {
		t.Errorf("after the episode chat got %q", got[3:])
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var doc persisted
	if _, err := st.Load(&doc); err != nil || len(doc.Notifiers) != 0 {
		t.Errorf("state file keeps failing notifiers %v (%v) after the recovery", doc.Notifiers, err)
	}
}

// TestNotifierFailingSelfAlertInDaemon: in the daemon the self-alert comes from the
// delivery loop the ticks kick, on the engine's clock; a short outage (recovered before
// notifier_alert_after) says nothing.
func TestNotifierFailingSelfAlertInDaemon(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	pager := switchable(t, &down)
	chat := webhooktest.NewServer(t, webhooktest.Status(204, ""))
	cfg := healthRules(t, pager.URL, chat.URL, "")
	clk := &clock{now: t0}
	st, err := store.Open(t.TempDir(), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logs syncbuf.Buffer
	e := New(cfg, Options{Sampler: recorded(probes.Snapshot{}, nil), Store: st, Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	e.flush.jitter = func(time.Duration) time.Duration { return 0 }
	ticks := make(chan time.Time)
	ticked := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- e.RunDaemon(ctx, DaemonOptions{
			Load:   func() (*dsl.Config, error) { return nil, nil },
			After:  func(time.Duration) <-chan time.Time { return ticks },
			Ticked: func(*Report) { ticked <- struct{}{} },
		})
	}()
	tick := func(at time.Time) {
		t.Helper()
		clk.Set(at)
		ticks <- at
		<-ticked
		if err := e.Wait(context.Background()); err != nil { // the chains the tick started
			t.Fatal(err)
		}
		if err := e.WaitDeliveries(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	tick(t0)
	tick(t0.Add(10 * time.Minute))
	if n := len(pager.Seen()); n < 2 {
		t.Fatalf("the pager saw %d attempts, want at least 2", n)
	}
	if got := hookPosts(t, chat); len(got) != 0 {
		t.Fatalf("chat got %q before notifier_alert_after", got)
	}
	tick(t0.Add(16 * time.Minute))
	if got := hookPosts(t, chat); len(got) != 1 || !strings.Contains(got[0], `notifier "pager" has failed since`) {
		t.Errorf("chat got %q", got)
	}
	if !strings.Contains(logs.String(), "level=ERROR msg=SELF-ALERT") {
		t.Errorf("the self-alert is not logged at ERROR:\n%s", logs.String())
	}
	tick(t0.Add(20 * time.Minute))
	down.Store(false)
	tick(t0.Add(21 * time.Minute))
	if got := hookPosts(t, chat); len(got) != 2 || !strings.Contains(got[1], "delivers again") {
		t.Errorf("chat got %q, want a recovery note", got)
	}
	// A second, short outage says nothing.
	down.Store(true)
	if _, err := st.Enqueue("pager", notify.Message{Notifier: "pager", Rule: "disk", Text: "disk full again", Time: t0}); err != nil {
		t.Fatal(err)
	}
	tick(t0.Add(30 * time.Minute))
	tick(t0.Add(40 * time.Minute))
	down.Store(false)
	tick(t0.Add(44 * time.Minute))
	if n := strings.Count(logs.String(), "notifier delivers again"); n != 2 {
		t.Errorf("%d log lines say the pager delivers again, want 2", n)
	}
	if got := hookPosts(t, chat); len(got) != 2 {
		t.Errorf("a 14-minute outage brought chat %q", got[2:])
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestReloadFailingSelfAlert: reloads that keep failing for notifier_alert_after make the
// daemon tell every notifier, once within the hour; the next good reload, one note.
func TestReloadFailingSelfAlert(t *testing.T) {
	var down atomic.Bool
	pager := switchable(t, &down)
	chat := webhooktest.NewServer(t, webhooktest.Status(204, ""))
	cfg := load(t, fmt.Sprintf(`
settings { notifier_alert_after = "10m" }
notifier "webhook" "pager" { url = %q }
notifier "webhook" "chat" { url = %q }
rule "disk" {
  when = "false"
  notify "pager" { message = "disk full" }
}
`, pager.URL, chat.URL))
	clk := &clock{now: t0}
	st, err := store.Open(t.TempDir(), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := New(cfg, Options{Sampler: recorded(probes.Snapshot{}, nil), Store: st, Now: clk.Now})
	outcomes := make(chan error, 1)
	reload := make(chan struct{})
	reloaded := make(chan struct{})
	ticks := make(chan time.Time)
	ticked := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- e.RunDaemon(ctx, DaemonOptions{
			Load:     func() (*dsl.Config, error) { return nil, <-outcomes },
			Reload:   reload,
			Reloaded: func() { reloaded <- struct{}{} },
			After:    func(time.Duration) <-chan time.Time { return ticks },
			Ticked:   func(*Report) { ticked <- struct{}{} },
		})
	}()
	tick := func(at time.Time) {
		t.Helper()
		clk.Set(at)
		ticks <- at
		<-ticked
		if err := e.Wait(context.Background()); err != nil { // the chains the tick started
			t.Fatal(err)
		}
		if err := e.WaitDeliveries(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	reloadWith := func(at time.Time, err error) {
		t.Helper()
		clk.Set(at)
		outcomes <- err
		reload <- struct{}{}
		<-reloaded
	}
	tick(t0)
	broken := errors.New("rules.d/20-broken.hcl:3:1: error: Unsupported block type\nmore lines")
	reloadWith(t0.Add(time.Minute), broken)
	tick(t0.Add(2 * time.Minute))
	reloadWith(t0.Add(5*time.Minute), broken) // a second broken save: the episode goes on
	tick(t0.Add(10 * time.Minute))
	if n := len(chat.Seen()) + len(pager.Seen()); n != 0 {
		t.Fatalf("%d messages 9 minutes into the failing reloads", n)
	}
	tick(t0.Add(11 * time.Minute))
	both := func(n int) bool { return len(chat.Seen()) == n && len(pager.Seen()) == n }
	if !both(1) {
		t.Fatalf("10 minutes into the failing reloads: chat %d, pager %d messages, want 1 each", len(chat.Seen()), len(pager.Seen()))
	}
	want := `notimon: notimon: reloading the rules has failed since 2026-11-25 03:01:00 UTC (10m0s): rules.d/20-broken.hcl:3:1: error: Unsupported block type.`
	for _, got := range append(hookPosts(t, chat), hookPosts(t, pager)...) {
		if !strings.HasPrefix(got, want) {
			t.Errorf("got %q\nwant %q…", got, want)
		}
	}
	tick(t0.Add(30 * time.Minute))
	tick(t0.Add(70 * time.Minute))
	if !both(1) {
		t.Errorf("within the hour: chat %d, pager %d messages, want 1 each", len(chat.Seen()), len(pager.Seen()))
	}
	tick(t0.Add(72 * time.Minute))
	if !both(2) {
		t.Fatalf("an hour after the self-alert: chat %d, pager %d messages, want 2 each", len(chat.Seen()), len(pager.Seen()))
	}
	reloadWith(t0.Add(80*time.Minute), nil) // valid again
	tick(t0.Add(81 * time.Minute))
	if !both(3) {
		t.Fatalf("after the good reload: chat %d, pager %d messages, want 3 each", len(chat.Seen()), len(pager.Seen()))
	}
	if got := hookPosts(t, chat); !strings.Contains(got[2], "reloading the rules works again (it failed from 2026-11-25 03:01:00 UTC, for 1h19m0s)") {
		t.Errorf("chat got %q, want a recovery note", got[2])
	}
	var doc persisted
	if _, err := st.Load(&doc); err != nil || doc.Reload == nil || !doc.Reload.OK || !doc.Reload.FailingSince.IsZero() {
		t.Errorf("last_reload %+v (%v)", doc.Reload, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
