// Package examples holds rules that are not shipped in rules.d; this test keeps them valid.
package examples

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/notimon/notimon/dsl"
)

// TestDesignReferenceExample loads the whole reference example of DESIGN.md (the shipped
// rules.d plus examples/20-services.hcl) as one configuration: it must validate as written.
func TestDesignReferenceExample(t *testing.T) {
	dir := t.TempDir()
	for _, src := range []string{"../rules.d/00-notimon.hcl", "../rules.d/10-overload.hcl", "20-services.hcl"} {
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
		t.Fatalf("the reference example does not validate cleanly: %v", diags)
	}
	if len(cfg.Rules) != 3 || len(cfg.Probes) != 5 {
		t.Errorf("%d rules, %d probes; want 3 and 5", len(cfg.Rules), len(cfg.Probes))
	}
}
