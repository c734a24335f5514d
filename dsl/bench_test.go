package dsl

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
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

// BenchmarkLoadGarbage loads and prints the diagnostics of 1 MB of garbage, as when a
// binary or a log lands in rules.d: random bytes, and random printable ASCII with newlines.
// Target: ≤ 2 s, ≤ 200 KB of output.
func BenchmarkLoadGarbage(b *testing.B) {
	for _, c := range []struct {
		name  string
		alpha string
	}{
		{"binary", ""},
		{"printable", "abcdefghijklmnopqrstuvwxyz0123456789 =\"{}[]()<>$#/*-+.,:;!?\n\n"},
	} {
		b.Run(c.name, func(b *testing.B) {
			src := make([]byte, 1_000_000)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range src {
				if c.alpha == "" {
					src[i] = byte(r.Uint32())
				} else {
					src[i] = c.alpha[r.IntN(len(c.alpha))]
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				cfg, diags := LoadSource(map[string][]byte{"garbage.hcl": src}, Options{})
				var out bytes.Buffer
				WriteDiagnostics(&out, cfg.Files, diags)
				if !diags.HasErrors() {
					b.Fatal("garbage loads without an error")
				}
				if out.Len() > 200_000 {
					b.Fatalf("%d bytes of diagnostics, want ≤ 200 KB", out.Len())
				}
				b.ReportMetric(float64(out.Len()), "output-bytes")
			}
		})
	}
}

// writeRules10000 writes a rules.d of 100 files of 100 rules each, with 40 named probes
// per file (4,000 in all): every rule has a condition of its own over the built-in probes
// or one of its file's named probes, and a message.
func writeRules10000(b *testing.B) string {
	dir := b.TempDir()
	common := `settings { interval = "15s" }
locals { limit = 50 }
notifier "console" "ops" {}
template "usage" {
  text = "cpu {{ cpu.avg3 }}%, memory {{ mem.real_pct }}%"
}
`
	if err := os.WriteFile(filepath.Join(dir, "000-common.hcl"), []byte(common), 0o644); err != nil {
		b.Fatal(err)
	}
	conds := []string{
		`cpu.avg3 > %[3]d || mem.real_pct > ${local.limit}`,
		`process.app%[1]d_%[2]d.count < 1 || process.app%[1]d_%[2]d.cpu_pct > %[3]d`,
		`!http.site%[1]d_%[2]d.up || http.site%[1]d_%[2]d.status >= 500`,
		`net.ports["%[4]d"].close_wait > %[3]d || net.tcp.time_wait > 1000`,
		`any(values(disk), .used_pct > %[3]d) && load.per_core1 > 2`,
	}
	for f := 1; f <= 100; f++ {
		var src strings.Builder
		for p := range 20 {
			fmt.Fprintf(&src, "probe \"process\" \"app%d_%d\" { match = \"^app%d-%d$\" }\n", f, p, f, p)
			fmt.Fprintf(&src, "probe \"http\" \"site%d_%d\" { url = \"http://127.0.0.1:%d/health\" }\n", f, p, 8000+p)
		}
		for r := range 100 {
			cond := fmt.Sprintf(conds[r%len(conds)], f, r%20, r, 8000+f)
			fmt.Fprintf(&src, `rule "r%03d_%02d" {
  when     = %q
  for      = "1m"
  severity = "critical"
  notify "ops" {
    message = "[{{ host.name }}] r%03d_%02d: {{ rule.value }} ${template.usage}"
  }
}
`, f, r, cond, f, r)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d-rules.hcl", f)), []byte(src.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// BenchmarkLoad10000Rules measures loading and validating 10,000 rules in 100 files.
// Targets: ≤ 500 ms and ≤ 300 MB allocated per load; it reports allocations per rule.
func BenchmarkLoad10000Rules(b *testing.B) {
	dir := writeRules10000(b)
	b.ReportAllocs()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	cpu := cpuTime()
	for b.Loop() {
		cfg, diags := Load([]string{dir}, Options{})
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		if len(cfg.Rules) != 10000 {
			b.Fatalf("%d rules loaded, want 10000", len(cfg.Rules))
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.TotalAlloc-before)/float64(b.N)/10000, "B/rule")
}
