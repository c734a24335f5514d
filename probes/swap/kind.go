package swap

import (
	"reflect"

	"github.com/notimon/notimon/spec"
)

// Kind is the swap probe as the registry lists it: built in, nothing to tune. probes.System
// samples it: it keeps the previous page counters, and shares /proc/meminfo with mem.
var Kind = spec.Probe{Name: "swap", Values: reflect.TypeFor[Values]()}
