package http

import "github.com/notimon/notimon/spec"

var block = spec.Block{Attrs: []spec.Attr{
	spec.Interval,
	{Name: "url", Type: spec.TypeURL, Required: true},
	{Name: "method", Type: spec.TypeString, Allowed: []string{"GET", "HEAD", "POST", "PUT", "OPTIONS"}},
	{Name: "headers", Type: spec.TypeHeaders},
	{Name: "body_match", Type: spec.TypeRegexp},
	{Name: "timeout", Type: spec.TypeDuration},
	{Name: "insecure_skip_verify", Type: spec.TypeBool},
}}

// Kind is the http probe as the registry lists it: named, configured by FromAttrs, sampled
// one request at a time by Sample.
var Kind = spec.Named("http", block, FromAttrs, Sample)
