// Package notify defines the contract every notifier kind implements (one method that
// delivers a rendered Message), and what they share: the retry policy and the redaction of
// secrets from errors. Each kind lives in a folder of its own below this one.
package notify

import (
	"context"
	"time"
)

// Message is one rendered notification and the alert it belongs to.
type Message struct {
	Notifier string            // the notifier's name in the rules
	Rule     string            // the rule's name
	State    string            // "firing", "resolved", or "" for a message sent by hand
	Severity string            // the rule's severity
	Labels   map[string]string // the rule's labels
	Host     string            // host.name
	Text     string            // the rendered message, placeholders already escaped for the notifier
	// Values are the probe fields the rule's condition read, by path ("cpu.avg3").
	Values map[string]any
	Time   time.Time // when the tick that produced the message ran
	// StartsAt is when the rule started firing; EndsAt when it resolved (zero while firing).
	StartsAt time.Time
	EndsAt   time.Time
}

// Notifier delivers a message. The bool tells a retry loop whether trying again can help
// (a timeout can, a rejected token cannot).
type Notifier interface {
	Notify(ctx context.Context, m Message) (retryable bool, err error)
}

// NotifierFunc lets a plain function serve as a Notifier.
type NotifierFunc func(ctx context.Context, m Message) (bool, error)

func (f NotifierFunc) Notify(ctx context.Context, m Message) (bool, error) { return f(ctx, m) }
