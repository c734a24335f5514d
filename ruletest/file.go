package ruletest

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/notimon/notimon/dsl"
)

// File is one parsed *_test.hcl file.
type File struct {
	Name  string
	Tests []*Test
	// Diags are the problems of the file outside its tests' blocks (syntax, duplicates).
	Diags hcl.Diagnostics
	// Files holds the parsed source by file name, for rendering diagnostics.
	Files map[string]*hcl.File
}

// Test is a `test "<name>"` block: inputs for each tick, and what should happen.
type Test struct {
	Name  string
	Range hcl.Range
	File  *File
	// RulesDir is the rules directory, resolved against the test file's directory.
	RulesDir   string
	rulesRange hcl.Range
	// Interval is the spacing of ticks; 0 means the rules' settings.interval.
	Interval time.Duration
	// Start is the time of the first tick (start = RFC 3339 time); zero means the
	// Runner's. Maintenance windows are the rules that read the date.
	Start time.Time
	// Env is what env("NAME") reads in the rules: nothing else of the real environment.
	Env map[string]string
	// Only limits the test to these rules; empty means every rule of the directory.
	Only []NameRef
	// NothingElse: a notification or command that no expect block expects fails the test.
	NothingElse bool
	Inputs      []*Input
	Expects     []*Expect
	// Silences and Acks are what the operator does during the test.
	Silences []*Silence
	Acks     []*Ack
	// Diags are the problems found in the test's block when the file was parsed; Run adds
	// those that need the rules.
	Diags hcl.Diagnostics
	// inputsOK is false when some input block was dropped for a problem.
	inputsOK bool
}

// NameRef is a rule name written in a test, with where it was written.
type NameRef struct {
	Name  string
	Range hcl.Range
}

// Input is an `input "<path>"` block: one probe field's value at every tick.
type Input struct {
	Path      string
	Range     hcl.Range // the path label
	valsRange hcl.Range // the values attribute's expression
	// Either a series string or a list of literals.
	series      string
	seriesStart *hcl.Pos // where the series text starts in the file, when it can be located exactly
	list        []any
	listRanges  []hcl.Range
	samples     []Sample // parsed series (numbers); the list form is converted once the field is known
}

// Expect is an `expect` block: what should be true at one tick.
type Expect struct {
	At      time.Duration
	AtText  string // as written
	AtRange hcl.Range
	Range   hcl.Range
	// CheckStates is set when the block names states: then every rule it does not list in
	// firing, pending or resolved must be inactive, and every rule not listed in unknown
	// must have been evaluated.
	CheckStates                                  bool
	Firing, Pending, Resolved, Inactive, Unknown []NameRef
	Notifies                                     []*NotifyExpect
	Execs                                        []*ExecExpect
	Suppressed                                   []*SuppressedExpect
}

// NotifyExpect is a `notify "<notifier>"` block of an expect block: a message that must
// have been sent during the tick.
type NotifyExpect struct {
	Notifier   string
	LabelRange hcl.Range
	Range      hcl.Range
	Rule       *NameRef
	State      string // "firing", "resolved" or "" for either
	Text       *string
	Contains   []string
	Matches    *regexp.Regexp
}

// ExecExpect is an `exec` block of an expect block: a command that must have been run
// during the tick, and what the simulated command returns.
type ExecExpect struct {
	Range    hcl.Range
	Command  []string
	Shell    string
	Rule     *NameRef
	ExitCode int
	Stdout   string
	Stderr   string
}

// LoadFile reads and parses a test file.
func LoadFile(name string) (*File, hcl.Diagnostics) {
	src, err := os.ReadFile(name)
	if err != nil {
		return &File{Name: name, Files: map[string]*hcl.File{}}, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Cannot read test file", Detail: fmt.Sprintf("%v.", err),
		}}
	}
	return Parse(name, src)
}

