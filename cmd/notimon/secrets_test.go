package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
	"github.com/notimon/notimon/internal/syncbuf"
)

// TestSecretsNeverLeak gives notimon a token through env() and another one in a broken line
// (a misspelt attribute), runs validate, a cron run and a daemon that reloads the broken
// file, all at debug level, and greps everything they leave behind for either token:
// stdout, stderr, the state directory (state.json's last_reload, the outbox) and the
// environment of exec steps, with and without inherit_env.
func TestSecretsNeverLeak(t *testing.T) {
	srv := telegramtest.New(t, testToken)
	const brokenToken = "555444:BROKEN-LINE-FAKE-TOKEN"
	work := t.TempDir()
	good := fmt.Sprintf(`
settings { interval = "200ms" }
probe "cpu" { window = "10ms" }
notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = %d
  api_url = %q
}
rule "always" {
  when = "cpu.pct >= 0"
  notify "ops" { message = "fired" }
  exec {
    shell   = "env > %s/clean.env"
    timeout = "10s"
  }
  exec {
    shell       = "env > %s/inherit.env"
    timeout     = "10s"
    inherit_env = true
  }
}
`, telegramtest.DefaultChatID, srv.URL(), work, work)
	broken := fmt.Sprintf(`notifier "telegram" "backup" {
  tokn    = %q
  chat_id = 1
}
`, brokenToken)
	env := append(os.Environ(), "NOTIMON_TELEGRAM_TOKEN="+srv.Token(), "NOTIMON_TEST_OTHER=visible")
	var outputs bytes.Buffer
	runBin := func(args ...string) {
		cmd := exec.Command(binary(t), args...)
		cmd.Env = env
		out, _ := cmd.CombinedOutput()
		outputs.Write(out)
	}

	// validate and a cron run of the broken rules.
	brokenDir := writeRules(t, map[string]string{"00-good.hcl": good, "20-broken.hcl": broken})
	runBin("validate", brokenDir)
	if !strings.Contains(outputs.String(), `An argument named "tokn" is not expected here.`) {
		t.Fatalf("validate does not report the broken line:\n%s", outputs.String())
	}
	cronState := filepath.Join(work, "cron-state")
	runBin("run", "--once", "--log-level", "debug", "--state-dir", cronState, brokenDir)

	// A cron run of the good rules: sends, runs both exec steps.
	goodDir := writeRules(t, map[string]string{"00-good.hcl": good})
	runBin("run", "--once", "--log-level", "debug", "--state-dir", cronState, goodDir)
	for _, f := range []string{"clean.env", "inherit.env"} {
		if _, err := os.Stat(filepath.Join(work, f)); err != nil {
			t.Fatalf("the exec step did not run: %v\n%s", err, outputs.String())
		}
	}
	clean, _ := os.ReadFile(filepath.Join(work, "clean.env"))
	inherit, _ := os.ReadFile(filepath.Join(work, "inherit.env"))
	if strings.Contains(string(clean), "NOTIMON_TEST_OTHER") || !strings.Contains(string(clean), "NOTIMON_RULE=always") {
		t.Errorf("the clean environment is not clean or lacks the alert context:\n%s", clean)
	}
	if !strings.Contains(string(inherit), "NOTIMON_TEST_OTHER=visible") {
		t.Errorf("inherit_env = true does not pass notimon's environment on:\n%s", inherit)
	}
	for _, b := range [][]byte{clean, inherit} {
		if bytes.Contains(b, []byte("NOTIMON_TELEGRAM_TOKEN")) {
			t.Errorf("an exec step saw the variable the token was read from:\n%s", b)
		}
	}

	// A daemon that reloads the broken file.
	daemonState := filepath.Join(work, "daemon-state")
	cmd := exec.Command(binary(t), "run", "--log-level", "debug", "--state-dir", daemonState, goodDir)
	cmd.Env = env
	var daemonOut syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &daemonOut, &daemonOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, 20*time.Second, "the daemon to start", func() bool { return strings.Contains(daemonOut.String(), "notimon started") })
	atomicWrite(t, filepath.Join(goodDir, "20-broken.hcl"), broken)
	waitFor(t, 10*time.Second, "the failed reload in state.json", func() bool {
		b, _ := os.ReadFile(filepath.Join(daemonState, "state.json"))
		return bytes.Contains(b, []byte("tokn"))
	})
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	outputs.WriteString(daemonOut.String())
	if !strings.Contains(daemonOut.String(), "reload failed") {
		t.Errorf("the daemon did not log the failed reload:\n%s", daemonOut.String())
	}

	// Everything a run leaves behind.
	sources := map[string][]byte{"stdout and stderr": outputs.Bytes(), "clean.env": clean, "inherit.env": inherit}
	files := 0
	for _, dir := range []string{cronState, daemonState} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				b, _ := os.ReadFile(p)
				sources[p] = b
				files++
			}
			return nil
		})
	}
	if files < 2 {
		t.Errorf("the state directories hold %d files; want at least both state.json", files)
	}
	for name, b := range sources {
		for _, secret := range []string{brokenToken, srv.Token()} {
			if n := bytes.Count(b, []byte(secret)); n > 0 {
				t.Errorf("%s holds a token %d times", name, n)
			}
		}
	}
	if len(srv.Messages()) == 0 {
		t.Error("nothing was delivered: the test proved nothing")
	}
}

// waitFor polls cond every 20 ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
