package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/notimon/notimon/dsl"
)

// secretValue is a LogValuer whose value holds a secret.
type secretValue struct{ s string }

func (v secretValue) LogValue() slog.Value { return slog.StringValue("resolved " + v.s) }

// TestLogRecordsAreRedacted: the logger of `run` (text and JSON, at debug level) never
// prints a secret of the loaded rules, read through env(), wherever a record carries it:
// the message, a string, an error wrapping it, a nested group, a With attribute, a map,
// bytes, a LogValuer. What holds no secret is printed as before.
func TestLogRecordsAreRedacted(t *testing.T) {
	const token = "987654:FAKE-LOG-TOKEN-abcdef"
	cfg, diags := dsl.LoadSource(map[string][]byte{"a.hcl": []byte(`
notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = 1
}
`)}, dsl.Options{LookupEnv: func(name string) (string, bool) { return token, name == "NOTIMON_TELEGRAM_TOKEN" }})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			logger, err := newLogger(&out, format, "debug")
			if err != nil {
				t.Fatal(err)
			}
			with := logger.With("early", "set before the rules were loaded")
			addLogSecrets(logger, cfg)
			leak := fmt.Errorf("notify %q: %w", "ops", fmt.Errorf("POST https://api.telegram.org/bot%s/sendMessage: connection refused", token))
			logger.Debug("message naming "+token, "err", leak)
			logger.Debug("group", slog.Group("outer", slog.String("url", "https://x/"+token), slog.Group("inner", slog.Any("err", leak), slog.Int("n", 7))))
			logger.With("token", token).WithGroup("g").Debug("with", "attr", token)
			with.Debug("with before", "values", map[string]any{"k": token}, "raw", []byte(token), "lv", secretValue{token})
			logger.Debug("harmless", "err", errors.New("disk full"), "count", 3)
			s := out.String()
			if strings.Contains(s, token) || strings.Contains(s, "FAKE-LOG-TOKEN") {
				t.Fatalf("the token is in the log:\n%s", s)
			}
			if n := strings.Count(s, "***"); n != 9 {
				t.Errorf("%d redactions, want 9 (one per place the token was given):\n%s", n, s)
			}
			for _, want := range []string{"disk full", "connection refused", "set before the rules were loaded", "resolved ***"} {
				if !strings.Contains(s, want) {
					t.Errorf("the log lacks %q:\n%s", want, s)
				}
			}
			if format == "json" && !strings.Contains(s, `"count":3`) || format == "text" && !strings.Contains(s, "count=3") {
				t.Errorf("a number attribute changed:\n%s", s)
			}
		})
	}
}
