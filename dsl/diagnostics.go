package dsl

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/notimon/notimon/actions"
	"github.com/notimon/notimon/spec"
	"golang.org/x/text/width"
)

// WriteDiagnostics prints each diagnostic as
//
//	rules.d/10-web.hcl:3:15: error: Unknown probe field
//	    3 |   when = "cpu.avgg > 50"
//	      |               ^^^^
//	  In rule "overload" when: cpu has no field "avgg"; its fields are: pct, avg3, iowait_pct, steal_pct.
//
// sorted by file and position, so an operator can jump to each one. hcl's own text writer
// marks the subject with terminal colours only; a caret survives logs, CI output and pipes.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics) {
	sorted := append(hcl.Diagnostics(nil), diags...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].Subject, sorted[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		default:
			return a.Start.Byte < b.Start.Byte
		}
	})
	masks := map[string][]byteSpan{}
	for i, d := range sorted {
		if i == MaxPrinted {
			errs, warns := 0, 0
			for _, d := range sorted[i:] {
				if d.Severity == hcl.DiagError {
					errs++
				} else {
					warns++
				}
			}
			fmt.Fprintf(w, "… and %d more (%d errors, %d warnings): fix these first; the first one often causes many of the rest.\n", len(sorted)-i, errs, warns)
			return
		}
		writeDiagnostic(w, files, masks, d)
	}
}

// MaxPrinted is how many diagnostics WriteDiagnostics prints; the rest are counted. A
// binary file dropped into rules.d gives tens of thousands, and nobody reads past the first.
const MaxPrinted = 50

// maxDetail bounds a diagnostic's detail text, maxLine the source line shown (in bytes).
const (
	maxDetail = 1000
	maxLine   = 160
)

func writeDiagnostic(w io.Writer, files map[string]*hcl.File, masks map[string][]byteSpan, d *hcl.Diagnostic) {
	sev := "error"
	if d.Severity == hcl.DiagWarning {
		sev = "warning"
	}
	if d.Subject == nil {
		fmt.Fprintf(w, "%s: %s\n", sev, CapText(d.Summary, maxDetail))
		if d.Detail != "" {
			fmt.Fprintf(w, "  %s\n", CapText(d.Detail, maxDetail))
		}
		fmt.Fprintln(w)
		return
	}
	s := d.Subject
	fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", s.Filename, s.Start.Line, s.Start.Column, sev, CapText(d.Summary, maxDetail))
	if f := files[s.Filename]; f != nil {
		m, ok := masks[s.Filename]
		if !ok && bytes.Contains(f.Bytes, []byte("notifier")) {
			m = secretSpans(f.Bytes, s.Filename)
			masks[s.Filename] = m
		}
		writeSnippet(w, f.Bytes, *s, m)
	}
	if d.Detail != "" {
		fmt.Fprintf(w, "  %s\n", CapText(d.Detail, maxDetail))
	}
	fmt.Fprintln(w)
}

// CapText cuts s to at most n bytes, on a character boundary, marking the cut with "…":
// for error text that is printed, logged or stored.
func CapText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// window cuts a long line to at most maxLine bytes around the subject [from, to), marking
// each cut with "…", and moves from and to along.
func window(line []byte, from, to int) ([]byte, int, int) {
	if len(line) <= maxLine {
		return line, from, to
	}
	start := max(0, from-maxLine/3)
	for start > 0 && !utf8.RuneStart(line[start]) {
		start--
	}
	end := min(len(line), start+maxLine)
	for end < len(line) && !utf8.RuneStart(line[end]) {
		end--
	}
	var out []byte
	shift := -start
	if start > 0 {
		out = append(out, "…"...)
		shift += len("…")
	}
	out = append(out, line[start:end]...)
	if end < len(line) {
		out = append(out, "…"...)
	}
	from, to = from+shift, min(to, end)+shift
	return out, from, max(from, to)
}

// writeSnippet prints the subject's first line with carets under the subject. Caret columns
// follow display width, so they line up under Korean text and tabs too. The parts of the
// line in mask (values inside notifier blocks) are printed as "***".
func writeSnippet(w io.Writer, src []byte, r hcl.Range, mask []byteSpan) {
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64*1024), len(src)+1)
	lineStart := 0
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		lineEnd := lineStart + len(line)
		if n != r.Start.Line {
			lineStart = lineEnd + 1
			continue
		}
		from := clamp(r.Start.Byte-lineStart, 0, len(line))
		to := lineEnd
		if r.End.Line == r.Start.Line {
			to = r.End.Byte
		}
		to = clamp(to-lineStart, from, len(line))
		line, from, to = maskLine(line, lineStart, mask, from, to)
		line, from, to = window(line, from, to)
		gutter := fmt.Sprintf("%5d | ", n)
		fmt.Fprintf(w, "%s%s\n", gutter, line)
		var caret strings.Builder
		caret.WriteString(strings.Repeat(" ", len(gutter)-2) + "| ")
		writePad(&caret, line[:from])
		marks := displayWidth(line[from:to])
		if marks < 1 {
			marks = 1
		}
		caret.WriteString(strings.Repeat("^", marks))
		fmt.Fprintln(w, caret.String())
		return
	}
}

// writePad writes whitespace as wide as b: tabs stay tabs, other characters become spaces.
func writePad(sb *strings.Builder, b []byte) {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		if r == '\t' {
			sb.WriteByte('\t')
			continue
		}
		sb.WriteString(strings.Repeat(" ", runeWidth(r)))
	}
}

