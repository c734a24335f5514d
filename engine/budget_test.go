package engine

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
)

// TestMessageForRemovedNotifierIsDroppedOnce: a message queued for a notifier the rules no
// longer declare is dropped at the first flush, with an ERROR naming the message's rule
// and time and the notifier, and one error for that run; later flushes are clean, and the
// messages of declared notifiers are delivered meanwhile.
func TestMessageForRemovedNotifierIsDroppedOnce(t *testing.T) {
	srv := telegramtest.New(t, e2eToken)
	clk := &clock{now: t0}
	st, err := store.Open(t.TempDir(), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var logs bytes.Buffer
	e := New(telegramRules(t, srv), Options{Sampler: recorded(probes.Snapshot{}, nil), Store: st, Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if _, err := st.Enqueue("pager", notify.Message{Notifier: "pager", Rule: "disk", Text: "stranded", Time: t0}); err != nil {
		t.Fatal(err)
	}
	enqueue(t, st, "disk 95%")

	if err := e.Flush(context.Background()); err != nil {
		t.Fatalf("first flush: %v", err)
	}
	errs := e.Errs()
	want := `outbox: the message of rule "disk" at 2026-11-25 03:00:00 for notifier "pager" was dropped undelivered: notifier "pager" is no longer in the rules`
	if len(errs) != 1 || errs[0].Error() != want {
		t.Errorf("errors = %v\nwant one: %s", errs, want)
	}
	line := ""
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, "no longer in the rules") {
			line = l
		}
	}
	for _, part := range []string{"level=ERROR", "OUTBOX: MESSAGE DROPPED UNDELIVERED", "rule=disk", "notifier=pager", "time=2026-11-25T03:00:00"} {
		if !strings.Contains(line, part) {
			t.Errorf("log line %q lacks %q", line, part)
		}
	}
	if got := visible(srv.Messages()); got != "disk 95%" {
		t.Errorf("delivered %q, want the declared notifier's message", got)
	}
	if pending, _ := st.Pending(); len(pending) != 0 {
		t.Errorf("%d messages left in the outbox", len(pending))
	}
	if err := e.Flush(context.Background()); err != nil {
		t.Errorf("second flush: %v", err)
	}
	if errs := e.Errs(); len(errs) != 0 {
		t.Errorf("second flush recorded %v", errs)
	}
}

// TestRunOnceOneAttemptPerMessage: in a cron run each message gets one attempt, and all
// attempts together stay within settings.delivery_budget. The notifier's own timeout
// (300 ms) ends the first attempt (the budget is the default 30 s); the message is not tried again in that run even once
// it is due, and stays queued; the next run delivers it.
func TestRunOnceOneAttemptPerMessage(t *testing.T) {
	srv := telegramtest.New(t, e2eToken)
	e, st, clk := outboxEngine(t, srv)
	srv.Fail(1, telegramtest.Hang())
	enqueue(t, st, "disk 95%")
	// The rule notifies too: a second message, behind the first.
	_, errs := e.RunOnce(context.Background(), t0)
	if len(errs) == 0 {
		t.Fatal("the run reports no problem while the service hangs")
	}
	// One attempt: the entry counts it. The fake server may not have seen it when the
	// 300 ms timeout ends it before the request arrives (a loaded machine), never twice.
	n := len(srv.Requests())
	if n > 1 {
		t.Errorf("%d requests in the run, want 1 (one attempt, then the notifier's messages wait)", n)
	}
	if en := oldest(t, st); en.Attempts != 1 || !en.Retryable {
		t.Errorf("after the run: attempts %d, retryable %v; want 1, true", en.Attempts, en.Retryable)
	}
	// Due again, but in the same run: a flush (as RunOnce's own) must not try it again.
	clk.Set(t0.Add(time.Hour))
	e.flush.once = &onceRun{budget: time.Minute, left: time.Minute, failed: map[string]bool{oldest(t, st).ID: true}}
	if err := e.Flush(context.Background()); err == nil || len(srv.Requests()) != n {
		t.Errorf("a message that failed in this run was tried again (%d requests, %v)", len(srv.Requests()), err)
	}
	e.flush.once = nil
	// The next run (the rule still holds: no new message) delivers both.
	if _, errs := e.RunOnce(context.Background(), t0.Add(time.Hour)); len(errs) != 0 {
		t.Fatalf("next run: %v", errs)
	}
	if got := visible(srv.Messages()); got != "disk 95%\n---\ndisk 95%" {
		t.Errorf("delivered %q, want both messages once", got)
	}
}

// TestRunOnceBudgetIsSpent: a budget smaller than the notifier's timeout cuts the attempt
// when it is spent; the message stays queued.
func TestRunOnceBudgetIsSpent(t *testing.T) {
	srv := telegramtest.New(t, e2eToken)
	cfg := load(t, fmt.Sprintf(`
settings { delivery_budget = "200ms" }
notifier "telegram" "ops" {
  token   = %q
  chat_id = %d
  api_url = %q
  timeout = "1m"
}
rule "r" {
  when = "true"
  notify "ops" { message = "disk 95%%" }
}
`, srv.Token(), telegramtest.DefaultChatID, srv.URL()))
	clk := &clock{now: t0}
	st, err := store.Open(t.TempDir(), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := New(cfg, Options{Sampler: recorded(probes.Snapshot{}, nil), Store: st, Now: clk.Now})
	srv.Fail(1, telegramtest.Hang())
	start := time.Now()
	_, errs := e.RunOnce(context.Background(), t0)
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("the run took %s with a 200ms delivery budget", el)
	}
	joined := fmt.Sprint(errs)
	if !strings.Contains(joined, "undelivered messages stay in the outbox") {
		t.Errorf("errors = %v", errs)
	}
	if pending, _ := st.Pending(); len(pending) != 1 {
		t.Errorf("%d messages queued, want 1", len(pending))
	}
	clk.Set(t0.Add(time.Hour))
	if _, errs := e.RunOnce(context.Background(), t0.Add(time.Hour)); len(errs) != 0 {
		t.Fatalf("next run: %v", errs)
	}
	if got := visible(srv.Messages()); got != "disk 95%" {
		t.Errorf("delivered %q, want the message", got)
	}
}
