package dsl_test

import (
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/dsl"
)

// TestNotifierAlertAfter: settings.notifier_alert_after defaults to 15m, takes a duration,
// and a bad value is an error positioned on it.
func TestNotifierAlertAfter(t *testing.T) {
	load := func(settings string) (*dsl.Config, string) {
		src := "notifier \"console\" \"ops\" {}\n" + settings
		cfg, diags := dsl.LoadSource(map[string][]byte{"a.hcl": []byte(src)}, dsl.Options{LookupEnv: noEnv})
		return cfg, render(cfg, diags)
	}
	if cfg, out := load(""); out != "" || cfg.Settings.NotifierAlertAfter != 15*time.Minute {
		t.Errorf("default: %v (%s), want 15m", cfg.Settings.NotifierAlertAfter, out)
	}
	if cfg, out := load("settings { notifier_alert_after = \"1h30m\" }\n"); out != "" || cfg.Settings.NotifierAlertAfter != 90*time.Minute {
		t.Errorf("1h30m: %v (%s)", cfg.Settings.NotifierAlertAfter, out)
	}
	for _, tc := range []struct{ value, want string }{
		{`"soon"`, "a.hcl:4:26"},
		{`"0s"`, "a.hcl:4:26"},
		{`15`, "a.hcl:4:26"},
	} {
		_, out := load("settings {\n  interval = \"15s\"\n  notifier_alert_after = " + tc.value + "\n}\n")
		if !strings.Contains(out, tc.want) || !strings.Contains(out, "notifier_alert_after") || !strings.Contains(out, "error") {
			t.Errorf("notifier_alert_after = %s: diagnostics\n%s\nwant an error at %s naming the setting", tc.value, out, tc.want)
		}
	}
}
