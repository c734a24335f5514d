package dsl_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/notimon/notimon/dsl"
)

var update = flag.Bool("update", false, "rewrite the .golden files of testdata/bad from the current output")

// fakeEnv is the environment every golden case loads with: the Telegram credentials of the
// shipped rules are set, nothing else is.
var fakeEnv = map[string]string{
	"NOTIMON_TELEGRAM_TOKEN":   "123456:fake-token",
	"NOTIMON_TELEGRAM_CHAT_ID": "-1001234567890",
}

func lookupFake(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

// emptyCases are golden cases for a directory with no files at all. Git keeps no empty
// directory, so the test makes one under a temporary working directory at the same
// relative path.
var emptyCases = []string{"empty_dir"}

// wantErrors are cases with several independent mistakes, and how many errors each must
// report in one pass: the loader never stops at the first.
var wantErrors = map[string]int{
	"many_errors":                  8, // across two files
	"unknown_notifier":             3, // notify, renotify, on_resolve notify
	"locals_cycle":                 4, // three locals in one cycle, one in its own; none for their users
	"wrong_label_count":            3,
	"telegram_missing_credentials": 2,
	"template_unknown_field":       1, // at the template, not again at the two messages using it
	"probe_error_used_by_rule":     1, // at the probe, not again where rules read it
	"unknown_notifier_kind":        1, // at the notifier, not again at the step using it
	"template_text_error":          1,
	"server_htpasswd_weak":         5, // one per bad line, naming its user
	"server_tls_missing":           2, // the certificate and the key
	// A syntax error is reported once, and the blocks after it are checked as written: no
	// "Blocks of type "rule" are not expected here", no "Unknown notifier" for a notifier
	// the parser's recovery skipped.
	"one_line_block":            2, // the one-line on_resolve, and a real typo two rules later
	"syntax_error_other_files":  2, // the one-line locals, and a real typo in another file
	"maintenance_weekly_syntax": 6, // each bad item of one list, at the item
	"maintenance_incomplete":    7,
	"depends_on_unknown":        3,
	"depends_on_cycle":          2, // one per cycle, not one per member
	"max_runs_invalid":          4,
}

// TestBadConfigs loads every directory of testdata/bad and compares what `notimon validate`
// would print with testdata/bad/<case>.golden. Run with -update to rewrite the golden files,
// then read each diff: the golden file is the specification of what a user sees.
func TestBadConfigs(t *testing.T) {
	const root = "testdata/bad"
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{} // name → has a directory
	for _, e := range entries {
		switch {
		case e.IsDir():
			cases[e.Name()] = true
		case strings.HasSuffix(e.Name(), ".golden"):
			name := strings.TrimSuffix(e.Name(), ".golden")
			if _, ok := cases[name]; !ok {
				cases[name] = false
			}
		}
	}
	for _, name := range emptyCases {
		cases[name] = true
	}
	names := make([]string, 0, len(cases))
	for n, hasDir := range cases {
		if !hasDir {
			t.Errorf("%s/%s.golden has no case directory %s/%s", root, n, root, n)
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) < 30 {
		t.Errorf("only %d cases in %s; the suite should cover at least 30 mistakes", len(names), root)
	}

	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := root + "/" + name // relative, as the user would type it: file names in the output are too
			golden, err := filepath.Abs(filepath.Join(root, name+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(emptyCases, name) {
				tmp := t.TempDir()
				if err := os.MkdirAll(filepath.Join(tmp, dir), 0o755); err != nil {
					t.Fatal(err)
				}
				t.Chdir(tmp)
			}

			cfg, diags := dsl.Load([]string{dir}, dsl.Options{LookupEnv: lookupFake(fakeEnv)})
			var buf bytes.Buffer
			dsl.WriteDiagnostics(&buf, cfg.Files, diags)
			got := buf.String()

			if !diags.HasErrors() {
				t.Errorf("%s loads without errors; every bad case must report at least one. Output:\n%s", dir, got)
			}
			if want, ok := wantErrors[name]; ok && countErrors(diags) != want {
				t.Errorf("%s reports %d errors, want %d in one pass:\n%s", dir, countErrors(diags), want, got)
			}
			for _, d := range diags {
				if d.Subject != nil && filepath.IsAbs(d.Subject.Filename) {
					t.Errorf("diagnostic %q names an absolute file %s; Load was given a relative path", d.Summary, d.Subject.Filename)
				}
			}

			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./dsl -run TestBadConfigs -update to create it, then read it)", err)
			}
			if got != string(want) {
				t.Errorf("diagnostics of %s differ from %s.golden\n--- got:\n%s\n--- want:\n%s", dir, name, got, want)
			}
		})
	}
}

func countErrors(diags hcl.Diagnostics) int {
	n := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	return n
}
