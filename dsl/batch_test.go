package dsl_test

import (
	"testing"

	"github.com/expr-lang/expr/vm"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/mem"
)

// TestBatchAsOneByOne evaluates batches of conditions without a call (compiled without the
// window patcher) and with a window call (with it): each batch must compile and give what
// its conditions give one by one.
func TestBatchAsOneByOne(t *testing.T) {
	cfg := loadOne(t, `rule "hot" { when = "cpu.avg3 > 50" }
rule "either" { when = "mem.real_pct > 50 || cpu.avg3 < 10" }
rule "calm" { when = "!(cpu.avg3 > 70) && mem.real_pct < 90" }
rule "window" { when = "avg_over(\"cpu.pct\", \"5m\") > 40" }
`)
	if len(cfg.Windows) != 1 {
		t.Fatalf("windows %v", cfg.Windows)
	}
	snap := &probes.Snapshot{CPU: cpu.Values{Avg3: 60}, Mem: mem.Values{RealPct: 20}, Windows: map[string]float64{cfg.Windows[0].Key(): 45}}
	env := cfg.Schema.Env(snap)
	var conds []*dsl.Program
	for _, r := range cfg.Rules {
		conds = append(conds, r.When)
	}
	for _, batch := range [][]*dsl.Program{conds[:2], conds[:3], conds} {
		b, err := cfg.NewBatch(batch)
		if err != nil {
			t.Fatalf("%d conditions: %v", len(batch), err)
		}
		out := make([]bool, len(batch))
		if err := b.Eval(&vm.VM{}, env, out); err != nil {
			t.Fatal(err)
		}
		for i, p := range batch {
			want, err := p.Eval(nil, env)
			if err != nil {
				t.Fatal(err)
			}
			if out[i] != want {
				t.Errorf("%q: %v in a batch of %d, %v alone", p.Source, out[i], len(batch), want)
			}
		}
	}
}
