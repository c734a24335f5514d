package dsl

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
)

// TestConditionsCompiledLater checks, for every condition of the shipped rules, the
// examples, the test cases and a generated directory, that a condition compiled on first
// use gets the bytecode that compiling it as it loads gives, and that a condition with a
// call or matches is compiled as it loads.
func TestConditionsCompiledLater(t *testing.T) {
	inputs := directInputs(t)
	inputs["generated"] = manyRules(300)
	later, now := 0, 0
	for name, srcs := range inputs {
		cfg, _ := LoadSource(srcs, Options{LookupEnv: directEnv})
		if cfg.Schema == nil {
			continue
		}
		comp := newCompiler(cfg.Schema)
		for _, r := range cfg.Rules {
			for _, p := range []*Program{r.When, r.ClearWhen} {
				if p == nil {
					continue
				}
				if compileLater(p.Source) != (p.later != nil) {
					t.Errorf("%s: rule %q: %q compiled later: %v", name, r.Name, p.Source, p.later != nil)
				}
				if p.later == nil {
					now++
					continue
				}
				later++
				got, err := p.vmProgram()
				if err != nil {
					t.Errorf("%s: rule %q: %q: %v", name, r.Name, p.Source, err)
					continue
				}
				want, err := compile(p.Source, comp.cond)
				if err != nil {
					t.Errorf("%s: rule %q: %q compiles as it loads with %v", name, r.Name, p.Source, err)
					continue
				}
				if got.Disassemble() != want.Disassemble() {
					t.Errorf("%s: rule %q: %q compiled later:\n%s\nas it loads:\n%s", name, r.Name, p.Source, got.Disassemble(), want.Disassemble())
				}
			}
		}
	}
	if later < 100 || now < 20 {
		t.Errorf("%d conditions compiled later, %d as they load: the inputs should have many of both", later, now)
	}
}

// TestCompileErrorsStillAtLoad: a mistake that only making the bytecode finds (a regular
// expression the optimizer builds from parts) is reported as the file loads.
func TestCompileErrorsStillAtLoad(t *testing.T) {
	_, diags := LoadSource(map[string][]byte{"a.hcl": []byte(`probe "process" "web" { match = "^nginx$" }
rule "r" { when = "process.web.count > 0 && 'x' matches ('[' + '(')" }
`)}, Options{})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "a.hcl:2") || !strings.Contains(diags.Error(), "missing closing ]") {
		t.Fatalf("diagnostics: %v", diags)
	}
}

// TestConditionCompiledLaterConcurrently runs one condition compiled on first use from
// several goroutines at once, and its neighbours from the same compiler (they share its
// configuration), as the engine, explain and the status page may: run with -race.
func TestConditionCompiledLaterConcurrently(t *testing.T) {
	var src strings.Builder
	for i := range 8 {
		fmt.Fprintf(&src, "rule \"r%d\" { when = \"cpu.avg3 > %d && cpu.avg3 < 90\" }\n", i, 10*i)
	}
	cfg, diags := LoadSource(map[string][]byte{"a.hcl": []byte(src.String())}, Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	env := cfg.Schema.Env(&probes.Snapshot{CPU: cpu.Values{Avg3: 35}})
	var wg sync.WaitGroup
	got := make([][]any, 4)
	for g := range got {
		wg.Go(func() {
			for _, r := range cfg.Rules {
				if r.When.later == nil {
					t.Errorf("%q is compiled as it loads", r.When.Source)
				}
				v, err := r.When.Eval(nil, env)
				if err != nil {
					t.Error(err)
				}
				got[g] = append(got[g], v)
			}
		})
	}
	wg.Wait()
	for g := range got {
		for i, v := range got[g] {
			if want := 35 > 10*i; v != want {
				t.Errorf("goroutine %d: r%d = %v, want %v", g, i, v, want)
			}
		}
	}
}
