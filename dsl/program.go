package dsl

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/checker"
	exprcompiler "github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/hashicorp/hcl/v2"

	"github.com/notimon/notimon/probes"
)

// VM runs programs: pass one per goroutine (Program.Eval, Message.Render, Batch.Eval) so
// that evaluating does not allocate one each time. A compiled Program is safe to share; a
// VM is not.
type VM = vm.VM

// Position renders where r starts as file:line:col, the way messages and logs name a place
// in the rules.
func Position(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// Program is a compiled expr expression: a rule's `when` or `clear_when`, or one {{ }}
// placeholder. It is safe to share between goroutines; a vm.VM is not, so Eval takes one.
type Program struct {
	Source string
	Range  hcl.Range // where the source stands (a placeholder shared by messages: its first use)
	Refs   []probes.Ref
	// Inputs are the probe fields the expression reads (cpu.avg3, http.site.up), each
	// compiled on its own so a dry run or explain can show the values a verdict rests on.
	Inputs []Input
	// Windows are the time windows it reads (avg_over("cpu.pct", "5m")).
	Windows []Window
	// fields are the probe fields it reads as a whole (collectRefs), its windows' included.
	fields  []string
	program *vm.Program
	// later, for a condition whose bytecode is made on first use (compileLater), holds what
	// makes it, and then the bytecode; program stays nil.
	later *laterProgram
}

// laterProgram is a checked and optimized expression not yet compiled to bytecode. The
// bytecode is kept here, not in the Program: copies of a Program share it.
type laterProgram struct {
	once    sync.Once
	tree    *parser.Tree
	cfg     *conf.Config
	mu      *sync.Mutex // cfg's: compiling may fill in its type cache
	program *vm.Program
	err     error
}

// vmProgram returns p's bytecode, making it first if it is made on first use.
func (p *Program) vmProgram() (*vm.Program, error) {
	l := p.later
	if l == nil {
		return p.program, nil
	}
	l.once.Do(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.program, l.err = exprcompiler.Compile(l.tree, l.cfg)
		l.tree = nil
	})
	return l.program, l.err
}

// Input is one probe field an expression reads.
type Input struct {
	Path    string
	program *vm.Program
}

// Eval returns the field's value in env.
func (in Input) Eval(env any) (any, error) { return expr.Run(in.program, env) }

// Eval runs the program on env (the schema's Env for conditions, its Map plus `rule` for
// placeholders). machine may be nil; pass one per goroutine to avoid allocating a VM on
// every call.
func (p *Program) Eval(machine *vm.VM, env any) (any, error) {
	prog, err := p.vmProgram()
	if err != nil {
		return nil, err
	}
	if machine == nil {
		return expr.Run(prog, env)
	}
	return machine.Run(prog, env)
}

// Message is a message template: literal text and compiled {{ }} placeholders.
type Message struct {
	Source  string // the text after HCL evaluation, placeholders included
	Parts   []MessagePart
	Refs    []probes.Ref
	Windows []Window
}

// MessagePart is literal text (Program nil) or a placeholder.
type MessagePart struct {
	Text    string
	Program *Program
}

// Render evaluates every placeholder on env and joins the parts. escape is applied to the
// output of each placeholder (never to the literal text), e.g. HTML escaping for a notifier
// in HTML mode; nil leaves values as they are.
//
// A line made only of placeholders (and blanks) that all render empty is left out, so a
// conditional line such as {{ cpu.avg3 > 50 ? "cpu is high" : "" }} disappears when false
// instead of leaving a blank line.
func (m *Message) Render(machine *vm.VM, env map[string]any, escape func(string) string) (string, error) {
	var out, line strings.Builder
	var errs []error
	placeholders, blank := false, true
	flush := func(newline bool) {
		if !(placeholders && blank) {
			out.WriteString(line.String())
			if newline {
				out.WriteByte('\n')
			}
		}
		line.Reset()
		placeholders, blank = false, true
	}
	for _, part := range m.Parts {
		if part.Program == nil {
			text := part.Text
			for {
				i := strings.IndexByte(text, '\n')
				if i < 0 {
					break
				}
				line.WriteString(text[:i])
				blank = blank && strings.TrimSpace(text[:i]) == ""
				flush(true)
				text = text[i+1:]
			}
			line.WriteString(text)
			blank = blank && strings.TrimSpace(text) == ""
			continue
		}
		placeholders = true
		v, err := part.Program.Eval(machine, env)
		if err != nil {
			errs = append(errs, fmt.Errorf("{{ %s }}: %w", strings.TrimSpace(part.Program.Source), err))
			line.WriteString("<error>")
			blank = false
			continue
		}
		s := FormatValue(v)
		if escape != nil {
			s = escape(s)
		}
		line.WriteString(s)
		blank = blank && s == ""
	}
	flush(false)
	return out.String(), errors.Join(errs...)
}

