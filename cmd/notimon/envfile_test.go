package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
)

func writeEnvFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadEnvFile(t *testing.T) {
	path := writeEnvFile(t, "# notimon's credentials\r\n"+
		"; a comment, as systemd allows\n"+
		"\n"+
		"NOTIMON_TELEGRAM_TOKEN=123456:AAE-secret\r\n"+
		"  NOTIMON_TELEGRAM_CHAT_ID = -1001234567890  \n"+
		"export API_URL=\"http://127.0.0.1:8081\"\n"+
		"QUOTED=\"a \\\"b\\\" \\\\ \\$HOME \\n # not a comment\"\n"+
		"SINGLE='it is $literal \\n'\n"+
		"EMPTY=\n"+
		"URL_WITH_HASH=http://x/#frag\n"+
		"TWICE=first\n"+
		"TWICE=second\n")
	got, err := readEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"NOTIMON_TELEGRAM_TOKEN":   "123456:AAE-secret",
		"NOTIMON_TELEGRAM_CHAT_ID": "-1001234567890",
		"API_URL":                  "http://127.0.0.1:8081",
		"QUOTED":                   `a "b" \ $HOME \n # not a comment`,
		"SINGLE":                   `it is $literal \n`,
		"EMPTY":                    "",
		"URL_WITH_HASH":            "http://x/#frag",
		"TWICE":                    "second",
	}
	if !maps.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestReadEnvFileErrors: a bad line is an error naming the file and the line, and never
// the line's text: it may hold a secret.
func TestReadEnvFileErrors(t *testing.T) {
	const secret = "123456:AAE-do-not-print"
	for _, tt := range []struct {
		line, want string
	}{
		{secret, ":2: not a KEY=VALUE line (no '=')"},
		{"export " + secret, ":2: not a KEY=VALUE line (no '=')"},
		{"1TOKEN=" + secret, ":2: invalid variable name before '='"},
		{"NOTIMON TOKEN=" + secret, ":2: invalid variable name before '='"},
		{"TOKEN=\"" + secret, `:2: variable TOKEN: the quoted value has no closing " (values spanning lines are not supported)`},
		{"TOKEN='" + secret, ":2: variable TOKEN: the quoted value has no closing '"},
		{"TOKEN=\"" + secret + "\" trailing", ":2: variable TOKEN: text after the closing quote"},
	} {
		path := writeEnvFile(t, "# first line\n"+tt.line+"\n")
		_, err := readEnvFile(path)
		if err == nil || !strings.Contains(err.Error(), "--env-file "+path+tt.want) {
			t.Errorf("%q: error %v, want %q", tt.line, err, path+tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "do-not-print") {
			t.Errorf("%q: the error shows the value: %v", tt.line, err)
		}
	}
	_, err := readEnvFile(filepath.Join(t.TempDir(), "missing"))
	if err == nil || !strings.Contains(err.Error(), "--env-file: open ") || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("missing file: %v", err)
	}
}

