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
	for _, d := range sorted {
		writeDiagnostic(w, files, d)
	}
}

func writeDiagnostic(w io.Writer, files map[string]*hcl.File, d *hcl.Diagnostic) {
	sev := "error"
	if d.Severity == hcl.DiagWarning {
		sev = "warning"
	}
	if d.Subject == nil {
		fmt.Fprintf(w, "%s: %s\n", sev, d.Summary)
		if d.Detail != "" {
			fmt.Fprintf(w, "  %s\n", d.Detail)
		}
		fmt.Fprintln(w)
		return
	}
	s := d.Subject
	fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", s.Filename, s.Start.Line, s.Start.Column, sev, d.Summary)
	if f := files[s.Filename]; f != nil {
		writeSnippet(w, f.Bytes, *s)
	}
	if d.Detail != "" {
		fmt.Fprintf(w, "  %s\n", d.Detail)
	}
	fmt.Fprintln(w)
}

// writeSnippet prints the subject's first line with carets under the subject. Caret columns
// follow display width, so they line up under Korean text and tabs too.
func writeSnippet(w io.Writer, src []byte, r hcl.Range) {
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
