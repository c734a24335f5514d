//go:build linux

package command

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/probes/internal/fixture"
)

// The tests run real processes from scripts in t.TempDir(). None calls t.Parallel: a script
// being written while another test forks could be inherited open for writing, and running
// it would then fail with ETXTBSY.

var now = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSample(t *testing.T) {
	dir := t.TempDir()
	fail := script(t, dir, "fail.sh", "echo 7\necho 'queue db unreachable' >&2\necho 'second line' >&2\nexit 3\n")
	stubborn := script(t, dir, "stubborn.sh", "trap '' TERM\nsleep 10\n")
	big := script(t, dir, "big.sh", "head -c 100000 /dev/zero | tr '\\0' x\n")

	for _, tc := range []struct {
		name    string
		cfg     Config
		want    Values // Error is matched by wantErr instead when set; DurationMs is not compared
		wantErr string // a regular expression; $DIR stands for the scripts' directory
		maxTime time.Duration
	}{
		{name: "integer", cfg: Config{Argv: []string{"echo", "42"}},
			want: Values{Value: 42, Numeric: true, Output: "42"}},
		{name: "fraction with spaces", cfg: Config{Argv: []string{"printf", "  3.5 \n\n"}},
			want: Values{Value: 3.5, Numeric: true, Output: "3.5"}},
		{name: "negative", cfg: Config{Argv: []string{"echo", "-1e3"}},
			want: Values{Value: -1000, Numeric: true, Output: "-1e3"}},
		{name: "zero is numeric", cfg: Config{Argv: []string{"echo", "0"}},
			want: Values{Numeric: true, Output: "0"}},
		{name: "not a number", cfg: Config{Argv: []string{"echo", "42 jobs"}},
			want: Values{Output: "42 jobs"}},
		{name: "NaN is not a number", cfg: Config{Argv: []string{"echo", "NaN"}},
			want: Values{Output: "NaN"}},
		{name: "empty output", cfg: Config{Argv: []string{"true"}},
			want: Values{}},
		{name: "exit 3 with stderr", cfg: Config{Argv: []string{fail}},
			want:    Values{ExitCode: 3, Value: 7, Numeric: true, Output: "7"},
			wantErr: `^\$DIR/fail\.sh: exit status 3: queue db unreachable$`},
		{name: "timeout of a script that ignores SIGTERM", cfg: Config{Argv: []string{stubborn}, Timeout: 300 * time.Millisecond},
			want: Values{ExitCode: -1},
			// SIGKILL after the grace, or SIGTERM when the timeout came before the trap was
			// set (a loaded machine): Sample is bounded either way. actions/exec tests the
			// escalation itself, without that race.
			wantErr: `^\$DIR/stubborn\.sh: timed out after 300ms; killed process group \d+ \([12] process(es)?, (SIGTERM|SIGKILL after 1s grace)\)$`,
			maxTime: 300*time.Millisecond + DefaultGrace + 2*time.Second}, // a failure bound; the error text says SIGKILL
		{name: "not found", cfg: Config{Argv: []string{"notimon-no-such-program"}},
			want:    Values{ExitCode: -1},
			wantErr: `^notimon-no-such-program: not found in PATH \(.*\)$`},
		{name: "not found by path", cfg: Config{Argv: []string{"/nonexistent/queue-depth"}},
			want:    Values{ExitCode: -1},
			wantErr: `^/nonexistent/queue-depth: not found$`},
		{name: "output is bounded", cfg: Config{Argv: []string{big}},
			want: Values{Output: strings.Repeat("x", MaxOutput) + "\n[… 34464 bytes truncated]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.maxTime == 0 {
				tc.maxTime = 3 * time.Second
			}
			start := time.Now()
			got := Sample(context.Background(), tc.cfg, now)
			if took := time.Since(start); took > tc.maxTime {
				t.Errorf("Sample took %v, want at most %v", took, tc.maxTime)
			}
			if got.DurationMs < 0 || got.DurationMs > float64(tc.maxTime/time.Millisecond) {
				t.Errorf("duration_ms = %v", got.DurationMs)
			}
			got.DurationMs = 0
			if tc.wantErr != "" {
				re := regexp.MustCompile(strings.ReplaceAll(tc.wantErr, `\$DIR`, regexp.QuoteMeta(dir)))
				if !re.MatchString(got.Error) {
					t.Errorf("error %q, want it to match %s", got.Error, re)
				}
				got.Error = ""
			}
			if got != tc.want {
				if len(got.Output) > 200 {
					got.Output = got.Output[:100] + "…" + got.Output[len(got.Output)-50:]
				}
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestSampleCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := Sample(ctx, Config{Argv: []string{"echo", "1"}}, now)
	if got.ExitCode != -1 || !strings.Contains(got.Error, "echo: not started: context canceled") {
		t.Errorf("got %+v, want not started", got)
	}
}

func TestFromAttrs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		attrs   map[string]any
		want    Config
		wantErr string
	}{
		{"defaults", map[string]any{"command": []string{"/usr/local/bin/queue-depth"}},
			Config{Argv: []string{"/usr/local/bin/queue-depth"}, Timeout: DefaultTimeout}, ""},
		{"timeout", map[string]any{"command": []string{"a", "b"}, "timeout": time.Minute},
			Config{Argv: []string{"a", "b"}, Timeout: time.Minute}, ""},
		{"missing", map[string]any{}, Config{}, "command is missing"},
		{"empty list", map[string]any{"command": []string{}}, Config{}, "command is missing"},
		{"empty program", map[string]any{"command": []string{""}}, Config{}, "the program (its first element) is empty"},
		{"a string", map[string]any{"command": "queue-depth --all"}, Config{}, "attribute command: want []string, got string"},
		{"unknown", map[string]any{"command": []string{"a"}, "shell": "x"}, Config{}, `unknown attribute "shell"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromAttrs(tc.attrs)
			if fixture.WantError(t, err, tc.wantErr) {
				return
			}
			if err != nil || strings.Join(got.Argv, " ") != strings.Join(tc.want.Argv, " ") || got.Timeout != tc.want.Timeout {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
