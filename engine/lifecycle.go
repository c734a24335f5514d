package engine

import (
	"fmt"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/control"
)

// State is where a rule stands in its lifecycle.
type State int

const (
	// Inactive: the condition does not hold (or has not held long enough to be pending).
	Inactive State = iota
	// Pending: the condition holds, but not yet for the rule's `for` duration.
	Pending
	// Firing: the condition has held long enough; the fire chain has started.
	Firing
)

func (s State) String() string {
	switch s {
	case Inactive:
		return "inactive"
	case Pending:
		return "pending"
	case Firing:
		return "firing"
	}
	return "unknown"
}

// MarshalText writes the state by name, so state.json reads "firing", not 2.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state written by MarshalText.
func (s *State) UnmarshalText(b []byte) error {
	for _, c := range []State{Inactive, Pending, Firing} {
		if c.String() == string(b) {
			*s = c
			return nil
		}
	}
	return fmt.Errorf("unknown rule state %q", b)
}

// Event is what a transition asks the engine to do.
type Event int

const (
	NoEvent  Event = iota
	Fired          // the rule started firing: run the fire chain
	Repeated       // still firing after `repeat`: run the fire chain's notify steps again
	Resolved       // the rule stopped firing: run the on_resolve chain
)

func (e Event) String() string {
	switch e {
	case Fired:
		return "fired"
	case Repeated:
		return "repeated"
	case Resolved:
		return "resolved"
	}
	return "none"
}

// RuleState is a rule's memory between ticks; it is what the state store keeps.
type RuleState struct {
	State        State     `json:"state"`
	Since        time.Time `json:"since"`                  // when State was entered
	FiringSince  time.Time `json:"firing_since,omitzero"`  // when the rule last started firing
	LastNotified time.Time `json:"last_notified,omitzero"` // last fire or repeat
	// Recent holds the last results of `when` (most recent last), as many as the rule's
	// confirm window needs.
	Recent []bool `json:"recent,omitempty"`
	// Chains are the rule's action chains still to run, the running one first. They are
	// persisted at every step, so a chain cut short by a crash resumes on the next run.
	Chains []Cursor `json:"chains,omitempty"`
	// ExecRuns is the remediation guard's memory of the rule's exec steps that set
	// max_runs, by chain and step ("fire/1").
	ExecRuns map[string]*ExecRuns `json:"exec_runs,omitempty"`
	// Suppressed is what held the rule's steps back at the latest tick (silences …); nil
	// when nothing did.
	Suppressed *Suppression `json:"suppressed,omitempty"`
	// Held counts the notifications of the current incident held back since the last one
	// that went out; a catch-up is owed while it is set.
	Held *Held `json:"held,omitempty"`
	// Announced: a notification of the current incident's firing went out.
	Announced bool `json:"announced,omitempty"`
	// Ack is the operator's acknowledgement of the current incident: no repeats until it
	// resolves.
	Ack *control.Ack `json:"ack,omitempty"`
	// Values are the probe fields the condition read on the latest tick before the state
	// was saved (ValuesAt), by path; Error is why that tick could not evaluate the rule.
	// Written for readers of the state directory (`notimon status`); the engine ignores them.
	Values   map[string]any `json:"values,omitempty"`
	ValuesAt time.Time      `json:"values_at,omitzero"`
	Error    string         `json:"error,omitempty"`
}

// ChainKind names which steps a chain runs.
type ChainKind string

const (
	ChainFire    ChainKind = "fire"    // the rule's steps, on firing
	ChainRepeat  ChainKind = "repeat"  // the fire chain's notify steps, on repeat
	ChainResolve ChainKind = "resolve" // the on_resolve steps
	// ChainCatchUp is the fire chain's notify steps, once, when the rule still fires after
	// what suppressed its notifications ended; the messages start with Cursor.Note.
	ChainCatchUp ChainKind = "catch_up"
)

// Cursor is how far a chain has got.
type Cursor struct {
	Chain ChainKind `json:"chain"`
	Step  int       `json:"step"` // the next step to run
	// Started: Step began and did not finish (the process stopped or died). An exec step
	// found started is not run again: remediation runs at most once.
	Started     bool      `json:"started,omitempty"`
	WaitUntil   time.Time `json:"wait_until,omitzero"` // a wait step in progress ends then
	FiringSince time.Time `json:"firing_since,omitzero"`
	ResolvedAt  time.Time `json:"resolved_at,omitzero"`
	// Values are the condition's inputs when the chain started (for webhook payloads).
	Values map[string]any `json:"values,omitempty"`
	// LastExec is the result of the chain's latest exec step, for later messages.
	LastExec *dsl.ExecInfo `json:"last_exec,omitempty"`
	// Note is the first line of a catch-up chain's messages ("still firing after the silence").
	Note string `json:"note,omitempty"`
	// Unannounced: a resolve chain of an incident whose firing notifications were all held
	// back; its notify steps are held back too.
	Unannounced bool `json:"unannounced,omitempty"`
}

// Lifecycle is what the transition needs to know of a rule.
type Lifecycle struct {
	For     time.Duration // how long the condition must hold before firing
	Repeat  time.Duration // 0: never
	Confirm int           // N of "N of M": this many of the last Window results must be true
	Window  int           // M; 0 or 1 with Confirm 0 or 1: every tick counts alone
	// HasClear says a clear_when exists: once firing, the rule resolves only when it holds.
	HasClear bool
}

// Observation is one tick's outcome for a rule.
type Observation struct {
	Unknown bool // a probe failed or the condition could not be evaluated
	When    bool // the value of `when`
	Clear   bool // the value of `clear_when` (meaningful when Lifecycle.HasClear)
}

