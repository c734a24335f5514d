package dsl

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// describe renders what a loaded configuration holds that the rules' decoding decides, and
// which placeholders are one shared program (#n is the order of first appearance).
func describe(cfg *Config) string {
	var b strings.Builder
	ids := map[*Program]int{}
	prog := func(p *Program) string {
		if p == nil {
			return "nil"
		}
		id, ok := ids[p]
		if !ok {
			id = len(ids)
			ids[p] = id
		}
		var ws, ins []string
		for _, w := range p.Windows {
			ws = append(ws, w.Key()+" "+w.Input.Path)
		}
		for _, in := range p.Inputs {
			ins = append(ins, in.Path)
		}
		return fmt.Sprintf("#%d %q %s refs=%v fields=%v windows=%v inputs=%v", id, p.Source, rangeString(p.Range), p.Refs, p.fields, ws, ins)
	}
	for _, r := range cfg.Rules {
		fmt.Fprintf(&b, "rule %q %s sev=%s for=%v repeat=%v confirm=%d/%d labels=%v deps=%v %s refs=%v\n",
			r.Name, rangeString(r.Range), r.Severity, r.For, r.Repeat, r.Confirm, r.Window, r.Labels, r.DependsOn, rangeString(r.DependsOnRange), r.Refs)
		fmt.Fprintf(&b, "  when %s\n  clear %s\n", prog(r.When), prog(r.ClearWhen))
		for _, chain := range [][]*Step{r.Fire, r.Resolve} {
			for _, s := range chain {
				fmt.Fprintf(&b, "  step %d %q %q %q %v %v %v %v %d/%v %v %s\n", s.Kind, s.Notifier, s.Command, s.Shell, s.Env, s.Timeout, s.InheritEnv, s.StopOnFailure, s.MaxRuns, s.MaxRunsPer, s.Duration, rangeString(s.Range))
				if m := s.Message; m != nil {
					var ws []string
					for _, w := range m.Windows {
						ws = append(ws, w.Key())
					}
					fmt.Fprintf(&b, "    message %q refs=%v windows=%v\n", m.Source, m.Refs, ws)
					for _, part := range m.Parts {
						if part.Program == nil {
							fmt.Fprintf(&b, "      text %q\n", part.Text)
						} else {
							fmt.Fprintf(&b, "      %s\n", prog(part.Program))
						}
					}
				}
			}
		}
	}
	for _, t := range cfg.Templates {
		fmt.Fprintf(&b, "template %q %s %q\n", t.Name, rangeString(t.Range), t.Text)
	}
	for _, w := range cfg.Windows {
		fmt.Fprintf(&b, "window %s\n", w.Key())
	}
	fmt.Fprintf(&b, "refs %v\nfields %v\nsecret env %v\n", cfg.Refs, cfg.Fields, cfg.SecretEnv)
	return b.String()
}

