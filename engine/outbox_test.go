package engine

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
)

// telegramRules declares the telegram notifier "ops" at srv (each request bounded by 300 ms)
// and a rule that always holds and notifies it.
func telegramRules(t *testing.T, srv *telegramtest.Server) *dsl.Config {
	t.Helper()
	return load(t, fmt.Sprintf(`
notifier "telegram" "ops" {
  token   = %q
  chat_id = %d
  api_url = %q
  timeout = "300ms"
}
rule "r" {
  when = "true"
  notify "ops" { message = "disk 95%%" }
}
`, srv.Token(), telegramtest.DefaultChatID, srv.URL()))
}

// outboxEngine is an engine with the rules of telegramRules, a state directory and a fake
// clock, and no jitter in its backoff, so that a test can step through the schedule.
func outboxEngine(t *testing.T, srv *telegramtest.Server) (*Engine, *store.Store, *clock) {
	t.Helper()
	clk := &clock{now: t0}
	st, err := store.Open(t.TempDir(), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := New(telegramRules(t, srv), Options{Sampler: recorded(probes.Snapshot{}, nil), Store: st, Now: clk.Now})
	e.flush.jitter = func(time.Duration) time.Duration { return 0 }
	return e, st, clk
}

// enqueue puts a message for "ops" in the outbox, as a notify step does.
func enqueue(t *testing.T, st *store.Store, text string) {
	t.Helper()
	if _, err := st.Enqueue("ops", notify.Message{Notifier: "ops", Rule: "r", Text: text, Time: t0}); err != nil {
		t.Fatal(err)
	}
}

// oldest is the first entry of the outbox.
func oldest(t *testing.T, st *store.Store) store.Entry {
	t.Helper()
	pending, err := st.Pending()
	if err != nil || len(pending) == 0 {
		t.Fatalf("outbox: %d entries, %v", len(pending), err)
	}
	return pending[0]
}

// TestRetryBackoffGrows: during an outage each due flush makes one attempt, and the next one
// is due 1 s, 2 s, 4 s … later, at most a minute; a flush before then tries nothing.
func TestRetryBackoffGrows(t *testing.T) {
	srv := telegramtest.New(t, e2eToken)
	e, st, clk := outboxEngine(t, srv)
	srv.Fail(9, telegramtest.ServerError(502))
	enqueue(t, st, "disk 95%")
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second,
		32 * time.Second, time.Minute, time.Minute, time.Minute}
	for i, wait := range want {
		requests := len(srv.Requests())
		if err := e.Flush(context.Background()); err == nil {
			t.Fatalf("attempt %d: delivered during the outage", i+1)
		}
		if n := len(srv.Requests()) - requests; n != 1 {
			t.Fatalf("attempt %d: %d requests, want 1", i+1, n)
		}
		en := oldest(t, st)
		if got := en.NextAttempt.Sub(clk.Now()); en.Attempts != i+1 || got != wait || !en.Retryable {
			t.Fatalf("after attempt %d: attempts %d, next in %s, retryable %v; want %d, %s, true", i+1, en.Attempts, got, en.Retryable, i+1, wait)
		}
		clk.Set(en.NextAttempt.Add(-time.Millisecond))
		if err := e.Flush(context.Background()); err == nil || len(srv.Requests()) != requests+1 {
			t.Fatalf("attempt %d: a flush before the message is due tried it", i+1)
		}
		clk.Set(en.NextAttempt)
	}
	if err := e.Flush(context.Background()); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
	if got := visible(srv.Messages()); got != "disk 95%" {
		t.Errorf("delivered %q, want the message once", got)
	}
	if pending, _ := st.Pending(); len(pending) != 0 {
		t.Errorf("%d messages left in the outbox", len(pending))
	}
}

