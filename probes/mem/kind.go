package mem

import (
	"reflect"

	"github.com/notimon/notimon/spec"
)

// Kind is the mem probe as the registry lists it: built in, nothing to tune. probes.System
// samples it (it shares /proc/meminfo with swap).
var Kind = spec.Probe{Name: "mem", Values: reflect.TypeFor[Values]()}
