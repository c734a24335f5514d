package main

import (
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/email/smtptest"
)

// TestSMTPDownForThreeRuns: the relay refuses every session (421) for three cron runs in
// which a rule fires and then resolves; each run makes one attempt and leaves both
// messages in the outbox. The fourth run, with the relay up, delivers them once each, in
// order: the firing, then its resolve, threaded under one incident, Korean text intact.
func TestSMTPDownForThreeRuns(t *testing.T) {
	srv := smtptest.New(t, smtptest.Options{})
	rules := writeRules(t, map[string]string{"rules.hcl": fmt.Sprintf(`
probe "cpu" { window = "10ms" }
notifier "email" "mail" {
  smtp = %q
  tls  = "none"
  from = "notimon <notimon@example.org>"
  to   = ["ops@example.org"]
}
rule "overload" {
  when     = "cpu.pct >= 0"
  severity = "critical"
  notify "mail" { message = "서버 과부하: {{ rule.name }} {{ rule.state }}" }
  on_resolve {
    notify "mail" { message = "해결됨: {{ rule.name }} ({{ rule.firing_for }})" }
  }
}
`, srv.Addr)})
	setCond := func(v string) {
		src, _ := os.ReadFile(filepath.Join(rules, "rules.hcl"))
		re := regexp.MustCompile(`when     = ".*"`)
		os.WriteFile(filepath.Join(rules, "rules.hcl"), re.ReplaceAll(src, []byte(`when     = "`+v+`"`)), 0o644)
	}
	state := t.TempDir()
	now := fakeClock(t, time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))

	srv.Down()
	for i, cond := range []string{"cpu.pct >= 0", "cpu.pct >= 0", "cpu.pct < 0"} {
		setCond(cond)
		start := time.Now()
		code, _, errOut := notimon(t, "run", "--once", "--state-dir", state, rules)
		if code != exitProblems || !strings.Contains(errOut, "undelivered messages stay in the outbox for the next run") || !strings.Contains(errOut, "421") {
			t.Fatalf("run %d (relay down): exit %d, stderr:\n%s", i+1, code, errOut)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("run %d took %s: it must not wait for a retry", i+1, took)
		}
		if n := len(srv.Messages()); n != 0 {
			t.Fatalf("run %d: %d messages delivered while down", i+1, n)
		}
		*now = now.Add(time.Minute)
	}
	if entries, _ := filepath.Glob(filepath.Join(state, "outbox", "*.json")); len(entries) != 2 {
		t.Fatalf("%d messages in the outbox after three runs, want 2 (the firing and its resolve)", len(entries))
	}

	srv.Up()
	if code, _, errOut := notimon(t, "run", "--once", "--state-dir", state, rules); code != exitOK {
		t.Fatalf("run 4 (relay up): exit %d, stderr:\n%s", code, errOut)
	}
	*now = now.Add(time.Minute)
	if code, _, errOut := notimon(t, "run", "--once", "--state-dir", state, rules); code != exitOK {
		t.Fatalf("run 5: exit %d, stderr:\n%s", code, errOut)
	}
	got := srv.Messages()
	if len(got) != 2 {
		t.Fatalf("%d messages delivered, want 2: each once", len(got))
	}
	want := []struct{ subject, body string }{
		{"] overload firing", "서버 과부하: overload firing"},
		{"] overload resolved", "해결됨: overload (2m0s)"},
	}
	var threads []string
	for i, g := range got {
		m, err := mail.ReadMessage(strings.NewReader(string(g.Data)))
		if err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
		text := strings.TrimSpace(string(body))
		if text != want[i].body || !strings.HasPrefix(subject, "[") || !strings.HasSuffix(subject, want[i].subject) {
			t.Errorf("message %d: subject %q, body %q; want body %q", i+1, subject, text, want[i].body)
		}
		threads = append(threads, m.Header.Get("References"))
	}
	if threads[0] == "" || threads[0] != threads[1] {
		t.Errorf("References %q: the firing and its resolve are not one thread", threads)
	}
	if entries, _ := os.ReadDir(filepath.Join(state, "outbox")); len(entries) != 0 {
		t.Errorf("outbox not empty after delivery: %d entries", len(entries))
	}
}
