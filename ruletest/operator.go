package ruletest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/engine/control"
	"github.com/notimon/notimon/internal/glob"
)

// What operators do during a test: silences (`silence { ... }`) and acks (`ack "<rule>"`),
// applied on the simulated clock through the engine's own suppression, and the held-back
// notifications an expect block can ask for (`suppressed "<notifier>"`).

// Silence is a `silence` block of a test: the rules it selects (all of rules and labels
// must match, as with `notimon silence add`), from an offset, for a duration.
type Silence struct {
	Range   hcl.Range
	Rules   []NameRef // globs, with where each was written
	Labels  map[string]string
	From    time.Duration
	For     time.Duration
	NoExec  bool
	Comment string
	By      string
}

// Ack is an `ack "<rule>"` block of a test: the operator acknowledges the rule at an offset
// (just before the tick there), which must be firing then.
type Ack struct {
	Rule    NameRef
	At      time.Duration
	AtText  string
	AtRange hcl.Range
	Range   hcl.Range
	By      string
	Comment string
}

// SuppressedExpect is a `suppressed "<notifier>"` block of an expect block: a notification
// to the notifier that suppression held back during the tick.
type SuppressedExpect struct {
	Notifier   string
	LabelRange hcl.Range
	Range      hcl.Range
	Rule       *NameRef
}

var (
	silenceSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "rules"}, {Name: "labels"}, {Name: "from"}, {Name: "for", Required: true}, {Name: "no_exec"}, {Name: "comment"}, {Name: "by"},
	}}
	ackSchema        = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "at", Required: true}, {Name: "by"}, {Name: "comment"}}}
	suppressedSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "rule"}}}
)

func decodeSilence(b *hcl.Block) (*Silence, hcl.Diagnostics) {
	s := &Silence{Range: b.DefRange, By: "test"}
	content, diags := b.Body.Content(silenceSchema)
	if a, ok := content.Attributes["rules"]; ok {
		names, d := attrNames(a)
		diags = append(diags, d...)
		for _, n := range names {
			if _, err := glob.Match(n.Name, ""); err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid glob",
					Detail:  fmt.Sprintf("silence rules: %q: %v; a glob uses * (any run of characters), ? (one) and [a-z].", n.Name, err),
					Subject: n.Range.Ptr()})
				continue
			}
			s.Rules = append(s.Rules, n)
		}
	}
	if a, ok := content.Attributes["labels"]; ok {
		m, d := attrStringMap(a)
		diags = append(diags, d...)
		s.Labels = m
		for k, v := range m {
			if err := (control.Matcher{Label: k, Value: v}).Validate(); err != nil {
				diags = append(diags, attrDiag(a, "Invalid label", fmt.Sprintf("silence labels: %v.", err)))
			}
		}
	}
	_, hasRules := content.Attributes["rules"]
	_, hasLabels := content.Attributes["labels"]
	if !hasRules && !hasLabels {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Silence without matchers",
			Detail:  `A silence selects rules by name and/or label: rules = ["web_*"], labels = { team = "web" }; every one given must match.`,
			Subject: b.DefRange.Ptr()})
	}
	if a, ok := content.Attributes["from"]; ok {
		d, dd := attrDuration(a)
		diags = append(diags, dd...)
		s.From = d
	}
	if a, ok := content.Attributes["for"]; ok {
		d, dd := attrDuration(a)
		diags = append(diags, dd...)
		if !dd.HasErrors() && d <= 0 {
			diags = append(diags, attrDiag(a, "Invalid duration", `A silence lasts more than zero, e.g. for = "30m".`))
		}
		s.For = d
	}
	if a, ok := content.Attributes["no_exec"]; ok {
		v, d := attrBool(a)
		diags = append(diags, d...)
		s.NoExec = v
	}
	for _, f := range []struct {
		name string
		dest *string
	}{{"comment", &s.Comment}, {"by", &s.By}} {
		if a, ok := content.Attributes[f.name]; ok {
			v, d := attrString(a)
			diags = append(diags, d...)
			*f.dest = v
		}
	}
	return s, diags
}

