package ruletest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Sample is one tick's value of an input: a number (bools are 0 and 1), a string, or a
// failed probe.
type Sample struct {
	Num    float64
	Str    string
	Failed bool // `_` or null: the probe of the field failed this tick
}

// MaxSamples bounds a test's length: a day at one-second ticks is 86,400.
const MaxSamples = 1_000_000

// seriesTerm is one space-separated term of a series, as promtool writes them:
//
//	7          one sample
//	7x3        7 7 7 7      (a, then n more: n+1 samples)
//	1+2x3      1 3 5 7      (a, a+b, …, a+n·b)
//	10-5x2     10 5 0
//	_          the probe failed this tick
//	_x3        _ _ _        (n failed samples: a missing value cannot repeat itself n+1 times)
var seriesTerm = regexp.MustCompile(`^(` + number + `)(?:([+-]` + unsigned + `)?x(\d+))?$`)

const (
	unsigned = `(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`
	number   = `[+-]?` + unsigned
)

var failedTerm = regexp.MustCompile(`^_(?:x(\d+))?$`)

// SeriesError is a problem with one term of a series; Offset and Len locate the term in
// the series string (bytes), so a diagnostic can point at it.
type SeriesError struct {
	Offset, Len int
	Msg         string
}

func (e *SeriesError) Error() string { return e.Msg }

// ParseSeries expands a series in promtool's notation ("10 60x4 20x3", "1 1 _ 0") into
// one sample per tick.
func ParseSeries(s string) ([]Sample, error) {
	var out []Sample
	pos := 0
	for _, term := range strings.Fields(s) {
		off := pos + strings.Index(s[pos:], term)
		pos = off + len(term)
		fail := func(format string, args ...any) error {
			return &SeriesError{Offset: off, Len: len(term), Msg: fmt.Sprintf(format, args...)}
		}
		if m := failedTerm.FindStringSubmatch(term); m != nil {
			n := 1
			if m[1] != "" {
				var err error
				if n, err = strconv.Atoi(m[1]); err != nil || n < 1 {
					return nil, fail("%q: the count after x must be 1 or more", term)
				}
			}
			if len(out)+n > MaxSamples {
				return nil, fail("the series is longer than %d samples", MaxSamples)
			}
			for range n {
				out = append(out, Sample{Failed: true})
			}
			continue
		}
		m := seriesTerm.FindStringSubmatch(term)
		if m == nil {
			switch {
			case term == "stale":
				return nil, fail(`"stale" is not supported: use _ for a tick where the probe failed`)
			case strings.ContainsAny(term, ",;"):
				return nil, fail("%q: separate the terms with spaces", term)
			}
			return nil, fail(`%q is not a series term: write a number (50), a repetition (50x10: 11 samples of 50), a ramp (10+5x4: 10 15 20 25 30) or _ (the probe failed)`, term)
		}
		a, _ := strconv.ParseFloat(m[1], 64)
		if m[3] == "" {
			if len(out)+1 > MaxSamples {
				return nil, fail("the series is longer than %d samples", MaxSamples)
			}
			out = append(out, Sample{Num: a})
			continue
		}
		var b float64
		if m[2] != "" {
			b, _ = strconv.ParseFloat(m[2], 64)
		}
		n, err := strconv.Atoi(m[3])
		if err != nil || len(out)+n+1 > MaxSamples {
			return nil, fail("the series is longer than %d samples", MaxSamples)
		}
		for i := 0; i <= n; i++ {
			// a + i·b rather than a running sum, so 0.1+0.1x100 does not drift.
			out = append(out, Sample{Num: a + float64(i)*b})
		}
	}
	if len(out) == 0 {
		return nil, &SeriesError{Len: len(s), Msg: `the series is empty: give at least one value, e.g. "50x10"`}
	}
	return out, nil
}

// termSpan locates the samples of one term in the series string, for diagnostics.
type termSpan struct {
	off, len     int // the term in the series string
	first, count int // its samples
}

// seriesSpans returns where each term of a valid series stands and which samples it made.
func seriesSpans(s string) []termSpan {
	var spans []termSpan
	pos, first := 0, 0
	for _, term := range strings.Fields(s) {
		off := pos + strings.Index(s[pos:], term)
		pos = off + len(term)
		samples, err := ParseSeries(term)
		if err != nil {
			continue
		}
		spans = append(spans, termSpan{off: off, len: len(term), first: first, count: len(samples)})
		first += len(samples)
	}
	return spans
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
