package dsl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ParseDuration makes its errors only when it fails, and tells a number without a unit
// from other mistakes after its loop instead of before it. It must give what it gave
// before, value and error text, for every input: every string of up to three characters
// of an alphabet of digits, signs, units and the letters of floats (1e3, 0x1p4, inf, nan),
// many longer random ones, and the usual mistakes.
func TestParseDurationAsBefore(t *testing.T) {
	alphabet := []string{"0", "1", "5", "9", ".", "+", "-", "e", "E", "x", "p", "i", "n", "f", "a", "N", "I",
		"d", "w", "h", "m", "s", "u", "µ", "μ", "y", "M", "o", " ", "_"}
	var inputs []string
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		inputs = append(inputs, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(prefix+c, n-1)
		}
	}
	gen("", 3)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 30000 {
		var b strings.Builder
		for range 4 + rng.IntN(8) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		inputs = append(inputs, b.String())
	}
	inputs = append(inputs, "2m", "15s", "1h30m", "1.5d", "106751d", "106752d", "1e400", "1e3", "0x1p-2", "0X1P4",
		"Inf", "+inf", "-Infinity", "NaN", "1_000", "0x_1p0", "-5m", "-0s", "5 minutes", "1y", "1mo", "1M",
		"9223372036854775807ns", "9223372036854775808ns", "2562047h", "2562048h", "15250w", "15251w", "1..5s", ".s", "s5")
	for _, s := range inputs {
		got, gotErr := ParseDuration(s)
		want, wantErr := parseDurationBefore(s)
		if got != want || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Errorf("ParseDuration(%q) = %v, %v; before: %v, %v", s, got, gotErr, want, wantErr)
		}
	}
}

// parseDurationBefore is ParseDuration as it was, for TestParseDurationAsBefore.
func parseDurationBefore(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return 0, fmt.Errorf(`empty duration; write one such as "30s", "5m" or "1h"`)
	case s == "0":
		return 0, nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf(`%q has no unit; write "%ss" for seconds or "%sm" for minutes`, s, s, s)
	}
	notDuration := fmt.Errorf(`%q is not a duration; write one such as "30s", "5m", "1h30m" or "7d"`, s)
	rest, neg := s, false
	if rest[0] == '-' || rest[0] == '+' {
		rest, neg = rest[1:], rest[0] == '-'
	}
	if rest == "" {
		return 0, notDuration
	}
	var total time.Duration
	for rest != "" {
		i := strings.IndexFunc(rest, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i <= 0 {
			return 0, notDuration // a unit without a number, or a number without a unit
		}
		num := rest[:i]
		j := strings.IndexFunc(rest[i:], func(r rune) bool { return r >= '0' && r <= '9' || r == '.' })
		if j < 0 {
			j = len(rest) - i
		}
		unit := rest[i : i+j]
		rest = rest[i+j:]
		if strings.Count(num, ".") > 1 || num == "." {
			return 0, notDuration
		}
		var d time.Duration
		switch unit {
		case "d", "w":
			per := time.Duration(24)
			if unit == "w" {
				per = 24 * 7
			}
			h, err := time.ParseDuration(num + "h")
			if err != nil || h > math.MaxInt64/per {
				return 0, tooLong(s)
			}
			d = h * per
		case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
			var err error
			if d, err = time.ParseDuration(num + unit); err != nil {
				return 0, tooLong(s)
			}
		case "y":
			return 0, fmt.Errorf(`%q: years are not a unit here; write days or weeks, e.g. "365d" or "52w"`, s)
		case "M", "mo":
			return 0, fmt.Errorf(`%q: months are not a unit here; write days or weeks, e.g. "30d" or "4w"`, s)
		default:
			return 0, notDuration
		}
		if total > math.MaxInt64-d {
			return 0, tooLong(s)
		}
		total += d
	}
	if neg && total != 0 {
		return 0, fmt.Errorf("%q is negative; a duration must be zero or more", s)
	}
	return total, nil
}
