package dsl

import "testing"

// BenchmarkBuild4MiB is BenchmarkLoad4MiB without the parse: the file is parsed once, and
// each iteration builds the Config from the syntax tree, with the collector set as Load
// sets it. What is left is notimon's decoding and expr's compiling, with less of the noise
// of a shared machine than the whole load has: for measuring changes to the decoding.
func BenchmarkBuild4MiB(b *testing.B) {
	src := bigRules(MaxRulesFileSize - 1024)
	p := parseFile("big.hcl", src)
	if p.diags.HasErrors() {
		b.Fatal(p.diags.Error())
	}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		var gc gcBoost
		gc.add(len(src))
		l := newLoader(Options{})
		l.addFile("big.hcl", p)
		cfg, diags := l.build()
		gc.done()
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		if len(cfg.Rules) < 10000 {
			b.Fatalf("%d rules", len(cfg.Rules))
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
}
