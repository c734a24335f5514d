package dsl

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/notimon/notimon/probes"
)

// collectRefsIn keeps its sets in slices instead of maps. For every condition and
// placeholder of every input of the equivalence tests, and for expressions reading many
// probes (past smallSetMax), it must give what it gave before: refs, paths and fields.
func TestCollectRefsAsBefore(t *testing.T) {
	var codes []string
	for _, srcs := range directInputs(t) {
		cfg, _ := LoadSource(srcs, Options{LookupEnv: directEnv})
		for _, r := range cfg.Rules {
			for _, p := range []*Program{r.When, r.ClearWhen} {
				if p != nil {
					codes = append(codes, p.Source)
				}
			}
			for _, s := range append(append([]*Step{}, r.Fire...), r.Resolve...) {
				if s.Message == nil {
					continue
				}
				for _, part := range s.Message.Parts {
					if part.Program != nil {
						codes = append(codes, part.Program.Source)
					}
				}
			}
		}
	}
	var many []string
	for i := range 3 * smallSetMax {
		many = append(many, "process.p"+strings.Repeat("x", i)+".count > 0 && cpu.avg3 > 1 && http.h"+strings.Repeat("y", i%5)+".up")
	}
	codes = append(codes, strings.Join(many, " || "), "len(values(process)) > 0 && process.a.count > 0 && values(net.ports)[0].close_wait > 0 && net.ports[host.name] > 0")
	if len(codes) < 500 {
		t.Fatalf("only %d expressions", len(codes))
	}
	for _, code := range codes {
		tree, err := parser.Parse(code)
		if err != nil {
			continue
		}
		refs, paths, fields := collectRefsIn(tree.Node)
		tree, _ = parser.Parse(code)
		wantRefs, wantPaths, wantFields := collectRefsBefore(tree.Node)
		if !reflect.DeepEqual(refs, wantRefs) || !reflect.DeepEqual(paths, wantPaths) || !reflect.DeepEqual(fields, wantFields) {
			t.Errorf("%s: collectRefsIn gives %v %v %v, before %v %v %v", code, refs, paths, fields, wantRefs, wantPaths, wantFields)
		}
	}
}

// collectRefsBefore is collectRefsIn as it was, with maps.
func collectRefsBefore(root ast.Node) (refs []probes.Ref, paths, fields []string) {
	v := &refVisitorBefore{seen: map[probes.Ref]bool{}, consumed: map[*ast.IdentifierNode]bool{}, extended: map[ast.Node]bool{}}
	ast.Walk(&root, v)
	for _, id := range v.idents {
		if !v.consumed[id] {
			v.seen[probes.Ref{Kind: id.Value}] = true
		}
	}
	refs = make([]probes.Ref, 0, len(v.seen))
	for r := range v.seen {
		refs = append(refs, r)
	}
	probes.SortRefs(refs)
	// Keep the longest chains: cpu.avg3, not cpu (also where cpu stands alone). The walk
	// found them in the order reads (explain) lists them.
	for _, c := range v.chains {
		covered := false
		for _, o := range v.chains {
			if len(o.path) > len(c.path) && o.path[len(c.path)] == '.' && strings.HasPrefix(o.path, c.path) {
				covered = true
				break
			}
		}
		if !covered && !contains(paths, c.path) {
			paths = append(paths, c.path)
		}
	}
	for _, c := range v.chains {
		if !v.extended[c.node] && !contains(fields, c.path) {
			fields = append(fields, c.path)
		}
	}
	for _, id := range v.idents {
		if !v.extended[id] && !contains(fields, id.Value) {
			fields = append(fields, id.Value)
		}
	}
	sort.Strings(fields)
	return refs, paths, fields
}

type refVisitorBefore struct {
	seen     map[probes.Ref]bool
	chains   []chain
	idents   []*ast.IdentifierNode
	consumed map[*ast.IdentifierNode]bool
	extended map[ast.Node]bool // nodes that a member access with a fixed name extends
}

func (v *refVisitorBefore) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.MemberNode:
		if c, ok := memberChain(n); ok {
			if _, known := probes.LookupKind(c[:strings.Index(c, ".")]); known {
				v.chains = append(v.chains, chain{path: c, node: n})
				v.extended[n.Node] = true
			}
		}
		id, ok := n.Node.(*ast.IdentifierNode)
		if !ok {
			return
		}
		kind, known := probes.LookupKind(id.Value)
		if prop, isStr := n.Property.(*ast.StringNode); known && kind.Named && isStr {
			v.seen[probes.Ref{Kind: kind.Name, Name: prop.Value}] = true
			v.consumed[id] = true
		}
	case *ast.IdentifierNode:
		if _, known := probes.LookupKind(n.Value); known {
			v.idents = append(v.idents, n)
		}
	}
}
