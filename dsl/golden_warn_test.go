package dsl_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/notimon/notimon/dsl"
)

// TestWarningConfigs loads every directory of testdata/warn, configurations that are valid
// but deserve a warning, and compares what `notimon validate` would print with
// testdata/warn/<case>.golden (-update rewrites them). Fixture files whose bytes matter
// (scripts saved with CRLF) are marked -text in .gitattributes, so git never converts them.
func TestWarningConfigs(t *testing.T) {
	const root = "testdata/warn"
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			dir := root + "/" + name // relative, as a user would type it
			cfg, diags := dsl.Load([]string{dir}, dsl.Options{LookupEnv: lookupFake(fakeEnv)})
			var buf bytes.Buffer
			dsl.WriteDiagnostics(&buf, cfg.Files, diags)
			got := buf.String()
			if diags.HasErrors() {
				t.Fatalf("%s has errors; a warning case must be valid:\n%s", dir, got)
			}
			if len(diags) == 0 {
				t.Fatalf("%s loads without warnings", dir)
			}
			golden := filepath.Join(root, name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./dsl -run TestWarningConfigs -update to create it, then read it)", err)
			}
			if got != string(want) {
				t.Errorf("diagnostics of %s differ from %s\n--- got:\n%s\n--- want:\n%s", dir, golden, got, want)
			}
		})
	}
	if n == 0 {
		t.Errorf("no cases in %s", root)
	}
}
