package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
)

// TestTelegram502PageStaysOutOfLogAndOutbox: the Bot API answers every try with nginx's 502
// page. The log and the outbox's last_error say "HTTP 502 Bad Gateway", and nothing of the
// page.
func TestTelegram502PageStaysOutOfLogAndOutbox(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	srv.Fail(100, telegramtest.ServerErrorHTML(502))
	rules := telegramRules(t, srv, `  notify "ops" { message = "disk 95%" }`)
	t.Setenv("NOTIMON_TELEGRAM_TOKEN", srv.Token())
	state := t.TempDir()
	fakeClock(t, time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))

	code, _, errOut := notimon(t, "run", "--once", "--state-dir", state, rules)
	if code != exitProblems {
		t.Fatalf("exit %d, want 1 (undelivered); stderr:\n%s", code, errOut)
	}
	if len(srv.Requests()) == 0 {
		t.Fatal("no request reached the fake Bot API")
	}
	want := `rule "always": notify "ops": telegram: HTTP 502 Bad Gateway`
	if !strings.Contains(errOut, "err="+strconv.Quote(want)) {
		t.Errorf("stderr lacks err=%q:\n%s", want, errOut)
	}
	for _, bad := range []string{"<html", "nginx", "<center>", "decode", testToken} {
		if strings.Contains(errOut, bad) {
			t.Errorf("stderr shows %q:\n%s", bad, errOut)
		}
	}
	entries, _ := filepath.Glob(filepath.Join(state, "outbox", "*.json"))
	if len(entries) != 1 {
		t.Fatalf("%d messages in the outbox, want 1", len(entries))
	}
	b, err := os.ReadFile(entries[0])
	if err != nil {
		t.Fatal(err)
	}
	var entry struct {
		Attempts  int    `json:"attempts"`
		LastError string `json:"last_error"`
	}
	if err := json.Unmarshal(b, &entry); err != nil {
		t.Fatal(err)
	}
	if entry.LastError != want || entry.Attempts != 1 {
		t.Errorf("outbox entry: attempts %d, last_error %q; want 1, %q", entry.Attempts, entry.LastError, want)
	}
}
