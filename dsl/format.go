package dsl

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src, a rules or test file, in the canonical layout of `notimon fmt`:
// hclwrite.Format's (two-space indentation, one space around "=" and after ",", the "=" of
// consecutive one-line attributes aligned, the spacing of terraform fmt), ending in exactly
// one newline. Only whitespace between tokens changes, never a token, so the file means
// what it meant: heredoc text, strings and comments are kept byte for byte, and Format
// checks that before it returns. A file whose first line ends in CRLF is formatted and
// returned with CRLF line endings; the loader reads both alike.
//
// A file that does not parse is not formatted: Format returns nil, the parsed file (for
// positioned diagnostics) and the syntax errors.
func Format(filename string, src []byte) ([]byte, *hcl.File, hcl.Diagnostics) {
	crlf := false
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		crlf = true
	}
	lf := bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	file, diags := hclsyntax.ParseConfig(lf, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, file, diags
	}
	out := hclwrite.Format(lf)
	out = bytes.TrimRight(out, "\n")
	if len(out) > 0 {
		out = append(out, '\n')
	}
	if err := sameTokens(filename, lf, out); err != nil {
		return nil, file, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot format",
			Detail:   fmt.Sprintf("formatting %s would change %v, so it is left as it is. This is a bug in notimon fmt; please report it with the file.", filename, err),
		}}
	}
	if crlf {
		out = bytes.ReplaceAll(out, []byte("\n"), []byte("\r\n"))
	}
	return out, file, diags
}

// sameTokens checks that formatted has the tokens of src, whitespace aside: the newlines
// at the end of the file (Format leaves exactly one) are the only tokens it may drop.
func sameTokens(filename string, src, formatted []byte) error {
	a, b := significant(filename, src), significant(filename, formatted)
	for i := range min(len(a), len(b)) {
		if a[i].Type != b[i].Type || !bytes.Equal(a[i].Bytes, b[i].Bytes) {
			return fmt.Errorf("the token %q at line %d, column %d (into %q)", a[i].Bytes, a[i].Range.Start.Line, a[i].Range.Start.Column, b[i].Bytes)
		}
	}
	if len(a) != len(b) {
		return fmt.Errorf("the number of tokens (%d to %d)", len(a), len(b))
	}
	return nil
}

func significant(filename string, src []byte) hclsyntax.Tokens {
	toks, _ := hclsyntax.LexConfig(src, filename, hcl.InitialPos)
	n := len(toks)
	for n > 0 && (toks[n-1].Type == hclsyntax.TokenEOF || toks[n-1].Type == hclsyntax.TokenNewline) {
		n--
	}
	return toks[:n]
}
