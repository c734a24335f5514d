package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
)

// What explain says of what may hold a rule back: the maintenance windows that cover it,
// its depends_on parents, the max_runs guard of its exec steps.

// jsonHold is one of them, in `explain --format json` ("held_back").
type jsonHold struct {
	Kind   string `json:"kind"` // maintenance, depends_on, max_runs
	Name   string `json:"name"` // the maintenance block, the parent rule, the exec step's position
	Active bool   `json:"active"`
	// What it holds back while active: "notify", "exec".
	Holds []string `json:"holds"`
	Since string   `json:"since,omitempty"` // a window's opening, a parent's firing (RFC 3339)
	Until string   `json:"until,omitempty"` // a window's end, or when max_runs allows a run again
	Next  string   `json:"next,omitempty"`  // the next window's opening, when closed
	Text  string   `json:"text"`            // the text's line
}

// holds lists them for r at now; states are every rule's state, by name.
func holds(cfg *dsl.Config, r *dsl.Rule, states map[string]engine.RuleState, now time.Time) []jsonHold {
	var out []jsonHold
	for _, m := range cfg.Maintenance {
		if !m.Covers(r) {
			continue
		}
		h := jsonHold{Kind: "maintenance", Name: m.Name, Holds: []string{}}
		if m.SuppressNotify {
			h.Holds = append(h.Holds, "notify")
		}
		if m.SuppressExec {
			h.Holds = append(h.Holds, "exec")
		}
		what := strings.Join(h.Holds, " and ")
		where := fmt.Sprintf("%q (%s:%d)", m.Name, m.Range.Filename, m.Range.Start.Line)
		if start, end, open := m.Window(now); open {
			h.Active, h.Since, h.Until = true, jsonTime(start), jsonTime(end)
			h.Text = fmt.Sprintf("%s open since %s until %s (%s left): %s held back",
				where, stamp(start.In(zone(m))), stamp(end.In(zone(m))), dsl.FormatDuration(end.Sub(now).Round(time.Second)), what)
		} else if start, end, ok := m.Next(now); ok {
			h.Next = jsonTime(start)
			h.Text = fmt.Sprintf("%s closed; next window %s until %s (in %s)", where, stamp(start.In(zone(m))), stamp(end.In(zone(m))),
				dsl.FormatDuration(start.Sub(now).Round(time.Second)))
		} else {
			h.Text = fmt.Sprintf("%s over since %s", where, stamp(m.Until.In(zone(m))))
		}
		out = append(out, h)
	}
	for _, p := range r.DependsOn {
		st := states[p]
		h := jsonHold{Kind: "depends_on", Name: p, Holds: []string{"notify"}, Active: st.State == engine.Firing}
		if h.Active {
			h.Since = jsonTime(st.FiringSince)
			h.Text = fmt.Sprintf("%q firing since %s: this rule's notifications are held back until it resolves", p, stamp(st.FiringSince))
		} else {
			h.Text = fmt.Sprintf("%q %s: nothing held back", p, st.State)
		}
		out = append(out, h)
	}
	for _, g := range engine.ExecGuards(r, states[r.Name], now) {
		s := g.Step
		h := jsonHold{Kind: "max_runs", Name: dsl.Position(s.Range), Holds: []string{"exec"}, Active: g.Suspended}
		limit := fmt.Sprintf("exec %s (%s:%d) max_runs \"%d per %s\"", programOf(s), s.Range.Filename, s.Range.Start.Line, s.MaxRuns, dsl.FormatDuration(s.MaxRunsPer))
		if s.MaxRunsDefault {
			limit += " (the default)"
		}
		if g.Suspended {
			h.Until = jsonTime(g.Until)
			h.Text = fmt.Sprintf("%s: ran %s in the last %s; suspended until %s", limit, plural(g.Runs, "time"), dsl.FormatDuration(s.MaxRunsPer), stamp(g.Until))
		} else {
			h.Text = fmt.Sprintf("%s: %d of %d runs used in the last %s", limit, g.Runs, s.MaxRuns, dsl.FormatDuration(s.MaxRunsPer))
		}
		out = append(out, h)
	}
	return out
}

// zone is where a maintenance block's times are shown: its own zone for weekly windows.
func zone(m *dsl.Maintenance) *time.Location {
	if len(m.Weekly) > 0 && m.Location != nil {
		return m.Location
	}
	return time.Local
}

func programOf(s *dsl.Step) string {
	if s.Shell != "" || len(s.Command) == 0 {
		return "sh -c"
	}
	return s.Command[0]
}
