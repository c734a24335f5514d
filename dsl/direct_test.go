package dsl

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// directEnv is the environment of the equivalence tests: one variable set, the others not
// (env() without a default then warns).
func directEnv(name string) (string, bool) {
	if name == "NOTIMON_TELEGRAM_TOKEN" || name == "NOTIMON_TELEGRAM_CHAT_ID" || name == "DIRECT_SET" {
		return "-1001234567890", true
	}
	return "", false
}

// directEdgeCases are the shapes evalSourceString's fast path must get right or leave to
// HCL: numbers (whole ones are formatted by stringOf), non-strings, null, a local left
// unknown by its error, unknown names, a broken template (unknown to its users), env() and
// file() calls, longer traversals and index steps, and ${local.x} alone, in quotes and in
// heredocs.
var directEdgeCases = map[string]string{
	"edge/a.hcl": `
locals {
  n       = 42
  f       = 1.5
  big     = 123456789012345678901234567890
  neg     = -3
  zero    = 0
  t       = true
  s       = "x"
  list    = [1, 2]
  obj     = { a = 1 }
  nul     = null
  bad     = local.nope
  from_env = env("DIRECT_SET")
  unset   = env("DIRECT_UNSET")
  from_file = file("text.txt")
}
notifier "console" "ops" {}
template "ok" {
  text = <<-EOT
    limit ${local.n} on {{ host.name }}
  EOT
}
template "broken" { text = "${local.nope} {{ cpu.avg3 }}" }
template "num" { text = "${local.f}" }
probe "http" "site" { url = "http://127.0.0.1:8080/${local.s}" }
rule "numbers" {
  when = "cpu.avg3 > ${local.n} && cpu.avg3 > ${local.f} && cpu.avg3 > ${local.neg} && cpu.avg3 > ${local.zero} && cpu.avg3 < ${local.big}"
  notify "ops" { message = "${local.n}" }
}
rule "strings" {
  when = "${local.t} && host.name != \"${local.s}\""
  notify "ops" {
    message = <<-EOT
      ${template.ok}
      ${template.num} ${local.from_env}/${local.unset}/${local.from_file}
    EOT
  }
}
rule "broken_template" {
  when = "cpu.avg3 > 1"
  notify "ops" { message = "a ${template.broken} b" }
}
rule "unknown_names" {
  when = "cpu.avg3 > ${local.missing} && ${local.bad} > 0"
  notify "ops" { message = "${template.missing} ${template.ok}" }
}
rule "not_strings" {
  when = "cpu.avg3 > ${local.list} || ${local.obj} || ${local.nul}"
  notify "ops" { message = "${local.obj.a} ${local["s"]} ${local.obj["a"]} ${template["ok"]}" }
}
rule "calls" {
  when = "cpu.avg3 > ${env("DIRECT_SET")} && host.name != \"${file("text.txt")}\""
  notify "ops" { message = "${env("DIRECT_UNSET")} ${upper(local.s)} ${local.s}${local.n}" }
}
rule "alone" {
  when = "${local.s}"
  notify "ops" { message = "${local.n}" }
}
rule "no_root" {
  when = "cpu.avg3 > ${nope.x} && cpu.avg3 > ${local}"
  notify "ops" { message = "${template}" }
}
`,
	"edge/text.txt": "from a file",
}

// directKelvin has a local whose name cty normalises: a Kelvin sign, "\u212A", becomes
// "K", so HCL finds it as local.Kelvin too.
var directKelvin = `
locals {
  ` + "\u212Aelvin" + ` = "kelvin sign"
  n = 1
}
notifier "console" "ops" {}
template "t" { text = "${local.Kelvin}" }
rule "kelvin" {
  when = "host.name != \"${local.` + "\u212Aelvin" + `}\" && host.name != \"${local.Kelvin}\" && cpu.avg3 > ${local.n}"
  notify "ops" { message = "${template.t} ${local.` + "\u212Aelvin" + `}" }
}
`

