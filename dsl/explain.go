package dsl

import (
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/notimon/notimon/probes"
)

// Term is one part of a condition split for `notimon explain`: the condition itself, the
// operands of its || and && (a chain of one operator, a || b || c, is one term with three
// operands) and of its !, down to the comparisons and calls that read probe values.
type Term struct {
	Source string
	Terms  []*Term // the operands; none for a leaf
	// Reads are the probe fields and time windows a leaf reads, left to right, each once,
	// with their values; a leaf that is itself a probe field reads nothing more.
	Reads []Read
	Value bool // the term's value, when Err is nil
	Err   error
}

// Read is one probe field or time window a term reads, and its value.
type Read struct {
	Source string // as expr prints it: cpu.avg3, disk["/"].used_pct, avg_over("cpu.pct", "5m")
	Value  any
	Err    error
	NoData bool // a time window that has no value yet (not enough history)
}

// Explain splits condition p into terms and evaluates each term, and what each leaf reads,
// on snap, compiled against the rules' own environment (helpers and time windows included)
// as the condition is. snap's time windows are those the engine computed for it. The error
// is the condition's syntax error, which a loaded configuration never has.
func (c *Config) Explain(p *Program, snap *probes.Snapshot) (*Term, error) {
	tree, err := parser.Parse(p.Source)
	if err != nil {
		return nil, err
	}
	root := split(tree.Node)
	env := c.Schema.Env(snap)
	c.evalTerms(root, env)
	var fill func(t *Term)
	fill = func(t *Term) {
		for _, x := range t.Terms {
			fill(x)
		}
		for i := range t.Reads {
			c.readValue(&t.Reads[i], env, snap)
		}
	}
	fill(root)
	return root, nil
}

// split splits n at ||, && and ! into terms. Reads hold the read nodes' sources until
// Explain fills in their values.
func split(n ast.Node) *Term {
	t := &Term{Source: n.String()}
	switch x := n.(type) {
	case *ast.BinaryNode:
		if op := logical(x.Operator); op != "" {
			for _, operand := range flatten(x, op) {
				t.Terms = append(t.Terms, split(operand))
			}
			return t
		}
	case *ast.UnaryNode:
		if x.Operator == "!" || x.Operator == "not" {
			t.Terms = []*Term{split(x.Node)}
			return t
		}
	}
	for _, r := range reads(n) {
		if r != n {
			t.Reads = append(t.Reads, Read{Source: r.String()})
		}
	}
	return t
}

// logical names the logical operator op is a spelling of, or "".
func logical(op string) string {
	switch op {
	case "||", "or":
		return "||"
	case "&&", "and":
		return "&&"
	}
	return ""
}

// flatten lists the operands of a chain of the logical operator op.
func flatten(n ast.Node, op string) []ast.Node {
	if b, ok := n.(*ast.BinaryNode); ok && logical(b.Operator) == op {
		return append(flatten(b.Left, op), flatten(b.Right, op)...)
	}
	return []ast.Node{n}
}

// evalTerms fills in every term's value, all in one batch; when that fails, one by one to
// find which.
func (c *Config) evalTerms(root *Term, env any) {
	var all []*Term
	var walk func(*Term)
	walk = func(t *Term) {
		all = append(all, t)
		for _, x := range t.Terms {
			walk(x)
		}
	}
	walk(root)
	progs := make([]*Program, len(all))
	for i, t := range all {
		progs[i] = &Program{Source: t.Source}
	}
	out := make([]bool, len(all))
	machine := &vm.VM{}
	if b, err := c.NewBatch(progs); err == nil && b.Eval(machine, env, out) == nil {
		for i, t := range all {
			t.Value = out[i]
		}
		return
	}
	for i, t := range all {
		b, err := c.NewBatch(progs[i : i+1])
		if err != nil {
			t.Err = err
			continue
		}
		one := []bool{false}
		if err := b.Eval(machine, env, one); err != nil {
			t.Err = err
			continue
		}
		t.Value = one[0]
	}
}

// readValue evaluates one read: a time window from snap's windows, a probe field on env.
func (c *Config) readValue(r *Read, env any, snap *probes.Snapshot) {
	tree, err := parser.Parse(r.Source)
	if err != nil {
		r.Err = err
		return
	}
	if fn, path, over, ok := windowCall(tree.Node); ok {
		d, err := ParseDuration(over)
		v, found := snap.Windows[windowKey(fn, path, d)]
		r.Value, r.NoData = v, err != nil || !found
		return
	}
	prog, err := expr.Compile(r.Source, expr.Env(c.Schema.Types()), typedValues, helpers, patchWindows)
	if err != nil {
		r.Err = err
		return
	}
	r.Value, r.Err = expr.Run(prog, env)
}

// reads lists what an expression reads from the probes, left to right, each once (by its
// source): the longest member chains from a probe namespace with fixed names (cpu.avg3,
// http.site.up, disk["/"].used_pct, but not cpu or http.site inside them) and calls of
// the time-window functions. (A condition's Inputs are the same chains, which
// collectRefsIn finds in the same walk order.)
func reads(root ast.Node) []ast.Node {
	v := &readsVisitor{inner: map[ast.Node]bool{}, seen: map[string]bool{}}
	ast.Walk(&root, v) // children before their parent
	out := v.found[:0]
	for _, n := range v.found {
		if s := n.String(); !v.inner[n] && !v.seen[s] {
			v.seen[s] = true
			out = append(out, n)
		}
	}
	return out
}

type readsVisitor struct {
	found []ast.Node
	inner map[ast.Node]bool // chains that are part of a longer chain
	seen  map[string]bool
}

func (v *readsVisitor) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.MemberNode:
		if probePath(n) {
			v.found = append(v.found, n)
			v.inner[n.Node] = true
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && contains(WindowFuncs, id.Value) {
			v.found = append(v.found, n)
		}
	}
}

// probePath reports whether m is a member chain with fixed names from a probe namespace.
func probePath(m *ast.MemberNode) bool {
	for {
		if _, ok := m.Property.(*ast.StringNode); !ok || m.Method {
			return false
		}
		switch base := m.Node.(type) {
		case *ast.IdentifierNode:
			_, known := probes.LookupKind(base.Value)
			return known
		case *ast.MemberNode:
			m = base
		default:
			return false
		}
	}
}
