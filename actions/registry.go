package actions

import (
	"fmt"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/alertmanager"
	"github.com/notimon/notimon/actions/notify/console"
	"github.com/notimon/notimon/actions/notify/discord"
	"github.com/notimon/notimon/actions/notify/email"
	"github.com/notimon/notimon/actions/notify/ntfy"
	"github.com/notimon/notimon/actions/notify/slack"
	"github.com/notimon/notimon/actions/notify/telegram"
	"github.com/notimon/notimon/actions/notify/webhook"
	"github.com/notimon/notimon/spec"
)

// NotifierKinds is the registry: every notifier kind notimon knows, one line each, in the
// order a diagnostic lists them. Each kind declares its descriptor in its own folder.
var NotifierKinds = []spec.Notifier{
	console.Kind,
	telegram.Kind,
	webhook.Kind,
	alertmanager.Kind,
	slack.Kind,
	discord.Kind,
	ntfy.Kind,
	email.Kind,
}

// Env is what notifiers may use from the process they run in (notify.Env, named here for
// the callers of NewNotifier).
type Env = notify.Env

// LookupNotifier returns the notifier kind called name.
func LookupNotifier(kind string) (spec.Notifier, bool) {
	for _, k := range NotifierKinds {
		if k.Name == kind {
			return k, true
		}
	}
	return spec.Notifier{}, false
}

// NewNotifier constructs the notifier called name of the given kind.
func NewNotifier(kind, name string, attrs map[string]any, env Env) (notify.Notifier, error) {
	k, ok := LookupNotifier(kind)
	if !ok {
		return nil, fmt.Errorf("unknown notifier kind %q", kind)
	}
	n, err := k.New(name, attrs, env)
	if err != nil {
		return nil, fmt.Errorf("notifier %q: %w", name, err)
	}
	return n, nil
}

// Escaper returns how placeholder output must be escaped for a notifier of this kind with
// these attributes; nil means no escaping.
func Escaper(kind string, attrs map[string]any) func(string) string {
	if k, ok := LookupNotifier(kind); ok && k.Escape != nil {
		return k.Escape(attrs)
	}
	return nil
}

// Resend is how often the engine sends a firing rule's last message to a notifier of this
// kind with these attributes again (spec.Notifier.Resend); 0 means never.
func Resend(kind string, attrs map[string]any) time.Duration {
	if k, ok := LookupNotifier(kind); ok && k.Resend != nil {
		return k.Resend(attrs)
	}
	return 0
}
