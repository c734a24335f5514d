package pause

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestForWaits(t *testing.T) {
	start := time.Now()
	if err := For(context.Background(), 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("returned after %s, want at least 20ms", d)
	}
}

// TestForEndsWithItsContext: a stop does not wait for the pause to run out.
func TestForEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- For(ctx, time.Hour) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("For = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("returned after %s", d)
	}
	// An ended context ends even a zero pause; a live one does not wait for it.
	if err := For(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("For(ended, 0) = %v, want context.Canceled", err)
	}
	if err := For(context.Background(), -time.Second); err != nil {
		t.Errorf("For(live, -1s) = %v, want nil", err)
	}
}