// next is the rule state machine: one pure function from the previous state and one
// observation to the new state and the event to act on.
//
//	inactive --active--> pending --held `for`--> firing --(clear)--> inactive (event resolved)
//	inactive --active, for = 0--> firing (event fired)
//	pending --not active--> inactive (no event: a rule that clears while pending sends nothing)
//	firing --`repeat` elapsed--> firing (event repeated)
//
// "active" is `when`, or with a confirm window, at least Confirm of the last Window results.
// "clear" is clear_when when the rule has one, else "not active". An unknown observation
// changes nothing.
func next(prev RuleState, obs Observation, now time.Time, lc Lifecycle) (RuleState, Event) {
	if obs.Unknown {
		return prev, NoEvent
	}
	s := prev
	s.Recent = remember(prev.Recent, obs.When, lc.Window)
	active := obs.When
	if lc.Window > 1 {
		active = count(s.Recent) >= max(lc.Confirm, 1)
	}
	switch prev.State {
	case Inactive, Pending:
		if !active {
			if prev.State != Inactive {
				s.State, s.Since = Inactive, now
			}
			return s, NoEvent
		}
		if prev.State == Inactive {
			s.State, s.Since = Pending, now
		}
		if now.Sub(s.Since) < lc.For {
			return s, NoEvent
		}
		s.State, s.Since, s.FiringSince, s.LastNotified = Firing, now, now, now
		return s, Fired
	case Firing:
		clear := !active
		if lc.HasClear {
			clear = obs.Clear
		}
		if clear {
			s.State, s.Since = Inactive, now
			s.Recent = nil // a new episode starts from scratch
			return s, Resolved
		}
		if lc.Repeat > 0 && now.Sub(prev.LastNotified) >= lc.Repeat {
			s.LastNotified = now
			return s, Repeated
		}
	}
	return s, NoEvent
}

// remember appends v to recent, keeping the last window results (none when window ≤ 1).
func remember(recent []bool, v bool, window int) []bool {
	if window <= 1 {
		return nil
	}
	out := append(append(make([]bool, 0, window), recent...), v)
	if len(out) > window {
		out = out[len(out)-window:]
	}
	return out
}

func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// Outlook is what a tick did to a rule and what comes next while its condition keeps its
// value: the "now" line of `notimon explain`. It is computed beside next, from the same
// transition, so the two cannot tell different stories.
type Outlook struct {
	Kind OutlookKind
	// Since is when the rule became pending (BecomesPending, StaysPending) or started
	// firing (StaysFiring).
	Since time.Time
	// At is when a pending rule fires if its condition keeps holding, and when a firing
	// rule's notify steps run again (zero without repeat).
	At time.Time
	// Trues of the last Of results were true (Confirming).
	Trues, Of int
}

// OutlookKind is the course a rule takes on a tick.
type OutlookKind int

const (
	OutlookUnknown        OutlookKind = iota // the condition could not be evaluated: nothing changes
	OutlookFires                             // the fire chain runs
	OutlookResolves                          // the on_resolve chain runs
	OutlookRepeats                           // the fire chain's notify steps run again
	OutlookBecomesPending                    // it fires at At if the condition keeps holding
	OutlookStaysPending                      // likewise, pending since Since
	OutlookStopsPending                      // back to inactive; nothing is sent
	OutlookStaysFiring                       // until it resolves; the next repeat at At
	OutlookConfirming                        // inactive: Trues of the last Of results count towards confirm
	OutlookStaysInactive                     // the condition does not hold
)

func (k OutlookKind) String() string {
	switch k {
	case OutlookUnknown:
		return "unknown"
	case OutlookFires:
		return "fires"
	case OutlookResolves:
		return "resolves"
	case OutlookRepeats:
		return "repeats"
	case OutlookBecomesPending:
		return "becomes pending"
	case OutlookStaysPending:
		return "stays pending"
	case OutlookStopsPending:
		return "stops pending"
	case OutlookStaysFiring:
		return "stays firing"
	case OutlookConfirming:
		return "confirming"
	case OutlookStaysInactive:
		return "stays inactive"
	}
	return "?"
}

// outlook reads the transition next made from a rule in state from, on obs, to s with
// event ev.
func outlook(from State, s RuleState, ev Event, obs Observation, lc Lifecycle) Outlook {
	switch {
	case obs.Unknown:
		return Outlook{Kind: OutlookUnknown}
	case ev == Fired:
		return Outlook{Kind: OutlookFires}
	case ev == Resolved:
		return Outlook{Kind: OutlookResolves}
	case ev == Repeated:
		return Outlook{Kind: OutlookRepeats}
	case s.State == Pending:
		k := OutlookBecomesPending
		if from == Pending {
			k = OutlookStaysPending
		}
		return Outlook{Kind: k, Since: s.Since, At: s.Since.Add(lc.For)}
	case from == Pending && s.State == Inactive:
		return Outlook{Kind: OutlookStopsPending}
	case s.State == Firing:
		o := Outlook{Kind: OutlookStaysFiring, Since: s.FiringSince}
		if lc.Repeat > 0 {
			o.At = s.LastNotified.Add(lc.Repeat)
		}
		return o
	case lc.Window > 1:
		return Outlook{Kind: OutlookConfirming, Trues: count(s.Recent), Of: len(s.Recent)}
	}
	return Outlook{Kind: OutlookStaysInactive}
}

// Outlook is what v's tick did to its rule and what comes next; after is the rule's state
// after the tick (States).
func (v Verdict) Outlook(after RuleState) Outlook {
	return outlook(v.From, after, v.Event, Observation{Unknown: v.Err != nil, When: v.Holds}, lifecycle(v.Rule))
}
