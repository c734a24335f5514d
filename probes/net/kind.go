package net

import (
	"reflect"

	"github.com/notimon/notimon/spec"
)

// Kind is the net probe as the registry lists it. probes.System samples it: it keeps the
// previous interface counters between samples and runs.
var Kind = spec.Probe{
	Name:   "net",
	Block:  spec.Block{Attrs: []spec.Attr{spec.Interval}},
	Values: reflect.TypeFor[Values](),
}
