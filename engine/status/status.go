package status

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/engine/control"
	"github.com/notimon/notimon/engine/store"
)

// Status is the whole picture. Its JSON (snake_case names, times in RFC 3339, durations in
// seconds) is `notimon status --json` and GET /api/v1/status; the names are a public
// interface, documented in the README.
type Status struct {
	Time     time.Time `json:"time"`           // when it was read
	Host     string    `json:"host,omitempty"` // settings.host, when the rules were given
	StateDir string    `json:"state_dir"`
	// StateFound is false before notimon has ever run with this state directory.
	StateFound bool `json:"state_found"`
	// Daemon is the notimon holding the state directory's lock: the daemon, or a
	// `run --once` in progress; nil when none does.
	Daemon *Process `json:"daemon"`
	// Firing is true when at least one rule is firing (`notimon status` exits 1 then).
	Firing bool `json:"firing"`
	// Counts are the number of rules in each state, and of silenced and acked rules.
	Counts      Counts        `json:"counts"`
	Rules       []Rule        `json:"rules"`
	Outbox      Outbox        `json:"outbox"`
	LastReload  *Reload       `json:"last_reload"` // nil: no reload recorded (cron mode, or none yet)
	Silences    []Silence     `json:"silences"`    // active, pending and recently expired
	Maintenance []Maintenance `json:"maintenance"` // the configured maintenance windows
	// Transitions are the latest changes of rule states, newest first (at most 100).
	Transitions []Transition `json:"transitions"`
	// Problems are what could not be read (an unusable state file, the rules not loading):
	// the rest of Status is what could.
	Problems []string `json:"problems,omitempty"`
}

// Process is a running notimon.
type Process struct {
	PID int `json:"pid"` // 0 when the holder has not written it (yet)
	// Mode is "daemon" or "once" (run --once) when the process's command line says so.
	Mode string `json:"mode,omitempty"`
}

// Counts of rules.
type Counts struct {
	Rules    int `json:"rules"`
	Firing   int `json:"firing"`
	Pending  int `json:"pending"`
	Inactive int `json:"inactive"`
	Silenced int `json:"silenced"`
	Acked    int `json:"acked"`
}

// Rule is one rule's state.
type Rule struct {
	Name  string `json:"name"`
	State string `json:"state"` // inactive, pending or firing
	// Since is when the rule entered State (zero: never evaluated with this state
	// directory); FiringSince, when it last started firing.
	Since       time.Time         `json:"since,omitzero"`
	FiringSince time.Time         `json:"firing_since,omitzero"`
	Severity    string            `json:"severity,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	// Values are the probe fields the condition read, by path, on the tick at ValuesAt
	// (a daemon saves them at least once a minute and on every change of state).
	Values   map[string]any `json:"values,omitempty"`
	ValuesAt time.Time      `json:"values_at,omitzero"`
	// Error is why the latest saved tick could not evaluate the rule (a probe failed).
	Error        string    `json:"error,omitempty"`
	LastNotified time.Time `json:"last_notified,omitzero"`
	// NextRepeat is when a firing rule's notify steps run again (zero: repeat is not set,
	// the rule is not firing, or it is acked).
	NextRepeat time.Time `json:"next_repeat,omitzero"`
	// Chain is the action chain under way, when one is.
	Chain *Chain `json:"chain,omitempty"`
	// Silenced lists the active silences that select the rule; Ack is its incident's
	// acknowledgement.
	Silenced []SilenceRef `json:"silenced,omitempty"`
	Ack      *Ack         `json:"ack,omitempty"`
	// Maintenance names the open maintenance windows covering the rule.
	Maintenance []string `json:"maintenance,omitempty"`
	// Suppressed is what held the rule's steps back on the latest saved tick and why
	// (silences, maintenance, a firing depends_on parent).
	Suppressed string `json:"suppressed,omitempty"`
	// InRules is false for a rule the state knows and the given rules do not have (removed,
	// or the rules could not be loaded); such a rule has no severity or labels.
	InRules bool `json:"in_rules"`
}

// Chain is where an action chain stands.
type Chain struct {
	Kind      string    `json:"kind"`            // fire, repeat or resolve
	Step      int       `json:"step"`            // the next step, from 1
	Steps     int       `json:"steps,omitempty"` // how many it has, when the rules are known
	WaitUntil time.Time `json:"wait_until,omitzero"`
	Queued    int       `json:"queued,omitempty"` // chains waiting behind it
}

// SilenceRef names a silence that selects a rule.
type SilenceRef struct {
	ID      string    `json:"id"`
	By      string    `json:"by,omitempty"`
	Comment string    `json:"comment,omitempty"`
	EndsAt  time.Time `json:"ends_at"`
}

// Ack is the acknowledgement of a rule's incident.
type Ack struct {
	By      string    `json:"by,omitempty"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
}