// manyRules is a rules directory of n rules in files of 100, with mistakes in many of
// them: unknown fields and syntax errors in conditions and placeholders, duplicate names,
// unknown notifiers, env() reads set and unset, bad durations, templates and windows shared
// between rules. A template comes with every fourth rule, with mistakes of its own:
// duplicate and invalid names, placeholders that do not compile, env() reads.
func manyRules(n int) map[string][]byte {
	files := map[string][]byte{}
	var b strings.Builder
	b.WriteString("notifier \"console\" \"ops\" {}\n")
	b.WriteString("template \"t\" {\n  text = \"load {{ load.avg1 }} on {{ host.name }}, cpu {{ avg_over(\\\"cpu.pct\\\", \\\"5m\\\") }}\"\n}\n")
	b.WriteString("template \"bad\" {\n  text = \"{{ cpu.nope }}\"\n}\n")
	b.WriteString("locals {\n  limit = 80\n}\n")
	for i := range n {
		if i%100 == 0 && i > 0 {
			files[fmt.Sprintf("%03d.hcl", i/100)] = []byte(b.String())
			b.Reset()
		}
		name := fmt.Sprintf("r%d", i)
		if i%37 == 5 {
			name = fmt.Sprintf("r%d", i-3) // a duplicate
		}
		when := fmt.Sprintf("cpu.avg3 > ${local.limit} + %d", i%7)
		switch i % 11 {
		case 1:
			when = "cpu.avgg3 > 1"
		case 2:
			when = "cpu.avg3 >"
		case 3:
			when = fmt.Sprintf("avg_over(\\\"cpu.pct\\\", \\\"%dm\\\") > 50", 1+i%3)
		case 4:
			when = "${env(\"NOTIMON_T_" + fmt.Sprint(i%3) + "\")}cpu.avg3 > 2"
		case 5:
			when = fmt.Sprintf("cpu.avg3 > ${local.limit - %d}", i%5) // evaluated by HCL, in a context
		}
		msg := fmt.Sprintf("{{ host.name }} r%d: {{ cpu.avg3 }} ${template.t}", i)
		switch i % 13 {
		case 1:
			msg = "{{ mem.nope }} and {{ cpu.avg3 + }}"
		case 2:
			msg = "${template.bad} {{ load.avg5 }}"
		case 3:
			msg = "unclosed {{ cpu.avg3"
		case 4:
			msg = fmt.Sprintf("{{ rule.name }} {{ avg_over(\"mem.real_pct\", \"%dm\") }}", 1+i%4)
		}
		notifier := "ops"
		if i%17 == 3 {
			notifier = "opz"
		}
		forv := "2m"
		if i%19 == 4 {
			forv = "2 minutes"
		}
		if i%4 == 0 {
			tname, text := fmt.Sprintf("t%d", i), fmt.Sprintf("{{ cpu.avg3 }} {{ load.avg1 + %d }} ${local.limit}", i%5)
			switch i % 36 {
			case 8:
				tname = fmt.Sprintf("t%d", i-4) // a duplicate
			case 12:
				tname = fmt.Sprintf("t-%d", i%72) // an invalid name, and a duplicate from the third on
			case 16:
				text = fmt.Sprintf("{{ mem.nope%d }} {{ avg_over(\\\"cpu.pct\\\", \\\"%dm\\\") }}", i%3, 1+i%5)
			case 20:
				text = fmt.Sprintf("${env(\"NOTIMON_T_%d\")} {{ cpu.avg3 }}", i%3)
			case 24:
				text = "{{ cpu.avg3 "
			case 28:
				text = "${local.limit * 2} {{ mem.real_pct }}" // evaluated by HCL, in a context
			}
			fmt.Fprintf(&b, "template %q {\n  text = \"%s\"\n}\n", tname, text)
			msg += fmt.Sprintf(" ${template.t%d}", i)
		}
		fmt.Fprintf(&b, "rule %q {\n  when = \"%s\"\n  for = %q\n", name, when, forv)
		if i == 250 {
			b.WriteString("  labels = { a = }\n") // a syntax error: the file is parsed block by block
		}
		if i%23 == 6 {
			fmt.Fprintf(&b, "  depends_on = [\"r%d\"]\n  severity = env(\"NOTIMON_SEV\", \"critical\")\n", i-1)
		}
		fmt.Fprintf(&b, "  notify %q {\n    message = <<-EOT\n      %s\n    EOT\n  }\n", notifier, msg)
		if i%29 == 7 {
			b.WriteString("  exec {\n    command = [\"/bin/true\"]\n    timeout = \"0s\"\n  }\n")
		}
		b.WriteString("  on_resolve {\n    notify \"ops\" { message = \"ok {{ host.name }}\" }\n  }\n}\n")
	}
	files[fmt.Sprintf("%03d.hcl", n/100+1)] = []byte(b.String())
	return files
}

