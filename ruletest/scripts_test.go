package ruletest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCRLFScriptWarningIsShown: a test runs no command, but the script an exec step names
// will fail in production when it was saved with Windows line endings, so the results show
// validate's warning, once per rules directory, and the tests still pass. Other warnings
// (an env() the test does not set) are not shown.
func TestCRLFScriptWarningIsShown(t *testing.T) {
	dir := t.TempDir()
	restart := filepath.Join(dir, "restart.sh")
	if err := os.WriteFile(restart, []byte("#!/bin/bash\r\nsystemctl restart tomcat\r\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	rules := `notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = "1"
}
rule "overload" {
  when = "cpu.avg3 > 50"
  exec { command = ["` + restart + `"] }
}
`
	tests := `test "fires" {
  input "cpu.avg3" { values = "60" }
  expect {
    at     = "0"
    firing = ["overload"]
    exec { command = ["` + restart + `"] }
  }
}
test "stays quiet" {
  input "cpu.avg3" { values = "10" }
}
`
	for name, text := range map[string]string{"rules.hcl": rules, "rules_test.hcl": tests} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	results, out := runFile(t, filepath.Join(dir, "rules_test.hcl"))
	for _, res := range results {
		if !res.Passed() {
			t.Errorf("%s failed:\n%s", res.Test.Name, out)
		}
	}
	want := filepath.Join(dir, "rules.hcl") + `:7:21: warning: Script has Windows line endings
    7 |   exec { command = ["` + restart + `"] }
      |                     ` + strings.Repeat("^", len(restart)+2) + `
  rule "overload" exec command runs ` + restart + `, whose line 1 ends in CRLF (\r\n, as a file saved on Windows): its #! line asks for the interpreter "/bin/bash\r", which does not exist, so every run will fail ("bad interpreter"). Convert it to LF line endings: sed -i 's/\r$//' ` + restart + `

PASS  fires (`
	if !strings.HasPrefix(out, want) {
		t.Errorf("output does not start with the warning:\n%s\nwant it to start with:\n%s", out, want)
	}
	if n := strings.Count(out, "warning:"); n != 1 {
		t.Errorf("%d warnings shown, want 1 (once per rules directory, none about env):\n%s", n, out)
	}
}
