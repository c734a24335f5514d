package dsl

import (
	"bytes"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// HCL parses a heredoc in time quadratic in its number of lines: its parser joins the
// lines' literals one at a time, copying the text joined so far and the rest of the token
// slice at each (hclsyntax.meldConsecutiveStringLiterals, v2.25.0): a 1 MB heredoc of
// 13,000 lines took 17 CPU-s, and one of 4 MB would take minutes. parseConfig therefore
// parses a long heredoc that is an attribute's whole value and holds no interpolation or
// directive (the common case: a message template, whose placeholders are {{ }}) itself:
// it hides it from HCL behind a comment of the same length and the same line breaks (so
// every position after it is unchanged) and puts the expression HCL would have built in
// its place. Anything else, and every short heredoc, is HCL's.

// longHeredoc is the number of literal tokens (about one per line) from which a heredoc is
// parsed here; below it HCL's joining costs little. A variable so that tests can compare
// every heredoc with what HCL makes of it.
var longHeredoc = 200

// heredoc is a long literal heredoc found in a file.
type heredoc struct {
	open, close hcl.Range // the <<EOT line and the closing marker
	value       string
	lit         hcl.Range // the literal's range, as HCL reports it
}

// parseConfig is hclsyntax.ParseConfig, but linear in the length of heredocs. When the
// file has errors, HCL's recovery from them may differ around a masked heredoc: a caller
// that reports those errors parses such a file again with exactParse.
func parseConfig(src []byte, name string, start hcl.Pos) (*hcl.File, hcl.Diagnostics) {
	f, diags, _ := parseMasked(src, name, start)
	return f, diags
}

// exactParse is parseConfig with HCL's own errors: a file with errors whose heredocs were
// masked is parsed again by HCL as it is.
func exactParse(src []byte, name string, start hcl.Pos) (*hcl.File, hcl.Diagnostics) {
	f, diags, masked := parseMasked(src, name, start)
	if masked && diags.HasErrors() {
		return hclsyntax.ParseConfig(src, name, start)
	}
	return f, diags
}

// parseMasked is parseConfig, and says whether any heredoc was masked.
func parseMasked(src []byte, name string, start hcl.Pos) (*hcl.File, hcl.Diagnostics, bool) {
	if !mayHoldLongHeredoc(src) {
		f, diags := hclsyntax.ParseConfig(src, name, start)
		return f, diags, false
	}
	docs := longHeredocs(src, name, start)
	if len(docs) == 0 {
		f, diags := hclsyntax.ParseConfig(src, name, start)
		return f, diags, false
	}
	masked := slices.Clone(src)
	base := start.Byte
	for _, h := range docs {
		from, to := h.open.Start.Byte-base, h.close.End.Byte-base
		for i := from; i < to; i++ {
			if masked[i] != '\n' {
				masked[i] = ' '
			}
		}
		copy(masked[from:], `""/*`)
		copy(masked[to-2:], `*/`)
	}
	f, diags := hclsyntax.ParseConfig(masked, name, start)
	if body, ok := f.Body.(*hclsyntax.Body); !ok || putHeredocs(body, docs) != len(docs) {
		f, diags = hclsyntax.ParseConfig(src, name, start) // not where expected: HCL's way
		return f, diags, false
	}
	f.Bytes = src
	return f, diags, true
}

// mayHoldLongHeredoc says, from a scan of the bytes, whether src may hold a heredoc of at
// least longHeredoc lines, so that a file without one is not lexed twice (lexing is half
// of HCL's parsing). It may say yes wrongly ("<<" in a string, a closing line it does not
// recognise), never no.
func mayHoldLongHeredoc(src []byte) bool {
	for i := 0; ; {
		k := bytes.Index(src[i:], []byte("<<"))
		if k < 0 {
			return false
		}
		j := i + k + 2
		if j < len(src) && src[j] == '-' {
			j++
		}
		m := j
		for m < len(src) && src[m] != '\n' && src[m] != ' ' && src[m] != '\t' && src[m] != '\r' {
			m++
		}
		i = j
		if m == j || m >= len(src) || src[m] != '\n' {
			continue
		}
		marker := src[j:m]
		lines := 0
		for p := m + 1; p < len(src); lines++ {
			if lines >= longHeredoc {
				return true
			}
			e := bytes.IndexByte(src[p:], '\n')
			if e < 0 {
				e = len(src) - p
			}
			if bytes.Equal(bytes.TrimLeft(src[p:p+e], " \t"), marker) {
				i = p + e
				break
			}
			p += e + 1
		}
	}
}

// putHeredocs puts each heredoc's expression where the masked parse has its "", and
// counts them.
func putHeredocs(body *hclsyntax.Body, docs []heredoc) int {
	n := 0
	for _, a := range body.Attributes {
		t, ok := a.Expr.(*hclsyntax.TemplateExpr)
		if !ok {
			continue
		}
		i, found := slices.BinarySearchFunc(docs, t.SrcRange.Start.Byte, func(h heredoc, b int) int { return h.open.Start.Byte - b })
		if !found {
			continue
		}
		h := docs[i]
		a.Expr = &hclsyntax.TemplateExpr{
			Parts:    []hclsyntax.Expression{&hclsyntax.LiteralValueExpr{Val: cty.StringVal(h.value), SrcRange: h.lit}},
			SrcRange: hcl.RangeBetween(h.open, h.close),
		}
		a.SrcRange.End = h.close.End
		n++
	}
	for _, b := range body.Blocks {
		n += putHeredocs(b.Body, docs)
	}
	return n
}

// longHeredocs finds the heredocs to parse here, in source order: at least longHeredoc
// literal tokens, nothing but literals, an attribute's whole value (= before, a line
// break after), markers long enough to be masked, and a value computed exactly as HCL
// would (else it is left to HCL).
func longHeredocs(src []byte, name string, start hcl.Pos) []heredoc {
	tokens, diags := hclsyntax.LexConfig(src, name, start)
	if diags.HasErrors() {
		return nil
	}
	var docs []heredoc
	for i := 0; i < len(tokens); i++ {
		if tokens[i].Type != hclsyntax.TokenOHeredoc {
			continue
		}
		j := i + 1
		for j < len(tokens) && tokens[j].Type == hclsyntax.TokenStringLit {
			j++
		}
		if j-i-1 < longHeredoc || j+1 >= len(tokens) || tokens[j].Type != hclsyntax.TokenCHeredoc ||
			i == 0 || tokens[i-1].Type != hclsyntax.TokenEqual ||
			(tokens[j+1].Type != hclsyntax.TokenNewline && tokens[j+1].Type != hclsyntax.TokenEOF) {
			i = j
			continue
		}
		open, close := tokens[i], tokens[j]
		if len(open.Bytes) < 5 || strings.Contains(string(open.Bytes[:4]), "\n") ||
			len(close.Bytes) < 2 || strings.Contains(string(close.Bytes), "\n") || !ascii(close.Bytes) {
			i = j
			continue
		}
		flush := strings.HasPrefix(string(open.Bytes), "<<-")
		if h, ok := literalHeredoc(tokens[i+1:j], flush); ok {
			h.open, h.close = open.Range, close.Range
			docs = append(docs, h)
		}
		i = j
	}
	return docs
}

// literalHeredoc is the value and range HCL gives the literal tokens of a heredoc: each
// token's text with its escapes ($${, %%{) processed, and for a flush heredoc (<<-) the
// smallest indentation of its lines removed from every line that is not blank
// (flushHeredocTemplateParts). ok is false when HCL would count that indentation in
// grapheme clusters that are not single characters, which is left to HCL.
func literalHeredoc(toks []hclsyntax.Token, flush bool) (heredoc, bool) {
	vals := make([]string, len(toks))
	ranges := make([]hcl.Range, len(toks))
	for k, t := range toks {
		v, d := hclsyntax.ParseStringLiteralToken(t)
		if d.HasErrors() {
			return heredoc{}, false
		}
		vals[k], ranges[k] = v, t.Range
	}
	if flush {
		const maxInt = int(^uint(0) >> 1)
		minSpaces := maxInt
		var adjust []int
		newline := true
		for k, v := range vals {
			if newline {
				newline = false
				trimmed := strings.TrimLeftFunc(v, unicode.IsSpace)
				prefix := v[:len(v)-len(trimmed)]
				switch {
				case trimmed == "" && strings.HasSuffix(v, "\n"):
					// a blank line: not counted, not trimmed
				case strings.ContainsRune(prefix, '\r') || joinsSpace(trimmed):
					return heredoc{}, false
				default:
					minSpaces = min(minSpaces, utf8.RuneCountInString(prefix))
					adjust = append(adjust, k)
				}
			}
			if strings.HasSuffix(v, "\n") {
				newline = true
			}
		}
		for _, k := range adjust {
			cut := 0
			for range minSpaces {
				_, size := utf8.DecodeRuneInString(vals[k][cut:])
				cut += size
			}
			vals[k] = vals[k][cut:]
			ranges[k].Start.Column += minSpaces
			ranges[k].Start.Byte += cut
		}
	}
	return heredoc{value: strings.Join(vals, ""), lit: hcl.Range{
		Filename: ranges[0].Filename, Start: ranges[0].Start, End: ranges[len(ranges)-1].End,
	}}, true
}

// joinsSpace says whether s starts with a character that a grapheme cluster joins to the
// space before it (a combining mark, a zero-width joiner, an emoji modifier): HCL would
// then count that space and the character as one.
func joinsSpace(s string) bool {
	if s == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r >= utf8.RuneSelf && (unicode.In(r, unicode.M, unicode.Sk, unicode.Cf) || r == utf8.RuneError)
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