// directInputs are configurations for the equivalence tests, by name: the shipped rules,
// the examples, every golden case, a generated file, directEdgeCases and directKelvin. Each maps file
// names (real relative paths, so that file() finds its files) to contents.
func directInputs(t *testing.T) map[string]map[string][]byte {
	t.Helper()
	inputs := map[string]map[string][]byte{}
	addDir := func(dir string) {
		files, err := filepath.Glob(filepath.Join(dir, "*.hcl"))
		if err != nil {
			t.Fatal(err)
		}
		srcs := map[string][]byte{}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.hcl") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			srcs[f] = b
		}
		if len(srcs) > 0 {
			inputs[dir] = srcs
		}
	}
	addDir("../rules.d")
	addDir("../examples")
	for _, pattern := range []string{"../examples/*", "testdata/bad/*", "testdata/warn/*"} {
		dirs, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dirs {
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				addDir(d)
			}
		}
	}
	fmtFiles, _ := filepath.Glob("testdata/fmt/*.hcl")
	for _, f := range fmtFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = map[string][]byte{f: b}
	}
	if len(inputs) < 100 {
		t.Fatalf("only %d inputs found", len(inputs))
	}
	inputs["generated"] = map[string][]byte{"generated.hcl": bigRules(128 << 10)}
	edge := map[string][]byte{}
	for name, src := range directEdgeCases {
		edge[name] = []byte(src)
	}
	inputs["edge"] = edge
	inputs["kelvin"] = map[string][]byte{"kelvin.hcl": []byte(directKelvin)}
	return inputs
}

// TestDirectValueMatchesHCL evaluates every string, interpolation and local or template
// reference of every input with evalSourceString's fast path and without it, before the
// templates are known and after, and requires the same result: the string, its map back to
// the source and the diagnostics.
func TestDirectValueMatchesHCL(t *testing.T) {
	fast := 0
	for name, srcs := range directInputs(t) {
		t.Run(name, func(t *testing.T) {
			l := newLoader(Options{LookupEnv: directEnv})
			for _, f := range slices.Sorted(func(yield func(string) bool) {
				for f := range srcs {
					if strings.HasSuffix(f, ".hcl") && !yield(f) {
						return
					}
				}
			}) {
				l.addFile(f, parseFile(f, srcs[f]))
			}
			locals, _ := l.decodeLocals()
			ev := &evaluator{loader: l, locals: locals}
			fast += compareDirect(t, l, ev)

			// As build does: the templates that decode are known, the others are broken.
			var known []*Template
			for _, b := range l.blocks["template"] {
				if tpl, _, _ := l.decodeTemplate(b, ev); tpl != nil {
					known = append(known, tpl)
				} else {
					ev.broken = append(ev.broken, b.Labels[0])
				}
			}
			ev.templates = append([]*Template{}, known...)
			fast += compareDirect(t, l, ev)
		})
	}
	if fast < 1000 {
		t.Errorf("the fast path answered only %d times; the inputs should exercise it", fast)
	}
}

// compareDirect evaluates the expressions of every file of l both ways and returns how many
// parts the fast path answered.
func compareDirect(t *testing.T, l *loader, ev *evaluator) int {
	t.Helper()
	fast := 0
	for name, f := range l.files {
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		ctx := ev.ctx(name)
		hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
			expr, ok := n.(hclsyntax.Expression)
			if !ok {
				return nil
			}
			if tpl, ok := expr.(*hclsyntax.TemplateExpr); ok {
				for _, part := range tpl.Parts {
					if _, ok := ev.direct.value(part); ok {
						fast++
					}
				}
			}
			if _, ok := ev.direct.value(expr); ok {
				fast++
			}
			got, gotDiags := evalSourceString(expr, func() *hcl.EvalContext { return ctx }, &ev.direct, f.Bytes, l.lineIndex(name))
			want, wantDiags := evalSourceString(expr, func() *hcl.EvalContext { return ctx }, nil, f.Bytes, l.lineIndex(name))
			at := hcl.RangeBetween(expr.StartRange(), expr.Range())
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: fast path gives %#v, HCL %#v", at, got, want)
			}
			if !reflect.DeepEqual(gotDiags, wantDiags) {
				t.Errorf("%s: fast path reports %v, HCL %v", at, gotDiags, wantDiags)
			}
			return nil
		})
	}
	return fast
}

// TestLoadSameWithoutDirectValues loads every input with evalSourceString's fast path and
// without it: what the user sees (diagnostics, and every string the rules, templates and
// messages were compiled from, with its position) must not change.
func TestLoadSameWithoutDirectValues(t *testing.T) {
	defer func() { directTraversals = true }()
	for name, srcs := range directInputs(t) {
		t.Run(name, func(t *testing.T) {
			directTraversals = true
			fast := loadSummary(LoadSource(srcs, Options{LookupEnv: directEnv}))
			directTraversals = false
			slow := loadSummary(LoadSource(srcs, Options{LookupEnv: directEnv}))
			if fast != slow {
				t.Errorf("with the fast path:\n%s\nwithout:\n%s", fast, slow)
			}
		})
	}
}

