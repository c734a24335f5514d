package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestTestShippedRules: the shipped rules.d has tests, and they pass (CI runs this too).
func TestTestShippedRules(t *testing.T) {
	code, out, errOut := notimon(t, "test", "../../rules.d")
	if code != exitOK {
		t.Fatalf("exit %d, want 0:\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "PASS  overload: pending, fires with its message, reports the top processes, resolves") {
		t.Errorf("no PASS line for the overload test:\n%s", out)
	}
	if last := lastLine(out); last != "6 passed, 0 failed" {
		t.Errorf("last line %q, want the summary", last)
	}
}

const testRules = `
settings { host = "web-01" }
notifier "console" "ops" {}
rule "hot" {
  when = "cpu.avg3 > 50"
  for  = "1m"
  notify "ops" { message = "hot: {{ cpu.avg3 }}%" }
  on_resolve {
    notify "ops" { message = "cool again after {{ rule.firing_for }}" }
  }
}
`

const testTests = `
test "passes" {
  interval = "1m"
  input "cpu.avg3" { values = "10 60x1 10" }
  expect {
    at      = "1m"
    pending = ["hot"]
  }
  expect {
    at     = "2m"
    firing = ["hot"]
    notify "ops" { text = "hot: 60%" }
  }
  expect {
    at       = "3m"
    resolved = ["hot"]
    notify "ops" { contains = "after 1m" }
  }
}

test "fails" {
  interval = "1m"
  input "cpu.avg3" { values = "10 60x1 10" }
  expect {
    at     = "1m"
    firing = ["hot"]
    notify "ops" { text = "hot: 60%" }
  }
}
`

func TestTestReportsFailures(t *testing.T) {
	dir := writeRules(t, map[string]string{"rules.hcl": testRules, "hot_test.hcl": testTests})
	code, out, _ := notimon(t, "test", dir)
	if code != exitProblems {
		t.Errorf("exit %d, want 1", code)
	}
	file := filepath.Join(dir, "hot_test.hcl")
	want := "PASS  passes (" + file + ":2)\n" +
		"FAIL  fails (" + file + ":21)\n" +
		"    " + file + ":26: at 1m: rule \"hot\"\n" +
		"    - firing\n" +
		"    + pending\n" +
		"    " + file + ":27: at 1m: notify \"ops\"\n" +
		"    - hot: 60%\n" +
		"    + (nothing was sent to \"ops\" during the tick at 1m; the nearest message to it was sent at 2m)\n" +
		"    at 2m: unexpected notify \"ops\" (rule \"hot\", firing)\n" +
		"    + hot: 60%\n" +
		"    at 3m: unexpected notify \"ops\" (rule \"hot\", resolved)\n" +
		"    + cool again after 1m0s\n" +
		"1 passed, 1 failed\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}

	// --run selects tests by name.
	code, out, _ = notimon(t, "test", "--run", "^pass", dir)
	if code != exitOK || lastLine(out) != "1 passed, 0 failed" || strings.Contains(out, "FAIL") {
		t.Errorf("--run ^pass: exit %d:\n%s", code, out)
	}
	code, out, errOut := notimon(t, "test", "--run", "nothing-matches", dir)
	if code != exitProblems || !strings.Contains(errOut, `no test matches --run "nothing-matches"`) || lastLine(out) != "0 passed, 0 failed" {
		t.Errorf("--run matching nothing: exit %d:\n%s%s", code, out, errOut)
	}
	if code, _, errOut := notimon(t, "test", "--run", "(", dir); code != exitUsage || !strings.Contains(errOut, "--run") {
		t.Errorf("a bad --run: exit %d, %s", code, errOut)
	}
}

func TestTestVerbose(t *testing.T) {
	dir := writeRules(t, map[string]string{"rules.hcl": testRules, "hot_test.hcl": testTests})
	code, out, _ := notimon(t, "test", "-v", "--run", "passes", filepath.Join(dir, "hot_test.hcl"))
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"    4 ticks of 1m (4m simulated) in ",
		"    1m  rule \"hot\": inactive → pending\n",
		"    2m  rule \"hot\": pending → firing (fired)\n",
		"    2m  notify \"ops\" (rule \"hot\", firing)\n          | hot: 60%\n",
		"    3m  notify \"ops\" (rule \"hot\", resolved)\n          | cool again after 1m0s\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestTestInvalidFiles(t *testing.T) {
	dir := writeRules(t, map[string]string{
		"rules.hcl":   testRules,
		"a_test.hcl":  "test \"x\" {\n  input \"cpu.avg3\" {\n",
		"b_test.hcl":  "test \"y\" {\n  input \"cpu.avgg\" { values = \"1\" }\n}\n",
		"c_test.hcl":  "test \"z\" {\n  input \"cpu.avg3\" { values = \"1\" }\n}\n",
		"not-a-test":  "",
		"d_test.hcl~": "",
	})
	code, out, _ := notimon(t, "test", dir)
	if code != exitProblems {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		filepath.Join(dir, "a_test.hcl") + ":2:20: error: Unclosed configuration block",
		"FAIL  " + filepath.Join(dir, "a_test.hcl") + ": the test file is invalid (1 error above)",
		filepath.Join(dir, "b_test.hcl") + `:2:9: error: Unknown probe field`,
		"FAIL  y (" + filepath.Join(dir, "b_test.hcl") + ":1)\n    the test is invalid (1 error above): it did not run\n",
		"PASS  z (",
		"1 passed, 2 failed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	if code, _, errOut := notimon(t, "test", filepath.Join(dir, "rules.hcl")); code != exitProblems || !strings.Contains(errOut, "is not a test file") {
		t.Errorf("a rules file given as a test: exit %d, %s", code, errOut)
	}
	empty := t.TempDir()
	if code, _, errOut := notimon(t, "test", empty); code != exitProblems || !strings.Contains(errOut, "no test files (*_test.hcl) in "+empty) {
		t.Errorf("no test files: exit %d, %s", code, errOut)
	}
	if code, _, errOut := notimon(t, "test", filepath.Join(empty, "nope")); code != exitProblems || !strings.Contains(errOut, "no such file or directory") {
		t.Errorf("a missing path: exit %d, %s", code, errOut)
	}
}

// TestTestBrokenRules: a test whose rules do not load reports the rules' errors.
func TestTestBrokenRules(t *testing.T) {
	dir := writeRules(t, map[string]string{
		"rules.hcl":  "rule \"x\" {\n  when = \"cpu.avgg > 1\"\n}\n",
		"x_test.hcl": "test \"t\" {\n  input \"cpu.avg3\" { values = \"1\" }\n}\n",
	})
	code, out, _ := notimon(t, "test", dir)
	if code != exitProblems {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		filepath.Join(dir, "rules.hcl") + ":2:15: error: Unknown probe field",
		filepath.Join(dir, "x_test.hcl") + ":1:1: error: Rules do not load",
		"0 passed, 1 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
