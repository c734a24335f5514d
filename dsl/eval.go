package dsl

import (
	"bytes"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/notimon/notimon/spec"
)

// evaluator holds what HCL expressions can read at load time: local.*, template.*, env()
// and file(). locals, and templates and broken once templates is set, must not change
// after the first call of ctx or prepare that reads them: what is built from them is kept.
type evaluator struct {
	loader    *loader
	locals    map[string]cty.Value
	templates []*Template
	broken    []string // templates whose text has an error: unknown to their users

	// mu guards what ctx builds: blocks are decoded several at once (rules.go), and a
	// context is built only when an expression needs one.
	mu   sync.Mutex
	ctxs map[string]*hcl.EvalContext // by file
	// localObj is local as one object, built once: building it for each template was
	// quadratic (1,100 templates × 22,000 locals took 12 s). templateObj is template as
	// one object, built once templates are known.
	localObj, templateObj cty.Value
	// direct holds the values those objects are built from, for evalSourceString's fast
	// path, which answers most of what rules and templates read without a context. It is
	// set by prepare before blocks are decoded at once (decoding workers read it), or by
	// the first ctx.
	direct                      directVars
	localDirect, templateDirect bool // direct.local, direct.template are set
	templateVals                map[string]cty.Value
}

// prepare sets direct from what is known: the locals, and the templates once they are.
func (e *evaluator) prepare() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.prepareLocked()
}

func (e *evaluator) prepareLocked() {
	if !e.localDirect {
		e.direct.local, e.localDirect = asciiNamed(e.locals), true
	}
	if e.templates != nil && !e.templateDirect {
		t := make(map[string]cty.Value, len(e.templates)+len(e.broken))
		for _, tpl := range e.templates {
			t[tpl.Name] = cty.StringVal(tpl.Text)
		}
		for _, name := range e.broken {
			if _, ok := t[name]; !ok {
				t[name] = cty.UnknownVal(cty.String)
			}
		}
		e.templateVals = t
		e.direct.template, e.templateDirect = asciiNamed(t), true
	}
}

// ctx returns the evaluation context for expressions in file (file() resolves relative
// paths against that file's directory).
func (e *evaluator) ctx(file string) *hcl.EvalContext {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.ctxs[file]; ok {
		return c
	}
	e.prepareLocked()
	if e.localObj == cty.NilVal {
		e.localObj = cty.EmptyObjectVal
		if len(e.locals) > 0 {
			e.localObj = cty.ObjectVal(e.locals)
		}
	}
	vars := map[string]cty.Value{"local": e.localObj}
	if e.templates != nil {
		if e.templateObj == cty.NilVal {
			e.templateObj = cty.ObjectVal(e.templateVals)
		}
		vars["template"] = e.templateObj
	}
	c := &hcl.EvalContext{Variables: vars, Functions: e.loader.functions(file)}
	if e.templates != nil { // templates are known: the context can be kept
		if e.ctxs == nil {
			e.ctxs = map[string]*hcl.EvalContext{}
		}
		e.ctxs[file] = c
	}
	return c
}

// functions are the HCL functions: env("NAME"), env("NAME", "default") and file("path").
// They are built once per file: each of 22,000 locals has a context of its own.
func (l *loader) functions(file string) map[string]function.Function {
	if fns, ok := l.funcs[file]; ok {
		return fns
	}
	fns := l.newFunctions(file)
	if l.funcs == nil {
		l.funcs = map[string]map[string]function.Function{}
	}
	l.funcs[file] = fns
	return fns
}

