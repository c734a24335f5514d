package dsl

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestHeredocsParseAsHCLParsesThem parses files with heredocs both ways, HCL's and
// parseConfig's with every heredoc taken as long, and wants the same syntax trees: values,
// ranges (those of everything after a heredoc too) and diagnostics.
func TestHeredocsParseAsHCLParsesThem(t *testing.T) {
	defer func(n int) { longHeredoc = n }(longHeredoc)
	longHeredoc = 1
	cases := []string{
		"a = <<EOT\nhello\n  world\nEOT\nb = 1\n",
		"x \"y\" {\n  a = <<-EOT\n    l1 $${x} %%{y}\n\n      l2 {{ cpu.avg3 }}\n    \n\tl3\n    EOT\n  b = 1\n}\nc = 2\n",
		"a = <<-EOT\n\t\ttab\n\t\t\tmore\n\t\tEOT\n",
		"a = <<-EOT\n    🔥 fire\n      héllo wörld\n    EOT\nb = \"after\"\n",
		"a = <<-EOT\n    \u0301combining\n      x\n    EOT\n",
		"a = <<-EOT\n   \u00a0nbsp\n    x\n    EOT\n",
		"a = <<EOT\nno newline at the end\nEOT",
		"a = <<-EOT\n    uses ${local.x}\n    EOT\n",
		"a = { k = <<EOT\nin an object\nEOT\n}\n",
		"a = <<EOT\nfirst\nEOT\nb = <<-EOT\n  second\n  EOT\nc {\n  d = <<-MSG\n      third\n    MSG\n}\n",
		"a = <<-EOT\n    EOT\n",
		"a = <<A\nshort marker\nA\n",
		"a = <<EOT\nunterminated\n",
		"rule \"r\" {\n  notify \"ops\" {\n    message = <<-EOT\n      [{{ host.name }}] {{ rule.name }}\n\n      ${template.x}\n    EOT\n  }\n}\n",
	}
	r := rand.New(rand.NewPCG(7, 9))
	pieces := []string{"word", " ", "  ", "\t", "{{ x }}", "$${", "%%{", "é", "🔥", "\u0301", "\u00a0", "", "}"}
	for range 300 {
		var b strings.Builder
		flush := r.IntN(2) == 0
		b.WriteString("blk {\n  a = <<")
		if flush {
			b.WriteString("-")
		}
		b.WriteString("EOT\n")
		for range 1 + r.IntN(8) {
			for range r.IntN(5) {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			b.WriteString("\n")
		}
		b.WriteString("  EOT\n  z = 1\n}\n")
		cases = append(cases, b.String())
	}
	for _, src := range cases {
		want, wantDiags := hclsyntax.ParseConfig([]byte(src), "a.hcl", hcl.InitialPos)
		got, gotDiags := parseConfig([]byte(src), "a.hcl", hcl.InitialPos)
		if !reflect.DeepEqual(got.Body, want.Body) || string(got.Bytes) != src {
			t.Errorf("%q: parsed differently:\ngot  %s\nwant %s", src, dump(got.Body), dump(want.Body))
		}
		if fmt.Sprint(gotDiags) != fmt.Sprint(wantDiags) {
			t.Errorf("%q: diagnostics %v, want %v", src, gotDiags, wantDiags)
		}
	}
}

// dump prints a body's attributes with their expressions, for a failure message.
func dump(body hcl.Body) string {
	var b strings.Builder
	var walk func(*hclsyntax.Body)
	walk = func(body *hclsyntax.Body) {
		for name, a := range body.Attributes {
			fmt.Fprintf(&b, "%s %v %#v; ", name, a.SrcRange, a.Expr)
			if t, ok := a.Expr.(*hclsyntax.TemplateExpr); ok {
				for _, p := range t.Parts {
					fmt.Fprintf(&b, "part %#v; ", p)
				}
			}
		}
		for _, bl := range body.Blocks {
			walk(bl.Body)
		}
	}
	if s, ok := body.(*hclsyntax.Body); ok {
		walk(s)
	}
	return b.String()
}

// TestLongHeredocLoadsInLinearTime loads a 4 MB heredoc, which HCL alone takes minutes
// over: the time per byte must stay that of a 256 KB one (within a generous factor: the
// machine is shared).
func TestLongHeredocLoadsInLinearTime(t *testing.T) {
	cpuPerByte := func(size int) float64 {
		var s strings.Builder
		s.WriteString("notifier \"console\" \"ops\" {}\ntemplate \"big\" {\n  text = <<-EOT\n")
		for i := 0; s.Len() < size; i++ {
			fmt.Fprintf(&s, "    line %d: cpu {{ cpu.avg3 }}%% on {{ host.name }}\n", i)
		}
		s.WriteString("  EOT\n}\n")
		start, wall := cpuTime(), time.Now()
		cfg, diags := LoadSource(map[string][]byte{"a.hcl": []byte(s.String())}, Options{})
		if diags.HasErrors() || len(cfg.Templates) != 1 || !strings.HasPrefix(cfg.Templates[0].Text, "line 0: cpu") {
			t.Fatalf("%d bytes: %v", size, diags)
		}
		used := cpuTime() - start
		if used == 0 {
			used = time.Since(wall)
		}
		return float64(used) / float64(size)
	}
	small, big := cpuPerByte(256<<10), cpuPerByte(4<<20-4096)
	if big > 4*small+1 {
		t.Errorf("a 4 MB heredoc costs %.0f ns per byte, a 256 KB one %.0f: not linear", big, small)
	}
}

// FuzzHeredocParse: whatever the bytes, parseConfig with every heredoc taken as long
// gives HCL's syntax tree when HCL finds no error, and exactParse gives HCL's tree and
// diagnostics always.
//
//	go test ./dsl -run XXX -fuzz FuzzHeredocParse -fuzztime 5m -fuzzminimizetime 5s
func FuzzHeredocParse(f *testing.F) {
	for _, s := range []string{
		"a = <<EOT\nhello\n  world\nEOT\nb = 1\n",
		"x \"y\" {\n  a = <<-EOT\n    l1 $${x} %%{y}\n\n      l2 {{ cpu.avg3 }}\n    \n\tl3\n    EOT\n  b = 1\n}\nc = 2\n",
		"a = <<-EOT\n    🔥 fire\n      héllo wörld\n    EOT\nb = \"after\"\n",
		"a = <<-EOT\n    \u0301combining\n      x\n    EOT\n",
		"a = <<EOT\nfirst\nEOT\nb = <<-EOT\n  second\n  EOT\nc {\n  d = <<-MSG\n      third\n    MSG\n}\n",
	} {
		f.Add([]byte(s))
	}
	defer func(n int) { longHeredoc = n }(longHeredoc)
	longHeredoc = 1
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 16<<10 {
			return
		}
		want, wantDiags := hclsyntax.ParseConfig(src, "a.hcl", hcl.InitialPos)
		got, gotDiags := parseConfig(src, "a.hcl", hcl.InitialPos)
		if !wantDiags.HasErrors() && (!reflect.DeepEqual(got.Body, want.Body) || fmt.Sprint(gotDiags) != fmt.Sprint(wantDiags)) {
			t.Errorf("%q: parsed differently:\ngot  %s %v\nwant %s %v", src, dump(got.Body), gotDiags, dump(want.Body), wantDiags)
		}
		exact, exactDiags := exactParse(src, "a.hcl", hcl.InitialPos)
		if !reflect.DeepEqual(exact.Body, want.Body) || fmt.Sprint(exactDiags) != fmt.Sprint(wantDiags) {
			t.Errorf("%q: exactParse differs from HCL:\ngot  %s %v\nwant %s %v", src, dump(exact.Body), exactDiags, dump(want.Body), wantDiags)
		}
	})
}
