package dsl

import (
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
)

// gogc reads GOGC without changing it.
func gogc() int64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// TestLoadRaisesGOGC: a load of more than gcBoostMin bytes runs at loadGCPercent, and
// GOGC is what it was once the last of two concurrent loads ends; a small load leaves it
// alone, and so does a large one when GOGC is already higher.
func TestLoadRaisesGOGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(50))
	defer func(old int64) { gcBoostMin = old }(gcBoostMin)
	gcBoostMin = 64 << 10
	big := bigRules(int(gcBoostMin) + 4096)
	small := []byte("notifier \"console\" \"ops\" {}\nrule \"r\" {\n  when = \"cpu.avg3 > ${env(\"X\", \"1\")}\"\n  notify \"ops\" { message = \"m\" }\n}\n")
	load := func(src []byte) int64 {
		var during int64
		env := func(string) (string, bool) { during = gogc(); return "1", true }
		files := map[string][]byte{"a.hcl": src, "z.hcl": []byte("rule \"env\" {\n  when = \"cpu.avg3 > ${env(\"X\")}\"\n  notify \"ops\" { message = \"m\" }\n}\n")}
		if _, diags := LoadSource(files, Options{LookupEnv: env}); diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return during
	}
	if got := load(small); got != 50 {
		t.Errorf("GOGC during a small load: %d, want 50", got)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if got := load(big); got != loadGCPercent {
				t.Errorf("GOGC during a large load: %d, want %d", got, loadGCPercent)
			}
		})
	}
	wg.Wait()
	if got := gogc(); got != 50 {
		t.Errorf("GOGC after the loads: %d, want 50", got)
	}
	debug.SetGCPercent(800)
	if got := load(big); got != 800 {
		t.Errorf("GOGC during a large load at GOGC=800: %d, want 800", got)
	}
	if got := gogc(); got != 800 {
		t.Errorf("GOGC after: %d, want 800", got)
	}
}
