package main

import (
	"math"
	"strings"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/engine/control"
)

// What `explain --format json` prints: the text's content as one document.

// jsonExplain is `notimon explain RULE --format json`.
type jsonExplain struct {
	Rule      string       `json:"rule"`
	File      string       `json:"file"`
	Line      int          `json:"line"`
	Severity  string       `json:"severity"`
	For       string       `json:"for,omitempty"`    // "2m"; left out when 0
	Repeat    string       `json:"repeat,omitempty"` // left out without repeat
	Confirm   *jsonConfirm `json:"confirm,omitempty"`
	Values    jsonValues   `json:"values"`
	Failed    []jsonFailed `json:"failed_probes"` // probes the rule reads that failed
	When      *jsonTerm    `json:"when"`
	ClearWhen *jsonTerm    `json:"clear_when,omitempty"`
	State     jsonState    `json:"state"`
	Outlook   jsonOutlook  `json:"outlook"`
	// HeldBack are the maintenance windows covering the rule, its parents, its exec
	// steps' max_runs: what holds (or would hold) its steps back.
	HeldBack []jsonHold `json:"held_back,omitempty"`
	// What the operator's silences and acks do: what holds the rule's steps back now,
	// the ack of its incident, and the notifications held back since the last one sent.
	Suppressed *engine.Suppression `json:"suppressed,omitempty"`
	Ack        *control.Ack        `json:"ack,omitempty"`
	Held       *engine.Held        `json:"held,omitempty"`
}

type jsonConfirm struct {
	Trues int `json:"trues"` // confirm = "3 of 5": 3
	Of    int `json:"of"`    // 5
}

// jsonValues says where the values come from.
type jsonValues struct {
	From string `json:"from"`           // "probes" (sampled now) or "file" (--at-values)
	File string `json:"file,omitempty"` // the --at-values file
	Time string `json:"time"`           // when they were sampled, or the tick's time (RFC 3339)
}

type jsonFailed struct {
	Probe string `json:"probe"`
	Error string `json:"error"`
}

// jsonTerm is a condition as a tree: its operands at ||, && and !, each with its value,
// down to the comparisons, with the probe fields they read.
type jsonTerm struct {
	Expr  string     `json:"expr"`
	Value *bool      `json:"value"` // null when it could not be evaluated
	Error string     `json:"error,omitempty"`
	Reads []jsonRead `json:"reads"`
	Terms []jsonTerm `json:"terms"`
}

// jsonRead is a probe field or a time window a term reads.
type jsonRead struct {
	Expr   string `json:"expr"`  // cpu.avg3, disk["/"].used_pct, avg_over("cpu.pct", "5m")
	Value  any    `json:"value"` // a number, string or boolean; other values as text; null when unknown
	Error  string `json:"error,omitempty"`
	NoData bool   `json:"no_data,omitempty"` // a time window without enough history
}

type jsonState struct {
	State string `json:"state"`           // inactive, pending or firing, before this tick
	Since string `json:"since,omitempty"` // since when (RFC 3339)
	File  string `json:"file"`            // the state file read
	Found bool   `json:"found"`           // false: no state yet (shown as inactive)
	Error string `json:"error,omitempty"` // the state file could not be read
	After string `json:"after"`           // the state this tick would leave
}

// jsonOutlook is what this tick would do and what comes next.
type jsonOutlook struct {
	Kind  string `json:"kind"` // fires, resolves, repeats, becomes_pending, stays_pending, stops_pending, stays_firing, confirming, stays_inactive, unknown
	Text  string `json:"text"` // the text's "now" line
	Since string `json:"since,omitempty"`
	At    string `json:"at,omitempty"` // when a pending rule fires, or the next repeat
	Trues int    `json:"trues,omitempty"`
	Of    int    `json:"of,omitempty"`
}

// explainedState is the rule's state around the explained tick, and where it was read.
type explainedState struct {
	before, after engine.RuleState
	file          string
	found         bool
	err           error
}

func explainJSON(cfg *dsl.Config, r *dsl.Rule, rep *engine.Report, v engine.Verdict, st explainedState, atValues string, now time.Time) jsonExplain {
	j := jsonExplain{
		Rule: r.Name, File: r.Range.Filename, Line: r.Range.Start.Line, Severity: r.Severity,
		Values: jsonValues{From: "probes", Time: jsonTime(now)},
		Failed: []jsonFailed{},
		When:   explainTerm(cfg, r.When, rep),
		State: jsonState{State: st.before.State.String(), Since: jsonTime(st.before.Since), File: st.file,
			Found: st.found, After: st.after.State.String()},
	}
	if s := v.Suppression; s.Notify || s.Exec {
		j.Suppressed = &s
	}
	j.Ack, j.Held = st.after.Ack, st.after.Held
	if r.For > 0 {
		j.For = dsl.FormatDuration(r.For)
	}
	if r.Repeat > 0 {
		j.Repeat = dsl.FormatDuration(r.Repeat)
	}
	if r.Window > 1 {
		j.Confirm = &jsonConfirm{Trues: r.Confirm, Of: r.Window}
	}
	if atValues != "" {
		j.Values.From, j.Values.File = "file", atValues
	}
	for _, ref := range r.Refs {
		if err := rep.Snapshot.Err(ref); err != nil {
			j.Failed = append(j.Failed, jsonFailed{Probe: ref.String(), Error: err.Error()})
		}
	}
	if r.ClearWhen != nil {
		j.ClearWhen = explainTerm(cfg, r.ClearWhen, rep)
	}
	if st.err != nil {
		j.State.Error = st.err.Error()
	}
	o := v.Outlook(st.after)
	j.Outlook = jsonOutlook{
		Kind: strings.ReplaceAll(o.Kind.String(), " ", "_"), Text: outlook(r, v, o, now),
		Since: jsonTime(o.Since), At: jsonTime(o.At), Trues: o.Trues, Of: o.Of,
	}
	return j
}

func explainTerm(cfg *dsl.Config, p *dsl.Program, rep *engine.Report) *jsonTerm {
	root, err := cfg.Explain(p, rep.Snapshot)
	if err != nil {
		return &jsonTerm{Expr: p.Source, Error: err.Error(), Reads: []jsonRead{}, Terms: []jsonTerm{}}
	}
	var conv func(t *dsl.Term) jsonTerm
	conv = func(t *dsl.Term) jsonTerm {
		j := jsonTerm{Expr: t.Source, Reads: []jsonRead{}, Terms: []jsonTerm{}}
		if t.Err != nil {
			j.Error = t.Err.Error()
		} else {
			val := t.Value
			j.Value = &val
		}
		for _, r := range t.Reads {
			jr := jsonRead{Expr: r.Source, NoData: r.NoData}
			switch {
			case r.Err != nil:
				jr.Error = r.Err.Error()
			case !r.NoData:
				jr.Value = jsonValue(r.Value)
			}
			j.Reads = append(j.Reads, jr)
		}
		for _, x := range t.Terms {
			j.Terms = append(j.Terms, conv(x))
		}
		return j
	}
	j := conv(root)
	return &j
}

// jsonValue is a value rules read, as JSON: numbers (finite ones), strings and booleans as
// they are, anything else as the text shows it.
func jsonValue(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int, int64, uint64:
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return dsl.FormatValue(x)
		}
		return x
	}
	return dsl.FormatValue(v)
}

// jsonTime is t in RFC 3339, or "" for the zero time (left out).
func jsonTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}
