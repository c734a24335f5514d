package dsl

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/notimon/notimon/actions"
	"github.com/notimon/notimon/actions/exec"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/spec"
)

// identRE is what a probe or notifier name must look like: rules read probes as
// process.<name>, so the name has to be an expr identifier.
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func checkName(what, name string, rng hcl.Range) hcl.Diagnostics {
	if identRE.MatchString(name) {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid name",
		Detail:   fmt.Sprintf("%s name %q must start with a letter or _ and hold only letters, digits and _ (rules read it as an identifier, e.g. process.my_app).", what, name),
		Subject:  rng.Ptr(),
	}}
}

var templateSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "text", Required: true}}}

func (l *loader) decodeTemplate(b *hclsyntax.Block, ev *evaluator) (*Template, *sourceString, hcl.Diagnostics) {
	defined := l.define("template", b.Labels[0], b.DefRange())
	t, src, diags := l.decodeTemplateBody(b, ev, defined.HasErrors())
	return t, src, append(defined, diags...)
}

// decodeTemplateBody decodes a template block whose name define has seen (dup: already
// defined). It changes nothing in l unless the block calls a function.
func (l *loader) decodeTemplateBody(b *hclsyntax.Block, ev *evaluator, dup bool) (*Template, *sourceString, hcl.Diagnostics) {
	name := b.Labels[0]
	diags := checkName("template", name, b.LabelRanges[0])
	content, d := bodyContent(b.Body, templateSchema)
	diags = append(diags, d...)
	attr, ok := content.Attributes["text"]
	if !ok {
		return nil, nil, diags
	}
	src, d := ev.sourceString(attr, fmt.Sprintf("template %q text", name))
	diags = append(diags, d...)
	if src == nil {
		return nil, nil, diags
	}
	// A heredoc ends with a newline; spliced with ${template.x} on a line of its own, that
	// newline would leave a blank line in every message.
	src.Value = strings.TrimSuffix(src.Value, "\n")
	if dup {
		return nil, nil, diags
	}
	return &Template{Name: name, Text: src.Value, Range: b.DefRange()}, src, diags
}

// decodedTemplate is a template block decoded: the template (nil when not kept), its
// text with the map back to its source, and its diagnostics.
type decodedTemplate struct {
	template *Template
	src      *sourceString
	diags    hcl.Diagnostics
}

// decodeTemplates decodes the template blocks, in order, several at once when there are
// many, as rules are (rules.go).
func (l *loader) decodeTemplates(blocks []*hclsyntax.Block, ev *evaluator) []decodedTemplate {
	out := make([]decodedTemplate, len(blocks))
	workers := workersFor(len(blocks))
	if workers < 2 {
		for i, b := range blocks {
			out[i].template, out[i].src, out[i].diags = l.decodeTemplate(b, ev)
		}
		return out
	}
	dups := make([]bool, len(blocks))
	for i, b := range blocks {
		out[i].diags = l.define("template", b.Labels[0], b.DefRange())
		dups[i] = out[i].diags.HasErrors()
	}
	l.ready(ev)
	atOnce(workers, len(blocks), func(i int) bool { return l.callsFunction(blocks[i]) }, func() struct{} { return struct{}{} },
		func(_ struct{}, i int) {
			t, src, d := l.decodeTemplateBody(blocks[i], ev, dups[i])
			out[i].template, out[i].src, out[i].diags = t, src, append(out[i].diags, d...)
		})
	return out
}

var settingsSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "host"}, {Name: "interval"}, {Name: "chain_timeout"}, {Name: "outbox_max_age"}, {Name: "delivery_budget"},
	{Name: "notifier_alert_after"},
}}

// defaultSettings are the settings of a configuration without a settings block.
func defaultSettings() Settings {
	return Settings{Interval: DefaultInterval, ChainTimeout: DefaultChainTimeout, OutboxMaxAge: DefaultOutboxMaxAge, DeliveryBudget: DefaultDeliveryBudget,
		NotifierAlertAfter: DefaultNotifierAlertAfter}
}

