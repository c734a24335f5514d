package ruletest

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/notimon/notimon/probes"
)

// ValueKind is what an input's samples must be.
type ValueKind int

const (
	Number ValueKind = iota // float fields: cpu.avg3, http.site.status
	Whole                   // integer fields: host.cores
	Bool                    // up, exists: 1 or 0 in a series
	Text                    // error, output, host.name: strings, in the list form
)

func (k ValueKind) String() string {
	switch k {
	case Whole:
		return "a whole number"
	case Bool:
		return "true or false (1 or 0 in a series)"
	case Text:
		return "text"
	}
	return "a number"
}

// Field is a probe field a test (or `notimon explain --at-values`) sets, resolved against
// a configuration's schema: the path a rule reads (cpu.avg3, http.site.up,
// disk["/"].used_pct) and where its value goes in a probes.Snapshot.
type Field struct {
	Path string     // canonical: disk["/"].used_pct
	Ref  probes.Ref // the probe it belongs to: a `_` marks this probe failed
	Kind ValueKind

	values reflect.Type // the kind's Values type
	steps  []fieldStep  // from the probe's values to the field
}

type fieldStep struct {
	index int    // struct field
	key   string // map key
	isMap bool
}

// ErrProbeFailed is the error a failed sample (`_` in a series, null in a list or a values
// file) records for its probe.
var ErrProbeFailed = errors.New("failed (given as _ or null)")

// ResolveField parses path as a rule would read it and finds the field in the
// configuration's schema (named probes must be declared).
func ResolveField(schema *probes.Schema, path string) (*Field, error) {
	segs, canonical, err := pathSegments(path)
	if err != nil {
		return nil, err
	}
	env := reflect.TypeOf(schema.Types())
	kind, ok := probes.LookupKind(segs[0])
	if !ok {
		return nil, fmt.Errorf("unknown probe %q; probes: %s", segs[0], strings.Join(kindNames(), ", "))
	}
	ns, _ := exprField(env, kind.Name)
	f := &Field{Path: canonical, Ref: probes.Ref{Kind: kind.Name}}
	typ := ns.Type
	rest := segs[1:]
	if kind.Named {
		if len(rest) == 0 {
			return nil, fmt.Errorf("%s needs a probe name and a field, e.g. %s.<name>.%s", kind.Name, kind.Name, firstField(typ))
		}
		f.Ref.Name = rest[0]
		if !schema.Declared(f.Ref) {
			declared := fieldNamesOf(typ)
			if len(declared) == 0 {
				return nil, fmt.Errorf("no %s probe named %q is declared in the rules; declare it with probe %q %q { ... }", kind.Name, rest[0], kind.Name, rest[0])
			}
			return nil, fmt.Errorf("no %s probe named %q is declared in the rules; declared %s probes: %s", kind.Name, rest[0], kind.Name, strings.Join(declared, ", "))
		}
		sf, _ := exprField(typ, rest[0])
		typ = sf.Type
		rest = rest[1:]
	}
	f.values = typ
	where := strings.Join(segs[:len(segs)-len(rest)], ".")
	for _, seg := range rest {
		switch typ.Kind() {
		case reflect.Map:
			if typ.Key().Kind() != reflect.String {
				return nil, fmt.Errorf("%s cannot be set by a test", where)
			}
			f.steps = append(f.steps, fieldStep{key: seg, isMap: true})
			where += fmt.Sprintf("[%q]", seg)
			typ = typ.Elem()
		case reflect.Struct:
			sf, ok := exprField(typ, seg)
			if !ok {
				return nil, fmt.Errorf("%s has no field %q; its fields are: %s", where, seg, strings.Join(fieldNamesOf(typ), ", "))
			}
			f.steps = append(f.steps, fieldStep{index: sf.Index[0]})
			where += "." + seg
			typ = sf.Type
		default:
			return nil, fmt.Errorf("%s is a value; it has no field %q", where, seg)
		}
	}
	switch typ.Kind() {
	case reflect.Float32, reflect.Float64:
		f.Kind = Number
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f.Kind = Whole
	case reflect.Bool:
		f.Kind = Bool
	case reflect.String:
		f.Kind = Text
	case reflect.Map:
		return nil, fmt.Errorf("%s is a map by %s; give one of its entries and a field, e.g. %s[%q].%s", where, mapKeyName(kind.Name), where, exampleKey(kind.Name), firstField(typ.Elem()))
	case reflect.Struct:
		return nil, fmt.Errorf("%s is not a value; give one of its fields: %s", where, strings.Join(fieldNamesOf(typ), ", "))
	default:
		return nil, fmt.Errorf("%s cannot be set by a test", where)
	}
	return f, nil
}

func mapKeyName(kind string) string {
	if kind == "disk" {
		return "mount point"
	}
	return "name"
}

func exampleKey(kind string) string {
	if kind == "disk" {
		return "/"
	}
	return "eth0"
}

