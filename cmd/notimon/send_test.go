package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
)

const testToken = "123456789:AAE-cmd-test-secret-token"

// shippedRulesAgainst returns the shipped rules.d with the environment pointing its
// telegram notifier at srv (api_url reads NOTIMON_TELEGRAM_API_URL), and the token and chat
// id in the environment as in production.
func shippedRulesAgainst(t *testing.T, srv *telegramtest.Server) string {
	t.Helper()
	t.Setenv("NOTIMON_TELEGRAM_API_URL", srv.URL())
	t.Setenv("NOTIMON_TELEGRAM_TOKEN", srv.Token())
	t.Setenv("NOTIMON_TELEGRAM_CHAT_ID", fmt.Sprint(telegramtest.DefaultChatID))
	return "../../rules.d"
}

func TestSendThroughShippedRules(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	rules := shippedRulesAgainst(t, srv)
	code, out, errOut := notimon(t, "send", "--config", rules, "hello, world")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if out != "delivered through \"ops\" (telegram)\n" {
		t.Errorf("stdout %q", out)
	}
	if got := srv.Messages(); len(got) != 1 || got[0].Visible != "hello, world" || got[0].ParseMode != "HTML" {
		t.Errorf("delivered %+v", got)
	}
}

func TestSendEscapesAndJoinsLines(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	rules := shippedRulesAgainst(t, srv)
	code, _, errOut := notimon(t, "send", "--config", rules, "--to", "ops", "[web-01 서버]", "zombie: <defunct> & co")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].Visible != "[web-01 서버]\nzombie: <defunct> & co" || got[0].Text != "[web-01 서버]\nzombie: &lt;defunct&gt; &amp; co" {
		t.Errorf("delivered %+v", got)
	}
}

func TestSendLongKoreanFromStdin(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	rules := shippedRulesAgainst(t, srv)
	var b strings.Builder
	for i := 0; len([]rune(b.String())) < 10000; i++ {
		fmt.Fprintf(&b, "%d번 서버의 메모리 사용량이 50%%를 넘었습니다\n", i)
	}
	cmd := newRootCmd(new(strings.Builder), new(strings.Builder))
	cmd.SetIn(strings.NewReader(b.String()))
	cmd.SetArgs([]string{"send", "--config", rules, "-"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) < 2 {
		t.Fatalf("%d parts for %d characters", len(got), len([]rune(b.String())))
	}
	var joined strings.Builder
	for i, m := range got {
		prefix := fmt.Sprintf("(%d/%d)\n", i+1, len(got))
		if !strings.HasPrefix(m.Visible, prefix) {
			t.Fatalf("part %d starts %.20q", i+1, m.Visible)
		}
		joined.WriteString(strings.TrimPrefix(m.Visible, prefix) + "\n")
	}
	if joined.String() != b.String() {
		t.Errorf("the parts do not add up to the input")
	}
}

func TestSendFailures(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	rules := shippedRulesAgainst(t, srv)

	srv.Fail(100, telegramtest.APIError(403, "Forbidden: bot was kicked from the group chat"))
	code, _, errOut := notimon(t, "send", "--config", rules, "hi")
	if code != exitProblems || !strings.Contains(errOut, "message not sent through \"ops\" (telegram)") || !strings.Contains(errOut, "bot was kicked") {
		t.Errorf("kicked bot: exit %d, stderr %q", code, errOut)
	}
	if strings.Contains(errOut, testToken) {
		t.Errorf("the token is shown: %s", errOut)
	}
	if code, _, errOut := notimon(t, "send", "--config", rules, "--to", "nope", "hi"); code != exitUsage || !strings.Contains(errOut, "declared: ops, stdout") {
		t.Errorf("unknown notifier: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := notimon(t, "send", "--config", rules); code != exitUsage {
		t.Errorf("no message: exit %d, want 2", code)
	}
	code, out, _ := notimon(t, "send", "--config", rules, "--to", "stdout", "콘솔로")
	if code != exitOK || !strings.Contains(out, "    콘솔로\n") {
		t.Errorf("console: exit %d, stdout %q", code, out)
	}
}

// telegramRulesAt declares one telegram notifier at apiURL, with the given extra attributes.
func telegramRulesAt(t *testing.T, apiURL, extra string) string {
	t.Helper()
	return writeRules(t, map[string]string{"rules.hcl": fmt.Sprintf(`
notifier "telegram" "ops" {
  token   = %q
  chat_id = %d
  api_url = %q
  %s
}
`, testToken, telegramtest.DefaultChatID, apiURL, extra)})
}

// TestSendFailsFastWhenUnreachable: send has no outbox to fall back on, so when the Bot API
// cannot be reached it gives up within seconds (not an alert's two minutes), says that
// nothing will retry the message, and exits 1.
func TestSendFailsFastWhenUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	for _, tt := range []struct{ name, url, want string }{
		{"connection refused", closed, "connection refused"},
		{"unresolvable host", "http://nonexistent.invalid", "nonexistent.invalid"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rules := telegramRulesAt(t, tt.url, "")
			start := time.Now()
			code, out, errOut := notimon(t, "send", "--config", rules, "hello")
			elapsed := time.Since(start)
			if code != exitProblems || out != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
			}
			for _, want := range []string{`notimon: message not sent through "ops" (telegram) after `, tt.want, "; send has no outbox, so nothing will retry it\n"} {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
			if strings.Contains(errOut, testToken) || strings.Contains(errOut, "gave up for now") {
				t.Errorf("stderr shows the token or promises a retry:\n%s", errOut)
			}
			if elapsed > 15*time.Second {
				t.Errorf("gave up after %s; want at most 15 s", elapsed)
			}
			t.Logf("gave up after %s: %s", elapsed.Round(time.Millisecond), strings.TrimSpace(errOut))
		})
	}
}

// TestSendGivesUpOnAHangingServer: a server that accepts and never answers is given up on
// after sendTimeout, whatever the notifier's own timeout.
func TestSendGivesUpOnAHangingServer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	old := sendTimeout
	sendTimeout = 500 * time.Millisecond
	t.Cleanup(func() { sendTimeout = old })

	rules := telegramRulesAt(t, srv.URL, `timeout = "1h"`)
	start := time.Now()
	code, _, errOut := notimon(t, "send", "--config", rules, "hello")
	if elapsed := time.Since(start); code != exitProblems || elapsed > 10*time.Second || !strings.Contains(errOut, "send has no outbox") {
		t.Errorf("exit %d after %s, stderr:\n%s\nwant 1 after about %s", code, elapsed, errOut, sendTimeout)
	}
}