func displayWidth(b []byte) int {
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// byteSpan is a byte range [from, to) of a source file.
type byteSpan struct{ from, to int }

// secretSpans returns the parts of src that diagnostics never print: in the value of a
// notifier attribute that its kind marks secret (a Telegram token, a webhook URL and its
// headers), that the kind does not know (`tokn = "123:SECRET"`, a misspelt token), or of a
// notifier of an unknown kind, every literal (quoted strings, heredoc text, numbers) and
// every bare word that is not a function name, a reference (local.x) or true/false/null.
// The names given to env("NAME") and file("path") stay visible. It works on tokens, so it
// holds for files that do not parse.
func secretSpans(src []byte, filename string) []byteSpan {
	toks, _ := hclsyntax.LexConfig(src, filename, hcl.InitialPos)
	var spans []byteSpan
	depth, body := 0, -1 // body: the depth inside the notifier block, -1 outside one
	lineStart, notifier := true, false
	var kind *spec.Notifier // the notifier's kind, nil when unknown
	hidden := true          // whether the current attribute's value is masked
	typ := func(i int) hclsyntax.TokenType {
		if i < 0 || i >= len(toks) {
			return hclsyntax.TokenNil
		}
		return toks[i].Type
	}
	for i, t := range toks {
		switch t.Type {
		case hclsyntax.TokenNewline:
			lineStart = true
			continue
		case hclsyntax.TokenOBrace:
			depth++
			if body < 0 && notifier && depth == 1 {
				body = depth
			}
			notifier = false
			lineStart = true
			continue
		case hclsyntax.TokenCBrace:
			depth--
			if body >= 0 && depth < body {
				body = -1
			}
			lineStart = false
			continue
		case hclsyntax.TokenComment:
			// A comment in a notifier block may hold an old token, or the rest of an
			// unquoted URL (`url = https://…`: "//" starts a comment).
			if body >= 0 {
				end := t.Range.End.Byte
				if bytes.HasSuffix(t.Bytes, []byte("\n")) {
					end--
				}
				spans = append(spans, byteSpan{t.Range.Start.Byte, end})
			}
			lineStart = bytes.HasSuffix(t.Bytes, []byte("\n")) || lineStart
			continue
		}
		wasStart := lineStart
		lineStart = false
		if body < 0 {
			if wasStart && depth == 0 && t.Type == hclsyntax.TokenIdent && string(t.Bytes) == "notifier" {
				notifier, kind = true, nil
				if typ(i+1) == hclsyntax.TokenOQuote && typ(i+2) == hclsyntax.TokenQuotedLit {
					if k, ok := actions.LookupNotifier(string(toks[i+2].Bytes)); ok {
						kind = &k
					}
				}
			}
			continue
		}
		if wasStart && depth == body && t.Type == hclsyntax.TokenIdent {
			hidden = true
			if kind != nil {
				if as, ok := kind.Block.Attr(string(t.Bytes)); ok && !as.Secret {
					hidden = false
				}
			}
			continue
		}
		if !hidden {
			continue
		}
		secret := false
		switch t.Type {
		case hclsyntax.TokenQuotedLit:
			// env("NAME"), file("path"): the name is not the secret.
			call := typ(i-1) == hclsyntax.TokenOQuote && typ(i-2) == hclsyntax.TokenOParen && typ(i-3) == hclsyntax.TokenIdent
			secret = !call || !(string(toks[i-3].Bytes) == "env" || string(toks[i-3].Bytes) == "file")
		case hclsyntax.TokenStringLit, hclsyntax.TokenNumberLit, hclsyntax.TokenInvalid, hclsyntax.TokenBadUTF8,
			hclsyntax.TokenColon, hclsyntax.TokenStar, hclsyntax.TokenSlash, hclsyntax.TokenMinus, hclsyntax.TokenPlus:
			secret = true
		case hclsyntax.TokenIdent:
			w := string(t.Bytes)
			secret = !wasStart && typ(i+1) != hclsyntax.TokenOParen && typ(i+1) != hclsyntax.TokenDot &&
				typ(i-1) != hclsyntax.TokenDot && w != "true" && w != "false" && w != "null"
		}
		if !secret {
			continue
		}
		sp := byteSpan{t.Range.Start.Byte, t.Range.End.Byte}
		if n := len(spans); n > 0 && spans[n-1].to == sp.from {
			spans[n-1].to = sp.to // one run of masked tokens: one "***"
			continue
		}
		spans = append(spans, sp)
	}
	return spans
}

// maskLine replaces the parts of line (at offset start in the file) covered by mask with
// "***" and moves the caret range [from, to) along.
func maskLine(line []byte, start int, mask []byteSpan, from, to int) ([]byte, int, int) {
	var out []byte
	var marks []struct{ old, new int }
	i := 0
	for _, m := range mask {
		a, b := m.from-start, m.to-start
		if b <= i || a >= len(line) {
			continue
		}
		a, b = max(a, i), min(b, len(line))
		out = append(out, line[i:a]...)
		marks = append(marks, struct{ old, new int }{a, len(out)})
		out = append(out, "***"...)
		marks = append(marks, struct{ old, new int }{b, len(out)})
		i = b
	}
	if marks == nil {
		return line, from, to
	}
	out = append(out, line[i:]...)
	moved := func(off int) int {
		shift := 0
		for k := 0; k+1 < len(marks); k += 2 {
			a, b := marks[k], marks[k+1]
			switch {
			case off >= b.old:
				shift = b.new - b.old
			case off > a.old:
				return a.new + min(off-a.old, 3)
			}
		}
		return off + shift
	}
	return out, moved(from), moved(to)
}
