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

// RedactError returns err with every secret replaced by "***", keeping errors.As working
// for the RetryAfterError and PartialError it may wrap (the attempt's classification).
func RedactError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	out := errors.New(Redact(err.Error(), secrets...))
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		out = &RetryAfterError{Wait: ra.Wait, Err: out}
	}
	var pe *PartialError
	if errors.As(err, &pe) {
		out = &PartialError{Parts: pe.Parts, Err: out}
	}
	return out
}
