package disk

import (
	"reflect"

	"github.com/notimon/notimon/spec"
)

// Kind is the disk probe as the registry lists it: built in, its values a map by mount
// point. probes.System samples it concurrently with the other slow probes, each statfs
// under timeout (Probe.Timeout).
var Kind = spec.Probe{
	Name: "disk",
	Block: spec.Block{Attrs: []spec.Attr{
		spec.Interval,
		{Name: "timeout", Type: spec.TypeDuration},
	}},
	Values: reflect.TypeFor[map[string]Values](),
}
