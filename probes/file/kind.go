package file

import "github.com/notimon/notimon/spec"

var block = spec.Block{Attrs: []spec.Attr{
	spec.Interval,
	{Name: "path", Type: spec.TypeString, Required: true},
	{Name: "timeout", Type: spec.TypeDuration},
}}

// Kind is the file probe as the registry lists it: named, configured by FromAttrs, sampled
// one stat at a time by Sample.
var Kind = spec.Named("file", block, FromAttrs, Sample)