func (l *loader) newFunctions(file string) map[string]function.Function {
	dir := filepath.Dir(file)
	return map[string]function.Function{
		// env("NAME") is "" when NAME is unset or empty, and validate warns; env("NAME",
		// "default") is the default then, without a warning, as the shell's ${NAME:-default}.
		"env": function.New(&function.Spec{
			Description: "The value of an environment variable; when it is unset or empty, the default if one is given, else \"\".",
			Params:      []function.Parameter{{Name: "name", Type: cty.String}},
			VarParam:    &function.Parameter{Name: "default", Type: cty.String},
			Type:        function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				if len(args) > 2 {
					return cty.NilVal, function.NewArgErrorf(2, `env takes a variable name and at most one default, as in env("NAME", "default"); this call has %d arguments`, len(args))
				}
				name := args[0].AsString()
				v, ok := l.opts.LookupEnv(name)
				l.envRead = append(l.envRead, name)
				l.envSeen[name] = v
				if ok && v != "" {
					return cty.StringVal(v), nil
				}
				if len(args) == 2 {
					return args[1], nil
				}
				l.unset = append(l.unset, name)
				return cty.StringVal(""), nil
			},
		}),
		"file": function.New(&function.Spec{
			Description: "The contents of a file; a relative path is read from the directory of the .hcl file.",
			Params:      []function.Parameter{{Name: "path", Type: cty.String}},
			Type:        function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				p := args[0].AsString()
				if !filepath.IsAbs(p) {
					p = filepath.Join(dir, p)
				}
				b, err := readConfigFile(p)
				if err != nil {
					return cty.NilVal, fmt.Errorf("cannot read %s: %w", p, unwrapPathError(err))
				}
				return cty.StringVal(string(b)), nil
			},
		}),
	}
}

// maxFileSize bounds what file() reads: a token, a chat id or a message template.
const maxFileSize = 1 << 20

// readConfigFile reads a regular file of at most maxFileSize bytes. file("/dev/zero") or
// file("/dev/stdin") would otherwise hang `notimon validate` or exhaust memory.
func readConfigFile(p string) ([]byte, error) {
	// Stat before opening: opening a named pipe blocks until someone writes to it.
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("larger than %d KiB; file() is for tokens and message text", maxFileSize>>10)
	}
	return b, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// unsetEnvWarnings reports the env() reads since the last call that found nothing.
func (l *loader) unsetEnvWarnings(subject hcl.Range, what string) hcl.Diagnostics {
	if len(l.unset) == 0 {
		return nil // and no write: rules are decoded several at once (rules.go)
	}
	var diags hcl.Diagnostics
	for _, name := range l.unset {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Environment variable not set",
			Detail:   fmt.Sprintf("%s reads env(%q), which is not set (or empty) here, so it is \"\". Set %s in the environment notimon runs in, or it will fail when used.", what, name, name),
			Subject:  subject.Ptr(),
		})
	}
	l.unset = l.unset[:0]
	return diags
}

// literalValue returns the value of an expression that is a literal: a number, a bool,
// null, or a string without interpolation; what evaluating it in any context gives.
func literalValue(e hclsyntax.Expression) (cty.Value, bool) {
	switch e := e.(type) {
	case *hclsyntax.LiteralValueExpr:
		return e.Val, true
	case *hclsyntax.TemplateExpr:
		if len(e.Parts) != 1 {
			break
		}
		if lit, ok := e.Parts[0].(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String && lit.Val.IsKnown() && !lit.Val.IsNull() {
			return lit.Val, true
		}
	}
	return cty.NilVal, false
}

// decodeLocals evaluates every locals attribute of every file. Locals may use each other in
// any order; a cycle or an unknown reference is reported.
func (l *loader) decodeLocals() (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	n := 0
	for _, b := range l.blocks["locals"] {
		n += len(b.Body.Attributes)
	}
	// Most locals are literals (a number or a plain string): their value is known as they
	// are defined. The others are pending until evaluated, in source order in order.
	values := make(map[string]cty.Value, n)
	pending := map[string]*hclsyntax.Attribute{}
	var order []string
	for _, b := range l.blocks["locals"] {
		if len(b.Body.Blocks) > 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unexpected block in locals",
				Detail:   "A locals block holds only attributes, such as cpu_limit = 50.",
				Subject:  b.Body.Blocks[0].DefRange().Ptr(),
			})
		}
		for _, a := range sortedAttrs(b.Body) {
			if d := l.define("local", a.Name, a.NameRange); d != nil {
				diags = append(diags, d...)
				continue
			}
			if v, ok := literalValue(a.Expr); ok {
				values[a.Name] = v
				continue
			}
			pending[a.Name] = a
			order = append(order, a.Name)
		}
	}
	// Each local is evaluated once, after the locals it reads (depth first, from the first
	// in source order), in a context that holds only those: a context of every local for
	// each one, and a pass over all that were left for each one evaluated, made loading
	// quadratic (16,000 locals defined from the next one took 16 s).
	localDiags := make(map[string]hcl.Diagnostics)
	const (
		visiting = iota + 1
		done
		stuck // in a cycle or reads one: left in pending
	)
	state := make(map[string]int, len(order))
	unknown := 0 // references to undeclared locals explained so far
	var visit func(name string) bool
	visit = func(name string) bool {
		switch state[name] {
		case visiting, stuck:
			return false
		case done:
			return true
		}
		a := pending[name]
		state[name] = visiting
		refs := localRefs(a.Expr)
		ok := true
		for _, r := range refs {
			if _, p := pending[r]; p && !visit(r) {
				ok = false
			}
		}
		if !ok {
			state[name] = stuck
			return false
		}
		delete(pending, name)
		state[name] = done
		locals := make(map[string]cty.Value, len(refs))
		for _, r := range refs {
			if v, known := values[r]; known {
				locals[r] = v
			}
		}
		ev := &evaluator{loader: l, locals: locals}
		v, d := a.Expr.Value(ev.ctx(a.SrcRange.Filename))
		explainUnknownLocals(d, l.kind("local").names, values, &unknown)
		explainTraversals(d)
		d = append(d, l.unsetEnvWarnings(a.Expr.Range(), "local."+name)...)
		localDiags[name] = d
		if !d.HasErrors() {
			values[name] = v
		} else {
			values[name] = cty.DynamicVal
		}
		return true
	}
	for _, name := range order {
		visit(name)
	}
	for _, name := range order { // in source order, whatever order they were evaluated in
		diags = append(diags, localDiags[name]...)
	}
	// What is left is in a cycle or depends on one. Only the members of a cycle are errors;
	// every one is left unknown, so that its uses are not reported again.
	for _, name := range order {
		a, ok := pending[name]
		if !ok {
			continue
		}
		values[name] = cty.DynamicVal
		if path := localCycle(name, pending); path != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Locals refer to each other in a cycle",
				Detail:   fmt.Sprintf("local.%s depends on itself: %s.", name, strings.Join(path, " → ")),
				Subject:  a.Expr.Range().Ptr(),
			})
		}
	}
	return values, diags
}

