package engine

import "time"

// Transition is one change of a rule's lifecycle state, as the state document's ring of
// recent transitions keeps it for `notimon status` and the status page.
type Transition struct {
	Rule  string    `json:"rule"`
	From  State     `json:"from"`
	To    State     `json:"to"`
	Event string    `json:"event,omitempty"` // "fired" or "resolved" when the change started a chain
	At    time.Time `json:"at"`
	// Values are the probe fields the rule's condition read on that tick, by path.
	Values map[string]any `json:"values,omitempty"`
}

// maxTransitions bounds the ring: enough for a day of a flapping rule's story, small
// enough that the state document stays a few tens of KB.
const maxTransitions = 100

// valuesSaveEvery is how often a daemon whose rules do not change state still saves, so
// that the last values the state document shows (`notimon status`) are at most this old.
const valuesSaveEvery = time.Minute

// recent is what the latest ticks saw, kept for the state document's readers. Guarded by
// e.mu.
type recent struct {
	env         any       // the latest tick's environment (nil after a reload)
	at          time.Time // its time
	errs        map[string]string
	transitions []Transition // oldest first, at most maxTransitions
	savedAt     time.Time    // the tick time of the latest save
}

// noteTick remembers the environment of the tick at now. e.mu is held.
func (r *recent) noteTick(env any, now time.Time) { r.env, r.at = env, now }

// noteErr remembers why rule could not be evaluated on the latest tick (err nil: it could).
// e.mu is held.
func (r *recent) noteErr(rule string, err error) {
	switch {
	case err != nil:
		if r.errs == nil {
			r.errs = map[string]string{}
		}
		r.errs[rule] = err.Error()
	case r.errs != nil:
		delete(r.errs, rule)
	}
}

// add appends t to the ring, dropping the oldest beyond maxTransitions. e.mu is held.
func (r *recent) add(t Transition) {
	if len(r.transitions) >= maxTransitions {
		r.transitions = append(r.transitions[:0:0], r.transitions[len(r.transitions)-maxTransitions+1:]...)
	}
	r.transitions = append(r.transitions, t)
}

// SavedState is the state document as readers of a state directory see it: what
// `notimon status` and the status API show.
type SavedState struct {
	Rules       map[string]RuleState // by rule name
	LastReload  *ReloadStatus        // nil: no reload yet (cron mode, or a daemon that has not reloaded)
	Transitions []Transition         // oldest first
}

// ReadState reads the state document from src (a store.Reader reads it beside a running
// notimon). found is false when there is none yet; a document of another version is
// reported found and empty, as RestoreFrom ignores it.
func ReadState(src StateSource) (st SavedState, found bool, err error) {
	var doc persisted
	if found, err = src.Load(&doc); err != nil || !found {
		return SavedState{}, found, err
	}
	if doc.Version != stateVersion {
		return SavedState{}, true, nil
	}
	st = SavedState{Rules: make(map[string]RuleState, len(doc.Rules)), LastReload: doc.Reload, Transitions: doc.Transitions}
	for name, rs := range doc.Rules {
		if rs != nil {
			st.Rules[name] = *rs
		}
	}
	return st, true, nil
}

// fillRecent adds to doc, about to be saved, what the latest tick saw: each rule's values
// and evaluation error, and the ring of transitions. e.mu is held.
func (e *Engine) fillRecent(doc *persisted) {
	doc.Transitions = append([]Transition(nil), e.recent.transitions...)
	if e.recent.env == nil {
		return
	}
	for _, r := range e.cfg.Rules {
		st := doc.Rules[r.Name]
		if st == nil {
			continue
		}
		st.Values, st.ValuesAt, st.Error = inputValues(r, e.recent.env), e.recent.at, e.recent.errs[r.Name]
	}
	e.recent.savedAt = e.recent.at
}

// restoreRecent takes the ring of transitions from a restored document. e.mu is held.
func (e *Engine) restoreRecent(doc *persisted) {
	e.recent.transitions = doc.Transitions
	if len(e.recent.transitions) > maxTransitions {
		e.recent.transitions = e.recent.transitions[len(e.recent.transitions)-maxTransitions:]
	}
}
