// Package textseg stands in for go-textseg v15 in notimon's build (a replace directive in
// notimon's go.mod) to give it a fast path for ASCII: HCL's lexer finds the column where
// each token ends by splitting the token into grapheme clusters, one call of
// ScanGraphemeClusters per character, and v15's state machine made that a sixth of the
// CPU time of loading a 4 MiB rules file. Two ASCII characters other than CR LF are
// always two grapheme clusters (UAX #29: only CR LF, and Extend, ZWJ and SpacingMark
// characters, all non-ASCII, join a cluster after an ASCII character), so a cluster that
// starts with an ASCII character followed by another is that character alone. Everything
// else goes to go-textseg v17, the version HCL itself uses from Go 1.27 on.
//
// ScanGraphemeClusters is the only function of v15 that notimon's dependencies (HCL,
// go-cty) call.
package textseg

import v17 "github.com/apparentlymart/go-textseg/v17/textseg"

// ScanGraphemeClusters is a bufio.SplitFunc that returns one extended grapheme cluster at
// a time, as go-textseg's does.
func ScanGraphemeClusters(data []byte, atEOF bool) (int, []byte, error) {
	if len(data) > 0 && data[0] < 0x80 && data[0] != '\r' &&
		(len(data) > 1 && data[1] < 0x80 || len(data) == 1 && atEOF) {
		return 1, data[:1], nil
	}
	return v17.ScanGraphemeClusters(data, atEOF)
}