// localRefs lists the locals expr reads (local.NAME), each once, in source order.
func localRefs(expr hcl.Expression) []string {
	var refs []string
	for _, t := range expr.Variables() {
		if t.RootName() != "local" || len(t) < 2 {
			continue
		}
		if a, ok := t[1].(hcl.TraverseAttr); ok && !slices.Contains(refs, a.Name) {
			refs = append(refs, a.Name)
		}
	}
	return refs
}

// maxListed bounds the declared names an "Unknown local" or "Unknown template" lists.
const maxListed = 30

// maxExplained bounds how many references to undeclared locals get a "did you mean" and
// the list of declared ones: each costs a pass over every local, and diagnostics print the
// first 50 anyway.
const maxExplained = 50

// explainUnknownLocals rewrites HCL's "Unsupported attribute" for local.NAME, where NAME is
// declared nowhere, into "Unknown local" with the closest declared name and, when there
// are few, all of them. A local is evaluated with only the locals it reads, so HCL's own
// message would list only those.
func explainUnknownLocals(diags hcl.Diagnostics, declared []string, values map[string]cty.Value, explained *int) {
	for _, d := range diags {
		st, ok := d.Expression.(*hclsyntax.ScopeTraversalExpr)
		if !ok || d.Summary != "Unsupported attribute" || len(st.Traversal) < 2 || st.Traversal.RootName() != "local" {
			continue
		}
		attr, ok := st.Traversal[1].(hcl.TraverseAttr)
		if _, evaluated := values[attr.Name]; !ok || evaluated {
			continue // a declared local is evaluated before the locals that read it
		}
		d.Summary = "Unknown local"
		d.Detail = fmt.Sprintf("There is no local named %q.", attr.Name)
		if *explained >= maxExplained {
			continue
		}
		*explained++
		names := slices.Sorted(slices.Values(declared))
		d.Detail += suggest(attr.Name, names)
		switch {
		case len(names) == 0:
			d.Detail += " No local is declared."
		case len(names) <= maxListed:
			d.Detail += fmt.Sprintf(" Declared locals: %s.", strings.Join(names, ", "))
		default:
			d.Detail += fmt.Sprintf(" %d locals are declared.", len(names))
		}
	}
}