func (l *loader) decodeSettings(b *hclsyntax.Block, ev *evaluator) (Settings, hcl.Diagnostics) {
	s := defaultSettings()
	s.Range = b.DefRange()
	content, diags := bodyContent(b.Body, settingsSchema)
	if a, ok := content.Attributes["host"]; ok {
		v, d := ev.decodeString(a, "settings host")
		diags = append(diags, d...)
		s.Host = v
	}
	if a, ok := content.Attributes["interval"]; ok {
		v, d := ev.decodeDuration(a, "settings interval")
		diags = append(diags, d...)
		if !d.HasErrors() && v == 0 {
			diags = append(diags, attrError(a, "Invalid interval", "settings interval must be more than zero, e.g. \"15s\".")...)
		} else if !d.HasErrors() {
			s.Interval = v
		}
	}
	for _, f := range []struct {
		name string
		dest *time.Duration
	}{{"chain_timeout", &s.ChainTimeout}, {"outbox_max_age", &s.OutboxMaxAge}, {"delivery_budget", &s.DeliveryBudget},
		{"notifier_alert_after", &s.NotifierAlertAfter}} {
		a, ok := content.Attributes[f.name]
		if !ok {
			continue
		}
		v, d := ev.decodeDuration(a, "settings "+f.name)
		diags = append(diags, d...)
		if !d.HasErrors() && v == 0 {
			diags = append(diags, attrError(a, "Invalid "+f.name, "settings "+f.name+" must be more than zero.")...)
		} else if !d.HasErrors() {
			*f.dest = v
		}
	}
	return s, diags
}

// kindSchema builds the body schema of a notifier or probe kind's block.
func kindSchema(kb spec.Block) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, a := range kb.Attrs {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.Name, Required: a.Required})
	}
	return s
}

// secretValues are the strings in a secret attribute's value: the string, or a map's values.
func secretValues(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case map[string]string:
		return slices.Collect(maps.Values(x))
	}
	return nil
}

// decodeKindBody decodes the attributes of a notifier or probe body against its kind's
// block, as the kind's descriptor declares it.
func (l *loader) decodeKindBody(b *hclsyntax.Block, kb spec.Block, ev *evaluator, what string) (map[string]any, hcl.Diagnostics) {
	content, diags := bodyContent(b.Body, kindSchema(kb))
	attrs := map[string]any{}
	// In source order, not the map's: the diagnostics and the secrets come out the same
	// from one load to the next.
	inOrder := slices.SortedFunc(maps.Values(content.Attributes), func(a, b *hcl.Attribute) int {
		return a.NameRange.Start.Byte - b.NameRange.Start.Byte
	})
	for _, a := range inOrder {
		name := a.Name
		as, _ := kb.Attr(name)
		l.envRead = l.envRead[:0]
		v, d := ev.decodeAttr(a, as, what)
		diags = append(diags, d...)
		if !d.HasErrors() {
			attrs[name] = v
		}
		if as.Secret {
			l.secretEnv = append(l.secretEnv, l.envRead...)
			l.secrets = append(l.secrets, secretValues(v)...)
		}
	}
	for _, group := range kb.OneOf {
		var set []string
		for _, n := range group {
			if _, ok := content.Attributes[n]; ok {
				set = append(set, n)
			}
		}
		switch {
		case len(set) == 0:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing required argument",
				Detail:   fmt.Sprintf("%s needs one of %s.", what, quoteList(group)),
				Subject:  b.DefRange().Ptr(),
			})
		case len(set) > 1:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Conflicting arguments",
				Detail:   fmt.Sprintf("%s takes only one of %s; it sets %s.", what, quoteList(group), quoteList(set)),
				Subject:  content.Attributes[set[1]].NameRange.Ptr(),
			})
		}
	}
	return attrs, diags
}

