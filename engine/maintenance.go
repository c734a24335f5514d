package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/notimon/notimon/dsl"
)

// Maintenance windows (maintenance blocks): while a window covering a rule is open, the
// rule's notifications and, unless the block says otherwise, its exec steps are held back
// (a suppressor). The rule is still evaluated and moves through its lifecycle; when the
// window closes while it still fires, one catch-up notification says so.

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

// inMaintenance holds back what the open maintenance windows covering r say.
func inMaintenance(_ *Engine, cfg *dsl.Config, r *dsl.Rule, now time.Time) (Suppression, bool) {
	open := OpenWindows(cfg, r, now)
	if len(open) == 0 {
		return Suppression{}, false
	}
	var s Suppression
	var reasons, names []string
	for _, m := range open {
		_, end, _ := m.Window(now)
		s.Notify = s.Notify || m.SuppressNotify
		s.Exec = s.Exec || m.SuppressExec
		reasons = append(reasons, fmt.Sprintf("maintenance %q until %s", m.Name, end.UTC().Format(time.RFC3339)))
		if m.SuppressNotify {
			names = append(names, fmt.Sprintf("%q", m.Name))
		}
	}
	s.Reason = strings.Join(reasons, "; ")
	if s.Notify {
		s.CatchUp = "still firing after the maintenance window " + strings.Join(names, ", ")
	}
	return s, true
}
