package spec

import (
	"time"

	"github.com/notimon/notimon/actions/notify"
)

// Notifier describes one notifier kind: its name, its block and how a notifier of the kind
// is built. The actions registry (actions/registry.go) lists one per kind.
type Notifier struct {
	// Name is the kind as a block names it: notifier "telegram" "ops".
	Name string
	// Block is the attributes its block takes.
	Block
	// New builds the notifier called name from its block's attributes, as the dsl typed
	// them. It makes no request: notimon must start offline.
	New func(name string, attrs map[string]any, env notify.Env) (notify.Notifier, error)
	// Escape, when set, returns how every placeholder's output is escaped before it goes
	// into a message for a notifier with these attributes (HTML for Telegram's default
	// parse mode); nil, or a nil result, means as it is.
	Escape func(attrs map[string]any) func(string) string
	// Check, when set, reports what New would refuse in attributes that are each valid on
	// their own (a combination, an address): the dsl runs it at load, so `validate` says
	// it. It reads no file and makes no request.
	Check func(attrs map[string]any) error
	// Resend, when set, says the kind forgets an alert that is not sent again (an
	// Alertmanager ends it after its resolve_timeout): for a notifier with these attributes,
	// the engine sends the last firing message of each firing rule to it again whenever the
	// returned duration has passed since the last one, whatever the rule's repeat. These
	// resends go to this notifier only and are not new messages of the rule.
	Resend func(attrs map[string]any) time.Duration
}