// FormatValue renders a placeholder's value: floats rounded to 2 decimals without trailing
// zeros, durations to whole seconds, nil as "", lists comma-separated.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case time.Duration:
		return x.Round(time.Second).String()
	case fmt.Stringer:
		return x.String()
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = FormatValue(rv.Index(i).Interface())
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

func formatFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	r := math.Round(f*100) / 100
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// compiler compiles expr sources against one schema. It builds each expr configuration
// once: expr.Compile would build a new one (with its map of every builtin) per expression,
// which was most of the cost of loading a large rules directory.
type compiler struct {
	schema  *probes.Schema
	whenEnv any            // the schema's struct: conditions run on it every tick
	msgEnv  map[string]any // namespaces by name plus rule: placeholders run only on firing
	names   map[string]any // namespaces by name, for explaining unknown names

	cond, value, msg *conf.Config
	// condPlain and msgPlain are cond and msg without the patcher of window calls, for
	// expressions without a call (checking).
	condPlain, msgPlain *conf.Config
	// mu guards the configurations while a program compiled later is compiled
	// (laterProgram).
	mu *sync.Mutex
	// placeholders caches compiled placeholders by source: the same {{ cpu.avg3 }} recurs in
	// many messages, and every template is spliced into several.
	placeholders map[string]*Program
	// inputs caches the compiled field reads (cpu.avg3) of Program.Inputs and windows by
	// path: thousands of rules read the same few fields.
	inputs map[string]compiled
	// walker walks each expression compiled, once, for its refs and windows; its slices
	// are reused from one expression to the next.
	walker refVisitor
}

type compiled struct {
	program *vm.Program
	err     error
}

// input compiles path, a probe field such as cpu.avg3, for reading it on its own.
func (c *compiler) input(path string) (*vm.Program, error) {
	in, ok := c.inputs[path]
	if !ok {
		in.program, in.err = compile(path, c.value)
		c.inputs[path] = in
	}
	return in.program, in.err
}

// RuleInfo is what messages read as `rule.<field>`.
type RuleInfo struct {
	Name      string            `expr:"name"`
	Severity  string            `expr:"severity"`
	Labels    map[string]string `expr:"labels"`
	State     string            `expr:"state"`
	FiringFor time.Duration     `expr:"firing_for"`
	Value     any               `expr:"value"` // the value of `when` that fired the rule
	// What operators did (notimon ack, notimon silence): whether the incident is
	// acknowledged and by whom, whether a silence selects the rule as the message is
	// rendered (a resolve during a silence), and whether this is the one notification sent
	// when a silence ended while the rule still fired.
	Acked          bool     `expr:"acked"`
	AckedBy        string   `expr:"acked_by"`
	AckComment     string   `expr:"ack_comment"`
	Silenced       bool     `expr:"silenced"`
	SilencedBy     string   `expr:"silenced_by"`
	SilenceComment string   `expr:"silence_comment"`
	SilenceIDs     []string `expr:"silence_ids"`
	CatchUp        bool     `expr:"catch_up"`
}

func newCompiler(schema *probes.Schema) *compiler {
	msg := schema.Map(&probes.Snapshot{})
	msg["rule"] = RuleInfo{}
	msg["exec"] = ExecInfo{}
	c := &compiler{schema: schema, whenEnv: schema.Types(), msgEnv: msg, names: schema.Map(&probes.Snapshot{}), placeholders: map[string]*Program{}, inputs: map[string]compiled{}, mu: &sync.Mutex{}}
	c.cond = exprConfig(c.whenEnv, patchWindows, expr.AsBool())
	c.condPlain = exprConfig(c.whenEnv, expr.AsBool())
	c.value = exprConfig(c.whenEnv) // field paths (cpu.avg3): no call to patch
	c.msg = exprConfig(c.msgEnv, patchWindows)
	c.msgPlain = exprConfig(c.msgEnv)
	return c
}

// checking returns the configuration to check code with: withWindows, or plain (the same
// without the patcher of window calls) when code calls no function. A configuration with
// a patcher makes expr type-check each expression three times (once before each of its
// two passes of patchers, then for good), which was a tenth of loading a 4 MiB file; an
// expression without a call has no window call to patch.
func checking(code string, withWindows, plain *conf.Config) *conf.Config {
	if mayCall(code) {
		return withWindows
	}
	return plain
}

