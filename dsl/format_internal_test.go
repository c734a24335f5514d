package dsl

import (
	"strings"
	"testing"
)

// TestSameTokens: Format's safety net accepts whitespace changes between tokens and a
// different number of newlines at the end, and nothing else.
func TestSameTokens(t *testing.T) {
	src := "rule \"x\" {\n  when = \"a\"\n  text = <<-EOT\n    kept  as is\n  EOT\n}\n"
	for _, ok := range []string{
		"rule  \"x\"   {\n      when=\"a\"\n  text = <<-EOT\n    kept  as is\n  EOT\n}",
		src + "\n\n",
	} {
		if err := sameTokens("a.hcl", []byte(src), []byte(ok)); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{
		strings.Replace(src, "kept  as is", "kept as is", 1), // heredoc text
		strings.Replace(src, "    kept", "  kept", 1),        // heredoc indentation
		strings.Replace(src, `"a"`, `"b"`, 1),
		strings.Replace(src, "  when = \"a\"\n", "", 1),
		strings.Replace(src, "  when = \"a\"\n", "  when = \"a\"\n\n", 1), // a newline is a token
	} {
		if err := sameTokens("a.hcl", []byte(src), []byte(bad)); err == nil {
			t.Errorf("%q: no difference found", bad)
		}
	}
}
