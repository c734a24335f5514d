package probes

import (
	"fmt"
	"reflect"
	"sort"
)

// Schema is the shape of the expression environment for one configuration: one typed struct
// with a field per built-in probe, and for each named kind a struct with one field per
// declared probe. Typed structs (never map[string]any) are what let expr reject `cpu.avgg`
// or `http.sitee` at compile time, and a struct environment is also the fastest one for expr
// to read from.
type Schema struct {
	typ    reflect.Type   // the environment struct
	fields map[string]int // namespace ("cpu", "process") → field index in typ
	named  map[string]*namespace
}

type namespace struct {
	typ   reflect.Type
	index map[string]int // probe name → field index
}

// NewSchema builds the schema for the declared named probes. Refs of built-in kinds are
// ignored; a ref of an unknown kind is an error.
func NewSchema(declared []Ref) (*Schema, error) {
	byKind := map[string][]string{}
	for _, r := range declared {
		k, ok := LookupKind(r.Kind)
		if !ok {
			return nil, fmt.Errorf("unknown probe kind %q", r.Kind)
		}
		if k.Named {
			byKind[r.Kind] = append(byKind[r.Kind], r.Name)
		}
	}
	s := &Schema{fields: map[string]int{}, named: map[string]*namespace{}}
	var top []reflect.StructField
	for _, k := range Kinds {
		typ := k.Values
		if k.Named {
			ns := newNamespace(k, byKind[k.Name])
			s.named[k.Name] = ns
			typ = ns.typ
		}
		s.fields[k.Name] = len(top)
		top = append(top, reflect.StructField{
			Name: fmt.Sprintf("K%d", len(top)),
			Type: typ,
			Tag:  reflect.StructTag(fmt.Sprintf(`expr:%q json:%q`, k.Name, k.Name)),
		})
	}
	s.fields[WindowsField] = len(top)
	top = append(top, reflect.StructField{
		Name: fmt.Sprintf("K%d", len(top)),
		Type: reflect.TypeFor[map[string]float64](),
		Tag:  reflect.StructTag(fmt.Sprintf(`expr:%q json:"-"`, WindowsField)),
	})
	s.typ = reflect.StructOf(top)
	return s, nil
}

func newNamespace(k Kind, names []string) *namespace {
	sort.Strings(names)
	ns := &namespace{index: map[string]int{}}
	fields := make([]reflect.StructField, 0, len(names))
	for _, n := range names {
		if _, dup := ns.index[n]; dup {
			continue
		}
		ns.index[n] = len(fields)
		fields = append(fields, reflect.StructField{
			Name: fmt.Sprintf("P%d", len(fields)),
			Type: k.Values,
			Tag:  reflect.StructTag(fmt.Sprintf(`expr:%q json:%q`, n, n)),
		})
	}
	ns.typ = reflect.StructOf(fields)
	return ns
}

// Types returns an environment of zero values, for compiling expressions against.
func (s *Schema) Types() any { return s.Env(&Snapshot{}) }

// Env returns the environment rules are evaluated against for snap: a value of the schema's
// struct type.
func (s *Schema) Env(snap *Snapshot) any {
	v := reflect.New(s.typ).Elem()
	s.fill(snap, func(name string, val reflect.Value) { v.Field(s.fields[name]).Set(val) })
	return v.Interface()
}

// Map returns the same values as Env, by namespace name. Messages use it, adding `rule`.
func (s *Schema) Map(snap *Snapshot) map[string]any {
	m := make(map[string]any, len(s.fields)+2)
	s.fill(snap, func(name string, val reflect.Value) { m[name] = val.Interface() })
	return m
}

func (s *Schema) fill(snap *Snapshot, set func(string, reflect.Value)) {
	for _, k := range Kinds {
		if !k.Named {
			set(k.Name, builtinValue(k, snap))
		}
	}
	windows := snap.Windows
	if windows == nil {
		windows = map[string]float64{}
	}
	set(WindowsField, reflect.ValueOf(windows))
	for kind, ns := range s.named {
		v := reflect.New(ns.typ).Elem()
		for name, i := range ns.index {
			if val, ok := snap.Named[kind][name]; ok && val != nil {
				v.Field(i).Set(reflect.ValueOf(val))
			}
		}
		set(kind, v)
	}
}

// builtinValue is the values of built-in kind k in snap, zero when it has none, a map
// never nil (values(disk) with no mounts is an empty list).
func builtinValue(k Kind, snap *Snapshot) reflect.Value {
	var v reflect.Value
	switch cur := snap.Builtin[k.Name]; {
	case k.at != nil:
		v = k.at(snap)
	case cur != nil:
		v = reflect.ValueOf(cur)
	default:
		v = reflect.Zero(k.Values)
	}
	if v.Kind() == reflect.Map && v.IsNil() {
		v = reflect.MakeMap(k.Values)
	}
	return v
}

// Value returns the values of one probe in snap, for display.
func (s *Schema) Value(snap *Snapshot, ref Ref) any {
	if ref.Name != "" {
		return snap.Named[ref.Kind][ref.Name]
	}
	return s.Map(snap)[ref.Kind]
}

// Declared reports whether a named probe ref exists in the schema.
func (s *Schema) Declared(ref Ref) bool {
	ns, ok := s.named[ref.Kind]
	if !ok {
		return false
	}
	_, ok = ns.index[ref.Name]
	return ok
}