// loadSummary renders what a load gives that evaluated strings flow into.
func loadSummary(cfg *Config, diags hcl.Diagnostics) string {
	var b bytes.Buffer
	WriteDiagnostics(&b, cfg.Files, diags)
	// In full, but sorted: some decoders report in map order, which WriteDiagnostics sorts.
	var lines []string
	for _, d := range diags {
		lines = append(lines, fmt.Sprintf("%v %q %q subject %v context %v\n", d.Severity, d.Summary, d.Detail, d.Subject, d.Context))
	}
	slices.Sort(lines)
	b.WriteString(strings.Join(lines, ""))
	windows := func(ws []Window) string {
		var out []string
		for _, w := range ws {
			out = append(out, fmt.Sprint(w.Key(), w.Input.Path, w.Refs, w.fields))
		}
		return strings.Join(out, ", ")
	}
	program := func(what string, p *Program) {
		if p != nil {
			fmt.Fprintf(&b, "%s %q at %v refs %v windows %v fields %v inputs", what, p.Source, p.Range, p.Refs, windows(p.Windows), p.fields)
			for _, in := range p.Inputs {
				fmt.Fprintf(&b, " %s", in.Path)
			}
			b.WriteByte('\n')
		}
	}
	message := func(what string, m *Message) {
		if m == nil {
			return
		}
		fmt.Fprintf(&b, "%s %q refs %v windows %v\n", what, m.Source, m.Refs, windows(m.Windows))
		for _, part := range m.Parts {
			fmt.Fprintf(&b, "  %q\n", part.Text)
			program("  placeholder", part.Program)
		}
	}
	for _, tpl := range cfg.Templates {
		fmt.Fprintf(&b, "template %q %q at %v\n", tpl.Name, tpl.Text, tpl.Range)
	}
	for _, n := range cfg.Notifiers {
		message("notifier "+n.Name+" title", n.Title)
	}
	for _, p := range cfg.Probes {
		fmt.Fprintf(&b, "probe %v %v\n", p.Ref, p.Attrs)
	}
	for _, r := range cfg.Rules {
		fmt.Fprintf(&b, "rule %q %v for %v repeat %v severity %q labels %v refs %v\n", r.Name, r.Range, r.For, r.Repeat, r.Severity, r.Labels, r.Refs)
		program("when", r.When)
		program("clear_when", r.ClearWhen)
		fmt.Fprintf(&b, "confirm %d of %d depends on %v\n", r.Confirm, r.Window, r.DependsOn)
		for _, s := range slices.Concat(r.Fire, r.Resolve) {
			fmt.Fprintf(&b, "step %v %v %q %v %q\n", s.Kind, s.Range, s.Notifier, s.Command, s.Shell)
			message("message", s.Message)
		}
	}
	fmt.Fprintf(&b, "refs %v fields %v windows %v secrets %d %v\n", cfg.Refs, cfg.Fields, windows(cfg.Windows), len(cfg.Secrets), cfg.SecretEnv)
	return b.String()
}

// Two names that cty normalises to one ("Kelvin" with a K or with a Kelvin sign) collide in
// the object HCL reads, where whichever comes last in map order wins: no lookup in the map
// can say what HCL will find, so the fast path is off for that root.
func TestAsciiNamed(t *testing.T) {
	ascii := map[string]cty.Value{"Kelvin": cty.StringVal("a"), "n": cty.NumberIntVal(1)}
	if got := asciiNamed(ascii); !reflect.DeepEqual(got, ascii) {
		t.Errorf("asciiNamed(%v) = %v, want the map", ascii, got)
	}
	kelvin := map[string]cty.Value{"Kelvin": cty.StringVal("a"), "\u212Aelvin": cty.StringVal("b")}
	if got := asciiNamed(kelvin); got != nil {
		t.Errorf("asciiNamed(%v) = %v, want nil", kelvin, got)
	}
	if got := asciiNamed(nil); got != nil {
		t.Errorf("asciiNamed(nil) = %v", got)
	}
}
