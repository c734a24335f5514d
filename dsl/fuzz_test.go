package dsl_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/notimon/notimon/dsl"
)

// FuzzLoad feeds arbitrary bytes to the loader as one rules file. Whatever the input, Load
// must not panic, every diagnostic it returns must point inside that file, printing them
// must not panic, and loading the same bytes twice must say the same thing.
//
//	go test ./dsl -run XXX -fuzz FuzzLoad -fuzztime 10m -parallel 2 -fuzzminimizetime 5s
//
// Why -fuzzminimizetime: without it, "execs" stops moving for up to a minute at a time
// (about 100 s of a 5-minute run). Nothing hangs: each stall is a worker minimizing a new
// interesting input (GODEBUG=fuzzdebug=1 logs "queueing input for minimization" before it
// and "minimizing took: 40.9s" after it), and the executions it makes meanwhile are only
// counted when it reports back, so the count then jumps (11,639 → 23,503). Go's minimizer
// tries removing every span of the input, quadratic in its size, and it starts from our
// seeds (whole rule files of up to 5 KB, every execution two loads), so each minimization
// runs until -fuzzminimizetime (default 60s) ends it. No input is slow: the slowest seed
// loads in about 65 ms under coverage instrumentation, a mutated one in about 1 ms. With
// 5s the longest pause in 90 s fell from 41 s to 9 s, and 24 new inputs were found instead of 8.
func FuzzLoad(f *testing.F) {
	var seeds [][]byte
	for _, root := range []string{"testdata", "../rules.d"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".hcl") {
				return err
			}
			b, err := os.ReadFile(path)
			if err == nil {
				seeds = append(seeds, b)
			}
			return err
		})
		if err != nil {
			f.Fatal(err)
		}
	}
	if len(seeds) < 30 {
		f.Fatalf("only %d seed files found", len(seeds))
	}
	// The shipped files together: one seed that reaches rules, templates and messages.
	var shipped []byte
	for _, name := range []string{"../rules.d/00-notimon.hcl", "../rules.d/10-overload.hcl"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		shipped = append(shipped, b...)
	}
	seeds = append(seeds, shipped, bytes.ReplaceAll(shipped, []byte("\n"), []byte("\r\n")))
	for _, s := range seeds {
		f.Add(s)
	}

	opts := dsl.Options{LookupEnv: lookupFake(fakeEnv)}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, diags := dsl.LoadSource(map[string][]byte{"a.hcl": data}, opts)
		if cfg == nil {
			t.Fatal("LoadSource returned a nil Config")
		}
		src := data
		if file := cfg.Files["a.hcl"]; file != nil {
			src = file.Bytes // CRLF normalised: positions refer to these bytes
		}
		for _, d := range diags {
			if d == nil {
				t.Fatal("nil diagnostic")
			}
			if d.Summary == "" {
				t.Errorf("diagnostic without a summary: %+v", d)
			}
			for what, r := range map[string]*hcl.Range{"subject": d.Subject, "context": d.Context} {
				if r == nil {
					continue
				}
				if r.Filename != "a.hcl" {
					t.Errorf("%s %q: %s names file %q, want a.hcl", what, d.Summary, what, r.Filename)
				}
				if r.Start.Line < 1 || r.Start.Column < 1 || r.End.Line < r.Start.Line {
					t.Errorf("%s %q: bad position %d:%d-%d:%d", what, d.Summary, r.Start.Line, r.Start.Column, r.End.Line, r.End.Column)
				}
				if r.Start.Byte < 0 || r.Start.Byte > r.End.Byte || r.End.Byte > len(src) {
					t.Errorf("%s %q: bytes %d-%d outside the %d-byte source", what, d.Summary, r.Start.Byte, r.End.Byte, len(src))
				}
			}
		}
		var out bytes.Buffer
		dsl.WriteDiagnostics(&out, cfg.Files, diags)

		// Deterministic: no map order leaks into what the user reads.
		cfg2, diags2 := dsl.LoadSource(map[string][]byte{"a.hcl": data}, opts)
		var out2 bytes.Buffer
		dsl.WriteDiagnostics(&out2, cfg2.Files, diags2)
		if out.String() != out2.String() {
			t.Errorf("two loads of the same input differ:\n%s\n---\n%s", out.String(), out2.String())
		}
	})
}