// pendingDeps lists the pending locals expr reads, in source order.
func pendingDeps(expr hcl.Expression, pending map[string]*hclsyntax.Attribute) []string {
	var deps []string
	for _, t := range expr.Variables() {
		if t.RootName() != "local" || len(t) < 2 {
			continue
		}
		if a, ok := t[1].(hcl.TraverseAttr); ok {
			if _, p := pending[a.Name]; p {
				deps = append(deps, a.Name)
			}
		}
	}
	return deps
}

// localCycle returns the shortest path local.name → … → local.name through pending locals,
// or nil when name only depends on a cycle without being part of one.
func localCycle(name string, pending map[string]*hclsyntax.Attribute) []string {
	prev := map[string]string{}
	queue := []string{name}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range pendingDeps(pending[n].Expr, pending) {
			if d == name {
				var back []string
				for at := n; at != name; at = prev[at] {
					back = append(back, "local."+at)
				}
				slices.Reverse(back)
				path := append([]string{"local." + name}, back...)
				return append(path, "local."+name)
			}
			if _, seen := prev[d]; !seen {
				prev[d] = n
				queue = append(queue, d)
			}
		}
	}
	return nil
}

// sortedAttrs returns a body's attributes in source order (hclsyntax keeps them in a map).
func sortedAttrs(body *hclsyntax.Body) []*hclsyntax.Attribute {
	// Sorted by offsets read once: comparing through the pointers read two attributes,
	// scattered in memory, for each of the 300,000 comparisons 22,000 locals take.
	type attrAt struct {
		at   int
		attr *hclsyntax.Attribute
	}
	byOffset := make([]attrAt, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		byOffset = append(byOffset, attrAt{a.SrcRange.Start.Byte, a})
	}
	slices.SortFunc(byOffset, func(a, b attrAt) int { return a.at - b.at })
	attrs := make([]*hclsyntax.Attribute, len(byOffset))
	for i, a := range byOffset {
		attrs[i] = a.attr
	}
	return attrs
}

// value evaluates an attribute and reports unset env() reads.
func (e *evaluator) value(attr *hcl.Attribute, what string) (cty.Value, hcl.Diagnostics) {
	return e.valueOf(attr, text(what))
}

// valueOf is value with what as a label.
func (e *evaluator) valueOf(attr *hcl.Attribute, what label) (cty.Value, hcl.Diagnostics) {
	if x, ok := attr.Expr.(hclsyntax.Expression); ok {
		if v, ok := literalValue(x); ok { // severity = "critical", for = "2m": nothing to evaluate
			return v, e.unsetEnvWarnings(attr, what)
		}
	}
	v, diags := attr.Expr.Value(e.ctx(attr.Range.Filename))
	explainTraversals(diags)
	diags = append(diags, e.unsetEnvWarnings(attr, what)...)
	if !diags.HasErrors() && !v.IsWhollyKnown() {
		diags = append(diags, consequenceOf(attr.Expr.Range()))
	}
	return v, diags
}

// explainTraversals rewords HCL's "This object does not have an attribute named "x"" for
// local.x and template.x: it says neither which kind of name is missing nor which exist.
func explainTraversals(diags hcl.Diagnostics) {
	for _, d := range diags {
		st, ok := d.Expression.(*hclsyntax.ScopeTraversalExpr)
		if !ok || d.Summary != "Unsupported attribute" || d.EvalContext == nil || len(st.Traversal) < 2 {
			continue
		}
		root := st.Traversal.RootName()
		attr, ok := st.Traversal[1].(hcl.TraverseAttr)
		obj, known := d.EvalContext.Variables[root]
		if !ok || !known || (root != "local" && root != "template") || !obj.Type().IsObjectType() || obj.Type().HasAttribute(attr.Name) {
			continue
		}
		names := keys(obj.Type().AttributeTypes())
		d.Summary = "Unknown " + root
		d.Detail = fmt.Sprintf("There is no %s named %q.%s", root, attr.Name, suggest(attr.Name, names))
		switch {
		case len(names) == 0:
			d.Detail += fmt.Sprintf(" No %s is declared.", root)
		case len(names) <= maxListed:
			d.Detail += fmt.Sprintf(" Declared %ss: %s.", root, strings.Join(names, ", "))
		default:
			d.Detail += fmt.Sprintf(" %d %ss are declared.", len(names), root)
		}
	}
}

