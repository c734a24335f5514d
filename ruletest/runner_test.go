package ruletest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runFile runs every test of a file and returns the results and what Write prints.
func runFile(t *testing.T, name string) ([]*Result, string) {
	t.Helper()
	f, diags := LoadFile(name)
	if f.Diags.HasErrors() {
		t.Fatalf("%s: %v", name, diags)
	}
	var out strings.Builder
	var results []*Result
	r := &Runner{}
	for _, test := range f.Tests {
		res := r.Run(context.Background(), test)
		res.Write(&out, false)
		results = append(results, res)
	}
	return results, out.String()
}

// TestShippedRulesTests: the tests shipped in rules.d pass against the shipped rules.
func TestShippedRulesTests(t *testing.T) {
	results, out := runFile(t, "../rules.d/overload_test.hcl")
	for _, res := range results {
		if !res.Passed() {
			t.Errorf("%s failed:\n%s", res.Test.Name, out)
		}
	}
	if len(results) < 4 {
		t.Errorf("%d tests, want at least 4", len(results))
	}
}

// TestMaintenanceDepsExample: the tests of examples/maintenance-deps (depends_on, weekly
// windows across both DST changes in Europe/Berlin, a one-off window, max_runs) pass.
func TestMaintenanceDepsExample(t *testing.T) {
	results, out := runFile(t, "../examples/maintenance-deps/maintenance-deps_test.hcl")
	for _, res := range results {
		if !res.Passed() {
			t.Errorf("%s failed:\n%s", res.Test.Name, out)
		}
	}
	if len(results) != 6 {
		t.Errorf("%d tests, want 6", len(results))
	}
}

func TestFeaturesPass(t *testing.T) {
	results, out := runFile(t, "testdata/features/features_test.hcl")
	for _, res := range results {
		if !res.Passed() {
			t.Errorf("%s failed:\n%s", res.Test.Name, out)
		}
	}
}

// TestFailureDiff: a test whose expectations are wrong reports each difference under the
// position of its expectation, messages as a line diff, and what nobody expected.
func TestFailureDiff(t *testing.T) {
	_, out := runFile(t, "testdata/overload/fail_test.hcl")
	want := `FAIL  wrong expectations (testdata/overload/fail_test.hcl:1)
    testdata/overload/fail_test.hcl:10: at 2m: rule "overload"
    - firing
    + pending
    testdata/overload/fail_test.hcl:15: at 3m: notify "ops"
      <b>[web-01 server]</b>
    - memory usage is over its limit (50%)
    + cpu usage is over its limit (50%)
      cpu usage: 60%
      memory usage: 30%
      restarting tomcat
    testdata/overload/fail_test.hcl:24: at 3m: exec
    - ["systemctl", "restart", "nginx"]
    + ["systemctl", "restart", "tomcat"]
    at 3m5s: unexpected notify "ops" (rule "overload", firing)
    + [web-01 server] after restart
    + cpu usage: 60%
    + memory usage: 30%
    at 5m: unexpected notify "ops" (rule "overload", resolved)
    + [web-01 server] overload resolved after 2m0s
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

// TestInvalidTest: every problem of a test that needs the rules to be seen is reported
// with its position, and the test does not run.
func TestInvalidTest(t *testing.T) {
	results, out := runFile(t, "testdata/invalid/invalid_test.hcl")
	if results[0].Passed() || len(results[0].Failures) > 0 {
		t.Errorf("an invalid test ran or passed")
	}
	for _, want := range []string{
		"testdata/invalid/invalid_test.hcl:5:9: error: Unknown probe field\n" +
			"    5 |   input \"cpu.avgg\"      { values = \"10 60x3\" }\n" +
			"      |         ^^^^^^^^^^\n" +
			"  input \"cpu.avgg\": cpu has no field \"avgg\"; its fields are: pct, avg3, iowait_pct, steal_pct.",
		"testdata/invalid/invalid_test.hcl:6:40: error: Invalid series\n" +
			"    6 |   input \"mem.real_pct\"  { values = \"30 3O 30\" }\n" +
			"      |                                        ^^\n",
		"invalid_test.hcl:7:41: error: Invalid series",
		"http.site.up is true or false: write 1 for true and 0 for false, not 2.",
		"invalid_test.hcl:8:9: error: Unknown probe field",
		`no http probe named "sitee" is declared in the rules; declared http probes: site.`,
		"invalid_test.hcl:9:38: error: Invalid series",
		"http.site.error is text, and a series is numbers",
		"invalid_test.hcl:12:14: error: Not a tick",
		`at = "90s" is not a tick: this test ticks every 1m from 0 (0, 1m, 2m, …).`,
		"invalid_test.hcl:13:15: error: Unknown rule",
		`Did you mean "overload"?`,
		"invalid_test.hcl:17:12: error: Unknown notifier",
		"FAIL  everything wrong (testdata/invalid/invalid_test.hcl:1)\n    the test is invalid (8 errors above): it did not run\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"syntax", "test \"x\" {\n  input \"cpu.avg3\" { values = \"1\" \n", []string{"Invalid single-argument block definition"}},
		{"no tests", "# nothing\n", []string{"No tests"}},
		{"bad start", `test "a" {
  start = "2026-03-29 00:00"
  input "cpu.avg3" { values = "1" }
}
`, []string{`start must be an RFC 3339 time with its offset from UTC, e.g. "2026-03-29T00:00:00+01:00"; got "2026-03-29 00:00".`}},
		{"duplicate", `test "a" {
  input "cpu.avg3" { values = "1" }
}
test "a" {
  input "cpu.avg3" { values = "1" }
}
`, []string{`A test named "a" is already defined at x_test.hcl:1.`}},
		{"unknown attribute", `test "a" {
  intervall = "1m"
  input "cpu.avg3" { values = "1" }
}
`, []string{`Unsupported argument; An argument named "intervall" is not expected here. Did you mean "interval"?`}},
		{"bad values", `test "a" {
  input "cpu.avg3" { values = 5 }
  input "mem.real_pct" { values = [1, {a = 1}] }
  expect {
    at = "5"
    firing = "overload"
  }
  expect {
    at = "0"
    notify "ops" {
      text     = "a"
      contains = "b"
    }
    notify "ops" { matches = "(" }
    notify "ops" { state = "fired" }
    exec {}
  }
}
`, []string{
			`values is a series string such as "10 60x4 _ 20", or a list of values such as [1, 0, null] or ["", "timeout"]; got number`,
			"a value is a number, true or false, a string, or null (the probe failed), not object",
			`"5" has no unit`,
			"firing must be a list of strings, not string",
			"text is the whole message; give text, or contains and/or matches, not both",
			"matches: error parsing regexp",
			`A message's state is "firing"`,
			"An exec expectation names the command",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Parse("x_test.hcl", []byte(tc.src))
			var all []string
			for _, d := range diags {
				all = append(all, d.Summary+"; "+d.Detail)
			}
			got := strings.Join(all, "\n")
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, got)
				}
			}
		})
	}
}

