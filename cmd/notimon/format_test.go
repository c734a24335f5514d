package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .golden files of testdata/format from the current output")

// TestFormatGolden runs validate and test with --format json and github (and text, for
// comparison) on the fixtures of testdata/format and compares the exit code and standard
// output with testdata/format/<case>.golden: the JSON shapes and annotations the README
// documents, kept stable. -update rewrites them; read each diff.
func TestFormatGolden(t *testing.T) {
	t.Setenv("NOTIMON_FORMAT_TEST_UNSET", "")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"validate_text", []string{"validate", "testdata/format/good", "testdata/format/bad"}},
		{"validate_json", []string{"validate", "--format", "json", "testdata/format/good", "testdata/format/bad"}},
		{"validate_json_valid", []string{"validate", "--format=json", "testdata/format/good"}},
		{"validate_json_no_rules", []string{"validate", "--format", "json", "testdata/format/missing"}},
		{"validate_github", []string{"validate", "--format", "github", "testdata/format/good", "testdata/format/bad"}},
		{"test_text", []string{"test", "testdata/format/tests"}},
		{"test_json", []string{"test", "--format", "json", "testdata/format/tests"}},
		{"test_json_verbose", []string{"test", "--format", "json", "-v", "--run", "fires after", "testdata/format/tests"}},
		{"test_github", []string{"test", "--format", "github", "testdata/format/tests"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := notimon(t, tc.args...)
			got := fmt.Sprintf("$ notimon %s\n# exit %d\n%s", strings.Join(tc.args, " "), code, out)
			if strings.Contains(strings.Join(tc.args, " "), "json") {
				if !json.Valid([]byte(out)) {
					t.Errorf("not one JSON document:\n%s", out)
				}
			}
			if errOut != "" {
				t.Errorf("stderr: %s", errOut)
			}
			golden := filepath.Join("testdata/format", tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./cmd/notimon -run TestFormatGolden -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n%s", golden, unifiedDiff(golden, "got", want, []byte(got)))
			}
		})
	}
}

func TestGitHubEscaping(t *testing.T) {
	for _, tc := range []struct {
		msg   string
		props []string
		want  string
	}{
		{"plain", nil, "::error::plain"},
		{"100% sure\r\nnext line", []string{"file", "a.hcl", "line", "3"}, "::error file=a.hcl,line=3::100%25 sure%0D%0Anext line"},
		{"a: b, c", []string{"title", "Bad: a, b %x\n", "file", "dir,x/a:b.hcl", "col", ""}, "::error title=Bad%3A a%2C b %25x%0A,file=dir%2Cx/a%3Ab.hcl::a: b, c"},
		{"::not a command", []string{"title", "t"}, "::error title=t::::not a command"},
	} {
		if got := githubCommand("error", tc.msg, tc.props...); got != tc.want {
			t.Errorf("githubCommand(%q, %q) = %q, want %q", tc.msg, tc.props, got, tc.want)
		}
	}
	// Whatever the text, an annotation is one line.
	if got := githubCommand("warning", "a\nb\rc", "title", "x\ny"); strings.ContainsAny(got, "\r\n") {
		t.Errorf("%q spans lines", got)
	}
}

func TestFormatFlag(t *testing.T) {
	for _, args := range [][]string{
		{"validate", "--format", "yaml"},
		{"test", "--format", "xml"},
	} {
		code, _, errOut := notimon(t, args...)
		if code != exitUsage || !strings.Contains(errOut, "--format \""+args[2]+"\": "+args[0]+" takes text, json, github") {
			t.Errorf("%q: exit %d, %s", args, code, errOut)
		}
	}
	values, _, _ := complete(t, "validate", "--format", "")
	if strings.Join(values, " ") != "text json github" {
		t.Errorf("validate --format <TAB> = %q", values)
	}
}
