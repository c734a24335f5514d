package dsl

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/expr-lang/expr/conf"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
)

// TestConditionsCompiledLater checks, for every condition and placeholder of the shipped
// rules, the examples, the test cases and a generated directory, that one compiled on first
// use gets the bytecode that compiling it as it loads gives, and that one with a call or
// matches is compiled as it loads.
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
			progs := map[*Program]*conf.Config{r.When: comp.cond, r.ClearWhen: comp.cond}
			for _, chain := range [][]*Step{r.Fire, r.Resolve} {
				for _, s := range chain {
					if s.Message != nil {
						for _, part := range s.Message.Parts {
							progs[part.Program] = comp.msg
						}
					}
				}
			}
			for p, exprCfg := range progs {
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
				want, err := compile(p.Source, exprCfg)
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
		t.Errorf("%d programs compiled later, %d as they load: the inputs should have many of both", later, now)
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

// TestConditionCompiledLaterConcurrently runs conditions and renders messages whose
// programs are compiled on first use from several goroutines at once (programs of one
// compiler share its configurations), as the engine, explain and the status page may: run
// with -race.
func TestConditionCompiledLaterConcurrently(t *testing.T) {
	var src strings.Builder
	src.WriteString("notifier \"console\" \"ops\" {}\n")
	for i := range 8 {
		fmt.Fprintf(&src, "rule \"r%d\" {\n  when = \"cpu.avg3 > %d && cpu.avg3 < 90\"\n  notify \"ops\" { message = \"r%d: {{ cpu.avg3 }} {{ cpu.avg3 > %d }}\" }\n}\n", i, 10*i, i, 10*i)
	}
	cfg, diags := LoadSource(map[string][]byte{"a.hcl": []byte(src.String())}, Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	snap := &probes.Snapshot{CPU: cpu.Values{Avg3: 35}}
	env, msgEnv := cfg.Schema.Env(snap), cfg.Schema.Map(snap)
	var wg sync.WaitGroup
	got := make([][]any, 4)
	texts := make([][]string, 4)
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
				text, err := r.Fire[0].Message.Render(nil, msgEnv, nil)
				if err != nil {
					t.Error(err)
				}
				texts[g] = append(texts[g], text)
			}
		})
	}
	wg.Wait()
	for g := range got {
		for i, v := range got[g] {
			if want := 35 > 10*i; v != want {
				t.Errorf("goroutine %d: r%d = %v, want %v", g, i, v, want)
			}
			if want := fmt.Sprintf("r%d: 35 %v", i, 35 > 10*i); texts[g][i] != want {
				t.Errorf("goroutine %d: r%d's message is %q, want %q", g, i, texts[g][i], want)
			}
		}
	}
}

// TestProgramCopiedBeforeFirstRun: Program is an exported struct, so a caller may copy one
// (p2 := *rule.When) before its bytecode is made. Whichever copy runs first, both must
// run: the bytecode belongs to what the copies share, not to the one that made it.
func TestProgramCopiedBeforeFirstRun(t *testing.T) {
	cfg, diags := LoadSource(map[string][]byte{"a.hcl": []byte(`rule "r" { when = "cpu.avg3 > 1" }`)}, Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p := cfg.Rules[0].When
	if p.later == nil {
		t.Fatalf("%q is compiled as it loads: the test needs one compiled later", p.Source)
	}
	env := cfg.Schema.Env(&probes.Snapshot{CPU: cpu.Values{Avg3: 5}})
	cp := *p
	for _, q := range []*Program{&cp, p} {
		v, err := q.Eval(nil, env)
		if err != nil || v != true {
			t.Errorf("%q: %v, %v; want true", q.Source, v, err)
		}
	}
}
