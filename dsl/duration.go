package dsl

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseDuration is the one reader of durations written in rules and test files: for,
// repeat, timeouts, waits, the windows of avg_over("cpu.pct", "5m"), and the offsets of
// notimon test. It takes Go's units (ms, s, m, h; ns, us and µs too) and, as Prometheus
// users write them, d (24h) and w (7d), combined in any order and with fractions:
// "90s", "1h30m", "7d", "1w2d", "1.5d". "0" is zero. A negative duration is refused, and
// the usual mistakes ("5", "5 minutes", "1y") are explained.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return 0, fmt.Errorf(`empty duration; write one such as "30s", "5m" or "1h"`)
	case s == "0":
		return 0, nil
	}
	// The errors are made only when there is one: a duration is read for every rule's
	// "for", and making them up front was most of what reading "2m" cost. No number
	// ("5", "1e3", "0x1p4", "inf") gets past the loop below, which wants digits then a
	// unit, so a number is told apart from other mistakes once the loop has failed.
	notDuration := func() error {
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return fmt.Errorf(`%q has no unit; write "%ss" for seconds or "%sm" for minutes`, s, s, s)
		}
		return fmt.Errorf(`%q is not a duration; write one such as "30s", "5m", "1h30m" or "7d"`, s)
	}
	rest, neg := s, false
	if rest[0] == '-' || rest[0] == '+' {
		rest, neg = rest[1:], rest[0] == '-'
	}
	if rest == "" {
		return 0, notDuration()
	}
	var total time.Duration
	for rest != "" {
		i := strings.IndexFunc(rest, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i <= 0 {
			return 0, notDuration() // a unit without a number, or a number without a unit
		}
		num := rest[:i]
		j := strings.IndexFunc(rest[i:], func(r rune) bool { return r >= '0' && r <= '9' || r == '.' })
		if j < 0 {
			j = len(rest) - i
		}
		unit := rest[i : i+j]
		numUnit := rest[:i+j] // num + unit, without building it
		rest = rest[i+j:]
		if strings.Count(num, ".") > 1 || num == "." {
			return 0, notDuration()
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
			if d, err = time.ParseDuration(numUnit); err != nil {
				return 0, tooLong(s)
			}
		case "y":
			return 0, fmt.Errorf(`%q: years are not a unit here; write days or weeks, e.g. "365d" or "52w"`, s)
		case "M", "mo":
			return 0, fmt.Errorf(`%q: months are not a unit here; write days or weeks, e.g. "30d" or "4w"`, s)
		default:
			return 0, notDuration()
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

func tooLong(s string) error {
	return fmt.Errorf("%q is too long; a duration is at most about 292 years (106751d)", s)
}

// FormatDuration writes d the way a rules or test file does, and ParseDuration reads back:
// "0s", "45s", "2m", "1h30m", "2m5s", "500ms" (Go's form without its trailing zero units).
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
