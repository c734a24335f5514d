package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/notimon/notimon/actions/notify/webhook/webhooktest"
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

// TestRunExplainsCRLFScript: when the script runs anyway, the log line, {{ exec.error }} and
// {{ exec.output }} say why it failed, in one line.
func TestRunExplainsCRLFScript(t *testing.T) {
	script := crlfScript(t)
	dir := writeRules(t, map[string]string{"rules.hcl": `notifier "console" "ops" {}
rule "always" {
  when = "mem.total_bytes > 0"
  exec { command = ["` + script + `"] }
  notify "ops" { message = "restart: {{ exec.ok ? \"ok\" : exec.error }}" }
  notify "ops" { message = "output: {{ exec.output }}" }
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
	if !strings.Contains(out, "    output: notimon: "+why+"\n") {
		t.Errorf("exec.output does not end with the explanation %q:\n%s", why, out)
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

// injection is a value that would add a recipient if it reached an email header, or a
// header of its own in an HTTP request.
const injection = "x\r\nBcc: evil@example.org"

// TestNoHeaderInjectionThroughPlaceholders: a value read from the system (here a command
// probe's output, written by a real process) reaches the webhook and alertmanager notifiers
// through a placeholder. It arrives as data inside the JSON body, whole, and never as a
// header: each request carries exactly the headers notimon and the rules set.
func TestNoHeaderInjectionThroughPlaceholders(t *testing.T) {
	hook := webhooktest.NewServer(t, webhooktest.Status(204, ""))
	am := webhooktest.NewServer(t, webhooktest.Status(200, ""))
	dir := writeRules(t, map[string]string{"rules.hcl": `
probe "command" "evil" { command = ["printf", "x\\r\\nBcc: evil@example.org"] }
notifier "webhook" "hook" {
  url     = "` + hook.URL + `/hooks/notimon"
  headers = { X-Team = "web" }
}
notifier "alertmanager" "am" { url = "` + am.URL + `" }
rule "evil" {
  when = "command.evil.exit_code == 0"
  notify "hook" { message = "{{ command.evil.output }}" }
  notify "am" { message = "{{ command.evil.output }}" }
}
`})
	code, out, errOut := notimon(t, "run", "--once", "--state-dir", t.TempDir(), dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	wantHeaders := map[string][]string{
		"hook": {"Accept-Encoding", "Content-Length", "Content-Type", "User-Agent", "X-Team"},
		"am":   {"Accept-Encoding", "Content-Length", "Content-Type", "User-Agent"},
	}
	for name, srv := range map[string]*webhooktest.Server{"hook": hook, "am": am} {
		reqs := srv.Seen()
		if len(reqs) != 1 {
			t.Fatalf("%s: %d requests, want 1", name, len(reqs))
		}
		var keys []string
		for k := range reqs[0].Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !slices.Equal(keys, wantHeaders[name]) || reqs[0].Header.Get("Bcc") != "" {
			t.Errorf("%s: request headers %v, want exactly %v", name, reqs[0].Header, wantHeaders[name])
		}
		body := string(reqs[0].Body)
		if name == "hook" {
			var p struct{ Message string }
			if err := json.Unmarshal(reqs[0].Body, &p); err != nil || p.Message != injection {
				t.Errorf("webhook: message %q (%v), want the value whole, as data: %s", p.Message, err, body)
			}
			continue
		}
		var alerts []struct{ Annotations map[string]string }
		if err := json.Unmarshal(reqs[0].Body, &alerts); err != nil || len(alerts) != 1 {
			t.Fatalf("alertmanager body %s: %v", body, err)
		}
		// summary is one line: receivers often make it an email Subject.
		if a := alerts[0].Annotations; a["summary"] != "x" || a["description"] != injection {
			t.Errorf("alertmanager annotations %q, want summary \"x\" and the value whole in description", a)
		}
	}
}

// TestNoHeaderInjectionThroughConfig: values read with env() reach the headers of the
// webhook and alertmanager notifiers and of the http probe; one with a line break is a
// validation error at the header, naming it but not quoting the value, and nothing runs.
func TestNoHeaderInjectionThroughConfig(t *testing.T) {
	t.Setenv("NOTIMON_TEST_TRACE", injection)
	hook := webhooktest.NewServer(t, webhooktest.Status(204, ""))
	site := webhooktest.NewServer(t, webhooktest.Status(200, "ok"))
	dir := writeRules(t, map[string]string{"rules.hcl": `notifier "webhook" "hook" {
  url     = "` + hook.URL + `"
  headers = { X-Trace = env("NOTIMON_TEST_TRACE") }
}
notifier "alertmanager" "am" {
  url     = "` + hook.URL + `"
  headers = { X-Trace = env("NOTIMON_TEST_TRACE") }
}
probe "http" "site" {
  url     = "` + site.URL + `"
  headers = { X-Trace = env("NOTIMON_TEST_TRACE") }
}
rule "site" {
  when = "!http.site.up"
  notify "hook" { message = "down" }
}
`})
	code, out, _ := notimon(t, "validate", dir)
	if code != exitProblems {
		t.Errorf("validate: exit %d, want 1", code)
	}
	file := filepath.Join(dir, "rules.hcl")
	for _, want := range []string{
		file + ":3:25: error: Invalid header\n",
		file + ":7:25: error: Invalid header\n",
		file + ":11:25: error: Invalid header\n",
		`probe "http.site" headers: the value of header "X-Trace" contains a line break (CR or LF)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "evil@example.org") {
		t.Errorf("validate quotes the value:\n%s", out)
	}
	if code, _, _ := notimon(t, "run", "--once", "--state-dir", t.TempDir(), dir); code != exitProblems {
		t.Errorf("run --once: exit %d, want 1", code)
	}
	if n := len(hook.Seen()) + len(site.Seen()); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
}

// freeColumns runs `free -k` and returns its Mem: line's six numbers.
func freeColumns(t *testing.T, free string) [6]float64 {
	t.Helper()
	out, err := osexec.Command(free, "-k").Output()
	if err != nil {
		t.Fatalf("free -k: %v", err)
	}
	return memLine(t, "free -k", string(out))
}

// memLine reads the numbers of the "Mem:" line of free's table.
func memLine(t *testing.T, what, out string) [6]float64 {
	t.Helper()
	var cols [6]float64
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 7 || f[0] != "Mem:" {
			continue
		}
		for i := range cols {
			v, err := strconv.ParseFloat(f[i+1], 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", what, line, err)
			}
			cols[i] = v
		}
		return cols
	}
	t.Fatalf("%s printed no Mem: line with 6 numbers:\n%s", what, out)
	return cols
}

