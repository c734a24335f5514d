package actions

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/alertmanager"
	"github.com/notimon/notimon/actions/notify/console"
	"github.com/notimon/notimon/actions/notify/telegram"
	"github.com/notimon/notimon/actions/notify/webhook"
)

// Env is what notifiers may use from the process they run in.
type Env struct {
	Stdout io.Writer    // where the console notifier prints; nil means os.Stdout
	Logger *slog.Logger // nil: discard
}

// notifierKind constructs one kind of notifier from its decoded attributes (see the dsl
// package's NotifierKinds for their names and types).
type notifierKind struct {
	new func(name string, attrs map[string]any, env Env) (notify.Notifier, error)
	// escape is applied to every placeholder's output before it is put into the message.
	escape func(attrs map[string]any) func(string) string
}

// notifierKinds is the registry of every notifier kind; dsl.NotifierKinds lists the same
// kinds with their attributes (a test checks that they agree).
var notifierKinds = map[string]notifierKind{
	"console": {
		new: func(name string, _ map[string]any, env Env) (notify.Notifier, error) {
			w := env.Stdout
			if w == nil {
				w = os.Stdout
			}
			return console.New(name, w), nil
		},
	},
	"telegram": {
		new: newTelegram,
		escape: func(attrs map[string]any) func(string) string {
			mode, _ := attrs["parse_mode"].(string)
			return telegram.Escaper(mode)
		},
	},
	"webhook": {new: func(name string, attrs map[string]any, _ Env) (notify.Notifier, error) {
		return webhook.FromAttrs(name, attrs)
	}},
	"alertmanager": {new: func(name string, attrs map[string]any, _ Env) (notify.Notifier, error) {
		return alertmanager.FromAttrs(name, attrs)
	}},
}

// NotifierKinds returns the names of every notifier kind, sorted.
func NotifierKinds() []string {
	names := make([]string, 0, len(notifierKinds))
	for k := range notifierKinds {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// NewNotifier constructs the notifier called name of the given kind.
func NewNotifier(kind, name string, attrs map[string]any, env Env) (notify.Notifier, error) {
	k, ok := notifierKinds[kind]
	if !ok {
		return nil, fmt.Errorf("unknown notifier kind %q", kind)
	}
	n, err := k.new(name, attrs, env)
	if err != nil {
		return nil, fmt.Errorf("notifier %q: %w", name, err)
	}
	return n, nil
}

// Escaper returns how placeholder output must be escaped for a notifier of this kind with
// these attributes; nil means no escaping.
func Escaper(kind string, attrs map[string]any) func(string) string {
	if k, ok := notifierKinds[kind]; ok && k.escape != nil {
		return k.escape(attrs)
	}
	return nil
}

// newTelegram builds a telegram notifier from its attributes, reading token_file and
// chat_id_file now so that a missing file is reported before anything is sent.
func newTelegram(name string, attrs map[string]any, env Env) (notify.Notifier, error) {
	str := func(k string) string { s, _ := attrs[k].(string); return s }
	cfg := telegram.Config{
		Token:     str("token"),
		ChatID:    str("chat_id"),
		ParseMode: str("parse_mode"),
		APIURL:    str("api_url"),
		Logger:    env.Logger,
	}
	for _, f := range []struct {
		attr string
		dest *string
	}{{"token_file", &cfg.Token}, {"chat_id_file", &cfg.ChatID}} {
		path := str(f.attr)
		if path == "" {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.attr, err)
		}
		*f.dest = strings.TrimSpace(string(b))
	}
	if v, ok := attrs["message_thread_id"].(float64); ok {
		cfg.ThreadID = int(v)
	}
	if v, ok := attrs["disable_notification"].(bool); ok {
		cfg.DisableNotification = v
	}
	if v, ok := attrs["timeout"].(time.Duration); ok {
		cfg.Timeout = v
	}
	return telegram.New(cfg)
}
