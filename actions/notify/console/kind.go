package console

import (
	"os"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/spec"
)

// Kind is the console notifier as the actions registry lists it: no attributes; it prints
// to the Env's Stdout.
var Kind = spec.Notifier{
	Name: "console",
	New: func(name string, _ map[string]any, env notify.Env) (notify.Notifier, error) {
		w := env.Stdout
		if w == nil {
			w = os.Stdout
		}
		return New(name, w), nil
	},
}
