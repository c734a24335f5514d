package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetricsFile runs `notimon run --once --metrics-file` twice a minute apart: each run
// replaces the file with its own tick's metrics, which promtool accepts.
func TestMetricsFile(t *testing.T) {
	rules := writeRules(t, map[string]string{"rules.hcl": `
probe "cpu" { window = "10ms" }
probe "file" "marker" { path = "` + filepath.Join(t.TempDir(), "marker") + `" }
notifier "console" "ops" {}
rule "marker_missing" {
  when     = "!file.marker.exists"
  severity = "critical"
  notify "ops" { message = "no marker" }
}
rule "busy" { when = "cpu.pct > 1000" }
`})
	state := t.TempDir()
	dir := t.TempDir()
	path := filepath.Join(dir, "notimon.prom")
	start := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	now := fakeClock(t, start)
	for run := range 2 {
		code, out, errOut := notimon(t, "run", "--once", "--state-dir", state, "--metrics-file", path, rules)
		if code != exitOK {
			t.Fatalf("run %d: exit %d\n%s%s", run+1, code, out, errOut)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		parser := expfmt.NewTextParser(model.LegacyValidation)
		fams, err := parser.TextToMetricFamilies(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("run %d: %v\n%s", run+1, err, data)
		}
		if got := fams["notimon_last_tick_timestamp_seconds"].GetMetric()[0].GetGauge().GetValue(); got != float64(now.Unix()) {
			t.Errorf("run %d: notimon_last_tick_timestamp_seconds = %v, want %v", run+1, got, now.Unix())
		}
		if !strings.Contains(string(data), `notimon_rule_state{rule="marker_missing",severity="critical",state="firing"} 1`) {
			t.Errorf("run %d: the firing rule is not in the file:\n%s", run+1, data)
		}
		if !strings.Contains(string(data), `notimon_file_exists{name="marker"} 0`) {
			t.Errorf("run %d: the file probe's value is not in the file:\n%s", run+1, data)
		}
		// Run 1 delivers the fire message; run 2 fires nothing new (no repeat).
		want := map[int]string{0: `notimon_deliveries_total{notifier="ops",outcome="delivered"} 1`, 1: `notimon_deliveries_total{notifier="ops",outcome="delivered"} 0`}[run]
		if !strings.Contains(string(data), want) {
			t.Errorf("run %d: want %s in:\n%s", run+1, want, data)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
			t.Errorf("mode %v", fi.Mode().Perm())
		}
		if promtool, err := exec.LookPath("promtool"); err == nil {
			cmd := exec.Command(promtool, "check", "metrics")
			cmd.Stdin = bytes.NewReader(data)
			if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("promtool check metrics: %v\n%s", err, out)
			}
		}
		*now = now.Add(time.Minute)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the textfile directory, want 1 (no temporaries left)", len(entries))
	}
}

// TestMetricsFileUsage: --metrics-file goes with --once and not with --dry-run.
func TestMetricsFileUsage(t *testing.T) {
	rules := writeRules(t, map[string]string{"rules.hcl": `rule "r" { when = "load.avg1 > 1e9" }`})
	path := filepath.Join(t.TempDir(), "notimon.prom")
	for _, args := range [][]string{
		{"run", "--metrics-file", path, rules},
		{"run", "--once", "--dry-run", "--metrics-file", path, rules},
	} {
		code, _, errOut := notimon(t, args...)
		if code != exitUsage || !strings.Contains(errOut, "--metrics-file goes with --once") {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("a usage error wrote %s", path)
	}
	// A directory that does not exist: the run says so and exits 1.
	bad := filepath.Join(t.TempDir(), "no", "such", "dir", "notimon.prom")
	code, _, errOut := notimon(t, "run", "--once", "--state-dir", t.TempDir(), "--metrics-file", bad, rules)
	if code != exitProblems || !strings.Contains(errOut, bad) {
		t.Errorf("unwritable metrics file: exit %d, %q", code, errOut)
	}
}
