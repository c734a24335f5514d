package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// notimon runs the CLI in-process and returns its exit code and output.
func notimon(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeRules creates a rules directory with the given files.
func writeRules(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestValidateShippedRules(t *testing.T) {
	t.Setenv("NOTIMON_TELEGRAM_TOKEN", "")
	code, out, _ := notimon(t, "validate", "../../rules.d")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; output:\n%s", code, out)
	}
	if !strings.Contains(out, "../../rules.d: 2 files, 2 rules, 0 probes, 2 notifiers: valid, 2 warnings") {
		t.Errorf("summary line missing or wrong:\n%s", out)
	}
	if !strings.Contains(out, `warning: Environment variable not set`) {
		t.Errorf("no warning about the unset token:\n%s", out)
	}
}

func TestValidateReportsEveryError(t *testing.T) {
	dir := writeRules(t, map[string]string{
		"a.hcl": `notifier "console" "ops" {}
rule "x" {
  when = "cpu.avgg > 50"
  notify "ops" { message = "cpu {{ cpu.avg3 }}" }
}
`,
		"b.hcl": "rule \"x\" {\r\n  when = \"mem.real_pct > 50\"\r\n  notify \"nope\" { message = \"m\" }\r\n  wait { duration = \"5\" }\r\n}\r\n",
	})
	code, out, _ := notimon(t, "validate", dir)
	if code != exitProblems {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		filepath.Join(dir, "a.hcl") + ":3:15: error: Unknown probe field",
		"    3 |   when = \"cpu.avgg > 50\"\n      |               ^^^^\n",
		filepath.Join(dir, "b.hcl") + ":1:1: error: Duplicate rule",
		"Previous definition was at " + filepath.Join(dir, "a.hcl") + ":2,1-9",
		filepath.Join(dir, "b.hcl") + ":3:10: error: Unknown notifier",
		filepath.Join(dir, "b.hcl") + `:4:21: error: Invalid duration`,
		"4 errors found",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestValidateUsageAndEmptyDir(t *testing.T) {
	if code, _, errOut := notimon(t, "validate", "--bogus"); code != exitUsage || !strings.Contains(errOut, "unknown flag: --bogus") {
		t.Errorf("unknown flag: exit %d, stderr %q; want 2 and the flag named", code, errOut)
	}
	empty := t.TempDir()
	code, out, _ := notimon(t, "validate", empty)
	if code != exitProblems || !strings.Contains(out, "has no *.hcl files") {
		t.Errorf("empty dir: exit %d, output %q", code, out)
	}
	if code, _, _ := notimon(t, "frobnicate"); code != exitUsage {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

const consoleRules = `
probe "cpu" { window = "100ms" }
notifier "console" "stdout" {}
rule "memory_present" {
  when     = "mem.total_bytes > 0 && cpu.pct >= 0"
  severity = "info"
  notify "stdout" {
    message = <<-EOT
      [{{ host.name }} 서버] 메모리 {{ mem.real_pct }}%
      {{ mem.total_bytes > 0 ? "" : "never shown" }}
    EOT
  }
}
rule "impossible" {
  when = "load.avg1 < 0"
  notify "stdout" { message = "never" }
}
`

func TestRunOnceSendsThroughConsole(t *testing.T) {
	dir := writeRules(t, map[string]string{"rules.hcl": consoleRules})
	code, out, errOut := notimon(t, "run", "--once", "--state-dir", t.TempDir(), dir)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	host, _ := os.Hostname()
	re := regexp.MustCompile(`^\[\d{4}-\d\d-\d\dT[^\]]+\] stdout · rule memory_present \(info\) firing\n    \[` + regexp.QuoteMeta(host) + ` 서버\] 메모리 \d+(\.\d+)?%\n$`)
	if !re.MatchString(out) {
		t.Errorf("stdout:\n%q\ndoes not match %s", out, re)
	}
}

func TestRunOnceDryRun(t *testing.T) {
	dir := writeRules(t, map[string]string{"rules.hcl": consoleRules})
	code, out, errOut := notimon(t, "run", "--once", "--dry-run", dir)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`rule "memory_present" \(.*rules\.hcl:4\): TRUE\n    when  mem\.total_bytes > 0 && cpu\.pct >= 0\n          mem\.total_bytes = \d+\n          cpu\.pct = [\d.]+\n`),
		regexp.MustCompile(`    1\. notify "stdout" would send:\n         \| \[.+ 서버\] 메모리 [\d.]+%\n`),
		regexp.MustCompile(`rule "impossible" \(.*\): false\n    when  load\.avg1 < 0\n          load\.avg1 = [\d.]+\n`),
		regexp.MustCompile(`2 rules, 1 holding; probes sampled in \S+; dry run: nothing was sent or executed\n$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("dry-run output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "firing\n") {
		t.Errorf("dry run printed through the console notifier:\n%s", out)
	}
}

func TestRunOnceReportsRejectedToken(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
	}))
	defer api.Close()
	dir := writeRules(t, map[string]string{"rules.hcl": `
probe "cpu" { window = "50ms" }
notifier "telegram" "ops" {
  token   = "123456:secret-token"
  chat_id = "42"
  api_url = "` + api.URL + `"
}
rule "always" {
  when = "cpu.pct >= 0"
  notify "ops" { message = "hi" }
}
`})
	code, _, errOut := notimon(t, "run", "--once", "--state-dir", t.TempDir(), dir)
	if code != exitProblems {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(errOut, `notify "ops": telegram: HTTP 401: Unauthorized (check the bot token)`) {
		t.Errorf("stderr does not explain the rejected token:\n%s", errOut)
	}
	if strings.Contains(errOut, "secret-token") {
		t.Errorf("stderr shows the token:\n%s", errOut)
	}
}

func TestRunInvalidRulesRunsNothing(t *testing.T) {
	dir := writeRules(t, map[string]string{"rules.hcl": `rule "x" { when = "cpu.nope > 1" }`})
	code, out, errOut := notimon(t, "run", "--once", "--state-dir", t.TempDir(), dir)
	if code != exitProblems || out != "" || !strings.Contains(errOut, "Unknown probe field") || !strings.Contains(errOut, "nothing was run") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--dry-run", "../../rules.d"},
		{"run", "--once", "--log-level", "loud", "../../rules.d"},
		{"run", "--once", "--log-format", "xml", "../../rules.d"},
	} {
		if code, _, errOut := notimon(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2; stderr %q", args, code, errOut)
		}
	}
}

func TestProbe(t *testing.T) {
	code, out, errOut := notimon(t, "probe", "mem", "load")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, field := range []string{"mem.total_bytes", "mem.real_pct", "mem.used_pct", "load.avg1", "load.per_core1"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(field) + `\s+[\d.]+$`).MatchString(out) {
			t.Errorf("probe output lacks %s:\n%s", field, out)
		}
	}
	if strings.Contains(out, "cpu.") {
		t.Errorf("asked for mem and load, got cpu too:\n%s", out)
	}

	code, out, _ = notimon(t, "probe", "--json", "mem")
	var got map[string]map[string]float64
	if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil {
		t.Fatalf("exit %d, json %v:\n%s", code, err, out)
	}
	if got["mem"]["total_bytes"] <= 0 || got["mem"]["real_pct"] <= 0 || got["mem"]["real_pct"] > 100 {
		t.Errorf("implausible mem values: %v", got["mem"])
	}

	code, out, errOut = notimon(t, "probe", "disk", "net")
	if code != exitOK || !regexp.MustCompile(`(?m)^disk\["/"\]\.used_pct\s+[\d.]+$`).MatchString(out) || !strings.Contains(out, "net.tcp.listen") {
		t.Errorf("probe disk net: exit %d\n%s\n%s", code, out, errOut)
	}

	if code, _, errOut := notimon(t, "probe", "nosuch"); code != exitUsage || !strings.Contains(errOut, "the built-in probes are") {
		t.Errorf("unknown probe: exit %d, stderr %q", code, errOut)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := notimon(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "notimon ") {
		t.Errorf("exit %d, output %q", code, out)
	}
}

// TestBinaryReadmeCommand builds the real binary and runs the README's first command.
func TestBinaryReadmeCommand(t *testing.T) {
	cmd := exec.Command(binary(t), "run", "--once", "--dry-run", "rules.d")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "NOTIMON_TELEGRAM_TOKEN=", "NOTIMON_TELEGRAM_CHAT_ID=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	if !regexp.MustCompile(`rule "overload" \(rules\.d/10-overload\.hcl:2\): (TRUE|false)\n    when  cpu\.avg3 > 50 \|\| mem\.real_pct > 50\n`).MatchString(out.String()) {
		t.Errorf("unexpected output:\n%s", out.String())
	}
}
