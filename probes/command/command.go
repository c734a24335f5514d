package command

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/notimon/notimon/actions/exec"
	"github.com/notimon/notimon/spec"
)

const (
	// DefaultTimeout bounds one run when the block sets no timeout.
	DefaultTimeout = 5 * time.Second
	// DefaultGrace is the time between SIGTERM and SIGKILL at the timeout. Shorter than an
	// exec step's: a probe only reads, it has nothing to clean up, and a tick waits for it.
	DefaultGrace = time.Second
	// MaxOutput is how much of stdout (and of stderr) is kept.
	MaxOutput = 64 << 10
	// maxStderrLine bounds the stderr excerpt in Error.
	maxStderrLine = 200
)

// Config is one command probe, checked by FromAttrs.
type Config struct {
	Argv    []string      // program and arguments; no shell
	Timeout time.Duration // DefaultTimeout when 0
	Grace   time.Duration // SIGTERM to SIGKILL; DefaultGrace when 0. Not an attribute.
}

// FromAttrs builds a Config from a probe block's decoded attributes: command ([]string)
// and timeout (time.Duration).
func FromAttrs(attrs map[string]any) (Config, error) {
	c := Config{Timeout: DefaultTimeout}
	err := block.Each("a command probe", attrs, func(k string, v any) (err error) {
		switch k {
		case "command":
			c.Argv, err = spec.As[[]string](k, v)
		case "timeout":
			c.Timeout, err = spec.Duration(k, v, DefaultTimeout)
		}
		return err
	})
	if err != nil {
		return Config{}, err
	}
	switch {
	case len(c.Argv) == 0:
		return Config{}, errors.New(`command is missing: give the program and its arguments, ["program", "arg", ...]`)
	case c.Argv[0] == "":
		return Config{}, errors.New("command: the program (its first element) is empty")
	case c.Timeout < 0:
		return Config{}, fmt.Errorf("timeout %v is negative", c.Timeout)
	}
	return c, nil
}

// Sample runs the command and reports what it printed and how it ended. It returns within
// c.Timeout + c.Grace (plus a few milliseconds), or soon after ctx ends. now is unused and
// kept so every named probe samples the same way.
func Sample(ctx context.Context, c Config, now time.Time) Values {
	timeout, grace := c.Timeout, c.Grace
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if grace <= 0 {
		grace = DefaultGrace
	}
	res := exec.Run(ctx, exec.Spec{Argv: c.Argv, Timeout: timeout, Grace: grace, MaxOutput: MaxOutput})
	v := Values{
		ExitCode:   float64(res.ExitCode),
		Output:     strings.TrimSpace(res.Stdout),
		DurationMs: float64(res.Duration) / float64(time.Millisecond),
	}
	v.Value, v.Numeric = number(v.Output)
	if res.Err != nil {
		v.Error = res.Err.Error()
		if line := firstLine(res.Stderr); line != "" {
			v.Error += ": " + line
		}
	}
	return v
}

// number reads s as one finite number; "NaN" and "Inf" are not numbers a rule can use.
func number(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// firstLine is the first non-blank line of s, trimmed and cut to maxStderrLine bytes at a
// character boundary.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if len(line) > maxStderrLine {
			cut := maxStderrLine
			for cut > 0 && !utf8.RuneStart(line[cut]) {
				cut--
			}
			line = line[:cut] + "…"
		}
		return line
	}
	return ""
}

// as returns v as a T, or an error naming the attribute and both types.
