package dsl

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestLiteralValueIsTheEvaluatedValue: a local that is a literal is taken without
// evaluating it (decodeLocals), so its value must be what HCL's evaluation gives; anything
// else must not be taken for a literal.
func TestLiteralValueIsTheEvaluatedValue(t *testing.T) {
	literals := []string{`50`, `1.5`, `1e3`, `true`, `null`, `"team@example.com"`, `""`,
		`"경고: CPU"`, `"e\u0301"`, `"tab\there\n"`, `"$${not} %%{an} interpolation"`, `"{{ cpu.avg3 }}"`,
		`<<EOT
heredoc
EOT`, `<<-EOT
    indented
  EOT`}
	others := []string{`-1.5`, `"${local.x}"`, `"a${1}"`, `[1, 2]`, `{ a = 1 }`, `1 + 2`, `local.x`, `env("HOME")`,
		`"%{ if true }x%{ endif }"`, `<<EOT
${local.x}
EOT`}
	parse := func(src string) hclsyntax.Expression {
		t.Helper()
		f, diags := hclsyntax.ParseConfig([]byte("x = "+src+"\n"), "t.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", src, diags)
		}
		return f.Body.(*hclsyntax.Body).Attributes["x"].Expr
	}
	for _, src := range literals {
		e := parse(src)
		got, ok := literalValue(e)
		if !ok {
			t.Errorf("%s: not taken for a literal", src)
			continue
		}
		want, diags := e.Value(&hcl.EvalContext{})
		if diags.HasErrors() || !got.RawEquals(want) {
			t.Errorf("%s: %#v, evaluated %#v (%v)", src, got, want, diags)
		}
	}
	for _, src := range others {
		if v, ok := literalValue(parse(src)); ok {
			t.Errorf("%s: taken for the literal %#v", src, v)
		}
	}
}
