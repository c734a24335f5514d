package engine

import (
	"encoding/json"
	"fmt"
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
	// outlook is what explain makes of the transition: its kind, " since +<offset>" and
	// " at +<offset>" (from t0) when it names those times, " <n> of <m>" while confirming.
	outlook string
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
		from := s.State
		s, ev = next(s, st.obs, t0.Add(st.at), lc)
		if s.State != st.state || ev != st.event {
			t.Fatalf("tick %d (t0+%s, %+v): got %s/%s, want %s/%s", i, st.at, st.obs, s.State, ev, st.state, st.event)
		}
		if got := describe(outlook(from, s, ev, st.obs, lc)); got != st.outlook {
			t.Fatalf("tick %d (t0+%s, %+v): outlook %q, want %q", i, st.at, st.obs, got, st.outlook)
		}
	}
}

func describe(o Outlook) string {
	s := o.Kind.String()
	if !o.Since.IsZero() {
		s += " since +" + o.Since.Sub(t0).String()
	}
	if !o.At.IsZero() {
		s += " at +" + o.At.Sub(t0).String()
	}
	if o.Kind == OutlookConfirming {
		s += fmt.Sprintf(" %d of %d", o.Trues, o.Of)
	}
	return s
}

func TestLifecycle(t *testing.T) {
	m := time.Minute
	for _, tc := range []struct {
		name  string
		lc    Lifecycle
		steps []step
	}{
		{"for 0 fires on the first true tick and resolves on the first false", Lifecycle{}, []step{
			{0, F, Inactive, NoEvent, "stays inactive"},
			{1 * m, T, Firing, Fired, "fires"},
			{2 * m, T, Firing, NoEvent, "stays firing since +1m0s"},
			{3 * m, F, Inactive, Resolved, "resolves"},
			{4 * m, F, Inactive, NoEvent, "stays inactive"},
		}},
		{"for 2m: pending, pending, firing", Lifecycle{For: 2 * m}, []step{
			{0, T, Pending, NoEvent, "becomes pending since +0s at +2m0s"},
			{1 * m, T, Pending, NoEvent, "stays pending since +0s at +2m0s"},
			{2 * m, T, Firing, Fired, "fires"},
			{3 * m, T, Firing, NoEvent, "stays firing since +2m0s"},
			{4 * m, F, Inactive, Resolved, "resolves"},
		}},
		{"pending then clear sends nothing", Lifecycle{For: 2 * m}, []step{
			{0, T, Pending, NoEvent, "becomes pending since +0s at +2m0s"},
			{1 * m, F, Inactive, NoEvent, "stops pending"},
			{2 * m, T, Pending, NoEvent, "becomes pending since +2m0s at +4m0s"},
			{3 * m, T, Pending, NoEvent, "stays pending since +2m0s at +4m0s"},
			{4 * m, T, Firing, Fired, "fires"},
		}},
		{"repeat re-notifies while firing", Lifecycle{Repeat: 10 * m}, []step{
			{0, T, Firing, Fired, "fires"},
			{5 * m, T, Firing, NoEvent, "stays firing since +0s at +10m0s"},
			{10 * m, T, Firing, Repeated, "repeats"},
			{15 * m, T, Firing, NoEvent, "stays firing since +0s at +20m0s"},
			{20 * m, T, Firing, Repeated, "repeats"},
			{21 * m, F, Inactive, Resolved, "resolves"},
		}},
		{"clear_when: stays firing until clear holds", Lifecycle{HasClear: true}, []step{
			{0, T, Firing, Fired, "fires"},
			{1 * m, Observation{When: false, Clear: false}, Firing, NoEvent, "stays firing since +0s"},
			{2 * m, Observation{When: true, Clear: false}, Firing, NoEvent, "stays firing since +0s"},
			{3 * m, Observation{When: false, Clear: true}, Inactive, Resolved, "resolves"},
			{4 * m, Observation{When: false, Clear: true}, Inactive, NoEvent, "stays inactive"},
		}},
		{"3 of 5: fires on the third true within five ticks", Lifecycle{Confirm: 3, Window: 5}, []step{
			{0, T, Inactive, NoEvent, "confirming 1 of 1"},
			{1 * m, F, Inactive, NoEvent, "confirming 1 of 2"},
			{2 * m, T, Inactive, NoEvent, "confirming 2 of 3"},
			{3 * m, F, Inactive, NoEvent, "confirming 2 of 4"},
			{4 * m, T, Firing, Fired, "fires"},                      // T F T F T: 3 of 5
			{5 * m, T, Firing, NoEvent, "stays firing since +4m0s"}, // F T F T T: 3 of 5
			{6 * m, F, Firing, NoEvent, "stays firing since +4m0s"}, // T F T T F: still 3 of 5
			{7 * m, F, Inactive, Resolved, "resolves"},              // F T T F F: 2 of 5
			{8 * m, T, Inactive, NoEvent, "confirming 1 of 1"},      // a new episode counts from scratch
			{9 * m, T, Inactive, NoEvent, "confirming 2 of 2"},
			{10 * m, T, Firing, Fired, "fires"},
		}},
		{"unknown changes nothing", Lifecycle{For: 2 * m}, []step{
			{0, T, Pending, NoEvent, "becomes pending since +0s at +2m0s"},
			{1 * m, U, Pending, NoEvent, "unknown"},
			{2 * m, T, Firing, Fired, "fires"},
			{3 * m, U, Firing, NoEvent, "unknown"},
			{4 * m, U, Firing, NoEvent, "unknown"},
			{5 * m, F, Inactive, Resolved, "resolves"},
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
