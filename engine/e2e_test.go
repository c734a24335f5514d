package engine

import (
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/host"
	"github.com/notimon/notimon/probes/mem"
)

const e2eToken = "123456789:AAE-engine-e2e-secret"

// clock is a fake clock that wait steps advance instantly.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}
func (c *clock) SleepUntil(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	c.mu.Unlock()
	return ctx.Err()
}

// shippedRules loads the shipped rules.d with the telegram notifier pointed at srv.
func shippedRules(t *testing.T, srv *telegramtest.Server) *dsl.Config {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"00-notimon.hcl", "10-overload.hcl"} {
		src, err := os.ReadFile(filepath.Join("../rules.d", name))
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(src), `# api_url  = "http://127.0.0.1:8081"`, fmt.Sprintf("api_url    = %q", srv.URL()), 1)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"NOTIMON_TELEGRAM_TOKEN": srv.Token(), "NOTIMON_TELEGRAM_CHAT_ID": fmt.Sprint(telegramtest.DefaultChatID)}
	cfg, diags := dsl.Load([]string{dir}, dsl.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if len(diags) > 0 {
		t.Fatalf("rules: %v", diags)
	}
	return cfg
}

// TestShippedOverloadChain: the overload rule fires after `for`, sends its message, runs its
// command for real (the top processes, from ps), sends them in the renotify message, and
// resolves once.
func TestShippedOverloadChain(t *testing.T) {
	srv := telegramtest.New(t, e2eToken)
	cfg := shippedRules(t, srv)
	clk := &clock{now: t0}
	var firedAt time.Time
	// Recorded values: cpu is high until a minute after the rule fires, then low.
	sampler := probes.SamplerFunc(func(_ context.Context, now time.Time, _ []probes.Ref) *probes.Snapshot {
		avg := 80.0
		if !firedAt.IsZero() && !now.Before(firedAt.Add(time.Minute)) {
			avg = 20
		}
		return &probes.Snapshot{Time: now, Host: host.Values{Name: "web-01"}, CPU: cpu.Values{Avg3: avg}, Mem: mem.Values{RealPct: 30}}
	})
	st, err := store.Open(t.TempDir(), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := New(cfg, Options{Sampler: sampler, Store: st, Now: clk.Now, SleepUntil: clk.SleepUntil})

	tick := func(at time.Duration) *Report {
		clk.Set(t0.Add(at))
		rep := e.Tick(context.Background(), t0.Add(at))
		if err := e.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := e.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if errs := e.Errs(); len(errs) > 0 {
			t.Fatalf("errors: %v", errs)
		}
		return rep
	}
	for _, at := range []time.Duration{0, time.Minute} {
		if rep := tick(at); rep.Verdicts[0].State != Pending || len(srv.Messages()) != 0 {
			t.Fatalf("t0+%s: state %s, %d messages; want pending and none", at, rep.Verdicts[0].State, len(srv.Messages()))
		}
	}
	firedAt = t0.Add(2 * time.Minute)
	if rep := tick(2 * time.Minute); rep.Verdicts[0].Event != Fired {
		t.Fatalf("t0+2m: event %s, want fired", rep.Verdicts[0].Event)
	}
	got := srv.Messages()
	first := "[web-01 server]\ncpu usage is over its limit (50%)\ncpu usage: 80%\nmemory usage: 30%"
	// The report: both tables from ps (a header and up to 5 processes each), when this
	// machine has ps; without it, the shell's pipeline still prints the two titles.
	table := `\s+PID USER\s+%CPU %MEM COMMAND\n(.+\n){1,5}`
	if _, err := osexec.LookPath("ps"); err != nil {
		t.Logf("no ps on this machine: the report has the titles only")
		table = ""
	}
	report := regexp.MustCompile(`^\[web-01 server\] top processes\ncpu usage: 80%\nmemory usage: 30%\ntop 5 by cpu:\n` + table + `top 5 by memory:\n` + table + `$`)
	if len(got) != 2 || got[0].Visible != first || !report.MatchString(got[1].Visible+"\n") {
		t.Fatalf("messages after firing:\n%s\nwant:\n%s\n---\n%s", visible(got), first, report)
	}
	if got[1].ParseMode != "HTML" || !strings.Contains(got[1].Text, "<pre>top 5 by cpu:\n") {
		t.Errorf("the report is not preformatted HTML: %q", got[1].Text)
	}
	tick(3 * time.Minute) // cpu is 20 now: resolves
	tick(4 * time.Minute)
	got = srv.Messages()
	if len(got) != 3 || got[2].Visible != "[web-01 server] overload resolved after 1m0s" {
		t.Fatalf("messages after resolving:\n%s", visible(got))
	}
	if pending, _ := st.Pending(); len(pending) != 0 {
		t.Errorf("%d messages left in the outbox", len(pending))
	}
}

func visible(msgs []telegramtest.Message) string {
	var s []string
	for _, m := range msgs {
		s = append(s, m.Visible)
	}
	return strings.Join(s, "\n---\n")
}

// TestOutboxExpiry: a message that stays undeliverable past settings.outbox_max_age is
// dropped, loudly, and reported.
func TestOutboxExpiry(t *testing.T) {
	srv := telegramtest.New(t, e2eToken)
	cfg := load(t, fmt.Sprintf(`
settings { outbox_max_age = "1h" }
notifier "telegram" "ops" {
  token   = %q
  chat_id = %d
  api_url = %q
}
rule "r" {
  when = "true"
  notify "ops" { message = "lost" }
}
`, srv.Token(), telegramtest.DefaultChatID, srv.URL()))
	clk := &clock{now: t0}
	st, err := store.Open(t.TempDir(), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := New(cfg, Options{Sampler: recorded(probes.Snapshot{}, nil), Store: st, Now: clk.Now})
	srv.Down()
	e.Tick(context.Background(), t0)
	e.Wait(context.Background())
	if err := e.Flush(context.Background()); err == nil {
		t.Fatal("delivered while the server is down")
	}
	e.Errs()
	clk.Set(t0.Add(61 * time.Minute))
	srv.Up()
	if err := e.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	errs := e.Errs()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `a message for "ops" created 2026-11-25 03:00:00 was dropped undelivered`) {
		t.Errorf("errors = %v", errs)
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("an expired message was delivered")
	}
	if pending, _ := st.Pending(); len(pending) != 0 {
		t.Errorf("%d messages left", len(pending))
	}
}

// TestRejectedMessageDoesNotBlockOthers: a message Telegram refuses (a 400) is kept and
// retried later, on its schedule, but the messages after it are delivered meanwhile.
func TestRejectedMessageDoesNotBlockOthers(t *testing.T) {
	srv := telegramtest.New(t, e2eToken)
	cfg := load(t, fmt.Sprintf(`
notifier "telegram" "ops" {
  token   = %q
  chat_id = %d
  api_url = %q
}
rule "r" {
  when = "true"
  notify "ops" { message = "first" }
  notify "ops" { message = "second" }
}
`, srv.Token(), telegramtest.DefaultChatID, srv.URL()))
	clk := &clock{now: t0}
	st, err := store.Open(t.TempDir(), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv.FailAt(1, telegramtest.APIError(400, "Bad Request: something about this message"))
	e := New(cfg, Options{Sampler: recorded(probes.Snapshot{}, nil), Store: st, Now: clk.Now})
	// Queue both messages as two notify steps would, then deliver them in one flush.
	for _, text := range []string{"first", "second"} {
		if _, err := st.Enqueue("ops", notify.Message{Notifier: "ops", Rule: "r", Text: text, Time: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Flush(context.Background()); err == nil {
		t.Fatal("the refused message was not reported")
	}
	if got := visible(srv.Messages()); got != "second" {
		t.Fatalf("delivered %q, want the second message despite the refused first", got)
	}
	// Not tried again before its first backoff (at most 1 s), then delivered.
	if err := e.Flush(context.Background()); err == nil || len(srv.Requests()) != 2 {
		t.Fatalf("a flush at once: err %v after %d requests; want the first still waiting, untried", err, len(srv.Requests()))
	}
	clk.Set(t0.Add(retryBase))
	if err := e.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := visible(srv.Messages()); got != "second\n---\nfirst" {
		t.Errorf("delivered %q, want the first one once it is due", got)
	}
}
