package load

import (
	"reflect"

	"github.com/notimon/notimon/spec"
)

// Kind is the load probe as the registry lists it: built in, nothing to tune. probes.System
// samples it (the core count comes from /proc/stat, which cpu reads anyway).
var Kind = spec.Probe{Name: "load", Values: reflect.TypeFor[Values]()}
