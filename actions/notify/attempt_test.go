package notify

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestRedactErrorKeepsTheClassification: redacting an attempt's error keeps what the outbox
// schedules by (the retry_after, the parts delivered) and removes the secret.
func TestRedactErrorKeepsTheClassification(t *testing.T) {
	const secret = "123456:secret-token"
	inner := &RetryAfterError{Wait: 10 * time.Minute, Err: fmt.Errorf("POST /bot%s/sendMessage: HTTP 429", secret)}
	err := fmt.Errorf("telegram: %w", &PartialError{Parts: Parts{Sent: 2, Of: 5}, Err: inner})

	got := RedactError(err, secret)
	if want := "telegram: POST /bot***/sendMessage: HTTP 429"; got.Error() != want {
		t.Errorf("RedactError = %q, want %q", got, want)
	}
	if d := RetryAfter(got); d != 10*time.Minute {
		t.Errorf("RetryAfter = %v, want 10m", d)
	}
	if p, ok := Delivered(got); !ok || p != (Parts{Sent: 2, Of: 5}) {
		t.Errorf("Delivered = %+v, %v; want 2 of 5", p, ok)
	}

	plain := RedactError(errors.New("dial tcp: connection refused"), secret)
	if RetryAfter(plain) != 0 {
		t.Errorf("RetryAfter of a plain error = %v", RetryAfter(plain))
	}
	if _, ok := Delivered(plain); ok {
		t.Error("a plain error says parts were delivered")
	}
	if RedactError(nil, secret) != nil {
		t.Error("RedactError(nil) is not nil")
	}
}
