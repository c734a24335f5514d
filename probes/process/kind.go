package process

import (
	"reflect"

	"github.com/notimon/notimon/spec"
)

var block = spec.Block{
	Attrs: []spec.Attr{
		spec.Interval,
		{Name: "match", Type: spec.TypeRegexp},
		{Name: "cmdline", Type: spec.TypeRegexp},
		{Name: "pidfile", Type: spec.TypeString},
	},
	OneOf: [][]string{{"match", "cmdline", "pidfile"}},
}

// Kind is the process probe as the registry lists it: named, its Config a Selector.
// probes.System samples every process probe of a tick with one scan of /proc (a Sampler).
var Kind = spec.Probe{
	Name:   "process",
	Named:  true,
	Block:  block,
	Values: reflect.TypeFor[Values](),
	Decode: func(attrs map[string]any) (any, error) { return FromAttrs(attrs) },
}

// FromAttrs builds a Selector from a probe block's decoded attributes: match, cmdline and
// pidfile (strings), one of them.
func FromAttrs(attrs map[string]any) (Selector, error) {
	var match, cmdline, pidfile string
	err := block.Each("a process probe", attrs, func(k string, v any) (err error) {
		switch k {
		case "match":
			match, err = spec.As[string](k, v)
		case "cmdline":
			cmdline, err = spec.As[string](k, v)
		case "pidfile":
			pidfile, err = spec.As[string](k, v)
		}
		return err
	})
	if err != nil {
		return Selector{}, err
	}
	return NewSelector(match, cmdline, pidfile)
}