// Outbox is the notifications waiting for delivery.
type Outbox struct {
	Queued    int        `json:"queued"`
	Notifiers []Notifier `json:"notifiers"` // those with messages queued, and every configured one
	// Unreadable counts entry files that could not be read (being replaced, or corrupt).
	Unreadable int `json:"unreadable,omitempty"`
}

// Notifier is one notifier's queue.
type Notifier struct {
	Name   string `json:"name"`
	Kind   string `json:"kind,omitempty"` // when the rules are known
	Queued int    `json:"queued"`
	// Oldest is when the oldest queued message was queued; OldestAgeSeconds its age.
	Oldest           time.Time `json:"oldest,omitzero"`
	OldestAgeSeconds float64   `json:"oldest_age_seconds,omitempty"`
	Attempts         int       `json:"attempts,omitempty"` // failed attempts of the oldest
	// LastError is the latest delivery error of a queued message (already redacted).
	LastError   string    `json:"last_error,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
}

// Reload is the daemon's latest reload of its rules.
type Reload struct {
	Time time.Time `json:"time"`
	OK   bool      `json:"ok"`
	// Error holds the diagnostics, each as file:line:col: message.
	Error string `json:"error,omitempty"`
}

// Silence is a silence with what it means now.
type Silence struct {
	control.Silence
	Status string   `json:"status"`          // active, pending or expired
	Rules  []string `json:"rules,omitempty"` // the rules it selects, of those Status lists
}

// Maintenance is a configured maintenance block.
type Maintenance struct {
	Name   string    `json:"name"`
	Active bool      `json:"active"`         // one of its windows is open
	From   time.Time `json:"from,omitzero"`  // the open window's start, or the next one's
	Until  time.Time `json:"until,omitzero"` // its end
	// Suppress is what it holds back: "notify", "exec".
	Suppress []string `json:"suppress,omitempty"`
	Rules    []string `json:"rules,omitempty"` // the rules it covers
}

// Transition is one change of a rule's state.
type Transition struct {
	Rule   string         `json:"rule"`
	From   string         `json:"from"`
	To     string         `json:"to"`
	Event  string         `json:"event,omitempty"` // fired or resolved, when it started a chain
	At     time.Time      `json:"at"`
	Values map[string]any `json:"values,omitempty"`
}

// Read builds the Status of the state directory dir at now, without taking the lock a
// running notimon holds. cfg is the rules (nil: the rules the state knows, without severity,
// labels or repeat). What cannot be read is listed in Problems; the error is for a call that
// cannot mean anything (no directory given).
func Read(dir string, cfg *dsl.Config, now time.Time) (*Status, error) {
	if dir == "" {
		return nil, errors.New("status: no state directory given")
	}
	st := &Status{Time: now, StateDir: dir, Rules: []Rule{}, Silences: []Silence{}, Maintenance: []Maintenance{}, Transitions: []Transition{}}
	if cfg != nil {
		st.Host = cfg.Settings.Host
		if st.Host == "" {
			st.Host, _ = os.Hostname() // as the engine names the machine
		}
	}
	r := store.NewReader(dir)

	if pid, held, err := r.Holder(); err != nil {
		st.problem(err)
	} else if held {
		st.Daemon = &Process{PID: pid, Mode: mode(pid)}
	}

	saved, found, err := engine.ReadState(r)
	if err != nil {
		st.problem(err)
	}
	st.StateFound = found
	st.rules(cfg, saved)
	if saved.LastReload != nil {
		st.LastReload = &Reload{Time: saved.LastReload.Time, OK: saved.LastReload.OK, Error: saved.LastReload.Error}
	}
	for i := len(saved.Transitions) - 1; i >= 0; i-- {
		t := saved.Transitions[i]
		st.Transitions = append(st.Transitions, Transition{Rule: t.Rule, From: t.From.String(), To: t.To.String(),
			Event: t.Event, At: t.At, Values: redactValues(cfg, t.Values)})
	}
	st.outbox(cfg, r)
	st.controls(dir)
	st.maintenance(cfg)
	st.count()
	return st, nil
}

func (st *Status) problem(err error) { st.Problems = append(st.Problems, err.Error()) }

// rules fills Rules: the configured rules in their order, then those only the state knows.
func (st *Status) rules(cfg *dsl.Config, saved engine.SavedState) {
	known := map[string]bool{}
	if cfg != nil {
		for _, r := range cfg.Rules {
			known[r.Name] = true
			rs, ok := saved.Rules[r.Name]
			st.Rules = append(st.Rules, rule(r, r.Name, rs, ok, cfg))
		}
	}
	var rest []string
	for name := range saved.Rules {
		if !known[name] {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range rest {
		st.Rules = append(st.Rules, rule(nil, name, saved.Rules[name], true, cfg))
	}
}

// rule is one rule's entry: r is its definition (nil when unknown), rs its saved state.
func rule(r *dsl.Rule, name string, rs engine.RuleState, saved bool, cfg *dsl.Config) Rule {
	out := Rule{Name: name, State: engine.Inactive.String(), InRules: r != nil}
	if saved {
		out.State, out.Since, out.FiringSince = rs.State.String(), rs.Since, rs.FiringSince
		out.Values, out.ValuesAt, out.Error = redactValues(cfg, rs.Values), rs.ValuesAt, redact(cfg, rs.Error)
		out.LastNotified = rs.LastNotified
		if rs.Suppressed != nil {
			out.Suppressed = redact(cfg, rs.Suppressed.Reason)
		}
		if rs.State != engine.Firing {
			out.FiringSince = time.Time{}
		}
	}
	if r != nil {
		out.Severity, out.Labels = r.Severity, r.Labels
		if saved && rs.State == engine.Firing && r.Repeat > 0 {
			last := rs.LastNotified
			if last.IsZero() {
				last = rs.FiringSince
			}
			out.NextRepeat = last.Add(r.Repeat)
		}
	}
	if saved && len(rs.Chains) > 0 {
		c := rs.Chains[0]
		out.Chain = &Chain{Kind: string(c.Chain), Step: c.Step + 1, WaitUntil: c.WaitUntil, Queued: len(rs.Chains) - 1}
		if r != nil {
			out.Chain.Steps = chainSteps(r, engine.ChainKind(c.Chain))
		}
	}
	return out
}

// chainSteps is how many steps a chain of kind runs for r.
func chainSteps(r *dsl.Rule, kind engine.ChainKind) int {
	switch kind {
	case engine.ChainFire:
		return len(r.Fire)
	case engine.ChainResolve:
		return len(r.Resolve)
	case engine.ChainRepeat:
		n := 0
		for _, s := range r.Fire {
			if s.Kind == dsl.StepNotify || s.Kind == dsl.StepRenotify {
				n++
			}
		}
		return n
	}
	return 0
}

// outbox fills Outbox from the queued entries.
func (st *Status) outbox(cfg *dsl.Config, r *store.Reader) {
	st.Outbox.Notifiers = []Notifier{}
	entries, unreadable, err := r.Outbox()
	if err != nil {
		st.problem(err)
	}
	st.Outbox.Queued, st.Outbox.Unreadable = len(entries), unreadable
	index := map[string]int{}
	add := func(name, kind string) *Notifier {
		i, ok := index[name]
		if !ok {
			i = len(st.Outbox.Notifiers)
			index[name] = i
			st.Outbox.Notifiers = append(st.Outbox.Notifiers, Notifier{Name: name, Kind: kind})
		}
		return &st.Outbox.Notifiers[i]
	}
	if cfg != nil {
		for _, n := range cfg.Notifiers {
			add(n.Name, n.Kind)
		}
	}
	for _, e := range entries { // enqueue order: the first of each notifier is its oldest
		n := add(e.Notifier, "")
		if n.Queued == 0 {
			n.Oldest, n.Attempts, n.NextAttempt = e.Created, e.Attempts, e.NextAttempt
			n.OldestAgeSeconds = max(st.Time.Sub(e.Created), 0).Seconds()
		}
		n.Queued++
		if e.LastError != "" && n.LastError == "" {
			n.LastError = redact(cfg, e.LastError)
		}
	}
	slices.SortStableFunc(st.Outbox.Notifiers, func(a, b Notifier) int { return cmp.Compare(b.Queued, a.Queued) })
}

// controls fills the silences and acks, from engine/control's files.
func (st *Status) controls(dir string) {
	silences, err := control.Silences(dir, st.Time)
	if err != nil {
		st.problem(err)
	}
	acks, err := control.Acks(dir)
	if err != nil {
		st.problem(err)
	}
	set := control.Set{Silences: silences, Acks: acks}
	for i := range st.Rules {
		r := &st.Rules[i]
		for _, s := range set.Silencing(r.Name, r.Labels, st.Time) {
			r.Silenced = append(r.Silenced, SilenceRef{ID: s.ID, By: s.By, Comment: s.Comment, EndsAt: s.End()})
		}
		if r.State != engine.Firing.String() {
			continue
		}
		if a, ok := set.Ack(r.Name, r.FiringSince); ok {
			r.Ack = &Ack{By: a.By, Comment: a.Comment, At: a.At}
			r.NextRepeat = time.Time{} // an acked incident repeats no more
		}
	}
	for _, s := range silences {
		v := Silence{Silence: s, Status: s.Status(st.Time)}
		for _, r := range st.Rules {
			if s.Matches(r.Name, r.Labels) {
				v.Rules = append(v.Rules, r.Name)
			}
		}
		st.Silences = append(st.Silences, v)
	}
}

// maintenance fills the maintenance blocks and the rules' open windows.
func (st *Status) maintenance(cfg *dsl.Config) {
	if cfg == nil {
		return
	}
	index := map[string]*dsl.Rule{}
	for _, r := range cfg.Rules {
		index[r.Name] = r
	}
	for _, m := range cfg.Maintenance {
		v := Maintenance{Name: m.Name}
		if from, until, open := m.Window(st.Time); open {
			v.Active, v.From, v.Until = true, from, until
		} else if from, until, ok := m.Next(st.Time); ok {
			v.From, v.Until = from, until
		}
		if m.SuppressNotify {
			v.Suppress = append(v.Suppress, "notify")
		}
		if m.SuppressExec {
			v.Suppress = append(v.Suppress, "exec")
		}
		for i := range st.Rules {
			r := &st.Rules[i]
			if def := index[r.Name]; def != nil && m.Covers(def) {
				v.Rules = append(v.Rules, r.Name)
				if v.Active {
					r.Maintenance = append(r.Maintenance, m.Name)
				}
			}
		}
		st.Maintenance = append(st.Maintenance, v)
	}
}

// count fills Counts and Firing.
func (st *Status) count() {
	st.Counts = Counts{Rules: len(st.Rules)}
	for _, r := range st.Rules {
		switch r.State {
		case "firing":
			st.Counts.Firing++
		case "pending":
			st.Counts.Pending++
		default:
			st.Counts.Inactive++
		}
		if len(r.Silenced) > 0 {
			st.Counts.Silenced++
		}
		if r.Ack != nil {
			st.Counts.Acked++
		}
	}
	st.Firing = st.Counts.Firing > 0
}

// mode says whether process pid is a daemon or a run --once, from its command line (Linux).
func mode(pid int) string {
	if pid <= 0 {
		return ""
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return ""
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	if !slices.Contains(args, "run") {
		return ""
	}
	if slices.Contains(args, "--once") || slices.Contains(args, "--once=true") {
		return "once"
	}
	return "daemon"
}

// redact hides the rules' secrets in s (cfg nil: s as it is).
func redact(cfg *dsl.Config, s string) string {
	if cfg == nil || s == "" {
		return s
	}
	return cfg.Redact(s)
}

// redactValues hides the rules' secrets in the string values of vs.
func redactValues(cfg *dsl.Config, vs map[string]any) map[string]any {
	if cfg == nil || len(vs) == 0 {
		return vs
	}
	out := make(map[string]any, len(vs))
	for k, v := range vs {
		if s, ok := v.(string); ok {
			v = cfg.Redact(s)
		}
		out[k] = v
	}
	return out
}