// pathSegments splits a field path written as in a rule into its names and keys, and
// returns it in canonical form.
func pathSegments(path string) ([]string, string, error) {
	tree, err := parser.Parse(path)
	if err != nil {
		return nil, "", fmt.Errorf("%q is not a field path such as cpu.avg3, http.site.up or disk[\"/\"].used_pct", path)
	}
	var segs []string
	var walk func(n ast.Node) bool
	walk = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IdentifierNode:
			segs = append(segs, n.Value)
			return true
		case *ast.MemberNode:
			prop, ok := n.Property.(*ast.StringNode)
			if !ok || n.Method || n.Optional || !walk(n.Node) {
				return false
			}
			segs = append(segs, prop.Value)
			return true
		}
		return false
	}
	if !walk(tree.Node) || len(segs) < 2 {
		return nil, "", fmt.Errorf("%q is not a field path such as cpu.avg3, http.site.up or disk[\"/\"].used_pct", path)
	}
	return segs, tree.Node.String(), nil
}

// exprField finds the field of struct t tagged expr:"name".
func exprField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); f.Tag.Get("expr") == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func fieldNamesOf(t reflect.Type) []string {
	if t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for i := range t.NumField() {
		if n := t.Field(i).Tag.Get("expr"); n != "" {
			names = append(names, n)
		}
	}
	return names
}

func firstField(t reflect.Type) string {
	if names := fieldNamesOf(t); len(names) > 0 {
		return names[0]
	}
	return "<field>"
}

func kindNames() []string {
	names := make([]string, 0, len(probes.Kinds))
	for _, k := range probes.Kinds {
		names = append(names, k.Name)
	}
	sort.Strings(names)
	return names
}

// SampleOf converts one literal value (from a test's list form, or a JSON values file:
// float64, bool, string or nil) into a sample of the field's kind.
func (f *Field) SampleOf(v any) (Sample, error) {
	switch x := v.(type) {
	case nil:
		return Sample{Failed: true}, nil
	case bool:
		if f.Kind != Bool {
			return Sample{}, fmt.Errorf("%s is %s, not true or false", f.Path, f.Kind)
		}
		if x {
			return Sample{Num: 1}, nil
		}
		return Sample{}, nil
	case float64:
		s := Sample{Num: x}
		return s, f.checkNumber(s)
	case string:
		if f.Kind != Text {
			return Sample{}, fmt.Errorf("%s is %s, not text", f.Path, f.Kind)
		}
		return Sample{Str: x}, nil
	}
	return Sample{}, fmt.Errorf("%s: %T is not a value a probe field holds", f.Path, v)
}

// checkNumber checks a numeric sample against the field's kind.
func (f *Field) checkNumber(s Sample) error {
	if s.Failed {
		return nil
	}
	switch f.Kind {
	case Text:
		return fmt.Errorf("%s is text: give its values as a list of strings, e.g. values = [\"\", \"connection refused\"]", f.Path)
	case Bool:
		if s.Num != 0 && s.Num != 1 {
			return fmt.Errorf("%s is true or false: write 1 for true and 0 for false, not %s", f.Path, fmtNum(s.Num))
		}
	case Whole:
		if s.Num != math.Trunc(s.Num) {
			return fmt.Errorf("%s is a whole number, not %s", f.Path, fmtNum(s.Num))
		}
	}
	return nil
}

// Set stores s in snap. A failed sample marks the field's probe failed (see Fail).
func (f *Field) Set(snap *probes.Snapshot, s Sample) {
	if s.Failed {
		snap.SetErr(f.Ref, fmt.Errorf("%s: %w", f.Ref, ErrProbeFailed))
		return
	}
	v := reflect.New(f.values).Elem()
	if cur := snap.Get(f.Ref); cur != nil {
		v.Set(reflect.ValueOf(cur))
	}
	setPath(v, f.steps, s)
	snap.Put(f.Ref, v.Interface())
}

// ClearFailed zeroes the values of every probe snap lists as failed, as a real sampler
// leaves them.
func ClearFailed(snap *probes.Snapshot) {
	for ref := range snap.Errors {
		snap.Put(ref, nil)
	}
}

func setPath(v reflect.Value, steps []fieldStep, s Sample) {
	if len(steps) == 0 {
		switch v.Kind() {
		case reflect.Float32, reflect.Float64:
			v.SetFloat(s.Num)
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			v.SetInt(int64(s.Num))
		case reflect.Bool:
			v.SetBool(s.Num != 0)
		case reflect.String:
			v.SetString(s.Str)
		}
		return
	}
	st := steps[0]
	if !st.isMap {
		setPath(v.Field(st.index), steps[1:], s)
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	key := reflect.ValueOf(st.key)
	elem := reflect.New(v.Type().Elem()).Elem()
	if cur := v.MapIndex(key); cur.IsValid() {
		elem.Set(cur)
	} else if elem.Kind() == reflect.Struct {
		// A mount's `mount` field is its key (values(disk) lists mounts by it).
		if sf, ok := exprField(elem.Type(), "mount"); ok && sf.Type.Kind() == reflect.String {
			elem.Field(sf.Index[0]).SetString(st.key)
		}
	}
	setPath(elem, steps[1:], s)
	v.SetMapIndex(key, elem)
}
