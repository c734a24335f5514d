package dsl_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/notimon/notimon/dsl"
)

// TestFormatGolden formats every testdata/fmt/<case>.hcl and compares the result with
// <case>.golden (for a file that does not parse: the diagnostics); -update rewrites them.
// Formatting is idempotent: the golden file formats to itself.
func TestFormatGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/fmt/*.hcl")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases in testdata/fmt: %v", err)
	}
	for _, name := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(name), ".hcl"), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			out, file, diags := dsl.Format(name, src)
			got := out
			if diags.HasErrors() {
				if out != nil {
					t.Errorf("a file with errors was formatted anyway")
				}
				var buf bytes.Buffer
				dsl.WriteDiagnostics(&buf, map[string]*hcl.File{name: file}, diags)
				got = buf.Bytes()
			}
			golden := strings.TrimSuffix(name, ".hcl") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./dsl -run TestFormatGolden -update, then read it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Format(%s) differs from %s\n--- got:\n%s\n--- want:\n%s", name, golden, got, want)
			}
			if diags.HasErrors() {
				return
			}
			again, _, diags := dsl.Format(golden, want)
			if diags.HasErrors() || !bytes.Equal(again, want) {
				t.Errorf("formatting is not idempotent: %s formats to\n%s", golden, again)
			}
		})
	}
}

// TestFormatKeepsLineEndings: a CRLF file comes back CRLF on every line, an LF file LF.
func TestFormatKeepsLineEndings(t *testing.T) {
	src := "rule \"x\" {\r\n      when=\"cpu.avg3 > 50\"\r\n  notify \"stdout\" { message = \"x\" }\r\n}\r\n"
	out, _, diags := dsl.Format("a.hcl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if n, crlf := bytes.Count(out, []byte("\n")), bytes.Count(out, []byte("\r\n")); n != 4 || crlf != 4 {
		t.Errorf("%d lines, %d of them CRLF, want 4 and 4:\n%q", n, crlf, out)
	}
	lf, _, _ := dsl.Format("a.hcl", []byte(strings.ReplaceAll(src, "\r\n", "\n")))
	if !bytes.Equal(bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n")), lf) || bytes.Contains(lf, []byte("\r")) {
		t.Errorf("the CRLF and LF versions format differently:\n%q\n%q", out, lf)
	}
}
