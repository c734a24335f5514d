package engine

import (
	"fmt"
	"maps"

	"github.com/notimon/notimon/probes"
)

// stateVersion is the layout of the state document; a document of another version is set
// aside like a corrupt one.
const stateVersion = 1

// persisted is the state document kept in the state directory.
type persisted struct {
	Version int                   `json:"version"`
	Rules   map[string]*RuleState `json:"rules"`
	Probes  *probes.SystemState   `json:"probes,omitempty"`
	Reload  *ReloadStatus         `json:"last_reload,omitempty"`
	// History holds the samples of the fields time windows read, by path.
	History map[string][]WindowSample `json:"window_history,omitempty"`
	// Transitions are the latest changes of rule states, oldest first (recent.go).
	Transitions []Transition `json:"transitions,omitempty"`
	// Notifiers are the notifiers that are failing, by name.
	Notifiers map[string]*NotifierHealth `json:"failing_notifiers,omitempty"`
}

// statefulSampler is a sampler with counters worth keeping between runs (cpu, swap).
type statefulSampler interface {
	State() probes.SystemState
	Restore(probes.SystemState)
}

// Restore loads rule states, chain cursors and probe counters from the store. States of
// rules that are no longer in the rules are dropped.
func (e *Engine) Restore() error {
	if e.opts.Store == nil {
		return nil
	}
	if _, err := e.RestoreFrom(e.opts.Store); err != nil {
		return fmt.Errorf("loading state: %w", err)
	}
	return nil
}

// StateSource is where a state document is read from: the engine's store, or a
// store.Reader, which reads the state of a running notimon without its lock.
type StateSource interface {
	Load(v any) (found bool, err error)
}

// RestoreFrom is Restore from src. found says whether src had a state document (it may
// still be ignored, as one of another version is).
func (e *Engine) RestoreFrom(src StateSource) (found bool, err error) {
	var doc persisted
	if found, err = src.Load(&doc); err != nil || !found {
		return found, err
	}
	if doc.Version != stateVersion {
		e.log.Warn("state of another notimon version ignored", "version", doc.Version)
		return true, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.cfg.Rules {
		if st, ok := doc.Rules[r.Name]; ok && st != nil {
			e.states[r.Name] = st
		}
	}
	e.history = doc.History
	e.restoreRecent(&doc)
	e.health = map[string]*NotifierHealth{}
	for name, h := range doc.Notifiers {
		if h != nil && !h.FailingSince.IsZero() {
			e.health[name] = h
		}
	}
	if s, ok := e.opts.Sampler.(statefulSampler); ok && doc.Probes != nil {
		s.Restore(*doc.Probes)
	}
	return true, nil
}

// Save writes rule states, chain cursors and probe counters to the store.
func (e *Engine) Save() error {
	if e.opts.Store == nil || e.opts.DryRun {
		return nil
	}
	// saveMu is taken before the copy, so saves are written in the order they copied.
	e.saveMu.Lock()
	defer e.saveMu.Unlock()
	e.mu.Lock()
	doc := persisted{Version: stateVersion, Rules: make(map[string]*RuleState, len(e.states))}
	for name, st := range e.states {
		cp := *st
		cp.Chains = append([]Cursor(nil), st.Chains...)
		cp.ExecRuns = cloneExecRuns(st.ExecRuns)
		// Chains update these in place under mu; the copy is encoded after mu is released.
		if st.Held != nil {
			h := *st.Held
			cp.Held = &h
		}
		if st.Suppressed != nil {
			s := *st.Suppressed
			cp.Suppressed = &s
		}
		if st.Ack != nil {
			a := *st.Ack
			cp.Ack = &a
		}
		cp.Resend = maps.Clone(st.Resend)
		doc.Rules[name] = &cp
	}
	doc.Reload = e.reloadStatus
	doc.History = make(map[string][]WindowSample, len(e.history))
	for path, h := range e.history {
		doc.History[path] = append([]WindowSample(nil), h...)
	}
	e.fillRecent(&doc)
	if len(e.health) > 0 {
		doc.Notifiers = make(map[string]*NotifierHealth, len(e.health))
		for name, h := range e.health {
			cp := *h
			doc.Notifiers[name] = &cp
		}
	}
	e.mu.Unlock()
	if s, ok := e.opts.Sampler.(statefulSampler); ok {
		ps := s.State()
		doc.Probes = &ps
	}
	return e.opts.Store.Save(doc)
}

// save is Save for the places that cannot return its error.
func (e *Engine) save() {
	if err := e.Save(); err != nil {
		e.log.Error("cannot save state", "err", err)
		e.recordErr(err)
	}
}