func (l *loader) decodeNotifier(b *hclsyntax.Block, ev *evaluator) (*Notifier, hcl.Diagnostics) {
	kind, name := b.Labels[0], b.Labels[1]
	diags := l.define("notifier", name, b.DefRange())
	dup := diags.HasErrors()
	diags = append(diags, checkName("notifier", name, b.LabelRanges[1])...)
	k, ok := actions.LookupNotifier(kind)
	if !ok {
		names := make([]string, len(actions.NotifierKinds))
		for i, k := range actions.NotifierKinds {
			names[i] = k.Name
		}
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unknown notifier kind",
			Detail:   fmt.Sprintf("There is no %q notifier.%s The kinds are: %s.", kind, suggest(kind, names), strings.Join(names, ", ")),
			Subject:  b.LabelRanges[0].Ptr(),
		})
	}
	attrs, d := l.decodeKindBody(b, k.Block, ev, fmt.Sprintf("notifier %q", name))
	diags = append(diags, d...)
	if !d.HasErrors() && k.Check != nil {
		if err := k.Check(attrs); err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid notifier",
				Detail:   fmt.Sprintf("notifier %q: %v.", name, err),
				Subject:  b.DefRange().Ptr(),
			})
		}
	}
	if dup {
		return nil, diags
	}
	n := &Notifier{Kind: kind, Name: name, Attrs: attrs, Range: b.DefRange()}
	if ta, ok := k.Block.Template(); ok && !d.HasErrors() {
		if a, set := b.Body.Attributes[ta.Name]; set {
			src, d := ev.sourceString(a.AsHCLAttribute(), fmt.Sprintf("notifier %q %s", name, ta.Name))
			diags = append(diags, d...)
			n.titleSrc = src
		} else {
			// The default: placeholders the schema always has, its range the block's.
			rng := b.DefRange()
			n.titleSrc = &sourceString{Value: ta.Default, name: rng.Filename, whole: rng,
				spans: []span{{valStart: 0, valEnd: len(ta.Default), part: &hclsyntax.LiteralValueExpr{Val: cty.StringVal(ta.Default), SrcRange: rng}}}}
		}
	}
	return n, diags
}

// decodeProbe decodes a probe block. The ref is returned whenever the block declares a probe
// (known kind, valid and new name), even if its body has mistakes: rules that read the probe
// then compile against it instead of reporting it as undeclared at every use.
func (l *loader) decodeProbe(b *hclsyntax.Block, ev *evaluator) (*Probe, *probes.Ref, hcl.Diagnostics) {
	kindName := b.Labels[0]
	kind, ok := probes.LookupKind(kindName)
	if !ok {
		names := make([]string, len(probes.Kinds))
		for i, k := range probes.Kinds {
			names[i] = k.Name
		}
		return nil, nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown probe kind",
			Detail:   fmt.Sprintf("There is no %q probe.%s The kinds are: %s.", kindName, suggest(kindName, names), strings.Join(names, ", ")),
			Subject:  b.LabelRanges[0].Ptr(),
		}}
	}
	ref := probes.Ref{Kind: kindName}
	var diags hcl.Diagnostics
	switch {
	case kind.Named && len(b.Labels) == 1:
		return nil, nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Missing probe name",
			Detail:   fmt.Sprintf("A %s probe needs a name, which rules use to read it: probe %q \"<name>\" { ... }, read as %s.<name>.<field>.", kindName, kindName, kindName),
			Subject:  b.LabelRanges[0].Ptr(),
		}}
	case !kind.Named && len(b.Labels) == 2:
		return nil, nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unexpected probe name",
			Detail:   fmt.Sprintf("The %s probe is built in and takes no name: write probe %q { ... } to tune it; rules read it as %s.<field>.", kindName, kindName, kindName),
			Subject:  b.LabelRanges[1].Ptr(),
		}}
	case kind.Named:
		ref.Name = b.Labels[1]
		diags = append(diags, checkName("probe", ref.Name, b.LabelRanges[1])...)
	}
	diags = append(diags, l.define("probe", ref.String(), b.DefRange())...)
	var declared *probes.Ref
	if !diags.HasErrors() {
		declared = &ref
	}
	attrs, d := l.decodeKindBody(b, kind.Block, ev, fmt.Sprintf("probe %q", ref.String()))
	diags = append(diags, d...)
	if !diags.HasErrors() {
		// What the probe itself will refuse at run time (an address without a port, a
		// relative path …) is a validation error too.
		if err := probes.CheckAttrs(kindName, attrs); err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid probe",
				Detail:   fmt.Sprintf("probe %q: %v.", ref.String(), err),
				Subject:  b.DefRange().Ptr(),
			})
		} else if argv, ok := attrs["command"].([]string); ok && kindName == "command" {
			a := b.Body.Attributes["command"].AsHCLAttribute()
			diags = append(diags, crlfScriptWarning(a, exec.Spec{Argv: argv}, fmt.Sprintf("probe %q command", ref.String()))...)
		}
	}
	if diags.HasErrors() {
		return nil, declared, diags
	}
	return &Probe{Ref: ref, Attrs: attrs, Range: b.DefRange()}, declared, diags
}

