package probes

import (
	"fmt"
	"reflect"
	"sort"

	"github.com/notimon/notimon/probes/disk"
)

// Schema is the shape of the expression environment for one configuration: every built-in
// namespace, plus for each named kind a struct type with one field per declared probe. Typed
// structs (never map[string]any) are what let expr reject `cpu.avgg` or `http.sitee` at
// compile time.
type Schema struct {
	named map[string]*namespace
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
	s := &Schema{named: map[string]*namespace{}}
	for _, k := range Kinds {
		if !k.Named {
			continue
		}
		names := byKind[k.Name]
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
				Type: k.values,
				Tag:  reflect.StructTag(fmt.Sprintf(`expr:%q json:%q`, n, n)),
			})
		}
		ns.typ = reflect.StructOf(fields)
		s.named[k.Name] = ns
	}
	return s, nil
}

// Types returns an environment of zero values, for compiling expressions against.
func (s *Schema) Types() map[string]any {
	return s.Env(&Snapshot{})
}

// Env returns the environment rules are evaluated against for snap.
func (s *Schema) Env(snap *Snapshot) map[string]any {
	env := map[string]any{
		"host": snap.Host,
		"cpu":  snap.CPU,
		"mem":  snap.Mem,
		"swap": snap.Swap,
		"load": snap.Load,
		"net":  snap.Net,
	}
	if snap.Disk != nil {
		env["disk"] = snap.Disk
	} else {
		env["disk"] = map[string]disk.Values{}
	}
	for kind, ns := range s.named {
		v := reflect.New(ns.typ).Elem()
		for name, i := range ns.index {
			if val, ok := snap.Named[kind][name]; ok && val != nil {
				v.Field(i).Set(reflect.ValueOf(val))
			}
		}
		env[kind] = v.Interface()
	}
	return env
}

// Value returns the values of one probe in snap, for display.
func (s *Schema) Value(snap *Snapshot, ref Ref) any {
	if ref.Name != "" {
		return snap.Named[ref.Kind][ref.Name]
	}
	return s.Env(snap)[ref.Kind]
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
