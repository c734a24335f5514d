package tcp

import "github.com/notimon/notimon/spec"

var block = spec.Block{Attrs: []spec.Attr{
	spec.Interval,
	{Name: "address", Type: spec.TypeString, Required: true},
	{Name: "timeout", Type: spec.TypeDuration},
}}

// Kind is the tcp probe as the registry lists it: named, configured by FromAttrs, sampled
// one connect at a time by Sample.
var Kind = spec.Named("tcp", block, FromAttrs, Sample)
