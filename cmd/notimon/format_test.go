package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
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
		{"test_silence", []string{"test", "testdata/format/silence"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkGolden(t, tc.name, tc.args, nil)
		})
	}
}

// checkGolden runs notimon with args and compares its exit code and standard output,
// passed through normalize (for temporary paths and timings), with
// testdata/format/<name>.golden; -update rewrites the file. A JSON output must be one
// valid document, and a command that succeeds prints nothing on standard error.
func checkGolden(t *testing.T, name string, args []string, normalize func(string) string) {
	t.Helper()
	code, out, errOut := notimon(t, args...)
	shown := strings.Join(args, " ")
	if normalize != nil {
		out, shown = normalize(out), normalize(shown)
	}
	got := fmt.Sprintf("$ notimon %s\n# exit %d\n%s", shown, code, out)
	if (strings.Contains(strings.Join(args, " "), "--format json") || slices.Contains(args, "--format=json")) && !json.Valid([]byte(out)) {
		t.Errorf("not one JSON document:\n%s", out)
	}
	if errOut != "" && code == exitOK {
		t.Errorf("stderr: %s", errOut)
	}
	golden := filepath.Join("testdata/format", name+".golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/notimon -run %s -update writes it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n%s", golden, unifiedDiff(golden, "got", want, []byte(got)))
	}
}

// TestExplainJSONGolden: explain --format json without a state, and with the state a run
// left (pending, then firing on this tick), on values from a file.
func TestExplainJSONGolden(t *testing.T) {
	state := t.TempDir()
	norm := func(s string) string { return strings.ReplaceAll(s, state, "$STATE") }
	t0 := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	setClock(t, t0)
	args := []string{"explain", "site", "--format", "json", "--at-values", "testdata/format/explain/values.json", "--state-dir", state, "testdata/format/explain"}
	checkGolden(t, "explain_json", args, norm)
	checkGolden(t, "explain_text", slices.Delete(slices.Clone(args), 2, 4), norm)

	// run --once makes the rule pending (the site's port 9 refuses connections); 90 s
	// later, explain says it fires.
	if code, out, errOut := notimon(t, "run", "--once", "--state-dir", state, "testdata/format/explain"); code != exitOK {
		t.Fatalf("run --once: exit %d\n%s%s", code, out, errOut)
	}
	setClock(t, t0.Add(90*time.Second))
	checkGolden(t, "explain_json_pending", args, norm)
}

// TestDryRunJSONGolden: run --once --dry-run --format json on rules whose probes print
// fixed text: a rule that fires with its chain rendered, one that does not hold, one that
// cannot be evaluated.
func TestDryRunJSONGolden(t *testing.T) {
	setClock(t, time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))
	sampling := regexp.MustCompile(`"sampling": [0-9.]+,`)
	norm := func(s string) string { return sampling.ReplaceAllString(s, `"sampling": 0.004,`) }
	checkGolden(t, "dryrun_json", []string{"run", "--once", "--dry-run", "--format", "json", "testdata/format/dryrun"}, norm)
	if code, _, errOut := notimon(t, "run", "--format", "json", "testdata/format/dryrun"); code != exitUsage || !strings.Contains(errOut, "--format json goes with --once --dry-run") {
		t.Errorf("run --format json without --once --dry-run: exit %d, %s", code, errOut)
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
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"validate", "--format", "yaml"}, `--format "yaml": validate takes text, json, github`},
		{[]string{"test", "--format", "xml"}, `--format "xml": test takes text, json, github`},
		{[]string{"explain", "x", "--format", "github"}, `--format "github": explain takes text, json`},
		{[]string{"run", "--once", "--dry-run", "--format", "github"}, `--format "github": run takes text, json`},
		{[]string{"run", "--once", "--format", "json"}, `--format json goes with --once --dry-run`},
	} {
		code, _, errOut := notimon(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, %s", tc.args, code, errOut)
		}
	}
	values, _, _ := complete(t, "validate", "--format", "")
	if strings.Join(values, " ") != "text json github" {
		t.Errorf("validate --format <TAB> = %q", values)
	}
}