var (
	fileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "test", LabelNames: []string{"name"}}}}
	testSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "rules"}, {Name: "interval"}, {Name: "start"}, {Name: "env"}, {Name: "only"}, {Name: "expect_nothing_else"}},
		Blocks: []hcl.BlockHeaderSchema{{Type: "input", LabelNames: []string{"path"}}, {Type: "expect"},
			{Type: "silence"}, {Type: "ack", LabelNames: []string{"rule"}}},
	}
	inputSchema  = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "values", Required: true}}}
	expectSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "at", Required: true}, {Name: "firing"}, {Name: "pending"}, {Name: "resolved"}, {Name: "inactive"}, {Name: "unknown"}},
		Blocks: []hcl.BlockHeaderSchema{{Type: "notify", LabelNames: []string{"notifier"}}, {Type: "exec"},
			{Type: "suppressed", LabelNames: []string{"notifier"}}},
	}
	notifySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "text"}, {Name: "contains"}, {Name: "matches"}, {Name: "rule"}, {Name: "state"}}}
	execSchema   = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "command"}, {Name: "shell"}, {Name: "rule"}, {Name: "exit_code"}, {Name: "stdout"}, {Name: "stderr"}}}
)

// Parse parses a test file's source. What needs the rules (field paths, rule and notifier
// names, whether `at` falls on a tick) is checked when a test runs.
func Parse(name string, src []byte) (*File, hcl.Diagnostics) {
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	f := &File{Name: name, Files: map[string]*hcl.File{}}
	hf, diags := hclparse.NewParser().ParseHCL(src, name)
	if hf == nil {
		f.Diags = diags
		return f, diags
	}
	f.Files[name] = hf
	if diags.HasErrors() {
		f.Diags = diags
		return f, diags
	}
	content, d := hf.Body.Content(fileSchema)
	diags = append(diags, d...)
	f.Diags = append(f.Diags, d...)
	seen := map[string]hcl.Range{}
	for _, b := range content.Blocks {
		t, d := decodeTest(f, b)
		t.Diags = d
		diags = append(diags, d...)
		if prev, dup := seen[t.Name]; dup {
			f.Diags = append(f.Diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Duplicate test",
				Detail:  fmt.Sprintf("A test named %q is already defined at %s.", t.Name, short(prev)),
				Subject: b.LabelRanges[0].Ptr(),
			})
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Duplicate test",
				Detail:  fmt.Sprintf("A test named %q is already defined at %s.", t.Name, short(prev)),
				Subject: b.LabelRanges[0].Ptr(),
			})
			continue
		}
		seen[t.Name] = b.DefRange
		f.Tests = append(f.Tests, t)
	}
	if len(content.Blocks) == 0 && !diags.HasErrors() {
		d := &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "No tests",
			Detail:  `A test file holds test "<name>" { ... } blocks; this one has none.`,
			Subject: hf.Body.MissingItemRange().Ptr(),
		}
		diags = append(diags, d)
		f.Diags = append(f.Diags, d)
	}
	return f, diags
}

