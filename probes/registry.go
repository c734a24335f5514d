package probes

import (
	"reflect"

	"github.com/notimon/notimon/probes/command"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/disk"
	"github.com/notimon/notimon/probes/fd"
	"github.com/notimon/notimon/probes/file"
	"github.com/notimon/notimon/probes/host"
	"github.com/notimon/notimon/probes/http"
	"github.com/notimon/notimon/probes/load"
	"github.com/notimon/notimon/probes/mem"
	"github.com/notimon/notimon/probes/net"
	"github.com/notimon/notimon/probes/process"
	"github.com/notimon/notimon/probes/swap"
	"github.com/notimon/notimon/probes/tcp"
	"github.com/notimon/notimon/spec"
)

// Kinds is the registry: every probe kind notimon knows, one line each, built-in kinds
// first. The order is the order of `notimon probe`, of SortRefs and of the kinds a
// diagnostic lists. A built-in kind that Go code reads directly (the engine reads
// host.name) keeps its values in a Snapshot field, and its line says which; any other
// built-in kind's values go in Snapshot.Builtin.
var Kinds = []Kind{
	field(host.Kind, func(s *Snapshot) *host.Values { return &s.Host }),
	field(cpu.Kind, func(s *Snapshot) *cpu.Values { return &s.CPU }),
	field(mem.Kind, func(s *Snapshot) *mem.Values { return &s.Mem }),
	field(swap.Kind, func(s *Snapshot) *swap.Values { return &s.Swap }),
	field(load.Kind, func(s *Snapshot) *load.Values { return &s.Load }),
	field(disk.Kind, func(s *Snapshot) *map[string]disk.Values { return &s.Disk }),
	field(net.Kind, func(s *Snapshot) *net.Values { return &s.Net }),
	{Probe: fd.Kind},
	{Probe: process.Kind},
	{Probe: http.Kind},
	{Probe: tcp.Kind},
	{Probe: command.Kind},
	{Probe: file.Kind},
}

// Kind is a probe kind as registered: its descriptor (name, whether probes of it are named,
// its block's attributes, its Values type, how it decodes and samples) and, for a built-in
// kind with a Snapshot field of its own, that field.
type Kind struct {
	spec.Probe
	at func(*Snapshot) reflect.Value // the kind's Snapshot field, settable; nil: Snapshot.Builtin
}

// field registers a built-in kind whose values sit in the Snapshot field at returns.
func field[V any](p spec.Probe, at func(*Snapshot) *V) Kind {
	return Kind{Probe: p, at: func(s *Snapshot) reflect.Value { return reflect.ValueOf(at(s)).Elem() }}
}

// LookupKind returns the kind called name.
func LookupKind(name string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// get returns the values of k's probe called name (none for a built-in kind) in s.
func (k Kind) get(s *Snapshot, name string) any {
	switch {
	case k.Named:
		return s.Named[k.Name][name]
	case k.at != nil:
		return k.at(s).Interface()
	}
	return s.Builtin[k.Name]
}

// put stores v as the values of k's probe called name in s; nil leaves none.
func (k Kind) put(s *Snapshot, name string, v any) {
	switch {
	case k.Named && v == nil:
		delete(s.Named[k.Name], name)
	case k.Named:
		if s.Named == nil {
			s.Named = map[string]map[string]any{}
		}
		if s.Named[k.Name] == nil {
			s.Named[k.Name] = map[string]any{}
		}
		s.Named[k.Name][name] = v
	case k.at != nil && v == nil:
		k.at(s).SetZero()
	case k.at != nil:
		k.at(s).Set(reflect.ValueOf(v))
	case v == nil:
		delete(s.Builtin, k.Name)
	default:
		if s.Builtin == nil {
			s.Builtin = map[string]any{}
		}
		s.Builtin[k.Name] = v
	}
}