// TestBackoffJitter: each wait is between half and all of 1 s × 2^(n−1), capped at a
// minute, and varies.
func TestBackoffJitter(t *testing.T) {
	e := New(load(t, `rule "r" { when = "true" }`), Options{})
	for n := 1; n <= 12; n++ {
		top := min(retryBase<<(n-1), retryCap)
		seen := map[time.Duration]bool{}
		for range 200 {
			d := e.backoff(n)
			if d <= top/2 || d > top {
				t.Fatalf("backoff(%d) = %s, want in (%s, %s]", n, d, top/2, top)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("backoff(%d) is always %v: no jitter", n, seen)
		}
	}
}

// TestRetryAfterIsHonouredHoweverLong: Telegram's flood control asks for 10 minutes; the
// message waits that long in the outbox, and a later message for the same notifier waits
// behind it, so they arrive in order once it has passed.
func TestRetryAfterIsHonouredHoweverLong(t *testing.T) {
	srv := telegramtest.New(t, e2eToken)
	e, st, clk := outboxEngine(t, srv)
	srv.Inject(telegramtest.TooManyRequests(600))
	enqueue(t, st, "first")
	if err := e.Flush(context.Background()); err == nil {
		t.Fatal("delivered despite the 429")
	}
	if en := oldest(t, st); !en.NextAttempt.Equal(t0.Add(10*time.Minute)) || !en.Retryable {
		t.Fatalf("next attempt %s (retryable %v), want %s", en.NextAttempt, en.Retryable, t0.Add(10*time.Minute))
	}
	enqueue(t, st, "second")
	clk.Set(t0.Add(10*time.Minute - time.Second))
	err := e.Flush(context.Background())
	if err == nil || len(srv.Requests()) != 1 {
		t.Fatalf("before retry_after: err %v, %d requests; want both waiting, untried", err, len(srv.Requests()))
	}
	if !strings.Contains(err.Error(), `a message for "ops" waits for its next attempt in 1s`) || !strings.Contains(err.Error(), `waits behind an undelivered one`) {
		t.Errorf("Flush = %v", err)
	}
	clk.Set(t0.Add(10 * time.Minute))
	if err := e.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := visible(srv.Messages()); got != "first\n---\nsecond" {
		t.Errorf("delivered %q, want first, second", got)
	}
}

// TestFaultsAreRetriedUntilDelivered: every fault the Bot API plays is survived: the
// outbox tries again on its schedule (retry_after when Telegram gives one) until the
// message is delivered, once, one request per fault and one that succeeds.
func TestFaultsAreRetriedUntilDelivered(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults []telegramtest.Fault
	}{
		{"429 retry_after", []telegramtest.Fault{telegramtest.TooManyRequests(3)}},
		{"500", []telegramtest.Fault{telegramtest.ServerError(500)}},
		{"502 nginx page", []telegramtest.Fault{telegramtest.ServerErrorHTML(502)}},
		{"hang", []telegramtest.Fault{telegramtest.Hang()}},
		{"dropped connection", []telegramtest.Fault{telegramtest.Drop()}},
		{"all of them", []telegramtest.Fault{telegramtest.TooManyRequests(1), telegramtest.ServerError(503), telegramtest.Hang(), telegramtest.Drop()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := telegramtest.New(t, e2eToken)
			e, st, clk := outboxEngine(t, srv)
			srv.Inject(tc.faults...)
			enqueue(t, st, "disk 95%")
			var waits []time.Duration
			for range len(tc.faults) + 1 {
				if err := e.Flush(context.Background()); err == nil {
					break
				}
				en := oldest(t, st)
				waits = append(waits, en.NextAttempt.Sub(clk.Now()))
				clk.Set(en.NextAttempt)
			}
			if got := srv.Messages(); len(got) != 1 || got[0].Visible != "disk 95%" {
				t.Errorf("delivered %+v, want the message once", got)
			}
			if reqs := srv.Requests(); len(reqs) != len(tc.faults)+1 {
				t.Errorf("%d requests, want %d (one per fault, then success)", len(reqs), len(tc.faults)+1)
			}
			if tc.name == "429 retry_after" && (len(waits) != 1 || waits[0] != 3*time.Second) {
				t.Errorf("waited %v, want retry_after = 3s", waits)
			}
			if pending, _ := st.Pending(); len(pending) != 0 {
				t.Errorf("%d messages left in the outbox", len(pending))
			}
		})
	}
}

