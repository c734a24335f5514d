package dsl

import (
	"bytes"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// sourceString is a string attribute evaluated by HCL together with a map from every byte
// of the result back to the source. It lets an expr error inside the string ("cpu.avgg" at
// column 4 of the evaluated text) be reported at the exact file:line:col of that token, even
// when the string is a heredoc with stripped indentation, has escapes, or has ${...}
// interpolations before the token. The map of a literal part is made when a position in
// it is first asked for (nearly always never: only errors need one), so a sourceString is
// not safe for concurrent use.
type sourceString struct {
	Value string
	file  []byte     // the whole source file
	lines *lineIndex // its line starts
	name  string     // its name
	whole hcl.Range  // the attribute's expression
	spans []span     // sorted by value offset, covering Value
	// offsets holds, for each literal span, the source byte offset of each of its value
	// bytes; nil until a position is asked for.
	offsets [][]int
	// spanBuf holds the spans of most strings (a condition with one ${...} has three), so
	// that they come in the sourceString's allocation.
	spanBuf [3]span
}

// span maps Value[valStart:valEnd] to source. A literal span maps byte for byte through
// the offsets of its part's range; an interpolated span maps every byte to the range of
// the interpolation's expression. It keeps the part itself, and finds its range and
// template name only when they are asked for (for an error): a sourceString is made for
// every rule's condition and message, and a span carrying them was twice this size.
type span struct {
	valStart, valEnd int
	literal          bool
	quoted           bool           // literal: in a quoted string (with escapes), not a heredoc
	part             hcl.Expression // the template part (or the whole expression) it comes from
}

// template is the name of the template an interpolated span inserts, with
// ${template.<name>}; "" for any other span.
func (sp *span) template() string {
	st, ok := sp.part.(*hclsyntax.ScopeTraversalExpr)
	if sp.literal || !ok || len(st.Traversal) < 2 || st.Traversal.RootName() != "template" {
		return ""
	}
	if a, ok := st.Traversal[1].(hcl.TraverseAttr); ok {
		return a.Name
	}
	return ""
}

// evalSourceString evaluates expr as a string under ctx and records where each byte of the
// result came from. direct, when not nil, holds the values of ctx's local and template
// objects, for its fast path.
func evalSourceString(expr hcl.Expression, ctx func() *hcl.EvalContext, direct *directVars, src []byte, lines *lineIndex) (*sourceString, hcl.Diagnostics) {
	rng := expr.Range()
	s := &sourceString{file: src, lines: lines, name: rng.Filename, whole: rng}
	var diags hcl.Diagnostics
	// The parts' strings, joined once their length is known: one allocation for Value, or
	// none when there is one part, instead of one each time a builder outgrows itself.
	strs := make([]string, 0, 8)
	n := 0

	appendValue := func(e hcl.Expression, literal bool, quoted bool) bool {
		var d hcl.Diagnostics
		v, ok := direct.value(e)
		switch {
		case ok:
		case literal: // its value, whatever the context
			v, d = e.Value(nil)
		default:
			v, d = e.Value(ctx())
		}
		explainTraversals(d)
		diags = append(diags, d...)
		if d.HasErrors() {
			return false
		}
		if !v.IsWhollyKnown() {
			diags = append(diags, consequenceOf(e.Range()))
			return false
		}
		str, ok := stringOf(v)
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Incorrect value type",
				Detail:   "A string is required here; this expression gives " + v.Type().FriendlyName() + ".",
				Subject:  e.Range().Ptr(),
			})
			return false
		}
		strs = append(strs, str)
		s.spans = append(s.spans, span{valStart: n, valEnd: n + len(str), literal: literal, quoted: quoted, part: e})
		n += len(str)
		return true
	}

	switch e := expr.(type) {
	case *hclsyntax.TemplateExpr:
		quoted := rng.Start.Byte < len(src) && src[rng.Start.Byte] == '"'
		s.spans = s.spanBuf[:0]
		if len(e.Parts) > len(s.spanBuf) {
			s.spans = make([]span, 0, len(e.Parts))
		}
		for _, part := range e.Parts {
			_, lit := part.(*hclsyntax.LiteralValueExpr)
			appendValue(part, lit, quoted)
		}
	case *hclsyntax.TemplateWrapExpr:
		appendValue(e.Wrapped, false, false)
	default:
		appendValue(expr, false, false)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	if len(strs) == 1 {
		s.Value = strs[0]
	} else {
		var b strings.Builder
		b.Grow(n)
		for _, str := range strs {
			b.WriteString(str)
		}
		s.Value = b.String()
	}
	return s, diags
}

