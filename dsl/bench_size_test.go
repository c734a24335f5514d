package dsl

import (
	"fmt"
	"strings"
	"testing"
)

// bigRules is a realistic rules file of about size bytes, under MaxRulesFileSize: a
// locals block of thresholds and names, templates with heredocs, named probes, and rules
// whose conditions read locals and whose heredoc messages splice templates and render
// placeholders. What one such file holds, repeated: a fleet's rules generated from an
// inventory.
func bigRules(size int) []byte {
	var b strings.Builder
	b.WriteString("settings { interval = \"15s\" }\nnotifier \"console\" \"ops\" {}\n")
	var locals, rest strings.Builder
	for i := 0; b.Len()+locals.Len()+rest.Len() < size-600; i++ {
		fmt.Fprintf(&locals, "  limit_%d = %d\n  owner_%d = \"team-%d@example.com\"\n", i, 50+i%40, i, i%17)
		if i%10 == 0 {
			fmt.Fprintf(&rest, `template "usage_%d" {
  text = <<-EOT
    cpu {{ cpu.avg3 }}%% (limit ${local.limit_%d}%%), memory {{ mem.real_pct }}%%
    load {{ load.avg1 }} on {{ host.name }}; owner ${local.owner_%d}
  EOT
}
probe "http" "site_%d" { url = "http://127.0.0.1:%d/health" }
`, i, i, i, i, 8000+i%1000)
		}
		t := i - i%10
		fmt.Fprintf(&rest, `rule "r_%d" {
  when     = "cpu.avg3 > ${local.limit_%d} || !http.site_%d.up"
  for      = "2m"
  severity = "critical"
  notify "ops" {
    message = <<-EOT
      [{{ host.name }}] r_%d: cpu {{ cpu.avg3 }}%%, site {{ http.site_%d.status }}
      ${template.usage_%d}
    EOT
  }
}
`, i, i, t, i, t, t)
	}
	b.WriteString("locals {\n")
	b.WriteString(locals.String())
	b.WriteString("}\n")
	b.WriteString(rest.String())
	return []byte(b.String())
}

// BenchmarkLoad4MiB loads one valid rules file of just under 4 MiB (MaxRulesFileSize):
// about 11,000 rules, 22,000 locals, 1,100 templates with heredocs, 1,100 http probes.
// Target: ≤ 1 s.
func BenchmarkLoad4MiB(b *testing.B) {
	src := bigRules(MaxRulesFileSize - 1024)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		cfg, diags := LoadSource(map[string][]byte{"big.hcl": src}, Options{})
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		if len(cfg.Rules) < 10000 {
			b.Fatalf("%d rules", len(cfg.Rules))
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkLoadHeredoc loads a template whose heredoc is 1 MB, then 4 MB (just under
// MaxRulesFileSize): the time per byte must not grow with the size.
func BenchmarkLoadHeredoc(b *testing.B) {
	for _, size := range []int{1 << 20, 4<<20 - 4096} {
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			var s strings.Builder
			s.WriteString("notifier \"console\" \"ops\" {}\ntemplate \"big\" {\n  text = <<-EOT\n")
			for i := 0; s.Len() < size-200; i++ {
				fmt.Fprintf(&s, "    line %d: cpu {{ cpu.avg3 }}%% on {{ host.name }}, some words to fill it\n", i)
			}
			s.WriteString("  EOT\n}\nrule \"r\" {\n  when = \"cpu.avg3 > 90\"\n  notify \"ops\" { message = \"${template.big}\" }\n}\n")
			src := []byte(s.String())
			b.SetBytes(int64(len(src)))
			cpu := cpuTime()
			for b.Loop() {
				if _, diags := LoadSource(map[string][]byte{"a.hcl": src}, Options{}); diags.HasErrors() {
					b.Fatal(diags.Error())
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

// BenchmarkLoadLocals loads 4,000, then 16,000 locals in one block, each defined from the
// next one (so that none can be evaluated before the one after it), and a rule reading
// the first: the time per local must not grow with their number.
func BenchmarkLoadLocals(b *testing.B) {
	for _, n := range []int{4000, 16000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var s strings.Builder
			s.WriteString("notifier \"console\" \"ops\" {}\nlocals {\n")
			for i := range n - 1 {
				fmt.Fprintf(&s, "  l%d = local.l%d + 1\n", i, i+1)
			}
			fmt.Fprintf(&s, "  l%d = 1\n}\n", n-1)
			s.WriteString("rule \"r\" {\n  when = \"cpu.avg3 > ${local.l0}\"\n  notify \"ops\" { message = \"hot\" }\n}\n")
			src := []byte(s.String())
			b.SetBytes(int64(len(src)))
			cpu := cpuTime()
			for b.Loop() {
				cfg, diags := LoadSource(map[string][]byte{"a.hcl": src}, Options{})
				if diags.HasErrors() {
					b.Fatal(diags.Error())
				}
				if !strings.Contains(cfg.Rules[0].When.Source, fmt.Sprint(n)) {
					b.Fatalf("when = %q, want cpu.avg3 > %d", cfg.Rules[0].When.Source, n)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}