// TestLongMessageResumesAfterAFailedPart: part 2 of 3 fails; the outbox remembers that part
// 1 was delivered, and the retry sends parts 2 and 3, so the chat reads each part once.
func TestLongMessageResumesAfterAFailedPart(t *testing.T) {
	srv := telegramtest.New(t, e2eToken)
	e, st, clk := outboxEngine(t, srv)
	var b strings.Builder
	for i := 0; b.Len() < 2*telegramtest.MaxMessageLength+100; i++ {
		fmt.Fprintf(&b, "line %d of a long report\n", i)
	}
	enqueue(t, st, b.String())
	srv.FailAt(2, telegramtest.ServerErrorHTML(502))
	if err := e.Flush(context.Background()); err == nil || !strings.Contains(err.Error(), "part 2 of 3 (1 delivered)") {
		t.Fatalf("Flush = %v, want part 2 of 3 failed", err)
	}
	en := oldest(t, st)
	if en.PartsSent != 1 || en.Parts != 3 {
		t.Fatalf("entry records %d of %d parts sent, want 1 of 3", en.PartsSent, en.Parts)
	}
	clk.Set(en.NextAttempt)
	if err := e.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range srv.Messages() {
		got = append(got, m.Visible[:strings.Index(m.Visible, "\n")])
	}
	if strings.Join(got, " ") != "(1/3) (2/3) (3/3)" {
		t.Errorf("the chat reads %q, want each part once, in order", got)
	}
}

// logSignal is a slog handler that closes ch at the first record whose message starts
// with prefix.
type logSignal struct {
	prefix string
	ch     chan struct{}
	once   sync.Once
}

func (h *logSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h *logSignal) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, h.prefix) {
		h.once.Do(func() { close(h.ch) })
	}
	return nil
}
func (h *logSignal) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logSignal) WithGroup(string) slog.Handler      { return h }

// startDaemon runs RunDaemon on the real clock with one tick (the first); it returns the
// engine, its store, the signal of its first failed delivery, and a function that stops the
// daemon and returns RunDaemon's result.
func startDaemon(t *testing.T, srv *telegramtest.Server) (*Engine, *store.Store, <-chan struct{}, func() error) {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	failed := &logSignal{prefix: "delivery failed", ch: make(chan struct{})}
	e := New(telegramRules(t, srv), Options{Sampler: recorded(probes.Snapshot{}, nil), Store: st, Logger: slog.New(failed)})
	first := true
	after := func(time.Duration) <-chan time.Time {
		if first {
			first = false
			return time.After(0)
		}
		return nil // no second tick: only the retry timer can try again
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var result error
	go func() {
		result = e.RunDaemon(ctx, DaemonOptions{Load: func() (*dsl.Config, error) { return nil, nil }, After: after})
		close(done)
	}()
	stop := func() error {
		cancel()
		<-done
		return result
	}
	t.Cleanup(func() { stop() })
	return e, st, failed.ch, stop
}

// TestDaemonRetriesOnItsTimer: a delivery that failed is tried again when it is due, by
// the daemon's retry timer, not at the next tick (here there is none).
func TestDaemonRetriesOnItsTimer(t *testing.T) {
	srv := telegramtest.New(t, e2eToken)
	srv.Inject(telegramtest.ServerError(502))
	_, st, _, _ := startDaemon(t, srv)
	msgs := srv.WaitMessages(t, 1, 20*time.Second)
	if visible(msgs) != "disk 95%" || len(srv.Requests()) != 2 {
		t.Errorf("delivered %q after %d requests, want the message after the 502 and one retry", visible(msgs), len(srv.Requests()))
	}
	// Ack follows the delivery; the outbox is empty once the attempt is over.
	for deadline := time.Now().Add(10 * time.Second); ; {
		if pending, _ := st.Pending(); len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the delivered message stays in the outbox")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStopDuringOutageDoesNotWaitForRetry: the Bot API is down; a stop returns as soon as
// the attempt in progress is over, whatever the schedule (before the single retry layer it
// waited out the notifier's own retries, up to the 30 s grace), and the message stays in the
// outbox for the next start.
func TestStopDuringOutageDoesNotWaitForRetry(t *testing.T) {
	srv := telegramtest.New(t, e2eToken)
	srv.Down()
	e, st, failed, stop := startDaemon(t, srv)
	select {
	case <-failed:
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery failed within 20 s")
	}
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("RunDaemon = %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the stop took %s; it must not wait for a retry", took)
	} else {
		t.Logf("stopped %s after the signal", took.Round(time.Millisecond))
	}
	pending, err := st.Pending()
	if err != nil || len(pending) != 1 || pending[0].Attempts < 1 || !pending[0].Retryable {
		t.Fatalf("outbox after the stop: %+v, %v; want the message, failed and kept", pending, err)
	}
	e.flush.kickMu.Lock()
	armed := e.flush.timer != nil
	e.flush.kickMu.Unlock()
	if armed {
		t.Error("a retry timer is still armed after the stop")
	}
}
