package dsl

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/conf"
)

// helpers are the functions notimon adds to expr for conditions and messages:
//
//	in_cidr("10.1.2.3", "10.0.0.0/8")  true when the address is in the prefix
//	bytes(1288490188)                  "1.2 GiB" (binary units)
//	duration(192)                      "3m12s" (seconds, rounded to the second)
//	pct(12.345)                        "12.3%"
//
// They are typed, so a wrong argument is a validation error, not a run-time one.
func helpers(c *conf.Config) {
	for _, op := range []expr.Option{
		expr.Function("in_cidr", func(p ...any) (any, error) {
			addr, err := netip.ParseAddr(p[0].(string))
			if err != nil {
				return false, fmt.Errorf("in_cidr: %q is not an IP address", p[0])
			}
			prefix, err := netip.ParsePrefix(p[1].(string))
			if err != nil {
				return false, fmt.Errorf("in_cidr: %q is not a CIDR prefix such as 10.0.0.0/8", p[1])
			}
			return prefix.Contains(addr.Unmap()), nil
		}, new(func(string, string) bool)),
		expr.Function("bytes", func(p ...any) (any, error) { return formatBytes(toFloat(p[0])), nil },
			new(func(float64) string), new(func(int) string)),
		expr.Function("duration", func(p ...any) (any, error) {
			return (time.Duration(math.Round(toFloat(p[0]))) * time.Second).String(), nil
		}, new(func(float64) string), new(func(int) string)),
		expr.Function("pct", func(p ...any) (any, error) {
			return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", toFloat(p[0])), "0"), ".") + "%", nil
		}, new(func(float64) string), new(func(int) string)),
	} {
		op(c)
	}
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	}
	return 0
}

// formatBytes renders n bytes in binary units with one decimal: 1288490188 → "1.2 GiB".
func formatBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for math.Abs(n) >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return strings.Replace(fmt.Sprintf("%.1f %s", n, units[i]), ".0 ", " ", 1)
}
