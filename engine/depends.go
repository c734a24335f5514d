package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/notimon/notimon/dsl"
)

// Dependencies (rule depends_on): while one of a rule's parents fires, the rule's
// notifications are held back. cfg.Rules is in dependency order, so a tick settles each
// parent before its children and a parent that starts firing on the same tick as its
// child holds the child back on that very tick.

// firingParents lists r's parents that are firing now. e.mu is held.
func (e *Engine) firingParents(r *dsl.Rule) []string {
	var out []string
	for _, p := range r.DependsOn {
		if st, ok := e.states[p]; ok && st.State == Firing {
			out = append(out, p)
		}
	}
	return out
}

// ReadStates reads every rule's state from src (a store.Reader: the state of a running
// notimon, without its lock), by rule name. found is false when src has no state yet.
func ReadStates(src StateSource) (states map[string]RuleState, found bool, err error) {
	var doc persisted
	if found, err = src.Load(&doc); err != nil || !found || doc.Version != stateVersion {
		return map[string]RuleState{}, found, err
	}
	states = make(map[string]RuleState, len(doc.Rules))
	for name, st := range doc.Rules {
		if st != nil {
			states[name] = *st
		}
	}
	return states, true, nil
}

// parentFiring holds back the notifications of a rule while one of its depends_on parents
// fires; when the last one resolves and the rule still fires, one catch-up notification
// goes out. e.mu is held.
func parentFiring(e *Engine, _ *dsl.Config, r *dsl.Rule, _ time.Time) (Suppression, bool) {
	parents := e.firingParents(r)
	if len(parents) == 0 {
		return Suppression{}, false
	}
	verb := "is"
	if len(parents) > 1 {
		verb = "are"
	}
	list := strings.Join(parents, ", ")
	return Suppression{
		Notify:  true,
		Reason:  fmt.Sprintf("depends_on: %s %s firing", list, verb),
		CatchUp: fmt.Sprintf("still firing after %s resolved", list),
	}, true
}
