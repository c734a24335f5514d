package dsl

import (
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// After a syntax error, hcl's parser recovers by skipping tokens, and can leave its braces
// out of step with the file's. A block written on one line with a block inside,
//
//	on_resolve { notify "ops" { message = "x" } }
//
// ends at the first "}", so the rule around it runs on to the end of the file: every block
// after it parses as nested in that rule (and is reported as misplaced: "Blocks of type
// "rule" are not expected here"), or is skipped outright, and what those blocks define is
// missing for the other files ("Unknown notifier"). So a file with a syntax error is parsed
// again one top-level block at a time, each block being whatever starts with a top-level
// block type in column 1: an error then stays inside its own block, every other block
// loads as written, and of the broken block only the first syntax error is reported.

// brokenSpan is the part of a file that a syntax error makes unreadable: from the error to
// the end of the top-level block it is in.
type brokenSpan struct {
	first      *hcl.Diagnostic // the first syntax error of the block, reported
	start, end int             // byte offsets
}

// parseByBlock parses src one top-level block at a time. It returns the file, every
// diagnostic, and the span each first syntax error makes unreadable.
func parseByBlock(src []byte, name string) (*hcl.File, hcl.Diagnostics, []brokenSpan) {
	starts := []hcl.Pos{{Line: 1, Column: 1, Byte: 0}}
	tokens, _ := hclsyntax.LexConfig(src, name, hcl.InitialPos)
	for i, tok := range tokens {
		if tok.Type != hclsyntax.TokenIdent || tok.Range.Start.Column != 1 || tok.Range.Start.Byte == 0 {
			continue
		}
		if _, top := blockTypes[string(tok.Bytes)]; !top || (i > 0 && tokens[i-1].Type != hclsyntax.TokenNewline) {
			continue
		}
		starts = append(starts, tok.Range.Start)
	}
	body := &hclsyntax.Body{
		Attributes: hclsyntax.Attributes{},
		SrcRange:   hcl.Range{Filename: name, Start: hcl.InitialPos, End: endPos(src)},
	}
	body.EndRange = hcl.Range{Filename: name, Start: body.SrcRange.End, End: body.SrcRange.End}
	var diags hcl.Diagnostics
	var spans []brokenSpan
	for i, start := range starts {
		end := len(src)
		if i+1 < len(starts) {
			end = starts[i+1].Byte
		}
		f, d := exactParse(src[start.Byte:end], name, start)
		diags = append(diags, d...)
		if first := firstError(d); first != nil {
			spans = append(spans, brokenSpan{first: first, start: first.Subject.Start.Byte, end: end})
		}
		b := f.Body.(*hclsyntax.Body)
		body.Blocks = append(body.Blocks, b.Blocks...)
		for k, a := range b.Attributes {
			if _, dup := body.Attributes[k]; !dup {
				body.Attributes[k] = a
			}
		}
	}
	return &hcl.File{Body: body, Bytes: src}, diags, spans
}

// firstError is the error of d that comes first in the source (hcl does not sort them).
func firstError(d hcl.Diagnostics) *hcl.Diagnostic {
	var first *hcl.Diagnostic
	for _, x := range d {
		if x.Severity != hcl.DiagError || x.Subject == nil {
			continue
		}
		if first == nil || x.Subject.Start.Byte < first.Subject.Start.Byte {
			first = x
		}
	}
	return first
}

func endPos(src []byte) hcl.Pos {
	pos := hcl.InitialPos
	for _, c := range src {
		pos.Byte++
		pos.Column++
		if c == '\n' {
			pos.Line++
			pos.Column = 1
		}
	}
	return pos
}

// dropUnreadable drops the diagnostics, syntax errors included, that lie in a broken span
// after its first syntax error: they come from the parser's recovery, not from the file.
// Everything else, in that file and the others, is reported as usual.
func (l *loader) dropUnreadable(diags hcl.Diagnostics) hcl.Diagnostics {
	if len(l.broken) == 0 {
		return diags
	}
	out := diags[:0:0]
next:
	for _, d := range diags {
		if d.Subject != nil {
			for _, span := range l.broken[d.Subject.Filename] {
				if d != span.first && d.Subject.Start.Byte >= span.start && d.Subject.Start.Byte < span.end {
					continue next
				}
			}
		}
		out = append(out, d)
	}
	return out
}

// bodyContent is body.Content(schema) for a body straight from the parser. When the body holds
// only what schema allows, every block with its labels, and every attribute schema
// requires, HCL reports nothing, and the content is built here without the four maps HCL
// makes on every call (a twentieth of the CPU time of loading 11,000 rules), and with one
// allocation for all the attributes and one for all the blocks instead of one for each
// (what AsHCLAttribute and AsHCLBlock would make, field for field), or one for the
// content with them for the small bodies most are. Anything else goes to
// HCL, for its diagnostics.
func bodyContent(body hcl.Body, schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	b, ok := body.(*hclsyntax.Body)
	if !ok {
		return body.Content(schema)
	}
	// The content, its attributes and its blocks in one allocation when they fit one of
	// the shapes most bodies have.
	var c *hcl.BodyContent
	var attrs []hcl.Attribute
	var blocks []hcl.Block
	var ptrs hcl.Blocks
	switch nb := len(b.Blocks); {
	case len(b.Attributes) <= 1 && nb == 0:
		x := new(oneAttrContent)
		c, attrs = &x.c, x.attrs[:0]
	case len(b.Attributes) <= len(smallContent{}.attrs) && nb <= len(smallContent{}.blocks):
		x := new(smallContent)
		c, attrs, blocks, ptrs = &x.c, x.attrs[:0], x.blocks[:nb], x.ptrs[:nb]
	default:
		c = new(hcl.BodyContent)
		attrs = make([]hcl.Attribute, 0, len(b.Attributes))
		if nb > 0 {
			blocks, ptrs = make([]hcl.Block, nb), make(hcl.Blocks, nb)
		}
	}
	for _, as := range schema.Attributes {
		a, ok := b.Attributes[as.Name]
		if !ok {
			if as.Required {
				return body.Content(schema)
			}
			continue
		}
		attrs = append(attrs, hcl.Attribute{Name: a.Name, Expr: a.Expr, Range: a.SrcRange, NameRange: a.NameRange})
	}
	if len(attrs) != len(b.Attributes) || !blocksFit(b, schema) { // an attribute or block the schema does not allow
		return body.Content(schema)
	}
	c.Attributes = make(hcl.Attributes, len(attrs))
	c.MissingItemRange = b.MissingItemRange()
	for i := range attrs {
		c.Attributes[attrs[i].Name] = &attrs[i]
	}
	if len(b.Blocks) > 0 {
		for i, blk := range b.Blocks {
			blocks[i] = hcl.Block{Type: blk.Type, Labels: blk.Labels, Body: blk.Body,
				DefRange: blk.DefRange(), TypeRange: blk.TypeRange, LabelRanges: blk.LabelRanges}
			ptrs[i] = &blocks[i]
		}
		c.Blocks = ptrs
	}
	return c, nil
}

// schemaContent is what bodyContent gives, with the attributes by their place in the
// schema instead of in a map: a rule's body is decoded this way, and the map was two
// allocations for every rule, for the eight lookups decodeRuleBody makes in it. It comes
// in one allocation for a body of at most three attributes and one block.
type schemaContent struct {
	schema  *hcl.BodySchema
	attrs   []*hcl.Attribute // by the schema's order; nil for those the body does not set
	Blocks  hcl.Blocks
	attrBuf [8]*hcl.Attribute
	vals    [3]hcl.Attribute
	blocks  [1]hcl.Block
	ptrs    [1]*hcl.Block
}

// attr returns the attribute called name, and whether the body sets it.
func (c *schemaContent) attr(name string) (*hcl.Attribute, bool) {
	for i := range c.schema.Attributes {
		if c.schema.Attributes[i].Name == name {
			return c.attrs[i], c.attrs[i] != nil
		}
	}
	return nil, false
}

// contentBySchema is bodyContent(body, schema) as a schemaContent.
func contentBySchema(body hcl.Body, schema *hcl.BodySchema) (*schemaContent, hcl.Diagnostics) {
	c := &schemaContent{schema: schema}
	c.attrs = c.attrBuf[:0]
	if len(schema.Attributes) > len(c.attrBuf) {
		c.attrs = make([]*hcl.Attribute, 0, len(schema.Attributes))
	}
	c.attrs = c.attrs[:len(schema.Attributes)]
	if b, ok := body.(*hclsyntax.Body); ok && len(b.Attributes) <= len(c.vals) && len(b.Blocks) <= len(c.blocks) && c.fill(b) {
		return c, nil
	}
	content, diags := bodyContent(body, schema)
	for i, as := range schema.Attributes {
		c.attrs[i] = content.Attributes[as.Name]
	}
	c.Blocks = content.Blocks
	return c, diags
}

// fill sets c from b and reports true when b fits c's schema as bodyContent builds the
// content itself (nothing to report); else it reports false, and c is to be set again.
func (c *schemaContent) fill(b *hclsyntax.Body) bool {
	n := 0
	for i, as := range c.schema.Attributes {
		a, ok := b.Attributes[as.Name]
		if !ok {
			if as.Required {
				return false
			}
			continue
		}
		c.vals[n] = hcl.Attribute{Name: a.Name, Expr: a.Expr, Range: a.SrcRange, NameRange: a.NameRange}
		c.attrs[i] = &c.vals[n]
		n++
	}
	if n != len(b.Attributes) || !blocksFit(b, c.schema) {
		return false
	}
	if len(b.Blocks) > 0 {
		for i, blk := range b.Blocks {
			c.blocks[i] = hcl.Block{Type: blk.Type, Labels: blk.Labels, Body: blk.Body,
				DefRange: blk.DefRange(), TypeRange: blk.TypeRange, LabelRanges: blk.LabelRanges}
			c.ptrs[i] = &c.blocks[i]
		}
		c.Blocks = c.ptrs[:len(b.Blocks)]
	}
	return true
}

// onlyAttr returns the attribute called name of body when body holds it and nothing else:
// what bodyContent gives for a schema of that one attribute, without a content and its
// map around it (a rule's notify step is decoded this way, once for every rule).
func onlyAttr(body hcl.Body, name string) (*hcl.Attribute, bool) {
	b, ok := body.(*hclsyntax.Body)
	if !ok || len(b.Attributes) != 1 || len(b.Blocks) != 0 {
		return nil, false
	}
	a, ok := b.Attributes[name]
	if !ok {
		return nil, false
	}
	return &hcl.Attribute{Name: a.Name, Expr: a.Expr, Range: a.SrcRange, NameRange: a.NameRange}, true
}

// oneAttrContent and smallContent are a body's content with room for its attributes and
// blocks: one attribute (a step's message, a template's text), or a rule's usual when,
// for and severity and its one notify step.
type oneAttrContent struct {
	c     hcl.BodyContent
	attrs [1]hcl.Attribute
}

type smallContent struct {
	c      hcl.BodyContent
	attrs  [3]hcl.Attribute
	blocks [1]hcl.Block
	ptrs   [1]*hcl.Block
}

// blocksFit says whether every block of b is of a type schema allows, with its labels.
func blocksFit(b *hclsyntax.Body, schema *hcl.BodySchema) bool {
	for _, blk := range b.Blocks {
		i := slices.IndexFunc(schema.Blocks, func(s hcl.BlockHeaderSchema) bool { return s.Type == blk.Type })
		if i < 0 || len(blk.Labels) != len(schema.Blocks[i].LabelNames) {
			return false
		}
	}
	return true
}
