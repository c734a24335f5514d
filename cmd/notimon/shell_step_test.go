package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const shellStepRules = `
notifier "console" "ops" {}
rule "busy" {
  when = "host.cores > 0"
  notify "ops" { message = "busy" }
  exec {
    shell   = <<-EOT
      echo "top 5 by cpu:"
      ps -eo pid,comm --sort=-pcpu | head -n 6
    EOT
    timeout = "10s"
  }
}
`

// TestShellStepShown: a dry run shows a shell step's whole script under the step, and
// explain names it by its first line: a script of several lines never breaks the layout.
func TestShellStepShown(t *testing.T) {
	dir := writeRules(t, map[string]string{"rules.hcl": shellStepRules})
	code, out, errOut := notimon(t, "run", "--once", "--dry-run", dir)
	want := `    2. exec sh -c (timeout 10s): skipped: dry run
         $ echo "top 5 by cpu:"
         $ ps -eo pid,comm --sort=-pcpu | head -n 6
1 rule, 1 holding;`
	if code != exitOK || !strings.Contains(out, want) {
		t.Errorf("dry run: exit %d, want\n%s\nin:\n%s%s", code, want, out, errOut)
	}

	values := filepath.Join(t.TempDir(), "values.json")
	if err := os.WriteFile(values, []byte(`{"host.cores": 2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = notimon(t, "explain", "busy", "--at-values", values, "--state-dir", t.TempDir(), dir)
	want = `the fire chain would run (notify "ops", exec sh -c 'echo "top 5 by cpu:" …')`
	if code != exitOK || !strings.Contains(out, want) {
		t.Errorf("explain: exit %d, want %q in:\n%s%s", code, want, out, errOut)
	}
}
