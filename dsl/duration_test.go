package dsl_test

import (
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/dsl"
)

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"0s", 0},
		{"-0s", 0},
		{"90s", 90 * time.Second},
		{" 5m ", 5 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"1.5h", 90 * time.Minute},
		{"500ms", 500 * time.Millisecond},
		{"250us", 250 * time.Microsecond},
		{"250µs", 250 * time.Microsecond},
		{"1d", day},
		{"7d", 7 * day},
		{"1w", 7 * day},
		{"2w", 14 * day},
		{"1w2d", 9 * day},
		{"1d12h", 36 * time.Hour},
		{"1.5d", 36 * time.Hour},
		{"0.5w", 84 * time.Hour},
		{"2d1w", 9 * day}, // any order, as Go's units
		{"1d1d", 2 * day},
		{"+3d", 3 * day},
		{"106751d", 106751 * day},
	} {
		got, err := dsl.ParseDuration(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, msg string }{
		{"", `empty duration; write one such as "30s", "5m" or "1h"`},
		{"5", `"5" has no unit; write "5s" for seconds or "5m" for minutes`},
		{"1.5", `"1.5" has no unit`},
		{"5 minutes", `"5 minutes" is not a duration; write one such as "30s", "5m", "1h30m" or "7d"`},
		{"5min", `"5min" is not a duration`},
		{"d", `"d" is not a duration`},
		{"1..5d", `"1..5d" is not a duration`},
		{".d", `".d" is not a duration`},
		{"-", `"-" is not a duration`},
		{"1d-2h", `"1d-2h" is not a duration`},
		{"1y", `"1y": years are not a unit here; write days or weeks, e.g. "365d" or "52w"`},
		{"1M", `"1M": months are not a unit here`},
		{"-5s", `"-5s" is negative; a duration must be zero or more`},
		{"-1w", `"-1w" is negative`},
		{"106752d", `"106752d" is too long; a duration is at most about 292 years (106751d)`},
		{"15250w2d", `"15250w2d" is too long`},
		{"99999999999999999999h", `is too long`},
	} {
		_, err := dsl.ParseDuration(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseDuration(%q) error = %v, want one containing %q", tc.in, err, tc.msg)
		}
	}
}

// TestDaysAndWeeks loads d and w in every kind of duration attribute and in a window.
func TestDaysAndWeeks(t *testing.T) {
	src := map[string][]byte{"a.hcl": []byte(`settings {
  outbox_max_age = "2d"
}

notifier "console" "ops" {}

probe "http" "site" {
  url     = "http://127.0.0.1:8080/"
  timeout = "0.0001d"
}

rule "slow_leak" {
  when   = "avg_over(\"mem.real_pct\", \"1d\") > avg_over(\"mem.real_pct\", \"1w\") + 10"
  for    = "1d12h"
  repeat = "1w"
  notify "ops" { message = "memory grows" }
  wait { duration = "0.5d" }
}
`)}
	cfg, diags := dsl.LoadSource(src, dsl.Options{LookupEnv: noEnv})
	if diags.HasErrors() {
		t.Fatalf("load: %s", render(cfg, diags))
	}
	const day = 24 * time.Hour
	if got := cfg.Settings.OutboxMaxAge; got != 2*day {
		t.Errorf("outbox_max_age = %v, want 48h", got)
	}
	if got := cfg.Probes[len(cfg.Probes)-1].Attrs["timeout"]; got != 8640*time.Millisecond {
		t.Errorf("http timeout = %v, want 8.64s", got)
	}
	r := cfg.Rules[0]
	if r.For != 36*time.Hour || r.Repeat != 7*day {
		t.Errorf("for, repeat = %v, %v; want 36h, 168h", r.For, r.Repeat)
	}
	if len(r.Fire) != 2 || r.Fire[1].Duration != 12*time.Hour {
		t.Errorf("steps = %+v, want a notify and a 12h wait", r.Fire)
	}
	var overs []time.Duration
	for _, w := range cfg.Windows {
		overs = append(overs, w.Over)
	}
	if len(overs) != 2 || overs[0] != day || overs[1] != 7*day {
		t.Errorf("windows over %v, want [24h 168h]", overs)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[string]string{"0s": "0s", "2m": "2m", "2m5s": "2m5s", "1h": "1h", "1h30m": "1h30m", "1h0m5s": "1h0m5s", "500ms": "500ms", "24h": "24h", "1d": "24h", "1w2d": "216h"} {
		dur, _ := dsl.ParseDuration(d)
		if got := dsl.FormatDuration(dur); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
	if _, err := dsl.ParseDuration("5"); err == nil || !strings.Contains(err.Error(), "no unit") {
		t.Errorf("ParseDuration(5) = %v, want a missing unit error", err)
	}
}
