package ruletest

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSeries(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want: samples space-separated, _ for failed
	}{
		{"7", "7"},
		{"50x3", "50 50 50 50"},
		{"1+2x3", "1 3 5 7"},
		{"-2+4x3", "-2 2 6 10"},
		{"1-2x4", "1 -1 -3 -5 -7"},
		{"10 60x2 20", "10 60 60 60 20"},
		{"1 _ 0", "1 _ 0"},
		{"1 _x3 2", "1 _ _ _ 2"},
		{"0.1+0.1x3", "0.1 0.2 0.30000000000000004 0.4"},
		{"1.5e2 .5", "150 0.5"},
		{"  3\t4\n5  ", "3 4 5"},
		{"5x0", "5"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSeries(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, s := range got {
				if s.Failed {
					parts = append(parts, "_")
				} else {
					parts = append(parts, fmtNum(s.Num))
				}
			}
			if g := strings.Join(parts, " "); g != tc.want {
				t.Errorf("ParseSeries(%q) = %s, want %s", tc.in, g, tc.want)
			}
		})
	}
}

func TestParseSeriesErrors(t *testing.T) {
	for _, tc := range []struct {
		in       string
		off, len int
		msg      string
	}{
		{"", 0, 0, "the series is empty"},
		{"10 3O 30", 3, 2, `"3O" is not a series term`},
		{"1, 2", 0, 2, `"1,": separate the terms with spaces`},
		{"1 stale", 2, 5, `"stale" is not supported`},
		{"1 _x0", 2, 3, "the count after x must be 1 or more"},
		{"5x-1", 0, 4, `"5x-1" is not a series term`},
		{"1x2 2x1000000", 4, 9, "longer than 1000000 samples"},
		{"true", 0, 4, `"true" is not a series term`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseSeries(tc.in)
			var se *SeriesError
			if !errors.As(err, &se) {
				t.Fatalf("ParseSeries(%q) error = %v, want a *SeriesError", tc.in, err)
			}
			if se.Offset != tc.off || se.Len != tc.len || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("ParseSeries(%q) = %d+%d %q, want %d+%d containing %q", tc.in, se.Offset, se.Len, se.Msg, tc.off, tc.len, tc.msg)
			}
		})
	}
}
