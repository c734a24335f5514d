package fd

import "github.com/notimon/notimon/spec"

// Kind is the fd probe as the registry lists it: built in, nothing to tune, read by Read.
var Kind = spec.Builtin("fd", Read)
