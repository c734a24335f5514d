package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
)

// TestDaemonStopDuringOutage runs the real binary as a daemon while the Bot API is down. A
// SIGTERM after a failed delivery stops it at once: the message waits in the outbox, not in
// a retry sleep (before the outbox owned the retries, this stop took the whole 30 s grace).
// The next start delivers the message.
func TestDaemonStopDuringOutage(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	rules := telegramRules(t, srv, `  notify "ops" { message = "disk 95%" }`)
	state := t.TempDir()
	srv.Down()

	d := startDaemon(t, rules, state, srv)
	d.waitLog(0, "delivery failed; kept in the outbox, the notifier's later messages wait behind it", 20*time.Second)
	start := time.Now()
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("the daemon exited with %v:\n%s", err, d.log())
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("no exit within 40 s of SIGTERM:\n%s", d.log())
	}
	took := time.Since(start)
	if took > 5*time.Second {
		t.Errorf("the stop took %s during the outage; it must not wait for a retry", took)
	}
	t.Logf("stopped %s after SIGTERM during the outage", took.Round(time.Millisecond))

	entries, _ := filepath.Glob(filepath.Join(state, "outbox", "*.json"))
	if len(entries) != 1 {
		t.Fatalf("%d messages in the outbox after the stop, want 1", len(entries))
	}
	b, err := os.ReadFile(entries[0])
	if err != nil {
		t.Fatal(err)
	}
	var entry struct {
		Attempts    int       `json:"attempts"`
		NextAttempt time.Time `json:"next_attempt"`
	}
	if err := json.Unmarshal(b, &entry); err != nil || entry.Attempts < 1 || entry.NextAttempt.IsZero() {
		t.Errorf("outbox entry %s: %+v, %v; want a failed attempt and the next one scheduled", b, entry, err)
	}

	srv.Up()
	d2 := startDaemon(t, rules, state, srv)
	waitText(t, srv, "disk 95%", 20*time.Second)
	d2.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-d2.done; err != nil {
		t.Fatalf("second daemon: %v\n%s", err, d2.log())
	}
	if got := visibleTexts(srv.Messages()); len(got) != 1 {
		t.Errorf("delivered %q, want the message once", got)
	}
}

// TestSendRetriesBriefly: send, which has no outbox, makes up to 3 attempts, 1 s and 2 s
// apart, and stops at once when Telegram asks for a longer wait than it can give.
func TestSendRetriesBriefly(t *testing.T) {
	t.Run("two 502s, then delivered", func(t *testing.T) {
		srv := telegramtest.New(t, testToken)
		srv.Fail(2, telegramtest.ServerErrorHTML(502))
		rules := shippedRulesAgainst(t, srv)
		start := time.Now()
		code, out, errOut := notimon(t, "send", "--config", rules, "hi")
		took := time.Since(start)
		if code != exitOK || !strings.Contains(out, `delivered through "ops"`) {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		if n := len(srv.Requests()); n != 3 || len(srv.Messages()) != 1 || took < 3*time.Second {
			t.Errorf("%d requests, %d messages after %s; want 3 attempts, 1 + 2 s apart, one message", n, len(srv.Messages()), took)
		}
	})
	t.Run("three 502s: not sent", func(t *testing.T) {
		srv := telegramtest.New(t, testToken)
		srv.Fail(100, telegramtest.ServerErrorHTML(502))
		rules := shippedRulesAgainst(t, srv)
		code, _, errOut := notimon(t, "send", "--config", rules, "hi")
		if code != exitProblems || !strings.Contains(errOut, "telegram: HTTP 502 Bad Gateway; send has no outbox") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
		if n := len(srv.Requests()); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
	})
	t.Run("retry_after beyond the time send has", func(t *testing.T) {
		srv := telegramtest.New(t, testToken)
		srv.Inject(telegramtest.TooManyRequests(60))
		rules := shippedRulesAgainst(t, srv)
		start := time.Now()
		code, _, errOut := notimon(t, "send", "--config", rules, "hi")
		if code != exitProblems || !strings.Contains(errOut, "retry after 60") || time.Since(start) > 5*time.Second {
			t.Errorf("exit %d after %s, stderr %q; want 1 at once, naming the retry_after", code, time.Since(start), errOut)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
}
