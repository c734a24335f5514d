package dsl

import (
	"bytes"
	"maps"
	"runtime"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Rules are decoded several at once, one per core: decoding them (evaluating their HCL,
// compiling their conditions and placeholders) is a third of what loading thousands of
// rules costs. The result is the one decoding them in order gives, diagnostics included:
//
//   - names are defined (and duplicates reported) first, in order;
//   - a rule's decoding changes nothing shared: each worker compiles with a compiler of
//     its own (an expr configuration caches types as it checks, and is not safe for
//     concurrent use); the evaluation contexts and line indexes are built before;
//   - a rule that calls a function (env() records what it reads, and warns in order) is
//     decoded after the others, in order, alone;
//   - the results are then taken in order: each rule's diagnostics, and of the placeholders
//     compiled more than once, the one compiled first in source order, as the compiler's
//     cache gives when rules are decoded one after the other.

// parallelRules is the number of rules from which they are decoded several at once, and
// rulesPerWorker the fewest rules per worker; variables for tests. Templates are decoded and
// compiled the same way, from the same numbers.
var parallelRules, rulesPerWorker = 256, 64

// workersFor is the number of workers that decode n blocks at once: below 2, they are
// decoded one after the other.
func workersFor(n int) int {
	if n < parallelRules {
		return 1
	}
	return min(runtime.GOMAXPROCS(0), n/rulesPerWorker)
}

// atOnce runs do(w, i) for every i in [0, n) on workers goroutines, each with a w of its
// own made by worker. Those for which alone(i) holds (asked by the workers, so it must be
// safe to call from several goroutines) run after all the others, here, in order, with a
// w of their own.
//
// A worker takes rulesPerWorker consecutive blocks at a time, not one: neighbouring rules
// share placeholders and field reads (a group of rules generated from one template), and
// each worker compiles those it has not seen itself. Handed out one by one, both workers
// saw every group, and half of the 4,200 compilations of a 4 MiB file were repeats.
func atOnce[W any](workers, n int, alone func(int) bool, worker func() W, do func(W, int)) {
	chunk := max(rulesPerWorker, 1)
	later := make([]bool, n) // alone(i), found by the worker that took i
	next := make(chan int, workers)
	var wg sync.WaitGroup
	for range workers {
		w := worker()
		wg.Go(func() {
			for start := range next {
				for i := start; i < min(start+chunk, n); i++ {
					if later[i] = alone(i); !later[i] {
						do(w, i)
					}
				}
			}
		})
	}
	for start := 0; start < n; start += chunk {
		next <- start
	}
	close(next)
	wg.Wait()
	var w W
	made := false
	for i := range n {
		if !later[i] {
			continue
		}
		if !made {
			w, made = worker(), true
		}
		do(w, i)
	}
}

// ready builds what decoding blocks at once reads but would otherwise build on first use,
// unguarded: the values of locals and templates for the evaluator's fast path, and each
// file's functions and line index. Evaluation contexts, which the fast path makes rare,
// are built on first use (evaluator.ctx).
func (l *loader) ready(ev *evaluator) {
	ev.prepare()
	for name, f := range l.files {
		l.functions(name)
		l.lineIndex(name).find(f.Bytes, 0)
	}
}

// fork returns a compiler for one worker: its own, starting with the placeholders comp
// compiled so far.
func fork(comp *compiler) *compiler {
	c := newCompiler(comp.schema)
	maps.Copy(c.placeholders, comp.placeholders)
	return c
}

// decodeRules decodes the rule blocks, in order, and returns for each the rule (nil when
// not kept) and its diagnostics.
func (l *loader) decodeRules(blocks []*hclsyntax.Block, ev *evaluator, comp *compiler, cfg *Config) ([]*Rule, []hcl.Diagnostics) {
	rules := make([]*Rule, len(blocks))
	diags := make([]hcl.Diagnostics, len(blocks))
	workers := workersFor(len(blocks))
	if workers < 2 {
		for i, b := range blocks {
			rules[i], diags[i] = l.decodeRule(b, ev, comp, cfg)
		}
		return rules, diags
	}

	dups := make([]bool, len(blocks))
	for i, b := range blocks {
		diags[i] = l.define("rule", b.Labels[0], b.DefRange())
		dups[i] = diags[i].HasErrors()
	}
	l.ready(ev)

	decoded := make([]decodedRule, len(blocks))
	// Each worker compiles with its own compiler, which starts with the placeholders of the
	// templates and notifier titles compiled so far.
	atOnce(workers, len(blocks), func(i int) bool { return l.callsFunction(blocks[i]) }, func() *compiler { return fork(comp) },
		func(wc *compiler, i int) { decoded[i] = l.decodeRuleBody(blocks[i], ev, wc, cfg, dups[i]) })

	for i, dr := range decoded {
		canonicalPlaceholders(dr.all, comp.placeholders)
		rules[i], diags[i] = l.keepRule(dr, diags[i])
	}
	return rules, diags
}

// canonicalPlaceholders makes each placeholder of r's messages the one first compiled for
// its source (cache holds them by source), adding those it is the first to compile.
func canonicalPlaceholders(r *Rule, cache map[string]*Program) {
	for _, chain := range [][]*Step{r.Fire, r.Resolve} {
		for _, s := range chain {
			if s.Message != nil {
				canonicalMessage(s.Message, cache)
			}
		}
	}
}

// canonicalMessage is canonicalPlaceholders for one message.
func canonicalMessage(m *Message, cache map[string]*Program) {
	m.Windows = nil
	for i, part := range m.Parts {
		if part.Program == nil {
			continue
		}
		p, ok := cache[part.Program.Source]
		if !ok {
			p = part.Program
			cache[p.Source] = p
		}
		m.Parts[i].Program = p
		m.Windows = append(m.Windows, p.Windows...)
	}
}

// callsFunction says whether block b of a loaded file calls a function (env(), file()).
// The file's text is searched for a "(" first: most rules hold none outside their strings.
func (l *loader) callsFunction(b *hclsyntax.Block) bool {
	f := l.files[b.DefRange().Filename]
	rng := b.Range()
	if f != nil && rng.Start.Byte >= 0 && rng.End.Byte <= len(f.Bytes) && rng.Start.Byte <= rng.End.Byte &&
		!bytes.Contains(f.Bytes[rng.Start.Byte:rng.End.Byte], []byte("(")) {
		return false
	}
	found := false
	hclsyntax.VisitAll(b.Body, func(n hclsyntax.Node) hcl.Diagnostics {
		if _, ok := n.(*hclsyntax.FunctionCallExpr); ok {
			found = true
		}
		return nil
	})
	return found
}
