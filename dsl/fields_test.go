package dsl

import (
	"strings"
	"testing"
	"time"
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

// A notifier's title template reads like a message: its probes, fields and windows are
// added to the configuration's.
func TestConfigFieldsOfTitle(t *testing.T) {
	cfg, diags := LoadSource(map[string][]byte{"rules.hcl": []byte(`
notifier "ntfy" "phone" {
  url   = "http://127.0.0.1:9/alerts"
  title = "{{ net.ports[\"9999\"].close_wait }} {{ avg_over(\"cpu.avg3\", \"5m\") }}"
}
rule "r" {
  when = "mem.real_pct > 90"
  notify "phone" { message = "memory" }
}
`)}, Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if got, want := strings.Join(cfg.Fields, " "), "cpu.avg3 mem.real_pct net.ports.9999.close_wait"; got != want {
		t.Errorf("Fields = %q, want %q", got, want)
	}
	var refs []string
	for _, r := range cfg.Refs {
		refs = append(refs, r.Kind)
	}
	if got, want := strings.Join(refs, " "), "cpu mem net"; got != want {
		t.Errorf("Refs = %q, want %q", got, want)
	}
	if len(cfg.Windows) != 1 || cfg.Windows[0].Key() != windowKey("avg", "cpu.avg3", 5*time.Minute) {
		t.Errorf("Windows = %v, want avg of cpu.avg3 over 5m", cfg.Windows)
	}
}
