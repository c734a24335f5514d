package dsl

import (
	"strings"
	"testing"
)

// Config.Fields lists what rules and messages read as a whole, windows included, so that
// probes can leave out the rest.
func TestConfigFields(t *testing.T) {
	cfg, diags := LoadSource(map[string][]byte{"rules.hcl": []byte(`
notifier "console" "ops" {}
probe "process" "web" { match = "^nginx$" }
rule "a" {
  when       = "net.ports[\"8080\"].close_wait > 10 && cpu.avg3 > 50"
  clear_when = "avg_over(\"net.tcp.time_wait\", \"5m\") < 100"
  notify "ops" { message = "{{ net.ports[\"443\"] }} {{ process.web.count }} {{ len(net.interfaces) }}" }
}
rule "b" {
  when = "any(values(disk), .used_pct > 90) || net.ports[string(8000 + 80)].established > 0"
  on_resolve {
    notify "ops" { message = "{{ mem }}" }
  }
}
`)}, Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	want := "cpu.avg3 disk mem net.interfaces net.ports net.ports.443 net.ports.8080.close_wait net.tcp.time_wait process.web.count"
	if got := strings.Join(cfg.Fields, " "); got != want {
		t.Errorf("fields\n got %s\nwant %s", got, want)
	}
}