// mayCall says whether expr code may call a function: every call, pipe and predicate is
// written with a "(".
func mayCall(code string) bool { return strings.Contains(code, "(") }

// exprConfig builds an expr configuration the way expr.Compile does.
func exprConfig(env any, opts ...expr.Option) *conf.Config {
	cfg := conf.CreateNew()
	for _, op := range append([]expr.Option{expr.Env(env), expr.Optimize(true), typedValues, helpers}, opts...) {
		op(cfg)
	}
	cfg.Check()
	return cfg
}

// typedValues replaces expr's values() builtin, which is typed as returning []any: with it,
// the predicate of all(values(disk), .usedpct < 85) is never checked, so the typo validates
// and then fails on every tick. This values() returns a slice of the element type
// ([]disk.Values), so the checker knows the fields. It also takes a named-probe namespace,
// values(process), whose fields all have one type; and it returns values in key (or probe
// name) order, so a message listing disks does not shuffle them from one send to the next.
func typedValues(c *conf.Config) {
	c.Functions["values"] = &builtin.Function{
		Name: "values",
		Func: func(args ...any) (any, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("invalid number of arguments (expected 1, got %d)", len(args))
			}
			return valuesOf(reflect.ValueOf(args[0]))
		},
		Validate: func(args []reflect.Type) (reflect.Type, error) {
			if len(args) != 1 {
				return anyType, fmt.Errorf("invalid number of arguments (expected 1, got %d)", len(args))
			}
			t := args[0]
			switch t.Kind() {
			case reflect.Interface:
				return reflect.TypeFor[[]any](), nil
			case reflect.Map:
				return reflect.SliceOf(t.Elem()), nil
			case reflect.Struct:
				if elem, ok := uniformFields(t); ok {
					return reflect.SliceOf(elem), nil
				}
			}
			return anyType, fmt.Errorf("values() takes a map such as disk or a kind of named probe such as process, not %s", t)
		},
	}
}

var anyType = reflect.TypeFor[any]()

// uniformFields reports the type all fields of struct t share when t is a named-probe
// namespace: an unnamed struct (probes.Schema builds them) whose fields, one per declared
// probe, all have the kind's type. A namespace with no probes declared yields any. Named
// structs such as cpu.Values are records, not collections: values(cpu) stays an error.
func uniformFields(t reflect.Type) (reflect.Type, bool) {
	if t.Name() != "" {
		return nil, false
	}
	if t.NumField() == 0 {
		return anyType, true
	}
	elem := t.Field(0).Type
	for i := 1; i < t.NumField(); i++ {
		if t.Field(i).Type != elem {
			return nil, false
		}
	}
	return elem, true
}

func valuesOf(v reflect.Value) (any, error) {
	switch v.Kind() {
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		out := reflect.MakeSlice(reflect.SliceOf(v.Type().Elem()), len(keys), len(keys))
		for i, k := range keys {
			out.Index(i).Set(v.MapIndex(k))
		}
		return out.Interface(), nil
	case reflect.Struct:
		elem, ok := uniformFields(v.Type())
		if !ok {
			break
		}
		out := reflect.MakeSlice(reflect.SliceOf(elem), v.NumField(), v.NumField())
		for i := range v.NumField() {
			out.Index(i).Set(v.Field(i))
		}
		return out.Interface(), nil
	}
	return nil, fmt.Errorf("cannot get values from %s", v.Kind())
}

// compile is expr.Compile with a prepared configuration.
func compile(code string, cfg *conf.Config) (*vm.Program, error) {
	tree, err := parser.ParseWithConfig(code, cfg)
	if err != nil {
		return nil, err
	}
	return compileTree(tree, cfg)
}

// compileTree is the rest of compile for a tree already parsed with cfg. Checking patches
// the tree in place (a window call becomes a lookup), so whatever reads the tree as it was
// written (refVisitor) must walk it first: parsing each expression once, not
// once for each of them, is a good part of what loading costs.
func compileTree(tree *parser.Tree, cfg *conf.Config) (*vm.Program, error) {
	if err := checkTree(tree, cfg); err != nil {
		return nil, err
	}
	return exprcompiler.Compile(tree, cfg)
}