var stepBlocks = []hcl.BlockHeaderSchema{
	{Type: "notify", LabelNames: []string{"notifier"}},
	{Type: "exec"},
	{Type: "wait"},
	{Type: "renotify", LabelNames: []string{"notifier"}},
}

var ruleSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "when", Required: true},
		{Name: "clear_when"},
		{Name: "for"},
		{Name: "repeat"},
		{Name: "severity"},
		{Name: "labels"},
		{Name: "confirm"},
		{Name: "depends_on"},
	},
	Blocks: append(append([]hcl.BlockHeaderSchema{}, stepBlocks...), hcl.BlockHeaderSchema{Type: "on_resolve"}),
}

var resolveSchema = &hcl.BodySchema{Blocks: stepBlocks}

func (l *loader) decodeRule(b *hclsyntax.Block, ev *evaluator, comp *compiler, cfg *Config) (*Rule, hcl.Diagnostics) {
	diags := l.define("rule", b.Labels[0], b.DefRange())
	dr := l.decodeRuleBody(b, ev, comp, cfg, diags.HasErrors())
	return l.keepRule(dr, diags)
}

// decodedRule is a rule block decoded: the rule (nil when it is not kept: no condition, or
// a duplicate name), its diagnostics, and its depends_on attribute.
type decodedRule struct {
	rule      *Rule
	all       *Rule // the rule, kept or not, for its messages
	diags     hcl.Diagnostics
	dependsOn *hcl.Attribute
}

// keepRule records what decodeRuleBody found after the diagnostics of the rule's
// definition.
func (l *loader) keepRule(dr decodedRule, defined hcl.Diagnostics) (*Rule, hcl.Diagnostics) {
	if dr.dependsOn != nil {
		l.dependsOn[dr.all.Name] = dr.dependsOn
	}
	return dr.rule, append(defined, dr.diags...)
}

