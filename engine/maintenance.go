package engine

import (
	"time"

	"github.com/notimon/notimon/dsl"
)

// Maintenance windows (maintenance blocks): while a window covering a rule is open, the
// rule's notifications and, unless the block says otherwise, its exec steps are held back.
// The rule is still evaluated and moves through its lifecycle.

// OpenWindows are the maintenance blocks of cfg that cover r and are open at now.
func OpenWindows(cfg *dsl.Config, r *dsl.Rule, now time.Time) []*dsl.Maintenance {
	var out []*dsl.Maintenance
	for _, m := range cfg.Maintenance {
		if _, _, open := m.Window(now); open && m.Covers(r) {
			out = append(out, m)
		}
	}
	return out
}