func decodeAck(b *hcl.Block) (*Ack, hcl.Diagnostics) {
	a := &Ack{Rule: NameRef{Name: b.Labels[0], Range: b.LabelRanges[0]}, Range: b.DefRange, By: "test"}
	content, diags := b.Body.Content(ackSchema)
	atOK := false
	if at, ok := content.Attributes["at"]; ok {
		a.AtRange = at.Expr.Range()
		s, d := attrString(at)
		diags = append(diags, d...)
		if !d.HasErrors() {
			off, err := dsl.ParseDuration(s)
			if err != nil {
				diags = append(diags, attrDiag(at, "Invalid time offset", err.Error()))
			} else {
				a.At, a.AtText, atOK = off, s, true
			}
		}
	}
	for _, f := range []struct {
		name string
		dest *string
	}{{"comment", &a.Comment}, {"by", &a.By}} {
		if at, ok := content.Attributes[f.name]; ok {
			v, d := attrString(at)
			diags = append(diags, d...)
			*f.dest = v
		}
	}
	if !atOK {
		return nil, diags
	}
	return a, diags
}

func decodeSuppressed(b *hcl.Block) (*SuppressedExpect, hcl.Diagnostics) {
	s := &SuppressedExpect{Notifier: b.Labels[0], LabelRange: b.LabelRanges[0], Range: b.DefRange}
	content, diags := b.Body.Content(suppressedSchema)
	if a, ok := content.Attributes["rule"]; ok {
		v, d := attrString(a)
		diags = append(diags, d...)
		s.Rule = &NameRef{Name: v, Range: a.Expr.Range()}
	}
	return s, diags
}

// silence converts the block for the engine: t0 is the test's first tick.
func (s *Silence) silence(id string, t0 time.Time) control.Silence {
	out := control.Silence{ID: id, StartsAt: t0.Add(s.From), EndsAt: t0.Add(s.From + s.For), NoExec: s.NoExec, Comment: s.Comment, By: s.By}
	for _, r := range s.Rules {
		out.Matchers = append(out.Matchers, control.Matcher{Rule: r.Name})
	}
	for _, k := range sortedKeys(s.Labels) {
		out.Matchers = append(out.Matchers, control.Matcher{Label: k, Value: s.Labels[k]})
	}
	return out
}

func (s *SuppressedExpect) title() string {
	t := fmt.Sprintf("suppressed %q", s.Notifier)
	if s.Rule != nil {
		t += fmt.Sprintf(" (rule %q)", s.Rule.Name)
	}
	return t
}

// globMatchesNone reports a silence glob that selects no rule of the test.
func globMatchesNone(n NameRef, names []string) *hcl.Diagnostic {
	for _, name := range names {
		if ok, _ := glob.Match(n.Name, name); ok {
			return nil
		}
	}
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Silence selects no rule",
		Detail:  fmt.Sprintf("silence rules: %q matches none of the test's rules (%s).", n.Name, joinNames(names)),
		Subject: n.Range.Ptr()}
	if s := dsl.Closest(n.Name, names); s != "" {
		d.Detail = fmt.Sprintf("silence rules: %q matches none of the test's rules. Did you mean %q?", n.Name, s)
	}
	return d
}

func joinNames(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// testControl is the operator's side of a test: its silences, fixed for the whole test,
// and the acks its ack blocks make on the simulated clock (engine.ControlSource).
type testControl struct {
	mu       sync.Mutex
	silences []control.Silence
	acks     map[string]control.Ack
}

func (c *testControl) Read(time.Time) (control.Set, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return control.Set{Silences: c.silences, Acks: maps.Clone(c.acks)}, nil
}

func (c *testControl) ClearAck(rule string, firingSince time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.acks[rule]; ok && a.FiringSince.Equal(firingSince) {
		delete(c.acks, rule)
	}
	return nil
}

// ack acknowledges a.Rule at now, as `notimon ack` does: the rule must be firing. It returns
// the failure to report when it is not.
func (c *testControl) ack(e *engine.Engine, a *Ack, now time.Time) *Failure {
	st := e.States()[a.Rule.Name]
	if st.State != engine.Firing {
		pos := a.Rule.Range
		return &Failure{At: a.At, Pos: &pos, Title: fmt.Sprintf("ack %q", a.Rule.Name),
			Lines: []string{"- firing (only a firing rule can be acknowledged)", "+ " + st.State.String()}}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.acks[a.Rule.Name] = control.Ack{Rule: a.Rule.Name, By: a.By, Comment: a.Comment, At: now, FiringSince: st.FiringSince}
	return nil
}