// directTraversals turns evalSourceString's fast path on; a variable for tests.
var directTraversals = true

// directVars are the values of local.<name> and template.<name> as the maps an evaluation
// context's local and template objects were built from; nil for a root not offered.
//
// They exist for speed: a rule's when and message read ${local.x} and ${template.y}, and
// HCL looks each up through its traversal machinery, in an object of every local (22,000
// in a 4 MiB file), which was a third of what evaluating those strings cost. A direct map
// lookup gives the same value. Anything else (a longer traversal, a name not in the map,
// a function call) goes to HCL, which also makes every diagnostic.
type directVars struct {
	local, template map[string]cty.Value
}

// value returns what e.Value(ctx) returns (without diagnostics: there are none) when e is
// local.<name> or template.<name> and name is in the map of its root; ok is false for
// anything else.
func (d *directVars) value(e hcl.Expression) (v cty.Value, ok bool) {
	st, isTraversal := e.(*hclsyntax.ScopeTraversalExpr)
	if d == nil || !isTraversal || len(st.Traversal) != 2 {
		return cty.NilVal, false
	}
	attr, isAttr := st.Traversal[1].(hcl.TraverseAttr)
	if !isAttr {
		return cty.NilVal, false
	}
	var vals map[string]cty.Value
	switch st.Traversal.RootName() {
	case "local":
		vals = d.local
	case "template":
		vals = d.template
	}
	v, ok = vals[attr.Name]
	return v, ok
}

// asciiNamed returns vals if every name in it is ASCII, else nil. cty normalises an
// object's attribute names to NFC, both where it builds the object and where it looks a
// name up; on ASCII that changes nothing, so only then does a lookup in the map find what
// one in the object finds ("\u212Aelvin", with a Kelvin sign, would be "Kelvin" there).
func asciiNamed(vals map[string]cty.Value) map[string]cty.Value {
	for name := range vals {
		for i := 0; i < len(name); i++ {
			if name[i] >= utf8.RuneSelf {
				return nil
			}
		}
	}
	return vals
}

func stringOf(v cty.Value) (string, bool) {
	if v.IsNull() || !v.IsKnown() {
		return "", false
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), true
	case cty.Number:
		// A whole number, as ${local.limit} mostly is: cty renders every number through
		// big.Float's shortest-decimal search, which was a tenth of what compiling a
		// rule's condition cost. The text is the same.
		if f := v.AsBigFloat(); f.IsInt() && !(f.Signbit() && f.Sign() == 0) {
			if i, acc := f.Int64(); acc == big.Exact {
				return strconv.FormatInt(i, 10), true
			}
		}
	}
	sv, err := convert.Convert(v, cty.String)
	if err != nil {
		return "", false
	}
	return sv.AsString(), true
}

// alignLiteral maps each byte of a literal's value to its source byte. Value and source
// agree except where the source has an escape (quoted strings: \n, \", \\, \uNNNN …), a
// doubled $${ or %%{, or heredoc indentation that HCL stripped; those source bytes are
// skipped, so every value character lands on the character that produced it.
func alignLiteral(val string, src []byte, rng hcl.Range, quoted bool) []int {
	offsets := make([]int, len(val))
	s, end := rng.Start.Byte, rng.End.Byte
	if end > len(src) {
		end = len(src)
	}
	for v := 0; v < len(val); {
		vr, vn := utf8.DecodeRuneInString(val[v:])
		pos := s
		for s < end {
			sr, sn := utf8.DecodeRune(src[s:end])
			if quoted && sr == '\\' {
				pos = s
				s += escapeLen(src[s:end])
				break
			}
			if sr == vr {
				pos = s
				s += sn
				break
			}
			s += sn
		}
		if s >= end && pos < rng.Start.Byte {
			pos = rng.Start.Byte
		}
		for i := 0; i < vn; i++ {
			offsets[v+i] = pos
		}
		v += vn
	}
	return offsets
}