// consequence marks an error that only follows from one reported elsewhere: a value left
// unknown because a local or template it uses failed. It stops decoding like any error, but
// Load leaves it out, so that one mistake is reported once and not again at every use.
type consequence struct{}

func consequenceOf(subject hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Value depends on an error",
		Detail:   "This value uses a local or template that has an error, reported above.",
		Subject:  subject.Ptr(),
		Extra:    consequence{},
	}
}

// dropConsequences removes the consequence diagnostics, unless nothing else would say that
// the configuration has errors.
func dropConsequences(diags hcl.Diagnostics) hcl.Diagnostics {
	out := make(hcl.Diagnostics, 0, len(diags))
	errs := 0
	for _, d := range diags {
		if _, ok := d.Extra.(consequence); ok {
			continue
		}
		if d.Severity == hcl.DiagError {
			errs++
		}
		out = append(out, d)
	}
	if errs == 0 && diags.HasErrors() {
		return diags
	}
	return out
}

// unsetEnvWarnings is the loader's for attr's expression, with its range and what found
// only when there is a warning.
func (e *evaluator) unsetEnvWarnings(attr *hcl.Attribute, what label) hcl.Diagnostics {
	if len(e.loader.unset) == 0 {
		return nil
	}
	return e.loader.unsetEnvWarnings(attr.Expr.Range(), what.String())
}

// sourceString evaluates a string attribute keeping the map back to its source.
func (e *evaluator) sourceString(attr *hcl.Attribute, what string) (*sourceString, hcl.Diagnostics) {
	return e.sourceStringOf(attr, text(what))
}

// sourceStringOf is sourceString with what as a label.
func (e *evaluator) sourceStringOf(attr *hcl.Attribute, what label) (*sourceString, hcl.Diagnostics) {
	f := e.loader.files[attr.Range.Filename]
	var src []byte
	if f != nil {
		src = f.Bytes
	}
	ctx := func() *hcl.EvalContext { return e.ctx(attr.Range.Filename) }
	direct := &e.direct
	if !directTraversals {
		direct = nil
	}
	s, diags := evalSourceString(attr.Expr, ctx, direct, src, e.loader.lineIndex(attr.Range.Filename))
	diags = append(diags, e.unsetEnvWarnings(attr, what)...)
	return s, diags
}

func attrError(attr *hcl.Attribute, summary, detail string) hcl.Diagnostics {
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  attr.Expr.Range().Ptr(),
	}}
}

// decodeString evaluates attr as a string.
func (e *evaluator) decodeString(attr *hcl.Attribute, what string) (string, hcl.Diagnostics) {
	return e.decodeStringOf(attr, text(what))
}

// decodeStringOf is decodeString with what as a label.
func (e *evaluator) decodeStringOf(attr *hcl.Attribute, what label) (string, hcl.Diagnostics) {
	if f := e.loader.files[attr.Range.Filename]; f != nil {
		if s, ok := plainString(f.Bytes, attr); ok { // severity = "critical", for = "2m"
			return s, e.unsetEnvWarnings(attr, what)
		}
	}
	v, diags := e.valueOf(attr, what)
	if diags.HasErrors() {
		return "", diags
	}
	s, ok := stringOf(v)
	if !ok {
		return "", append(diags, attrError(attr, "Incorrect value type", fmt.Sprintf("%s must be a string; this is %s.", what.String(), friendly(v)))...)
	}
	return s, diags
}

// decodeDuration evaluates attr as a duration string such as "90s".
func (e *evaluator) decodeDuration(attr *hcl.Attribute, what string) (time.Duration, hcl.Diagnostics) {
	return e.decodeDurationOf(attr, text(what))
}

// decodeDurationOf is decodeDuration with what as a label.
func (e *evaluator) decodeDurationOf(attr *hcl.Attribute, what label) (time.Duration, hcl.Diagnostics) {
	s, diags := e.decodeStringOf(attr, what)
	if diags.HasErrors() {
		return 0, diags
	}
	d, err := ParseDuration(s)
	if err != nil {
		return 0, append(diags, attrError(attr, "Invalid duration", fmt.Sprintf("%s: %v.", what.String(), err))...)
	}
	return d, diags
}

