package engine

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// step is one tick of a transition table.
type step struct {
	at    time.Duration // since t0
	obs   Observation
	state State
	event Event
}

var (
	T = Observation{When: true}
	F = Observation{When: false}
	U = Observation{Unknown: true}
)

func runTable(t *testing.T, lc Lifecycle, steps []step) {
	t.Helper()
	var s RuleState
	for i, st := range steps {
		var ev Event
		s, ev = next(s, st.obs, t0.Add(st.at), lc)
		if s.State != st.state || ev != st.event {
			t.Fatalf("tick %d (t0+%s, %+v): got %s/%s, want %s/%s", i, st.at, st.obs, s.State, ev, st.state, st.event)
		}
	}
}

func TestLifecycle(t *testing.T) {
	m := time.Minute
	for _, tc := range []struct {
		name  string
		lc    Lifecycle
		steps []step
	}{
		{"for 0 fires on the first true tick and resolves on the first false", Lifecycle{}, []step{
			{0, F, Inactive, NoEvent},
			{1 * m, T, Firing, Fired},
			{2 * m, T, Firing, NoEvent},
			{3 * m, F, Inactive, Resolved},
			{4 * m, F, Inactive, NoEvent},
		}},
		{"for 2m: pending, pending, firing", Lifecycle{For: 2 * m}, []step{
			{0, T, Pending, NoEvent},
			{1 * m, T, Pending, NoEvent},
			{2 * m, T, Firing, Fired},
			{3 * m, T, Firing, NoEvent},
			{4 * m, F, Inactive, Resolved},
		}},
		{"pending then clear sends nothing", Lifecycle{For: 2 * m}, []step{
			{0, T, Pending, NoEvent},
			{1 * m, F, Inactive, NoEvent},
			{2 * m, T, Pending, NoEvent},
			{3 * m, T, Pending, NoEvent},
			{4 * m, T, Firing, Fired},
		}},
		{"repeat re-notifies while firing", Lifecycle{Repeat: 10 * m}, []step{
			{0, T, Firing, Fired},
			{5 * m, T, Firing, NoEvent},
			{10 * m, T, Firing, Repeated},
			{15 * m, T, Firing, NoEvent},
			{20 * m, T, Firing, Repeated},
			{21 * m, F, Inactive, Resolved},
		}},
		{"clear_when: stays firing until clear holds", Lifecycle{HasClear: true}, []step{
			{0, T, Firing, Fired},
			{1 * m, Observation{When: false, Clear: false}, Firing, NoEvent},
			{2 * m, Observation{When: true, Clear: false}, Firing, NoEvent},
			{3 * m, Observation{When: false, Clear: true}, Inactive, Resolved},
			{4 * m, Observation{When: false, Clear: true}, Inactive, NoEvent},
		}},
		{"3 of 5: fires on the third true within five ticks", Lifecycle{Confirm: 3, Window: 5}, []step{
			{0, T, Inactive, NoEvent},
			{1 * m, F, Inactive, NoEvent},
			{2 * m, T, Inactive, NoEvent},
			{3 * m, F, Inactive, NoEvent},
			{4 * m, T, Firing, Fired},      // T F T F T: 3 of 5
			{5 * m, T, Firing, NoEvent},    // F T F T T: 3 of 5
			{6 * m, F, Firing, NoEvent},    // T F T T F: still 3 of 5
			{7 * m, F, Inactive, Resolved}, // F T T F F: 2 of 5
			{8 * m, T, Inactive, NoEvent},  // a new episode counts from scratch
			{9 * m, T, Inactive, NoEvent},
			{10 * m, T, Firing, Fired},
		}},
		{"unknown changes nothing", Lifecycle{For: 2 * m}, []step{
			{0, T, Pending, NoEvent},
			{1 * m, U, Pending, NoEvent},
			{2 * m, T, Firing, Fired},
			{3 * m, U, Firing, NoEvent},
			{4 * m, U, Firing, NoEvent},
			{5 * m, F, Inactive, Resolved},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { runTable(t, tc.lc, tc.steps) })
	}
}

func TestStateJSON(t *testing.T) {
	in := RuleState{State: Firing, Since: t0}
	b, err := json.Marshal(in)
	if err != nil || !strings.Contains(string(b), `"state":"firing"`) {
		t.Fatalf("%s, %v", b, err)
	}
	var out RuleState
	if err := json.Unmarshal(b, &out); err != nil || out.State != Firing || !out.Since.Equal(t0) {
		t.Errorf("round trip: %+v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"state":"burning"}`), &out); err == nil {
		t.Error("an unknown state was accepted")
	}
}
