package ntfy

import (
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/spec"
)

// DefaultTitle is the title template of a block that does not set one.
const DefaultTitle = "[{{ host.name }}] {{ rule.name }} {{ rule.state }}"

var block = spec.Block{Attrs: []spec.Attr{
	{Name: "url", Type: spec.TypeURL, Required: true, Secret: true},
	{Name: "token", Type: spec.TypeString, Secret: true},
	{Name: "title", Type: spec.TypeTemplate, Default: DefaultTitle},
	{Name: "tags", Type: spec.TypeStringList},
	{Name: "timeout", Type: spec.TypeDuration},
}}

// Kind is the ntfy notifier as the actions registry lists it. Messages are plain text:
// placeholders are not escaped.
var Kind = spec.Notifier{
	Name:  "ntfy",
	Block: block,
	New: func(name string, attrs map[string]any, _ notify.Env) (notify.Notifier, error) {
		cfg, err := FromAttrs(attrs)
		if err != nil {
			return nil, err
		}
		n, err := New(cfg)
		if err != nil {
			return nil, err
		}
		return n, nil
	},
	Check: func(attrs map[string]any) error {
		cfg, err := FromAttrs(attrs)
		if err != nil {
			return err
		}
		_, err = New(cfg)
		return err
	},
}

// FromAttrs decodes an ntfy block's attributes: url and token (string), tags ([]string),
// timeout (time.Duration). The title is rendered by the engine into notify.Message.Title.
func FromAttrs(attrs map[string]any) (Config, error) {
	var cfg Config
	err := block.Each("an ntfy notifier", attrs, func(k string, v any) (err error) {
		switch k {
		case "url":
			cfg.URL, err = spec.As[string](k, v)
		case "token":
			cfg.Token, err = spec.As[string](k, v)
		case "tags":
			cfg.Tags, err = spec.As[[]string](k, v)
		case "timeout":
			cfg.Timeout, err = spec.As[time.Duration](k, v)
		}
		return err
	})
	return cfg, err
}
