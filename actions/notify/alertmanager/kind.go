package alertmanager

import (
	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/spec"
)

var block = spec.Block{Attrs: []spec.Attr{
	{Name: "url", Type: spec.TypeURL, Required: true},
	{Name: "headers", Type: spec.TypeHeaders, Secret: true},
	{Name: "timeout", Type: spec.TypeDuration},
}}

// Kind is the alertmanager notifier as the actions registry lists it.
var Kind = spec.Notifier{
	Name:  "alertmanager",
	Block: block,
	New: func(name string, attrs map[string]any, _ notify.Env) (notify.Notifier, error) {
		return FromAttrs(name, attrs)
	},
}