// escapeLen is the length of the backslash escape at the start of b.
func escapeLen(b []byte) int {
	if len(b) < 2 {
		return len(b)
	}
	switch b[1] {
	case 'u':
		return min(6, len(b))
	case 'U':
		return min(10, len(b))
	}
	return 2
}

// rangeOf returns the source range of Value[start:end].
func (s *sourceString) rangeOf(start, end int) hcl.Range {
	if end <= start {
		end = start + 1
	}
	from, ok1 := s.srcOffset(start)
	to, ok2 := s.srcOffset(end - 1)
	if !ok1 {
		return s.whole
	}
	sp := s.spanAt(start)
	if sp != nil && !sp.literal {
		return sp.part.Range()
	}
	if !ok2 || to < from {
		to = from
	}
	// The range ends after the last character.
	_, n := utf8.DecodeRune(s.file[min(to, len(s.file)):])
	if n == 0 {
		n = 1
	}
	return hcl.Range{Filename: s.name, Start: posAt(s.file, from, s.lines), End: posAt(s.file, to+n, s.lines)}
}

// fromTemplate returns the template name if Value[off] was inserted by ${template.<name>}.
func (s *sourceString) fromTemplate(off int) string {
	if sp := s.spanAt(off); sp != nil {
		return sp.template()
	}
	return ""
}

func (s *sourceString) spanAt(off int) *span {
	if i := s.spanIndex(off); i >= 0 {
		return &s.spans[i]
	}
	return nil
}

func (s *sourceString) spanIndex(off int) int {
	for i := range s.spans {
		if sp := &s.spans[i]; off >= sp.valStart && off < sp.valEnd {
			return i
		}
	}
	if n := len(s.spans); n > 0 && off == s.spans[n-1].valEnd {
		return n - 1
	}
	return -1
}

func (s *sourceString) srcOffset(off int) (int, bool) {
	k := s.spanIndex(off)
	if k < 0 {
		return 0, false
	}
	sp := &s.spans[k]
	rng := sp.part.Range()
	if !sp.literal {
		return rng.Start.Byte, true
	}
	if s.offsets == nil {
		s.offsets = make([][]int, len(s.spans))
	}
	offsets := s.offsets[k]
	if end := min(sp.valEnd, len(s.Value)); offsets == nil && end > sp.valStart {
		// min: a template's text loses its last line break after it is evaluated.
		offsets = alignLiteral(s.Value[sp.valStart:end], s.file, rng, sp.quoted)
		s.offsets[k] = offsets
	}
	i := off - sp.valStart
	if i >= len(offsets) {
		if len(offsets) == 0 {
			return rng.Start.Byte, true
		}
		return offsets[len(offsets)-1], true
	}
	return offsets[i], true
}

// posAt converts a byte offset of src into an hcl.Pos (1-based line, 1-based column counted
// in characters). It scans back to the start of the line for the column and counts the
// newlines before it, so its cost grows with the offset; lines is a cache of line starts
// for src that makes that a binary search instead.
func posAt(src []byte, off int, lines *lineIndex) hcl.Pos {
	off = clamp(off, 0, len(src))
	line, start := lines.find(src, off)
	col := 1 + utf8.RuneCount(src[start:off])
	return hcl.Pos{Line: line, Column: col, Byte: off}
}

// lineIndex holds the byte offset at which each line of one source starts.
type lineIndex struct {
	once   sync.Once // rules are decoded several at once (rules.go)
	starts []int
}

func (li *lineIndex) find(src []byte, off int) (line, start int) {
	li.once.Do(func() {
		li.starts = make([]int, 1, 1+bytes.Count(src, []byte("\n")))
		for i := 0; ; {
			nl := bytes.IndexByte(src[i:], '\n')
			if nl < 0 {
				break
			}
			i += nl + 1
			li.starts = append(li.starts, i)
		}
	})
	i := sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > off }) - 1
	return i + 1, li.starts[i]
}
