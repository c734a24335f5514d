// Package examples holds rules that are not shipped in rules.d; this test keeps them valid.
package examples

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/notimon/notimon/dsl"
)

// loadWith loads the given files as one configuration, as if copied into one rules.d.
func loadWith(t *testing.T, files ...string) *dsl.Config {
	t.Helper()
	dir := t.TempDir()
	for _, src := range files {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(src)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"NOTIMON_TELEGRAM_TOKEN": "1:x", "NOTIMON_TELEGRAM_CHAT_ID": "1"}
	cfg, diags := dsl.Load([]string{dir}, dsl.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if len(diags) > 0 {
		t.Fatalf("%v do not validate cleanly: %v", files, diags)
	}
	return cfg
}

// TestDesignReferenceExample loads the whole reference example of DESIGN.md (the shipped
// 00-notimon.hcl, the seed's tomcat restart in examples/10-overload-restart.hcl and
// examples/20-services.hcl) as one configuration: it must validate as written.
func TestDesignReferenceExample(t *testing.T) {
	cfg := loadWith(t, "../rules.d/00-notimon.hcl", "10-overload-restart.hcl", "20-services.hcl")
	if len(cfg.Rules) != 3 || len(cfg.Probes) != 5 {
		t.Errorf("%d rules, %d probes; want 3 and 5", len(cfg.Rules), len(cfg.Probes))
	}
	for _, r := range cfg.Rules {
		if r.Name != "overload" {
			continue
		}
		if f := r.Fire; len(f) != 4 || f[1].Kind != dsl.StepExec || strings.Join(f[1].Command, " ") != "systemctl restart tomcat" || f[2].Kind != dsl.StepWait {
			t.Errorf("the example's overload rule is not the seed's notify, restart tomcat, wait, renotify: %+v", f)
		}
	}
}

// TestExamplesNextToShippedRules: each example that declares no rule of rules.d validates
// next to the shipped rules.
func TestExamplesNextToShippedRules(t *testing.T) {
	cfg := loadWith(t, "../rules.d/00-notimon.hcl", "../rules.d/10-overload.hcl", "20-services.hcl")
	if len(cfg.Rules) != 4 { // overload and load_high, site_down and disk_full
		t.Errorf("%d rules, want 4", len(cfg.Rules))
	}
}