// plainString returns the value of attr when its source, in src, is a quoted string of
// printable ASCII without an escape, an interpolation or a directive (no \, $ or %):
// what HCL gives for it is that text. Reading the text the parser read, where the rule
// being decoded is, instead of the expression it made, which lies elsewhere in memory,
// took reading for = "2m" and severity = "critical" in 11,000 rules from 10.5 to 6.5 ms.
// Anything else, including a string of another shape, is left to HCL.
func plainString(src []byte, attr *hcl.Attribute) (string, bool) {
	from, to := attr.NameRange.End.Byte, attr.Range.End.Byte
	if from < 0 || to > len(src) || from >= to {
		return "", false
	}
	text := bytes.TrimLeft(src[from:to], " \t")
	if len(text) == 0 || text[0] != '=' {
		return "", false
	}
	text = bytes.TrimLeft(text[1:], " \t")
	if len(text) < 3 || text[0] != '"' || text[len(text)-1] != '"' {
		return "", false
	}
	text = text[1 : len(text)-1]
	for _, c := range text {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '$' || c == '%' {
			return "", false
		}
	}
	return string(text), true
}

func friendly(v cty.Value) string {
	if v.IsNull() {
		return "null"
	}
	return v.Type().FriendlyName()
}

// decodeAttr evaluates and checks one attribute of a notifier or probe block by its declaration in the kind's descriptor.
func (e *evaluator) decodeAttr(attr *hcl.Attribute, as spec.Attr, what string) (any, hcl.Diagnostics) {
	what = fmt.Sprintf("%s %s", what, as.Name)
	switch as.Type {
	case spec.TypeDuration:
		return e.decodeDuration(attr, what)
	case spec.TypeString, spec.TypeURL, spec.TypeRegexp, spec.TypeTemplate:
		s, diags := e.decodeString(attr, what)
		if diags.HasErrors() {
			return nil, diags
		}
		if len(as.Allowed) > 0 && !contains(as.Allowed, s) {
			return nil, append(diags, attrError(attr, "Invalid value", fmt.Sprintf("%s must be one of %s; got %q.", what, quoteList(as.Allowed), s))...)
		}
		switch as.Type {
		case spec.TypeURL:
			if err := checkURL(s); err != nil {
				return nil, append(diags, attrError(attr, "Invalid URL", fmt.Sprintf("%s: %v.", what, err))...)
			}
		case spec.TypeRegexp:
			if _, err := regexp.Compile(s); err != nil {
				return nil, append(diags, attrError(attr, "Invalid regular expression", fmt.Sprintf("%s: %v.", what, err))...)
			}
		}
		return s, diags
	}
	v, diags := e.value(attr, what)
	if diags.HasErrors() {
		return nil, diags
	}
	if v.IsNull() {
		return nil, append(diags, attrError(attr, "Missing value", fmt.Sprintf("%s is null; give it %s or leave it out.", what, as.Type))...)
	}
	bad := func() (any, hcl.Diagnostics) {
		return nil, append(diags, attrError(attr, "Incorrect value type", fmt.Sprintf("%s must be %s; this is %s.", what, as.Type, friendly(v)))...)
	}
	switch as.Type {
	case spec.TypeNumber:
		n, err := convert.Convert(v, cty.Number)
		if err != nil || !n.IsKnown() {
			return bad()
		}
		f, _ := n.AsBigFloat().Float64()
		if as.Min != nil && f < *as.Min {
			return nil, append(diags, attrError(attr, "Value too small", fmt.Sprintf("%s must be at least %v; got %v.", what, *as.Min, f))...)
		}
		return f, diags
	case spec.TypeBool:
		b, err := convert.Convert(v, cty.Bool)
		if err != nil || !b.IsKnown() {
			return bad()
		}
		return b.True(), diags
	case spec.TypeStringMap, spec.TypeHeaders:
		m, err := convert.Convert(v, cty.Map(cty.String))
		if err != nil || !m.IsWhollyKnown() {
			return bad()
		}
		out := map[string]string{}
		for k, val := range m.AsValueMap() {
			out[k] = val.AsString()
		}
		if as.Type == spec.TypeHeaders {
			if d := checkHeaders(attr, out, what); d.HasErrors() {
				return nil, append(diags, d...)
			}
		}
		return out, diags
	case spec.TypeArgv:
		return decodeArgv(attr, v, what, diags)
	case spec.TypeStringList, spec.TypeURLList:
		if !v.Type().IsListType() && !v.Type().IsTupleType() {
			detail := fmt.Sprintf("%s must be %s; this is %s.", what, as.Type, friendly(v))
			if v.Type() == cty.String {
				detail += fmt.Sprintf(" Write a list even for one value: [%q].", v.AsString())
			}
			return nil, append(diags, attrError(attr, "Incorrect value type", detail)...)
		}
		l, err := convert.Convert(v, cty.List(cty.String))
		if err != nil || !l.IsWhollyKnown() {
			return bad()
		}
		var out []string
		for i, e := range l.AsValueSlice() {
			if strings.TrimSpace(e.AsString()) == "" {
				return nil, append(diags, attrError(attr, "Empty value", fmt.Sprintf("%s: item %d is empty.", what, i+1))...)
			}
			out = append(out, e.AsString())
		}
		if len(out) == 0 {
			return nil, append(diags, attrError(attr, "Empty list", fmt.Sprintf("%s is an empty list; give at least one value or leave it out.", what))...)
		}
		if as.Type == spec.TypeURLList {
			if d := checkURLList(attr, out, what); d.HasErrors() {
				return nil, append(diags, d...)
			}
		}
		return out, diags
	case spec.TypeUserList:
		return decodeUsers(attr, v, what, diags)
	case spec.TypeChatID:
		if v.Type() == cty.Number {
			bf := v.AsBigFloat()
			if !bf.IsInt() {
				return bad()
			}
			i, _ := bf.Int(new(big.Int))
			return i.String(), diags
		}
		s, ok := stringOf(v)
		if !ok {
			return bad()
		}
		if _, err := strconv.ParseInt(s, 10, 64); err != nil && !strings.HasPrefix(s, "@") && s != "" {
			return nil, append(diags, attrError(attr, "Invalid chat id", fmt.Sprintf("%s must be a number (e.g. -1001234567890) or a channel name starting with @.", what))...)
		}
		return s, diags
	}
	return bad()
}

