package notify

import (
	"errors"
	"strings"
)

// Redact replaces every secret in s with "***". Every error a notifier returns goes through
// it: the Telegram Bot API puts the token in the URL path, and transport errors quote URLs.
func Redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 { // shorter "secrets" would mangle ordinary text
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

// RedactError returns err with every secret replaced by "***", keeping errors.Is/As working
// for the RetryAfterError it may wrap.
func RedactError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := Redact(err.Error(), secrets...)
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		return &RetryAfterError{Wait: ra.Wait, Err: errors.New(msg)}
	}
	return errors.New(msg)
}
