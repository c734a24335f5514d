package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
)

// cronEnv is the whole environment cron gives a job (Debian's cron: HOME, LOGNAME, SHELL and
// PATH=/usr/bin:/bin), and env -i leaves nothing else.
var cronEnv = []string{"HOME=/root", "LOGNAME=root", "SHELL=/bin/sh", "PATH=/usr/bin:/bin"}

// readmeInstall returns the sh blocks of the README's Install from source section and its cron line.
func readmeInstall(t *testing.T) (blocks []string, cronLine string) {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "\n### Install from source\n")
	if start < 0 {
		t.Fatal("README.md has no ### Install from source section")
	}
	s = s[start+1:]
	if end := regexp.MustCompile(`\n##+ `).FindStringIndex(s[4:]); end != nil {
		s = s[:end[0]+4]
	}
	for _, m := range regexp.MustCompile("(?s)```(sh)?\n(.*?)```").FindAllStringSubmatch(s, -1) {
		if m[1] == "sh" {
			blocks = append(blocks, m[2])
		} else if l := regexp.MustCompile(`(?m)^\* \* \* \* \* root .*$`).FindString(m[2]); l != "" {
			cronLine = l
		}
	}
	if len(blocks) < 3 || cronLine == "" {
		t.Fatalf("the Install section should have sh blocks (install, check, cron) and a cron line; found %d blocks, cron line %q", len(blocks), cronLine)
	}
	return blocks, cronLine
}

// TestReadmeInstall follows the README's Install section as written, in a temporary root
// (every /usr/local/bin, /etc/notimon, /etc/cron.d and /var/lib/notimon in it is moved
// under a temporary directory; nothing else is changed): it builds and installs the
// binary, the rules and the env file, puts credentials in the env file, runs the check
// commands, installs the cron file, and then runs its command twice exactly as cron does,
// with env -i and cron's environment. The Telegram notifier points at a fake Bot API, and
// one rule that holds on every machine is added so that a cron run has something to deliver.
func TestReadmeInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the README's commands")
	}
	for _, tool := range []string{"env", "install", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s: %v", tool, err)
		}
	}
	blocks, cronLine := readmeInstall(t)
	root := t.TempDir()
	for _, dir := range []string{"usr/local/bin", "etc/cron.d", "var/lib"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	relocate := strings.NewReplacer(
		"/usr/local/bin/", root+"/usr/local/bin/",
		"/etc/notimon", root+"/etc/notimon",
		"/etc/cron.d/", root+"/etc/cron.d/",
		"/var/lib/notimon", root+"/var/lib/notimon",
	)
	sh := func(script string, env []string) (string, error) {
		t.Helper()
		cmd := exec.Command("sh", "-e", "-c", relocate.Replace(script))
		cmd.Dir = "../.." // the clone
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}

	// 1. Install, in the user's shell (it has go).
	if out, err := sh(blocks[0], os.Environ()); err != nil {
		t.Fatalf("install block: %v\n%s\n%s", err, blocks[0], out)
	}
	bin := filepath.Join(root, "usr/local/bin/notimon")
	envFile := filepath.Join(root, "etc/notimon/env")
	if st, err := os.Stat(envFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("env file: %v, mode %v; want 0600", err, st.Mode().Perm())
	}

	// 2. The user puts the credentials in the env file (this test: the fake Bot API's, and
	// its URL, which the shipped notifier reads with env("NOTIMON_TELEGRAM_API_URL", …)) and,
	// for the test only, adds a rule that always holds.
	srv := telegramtest.New(t, testToken)
	if err := os.WriteFile(envFile, fmt.Appendf(nil, "NOTIMON_TELEGRAM_TOKEN=%s\nNOTIMON_TELEGRAM_CHAT_ID=%d\nNOTIMON_TELEGRAM_API_URL=%s\n", srv.Token(), telegramtest.DefaultChatID, srv.URL()), 0o600); err != nil {
		t.Fatal(err)
	}
	rules := filepath.Join(root, "etc/notimon/rules.d")
	check := `rule "cron_check" {
  when = "host.cores > 0"
  notify "ops" { message = "cron works on {{ host.name }}" }
}
`
	if err := os.WriteFile(filepath.Join(rules, "50-cron-check.hcl"), []byte(check), 0o644); err != nil {
		t.Fatal(err)
	}

	// 3. The check commands, in an empty environment: the env file alone carries the secrets.
	out, err := sh(blocks[1], cronEnv)
	if err != nil || strings.Contains(out, "warning") || !strings.Contains(out, ": valid\n") || !strings.Contains(out, `delivered through "ops" (telegram)`) {
		t.Fatalf("check block: %v\n%s\n%s", err, blocks[1], out)
	}
	if got := srv.Messages(); len(got) != 1 || got[0].Visible != "hello from notimon" {
		t.Fatalf("send delivered %+v", got)
	}

	// 4. The cron file, and its line as cron runs it: /bin/sh -c with cron's environment.
	if out, err := sh(blocks[2], cronEnv); err != nil {
		t.Fatalf("cron block: %v\n%s\n%s", err, blocks[2], out)
	}
	installed, err := os.ReadFile(filepath.Join(root, "etc/cron.d/notimon"))
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^\* \* \* \* \* root .*$`).FindString(string(installed))
	if line != cronLine {
		t.Fatalf("contrib/cron.d/notimon has the line\n%s\nthe README shows\n%s", line, cronLine)
	}
	command := strings.TrimPrefix(line, "* * * * * root ")
	if !strings.HasPrefix(command, "/usr/local/bin/notimon ") {
		t.Errorf("the cron line does not name the binary by its absolute path: %s", command)
	}
	host, _ := os.Hostname()
	for run := 1; run <= 2; run++ {
		cmd := exec.Command("env", append(append([]string{"-i"}, cronEnv...), "/bin/sh", "-c", relocate.Replace(command))...)
		cmd.Dir = "/"
		out, err := cmd.CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Fatalf("cron run %d: %v; cron would mail this output:\n%s", run, err, out)
		}
		// The first run fires cron_check (one message); the second finds it still firing.
		if got := srv.Messages(); len(got) != 2 || got[1].Visible != "cron works on "+host {
			t.Fatalf("after cron run %d, delivered %+v", run, got)
		}
	}
	if st, err := os.Stat(filepath.Join(root, "var/lib/notimon/state.json")); err != nil || st.Size() == 0 {
		t.Errorf("no state after the cron runs: %v", err)
	}
	if st, err := os.Stat(bin); err != nil || st.Mode().Perm()&0o111 == 0 {
		t.Errorf("the binary is not installed executable: %v", err)
	}
}