// usernameRE is a Telegram username as allowed_users writes it: "@", then 4 to 32 letters,
// digits or underscores, starting with a letter.
var usernameRE = regexp.MustCompile(`^@[A-Za-z][A-Za-z0-9_]{3,31}$`)

// decodeUsers decodes a list of Telegram users: positive user ids (numbers, or strings of
// digits) and "@username"s. A bad item is reported at the item.
func decodeUsers(attr *hcl.Attribute, v cty.Value, what string, diags hcl.Diagnostics) ([]string, hcl.Diagnostics) {
	if !v.Type().IsListType() && !v.Type().IsTupleType() {
		detail := fmt.Sprintf("%s must be %s; this is %s.", what, spec.TypeUserList, friendly(v))
		if s, ok := stringOf(v); ok {
			detail += fmt.Sprintf(" Write a list even for one user: [%q].", s)
		}
		return nil, append(diags, attrError(attr, "Incorrect value type", detail)...)
	}
	items := v.AsValueSlice()
	if len(items) == 0 {
		return nil, append(diags, attrError(attr, "Empty list", fmt.Sprintf("%s is an empty list; give at least one user or leave it out (then only the members of chat_id may command).", what))...)
	}
	var exprs []hclsyntax.Expression
	if t, ok := attr.Expr.(*hclsyntax.TupleConsExpr); ok {
		exprs = t.Exprs
	}
	var out []string
	var bad hcl.Diagnostics
	for i, item := range items {
		at := attr.Expr.Range()
		if i < len(exprs) {
			at = exprs[i].Range()
		}
		problem := ""
		switch {
		case !item.IsKnown() || item.IsNull():
			problem = "is null"
		case item.Type() == cty.Number:
			bf := item.AsBigFloat()
			n, acc := bf.Int64()
			switch {
			case !bf.IsInt() || acc != big.Exact:
				problem = fmt.Sprintf("is %s, not a user id (a whole number)", bf.Text('g', -1))
			case n <= 0:
				problem = fmt.Sprintf("is %d: a user id is positive (a negative id is a group's or a channel's, which belongs in chat_id)", n)
			default:
				out = append(out, strconv.FormatInt(n, 10))
			}
		case item.Type() == cty.String:
			s := strings.TrimSpace(item.AsString())
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				if n <= 0 {
					problem = fmt.Sprintf("is %d: a user id is positive (a negative id is a group's or a channel's, which belongs in chat_id)", n)
				} else {
					out = append(out, strconv.FormatInt(n, 10))
				}
				break
			}
			if !usernameRE.MatchString(s) {
				hint := ""
				if usernameRE.MatchString("@" + s) {
					hint = fmt.Sprintf("; write \"@%s\"", s)
				}
				problem = fmt.Sprintf("is %q: neither a user id nor an @username (4 to 32 letters, digits or _, from a letter)%s", s, hint)
			} else {
				out = append(out, s)
			}
		default:
			problem = "is " + friendly(item) + ", not a user id or an @username"
		}
		if problem != "" {
			bad = append(bad, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid user",
				Detail:   fmt.Sprintf("%s: item %d %s.", what, i+1, problem),
				Subject:  at.Ptr(),
			})
		}
	}
	if bad.HasErrors() {
		return nil, append(diags, bad...)
	}
	return out, diags
}

