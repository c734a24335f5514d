package examples

import (
	"bytes"
	"context"
	"testing"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/ruletest"
)

// TestMemoryLeakExample: examples/memory-leak validates without a single diagnostic and
// its rule tests pass (CI also runs them with `notimon test examples`).
func TestMemoryLeakExample(t *testing.T) {
	cfg, diags := dsl.Load([]string{"memory-leak"}, dsl.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if len(diags) > 0 {
		var b bytes.Buffer
		dsl.WriteDiagnostics(&b, cfg.Files, diags)
		t.Fatalf("examples/memory-leak does not validate cleanly:\n%s", b.String())
	}
	if len(cfg.Rules) != 1 || cfg.Rules[0].Name != "memory_leak_suspected" {
		t.Fatalf("rules %v, want memory_leak_suspected alone", cfg.Rules)
	}

	f, _ := ruletest.LoadFile("memory-leak/memory-leak_test.hcl")
	if f.Diags.HasErrors() {
		var b bytes.Buffer
		dsl.WriteDiagnostics(&b, f.Files, f.Diags)
		t.Fatalf("the test file is invalid:\n%s", b.String())
	}
	if len(f.Tests) < 4 {
		t.Errorf("%d tests, want at least 4 (fires and resolves, repeats, a single swap-out, low real memory)", len(f.Tests))
	}
	var r ruletest.Runner
	for _, test := range f.Tests {
		res := r.Run(context.Background(), test)
		if !res.Passed() {
			var b bytes.Buffer
			res.Write(&b, true)
			t.Errorf("%s", b.String())
		}
	}
}
