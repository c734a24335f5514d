package dsl

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/parser"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// The library floor of a load: the part of Load that HCL and expr do, run on its own. It
// parses every file with hclsyntax.ParseConfig in the pieces Load parses it in, on every
// core, then has expr parse, check and compile every rule condition and every distinct
// {{ }} placeholder as Load does (floorCompile), on every core, with the configurations
// Load uses and the collector set as Load sets it. Nothing of notimon's own work is in it: no decoding, no evaluation of ${}
// interpolations, no checks. Load's figure minus the floor's is what notimon adds; a target
// below the floor cannot be met with these two libraries.

// floorCompile does to code what Load has expr do: parse it, check it with the
// configuration Load checks it with (checking), and compile it unless Load leaves that to
// its first run (compileLater).
func floorCompile(code string, withWindows, plain *conf.Config) error {
	tree, err := parser.ParseWithConfig(code, withWindows)
	if err != nil {
		return err
	}
	cfg := checking(code, withWindows, plain)
	if compileLater(code) {
		return checkTree(tree, cfg)
	}
	_, err = compileTree(tree, cfg)
	return err
}

// floorSources are the evaluated conditions and placeholders of a loaded configuration.
type floorSources struct {
	conds, placeholders []string
}

func floorOf(b *testing.B, sources map[string][]byte) (*Config, floorSources) {
	cfg, diags := LoadSource(sources, Options{})
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	var fs floorSources
	seen := map[string]bool{}
	for _, r := range cfg.Rules {
		fs.conds = append(fs.conds, r.When.Source)
		if r.ClearWhen != nil {
			fs.conds = append(fs.conds, r.ClearWhen.Source)
		}
		for _, s := range append(append([]*Step{}, r.Fire...), r.Resolve...) {
			if s.Message == nil {
				continue
			}
			for _, part := range s.Message.Parts {
				if p := part.Program; p != nil && !seen[p.Source] {
					seen[p.Source] = true
					fs.placeholders = append(fs.placeholders, p.Source)
				}
			}
		}
	}
	return cfg, fs
}

// benchFloor runs the floor of loading sources.
func benchFloor(b *testing.B, sources map[string][]byte) {
	cfg, fs := floorOf(b, sources)
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	type piece struct {
		src  []byte
		name string
		at   hcl.Pos
	}
	var pieces []piece
	for _, n := range names {
		src := sources[n]
		starts := []hcl.Pos{hcl.InitialPos}
		if len(src) >= splitMin {
			starts = cutPoints(src, splitPiece)
		}
		for i, at := range starts {
			end := len(src)
			if i+1 < len(starts) {
				end = starts[i+1].Byte
			}
			pieces = append(pieces, piece{src: src[at.Byte:end], name: n, at: at})
		}
	}
	workers := runtime.GOMAXPROCS(0)
	each := func(n int, do func(i int)) {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
					do(i)
				}
			})
		}
		wg.Wait()
	}
	b.ReportAllocs()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	cpu := cpuTime()
	size := 0
	for _, src := range sources {
		size += len(src)
	}
	for b.Loop() {
		var gc gcBoost // the collector as Load runs it
		gc.add(size)
		var failed atomic.Bool
		each(len(pieces), func(i int) {
			p := pieces[i]
			_, diags := hclsyntax.ParseConfig(p.src, p.name, p.at)
			if diags.HasErrors() {
				failed.Store(true)
			}
		})
		compilers := make(chan *compiler, workers)
		for range workers {
			compilers <- newCompiler(cfg.Schema)
		}
		all := len(fs.conds) + len(fs.placeholders)
		each(all, func(i int) {
			c := <-compilers
			defer func() { compilers <- c }()
			var err error
			if i < len(fs.conds) {
				err = floorCompile(fs.conds[i], c.cond, c.condPlain)
			} else {
				err = floorCompile(fs.placeholders[i-len(fs.conds)], c.msg, c.msgPlain)
			}
			if err != nil {
				failed.Store(true)
			}
		})
		gc.done()
		if failed.Load() {
			b.Fatal("the floor failed to parse or compile what Load loaded")
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.TotalAlloc-before)/float64(b.N)/float64(len(cfg.Rules)), "B/rule")
}

// BenchmarkFloor4MiB is the library floor of BenchmarkLoad4MiB.
func BenchmarkFloor4MiB(b *testing.B) {
	src := bigRules(MaxRulesFileSize - 1024)
	b.SetBytes(int64(len(src)))
	benchFloor(b, map[string][]byte{"big.hcl": src})
}

// BenchmarkFloor10000Rules is the library floor of BenchmarkLoad10000Rules.
func BenchmarkFloor10000Rules(b *testing.B) {
	dir := writeRules10000(b)
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	sources := map[string][]byte{}
	for _, e := range entries {
		src, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		sources[filepath.Join(dir, e.Name())] = src
	}
	benchFloor(b, sources)
}
