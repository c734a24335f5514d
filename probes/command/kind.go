package command

import "github.com/notimon/notimon/spec"

var block = spec.Block{Attrs: []spec.Attr{
	spec.Interval,
	{Name: "command", Type: spec.TypeArgv, Required: true},
	{Name: "timeout", Type: spec.TypeDuration},
}}

// Kind is the command probe as the registry lists it: named, configured by FromAttrs,
// sampled one run at a time by Sample.
var Kind = spec.Named("command", block, FromAttrs, Sample)
