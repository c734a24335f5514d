package examples

import (
	"bytes"
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/ruletest"
)

// TestFleetExample: examples/fleet (README, "Many servers") validates without a single
// diagnostic, as one host's rules, its rule tests pass, and the Prometheus and
// Alertmanager files beside it pass their own tools' checks (when installed: CI installs
// both).
func TestFleetExample(t *testing.T) {
	cfg, diags := dsl.Load([]string{"fleet"}, dsl.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if len(diags) > 0 {
		var b bytes.Buffer
		dsl.WriteDiagnostics(&b, cfg.Files, diags)
		t.Fatalf("examples/fleet does not validate cleanly:\n%s", b.String())
	}
	if cfg.Server == nil || cfg.Server.Listen != "0.0.0.0:9798" || len(cfg.Server.Users) != 1 {
		t.Errorf("server block %+v; want 0.0.0.0:9798 with one user", cfg.Server)
	}
	if len(cfg.Notifiers) != 1 || cfg.Notifiers[0].Kind != "alertmanager" {
		t.Fatalf("notifiers %+v, want the alertmanager one", cfg.Notifiers)
	}
	attrs := cfg.Notifiers[0].Attrs
	if urls, _ := attrs["urls"].([]string); len(urls) != 3 || attrs["resend_delay"] != time.Minute {
		t.Errorf("alertmanager attributes %v; want three urls and resend_delay 1m", attrs)
	}

	f, _ := ruletest.LoadFile("fleet/fleet_test.hcl")
	if f.Diags.HasErrors() {
		var b bytes.Buffer
		dsl.WriteDiagnostics(&b, f.Files, f.Diags)
		t.Fatalf("the test file is invalid:\n%s", b.String())
	}
	var r ruletest.Runner
	for _, test := range f.Tests {
		if res := r.Run(context.Background(), test); !res.Passed() {
			var b bytes.Buffer
			res.Write(&b, true)
			t.Errorf("%s", b.String())
		}
	}

	for _, check := range [][]string{
		{"promtool", "check", "config", "prometheus.yml"}, // and the rule file it names
		{"promtool", "check", "rules", "notimon-alerts.yml"},
		{"amtool", "check-config", "alertmanager.yml"},
	} {
		t.Run(check[0]+" "+check[len(check)-1], func(t *testing.T) {
			if _, err := exec.LookPath(check[0]); err != nil {
				t.Skipf("%s not installed (Debian: prometheus, prometheus-alertmanager)", check[0])
			}
			cmd := exec.Command(check[0], check[1:]...)
			cmd.Dir = "fleet"
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%v: %v\n%s", check, err, out)
			}
		})
	}
}
