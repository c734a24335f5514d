package alertmanager

import (
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/spec"
)

var block = spec.Block{
	Attrs: []spec.Attr{
		{Name: "url", Type: spec.TypeURL},
		{Name: "urls", Type: spec.TypeURLList},
		{Name: "headers", Type: spec.TypeHeaders, Secret: true},
		{Name: "timeout", Type: spec.TypeDuration},
		{Name: "resend_delay", Type: spec.TypeDuration},
	},
	OneOf: [][]string{{"url", "urls"}},
}

// Kind is the alertmanager notifier as the actions registry lists it.
var Kind = spec.Notifier{
	Name:  "alertmanager",
	Block: block,
	New: func(name string, attrs map[string]any, env notify.Env) (notify.Notifier, error) {
		return FromAttrs(name, attrs, env)
	},
	Check:  check,
	Resend: func(attrs map[string]any) time.Duration { return Resend(attrs) },
}