// checkTree checks and optimizes tree: every mistake in it is found here, before its
// bytecode is made.
func checkTree(tree *parser.Tree, cfg *conf.Config) error {
	if _, err := new(checker.Checker).PatchAndCheck(tree, cfg); err != nil {
		return err
	}
	if cfg.Optimize {
		if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
			var fe *file.Error
			if errors.As(err, &fe) {
				return fe.Bind(tree.Source)
			}
			return err
		}
	}
	return nil
}

// bytecode checks tree, parsed from p.Source with cfg, and gives p its bytecode, now or,
// when compileLater allows, on first use.
func (c *compiler) bytecode(p *Program, tree *parser.Tree, cfg *conf.Config) error {
	if !compileLater(p.Source) {
		prog, err := compileTree(tree, cfg)
		p.program = prog
		return err
	}
	if err := checkTree(tree, cfg); err != nil {
		return err
	}
	p.later = &laterProgram{tree: tree, cfg: cfg, mu: c.mu}
	return nil
}

// compileLater says whether an expression's bytecode can be made on first use rather than
// as it loads. The engine runs conditions in batches compiled from their sources (Batch):
// a rule's own program is run only when its batch fails, by explain and by rule tests; a
// placeholder runs only when a message is sent. Compiling 11,000 conditions and their
// placeholders was a tenth of loading a 4 MiB file. Making bytecode can fail after a check
// passed only through a function call (an argument constant out of a parameter's range)
// or a regular expression built by the optimizer (x matches ("[" + "(")); an expression
// with a call or matches is compiled as it loads, so that its errors are still reported
// there, with the others.
func compileLater(code string) bool {
	return !mayCall(code) && !strings.Contains(code, "matches")
}

// compileCondition compiles a `when`/`clear_when` held in src[start:end] of an evaluated
// string. It must give a bool.
func (c *compiler) compileCondition(src *sourceString, field label) (*Program, hcl.Diagnostics) {
	code := src.Value
	if strings.TrimSpace(code) == "" {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Empty condition",
			Detail:   fmt.Sprintf("%s must be an expression that is true or false, such as \"cpu.avg3 > 50\".", field.String()),
			Subject:  src.whole.Ptr(),
		}}
	}
	tree, err := parser.ParseWithConfig(code, c.cond)
	if err != nil {
		return nil, exprDiagnostics(err, src, 0, field.String(), c.names)
	}
	v := c.walk(&tree.Node)
	windows, werr := c.windowsOf(v.calls)
	if werr != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid time window",
			Detail: fmt.Sprintf("In %s: %v.", field.String(), werr), Subject: src.whole.Ptr()}}
	}
	refs, paths, fields := v.results()
	p := &Program{Source: code, Range: src.whole, Windows: windows}
	if err := c.bytecode(p, tree, checking(code, c.cond, c.condPlain)); err != nil {
		return nil, exprDiagnostics(err, src, 0, field.String(), c.names)
	}
	p.Refs, p.fields = withWindows(refs, fields, windows)
	if len(paths) > 0 {
		p.Inputs = make([]Input, 0, len(paths))
	}
	for _, path := range paths {
		if ip, err := c.input(path); err == nil {
			p.Inputs = append(p.Inputs, Input{Path: path, program: ip})
		}
	}
	return p, nil
}

// withWindows adds what windows read to an expression's refs and fields.
func withWindows(refs []probes.Ref, fields []string, windows []Window) ([]probes.Ref, []string) {
	if len(windows) == 0 {
		return refs, fields
	}
	set := refSet{}
	set.add(refs...)
	for _, w := range windows {
		set.add(w.Refs...)
		fields = append(fields, w.fields...)
	}
	return set.sorted(), fields
}

// placeholderOpen starts a {{ }} placeholder; its body may not contain "}}".
const placeholderOpen = "{{"

// compileMessage splits an evaluated message into literal text and {{ }} placeholders and
// compiles each placeholder.
func (c *compiler) compileMessage(src *sourceString, field string) (*Message, hcl.Diagnostics) {
	return c.compileMessageOf(src, text(field))
}

