package webhook

import (
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/spec"
)

var block = spec.Block{Attrs: []spec.Attr{
	{Name: "url", Type: spec.TypeURL, Required: true, Secret: true},
	{Name: "headers", Type: spec.TypeHeaders, Secret: true},
	{Name: "timeout", Type: spec.TypeDuration},
}}

// Kind is the webhook notifier as the actions registry lists it.
var Kind = spec.Notifier{
	Name:  "webhook",
	Block: block,
	New: func(name string, attrs map[string]any, _ notify.Env) (notify.Notifier, error) {
		return FromAttrs(name, attrs)
	},
}

// ConfigFromAttrs decodes the attributes of a webhook block: url (string), headers
// (map[string]string), timeout (time.Duration). The alertmanager notifier takes the same.
func ConfigFromAttrs(what string, b spec.Block, attrs map[string]any) (Config, error) {
	var cfg Config
	err := b.Each(what, attrs, func(k string, v any) (err error) {
		switch k {
		case "url":
			cfg.URL, err = spec.As[string](k, v)
		case "headers":
			cfg.Headers, err = spec.As[map[string]string](k, v)
		case "timeout":
			cfg.Timeout, err = spec.As[time.Duration](k, v)
		}
		return err
	})
	return cfg, err
}