// decodeRuleBody decodes a rule block whose name define has seen (dup: already defined).
// It changes nothing in l, so that rules without env() can be decoded several at once.
func (l *loader) decodeRuleBody(b *hclsyntax.Block, ev *evaluator, comp *compiler, cfg *Config, dup bool) decodedRule {
	name := b.Labels[0]
	var diags hcl.Diagnostics
	var dependsOn *hcl.Attribute
	if strings.TrimSpace(name) == "" {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty rule name", Detail: "A rule needs a name, e.g. rule \"overload\" { ... }.", Subject: b.LabelRanges[0].Ptr()})
	}
	r := &Rule{Name: name, Severity: DefaultSeverity, Range: b.DefRange()}
	refs := refSet{}
	content, d := contentBySchema(b.Body, ruleSchema)
	diags = append(diags, d...)
	what := named("rule", name) // rule "<name>", joined only for a diagnostic

	compileCond := func(field string) *Program {
		a, ok := content.attr(field)
		if !ok {
			return nil
		}
		whatField := what.with(field)
		src, d := ev.sourceStringOf(a, whatField)
		diags = append(diags, d...)
		if src == nil {
			return nil
		}
		p, d := comp.compileCondition(src, whatField)
		diags = append(diags, d...)
		if p != nil {
			refs.add(p.Refs...)
		}
		return p
	}
	r.When = compileCond("when")
	r.ClearWhen = compileCond("clear_when")
	if a, ok := content.attr("for"); ok {
		v, d := ev.decodeDurationOf(a, what.with("for"))
		diags = append(diags, d...)
		r.For = v
	}
	if a, ok := content.attr("repeat"); ok {
		v, d := ev.decodeDurationOf(a, what.with("repeat"))
		diags = append(diags, d...)
		if !d.HasErrors() && v == 0 {
			diags = append(diags, attrError(a, "Invalid repeat", what.String()+` repeat must be more than zero (leave it out to never repeat), e.g. "1h".`)...)
		}
		r.Repeat = v
	}
	if a, ok := content.attr("confirm"); ok {
		v, d := ev.decodeStringOf(a, what.with("confirm"))
		diags = append(diags, d...)
		if !d.HasErrors() {
			n, m, err := parseConfirm(v)
			if err != nil {
				diags = append(diags, attrError(a, "Invalid confirm", fmt.Sprintf("%s confirm: %v.", what.String(), err))...)
			}
			r.Confirm, r.Window = n, m
		}
	}
	if a, ok := content.attr("severity"); ok {
		v, d := ev.decodeStringOf(a, what.with("severity"))
		diags = append(diags, d...)
		if !d.HasErrors() && strings.TrimSpace(v) == "" {
			diags = append(diags, attrError(a, "Empty severity", what.String()+` severity must not be empty, e.g. "critical" or "warning".`)...)
		} else if !d.HasErrors() {
			r.Severity = v
		}
	}
	if a, ok := content.attr("labels"); ok {
		v, d := ev.valueOf(a, what.with("labels"))
		diags = append(diags, d...)
		if !d.HasErrors() {
			m, err := convert.Convert(v, cty.Map(cty.String))
			if err != nil || m.IsNull() || !m.IsWhollyKnown() {
				diags = append(diags, attrError(a, "Incorrect value type", what.String()+` labels must be a map of strings, e.g. { team = "web" }.`)...)
			} else {
				r.Labels = map[string]string{}
				for k, val := range m.AsValueMap() {
					r.Labels[k] = val.AsString()
				}
			}
		}
	}

	if a, ok := content.attr("depends_on"); ok {
		v, d := ev.decodeAttr(a, spec.Attr{Name: "depends_on", Type: spec.TypeStringList}, what.String())
		diags = append(diags, d...)
		if parents, ok := v.([]string); ok && !dup {
			r.DependsOn, r.DependsOnRange = parents, a.Expr.Range()
			dependsOn = a
		}
	}

	sawResolve := false
	for _, sb := range content.Blocks {
		if sb.Type != "on_resolve" {
			s, d := l.decodeStep(sb, ev, comp, cfg, what)
			diags = append(diags, d...)
			if s != nil {
				r.Fire = append(r.Fire, s)
			}
			continue
		}
		if sawResolve {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate on_resolve block", Detail: what.String() + " may have one on_resolve block; put all its steps in it.", Subject: sb.DefRange.Ptr()})
			continue
		}
		sawResolve = true
		rc, d := bodyContent(sb.Body, resolveSchema)
		diags = append(diags, d...)
		for _, step := range rc.Blocks {
			s, d := l.decodeStep(step, ev, comp, cfg, what.with("on_resolve"))
			diags = append(diags, d...)
			if s != nil {
				r.Resolve = append(r.Resolve, s)
			}
		}
	}
	for _, chain := range [][]*Step{r.Fire, r.Resolve} {
		for _, s := range chain {
			if s.Message != nil {
				refs.add(s.Message.Refs...)
			}
		}
	}
	r.Refs = refs.sorted()
	dr := decodedRule{all: r, diags: diags, dependsOn: dependsOn}
	if r.When != nil && !dup {
		dr.rule = r
	}
	return dr
}

var messageSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "message", Required: true}}}
var execSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "command"}, {Name: "shell"}, {Name: "timeout"}, {Name: "env"}, {Name: "on_failure"}, {Name: "inherit_env"}, {Name: "max_runs"},
}}

// noPlaceholders refuses {{ }} in a command: commands are never templates, so a probe value
// (a process name, an HTTP error text) can never become part of a command line.
func noPlaceholders(a *hcl.Attribute, values []string, what string) hcl.Diagnostics {
	for _, v := range values {
		if strings.Contains(v, "{{") {
			return attrError(a, "Placeholders are not allowed in commands",
				what+" contains {{ }}; commands are not templates, so that values read from the system can never be injected into them. "+
					"The command can read the alert from its environment: NOTIMON_RULE, NOTIMON_STATE, NOTIMON_SEVERITY, NOTIMON_HOST, NOTIMON_LABEL_<NAME>.")
		}
	}
	return nil
}

var waitSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "duration", Required: true}}}

// DefaultExecTimeout bounds an exec step that sets no timeout.
const DefaultExecTimeout = 60 * time.Second

func (l *loader) decodeStep(b *hcl.Block, ev *evaluator, comp *compiler, cfg *Config, step label) (*Step, hcl.Diagnostics) {
	s := &Step{Range: b.DefRange}
	step = step.with(b.Type)
	var diags hcl.Diagnostics
	switch b.Type {
	case "notify", "renotify":
		s.Kind = StepNotify
		if b.Type == "renotify" {
			s.Kind = StepRenotify
		}
		s.Notifier = b.Labels[0]
		// A notifier block with a mistake of its own (unknown kind, bad api_url) still
		// declares its name: its error is reported there, not again at every step using it.
		if !l.isDefined("notifier", s.Notifier) {
			names := l.definedNames("notifier")
			detail := fmt.Sprintf("%s sends through notifier %q, which is not declared in any file.%s", step.String(), s.Notifier, suggest(s.Notifier, names))
			if len(names) > 0 {
				detail += " Declared notifiers: " + strings.Join(names, ", ") + "."
			} else {
				detail += ` Declare one, e.g. notifier "console" "stdout" {}.`
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown notifier", Detail: detail, Subject: b.LabelRanges[0].Ptr()})
		}
		a, ok := onlyAttr(b.Body, "message")
		if !ok {
			content, d := bodyContent(b.Body, messageSchema)
			diags = append(diags, d...)
			a, ok = content.Attributes["message"]
		}
		if ok {
			src, d := ev.sourceStringOf(a, step.with("message"))
			diags = append(diags, d...)
			if src != nil {
				m, d := comp.compileMessageOf(src, step.with("message"))
				diags = append(diags, d...)
				s.Message = m
			}
		}
	case "exec":
		what := step.String()
		s.Kind = StepExec
		s.Timeout = DefaultExecTimeout
		content, d := bodyContent(b.Body, execSchema)
		diags = append(diags, d...)
		cmd, hasCmd := content.Attributes["command"]
		sh, hasShell := content.Attributes["shell"]
		switch {
		case hasCmd && hasShell:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Conflicting arguments",
				Detail: what + ` takes command (an argv list, run without a shell) or shell (a /bin/sh -c script), not both.`, Subject: sh.NameRange.Ptr()})
		case !hasCmd && !hasShell:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing required argument",
				Detail: what + ` needs command = ["program", "arg", ...] (or, as an explicit opt-in, shell = "a /bin/sh -c script").`, Subject: b.DefRange.Ptr()})
		case hasCmd:
			v, d := ev.value(cmd, what+" command")
			diags = append(diags, d...)
			if !d.HasErrors() {
				argv, d := decodeArgv(cmd, v, what+" command", nil)
				diags = append(diags, d...)
				diags = append(diags, noPlaceholders(cmd, argv, what+" command")...)
				s.Command = argv
			}
		case hasShell:
			v, d := ev.decodeString(sh, what+" shell")
			diags = append(diags, d...)
			if !d.HasErrors() && strings.TrimSpace(v) == "" {
				diags = append(diags, attrError(sh, "Empty command", what+" shell is empty.")...)
			}
			diags = append(diags, noPlaceholders(sh, []string{v}, what+" shell")...)
			s.Shell = v
		}
		if a, ok := content.Attributes["timeout"]; ok {
			v, d := ev.decodeDuration(a, what+" timeout")
			diags = append(diags, d...)
			if !d.HasErrors() && v == 0 {
				diags = append(diags, attrError(a, "Invalid timeout", what+` timeout must be more than zero, e.g. "60s".`)...)
			} else if !d.HasErrors() {
				s.Timeout = v
			}
		}
		if a, ok := content.Attributes["env"]; ok {
			v, d := ev.decodeAttr(a, spec.Attr{Name: "env", Type: spec.TypeStringMap}, what)
			diags = append(diags, d...)
			if m, ok := v.(map[string]string); ok {
				s.Env = m
				values := make([]string, 0, len(m))
				for _, k := range slices.Sorted(maps.Keys(m)) {
					values = append(values, m[k])
				}
				diags = append(diags, noPlaceholders(a, values, what+" env")...)
			}
		}
		if a, ok := content.Attributes["inherit_env"]; ok {
			v, d := ev.decodeAttr(a, spec.Attr{Name: "inherit_env", Type: spec.TypeBool}, what)
			diags = append(diags, d...)
			s.InheritEnv = v == true
		}
		if a, ok := content.Attributes["on_failure"]; ok {
			v, d := ev.decodeAttr(a, spec.Attr{Name: "on_failure", Type: spec.TypeString, Allowed: []string{"continue", "stop"}}, what)
			diags = append(diags, d...)
			s.StopOnFailure = v == "stop"
		}
		// Without max_runs the default guard holds: a flapping rule must not restart a
		// service every time it fires.
		s.MaxRuns, s.MaxRunsPer, _ = ParseMaxRuns(DefaultMaxRuns)
		s.MaxRunsDefault = true
		if a, ok := content.Attributes["max_runs"]; ok {
			v, d := ev.decodeString(a, what+" max_runs")
			diags = append(diags, d...)
			if !d.HasErrors() {
				n, per, err := ParseMaxRuns(v)
				if err != nil {
					diags = append(diags, attrError(a, "Invalid max_runs", fmt.Sprintf("%s max_runs: %v.", what, err))...)
				}
				s.MaxRuns, s.MaxRunsPer, s.MaxRunsDefault = n, per, false
			}
		}
		switch {
		case hasCmd && !hasShell && s.Command != nil:
			diags = append(diags, crlfScriptWarning(cmd, exec.Spec{Argv: s.Command, Env: s.Env}, what+" command")...)
		case hasShell && !hasCmd && s.Shell != "":
			diags = append(diags, crlfScriptWarning(sh, exec.Spec{Shell: s.Shell, Env: s.Env}, what+" shell")...)
		}
	case "wait":
		s.Kind = StepWait
		content, d := bodyContent(b.Body, waitSchema)
		diags = append(diags, d...)
		if a, ok := content.Attributes["duration"]; ok {
			v, d := ev.decodeDurationOf(a, step.with("duration"))
			diags = append(diags, d...)
			s.Duration = v
		}
	}
	return s, diags
}