// TestEnvFileOnEveryCommand: run, send, test and validate read env("NAME") from the file;
// a missing file or a bad line stops them with exit 1, and no value is printed.
func TestEnvFileOnEveryCommand(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	rules := writeRules(t, map[string]string{"rules.hcl": fmt.Sprintf(`
probe "cpu" { window = "10ms" }
notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = env("NOTIMON_TELEGRAM_CHAT_ID")
  api_url = %q
}
rule "always" {
  when = "cpu.pct >= 0"
  notify "ops" { message = "from cron" }
}
`, srv.URL())})
	// The file's values win over the process environment; cron's has neither.
	t.Setenv("NOTIMON_TELEGRAM_TOKEN", "999:wrong-token")
	t.Setenv("NOTIMON_TELEGRAM_CHAT_ID", "")
	os.Unsetenv("NOTIMON_TELEGRAM_CHAT_ID")
	env := writeEnvFile(t, fmt.Sprintf("NOTIMON_TELEGRAM_TOKEN=%s\nNOTIMON_TELEGRAM_CHAT_ID=%d\n", srv.Token(), telegramtest.DefaultChatID))

	code, out, errOut := notimon(t, "validate", "--env-file", env, rules)
	if code != exitOK || strings.Contains(out, "warning") {
		t.Errorf("validate: exit %d, want 0 and no warning about unset variables:\n%s%s", code, out, errOut)
	}
	code, out, errOut = notimon(t, "run", "--once", "--env-file", env, "--state-dir", filepath.Join(t.TempDir(), "state"), rules)
	if code != exitOK || out != "" || errOut != "" {
		t.Errorf("run --once: exit %d, stdout %q, stderr %q; want 0 and silence (cron mails any output)", code, out, errOut)
	}
	code, out, errOut = notimon(t, "send", "--env-file", env, "--config", rules, "by hand")
	if code != exitOK {
		t.Errorf("send: exit %d\n%s%s", code, out, errOut)
	}
	if got := srv.Messages(); len(got) != 2 || got[0].Visible != "from cron" || got[1].Visible != "by hand" {
		t.Errorf("delivered %+v", got)
	}

	// Without the file, the same run warns and cannot deliver.
	code, _, errOut = notimon(t, "run", "--once", "--state-dir", t.TempDir(), rules)
	if code != exitProblems || !strings.Contains(errOut, `NOTIMON_TELEGRAM_CHAT_ID`) {
		t.Errorf("run without --env-file: exit %d, stderr:\n%s", code, errOut)
	}

	bad := writeEnvFile(t, "NOTIMON_TELEGRAM_TOKEN "+srv.Token()+"\n")
	missing := filepath.Join(t.TempDir(), "nope")
	for _, args := range [][]string{
		{"run", "--once", "--state-dir", t.TempDir(), rules},
		{"run", "--state-dir", t.TempDir(), rules},
		{"send", "--config", rules, "hi"},
		{"validate", rules},
		{"test", rules},
	} {
		for _, file := range []string{bad, missing} {
			a := append([]string{args[0], "--env-file", file}, args[1:]...)
			code, out, errOut := notimon(t, a...)
			if code != exitProblems || !strings.Contains(errOut, "notimon: --env-file") {
				t.Errorf("%v: exit %d, stderr %q; want 1 and the file named", a, code, errOut)
			}
			if strings.Contains(out+errOut, srv.Token()) {
				t.Errorf("%v printed the token:\n%s%s", a, out, errOut)
			}
		}
	}
	if got := len(srv.Messages()); got != 2 {
		t.Errorf("%d messages after the failures, want still 2", got)
	}
}

// TestTestWithEnvFile: notimon test reads the env file under each test's own env.
func TestTestWithEnvFile(t *testing.T) {
	dir := writeRules(t, map[string]string{
		"rules.hcl": `
notifier "console" "ops" {}
locals { where = env("SITE_NAME") }
rule "high" {
  when = "cpu.avg3 > 50"
  notify "ops" { message = "cpu high at ${local.where}" }
}
`,
		"rules_test.hcl": `
test "from the env file" {
  input "cpu.avg3" { values = "90" }
  expect {
    at     = "0s"
    notify "ops" { text = "cpu high at seoul" }
  }
}
test "the test's env wins" {
  env = { SITE_NAME = "busan" }
  input "cpu.avg3" { values = "90" }
  expect {
    at     = "0s"
    notify "ops" { text = "cpu high at busan" }
  }
}
`,
	})
	t.Setenv("SITE_NAME", "from the process environment, never read by a test")
	env := writeEnvFile(t, "SITE_NAME=seoul\n")
	code, out, errOut := notimon(t, "test", "--env-file", env, dir)
	if code != exitOK || lastLine(out) != "2 passed, 0 failed" {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}
	code, out, _ = notimon(t, "test", dir)
	if code != exitProblems || lastLine(out) != "1 passed, 1 failed" {
		t.Errorf("without the file: exit %d, want the first test to fail:\n%s", code, out)
	}
}

// TestDaemonWithEnvFile: the daemon reads env("NAME") from --env-file too, in an environment
// that has none of the variables (as under systemd without EnvironmentFile=).
func TestDaemonWithEnvFile(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	rules := writeRules(t, map[string]string{"rules.hcl": fmt.Sprintf(`
settings { interval = "1s" }
notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = env("NOTIMON_TELEGRAM_CHAT_ID")
  api_url = %q
}
rule "up" {
  when = "host.cores > 0"
  notify "ops" { message = "daemon up" }
}
`, srv.URL())})
	env := writeEnvFile(t, fmt.Sprintf("export NOTIMON_TELEGRAM_TOKEN='%s'\nexport NOTIMON_TELEGRAM_CHAT_ID=%d\n", srv.Token(), telegramtest.DefaultChatID))
	cmd := exec.Command(binary(t), "run", "--env-file", env, "--state-dir", filepath.Join(t.TempDir(), "state"), rules)
	cmd.Env = cronEnv
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	got := srv.WaitMessages(t, 1, 30*time.Second)
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if len(got) != 1 || got[0].Visible != "daemon up" || err != nil {
		t.Errorf("delivered %+v; exit %v; output:\n%s", got, err, out.String())
	}
	if strings.Contains(out.String(), srv.Token()) || strings.Contains(out.String(), "not set") {
		t.Errorf("the log shows the token or a missing variable:\n%s", out.String())
	}
}