// TestProbeMemMatchesFree compares `notimon probe mem`'s free view with this machine's own
// `free -k`, column by column, within 1 %. Memory moves between the reads, so free runs just
// before and just after, and a column passes when it is within 1 % of the range they span
// (one retry for a busy machine). procps-ng before 4.0.1 computed used as total − free −
// buff/cache: with such a free, used is compared with mem.used_bytes, which keeps that formula.
func TestProbeMemMatchesFree(t *testing.T) {
	free, err := osexec.LookPath("free")
	if err != nil {
		t.Skip("no free on this machine")
	}
	v, _ := osexec.Command(free, "-V").CombinedOutput()
	m := regexp.MustCompile(`procps-ng (\d+)\.(\d+)\.(\d+)`).FindStringSubmatch(string(v))
	if m == nil {
		t.Skipf("free is not procps-ng's: %q", v)
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	patch, _ := strconv.Atoi(m[3])
	modern := major > 4 || major == 4 && (minor > 0 || patch >= 1)
	t.Logf("free from procps-ng %s.%s.%s (used = %s)", m[1], m[2], m[3], map[bool]string{true: "total - available", false: "total - free - buff/cache"}[modern])

	names := [6]string{"total", "used", "free", "shared", "buff/cache", "available"}
	var problems []string
	for attempt := 0; attempt < 3; attempt++ {
		before := freeColumns(t, free)
		code, out, errOut := notimon(t, "probe", "mem")
		after := freeColumns(t, free)
		if code != exitOK {
			t.Fatalf("probe mem: exit %d\n%s", code, errOut)
		}
		got := memLine(t, "notimon probe mem", out)
		if !modern {
			re := regexp.MustCompile(`(?m)^mem\.used_bytes\s+(\d+)$`).FindStringSubmatch(out)
			if re == nil {
				t.Fatalf("no mem.used_bytes in:\n%s", out)
			}
			b, _ := strconv.ParseFloat(re[1], 64)
			got[1] = math.Floor(b / 1024)
		}
		problems = problems[:0]
		for i, name := range names {
			lo, hi := min(before[i], after[i]), max(before[i], after[i])
			if got[i] < lo*0.99 || got[i] > hi*1.01 {
				problems = append(problems, fmt.Sprintf("%s: notimon %v, free %v … %v", name, got[i], before[i], after[i]))
			}
		}
		if len(problems) == 0 {
			t.Logf("notimon %.0f\nfree    %.0f", got, after)
			break
		}
	}
	if len(problems) > 0 {
		t.Errorf("probe mem differs from free -k by more than 1 %%:\n%s", strings.Join(problems, "\n"))
	}
}
