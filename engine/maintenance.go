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

// maintenanceCache is which maintenance blocks are open at one moment: a tick asks for
// every rule, and a weekly window's bounds take some arithmetic to find.
type maintenanceCache struct {
	cfg  *dsl.Config
	at   time.Time
	open []bool
	ends []time.Time
}

// openAt says, for each maintenance block of cfg, whether it is open at now and until when.
// e.mu is held.
func (e *Engine) openAt(cfg *dsl.Config, now time.Time) ([]bool, []time.Time) {
	c := &e.maintenance
	if c.cfg != cfg || !c.at.Equal(now) || len(c.open) != len(cfg.Maintenance) {
		c.cfg, c.at = cfg, now
		c.open, c.ends = make([]bool, len(cfg.Maintenance)), make([]time.Time, len(cfg.Maintenance))
		for i, m := range cfg.Maintenance {
			_, c.ends[i], c.open[i] = m.Window(now)
		}
	}
	return c.open, c.ends
}

// inMaintenance holds back what the open maintenance windows covering r say. e.mu is held.
func inMaintenance(e *Engine, cfg *dsl.Config, r *dsl.Rule, now time.Time) (Suppression, bool) {
	if len(cfg.Maintenance) == 0 {
		return Suppression{}, false
	}
	open, ends := e.openAt(cfg, now)
	var s Suppression
	var reasons, names []string
	for i, m := range cfg.Maintenance {
		if !open[i] || !m.Covers(r) {
			continue
		}
		s.Notify = s.Notify || m.SuppressNotify
		s.Exec = s.Exec || m.SuppressExec
		reasons = append(reasons, fmt.Sprintf("maintenance %q until %s", m.Name, ends[i].UTC().Format(time.RFC3339)))
		if m.SuppressNotify {
			names = append(names, fmt.Sprintf("%q", m.Name))
		}
	}
	if len(reasons) == 0 {
		return Suppression{}, false
	}
	s.Reason = strings.Join(reasons, "; ")
	if s.Notify {
		s.CatchUp = "still firing after the maintenance window " + strings.Join(names, ", ")
	}
	return s, true
}