// compileMessageOf is compileMessage with field as a label.
func (c *compiler) compileMessageOf(src *sourceString, field label) (*Message, hcl.Diagnostics) {
	m := &Message{Source: src.Value}
	refs := refSet{}
	var diags hcl.Diagnostics
	text := src.Value
	// Every placeholder brings at most itself and the text before it: one allocation for
	// the parts instead of one each time they outgrow their slice.
	m.Parts = make([]MessagePart, 0, 2*strings.Count(text, placeholderOpen)+1)
	pos := 0
	for pos < len(text) {
		i := strings.Index(text[pos:], placeholderOpen)
		if i < 0 {
			m.Parts = append(m.Parts, MessagePart{Text: text[pos:]})
			break
		}
		open := pos + i
		if open > pos {
			m.Parts = append(m.Parts, MessagePart{Text: text[pos:open]})
		}
		j := strings.Index(text[open+2:], "}}")
		if j < 0 {
			if src.fromTemplate(open) == "" {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Unclosed placeholder",
					Detail:   fmt.Sprintf("This {{ in %s has no matching }}. Close it, or write the braces another way if they are meant literally.", field.String()),
					Subject:  src.rangeOf(open, open+2).Ptr(),
				})
			}
			break
		}
		bodyStart, bodyEnd := open+2, open+2+j
		code := text[bodyStart:bodyEnd]
		if strings.TrimSpace(code) == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Empty placeholder",
				Detail:   "A {{ }} placeholder needs an expression, such as {{ cpu.avg3 }}.",
				Subject:  src.rangeOf(open, bodyEnd+2).Ptr(),
			})
		} else if p, ok := c.placeholders[code]; ok { // only placeholders that compiled are kept
			m.Parts = append(m.Parts, MessagePart{Program: p})
			refs.add(p.Refs...)
			m.Windows = append(m.Windows, p.Windows...)
		} else if p, d := c.compilePlaceholder(code, src, bodyStart, bodyEnd, field); p == nil {
			diags = append(diags, d...)
		} else {
			c.placeholders[code] = p
			m.Parts = append(m.Parts, MessagePart{Program: p})
			refs.add(p.Refs...)
			m.Windows = append(m.Windows, p.Windows...)
		}
		pos = bodyEnd + 2
	}
	m.Refs = refs.sorted()
	return m, diags
}

// compilePlaceholder compiles the placeholder code held in src.Value[bodyStart:bodyEnd].
func (c *compiler) compilePlaceholder(code string, src *sourceString, bodyStart, bodyEnd int, field label) (*Program, hcl.Diagnostics) {
	fail := func(err error) hcl.Diagnostics {
		var diags hcl.Diagnostics
		for _, d := range exprDiagnostics(err, src, bodyStart, field.String(), c.msgEnv) {
			// An error inside text spliced in by ${template.x} is reported at the
			// template itself, once.
			if off, ok := d.Extra.(exprOffset); ok && src.fromTemplate(int(off)) != "" {
				continue
			}
			diags = append(diags, d)
		}
		return diags
	}
	tree, err := parser.ParseWithConfig(code, c.msg)
	if err != nil {
		return nil, fail(err)
	}
	v := c.walk(&tree.Node)
	windows, werr := c.windowsOf(v.calls)
	if werr != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid time window",
			Detail: fmt.Sprintf("In %s: %v.", field.String(), werr), Subject: src.rangeOf(bodyStart, bodyEnd).Ptr()}}
	}
	refs, _, fields := v.results()
	p := &Program{Source: code, Range: src.rangeOf(bodyStart, bodyEnd), Windows: windows}
	if err := c.bytecode(p, tree, checking(code, c.msg, c.msgPlain)); err != nil {
		return nil, fail(err)
	}
	p.Refs, p.fields = withWindows(refs, fields, windows)
	return p, nil
}

// exprOffset is attached to expr diagnostics: the byte offset in the evaluated string.
type exprOffset int

var noFieldRE = regexp.MustCompile(`^type (.+) has no field (\S+)`)
var unknownNameRE = regexp.MustCompile(`^unknown name (\S+)`)

// exprDiagnostics turns an expr compile error for the code at src.Value[base:] into a
// diagnostic whose subject is the offending token in the HCL source.
func exprDiagnostics(err error, src *sourceString, base int, field string, env map[string]any) hcl.Diagnostics {
	var fe *file.Error
	msg := err.Error()
	off := base
	if errors.As(err, &fe) {
		msg = fe.Message
		off = base + runeOffset(src.Value[base:], fe.From)
	}
	end := tokenEnd(src.Value, off)
	if strings.HasPrefix(msg, "expected bool") {
		// The whole condition gives the wrong type, not its first token.
		code := src.Value[base:]
		off = base + len(code) - len(strings.TrimLeft(code, " \t\n"))
		end = base + len(strings.TrimRight(code, " \t\n"))
	}
	summary, detail := explainExprError(msg, env, identBefore(src.Value, off))
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf("In %s: %s", field, detail),
		Subject:  src.rangeOf(off, end).Ptr(),
		Extra:    exprOffset(off),
	}}
}