func decodeTest(f *File, b *hcl.Block) (*Test, hcl.Diagnostics) {
	t := &Test{Name: b.Labels[0], Range: b.DefRange, File: f, NothingElse: true, RulesDir: filepath.Dir(f.Name), inputsOK: true}
	content, diags := b.Body.Content(testSchema)
	if a, ok := content.Attributes["rules"]; ok {
		s, d := attrString(a)
		diags = append(diags, d...)
		t.rulesRange = a.Expr.Range()
		if !d.HasErrors() {
			if filepath.IsAbs(s) {
				t.RulesDir = s
			} else {
				t.RulesDir = filepath.Join(filepath.Dir(f.Name), s)
			}
		}
	} else {
		t.rulesRange = b.DefRange
	}
	if a, ok := content.Attributes["interval"]; ok {
		d, dd := attrDuration(a)
		diags = append(diags, dd...)
		if !dd.HasErrors() && d <= 0 {
			diags = append(diags, attrDiag(a, "Invalid interval", `The interval between ticks must be more than zero, e.g. "15s".`))
		}
		t.Interval = d
	}
	if a, ok := content.Attributes["start"]; ok {
		v, d := attrString(a)
		diags = append(diags, d...)
		if !d.HasErrors() {
			st, err := time.Parse(time.RFC3339, v)
			if err != nil {
				diags = append(diags, attrDiag(a, "Invalid start", fmt.Sprintf(`start must be an RFC 3339 time with its offset from UTC, e.g. "2026-03-29T00:00:00+01:00"; got %q.`, v)))
			}
			t.Start = st
		}
	}
	if a, ok := content.Attributes["env"]; ok {
		m, d := attrStringMap(a)
		diags = append(diags, d...)
		t.Env = m
	}
	if a, ok := content.Attributes["only"]; ok {
		names, d := attrNames(a)
		diags = append(diags, d...)
		t.Only = names
	}
	if a, ok := content.Attributes["expect_nothing_else"]; ok {
		v, d := attrBool(a)
		diags = append(diags, d...)
		t.NothingElse = v
	}
	inputs := map[string]hcl.Range{}
	blocks := 0
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "input":
			blocks++
			in, d := decodeInput(f, blk)
			diags = append(diags, d...)
			if in == nil {
				t.inputsOK = false
				continue
			}
			if prev, dup := inputs[in.Path]; dup {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Duplicate input",
					Detail:  fmt.Sprintf("%s already has values at %s.", in.Path, short(prev)),
					Subject: in.Range.Ptr(),
				})
				continue
			}
			inputs[in.Path] = in.Range
			t.Inputs = append(t.Inputs, in)
		case "expect":
			e, d := decodeExpect(blk)
			diags = append(diags, d...)
			if e != nil {
				t.Expects = append(t.Expects, e)
			}
		case "silence":
			s, d := decodeSilence(blk)
			diags = append(diags, d...)
			t.Silences = append(t.Silences, s) // with errors, the test does not run: kept for the checks that need the rules
		case "ack":
			a, d := decodeAck(blk)
			diags = append(diags, d...)
			if a != nil {
				t.Acks = append(t.Acks, a)
			}
		}
	}
	if blocks == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "No inputs",
			Detail:  `A test needs at least one input "<field>" { values = "..." }: its series set how many ticks the test runs.`,
			Subject: b.DefRange.Ptr(),
		})
	}
	return t, diags
}

func decodeInput(f *File, b *hcl.Block) (*Input, hcl.Diagnostics) {
	in := &Input{Path: b.Labels[0], Range: b.LabelRanges[0]}
	content, diags := b.Body.Content(inputSchema)
	a, ok := content.Attributes["values"]
	if !ok {
		return nil, diags
	}
	in.valsRange = a.Expr.Range()
	v, d := a.Expr.Value(nil)
	diags = append(diags, d...)
	if d.HasErrors() {
		return nil, diags
	}
	switch {
	case v.Type() == cty.String && v.IsKnown() && !v.IsNull():
		in.series = v.AsString()
		in.seriesStart = literalStart(f, a.Expr, in.series)
		samples, err := ParseSeries(in.series)
		if err != nil {
			rng := in.valsRange
			if se, ok := err.(*SeriesError); ok && in.seriesStart != nil {
				rng = in.seriesRange(se.Offset, se.Len)
			}
			return nil, append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid series",
				Detail: fmt.Sprintf("In input %q: %v.", in.Path, strings.TrimSuffix(err.Error(), ".")), Subject: rng.Ptr(),
			})
		}
		in.samples = samples
	case (v.Type().IsTupleType() || v.Type().IsListType()) && v.IsKnown() && !v.IsNull():
		tup, _ := a.Expr.(*hclsyntax.TupleConsExpr)
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, ev := it.Element()
			rng := in.valsRange
			if tup != nil && i < len(tup.Exprs) {
				rng = tup.Exprs[i].Range()
			}
			lit, err := literal(ev)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Invalid value",
					Detail: fmt.Sprintf("In input %q: %v.", in.Path, err), Subject: rng.Ptr(),
				})
				continue
			}
			in.list = append(in.list, lit)
			in.listRanges = append(in.listRanges, rng)
		}
		if len(in.list) == 0 && !diags.HasErrors() {
			diags = append(diags, attrDiag(a, "Invalid series", fmt.Sprintf("In input %q: the list is empty; give one value per tick.", in.Path)))
		}
		if len(in.list) > MaxSamples {
			diags = append(diags, attrDiag(a, "Invalid series", fmt.Sprintf("In input %q: more than %d values.", in.Path, MaxSamples)))
		}
		if diags.HasErrors() {
			return nil, diags
		}
	default:
		return nil, append(diags, attrDiag(a, "Invalid values",
			fmt.Sprintf(`In input %q: values is a series string such as "10 60x4 _ 20", or a list of values such as [1, 0, null] or ["", "timeout"]; got %s.`, in.Path, friendly(v))))
	}
	return in, diags
}

