package host

import (
	"reflect"

	"github.com/notimon/notimon/spec"
)

// Kind is the host probe as the registry lists it: built in, nothing to tune. probes.System
// samples it (it shares /proc/stat with cpu and load).
var Kind = spec.Probe{Name: "host", Values: reflect.TypeFor[Values]()}
