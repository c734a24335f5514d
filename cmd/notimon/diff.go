package main

import (
	"bytes"
	"fmt"
	"strings"
)

// unifiedDiff returns the differences between a and b as a unified diff with three lines of
// context (diff -u, which patch and git apply read), headed "--- aName" and "+++ bName";
// "" when they are equal. Lines are compared with their line endings, so a CRLF file
// that changed only to LF shows every line.
//
// No maintained diff library is among notimon's dependencies (go-cmp, which hclwrite pulls
// in, reports Go values, not unified diffs; x/tools' diff is internal), and `fmt --diff`
// needs ~150 lines of Myers, so here it is.
func unifiedDiff(aName, bName string, a, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	al, bl := splitLines(a), splitLines(b)
	ops := diffLines(al, bl)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
	const context = 3
	for i := 0; i < len(ops); {
		// Find the next change, then the end of its hunk: the first run of more than
		// 2*context equal lines after a change (or the end).
		for i < len(ops) && ops[i].kind == ' ' {
			i++
		}
		if i == len(ops) {
			break
		}
		start := max(i-context, 0)
		end, equal := i, 0
		for end < len(ops) {
			if ops[end].kind == ' ' {
				if equal == 2*context {
					break // ops[end] would be one equal line too many
				}
				equal++
			} else {
				equal = 0
			}
			end++
		}
		end -= max(equal-context, 0) // keep context equal lines after the last change
		writeHunk(&out, ops[start:end], al, bl)
		i = end
	}
	return out.String()
}

// edit is one line of an edit script: ' ' kept (a[a] == b[b]), '-' a[a] removed, '+' b[b] added.
type edit struct {
	kind byte
	a, b int
}

func writeHunk(out *strings.Builder, h []edit, al, bl []string) {
	// The hunk's first line in a and in b, 1-based, and how many lines of each it spans.
	aStart, bStart, aLen, bLen := -1, -1, 0, 0
	aNext, bNext := 0, 0 // where a and b stand before the hunk when it has none of their lines
	for _, e := range h {
		if e.kind != '+' {
			if aStart < 0 {
				aStart = e.a
			}
			aLen++
		}
		if e.kind != '-' {
			if bStart < 0 {
				bStart = e.b
			}
			bLen++
		}
	}
	if len(h) > 0 {
		aNext, bNext = h[0].a, h[0].b
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(aStart, aLen, aNext), hunkRange(bStart, bLen, bNext))
	for _, e := range h {
		line := ""
		switch e.kind {
		case ' ', '-':
			line = al[e.a]
		case '+':
			line = bl[e.b]
		}
		out.WriteByte(e.kind)
		out.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			out.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// hunkRange renders "start,len" as diff -u does: ",1" is left out, and an empty range
// names the line before it.
func hunkRange(start, n, next int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", next)
	case 1:
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

// splitLines splits s after each "\n"; the last line lacks it when s does not end in one.
func splitLines(s []byte) []string {
	var lines []string
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\n') + 1
		if i == 0 {
			i = len(s)
		}
		lines = append(lines, string(s[:i]))
		s = s[i:]
	}
	return lines
}

// maxEdits bounds the work of diffLines (its memory grows with the square of the number of
// differing lines): beyond it, the lines between the common head and tail are shown as all
// removed, then all added. A correct diff, only not the shortest.
const maxEdits = 1000

// diffLines returns a shortest edit script from a to b (Myers' algorithm) between their
// common head and tail.
func diffLines(a, b []string) []edit {
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	var ops []edit
	for i := range head {
		ops = append(ops, edit{' ', i, i})
	}
	ops = append(ops, myers(a[head:len(a)-tail], b[head:len(b)-tail], head)...)
	for i := tail; i > 0; i-- {
		ops = append(ops, edit{' ', len(a) - i, len(b) - i})
	}
	return ops
}

// myers diffs a and b, whose first lines are line off of their files.
func myers(a, b []string, off int) []edit {
	n, m := len(a), len(b)
	all := func() []edit { // everything removed, then everything added
		var ops []edit
		for i := range n {
			ops = append(ops, edit{'-', off + i, off})
		}
		for j := range m {
			ops = append(ops, edit{'+', off + n, off + j})
		}
		return ops
	}
	if n == 0 || m == 0 {
		return all()
	}
	// v[k+o] is the furthest x reached on diagonal k = x-y; trace[d] is v[-d-1..d+1]
	// before step d.
	o := n + m + 1
	v := make([]int, 2*o+1)
	var trace [][]int
	found := -1
	for d := 0; d <= min(n+m, maxEdits) && found < 0; d++ {
		trace = append(trace, append([]int(nil), v[o-d-1:o+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[o+k-1] < v[o+k+1]) {
				x = v[o+k+1] // down: an addition
			} else {
				x = v[o+k-1] + 1 // right: a removal
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[o+k] = x
			if x >= n && y >= m {
				found = d
				break
			}
		}
	}
	if found < 0 {
		return all()
	}
	var rev []edit
	x, y := n, m
	for d := found; d >= 0; d-- {
		snap := trace[d]
		at := func(k int) int { return snap[k+d+1] }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			x, y = x-1, y-1
			rev = append(rev, edit{' ', off + x, off + y})
		}
		if d > 0 {
			if x == px {
				rev = append(rev, edit{'+', off + x, off + py})
			} else {
				rev = append(rev, edit{'-', off + px, off + y})
			}
		}
		x, y = px, py
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}
