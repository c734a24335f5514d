package notify

import (
	"errors"
	"time"
)

// RetryAfterError is a failed attempt whose service said how long to wait before the next
// one (HTTP 429 Retry-After, Telegram's retry_after). The caller waits that long, whatever
// it is: trying sooner only prolongs a flood control.
type RetryAfterError struct {
	Wait time.Duration
	Err  error
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns how long the service that refused err asked to wait, or 0 when it did
// not say.
func RetryAfter(err error) time.Duration {
	var ra *RetryAfterError
	if errors.As(err, &ra) && ra.Wait > 0 {
		return ra.Wait
	}
	return 0
}

// Parts is how far the delivery of a message that its notifier sends in parts got: the
// first Sent of Of parts are delivered.
type Parts struct{ Sent, Of int }

// PartialError is a failed attempt after some parts of a message were delivered. The caller
// keeps Parts with the message and hands it back as Message.Resume on the next attempt, so
// that the parts already in the chat are not sent again.
type PartialError struct {
	Parts Parts
	Err   error
}

func (e *PartialError) Error() string { return e.Err.Error() }
func (e *PartialError) Unwrap() error { return e.Err }

// Delivered returns the parts err says were delivered before it happened, if it says so.
func Delivered(err error) (Parts, bool) {
	var pe *PartialError
	if errors.As(err, &pe) {
		return pe.Parts, true
	}
	return Parts{}, false
}
