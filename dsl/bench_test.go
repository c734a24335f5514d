package dsl

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoad100Files measures loading and compiling a rules.d of 100 files, each with a
// template, a named probe and two rules with messages. Target: ≤ 100 ms.
func BenchmarkLoad100Files(b *testing.B) {
	dir := b.TempDir()
	common := `settings { interval = "15s" }
locals { limit = 50 }
notifier "console" "ops" {}
`
	if err := os.WriteFile(filepath.Join(dir, "000-common.hcl"), []byte(common), 0o644); err != nil {
		b.Fatal(err)
	}
	for i := 1; i < 100; i++ {
		src := fmt.Sprintf(`template "usage%[1]d" {
  text = <<-EOT
    cpu usage: {{ cpu.avg3 }}%%
    memory usage: {{ mem.real_pct }}%%
  EOT
}
probe "http" "site%[1]d" { url = "http://127.0.0.1:%[2]d/health" }
rule "overload%[1]d" {
  when     = "cpu.avg3 > ${local.limit} || mem.real_pct > ${local.limit}"
  for      = "2m"
  severity = "critical"
  notify "ops" {
    message = <<-EOT
      [{{ host.name }}] {{ cpu.avg3 > ${local.limit} ? "cpu over ${local.limit}%%" : "" }}
      ${template.usage%[1]d}
    EOT
  }
  wait { duration = "5s" }
  renotify "ops" { message = "after: ${template.usage%[1]d}" }
}
rule "site%[1]d_down" {
  when = "!http.site%[1]d.up || http.site%[1]d.status >= 500"
  notify "ops" { message = "site%[1]d down: {{ http.site%[1]d.status }} {{ http.site%[1]d.error }}" }
}
`, i, 8000+i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d-rules.hcl", i)), []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		cfg, diags := Load([]string{dir}, Options{})
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		if len(cfg.Rules) != 198 {
			b.Fatalf("%d rules loaded, want 198", len(cfg.Rules))
		}
	}
}