// literal converts one element of a list form into float64, bool, string or nil.
func literal(v cty.Value) (any, error) {
	switch {
	case v.IsNull():
		return nil, nil
	case !v.IsKnown():
		return nil, fmt.Errorf("the value is not known")
	case v.Type() == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		if math.IsInf(f, 0) {
			return nil, fmt.Errorf("%s is out of range", v.AsBigFloat().String())
		}
		return f, nil
	case v.Type() == cty.Bool:
		return v.True(), nil
	case v.Type() == cty.String:
		return v.AsString(), nil
	}
	return nil, fmt.Errorf("a value is a number, true or false, a string, or null (the probe failed), not %s", friendly(v))
}

// literalStart returns where the text of a string attribute starts when it is a plain
// quoted literal whose source is its value (no escapes or interpolation), so a diagnostic
// can point at one term of a series.
func literalStart(f *File, e hcl.Expression, value string) *hcl.Pos {
	hf := f.Files[f.Name]
	r := e.Range()
	if hf == nil || r.Start.Line != r.End.Line || r.End.Byte-r.Start.Byte != len(value)+2 {
		return nil
	}
	if string(hf.Bytes[r.Start.Byte+1:r.End.Byte-1]) != value {
		return nil
	}
	return &hcl.Pos{Line: r.Start.Line, Column: r.Start.Column + 1, Byte: r.Start.Byte + 1}
}

// seriesRange is the range of series[off:off+n] in the file (the whole value when it
// cannot be located).
func (in *Input) seriesRange(off, n int) hcl.Range {
	if in.seriesStart == nil {
		return in.valsRange
	}
	p := *in.seriesStart
	start := hcl.Pos{Line: p.Line, Column: p.Column + utf8.RuneCountInString(in.series[:off]), Byte: p.Byte + off}
	end := hcl.Pos{Line: p.Line, Column: start.Column + utf8.RuneCountInString(in.series[off:off+n]), Byte: start.Byte + n}
	return hcl.Range{Filename: in.valsRange.Filename, Start: start, End: end}
}

func decodeExpect(b *hcl.Block) (*Expect, hcl.Diagnostics) {
	e := &Expect{Range: b.DefRange}
	content, diags := b.Body.Content(expectSchema)
	atOK := false
	if a, ok := content.Attributes["at"]; ok {
		e.AtRange = a.Expr.Range()
		s, d := attrString(a)
		diags = append(diags, d...)
		if !d.HasErrors() {
			at, err := dsl.ParseDuration(s)
			if err != nil {
				diags = append(diags, attrDiag(a, "Invalid time offset", err.Error()))
			} else {
				e.At, e.AtText, atOK = at, s, true
			}
		}
	}
	lists := []struct {
		name string
		dest *[]NameRef
	}{{"firing", &e.Firing}, {"pending", &e.Pending}, {"resolved", &e.Resolved}, {"inactive", &e.Inactive}, {"unknown", &e.Unknown}}
	listed := map[string]string{}
	for _, l := range lists {
		a, ok := content.Attributes[l.name]
		if !ok {
			continue
		}
		e.CheckStates = true
		names, d := attrNames(a)
		diags = append(diags, d...)
		*l.dest = names
		if l.name == "unknown" {
			continue
		}
		for _, n := range names {
			if prev, dup := listed[n.Name]; dup {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Rule in two states",
					Detail:  fmt.Sprintf("Rule %q is listed in both %s and %s: a rule is in one state at a time.", n.Name, prev, l.name),
					Subject: n.Range.Ptr(),
				})
			}
			listed[n.Name] = l.name
		}
	}
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "notify":
			n, d := decodeNotify(blk)
			diags = append(diags, d...)
			if n != nil {
				e.Notifies = append(e.Notifies, n)
			}
		case "exec":
			x, d := decodeExec(blk)
			diags = append(diags, d...)
			if x != nil {
				e.Execs = append(e.Execs, x)
			}
		case "suppressed":
			s, d := decodeSuppressed(blk)
			diags = append(diags, d...)
			e.Suppressed = append(e.Suppressed, s)
		}
	}
	if !atOK {
		return nil, diags
	}
	return e, diags
}

