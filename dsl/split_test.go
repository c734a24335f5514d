package dsl

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// wholeParse is parseFile without parsing in pieces.
func wholeParse(t *testing.T, name string, src []byte) parsedFile {
	t.Helper()
	old := splitMin
	splitMin = 1 << 62
	defer func() { splitMin = old }()
	return parseFile(name, src)
}

// pieceParse is parseFile cutting before every line that starts a block.
func pieceParse(t *testing.T, name string, src []byte) (parsedFile, bool) {
	t.Helper()
	oldMin, oldPiece := splitMin, splitPiece
	splitMin, splitPiece = 0, 1
	defer func() { splitMin, splitPiece = oldMin, oldPiece }()
	_, split := parseSplit(src, name)
	return parseFile(name, src), split
}

// sameParse fails unless a and b hold the same syntax tree, positions included, and the
// same diagnostics.
func sameParse(t *testing.T, name string, a, b parsedFile) {
	t.Helper()
	if (a.file == nil) != (b.file == nil) {
		t.Fatalf("%s: file %v vs %v", name, a.file, b.file)
	}
	if a.file != nil && !reflect.DeepEqual(a.file.Body, b.file.Body) {
		ab, bb := a.file.Body.(*hclsyntax.Body), b.file.Body.(*hclsyntax.Body)
		t.Errorf("%s: bodies differ: %v %v vs %v %v", name, ab.SrcRange, ab.EndRange, bb.SrcRange, bb.EndRange)
		for i := range min(len(ab.Blocks), len(bb.Blocks)) {
			if !reflect.DeepEqual(ab.Blocks[i], bb.Blocks[i]) {
				t.Fatalf("%s: block %d differs: %s vs %s", name, i, ab.Blocks[i].DefRange(), bb.Blocks[i].DefRange())
			}
		}
		t.Fatalf("%s: %d vs %d blocks", name, len(ab.Blocks), len(bb.Blocks))
	}
	if !reflect.DeepEqual(a.diags, b.diags) || !reflect.DeepEqual(a.broken, b.broken) {
		t.Fatalf("%s: diagnostics differ:\n%v\nvs\n%v", name, a.diags, b.diags)
	}
}

// TestSplitParseIsExact parses a large generated file, the shipped rules, the examples and
// every golden case in pieces and whole: the trees, with every position, and the
// diagnostics must be the same.
func TestSplitParseIsExact(t *testing.T) {
	big := bigRules(600 << 10)
	whole := wholeParse(t, "big.hcl", big)
	// With the default sizes: a few pieces.
	got := parseFile("big.hcl", big)
	if _, split := parseSplit(big, "big.hcl"); !split {
		t.Fatal("a 600 KB valid file is not parsed in pieces")
	}
	sameParse(t, "big.hcl", whole, got)
	if n := len(whole.file.Body.(*hclsyntax.Body).Blocks); n < 2000 {
		t.Fatalf("only %d blocks", n)
	}

	// A long heredoc (parsed by notimon, not HCL: heredoc.go) in a piece of its own.
	var long strings.Builder
	long.WriteString("template \"long\" {\n  text = <<-EOT\n")
	for i := range 3 * longHeredoc {
		fmt.Fprintf(&long, "    line %d: {{ cpu.avg3 }} é\n", i)
	}
	long.WriteString("  EOT\n}\n")
	mixed := append(append(bigRules(300<<10), long.String()...), bigRules(300 << 10)[60:]...)
	if _, split := parseSplit(mixed, "mixed.hcl"); !split {
		t.Fatal("a valid file with a long heredoc is not parsed in pieces")
	}
	sameParse(t, "mixed.hcl", wholeParse(t, "mixed.hcl", mixed), parseFile("mixed.hcl", mixed))

	var files []string
	for _, glob := range []string{"../rules.d/*.hcl", "../examples/*.hcl", "../examples/*/*.hcl", "testdata/bad/*/*.hcl", "testdata/warn/*/*.hcl", "testdata/fmt/*"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 50 {
		t.Fatalf("only %d files found", len(files))
	}
	splitCount := 0
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		got, split := pieceParse(t, name, src)
		if split {
			splitCount++
		}
		sameParse(t, name, wholeParse(t, name, src), got)
	}
	if splitCount < 10 {
		t.Errorf("only %d of %d files were parsed in pieces", splitCount, len(files))
	}
}

// TestSplitParseRefusesBadCuts: a line that starts like a block but lies inside a heredoc,
// a comment or a bracket is not a place to cut; the file parses as a whole, as it must.
func TestSplitParseRefusesBadCuts(t *testing.T) {
	cases := map[string]string{
		"heredoc":       "template \"t\" {\n  text = <<EOT\nrule \"x\" {\nEOT\n}\n",
		"flush heredoc": "template \"t\" {\n  text = <<-EOT\n    a\nrule \"x\" {\n  EOT\n}\n",
		"comment":       "/*\nrule \"x\" {\n*/\nnotifier \"console\" \"ops\" {}\n",
		"bracket":       "locals {\n  x = [\nrule\n  ]\n}\n",
		"broken":        "rule \"a\" {\n  when = \n}\nrule \"b\" {\n  when = \"true\"\n}\n",
		"top attr":      "x = 1\nrule \"b\" {\n  when = \"true\"\n}\nx = 2\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			got, split := pieceParse(t, "a.hcl", []byte(src))
			if split {
				t.Errorf("%q was parsed in pieces", src)
			}
			sameParse(t, name, wholeParse(t, "a.hcl", []byte(src)), got)
		})
	}
	// A cut that is right: after a heredoc, a comment, a multi-line list.
	src := "template \"t\" {\n  text = <<EOT\nrule\nEOT\n}\n/* x\n*/\nlocals {\n  x = [\n    1,\n  ]\n}\nrule \"r\" {\n  when = \"true\"\n}\n"
	got, split := pieceParse(t, "a.hcl", []byte(src))
	if !split {
		t.Errorf("%q was not parsed in pieces", src)
	}
	sameParse(t, "good", wholeParse(t, "a.hcl", []byte(src)), got)
	if starts := cutPoints([]byte(src), 1); len(starts) != 3 || starts[1] != (hcl.Pos{Line: 8, Column: 1, Byte: strings.Index(src, "locals")}) {
		t.Errorf("cut points %v", starts)
	}
}

// With NOTIMON_DSL_PIECES=1 in the environment, every test of the package (the golden
// files included) runs with every file parsed in pieces and every configuration's rules
// decoded several at once, however small: what they check must not change.
func init() {
	if os.Getenv("NOTIMON_DSL_PIECES") != "" {
		splitMin, splitPiece, parallelRules, rulesPerWorker = 0, 1, 0, 1
	}
}
