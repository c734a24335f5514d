package dsl

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/expr-lang/expr/parser"

	"github.com/notimon/notimon/probes"
)

// TestCollectRefs checks what collectRefsIn finds in an expression: the probes it reads,
// once each, in registry order; the field paths, in order of appearance, longest chains
// only; and the fields read whole, sorted. The last case reads more probes than a
// smallSet holds in its slice alone, and one of them twice.
func TestCollectRefs(t *testing.T) {
	var many, manyPaths []string
	var manyRefs []probes.Ref
	for i := range 2 * smallSetMax {
		many = append(many, fmt.Sprintf("process.p%d.count > 0", i))
		manyPaths = append(manyPaths, fmt.Sprintf("process.p%d.count", i))
		manyRefs = append(manyRefs, probes.Ref{Kind: "process", Name: fmt.Sprintf("p%d", i)})
	}
	many = append(many, "process.p3.cpu_pct > 1")
	manyPaths = append(manyPaths, "process.p3.cpu_pct")
	probes.SortRefs(manyRefs)
	manyFields := append([]string{}, manyPaths...)
	sort.Strings(manyFields)

	for _, tc := range []struct {
		code   string
		refs   []probes.Ref
		paths  []string
		fields []string
	}{
		{"cpu.avg3 > 50 || mem.real_pct > 50",
			[]probes.Ref{{Kind: "cpu"}, {Kind: "mem"}}, []string{"cpu.avg3", "mem.real_pct"}, []string{"cpu.avg3", "mem.real_pct"}},
		{"cpu.avg3 > 1 && cpu.avg3 < 90 && cpu.pct > 2",
			[]probes.Ref{{Kind: "cpu"}}, []string{"cpu.avg3", "cpu.pct"}, []string{"cpu.avg3", "cpu.pct"}},
		{"!http.site.up || http.site.status >= 500",
			[]probes.Ref{{Kind: "http", Name: "site"}}, []string{"http.site.up", "http.site.status"}, []string{"http.site.status", "http.site.up"}},
		{"len(values(process)) > 0 && process.a.count > 0", // a bare kind reads all of it
			[]probes.Ref{{Kind: "process"}, {Kind: "process", Name: "a"}}, []string{"process.a.count"}, []string{"process", "process.a.count"}},
		{`net.ports["8080"].close_wait > 3 || net.tcp.time_wait > 1000`,
			[]probes.Ref{{Kind: "net"}}, []string{"net.ports.8080.close_wait", "net.tcp.time_wait"}, []string{"net.ports.8080.close_wait", "net.tcp.time_wait"}},
		{"values(net.ports)[0].close_wait > 0 && net.ports[host.name] > 0", // computed keys read net.ports whole
			[]probes.Ref{{Kind: "host"}, {Kind: "net"}}, []string{"net.ports", "host.name"}, []string{"host.name", "net.ports"}},
		{strings.Join(many, " || "), manyRefs, manyPaths, manyFields},
	} {
		tree, err := parser.Parse(tc.code)
		if err != nil {
			t.Fatal(err)
		}
		refs, paths, fields := collectRefsIn(tree.Node)
		if !reflect.DeepEqual(refs, tc.refs) || !reflect.DeepEqual(paths, tc.paths) || !reflect.DeepEqual(fields, tc.fields) {
			t.Errorf("%s:\n got  %v %v %v\n want %v %v %v", tc.code, refs, paths, fields, tc.refs, tc.paths, tc.fields)
		}
	}
}
