package engine

import (
	"time"

	"github.com/notimon/notimon/dsl"
)

// Observer hears what the engine does, for its metrics (server/metrics). Every func is
// optional. They are called on the engine's goroutines (Tick's, the delivery loop's, the
// daemon loop's), so they must be quick and must not call back into the engine.
type Observer struct {
	// Tick hears of every tick once it is over: the configuration it evaluated, what it saw
	// and did, and how long it took (sampling included). rep is not changed afterwards.
	Tick func(cfg *dsl.Config, rep *Report, took time.Duration)
	// Delivery hears of every delivery attempt's outcome, and of messages dropped
	// undelivered.
	Delivery func(notifier string, outcome DeliveryOutcome)
	// Reload hears of every reload whose outcome is recorded (see ReloadStatus).
	Reload func(ReloadStatus)
}

// DeliveryOutcome is how one delivery attempt ended.
type DeliveryOutcome string

const (
	Delivered DeliveryOutcome = "delivered" // the notifier accepted the message
	// DeliveryFailed: an outage (a timeout, 5xx, 429); the message stays in the outbox and
	// the notifier's later messages wait behind it.
	DeliveryFailed DeliveryOutcome = "failed"
	// DeliveryRefused: the message itself was refused (a 400, a notifier that cannot be
	// built); it stays in the outbox and is tried again later.
	DeliveryRefused DeliveryOutcome = "refused"
	// DeliveryDropped: removed from the outbox undelivered (older than outbox_max_age,
	// its notifier no longer declared).
	DeliveryDropped DeliveryOutcome = "dropped"
)

// observeDelivery tells the observer how an attempt for notifier ended.
func (e *Engine) observeDelivery(notifier string, retryable bool, err error) {
	f := e.opts.Observer.Delivery
	if f == nil {
		return
	}
	switch {
	case err == nil:
		f(notifier, Delivered)
	case retryable:
		f(notifier, DeliveryFailed)
	default:
		f(notifier, DeliveryRefused)
	}
}

// observeDropped tells the observer a message for notifier was dropped undelivered.
func (e *Engine) observeDropped(notifier string) {
	if f := e.opts.Observer.Delivery; f != nil {
		f(notifier, DeliveryDropped)
	}
}
