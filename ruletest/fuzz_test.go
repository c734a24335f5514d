package ruletest

import (
	"testing"
)

// FuzzParseSeries: promtool's series notation ("1+2x3 _ 5x2") from a test file, any string:
// samples or an error inside the string, never a panic, never more than MaxSamples.
func FuzzParseSeries(f *testing.F) {
	for _, s := range []string{"1 2 3", "0+10x5", "1-2x3 _x2 stale", "_", "1e308+1e308x3", "5x0", "", "x", "1+x", "0+1x999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		samples, err := ParseSeries(s)
		if err != nil {
			se, ok := err.(*SeriesError)
			if !ok || se.Msg == "" || se.Offset < 0 || se.Offset+se.Len > len(s) {
				t.Errorf("ParseSeries(%q): error %#v does not point into the series", s, err)
			}
			return
		}
		if len(samples) == 0 || len(samples) > MaxSamples {
			t.Errorf("ParseSeries(%q): %d samples", s, len(samples))
		}
	})
}

// FuzzParseTestFile: a *_test.hcl file of any content gives a File or diagnostics, never a
// panic.
func FuzzParseTestFile(f *testing.F) {
	f.Add([]byte(`test "fires" {
  rules = "rules.d"
  input "cpu.pct" { series = "10 90x5" }
  expect "overload" { at = "3m" state = "firing" }
}
`))
	f.Add([]byte("test \"x\" {\n  input \"a\" { series = \"1+1x\" }\n}\n"))
	f.Add([]byte("\x00"))
	f.Fuzz(func(t *testing.T, src []byte) {
		Parse("fuzz_test.hcl", src)
	})
}