// explainExprError gives an expr message a summary and, for unknown names and fields, the
// list of what exists. owner is the identifier written before the offending ".field", if any.
func explainExprError(msg string, env map[string]any, owner string) (summary, detail string) {
	if m := unknownNameRE.FindStringSubmatch(msg); m != nil {
		names := make([]string, 0, len(env))
		for k := range env {
			if k != probes.WindowsField {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		return "Unknown probe", fmt.Sprintf("unknown name %q. Probes and names available here: %s.", m[1], strings.Join(names, ", "))
	}
	if m := noFieldRE.FindStringSubmatch(msg); m != nil {
		typ, field := m[1], m[2]
		if strings.HasPrefix(typ, "struct {") {
			// A named-probe namespace: the "field" is a probe name.
			kind := kindOfNamespace(typ, env, owner)
			if kind == "" {
				return "Unknown probe", fmt.Sprintf("no probe named %q is declared.", field)
			}
			declared := fieldNames(env[kind])
			if len(declared) == 0 {
				return "Unknown probe", fmt.Sprintf("no %s probe named %q is declared; declare it with probe %q %q { ... }.", kind, field, kind, field)
			}
			return "Unknown probe", fmt.Sprintf("no %s probe named %q is declared; declared %s probes: %s.", kind, field, kind, strings.Join(declared, ", "))
		}
		if fields := fieldsOfType(typ, env); len(fields) > 0 {
			return "Unknown probe field", fmt.Sprintf("%s has no field %q; its fields are: %s.", displayType(typ), field, strings.Join(fields, ", "))
		}
		return "Unknown field", msg + "."
	}
	if strings.HasPrefix(msg, "expected bool") {
		return "Condition is not true or false", msg + "; a condition must compare something, such as \"cpu.avg3 > 50\"."
	}
	if strings.HasPrefix(msg, "unexpected token") || strings.HasPrefix(msg, "unexpected") || strings.Contains(msg, "expected") {
		return "Expression syntax error", msg + "."
	}
	return "Invalid expression", msg + "."
}

func displayType(typ string) string {
	if i := strings.Index(typ, "."); i > 0 && strings.HasSuffix(typ, ".Values") {
		return typ[:i]
	}
	return typ
}

// fieldsOfType finds, among the environment's types (one level of nesting), the type expr
// named and lists its expr field names.
func fieldsOfType(typ string, env map[string]any) []string {
	var found []string
	var visit func(t reflect.Type, depth int)
	visit = func(t reflect.Type, depth int) {
		if found != nil || depth > 3 {
			return
		}
		for t.Kind() == reflect.Map || t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		if t.String() == typ {
			found = structFieldNames(t)
			return
		}
		for i := 0; i < t.NumField(); i++ {
			visit(t.Field(i).Type, depth+1)
		}
	}
	for _, v := range env {
		if v != nil {
			visit(reflect.TypeOf(v), 0)
		}
	}
	return found
}

// kindOfNamespace finds which named-probe namespace (process, http …) has type typ. Several
// can share one type (with no probes declared, all are struct {}), so the identifier the
// user wrote before the probe name decides first.
func kindOfNamespace(typ string, env map[string]any, owner string) string {
	if v := env[owner]; v != nil && reflect.TypeOf(v).String() == typ {
		return owner
	}
	var kinds []string
	for k, v := range env {
		if v != nil && reflect.TypeOf(v).String() == typ {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 1 {
		return kinds[0]
	}
	return ""
}

// identBefore returns the identifier written just before ".<field>" (or "?.<field>") when
// s[off:] starts with that field: "http" for http.nope.
func identBefore(s string, off int) string {
	i := off
	if i <= 0 || i > len(s) || s[i-1] != '.' {
		return ""
	}
	i--
	if i > 0 && s[i-1] == '?' {
		i--
	}
	j := i
	for j > 0 {
		c := s[j-1]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			j--
			continue
		}
		break
	}
	return s[j:i]
}

func fieldNames(v any) []string {
	if v == nil {
		return nil
	}
	return structFieldNames(reflect.TypeOf(v))
}

func structFieldNames(t reflect.Type) []string {
	if t.Kind() != reflect.Struct {
		return nil
	}
	names := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		if n := t.Field(i).Tag.Get("expr"); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// runeOffset converts expr's character index into a byte offset of s.
func runeOffset(s string, runes int) int {
	n := 0
	for i := range s {
		if n == runes {
			return i
		}
		n++
	}
	return len(s)
}

// tokenEnd returns the end of the identifier-like token starting at off (at least one
// character).
func tokenEnd(s string, off int) int {
	end := off
	for end < len(s) {
		c := s[end]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80 {
			end++
			continue
		}
		break
	}
	if end == off && off < len(s) {
		end = off + 1
	}
	return end
}

// collectRefs parses code and walks its tree with collectRefsIn.
func collectRefs(code string) (refs []probes.Ref, paths, fields []string) {
	tree, err := parser.Parse(code)
	if err != nil {
		return nil, nil, nil
	}
	return collectRefsIn(tree.Node)
}

// collectRefsIn walks a parsed tree (not the optimised program, whose constants may be
// folded away) and returns the probes the expression reads; the field paths it reads
// (cpu.avg3, process.httpd.count) in order of appearance, for showing their values; and the
// fields it reads as a whole, sorted, for probes that can skip what nobody reads: every
// member chain that is not part of a longer one (net.ports.8080.close_wait;
// net.ports when the key is computed, as in net.ports[p] or values(net.ports); net for a
// bare net).
func collectRefsIn(root ast.Node) (refs []probes.Ref, paths, fields []string) {
	v := &refVisitor{}
	ast.Walk(&root, v)
	return v.results()
}

// walk walks the tree at root with the compiler's visitor, emptied first, and returns it.
// What it returns is good until the next walk.
func (c *compiler) walk(root *ast.Node) *refVisitor {
	v := &c.walker
	v.reset()
	ast.Walk(root, v)
	return v
}

// results is what collectRefsIn returns for the tree v walked. The slices are new: v's
// own are reused by the next walk.
func (v *refVisitor) results() (refs []probes.Ref, paths, fields []string) {
	for _, id := range v.idents {
		if !v.consumed.has(id) {
			v.seen.insert(probes.Ref{Kind: id.Value})
		}
	}
	refs = []probes.Ref{}
	if len(v.seen.items) > 0 {
		refs = slices.Clone(v.seen.items)
	}
	probes.SortRefs(refs)
	// Keep the longest chains: cpu.avg3, not cpu (also where cpu stands alone). The walk
	// found them in the order reads (explain) lists them.
	// fields and paths share one array: fields first (a Program keeps them), then paths
	// (compileCondition reads them once).
	var buf []string
	if n := 2*len(v.chains) + len(v.idents); n > 0 {
		buf = make([]string, 0, n)
	}
	nf := len(v.chains) + len(v.idents)
	for _, c := range v.chains {
		covered := false
		for _, o := range v.chains {
			if len(o.path) > len(c.path) && o.path[len(c.path)] == '.' && strings.HasPrefix(o.path, c.path) {
				covered = true
				break
			}
		}
		if !covered && !contains(paths, c.path) {
			if paths == nil {
				paths = buf[nf:nf:cap(buf)]
			}
			paths = append(paths, c.path)
		}
	}
	for _, c := range v.chains {
		if !v.extended.has(c.node) && !contains(fields, c.path) {
			if fields == nil {
				fields = buf[:0:nf]
			}
			fields = append(fields, c.path)
		}
	}
	for _, id := range v.idents {
		if !v.extended.has(id) && !contains(fields, id.Value) {
			if fields == nil {
				fields = buf[:0:nf]
			}
			fields = append(fields, id.Value)
		}
	}
	sort.Strings(fields)
	return refs, paths, fields
}

// chainOf returns the identifier a member access made only of an identifier and fixed
// property names starts with (a of a.b.c), and the length of its path; nil for any other
// node.
func chainOf(n ast.Node) (root *ast.IdentifierNode, size int) {
	for {
		switch m := n.(type) {
		case *ast.IdentifierNode:
			return m, size + len(m.Value)
		case *ast.MemberNode:
			prop, ok := m.Property.(*ast.StringNode)
			if !ok || m.Method {
				return nil, 0
			}
			size += 1 + len(prop.Value)
			n = m.Node
		default:
			return nil, 0
		}
	}
}

// memberChain renders the path a.b.c of n, a chain of size bytes as chainOf found it, in
// one allocation.
func memberChain(n ast.Node, size int) string {
	if id, ok := n.(*ast.IdentifierNode); ok {
		return id.Value
	}
	var b strings.Builder
	b.Grow(size)
	writeChain(&b, n)
	return b.String()
}

func writeChain(b *strings.Builder, n ast.Node) {
	if m, ok := n.(*ast.MemberNode); ok {
		writeChain(b, m.Node)
		b.WriteByte('.')
		b.WriteString(m.Property.(*ast.StringNode).Value)
		return
	}
	b.WriteString(n.(*ast.IdentifierNode).Value)
}

// refVisitor collects probe references. `process.httpd` reads one named probe; a bare
// `process` (as in values(process)) reads all of that kind. ast.Walk visits children before
// their parent, so bare identifiers and whole fields are settled after the walk.
type refVisitor struct {
	seen     smallSet[probes.Ref]
	chains   []chain
	idents   []*ast.IdentifierNode
	consumed smallSet[*ast.IdentifierNode]
	extended smallSet[ast.Node] // nodes that a member access with a fixed name extends
	calls    []*ast.CallNode    // calls of window functions (avg_over …), for windowsOf
}

// reset empties v for another walk, keeping its slices' arrays (and dropping what they
// point to).
func (v *refVisitor) reset() {
	v.seen.reset()
	v.consumed.reset()
	v.extended.reset()
	clear(v.chains)
	v.chains = v.chains[:0]
	clear(v.idents)
	v.idents = v.idents[:0]
	clear(v.calls)
	v.calls = v.calls[:0]
}

// chain is a member access made of fixed names: its path (net.ports.8080) and its node.
type chain struct {
	path string
	node ast.Node
}

func (v *refVisitor) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.MemberNode:
		if root, size := chainOf(n); root != nil {
			if _, known := probes.LookupKind(root.Value); known {
				v.chains = append(v.chains, chain{path: memberChain(n, size), node: n})
				v.extended.insert(n.Node)
			}
		}
		id, ok := n.Node.(*ast.IdentifierNode)
		if !ok {
			return
		}
		kind, known := probes.LookupKind(id.Value)
		if prop, isStr := n.Property.(*ast.StringNode); known && kind.Named && isStr {
			v.seen.insert(probes.Ref{Kind: kind.Name, Name: prop.Value})
			v.consumed.insert(id)
		}
	case *ast.IdentifierNode:
		if _, known := probes.LookupKind(n.Value); known {
			v.idents = append(v.idents, n)
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && contains(WindowFuncs, id.Value) {
			v.calls = append(v.calls, n)
		}
	}
}

// refSet collects probe refs, each once, and lists them sorted at the end. A configuration
// keeps one set for all its rules, and a rule or message one for its parts: merging sorted
// lists part by part rebuilt and re-sorted the whole list every time, which made loading
// quadratic in the number of rules.
type refSet struct{ smallSet[probes.Ref] }

func (s *refSet) add(refs ...probes.Ref) {
	if s.items == nil && len(refs) > 0 {
		// A rule or a message reads a handful of probes: room for them in one allocation.
		s.items = make([]probes.Ref, 0, max(len(refs), 8))
	}
	for _, r := range refs {
		s.insert(r)
	}
}

// sorted lists the refs in registry order, then by name; never nil. It sorts the set's
// own slice, without a copy, and clips it: an insert after it then appends to a new array,
// leaving the list returned as it is.
func (s *refSet) sorted() []probes.Ref {
	if s.items == nil {
		return []probes.Ref{}
	}
	probes.SortRefs(s.items)
	s.items = slices.Clip(s.items)
	return s.items
}

// smallSetMax is the size up to which a smallSet is only a slice.
const smallSetMax = 8

// smallSet is a set that keeps its items in insertion order, and is only a slice while
// it holds at most smallSetMax items, with a map to find them beyond. An expression reads
// one to three probes, a rule a handful: a map for each (three per expression, two per
// message, one per rule) cost more to make than to use. The configuration's set of every
// probe read grows past the slice and stays linear.
type smallSet[T comparable] struct {
	items []T
	index map[T]struct{} // nil while len(items) <= smallSetMax
}

// insert adds v and reports whether it was new.
func (s *smallSet[T]) insert(v T) bool {
	if s.has(v) {
		return false
	}
	if s.items == nil {
		s.items = make([]T, 0, 4) // room for most, in one allocation
	}
	s.items = append(s.items, v)
	switch {
	case s.index != nil:
		s.index[v] = struct{}{}
	case len(s.items) > smallSetMax:
		s.index = make(map[T]struct{}, 2*len(s.items))
		for _, x := range s.items {
			s.index[x] = struct{}{}
		}
	}
	return true
}

// reset empties s, keeping its slice's array.
func (s *smallSet[T]) reset() {
	clear(s.items)
	s.items = s.items[:0]
	s.index = nil
}

func (s *smallSet[T]) has(v T) bool {
	if s.index != nil {
		_, ok := s.index[v]
		return ok
	}
	return slices.Contains(s.items, v)
}