func decodeNotify(b *hcl.Block) (*NotifyExpect, hcl.Diagnostics) {
	n := &NotifyExpect{Notifier: b.Labels[0], LabelRange: b.LabelRanges[0], Range: b.DefRange}
	content, diags := b.Body.Content(notifySchema)
	if a, ok := content.Attributes["text"]; ok {
		s, d := attrString(a)
		diags = append(diags, d...)
		n.Text = &s
		_, contains := content.Attributes["contains"]
		_, matches := content.Attributes["matches"]
		if contains || matches {
			diags = append(diags, attrDiag(a, "Conflicting expectations", "text is the whole message; give text, or contains and/or matches, not both."))
		}
	}
	if a, ok := content.Attributes["contains"]; ok {
		v, d := a.Expr.Value(nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			if v.Type() == cty.String && !v.IsNull() {
				n.Contains = []string{v.AsString()}
			} else {
				list, d := attrStringList(a)
				diags = append(diags, d...)
				n.Contains = list
			}
		}
	}
	if a, ok := content.Attributes["matches"]; ok {
		s, d := attrString(a)
		diags = append(diags, d...)
		if !d.HasErrors() {
			re, err := regexp.Compile(s)
			if err != nil {
				diags = append(diags, attrDiag(a, "Invalid regular expression", fmt.Sprintf("matches: %v.", err)))
			}
			n.Matches = re
		}
	}
	if a, ok := content.Attributes["rule"]; ok {
		s, d := attrString(a)
		diags = append(diags, d...)
		n.Rule = &NameRef{Name: s, Range: a.Expr.Range()}
	}
	if a, ok := content.Attributes["state"]; ok {
		s, d := attrString(a)
		diags = append(diags, d...)
		if !d.HasErrors() && s != "firing" && s != "resolved" {
			diags = append(diags, attrDiag(a, "Invalid state", `A message's state is "firing" (the fire chain and repeats) or "resolved" (on_resolve).`))
		}
		n.State = s
	}
	return n, diags
}

func decodeExec(b *hcl.Block) (*ExecExpect, hcl.Diagnostics) {
	x := &ExecExpect{Range: b.DefRange}
	content, diags := b.Body.Content(execSchema)
	cmd, hasCmd := content.Attributes["command"]
	sh, hasShell := content.Attributes["shell"]
	switch {
	case hasCmd && hasShell:
		diags = append(diags, attrDiag(sh, "Conflicting expectations", "An exec step has a command or a shell script, not both."))
	case !hasCmd && !hasShell:
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing command",
			Detail: `An exec expectation names the command, e.g. exec { command = ["systemctl", "restart", "tomcat"] }, or shell = "...".`, Subject: b.DefRange.Ptr()})
	case hasCmd:
		list, d := attrStringList(cmd)
		diags = append(diags, d...)
		x.Command = list
	default:
		s, d := attrString(sh)
		diags = append(diags, d...)
		x.Shell = s
	}
	if a, ok := content.Attributes["rule"]; ok {
		s, d := attrString(a)
		diags = append(diags, d...)
		x.Rule = &NameRef{Name: s, Range: a.Expr.Range()}
	}
	if a, ok := content.Attributes["exit_code"]; ok {
		v, d := a.Expr.Value(nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			var code int
			if v.Type() != cty.Number || v.IsNull() || !v.AsBigFloat().IsInt() {
				diags = append(diags, attrDiag(a, "Invalid exit_code", "exit_code is a whole number, the status the simulated command exits with."))
			} else if i, _ := v.AsBigFloat().Int64(); i < 0 || i > 255 {
				diags = append(diags, attrDiag(a, "Invalid exit_code", "exit_code is between 0 and 255."))
			} else {
				code = int(i)
			}
			x.ExitCode = code
		}
	}
	for _, f := range []struct {
		name string
		dest *string
	}{{"stdout", &x.Stdout}, {"stderr", &x.Stderr}} {
		if a, ok := content.Attributes[f.name]; ok {
			s, d := attrString(a)
			diags = append(diags, d...)
			*f.dest = s
		}
	}
	return x, diags
}