func decodeArgv(attr *hcl.Attribute, v cty.Value, what string, diags hcl.Diagnostics) ([]string, hcl.Diagnostics) {
	if !v.Type().IsListType() && !v.Type().IsTupleType() {
		detail := fmt.Sprintf(`%s must be %s; this is %s.`, what, spec.TypeArgv, friendly(v))
		if v.Type() == cty.String {
			detail += fmt.Sprintf(` Commands run without a shell: write ["systemctl", "restart", "tomcat"], not %q.`, v.AsString())
		}
		return nil, append(diags, attrError(attr, "Incorrect value type", detail)...)
	}
	l, err := convert.Convert(v, cty.List(cty.String))
	if err != nil || !l.IsWhollyKnown() {
		return nil, append(diags, attrError(attr, "Incorrect value type", fmt.Sprintf("%s must be a list of strings.", what))...)
	}
	var argv []string
	for _, e := range l.AsValueSlice() {
		argv = append(argv, e.AsString())
	}
	if len(argv) == 0 || argv[0] == "" {
		return nil, append(diags, attrError(attr, "Empty command", fmt.Sprintf("%s needs at least the program to run, e.g. [\"systemctl\", \"restart\", \"tomcat\"].", what))...)
	}
	return argv, diags
}

// checkURL accepts only http and https URLs with a host. Other schemes (file://, gopher://,
// ftp:// …) would let a probe or notifier read local files or reach odd services.
// checkURLList checks each URL of a TypeURLList attribute, and that none repeats another;
// a diagnostic points at the item when the list is written out, else at the attribute.
func checkURLList(attr *hcl.Attribute, urls []string, what string) hcl.Diagnostics {
	at := func(i int) *hcl.Range {
		if t, ok := attr.Expr.(*hclsyntax.TupleConsExpr); ok && len(t.Exprs) == len(urls) {
			return t.Exprs[i].Range().Ptr()
		}
		return attr.Expr.Range().Ptr()
	}
	seen := map[string]int{}
	for i, u := range urls {
		if err := checkURL(u); err != nil {
			return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid URL",
				Detail: fmt.Sprintf("%s: item %d: %v.", what, i+1, err), Subject: at(i)}}
		}
		if j, dup := seen[u]; dup {
			return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Duplicate URL",
				Detail: fmt.Sprintf("%s: item %d repeats item %d; list each URL once.", what, i+1, j+1), Subject: at(i)}}
		}
		seen[u] = i
	}
	return nil
}

func checkURL(s string) error {
	if !strings.Contains(s, "://") {
		// url.Parse reads "127.0.0.1:8080/health" as scheme "127.0.0.1" or fails on the
		// colon; either way the mistake is the missing scheme.
		return fmt.Errorf(`no scheme; write it with http:// or https://`)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL (%v)", unwrapURLError(err))
	}
	switch u.Scheme {
	case "http", "https":
	case "":
		return fmt.Errorf(`no scheme; write it with http:// or https://`)
	default:
		return fmt.Errorf("the %s:// scheme is refused; only http:// and https:// URLs are allowed", u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("no host after %s://", u.Scheme)
	}
	return nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
