package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// crlfScript writes a shell script saved with Windows line endings and returns its path.
func crlfScript(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "restart.sh")
	if err := os.WriteFile(p, []byte("#!/bin/bash\r\necho restarted\r\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestValidateWarnsAboutCRLFScript: validate points at the exec step's script, says why it
// will fail and how to fix it, and the rules stay valid (exit 0).
func TestValidateWarnsAboutCRLFScript(t *testing.T) {
	script := crlfScript(t)
	dir := writeRules(t, map[string]string{"rules.hcl": `notifier "console" "ops" {}
rule "overload" {
  when = "cpu.avg3 > 50"
  exec {
    command = ["` + script + `", "--now"]
  }
}
`})
	code, out, errOut := notimon(t, "validate", dir)
	if code != exitOK {
		t.Fatalf("exit %d, want 0 (warnings only)\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		filepath.Join(dir, "rules.hcl") + ":5:16: warning: Script has Windows line endings\n",
		`rule "overload" exec command runs ` + script + `, whose line 1 ends in CRLF`,
		`its #! line asks for the interpreter "/bin/bash\r"`,
		`sed -i 's/\r$//' ` + script,
		": valid, 1 warning\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
}

// TestRunExplainsCRLFScript: when the script runs anyway, the log line and {{ exec.error }}
// say why it failed, in one line.
func TestRunExplainsCRLFScript(t *testing.T) {
	script := crlfScript(t)
	dir := writeRules(t, map[string]string{"rules.hcl": `notifier "console" "ops" {}
rule "always" {
  when = "mem.total_bytes > 0"
  exec { command = ["` + script + `"] }
  notify "ops" { message = "restart: {{ exec.ok ? \"ok\" : exec.error }}" }
}
`})
	code, out, errOut := notimon(t, "run", "--once", "--state-dir", t.TempDir(), dir)
	if code != exitProblems {
		t.Errorf("exit %d, want 1 (a failed command)", code)
	}
	why := script + `: bad interpreter: script ` + script + ` has Windows line endings (CRLF): its interpreter is "/bin/bash\r"; fix with sed -i 's/\r$//' ` + script
	if !strings.Contains(out, "    restart: "+why+"\n") {
		t.Errorf("the message does not quote the explanation %q:\n%s", why, out)
	}
	if !strings.Contains(errOut, "Script has Windows line endings") {
		t.Errorf("run does not print validate's warning on stderr:\n%s", errOut)
	}
	var logLine string
	for _, l := range strings.Split(errOut, "\n") {
		if strings.Contains(l, "exec failed") {
			logLine = l
		}
	}
	if !strings.Contains(logLine, "has Windows line endings (CRLF)") || !strings.Contains(logLine, `sed -i`) {
		t.Errorf("the exec failed log line does not explain:\n%s", errOut)
	}
}

// TestTestShowsCRLFScriptWarning: `notimon test` runs no command, but prints the warning
// about the script the rules would run.
func TestTestShowsCRLFScriptWarning(t *testing.T) {
	script := crlfScript(t)
	dir := writeRules(t, map[string]string{
		"rules.hcl": `notifier "console" "ops" {}
rule "overload" {
  when = "cpu.avg3 > 50"
  exec { command = ["` + script + `"] }
}
`,
		"rules_test.hcl": `test "fires" {
  input "cpu.avg3" { values = "60" }
  expect {
    at     = "0"
    firing = ["overload"]
    exec { command = ["` + script + `"] }
  }
}
`})
	code, out, errOut := notimon(t, "test", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "warning: Script has Windows line endings") || !strings.HasSuffix(out, "1 passed, 0 failed\n") {
		t.Errorf("output:\n%s", out)
	}
}