// TestDeterministic: chains of different rules run concurrently in the engine; the
// simulation still gives the same timeline every time.
func TestDeterministic(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("rules.hcl", `
notifier "console" "ops" {}
rule "a" {
  when = "cpu.pct > 50"
  notify "ops" { message = "a {{ cpu.pct }}" }
  wait { duration = "20s" }
  renotify "ops" { message = "a after {{ cpu.pct }} {{ rule.firing_for }}" }
}
rule "b" {
  when = "cpu.pct > 60"
  notify "ops" { message = "b {{ cpu.pct }}" }
  wait { duration = "20s" }
  exec { command = ["b"] }
  renotify "ops" { message = "b after {{ cpu.pct }} {{ rule.firing_for }}" }
}
rule "c" {
  when = "cpu.pct > 70"
  notify "ops" { message = "c" }
  wait { duration = "5s" }
  renotify "ops" { message = "c after {{ rule.firing_for }}" }
}
`)
	write("d_test.hcl", `
test "three chains at once" {
  interval = "10s"
  input "cpu.pct" { values = "80 81 82 10" }
  expect {
    at     = "0s"
    firing = ["a", "b", "c"]
    notify "ops" { text = "a 80" }
    notify "ops" { text = "b 80" }
    notify "ops" { text = "c" }
    notify "ops" { text = "c after 5s" }
  }
  expect {
    at       = "20s"
    firing   = ["a", "b", "c"]
    notify "ops" { text = "a after 82 20s" }
    notify "ops" { text = "b after 82 20s" }
    exec { command = ["b"] }
  }
  expect {
    at       = "30s"
    resolved = ["a", "b", "c"]
  }
}
`)
	f, diags := LoadFile(filepath.Join(dir, "d_test.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var first string
	for i := range 30 {
		res := (&Runner{}).Run(context.Background(), f.Tests[0])
		var b strings.Builder
		res.Write(&b, true)
		got := b.String()
		got = got[strings.Index(got, "\n    4 ticks"):]
		got = got[strings.Index(got[1:], "\n")+1:] // drop the line with the elapsed time
		if !res.Passed() {
			t.Fatalf("run %d failed:\n%s", i, b.String())
		}
		if i == 0 {
			first = got
		} else if got != first {
			t.Fatalf("run %d differs:\n%s\nfirst:\n%s", i, got, first)
		}
	}
}

// TestSilencesAndAcks: silences and acks declared in a test are honoured on the simulated
// clock, through the engine's own suppression.
func TestSilencesAndAcks(t *testing.T) {
	results, out := runFile(t, "testdata/silence/silence_test.hcl")
	for _, res := range results {
		if !res.Passed() {
			t.Errorf("%s failed:\n%s", res.Test.Name, out)
		}
	}
	if len(results) != 5 {
		t.Errorf("%d tests, want 5", len(results))
	}
}
