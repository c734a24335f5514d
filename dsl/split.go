package dsl

import (
	"bytes"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// A file is parsed in pieces of a few blocks each, and a large one on every core at a
// time. HCL's lexer puts a whole file's tokens (96 bytes each) in one slice that it grows a
// quarter at a time, so a 4 MiB file's 71 MB of tokens cost 375 MB of allocation and the
// copying that goes with it; a piece's few dozen tokens grow by doubling and are garbage
// as soon as the piece is parsed. And lexing and parsing are half of what loading a large
// file costs, which HCL does on one core. The file is cut before lines that start with a
// top-level block type in column 1 ("rule "), found by a scan of the bytes. Such a line may
// also be inside a heredoc or a /* */ comment, or follow an unclosed bracket; the piece
// before the cut then ends inside it, which HCL reports as an error. So the pieces are kept
// only when every one parses without a diagnostic and with blocks only: each piece then
// ends where HCL's lexer and parser are between two top-level blocks, they would read the
// whole file's tokens in the same way, and the blocks (with their positions, since each
// piece is parsed from its own line, column and byte) are the ones the whole file gives.
// Anything else is parsed as one piece, as before, so that its errors read as they always
// did.

// splitMin is the size from which a file is parsed in pieces; a variable for tests.
var splitMin = 4 << 10

// splitPiece is the size of piece aimed at: a block or two, well under 256 tokens (2×
// growth below that; at 5 to 10 bytes a token, 50 to 100 tokens). Smaller pieces gain
// nothing: a piece's parser costs more than its tokens' growth saves.
var splitPiece = 512

// splitParallel is the size from which the pieces are parsed on every core: smaller
// files are parsed on a core each by parseFiles already.
var splitParallel = 256 << 10

// parseSplit parses src in pieces, or returns ok false when it cannot be (too small, no
// place to cut, or a piece that does not parse cleanly).
func parseSplit(src []byte, name string) (f *hcl.File, ok bool) {
	if len(src) < splitMin {
		return nil, false
	}
	starts := cutPoints(src, splitPiece)
	if len(starts) < 2 {
		return nil, false
	}
	type piece struct {
		file  *hcl.File
		diags hcl.Diagnostics
	}
	pieces := make([]piece, len(starts))
	parse := func(i int) {
		end := len(src)
		if i+1 < len(starts) {
			end = starts[i+1].Byte
		}
		pieces[i].file, pieces[i].diags = parseConfig(src[starts[i].Byte:end], name, starts[i])
	}
	workers := 1
	if len(src) >= splitParallel {
		workers = min(runtime.GOMAXPROCS(0), len(starts))
	}
	if workers < 2 {
		for i := range starts {
			if parse(i); len(pieces[i].diags) > 0 {
				return nil, false
			}
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < len(starts); i = int(next.Add(1) - 1) {
					parse(i)
				}
			})
		}
		wg.Wait()
	}

	var blocks hclsyntax.Blocks
	for _, p := range pieces {
		b, isSyntax := p.file.Body.(*hclsyntax.Body)
		if len(p.diags) > 0 || !isSyntax || len(b.Attributes) > 0 {
			return nil, false
		}
		blocks = append(blocks, b.Blocks...)
	}
	first, last := pieces[0].file.Body.(*hclsyntax.Body), pieces[len(pieces)-1].file.Body.(*hclsyntax.Body)
	body := &hclsyntax.Body{
		Attributes: hclsyntax.Attributes{},
		Blocks:     blocks,
		SrcRange:   hcl.RangeBetween(first.SrcRange, last.SrcRange),
		EndRange:   last.EndRange,
	}
	return &hcl.File{Body: body, Bytes: src}, true
}

// cutPoints returns where to cut src into pieces of about size bytes: the start of the
// file, then the start of the first line at or after each multiple of size that begins
// with a top-level block type followed by a space, a tab, a quote or a brace.
func cutPoints(src []byte, size int) []hcl.Pos {
	starts := []hcl.Pos{hcl.InitialPos}
	line, counted := 1, 0 // line is the number of the line at offset counted
	for target := size; target < len(src); {
		nl := bytes.IndexByte(src[target:], '\n')
		if nl < 0 {
			break
		}
		p := target + nl + 1
		target = p
		if !startsBlock(src[p:]) {
			continue
		}
		line += bytes.Count(src[counted:p], []byte("\n"))
		counted = p
		starts = append(starts, hcl.Pos{Line: line, Column: 1, Byte: p})
		target = p + size
	}
	return starts
}

// startsBlock says whether b starts with a top-level block type and a space, a tab, a
// quote or a brace.
func startsBlock(b []byte) bool {
	end := 0
	for end < len(b) && end < 12 && b[end] >= 'a' && b[end] <= 'z' {
		end++
	}
	if end == 0 || end == len(b) {
		return false
	}
	if c := b[end]; c != ' ' && c != '\t' && c != '"' && c != '{' {
		return false
	}
	_, top := blockTypes[string(b[:end])]
	return top
}
