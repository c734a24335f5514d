package cpu

import (
	"reflect"

	"github.com/notimon/notimon/spec"
)

// Kind is the cpu probe as the registry lists it. probes.System samples it: it keeps the
// previous counters between samples and runs, and shares /proc/stat with host and load.
var Kind = spec.Probe{
	Name: "cpu",
	Block: spec.Block{Attrs: []spec.Attr{
		{Name: "window", Type: spec.TypeDuration},
		{Name: "samples", Type: spec.TypeNumber, Min: spec.AtLeast(1)},
	}},
	Values: reflect.TypeFor[Values](),
}
