package dsl

import (
	"strings"
	"testing"
)

// TestLineIndex checks the line and line start found for every offset of sources with and
// without newlines at either end against a count of the newlines before the offset.
func TestLineIndex(t *testing.T) {
	for _, src := range []string{"", "x", "\n", "\n\n", "a\nb", "a\nb\n", "\nrule \"r\" {\n  when = \"true\"\n}\n", "한글\n\nx\r\ny"} {
		var li lineIndex
		for off := 0; off <= len(src); off++ {
			line, start := li.find([]byte(src), off)
			wantLine := 1 + strings.Count(src[:off], "\n")
			wantStart := strings.LastIndexByte(src[:off], '\n') + 1
			if line != wantLine || start != wantStart {
				t.Errorf("%q at %d: line %d starting at %d, want %d at %d", src, off, line, start, wantLine, wantStart)
			}
		}
	}
}
