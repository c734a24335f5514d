package dsl

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// plainEdgeCases are strings plainString must read as HCL does or leave to it: escapes,
// interpolations, directives, non-ASCII (which HCL normalises), comments, expressions
// made of several strings, heredocs, spacing.
const plainEdgeCases = `
a1  = "2m"
a2  = "a\"b"
a3  = "${local.x}"
a4  = "%{if true}x%{endif}"
a5  = "e\u0301"
a6  = "é"
a7  = "a" == "b"
a8  = /* c */ "x"
a9  = ""
a10 = "x" # trailing comment
a11 = <<EOT
x
EOT
a12 = "$${x}"
a13 = "tab	here"
a14 = ["a"]
a15 = "a" != "b" ? "c" : "d"
a16    =    "spaced out"
a17 = "x" /* after */
a18 = "{{ cpu.avg3 }} is {high}"
a19 = "a\\b"
a20 = "%%{x}"
rule "r" {
  when     = "cpu.avg3 > 1"
  for      = "5m"
  severity = "warning"
  notify "ops" {
    message = "x"
  }
}
`

// TestPlainStringIsHCLs reads every attribute of every input evalSourceString's fast path
// is tested on (the shipped rules, the examples, the golden cases, generated rules, edge
// cases) and the cases above with plainString, and requires, wherever it gives a value,
// the value HCL gives.
func TestPlainStringIsHCLs(t *testing.T) {
	inputs := directInputs(t)
	inputs["plain"] = map[string][]byte{"plain.hcl": []byte(plainEdgeCases)}
	plain, declined := 0, 0
	for _, srcs := range inputs {
		for name, src := range srcs {
			p := parseFile(name, src)
			if p.file == nil {
				continue
			}
			body, ok := p.file.Body.(*hclsyntax.Body)
			if !ok {
				continue
			}
			hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
				a, ok := n.(*hclsyntax.Attribute)
				if !ok {
					return nil
				}
				attr := a.AsHCLAttribute()
				s, ok := plainString(p.file.Bytes, attr)
				if !ok {
					declined++
					return nil
				}
				plain++
				v, diags := attr.Expr.Value(nil)
				if diags.HasErrors() || v.IsNull() || !v.IsKnown() || v.Type() != cty.String || v.AsString() != s {
					t.Errorf("%s: plainString reads %q; HCL gives %#v %v", attr.Range, s, v, diags)
				}
				return nil
			})
		}
	}
	t.Logf("plainString read %d attributes and left %d to HCL", plain, declined)
	if plain < 1000 || declined < 1000 {
		t.Errorf("plainString read %d attributes and left %d to HCL: the inputs should exercise both", plain, declined)
	}
}
