package dsl

import (
	"fmt"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/conf"

	"github.com/notimon/notimon/probes"
)

// Time windows: avg_over("cpu.pct", "5m"), min_over, max_over and rate_over (change per
// second) read a numeric probe field over the last duration. At compile time each call with
// literal arguments is rewritten into a lookup, notimon_windows["avg|cpu.pct|5m"], of values
// the engine computes before every tick from the history it keeps of exactly the fields
// some window reads.

// WindowFuncs are the window functions.
var WindowFuncs = []string{"avg_over", "min_over", "max_over", "rate_over"}

// Window is one windowed read of a probe field.
type Window struct {
	Func string        // "avg", "min", "max" or "rate"
	Path string        // the probe field, e.g. "cpu.pct"
	Over time.Duration // the window
	// Input reads the field from a tick's environment.
	Input Input
	// Refs are the probes the field belongs to.
	Refs   []probes.Ref
	fields []string // the field as collectRefs names it
}

// Key is the window's key in the notimon_windows map.
func (w Window) Key() string { return windowKey(w.Func, w.Path, w.Over) }

func windowKey(fn, path string, over time.Duration) string {
	return fn + "|" + path + "|" + over.String()
}

// windowPatcher rewrites window calls with literal arguments into map lookups. Calls it
// cannot rewrite are left for windowsIn to report.
type windowPatcher struct{}

func (windowPatcher) Visit(node *ast.Node) {
	fn, path, over, ok := windowCall(*node)
	if !ok {
		return
	}
	d, err := ParseDuration(over)
	if err != nil {
		return
	}
	ast.Patch(node, &ast.MemberNode{
		Node:     &ast.IdentifierNode{Value: probes.WindowsField},
		Property: &ast.StringNode{Value: windowKey(fn, path, d)},
	})
}

// windowCall recognises avg_over("path", "dur") with string literal arguments.
func windowCall(n ast.Node) (fn, path, over string, ok bool) {
	call, isCall := n.(*ast.CallNode)
	if !isCall {
		return
	}
	id, isID := call.Callee.(*ast.IdentifierNode)
	if !isID || !strings.HasSuffix(id.Value, "_over") || !contains(WindowFuncs, id.Value) || len(call.Arguments) != 2 {
		return
	}
	p, ok1 := call.Arguments[0].(*ast.StringNode)
	o, ok2 := call.Arguments[1].(*ast.StringNode)
	if !ok1 || !ok2 {
		return
	}
	return strings.TrimSuffix(id.Value, "_over"), p.Value, o.Value, true
}

func patchWindows(c *conf.Config) {
	c.Visitors = append(c.Visitors, windowPatcher{})
}

// windowsOf lists the windows read by calls, the calls of window functions a walk of a
// parsed expression found (refVisitor), checking each: literal arguments, a numeric probe
// field, a positive duration. The walk must come before compiling patches the calls away.
func (c *compiler) windowsOf(calls []*ast.CallNode) ([]Window, error) {
	var out []Window
	var problems []string
	for _, call := range calls {
		id := call.Callee.(*ast.IdentifierNode) // refVisitor keeps only these
		fn, path, over, ok := windowCall(call)
		if !ok {
			problems = append(problems, fmt.Sprintf(`%s takes two literal strings, a probe field and a duration: %s("cpu.pct", "5m")`, id.Value, id.Value))
			continue
		}
		d, err := ParseDuration(over)
		if err != nil || d < time.Second {
			problems = append(problems, fmt.Sprintf(`%s("%s", %q): the window must be a duration of at least 1s, such as "5m"`, id.Value, path, over))
			continue
		}
		prog, err := c.input(path)
		if err != nil {
			problems = append(problems, fmt.Sprintf(`%s(%q, …): %q is not a probe field (%v)`, id.Value, path, path, unwrapExprMessage(err)))
			continue
		}
		if k := prog.Node().Type(); k == nil || (k.Kind().String() != "float64" && k.Kind().String() != "int") {
			problems = append(problems, fmt.Sprintf(`%s(%q, …): %q is not a number`, id.Value, path, path))
			continue
		}
		refs, _, fields := collectRefs(path)
		out = append(out, Window{Func: fn, Path: path, Over: d, Input: Input{Path: path, program: prog}, Refs: refs, fields: fields})
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return out, nil
}

func unwrapExprMessage(err error) string {
	s := err.Error()
	if i := strings.Index(s, " (1:"); i > 0 {
		s = s[:i]
	}
	return s
}