func attrDiag(a *hcl.Attribute, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: a.Expr.Range().Ptr()}
}

func attrValue(a *hcl.Attribute, ty cty.Type, want string) (cty.Value, hcl.Diagnostics) {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	cv, err := convert.Convert(v, ty)
	if err != nil || cv.IsNull() || !cv.IsWhollyKnown() {
		return cty.NilVal, hcl.Diagnostics{attrDiag(a, "Invalid "+a.Name, fmt.Sprintf("%s must be %s, not %s.", a.Name, want, friendly(v)))}
	}
	return cv, nil
}

func attrString(a *hcl.Attribute) (string, hcl.Diagnostics) {
	v, diags := attrValue(a, cty.String, "a string")
	if diags.HasErrors() {
		return "", diags
	}
	return v.AsString(), nil
}

func attrBool(a *hcl.Attribute) (bool, hcl.Diagnostics) {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return false, diags
	}
	if v.Type() != cty.Bool || v.IsNull() {
		return false, hcl.Diagnostics{attrDiag(a, "Invalid "+a.Name, fmt.Sprintf("%s must be true or false, not %s.", a.Name, friendly(v)))}
	}
	return v.True(), nil
}

func attrDuration(a *hcl.Attribute) (time.Duration, hcl.Diagnostics) {
	s, diags := attrString(a)
	if diags.HasErrors() {
		return 0, diags
	}
	d, err := dsl.ParseDuration(s)
	if err != nil {
		return 0, hcl.Diagnostics{attrDiag(a, "Invalid duration", err.Error())}
	}
	return d, nil
}

func attrStringList(a *hcl.Attribute) ([]string, hcl.Diagnostics) {
	v, diags := attrValue(a, cty.List(cty.String), "a list of strings")
	if diags.HasErrors() {
		return nil, diags
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		out = append(out, ev.AsString())
	}
	return out, nil
}

// attrNames reads a list of rule names, keeping each name's range.
func attrNames(a *hcl.Attribute) ([]NameRef, hcl.Diagnostics) {
	list, diags := attrStringList(a)
	if diags.HasErrors() {
		return nil, diags
	}
	tup, _ := a.Expr.(*hclsyntax.TupleConsExpr)
	out := make([]NameRef, len(list))
	for i, n := range list {
		out[i] = NameRef{Name: n, Range: a.Expr.Range()}
		if tup != nil && i < len(tup.Exprs) {
			out[i].Range = tup.Exprs[i].Range()
		}
	}
	return out, nil
}

func attrStringMap(a *hcl.Attribute) (map[string]string, hcl.Diagnostics) {
	v, diags := attrValue(a, cty.Map(cty.String), "a map of strings, e.g. { NOTIMON_TELEGRAM_TOKEN = \"x\" }")
	if diags.HasErrors() {
		return nil, diags
	}
	out := map[string]string{}
	for k, ev := range v.AsValueMap() {
		out[k] = ev.AsString()
	}
	return out, nil
}

func friendly(v cty.Value) string {
	if v.IsNull() {
		return "null"
	}
	return v.Type().FriendlyName()
}

// short renders a range as file:line.
func short(r hcl.Range) string { return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line) }