// parseConfirm reads "N of M": the condition must have held on N of the last M ticks.
func parseConfirm(s string) (n, m int, err error) {
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d of %d", &n, &m); err != nil {
		return 0, 0, fmt.Errorf(`%q is not "N of M"; write e.g. "3 of 5" (true on 3 of the last 5 ticks)`, s)
	}
	if n < 1 || m < n || m > 1000 {
		return 0, 0, fmt.Errorf(`%q: N must be at least 1 and at most M, and M at most 1000`, s)
	}
	return n, m, nil
}

// DefaultMaxRuns is the remediation guard of an exec step that does not set max_runs
// (Monit's "if 5 restarts within 5 cycles then unmonitor", on the clock).
const DefaultMaxRuns = "5 per 1h"

// ParseMaxRuns reads an exec step's max_runs, "N per DURATION": at most N runs within any
// DURATION; "unlimited" (0, 0) turns the guard off.
func ParseMaxRuns(s string) (n int, per time.Duration, err error) {
	if strings.TrimSpace(s) == "unlimited" {
		return 0, 0, nil
	}
	count, dur, ok := strings.Cut(strings.TrimSpace(s), " per ")
	if !ok {
		return 0, 0, fmt.Errorf(`%q is not "N per DURATION"; write e.g. "3 per 1h" (at most 3 runs in any hour)`, s)
	}
	n, err = strconv.Atoi(strings.TrimSpace(count))
	if err != nil || n < 1 {
		return 0, 0, fmt.Errorf(`%q: the number of runs must be a whole number of at least 1, as in "3 per 1h"`, s)
	}
	per, err = ParseDuration(strings.TrimSpace(dur))
	if err != nil {
		return 0, 0, fmt.Errorf("%q: %v", s, err)
	}
	if per < time.Second {
		return 0, 0, fmt.Errorf(`%q: the period must be at least 1s, as in "3 per 1h"`, s)
	}
	return n, per, nil
}
