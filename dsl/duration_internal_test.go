package dsl

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// ParseDuration tells a number without a unit from other mistakes only after its loop has
// failed (its errors are made only then). Over every string of up to three characters of
// an alphabet of digits, signs, units and the letters of floats (1e3, 0x1p4, inf, nan),
// many longer random ones and the usual mistakes: exactly the numbers get "has no unit",
// and every duration it accepts is zero or more and reads back from its formatting.
func TestParseDurationNumbersAndMistakes(t *testing.T) {
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
		d, err := ParseDuration(s)
		trimmed := strings.TrimSpace(s)
		_, numErr := strconv.ParseFloat(trimmed, 64)
		number := numErr == nil && trimmed != "0"
		switch noUnit := err != nil && strings.Contains(err.Error(), "has no unit"); {
		case number && !noUnit:
			t.Errorf("ParseDuration(%q) = %v, %v; a number without a unit must be told so", s, d, err)
		case !number && noUnit:
			t.Errorf("ParseDuration(%q): %v; it is not a number", s, err)
		case err == nil && d < 0:
			t.Errorf("ParseDuration(%q) = %v, negative", s, d)
		}
		if err == nil && trimmed != "" && trimmed != "0" {
			// Every duration it accepts is one of its units' sums: render it and read it back.
			if back, err := ParseDuration(FormatDuration(d)); err != nil || back != d {
				t.Errorf("ParseDuration(%q) = %v, which reads back as %v, %v", s, d, back, err)
			}
		}
	}
}
