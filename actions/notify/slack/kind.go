package slack

import (
	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/webhook"
	"github.com/notimon/notimon/spec"
)

var block = spec.Block{Attrs: []spec.Attr{
	{Name: "url", Type: spec.TypeURL, Required: true, Secret: true},
	{Name: "timeout", Type: spec.TypeDuration},
}}

// Kind is the slack notifier as the actions registry lists it. Placeholder output is
// escaped for mrkdwn (Escape).
var Kind = spec.Notifier{
	Name:  "slack",
	Block: block,
	New: func(name string, attrs map[string]any, _ notify.Env) (notify.Notifier, error) {
		cfg, err := FromAttrs(attrs)
		if err != nil {
			return nil, err
		}
		s, err := New(cfg)
		if err != nil {
			return nil, err
		}
		return s, nil
	},
	Escape: func(map[string]any) func(string) string { return Escape },
}

// FromAttrs decodes a slack block's attributes: url (string), timeout (time.Duration), as a
// webhook block's.
func FromAttrs(attrs map[string]any) (webhook.Config, error) {
	return webhook.ConfigFromAttrs("a slack notifier", block, attrs)
}
