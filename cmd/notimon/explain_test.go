package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/engine/store"
)

const explainRules = `
settings { host = "web-01" }
notifier "console" "ops" {}
probe "http" "site" { url = "http://127.0.0.1:8080/health" }

rule "overload" {
  when   = "cpu.avg3 > 50 || mem.real_pct > 50"
  for    = "2m"
  repeat = "1h"
  notify "ops" { message = "overload" }
  exec { command = ["systemctl", "restart", "tomcat"] }
  wait { duration = "5s" }
  renotify "ops" { message = "after" }
}

rule "site" {
  when       = "!http.site.up || (http.site.status >= 500 && http.site.error != \"\")"
  clear_when = "http.site.up && avg_over(\"http.site.latency_ms\", \"5m\") < 200"
  repeat     = "30m"
  notify "ops" { message = "site down" }
}

rule "always" {
  when = "mem.total_bytes > 0"
  for  = "2m"
  notify "ops" { message = "x" }
}
`

func setClock(t *testing.T, at time.Time) {
	t.Helper()
	old := clock
	clock = func() time.Time { return at }
	t.Cleanup(func() { clock = old })
}

func writeValues(t *testing.T, json string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "values.json")
	if err := os.WriteFile(name, []byte(json), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestExplainAtValues(t *testing.T) {
	dir := writeRules(t, map[string]string{"rules.hcl": explainRules})
	values := writeValues(t, `{"cpu.avg3": 12.4, "mem.real_pct": 61.2}`)
	state := t.TempDir()
	setClock(t, time.Date(2026, 11, 25, 3, 4, 0, 0, time.UTC))
	code, out, errOut := notimon(t, "explain", "overload", "--at-values", values, "--state-dir", state, dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := `rule "overload" (` + filepath.Join(dir, "rules.hcl") + `:6): for 2m, repeat 1h, severity warning
values      from ` + values + ` (fields it does not give are 0)
when        cpu.avg3 > 50 || mem.real_pct > 50   → true
            ├─ cpu.avg3 > 50                     → false   (cpu.avg3 = 12.4)
            └─ mem.real_pct > 50                 → true    (mem.real_pct = 61.2)
state       inactive; no state yet: ` + filepath.Join(state, "state.json") + ` does not exist (notimon has not run with this state directory; --state-dir)
max_runs    exec systemctl (` + filepath.Join(dir, "rules.hcl") + `:11) max_runs "5 per 1h" (the default): 0 of 5 runs used in the last 1h
now         becomes pending: fires at 2026-11-25 03:06:00 UTC (in 2m) if it keeps holding (for 2m)
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

// TestExplainNestedAndFailed: a nested condition, a string field, a failed probe (null),
// clear_when and a time window.
func TestExplainNestedAndFailed(t *testing.T) {
	dir := writeRules(t, map[string]string{"rules.hcl": explainRules})
	setClock(t, time.Date(2026, 11, 25, 3, 4, 0, 0, time.UTC))
	values := writeValues(t, `{"http.site.up": false, "http.site.status": 502, "http.site.error": "status 502"}`)
	code, out, _ := notimon(t, "explain", "site", "--at-values", values, "--state-dir", t.TempDir(), dir)
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		`rule "site" (` + filepath.Join(dir, "rules.hcl") + `:16): repeat 30m, severity warning` + "\n",
		"when        !http.site.up || (http.site.status >= 500 && http.site.error != \"\")   → true\n" +
			"            ├─ !http.site.up                                      → true\n" +
			"            │  └─ http.site.up                                    → false\n" +
			"            └─ http.site.status >= 500 && http.site.error != \"\"   → true\n" +
			"               ├─ http.site.status >= 500                         → true    (http.site.status = 502)\n" +
			"               └─ http.site.error != \"\"                           → true    (http.site.error = \"status 502\")\n",
		"clear_when  http.site.up && avg_over(\"http.site.latency_ms\", \"5m\") < 200   → false\n" +
			"            ├─ http.site.up                                                → false\n" +
			"            └─ avg_over(\"http.site.latency_ms\", \"5m\") < 200                → true    (avg_over(\"http.site.latency_ms\", \"5m\") = 0)\n",
		"now         fires: the fire chain would run (notify \"ops\")\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	values = writeValues(t, `{"http.site.up": null}`)
	code, out, _ = notimon(t, "explain", "site", "--at-values", values, "--state-dir", t.TempDir(), dir)
	if code != exitOK || !strings.Contains(out, "failed      http.site: failed (given as _ or null)\n") ||
		!strings.Contains(out, "now         unknown: rule \"site\"") || !strings.Contains(out, "The state does not change on this tick.") {
		t.Errorf("a failed probe: exit %d:\n%s", code, out)
	}
}

// TestExplainState: the rule's state comes from the state directory run keeps, read
// without its lock (a daemon holds it for its lifetime).
func TestExplainState(t *testing.T) {
	dir := writeRules(t, map[string]string{"rules.hcl": explainRules})
	state := t.TempDir()
	t0 := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	setClock(t, t0)
	if code, out, errOut := notimon(t, "run", "--once", "--state-dir", state, dir); code != exitOK && !strings.Contains(errOut, "http.site") {
		t.Fatalf("run --once: exit %d\n%s%s", code, out, errOut)
	}

	// A daemon holds the lock.
	st, err := store.Open(state, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	setClock(t, t0.Add(90*time.Second))
	values := writeValues(t, `{"mem.total_bytes": 1}`)
	start := time.Now()
	code, out, errOut := notimon(t, "explain", "always", "--at-values", values, "--state-dir", state, dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if took := time.Since(start); took > 5*time.Second { // waiting for the lock would take 10 s
		t.Errorf("explain took %s: it waited for the lock", took)
	}
	for _, want := range []string{
		"state       pending since 2026-11-25 03:00:00 UTC (1m30s ago); from " + filepath.Join(state, "state.json") + "\n",
		"now         pending for 1m30s: fires at 2026-11-25 03:02:00 UTC (in 30s) if it keeps holding (for 2m)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Nothing was written to the state directory.
	if entries, _ := os.ReadDir(state); len(entries) > 3 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("state directory holds %v", names)
	}

	values = writeValues(t, `{"mem.total_bytes": 0}`)
	_, out, _ = notimon(t, "explain", "always", "--at-values", values, "--state-dir", state, dir)
	if !strings.Contains(out, "now         stops being pending: back to inactive; nothing is sent\n") {
		t.Errorf("not holding any more:\n%s", out)
	}
}

func TestExplainFiring(t *testing.T) {
	dir := writeRules(t, map[string]string{"rules.hcl": explainRules})
	state := t.TempDir()
	t0 := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	values := writeValues(t, `{"http.site.up": false}`)
	// Fire the site rule: explain shows what would happen, run makes it happen. Make the
	// state with run --once on a rules directory where the site is down for sure.
	down := writeRules(t, map[string]string{"rules.hcl": strings.Replace(explainRules, "127.0.0.1:8080", "127.0.0.1:1", 1)})
	setClock(t, t0)
	notimon(t, "run", "--once", "--state-dir", state, down)

	setClock(t, t0.Add(10*time.Minute))
	code, out, errOut := notimon(t, "explain", "site", "--at-values", values, "--state-dir", state, dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"state       firing since 2026-11-25 03:00:00 UTC (10m ago); from ",
		"now         stays firing (since 2026-11-25 03:00:00 UTC) until clear_when holds; next repeat at 2026-11-25 03:30:00 UTC\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	values = writeValues(t, `{"http.site.up": true, "http.site.latency_ms": 20}`)
	_, out, _ = notimon(t, "explain", "site", "--at-values", values, "--state-dir", state, dir)
	if !strings.Contains(out, "now         resolves: on_resolve would run (no steps)\n") {
		t.Errorf("clear_when holds:\n%s", out)
	}
}

func TestExplainProblems(t *testing.T) {
	dir := writeRules(t, map[string]string{"rules.hcl": explainRules})
	if code, _, errOut := notimon(t, "explain", "overlaod", dir); code != exitUsage || !strings.Contains(errOut, `no rule "overlaod" in `+dir+`. Did you mean "overload"?`) {
		t.Errorf("unknown rule: exit %d, %s", code, errOut)
	}
	if code, _, errOut := notimon(t, "explain"); code != exitUsage || !strings.Contains(errOut, "explain needs the name of a rule") {
		t.Errorf("no rule: exit %d, %s", code, errOut)
	}
	values := writeValues(t, `{"cpu.avgg": 1, "http.site.up": 2, "mem.real_pct": "high"}`)
	code, _, errOut := notimon(t, "explain", "overload", "--at-values", values, dir)
	if code != exitProblems {
		t.Errorf("bad values: exit %d", code)
	}
	for _, want := range []string{
		`"cpu.avgg": cpu has no field "avgg"; its fields are: pct, avg3, iowait_pct, steal_pct`,
		"http.site.up is true or false: write 1 for true and 0 for false, not 2",
		"mem.real_pct is a number, not text",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	broken := writeRules(t, map[string]string{"rules.hcl": `rule "x" { when = "cpu.avgg > 1" }`})
	if code, _, errOut := notimon(t, "explain", "x", broken); code != exitProblems || !strings.Contains(errOut, "Unknown probe field") {
		t.Errorf("broken rules: exit %d, %s", code, errOut)
	}
}

// TestExplainWindowInDays: a window written in days shows its value, as one in minutes does
// (explain finds it by parsing its duration the way the loader does).
func TestExplainWindowInDays(t *testing.T) {
	dir := writeRules(t, map[string]string{"rules.hcl": `
notifier "console" "ops" {}
rule "leak" {
  when = "avg_over(\"mem.real_pct\", \"1d\") > 50"
  for  = "1w"
  notify "ops" { message = "x" }
}
`})
	values := writeValues(t, `{"mem.real_pct": 61.2}`)
	code, out, errOut := notimon(t, "explain", "leak", "--at-values", values, "--state-dir", t.TempDir(), dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`): for 168h, severity warning`,
		`avg_over("mem.real_pct", "1d") > 50   → true    (avg_over("mem.real_pct", "1d") = 61.2)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