// TestParallelRulesAsInOrder loads a directory of 1,500 rules, many with mistakes, decoding
// its rules several at once and one after the other: the diagnostics, as printed and in
// their order, and everything the rules hold must be the same.
func TestParallelRulesAsInOrder(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	src := manyRules(1500)
	env := func(name string) (string, bool) {
		if name == "NOTIMON_T_1" {
			return "1 + ", true
		}
		return "", false
	}
	load := func(parallel bool) (string, string, []string) {
		old := parallelRules
		if !parallel {
			parallelRules = 1 << 30
		}
		defer func() { parallelRules = old }()
		cfg, diags := LoadSource(src, Options{LookupEnv: env})
		var out bytes.Buffer
		WriteDiagnostics(&out, cfg.Files, diags)
		var order []string
		for _, d := range diags {
			order = append(order, fmt.Sprintf("%s %s", d.Summary, d.Subject))
		}
		return out.String(), describe(cfg), order
	}
	wantOut, wantCfg, wantOrder := load(false)
	gotOut, gotCfg, gotOrder := load(true)
	if len(wantOrder) < 500 {
		t.Fatalf("only %d diagnostics: the test needs errors in many rules", len(wantOrder))
	}
	for _, want := range []string{"Unknown notifier", "Duplicate rule", "Duplicate template", "Invalid name", "Unknown probe field", "Unclosed placeholder", "Environment variable not set", "Invalid duration", "Unknown probe field", "Expression syntax error", "Invalid timeout"} {
		if !strings.Contains(wantOut, want) {
			t.Errorf("no %q among the diagnostics", want)
		}
	}
	if !strings.Contains(wantCfg, "#") || strings.Count(wantCfg, "rule ") < 1000 {
		t.Fatalf("configuration:\n%.2000s", wantCfg)
	}
	for i := range min(len(wantOrder), len(gotOrder)) {
		if wantOrder[i] != gotOrder[i] {
			t.Fatalf("diagnostic %d: %s, in order %s", i, gotOrder[i], wantOrder[i])
		}
	}
	if len(wantOrder) != len(gotOrder) || gotOut != wantOut {
		t.Fatalf("%d diagnostics, in order %d; output differs", len(gotOrder), len(wantOrder))
	}
	if gotCfg != wantCfg {
		g, w := strings.Split(gotCfg, "\n"), strings.Split(wantCfg, "\n")
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Fatalf("configuration differs at line %d:\n%s\nin order:\n%s", i, g[i], w[i])
			}
		}
		t.Fatalf("configuration: %d lines, in order %d", len(g), len(w))
	}
}

// TestKindAttributesInSourceOrder loads a probe and a notifier with several mistakes many
// times: each block's diagnostics come in source order, every time (the attributes were
// decoded in the order of a map).
func TestKindAttributesInSourceOrder(t *testing.T) {
	src := map[string][]byte{"a.hcl": []byte(`probe "http" "site" {
  url     = "http://127.0.0.1:8080/"
  timeout = "soon"
  method  = 5
  headers = "x"
}
notifier "webhook" "hook" {
  url     = 5
  timeout = "later"
}
`)}
	var first []string
	for range 30 {
		_, diags := LoadSource(src, Options{})
		var order []string
		for _, d := range diags {
			order = append(order, fmt.Sprintf("%s %s", d.Summary, d.Subject))
		}
		if first == nil {
			first = order
			if len(order) < 5 {
				t.Fatalf("diagnostics %v: the test needs several in each block", order)
			}
			// Notifiers are decoded before probes; within a block, in source order.
			inProbe := func(i int) bool { return diags[i].Subject.Start.Line < 7 }
			for i := 1; i < len(diags); i++ {
				if inProbe(i) == inProbe(i-1) && diags[i].Subject.Start.Byte < diags[i-1].Subject.Start.Byte {
					t.Fatalf("not in source order: %v", order)
				}
			}
			continue
		}
		if strings.Join(order, "\n") != strings.Join(first, "\n") {
			t.Fatalf("diagnostics in another order:\n%s\nthan before:\n%s", strings.Join(order, "\n"), strings.Join(first, "\n"))
		}
	}
}
