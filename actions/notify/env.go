package notify

import (
	"io"
	"log/slog"
)

// Env is what a notifier may use from the process it runs in. Each kind's constructor
// (spec.Notifier.New) gets one.
type Env struct {
	Stdout io.Writer    // where the console notifier prints; nil means os.Stdout
	Logger *slog.Logger // nil: discard
}
