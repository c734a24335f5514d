package notify

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Policy is how a notifier retries one delivery before giving up on it for now (a later
// tick or run may try again through the outbox).
type Policy struct {
	Attempts int           // tries in all, the first included
	Base     time.Duration // first backoff; doubled after every failure
	Max      time.Duration // longest single backoff, and longest Retry-After honoured
	Budget   time.Duration // total time one delivery may take, waits included
	// Sleep waits for d or until ctx ends; nil means a timer. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a random duration in [0, d); nil means math/rand.
	Jitter func(d time.Duration) time.Duration
}

// DefaultPolicy is the retry policy of every notifier: 6 tries, backoff 1 s, 2 s, 4 s, 8 s,
// 16 s (each plus up to 50 % jitter, at most 30 s), within 2 minutes in all. A 429's
// retry_after is waited as given (up to 30 s) instead of the backoff.
var DefaultPolicy = Policy{Attempts: 6, Base: time.Second, Max: 30 * time.Second, Budget: 2 * time.Minute}

// RetryAfterError is an error whose sender said how long to wait (HTTP 429 Retry-After,
// Telegram's retry_after).
type RetryAfterError struct {
	Wait time.Duration
	Err  error
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// Retry calls try until it succeeds, says the failure is not retryable, or the policy is
// exhausted. It returns the last error, annotated with the number of tries, and whether a
// later retry could still help.
func Retry(ctx context.Context, p Policy, try func(ctx context.Context) (retryable bool, err error)) (bool, error) {
	if p.Attempts < 1 {
		p.Attempts = 1
	}
	sleep := p.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	jitter := p.Jitter
	if jitter == nil {
		jitter = func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return time.Duration(rand.Int64N(int64(d)))
		}
	}
	deadline := time.Time{}
	if p.Budget > 0 {
		deadline = time.Now().Add(p.Budget)
	}
	backoff := p.Base
	var err error
	retryable := true
	for attempt := 1; ; attempt++ {
		retryable, err = try(ctx)
		if err == nil {
			return false, nil
		}
		if !retryable || attempt >= p.Attempts || ctx.Err() != nil {
			break
		}
		wait := backoff + jitter(backoff/2)
		var ra *RetryAfterError
		if errors.As(err, &ra) && ra.Wait > 0 {
			wait = ra.Wait
		}
		if p.Max > 0 && wait > p.Max {
			wait = p.Max
		}
		if !deadline.IsZero() && time.Now().Add(wait).After(deadline) {
			break
		}
		if serr := sleep(ctx, wait); serr != nil {
			break
		}
		backoff *= 2
		if p.Max > 0 && backoff > p.Max {
			backoff = p.Max
		}
	}
	if retryable {
		return true, fmt.Errorf("%w (gave up for now after the retry budget)", err)
	}
	return false, err
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
